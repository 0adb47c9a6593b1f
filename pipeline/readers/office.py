"""PowerPoint and Excel readers for `sowpack check`: slide titles, bodies, tables, notes; sheets as text grids."""
from __future__ import annotations

import re

from pipeline.core.limits import MAX_CELLS, MAX_COLUMNS
from pipeline.readers.common import (A, P, R, S, Heading, Seen, Sheet, Text, TooLarge, UnreadableFile, _Package,
                                     col_letter, norm_title)

#: The text box sowpack's decks show a slide's section in (renderers/pptx/write.py), and the
#: separator of a section path in it ("三、平台架构设计 › （一）技术架构").
SECTION_SHAPE = "Section"
SECTION_SEP = " › "


def _a_paragraphs(el) -> list[str]:
    return ["".join(t.text or "" for t in p.iter(A + "t")) for p in el.iter(A + "p")]


def read_pptx(pkg: _Package) -> Seen:
    main = pkg.main()
    rels = pkg.rels(main)
    seen = Seen("pptx")
    lst = pkg.xml(main).find(P + "sldIdLst")
    ids = [s.get(R + "id") for s in lst] if lst is not None else []
    layout_names: dict[str, str] = {}
    for n, rid in enumerate(ids, 1):
        if rid not in rels:
            raise UnreadableFile(f"corrupt: slide {n} is listed but its part is missing")
        part = rels[rid][1]
        layout, notes = _slide_layout_and_notes(pkg, part, layout_names)
        tree = pkg.xml(part).find(f"{P}cSld/{P}spTree")
        title, body, pictures, kicker = "", 0, 0, ""
        where = f"slide {n}"
        texts: list[tuple[str, str]] = []
        for sp in (tree.iter(P + "sp") if tree is not None else ()):
            ph = sp.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
            ptype = ph.get("type") if ph is not None else None
            paras = [t for t in _a_paragraphs(sp) if t.strip()]
            if ptype in ("title", "ctrTitle") and not title:
                title = "".join(_a_paragraphs(sp)).strip()
                continue
            name = sp.find(f"{P}nvSpPr/{P}cNvPr")
            if ph is None and name is not None and name.get("name") == SECTION_SHAPE and paras:
                # The section a slide belongs to, shown above its title (a title states the
                # slide's message; the section is what `check` compares with the spec).
                kicker = paras[0].strip()
                continue
            for t in paras:
                texts.append((t, where))
                if ptype not in ("dt", "ftr", "sldNum"):
                    body += len(re.sub(r"\s+", "", t))
        frame_body, frame_pictures = _graphic_frames(tree, seen, texts, where)
        body, pictures = body + frame_body, pictures + frame_pictures
        if tree is not None and any(True for _ in tree.iter(P + "pic")):
            body += 10
            pictures += 1
        if title:
            level = 1 if layout.lower() in ("section header", "节标题") else 2
            path = [p.strip() for p in kicker.split(SECTION_SEP)] if kicker else [title]
            # A slide under a subsection names its parents too; they are headings without content.
            for k, name in enumerate(path[:-1]):
                seen.headings.append(Heading(norm_title(name), 1 if k == 0 else 2, 0, name))
            seen.texts.append(Text(title, where, norm_title(path[-1])))
            seen.headings.append(Heading(norm_title(path[-1]), level if not kicker else 2, body, title, pictures))
        sect = norm_title((kicker.split(SECTION_SEP)[-1] if kicker else title)) if title else None
        seen.texts.extend(Text(t, w, sect) for t, w in texts)
        if notes is not None:
            nt = pkg.xml(notes).find(f"{P}cSld/{P}spTree")
            for sp in (nt.iter(P + "sp") if nt is not None else ()):
                ph = sp.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
                if ph is not None and ph.get("type") in ("sldImg", "sldNum", "hdr", "dt", "ftr"):
                    continue
                seen.texts.extend(Text(t, f"notes of slide {n}", sect) for t in _a_paragraphs(sp) if t.strip())
    return seen


