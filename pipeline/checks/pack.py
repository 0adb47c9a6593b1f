"""Judge the files of a pack as they are on disk against what each deliverable requires.

Pure functions from (pack folder, Expected) to findings; nothing here prints. The
build's VERIFY phase calls check_outputs() with its fresh manifest; `sowpack check`
calls check_pack() with the specs (or the manifest) and adds the business rules.
"""
from __future__ import annotations

from pathlib import Path

from pipeline.checks.expected import Expected, from_manifest
from pipeline.checks.records import check_dates, check_minutes
from pipeline.readers.common import Seen, TooLarge, UnreadableFile, WrongType, col_letter, norm_title
from pipeline.readers.read import read
from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.manifest import inside
from pipeline.core.text import DRAFT_MARK, find_placeholder, found_in_any

#: Fonts that prove Chinese glyphs were embedded in a PDF.
CJK_FONT_HINTS = ("CJK", "Hei", "Song", "Kai", "Fang", "WenQuanYi", "Ming", "YaHei", "SimSun", "SimHei", "Noto Sans SC",
                  "NotoSansSC", "SourceHan", "Source Han")
#: Columns filled by hand at the session (a sign-in sheet's time and signature).
HAND_FILLED = {"sign-in": ("签到时间", "签名")}
MAX_PLACEHOLDERS = 10
MAX_CELLS_LISTED = 10


class _Ctx:
    """Findings for one file of one deliverable."""

    def __init__(self, e: Expected, fmt: str, path: Path) -> None:
        self.e, self.fmt, self.path = e, fmt, path
        self.items: list[Finding] = []

    def add(self, code: str, message: str, target: str | None = None, **loc) -> None:
        self.items.append(Finding(code, message, Location(relpath(self.path), **loc), service=self.e.service,
                                  deliverable=self.e.deliverable, format=self.fmt, target=target))


# --- sections -----------------------------------------------------------------
def _outline(seen: Seen) -> list[tuple[str, int]]:
    """(title, content) in document order; a deck's slides sharing a title are one section."""
    if seen.format != "pptx":
        return [(h.title, h.content) for h in seen.headings]
    out: list[tuple[str, int]] = []
    index: dict[str, int] = {}
    for h in seen.headings:
        # A section-header slide only repeats the deck title under the section title;
        # the section's content is on the slides that follow it.
        content = 0 if h.level == 1 else h.content
        if h.title in index:
            i = index[h.title]
            out[i] = (h.title, out[i][1] + content)
        else:
            index[h.title] = len(out)
            out.append((h.title, content))
    return out


def _xlsx_outline(seen: Seen) -> list[tuple[str, int]] | None:
    """The 章节/内容 sheet the xlsx renderer writes for a deliverable with sections."""
    for sh in seen.sheets:
        grid = sh.grid
        for k, (_, row) in enumerate(grid[:10]):
            cells = [c.strip() for c in row]
            if "章节" in cells and "内容" in cells:
                i, j = cells.index("章节"), cells.index("内容")
                return [(norm_title(r[i]), len((r[j] if j < len(r) else "").strip()))
                        for _, r in grid[k + 1:] if i < len(r) and r[i].strip()]
    return None


def check_sections(ctx: _Ctx, seen: Seen) -> None:
    required = ctx.e.sections
    if not required:
        return
    if seen.format == "xlsx":
        outline = _xlsx_outline(seen)
        if outline is None:
            ctx.add("completeness.missing-section", f"no 章节/内容 sheet: the {len(required)} required section(s) "
                    f"({'、'.join(s['title'] for s in required[:4])}…) are missing", required[0]["title"])
            return
    else:
        outline = _outline(seen)
    titles = [t for t, _ in outline]
    pos, prev = -1, None
    for s in required:
        t = norm_title(s["title"])
        after = [i for i in range(pos + 1, len(titles)) if titles[i] == t]
        anywhere = [i for i, x in enumerate(titles) if x == t]
        if not anywhere:
            ctx.add("completeness.missing-section", f"required section '{s['title']}' is missing", s["title"])
            continue
        if after:
            idx = after[0]
            pos = idx
        else:
            idx = anywhere[0]
            ctx.add("completeness.section-order", f"section '{s['title']}' is out of order: the spec puts it after "
                    f"'{prev}'", s["title"])
        prev = s["title"]
        if s.get("leaf", True) and outline[idx][1] == 0:
            ctx.add("completeness.empty-section", f"section '{s['title']}' has nothing under it", s["title"])


