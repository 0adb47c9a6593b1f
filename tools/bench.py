"""Benchmark: build every sample engagement (fresh output) and check every pack; prints times and peak RSS.

Run: .venv/bin/python tools/bench.py   (or `make bench`). Compare ratios within one run:
the machines are shared and noisy.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOWPACK = [sys.executable, "-m", "pipeline"]


def run(args: list[str]) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(SOWPACK + args, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def main() -> None:
    engagements = sorted(str(p.parent) for p in (ROOT / "sample_inputs").glob("*/engagement.yaml"))
    with tempfile.TemporaryDirectory() as out:
        t_build, rss = run(["build", *engagements, "--out", out])
        files = sum(1 for p in Path(out).rglob("*") if p.is_file() and p.name != "manifest.json")
        print(f"build: {len(engagements)} engagements, {files} files in {t_build:.1f} s, peak RSS {rss / 1024:.0f} MB")
        t_rebuild, _ = run(["build", *engagements, "--out", out])
        print(f"rebuild (unchanged inputs): {t_rebuild:.1f} s ({t_rebuild / t_build:.2f} of a fresh build)")
        largest = max(Path(out).iterdir(), key=lambda p: sum(1 for _ in p.rglob("*")))
        t_check, _ = run(["check", str(largest)])
        print(f"check of the largest pack ({largest.name}): {t_check:.2f} s")


if __name__ == "__main__":
    main()
