"""Judge the files of a pack as they are on disk against the structure its manifest requires."""
from __future__ import annotations

from pathlib import Path

from pipeline.errors import Finding, Location, relpath
from pipeline.inspect import UnreadableFile, View, read
from pipeline.text import find_placeholder

#: Fonts that prove Chinese glyphs were embedded in a PDF.
CJK_FONT_HINTS = ("CJK", "Hei", "Song", "Kai", "Fang", "WenQuanYi", "Ming", "YaHei", "SimSun", "SimHei")

SEVERITY_OVERRIDES = {"completeness.section-order": "ERROR"}


def _f(code: str, msg: str, path: Path, d: dict, fmt: str | None, target: str | None = None,
       **loc) -> Finding:
    return Finding(code, msg, Location(relpath(path), **loc), service=d.get("service"),
                   deliverable=d.get("deliverable"), format=fmt, target=target)


def check_sections(view: View, d: dict, path: Path) -> list[Finding]:
    out = []
    required = d.get("sections") or []
    if view.format == "xlsx":
        return out
    titles = [h.title for h in view.headings]
    pos = 0
    for s in required:
        t = s["title"]
        if t not in titles:
            out.append(_f("completeness.missing-section", f"required section '{t}' is missing", path, d,
                          view.format, t))
            continue
        idx = titles.index(t)
        if idx < pos:
            out.append(_f("completeness.section-order", f"section '{t}' is out of order (the spec puts it after "
                          f"'{required[required.index(s) - 1]['title']}')", path, d, view.format, t))
        else:
            pos = idx
        if s.get("leaf", True) and view.headings[idx].content == 0:
            out.append(_f("completeness.empty-section", f"section '{t}' has nothing under it", path, d,
                          view.format, t))
    return out


def _best_sheet(view: View, columns: list[str]) -> tuple[str, list[str], list] | None:
    best = None
    for name, (header, rows) in view.sheets.items():
        score = sum(1 for c in columns if c in header)
        if best is None or score > best[0]:
            best = (score, name, header, rows)
    return best[1:] if best else None


def check_columns(view: View, d: dict, path: Path) -> list[Finding]:
    cols = d.get("columns") or []
    if not cols:
        return []
    out = []
    if view.format == "xlsx":
        found = _best_sheet(view, cols)
        if found is None:
            return [_f("completeness.no-rows", "the workbook has no sheet", path, d, "xlsx")]
        sheet, header, rows = found
        for c in cols:
            if c not in header:
                out.append(_f("completeness.missing-column", f"required column '{c}' is missing from the header",
                              path, d, "xlsx", c, sheet=sheet, cell="1"))
        if not rows:
            out.append(_f("completeness.no-rows", "the register has no data row", path, d, "xlsx", sheet=sheet))
        from openpyxl.utils import get_column_letter
        for c in cols:
            # A sign-in sheet's time and signature columns are filled by hand at the session.
            if c not in header or (d.get("kind") == "sign-in" and c in ("签到时间", "签名")):
                continue
            j = header.index(c)
            for i, r in enumerate(rows):
                v = r[j] if j < len(r) else None
                if v is None or str(v).strip() == "":
                    out.append(_f("completeness.blank-cell", f"required column '{c}' is blank", path, d, "xlsx", c,
                                  sheet=sheet, cell=f"{get_column_letter(j + 1)}{i + 2}"))
    elif view.format in ("docx", "pptx"):
        if not any(all(c in t[0] for c in cols) for t in view.tables if t):
            out.append(_f("completeness.missing-column", f"no table has the required columns {'、'.join(cols)}",
                          path, d, view.format))
    return out


def check_text(view: View, d: dict, path: Path) -> list[Finding]:
    for text in view.texts:
        ph = find_placeholder(text)
        if ph:
            return [_f("completeness.placeholder", f"placeholder '{ph}' left in: {text.strip()[:60]}", path, d,
                       view.format, ph)]
    return []


def check_format_rules(view: View, d: dict, path: Path) -> list[Finding]:
    out = []
    if view.format == "pdf":
        has_cjk = any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in view.texts)
        cjk_fonts = [n for n, emb in view.fonts if emb and any(h in n for h in CJK_FONT_HINTS)]
        if has_cjk and not cjk_fonts:
            out.append(_f("completeness.no-cjk-font", "the PDF has Chinese text but no embedded CJK font "
                          f"(fonts: {', '.join(n for n, _ in view.fonts) or 'none'}): readers see empty boxes",
                          path, d, "pdf"))
    if view.format in ("docx", "pdf") and view.info.get("page_mm") not in (None, (210, 297)):
        out.append(_f("completeness.page-size", f"page is {view.info['page_mm']} mm, not A4 (210x297)", path, d,
                      view.format))
    if view.format == "docx" and d.get("kind") != "__none__" and view.info.get("toc_entries", 1) == 0:
        out.append(_f("completeness.toc-empty", "the table of contents is empty (never refreshed)", path, d, "docx"))
    return out


def check_file(path: Path, d: dict) -> tuple[View | None, list[Finding]]:
    fmt = d.get("format")
    if not path.is_file():
        return None, [_f("completeness.missing-format", f"{d.get('seed_name')} is missing in {fmt}", path, d, fmt)]
    try:
        view = read(path)
    except UnreadableFile as exc:
        return None, [_f("completeness.unreadable", f"the file does not open: {exc}", path, d, fmt)]
    findings = (check_sections(view, d, path) + check_columns(view, d, path) + check_text(view, d, path)
                + check_format_rules(view, d, path))
    return view, findings


def check_outputs(pack: Path, manifest: dict) -> list[Finding]:
    """Check every file a manifest lists."""
    out = []
    for d in manifest.get("deliverables", []):
        _, found = check_file(pack / d["path"], d)
        out.extend(found)
    return out