def check_requires(ctx: _Ctx, seen: Seen) -> None:
    """A section whose spec requires a diagram or a chart shows a picture or a chart (Word, decks)."""
    if seen.format not in ("docx", "pptx"):
        return
    pictures: dict[str, int] = {}
    for h in seen.headings:
        pictures[h.title] = pictures.get(h.title, 0) + h.pictures
    for s in ctx.e.sections:
        needs = [r for r in s.get("requires") or () if r in ("diagram", "chart")]
        title = norm_title(s["title"])
        if needs and title in pictures and not pictures[title]:
            ctx.add("completeness.missing-block", f"section '{s['title']}' must show a {needs[0]} (the spec requires "
                    "it), but it has no picture or chart", s["title"])


def check_computed(ctx: _Ctx, seen: Seen) -> None:
    """Numbers the build computed from the registers still agree with the registers in the file."""
    from pipeline.checks.relations import check_relations
    for section, message in check_relations(seen, ctx.e.computed, ctx.e.columns):
        ctx.add("check.summary-mismatch", message, section)


# --- columns ------------------------------------------------------------------
def _blank_report(ctx: _Ctx, col: str, cells: list[str], **loc) -> None:
    listed = ", ".join(cells[:MAX_CELLS_LISTED]) + (f" and {len(cells) - MAX_CELLS_LISTED} more"
                                                    if len(cells) > MAX_CELLS_LISTED else "")
    ctx.add("completeness.blank-cell", f"required column '{col}' is blank in {len(cells)} row(s): {listed}", col, **loc)


def check_columns(ctx: _Ctx, seen: Seen) -> None:
    cols = ctx.e.columns
    if not cols:
        return
    hand = HAND_FILLED.get(ctx.e.kind, ())
    if seen.format == "xlsx":
        best = None
        # The header is the row (among the first ten of a sheet) naming the most required
        # columns: a consultant may add a title row above it.
        for sh in seen.sheets:
            grid = sh.grid
            for k, (rnum, row) in enumerate(grid[:10]):
                cells = [c.strip() for c in row]
                score = sum(1 for c in cols if c in cells)
                if best is None or score > best[0]:
                    best = (score, sh.name, rnum, cells, [r for r in grid[k + 1:]])
        if best is None:
            ctx.add("completeness.no-rows", "the workbook has no sheet with data")
            return
        _, sheet, hrow, header, rows = best
        for c in cols:
            if c not in header:
                ctx.add("completeness.missing-column", f"required column '{c}' is missing from the header", c,
                        sheet=sheet, cell=f"{hrow}:{hrow}")
        if not rows:
            ctx.add("completeness.no-rows", "the register has no data row", None, sheet=sheet)
            return
        for c in cols:
            if c not in header or c in hand:
                continue
            j = header.index(c)
            blank = [f"{col_letter(j)}{rnum}" for rnum, r in rows if j >= len(r) or not r[j].strip()]
            if blank:
                _blank_report(ctx, c, blank, sheet=sheet, cell=blank[0])
        return
    if seen.format in ("docx", "pptx"):
        tables = [t for t in seen.tables if t and all(c in [x.strip() for x in t[0]] for c in cols)]
        if not tables:
            ctx.add("completeness.missing-column", f"no table has the required columns {'、'.join(cols)}",
                    next((c for c in cols if not any(c in [x.strip() for x in t[0]] for t in seen.tables if t)),
                         cols[0]))
            return
        data = [(t[0], r) for t in tables for r in t[1:] if any(x.strip() for x in r)]
        if not data:
            ctx.add("completeness.no-rows", "the register table has no data row")
            return
        for c in cols:
            if c in hand:
                continue
            blank = [f"row {n}" for n, (head, r) in enumerate(data, 1)
                     if (j := [x.strip() for x in head].index(c)) >= len(r) or not r[j].strip()]
            if blank:
                _blank_report(ctx, c, blank)


# --- text ---------------------------------------------------------------------
_WHERE = {"header": "the page header", "footer": "the page footer", "footnote": "a footnote",
          "endnote": "an endnote", "comment": "a comment", "table": "a table", "body": "the body", "page": "the text",
          "cell": "a cell"}