def _slide_layout_and_notes(pkg: _Package, part: str, layout_names: dict[str, str]) -> tuple[str, str | None]:
    """A slide's layout name (cached per layout part) and its notes part, if any."""
    layout, notes = "", None
    for rtype, target in pkg.rels(part).values():
        if rtype == "slideLayout" and target in pkg.names:
            if target not in layout_names:
                csld = pkg.xml(target).find(P + "cSld")
                layout_names[target] = (csld.get("name") if csld is not None else "") or ""
            layout = layout_names[target]
        elif rtype == "notesSlide" and target in pkg.names:
            notes = target
    return layout, notes


def _graphic_frames(tree, seen: Seen, texts: list[tuple[str, str]], where: str) -> tuple[int, int]:
    """A slide's tables (into seen.tables and texts) and charts: the body characters and pictures they add."""
    body = pictures = 0
    for gf in (tree.iter(P + "graphicFrame") if tree is not None else ()):
        tbl = gf.find(f".//{A}tbl")
        if tbl is not None:
            rows = [["\n".join(_a_paragraphs(tc)) for tc in tr.iter(A + "tc")] for tr in tbl.iter(A + "tr")]
            seen.tables.append(rows)
            for r in rows:
                texts.extend((c, where) for c in r if c.strip())
            body += sum(len(c.strip()) for r in rows[1:] for c in r)
        elif (gf.find(f".//{A}graphicData") is not None
              and "chart" in (gf.find(f".//{A}graphicData").get("uri") or "")):
            body += 10
            pictures += 1
    return body, pictures


# --- xlsx ---------------------------------------------------------------------
_CELL = re.compile(r"([A-Z]+)(\d+)")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(pkg: _Package) -> Seen:
    main = pkg.main()
    rels = pkg.rels(main)
    shared: list[str] = []
    sst = next((n for t, n in rels.values() if t == "sharedStrings"), None)
    if sst and sst in pkg.names:
        for si in pkg.xml(sst).iter(S + "si"):
            shared.append("".join(t.text or "" for t in si.iter(S + "t") if t.getparent().tag != S + "rPh"))
    seen = Seen("xlsx")
    sheets_el = pkg.xml(main).find(S + "sheets")
    for sh in (sheets_el if sheets_el is not None else ()):
        name = sh.get("name", "")
        rid = sh.get(R + "id")
        if rid not in rels or rels[rid][0] != "worksheet":
            continue  # chartsheets and dialog sheets hold no register
        ws = pkg.xml(rels[rid][1])
        grid: list[tuple[int, list[str]]] = []
        count = 0
        for row in ws.iter(S + "row"):
            rnum = int(row.get("r")) if row.get("r", "").isdigit() else (grid[-1][0] + 1 if grid else 1)
            cells: list[str] = []
            for j, c in enumerate(row.iter(S + "c")):
                count += 1
                if count > MAX_CELLS:
                    raise TooLarge(f"sheet '{name}' has more than {MAX_CELLS} cells, more than sowpack reads")
                ref = c.get("r")
                m = _CELL.match(ref or "")
                col = _col_index(m.group(1)) if m else j
                if col >= MAX_COLUMNS:
                    if c.find(S + "v") is None and c.find(S + "is") is None:
                        continue  # formatting only: nothing a reader sees
                    raise TooLarge(f"sheet '{name}' has a value in cell {ref or col_letter(col)}, beyond the first "
                                   f"{MAX_COLUMNS} columns sowpack reads")
                t = c.get("t")
                if t == "inlineStr":
                    val = "".join(x.text or "" for x in c.iter(S + "t"))
                else:
                    v = c.find(S + "v")
                    val = v.text if v is not None and v.text is not None else ""
                    if t == "s" and val.strip().isdigit():
                        k = int(val)
                        val = shared[k] if k < len(shared) else ""
                    elif t == "b":
                        val = "TRUE" if val == "1" else "FALSE"
                while len(cells) <= col:
                    cells.append("")
                cells[col] = val  # a Text per cell is made only when asked (Seen.every_text)
            if any(x.strip() for x in cells):
                grid.append((rnum, cells))
        hf = ws.find(S + "headerFooter")
        if hf is not None:
            for part in hf:
                if part.text and part.text.strip():
                    where = "header" if "Header" in part.tag else "footer"
                    seen.texts.append(Text(re.sub(r"&[A-Z\d\"]+(?:\"[^\"]*\")?", " ", part.text), where, None,
                                           None, name))
        seen.sheets.append(Sheet(name, grid))
    return seen
