"""Regenerate README.md's tables of finding codes from pipeline/core/findings.py; --check only says if they are
stale."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.core.findings import update_tables  # noqa: E402


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    fresh = update_tables(text)
    if fresh == text:
        print("README.md: finding-code tables are current")
        return 0
    if "--check" in argv:
        print("README.md: finding-code tables are stale; run .venv/bin/python tools/codes_table.py", file=sys.stderr)
        return 1
    readme.write_text(fresh, encoding="utf-8")
    print("README.md: finding-code tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