def check_text(ctx: _Ctx, seen: Seen) -> None:
    # A register has 80,000 cells: they are searched one by one only when their joined text holds a placeholder.
    if not found_in_any(find_placeholder, seen.strings()):
        return
    hits = 0
    for t in seen.every_text():
        ph = find_placeholder(t.text)
        if not ph:
            continue
        hits += 1
        if hits > MAX_PLACEHOLDERS:
            continue
        where = _WHERE.get(t.where, t.where)
        under = f" (under '{t.section}')" if t.section and t.where not in ("header", "footer") else ""
        loc = {"sheet": t.sheet, "cell": t.cell} if t.sheet else {}
        ctx.add("completeness.placeholder", f"placeholder '{ph}' left in {where}{under}: "
                f"{' '.join(t.text.split())[:60]}", t.section, **loc)
    if hits > MAX_PLACEHOLDERS:
        ctx.add("completeness.placeholder", f"{hits - MAX_PLACEHOLDERS} more placeholder(s) not listed")


def check_toc(ctx: _Ctx, seen: Seen) -> None:
    if seen.format != "docx":
        return
    if seen.toc is None:
        if seen.headings:
            ctx.add("completeness.toc-missing", "the document has no table of contents")
        return
    entries = seen.toc["entries"]
    if seen.toc["unrefreshed"] or not entries:
        ctx.add("completeness.toc-empty", "the table of contents was never refreshed: it has no entries "
                "(open in Word and update the field, or rebuild)")
        return
    listed = {norm_title(e) for e in entries}
    heads = {h.title for h in seen.headings}
    missing = [h.shown for h in seen.headings if h.level <= 3 and h.title not in listed]
    gone = [e for e in entries if norm_title(e) not in heads]
    if missing or gone:
        parts = []
        if missing:
            parts.append(f"headings not listed: {'、'.join(missing[:3])}{'…' if len(missing) > 3 else ''}")
        if gone:
            parts.append(f"entries without a heading: {'、'.join(gone[:3])}{'…' if len(gone) > 3 else ''}")
        ctx.add("completeness.toc-stale", "the table of contents was not refreshed after editing (" + "; ".join(parts)
                + "): update the field in Word")


def check_draft(ctx: _Ctx, seen: Seen) -> None:
    """A document marked 草稿 (cover mark, or the running header's first word) is not ready for signature."""
    cover = f"（{DRAFT_MARK}）"
    if not found_in_any(lambda text: DRAFT_MARK in text, seen.strings()):
        return
    for t in seen.every_text():
        text = t.text.strip()
        if text == cover or (t.where in ("header", "page") and text.startswith(f"{DRAFT_MARK} · ")):
            ctx.add("completeness.draft", f"{ctx.e.seed_name} is marked {DRAFT_MARK}: not every deliverable it lists "
                    "is accepted, so it is not ready for signature; record the acceptances (`sowpack signoff "
                    "accept`) and rebuild")
            return


def check_format_rules(ctx: _Ctx, seen: Seen) -> None:
    if seen.format == "pdf":
        has_cjk = any(any("\u4e00" <= ch <= "\u9fff" for ch in t.text) for t in seen.texts)
        cjk = [n for n, emb in seen.fonts if emb and any(h.lower() in n.lower() for h in CJK_FONT_HINTS)]
        if has_cjk and not cjk:
            names = ", ".join(n for n, _ in seen.fonts) or "none"
            ctx.add("completeness.no-cjk-font", f"the PDF has Chinese text but no embedded CJK font (fonts: {names}): "
                    "readers see empty boxes")
    if seen.format in ("docx", "pdf") and seen.page_mm not in (None, (210, 297)):
        ctx.add("completeness.page-size", f"page is {seen.page_mm[0]}x{seen.page_mm[1]} mm, not A4 (210x297)")


# --- files and packs ------------------------------------------------------------
def check_file(path: Path, e: Expected, fmt: str, signature: bool = False,
               dates: dict | None = None) -> list[Finding]:
    """Every check on one existing file.

    Args:
        signature: also say whether it is ready for signature (`sowpack check`; a build's
            verification leaves drafts alone: a pack is built long before it is signed).
        dates: filled with (service, deliverable) -> the date the file carries (the first file that has one).
    """
    ctx = _Ctx(e, fmt, path)
    try:
        seen = read(path, fmt)
    except WrongType as exc:
        ctx.add("completeness.wrong-type", f"{e.seed_name} ({fmt}) does not open: {exc}")
        return ctx.items
    except TooLarge as exc:
        ctx.add("completeness.too-large", f"{e.seed_name} ({fmt}) is not read: {exc}; open it in its program, "
                                          "remove what does not belong there and save it again")
        return ctx.items
    except UnreadableFile as exc:
        ctx.add("completeness.unreadable", f"{e.seed_name} ({fmt}) does not open: {exc}")
        return ctx.items
    check_sections(ctx, seen)
    check_requires(ctx, seen)
    check_columns(ctx, seen)
    check_computed(ctx, seen)
    check_text(ctx, seen)
    check_toc(ctx, seen)
    check_format_rules(ctx, seen)
    if signature:
        check_draft(ctx, seen)
    ctx.items += check_minutes(e, seen, path)
    if dates is not None and seen.date and (e.service, e.deliverable) not in dates:
        dates[(e.service, e.deliverable)] = seen.date
    return ctx.items


