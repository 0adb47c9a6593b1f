"""Measure boilerplate: the share of body paragraphs, per deliverable kind, that appear word for word in
three or more engagements of a built output folder.

    .venv/bin/python tools/shared_text.py OUTPUT_DIR [--kinds kickoff,work-plan,minutes] [--min 3] [--show 5]
    .venv/bin/python tools/shared_text.py OUTPUT_DIR --dates      # distinct document dates per service

A body paragraph is a non-empty paragraph of a Word file's body after its first numbered
heading (cover, document control and table of contents are not counted), outside
tables, that is not a heading or a caption; list items count. Each pack folder
(one engagement) is read through its manifest.json, which gives every file's kind.
Exit status 1 when a kind given with --max-share is above that share.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from docx import Document

#: Paragraph styles that are not body text.
SKIP_STYLES = ("heading", "toc", "title", "subtitle", "cover", "caption", "header", "footer")
DEFAULT_KINDS = ("kickoff", "work-plan", "minutes", "acceptance-report")


def body_paragraphs(path: Path) -> list[str]:
    """The body paragraphs of one .docx, in order (see the module docstring)."""
    doc = Document(str(path))
    out, started = [], False
    for p in doc.paragraphs:
        style = (p.style.name if p.style is not None else "").lower()
        if style.startswith("heading"):
            started = True
            continue
        text = " ".join(p.text.split())
        if not started or not text or style.startswith(SKIP_STYLES):
            continue
        out.append(text)
    return out


def packs(out_dir: Path) -> list[tuple[str, Path, dict]]:
    """(engagement, pack folder, manifest) of every pack under out_dir, sorted."""
    found = []
    for m in sorted(out_dir.glob("*/manifest.json")):
        data = json.loads(m.read_text(encoding="utf-8"))
        found.append((data.get("engagement") or m.parent.name, m.parent, data))
    return found


def collect(out_dir: Path) -> dict[str, list[tuple[str, str, str]]]:
    """kind -> [(engagement, file, paragraph)] over every Word file of every pack."""
    by_kind: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for eng, pack, manifest in packs(out_dir):
        for d in manifest.get("deliverables") or []:
            if d.get("format") != "docx":
                continue
            path = pack / d["path"]
            if path.is_file():
                for text in body_paragraphs(path):
                    by_kind[d.get("kind", "")].append((eng, d["path"], text))
    return by_kind


def shares(by_kind: dict[str, list[tuple[str, str, str]]], minimum: int = 3) -> dict[str, dict]:
    """kind -> {paragraphs, shared, share, engagements, top: [(text, engagements)]}."""
    out = {}
    for kind, items in sorted(by_kind.items()):
        where: dict[str, set[str]] = defaultdict(set)
        for eng, _, text in items:
            where[text].add(eng)
        shared = [t for _, _, t in items if len(where[t]) >= minimum]
        top = Counter(shared).most_common()
        out[kind] = {"paragraphs": len(items), "shared": len(shared),
                     "share": len(shared) / len(items) if items else 0.0,
                     "engagements": len({e for e, _, _ in items}),
                     "top": [(t, len(where[t])) for t, _ in top]}
    return out


def dates(out_dir: Path) -> list[tuple[str, str, int, int]]:
    """(engagement, service folder, Word files, distinct document dates) per service of every pack.

    A document's date is the one the build recorded for it (its core properties carry
    the same date).
    """
    rows = []
    for eng, pack, manifest in packs(out_dir):
        per: dict[str, list[str]] = defaultdict(list)
        for d in manifest.get("deliverables") or []:
            if d.get("format") == "docx":
                per[d["path"].split("/")[0]].append(d["path"])
        for folder, files in sorted(per.items()):
            seen = {_created(pack / f) for f in files}
            rows.append((eng, folder, len(files), len(seen)))
    return rows


def _created(path: Path) -> str:
    created = Document(str(path)).core_properties.created
    return created.date().isoformat() if created else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--kinds", default=",".join(DEFAULT_KINDS), help="comma-separated kinds, or 'all'")
    ap.add_argument("--min", type=int, default=3, help="engagements a paragraph must appear in to count as shared")
    ap.add_argument("--show", type=int, default=0, help="list the N most repeated paragraphs of each kind")
    ap.add_argument("--max-share", type=float, default=None, help="exit 1 when a listed kind is above this share")
    ap.add_argument("--dates", action="store_true", help="distinct document dates per service instead")
    args = ap.parse_args(argv)
    if args.dates:
        rows = dates(args.out_dir)
        big = [r for r in rows if r[2] >= 4]
        hist = Counter(r[3] for r in big)
        print(f"services with 4+ Word files: {len(big)}; distinct dates per service: "
              + ", ".join(f"{k}: {hist[k]}" for k in sorted(hist)))
        for eng, folder, n, k in rows:
            print(f"  {eng} {folder}: {n} Word file(s), {k} date(s)")
        return 0
    result = shares(collect(args.out_dir), args.min)
    kinds = sorted(result) if args.kinds == "all" else [k for k in args.kinds.split(",") if k]
    failed = False
    print(f"{'kind':<20} {'paragraphs':>10} {'shared':>7} {'share':>7}  (word for word in {args.min}+ engagements)")
    for kind in kinds:
        r = result.get(kind)
        if r is None:
            print(f"{kind:<20} {'-':>10}")
            continue
        print(f"{kind:<20} {r['paragraphs']:>10} {r['shared']:>7} {r['share']:>7.1%}")
        for text, n in r["top"][:args.show]:
            print(f"    {n:>2} engagements: {text[:90]}")
        if args.max_share is not None and r["share"] > args.max_share:
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
