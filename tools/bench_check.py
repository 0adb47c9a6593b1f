"""Benchmark `sowpack check`: the largest sample pack, and every sample pack together.

Usage:
    .venv/bin/python tools/bench_check.py [PACKS_DIR] [--repeat N] [--build]

PACKS_DIR holds built packs (default: output/, filled by `make deliverables`). With
--build, or when PACKS_DIR has no pack, every engagement under sample_inputs/ is built
into a temporary folder first (not timed). Reports the median of N runs of the check
in-process (specs loaded, every file reopened, business rules re-run) and the wall time
of one `sowpack check` command (interpreter start and imports included). The goal of
the issue is under 5 s for a pack of all 29 SOWs; the sample packs together cover them.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def packs_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if (p / "manifest.json").is_file()) if folder.is_dir() else []


def build_samples(out: Path) -> None:
    from pipeline.build.run import build
    from pipeline.core.reporting import MemoryReporter

    engagements = sorted(p.parent for p in (ROOT / "sample_inputs").glob("*/engagement.yaml"))
    for e in engagements:  # one at a time, so a broken sample does not hide the others
        try:
            build([e], out, MemoryReporter())
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"  (skipped {e.name}: {exc})", file=sys.stderr)


def all_sows_pack(packs: list[Path], dst: Path) -> Path:
    """One pack holding every SOW once: each service's folder taken from the first sample pack that has it."""
    import shutil

    merged = {"schema": 1, "engagement": "all-sows", "customer": "", "customer_short": "", "services": [],
              "deliverables": []}
    taken: set[int] = set()
    for p in packs:
        m = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
        for s in m["services"]:
            if s["service"] in taken:
                continue
            taken.add(s["service"])
            shutil.copytree(p / s["folder"], dst / s["folder"])
            merged["services"].append(s)
            merged["deliverables"] += [d for d in m["deliverables"] if d["service"] == s["service"]]
    merged["services"].sort(key=lambda s: s["service"])
    (dst / "manifest.json").write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
    return dst


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("packs", nargs="?", type=Path, default=ROOT / "output")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--build", action="store_true", help="build every sample into a temporary folder first")
    args = ap.parse_args()

    from pipeline.checks.run import check_pack

    tmp = None
    folder = args.packs
    if args.build or not packs_in(folder):
        tmp = tempfile.TemporaryDirectory(prefix="bench-check-")
        folder = Path(tmp.name)
        print(f"building every sample engagement into {folder} (not timed)...", file=sys.stderr)
        build_samples(folder)
    packs = packs_in(folder)
    if not packs:
        print("no pack to check", file=sys.stderr)
        return 2
    specs = ROOT / "deliverable_specs"
    sizes = {p: len(json.loads((p / "manifest.json").read_text(encoding="utf-8"))["deliverables"]) for p in packs}
    largest = max(packs, key=lambda p: (sizes[p], p.name))
    check_pack(largest, specs)  # warm the imports and the OS file cache
    services = set()
    for p in packs:
        services |= {s["service"] for s in json.loads((p / "manifest.json").read_text(encoding="utf-8"))["services"]}

    one = timed(lambda: check_pack(largest, specs), args.repeat)
    every = timed(lambda: [check_pack(p, specs) for p in packs], max(1, args.repeat // 2))
    total_files = sum(sizes.values())
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline", "check", str(largest)], capture_output=True, cwd=ROOT)
    cli = time.perf_counter() - t
    print(f"largest pack   {largest.name}: {sizes[largest]} files, check {one:.2f} s "
          f"({one / sizes[largest] * 1000:.1f} ms/file); `sowpack check` command {cli:.2f} s (exit {proc.returncode})")
    print(f"all packs      {len(packs)} packs, {total_files} files, {len(services)} distinct SOWs: check {every:.2f} s "
          f"({every / total_files * 1000:.1f} ms/file)")
    print(f"median of {args.repeat} run(s) in-process (specs loaded, files reopened, rules re-run)")
    with tempfile.TemporaryDirectory(prefix="bench-all-sows-") as d:
        allp = all_sows_pack(packs, Path(d) / "all-sows")
        n = len(json.loads((allp / "manifest.json").read_text(encoding="utf-8"))["deliverables"])
        nsvc = len(json.loads((allp / "manifest.json").read_text(encoding="utf-8"))["services"])
        runs = []
        for _ in range(max(1, args.repeat // 2)):
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pipeline", "check", str(allp)], capture_output=True, cwd=ROOT)
            runs.append(time.perf_counter() - t)
        print(f"all-SOWs pack  {nsvc} SOWs in one pack, {n} files: `sowpack check` command "
              f"{statistics.median(runs):.2f} s cold (exit {proc.returncode}; goal < 5 s)")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