def _near(pack: Path, rel: str, e: Expected) -> list[str]:
    """Files beside a missing one with the same name and another suffix (报告.doc for 报告.docx)."""
    p = inside(pack, rel)
    if p is None or not p.parent.is_dir():
        return []
    mine = {Path(x).name for x in e.paths.values()}
    return sorted(q.name for q in p.parent.iterdir() if q.is_file() and q.stem == p.stem and q.name not in mine)


def check_deliverable(pack: Path, e: Expected, signature: bool = False,
                      dates: dict | None = None) -> list[Finding]:
    """All formats of one deliverable: presence, then every check per file (check_file's `signature`, `dates`).

    Only regular files inside the pack are opened: a path that leaves it (through a link)
    is reported, never read, and a FIFO or device is not a file (so it is missing).
    """
    out: list[Finding] = []
    outside = [f for f in e.formats if inside(pack, e.paths[f]) is None]
    for fmt in outside:
        out.append(Finding("completeness.outside-pack", f"{e.seed_name} ({fmt}): {e.paths[fmt]} leads outside the "
                           "pack (a link?), so it was not opened; put the file itself in the pack",
                           Location(f"{relpath(pack)}/{e.paths[fmt]}"), service=e.service,
                           deliverable=e.deliverable, format=fmt))  # the link's own name, not where it leads
    if outside:
        return out
    missing = [f for f in e.formats if not (pack / e.paths[f]).is_file()]
    if missing and len(missing) == len(e.formats):
        near = sorted({n for f in missing for n in _near(pack, e.paths[f], e)})
        hint = f" (found {', '.join(near)}: wrong format?)" if near else ""
        out.append(Finding("completeness.missing-deliverable", f"{e.seed_name} ('{e.deliverable}') is missing: no "
                           f"{'/'.join(e.formats)} file in the pack{hint}",
                           Location(relpath(pack / e.paths[missing[0]])),
                           service=e.service, deliverable=e.deliverable, format=missing[0]))
        return out
    for fmt in e.formats:
        path = pack / e.paths[fmt]
        if fmt in missing:
            near = _near(pack, e.paths[fmt], e)
            hint = f" (found {', '.join(near)}: wrong format?)" if near else ""
            out.append(Finding("completeness.missing-format", f"{e.seed_name} is missing in {fmt}{hint}",
                               Location(relpath(path)), service=e.service, deliverable=e.deliverable, format=fmt))
        else:
            out.extend(check_file(path, e, fmt, signature, dates))
    return out


def extra_files(pack: Path, expected: list[Expected]) -> list[Finding]:
    """Files no deliverable accounts for (Office lock files and hidden files are ignored)."""
    known = {str(Path(p)) for e in expected for p in e.paths.values()}
    out = []
    root = pack.resolve()
    for p in sorted(pack.rglob("*")):
        rel = p.relative_to(pack)
        if not p.is_file() or rel.parent == Path(".") or any(part.startswith((".", "~$")) for part in rel.parts):
            continue
        if root not in p.resolve().parents:
            continue  # a link out of the pack: not the pack's file, and its name is not the pack's to report
        if str(rel) not in known:
            out.append(Finding("completeness.extra-file", f"{rel} is not a deliverable of this pack",
                               Location(relpath(p))))
    return out


def check_outputs(pack: Path, manifest: dict) -> list[Finding]:
    """Check every file a manifest lists (the build's VERIFY phase)."""
    out: list[Finding] = []
    dates: dict = {}
    expected = from_manifest(manifest)
    for e in expected:
        out.extend(check_deliverable(pack, e, dates=dates))
    return out + check_dates(pack, expected, dates)
