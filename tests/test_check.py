"""`sowpack check` on built packs: every finding code with a broken pack, hand-edited packs that pass,
the JSON and JUnit reports, exit codes."""
from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.checks.run import check_pack, to_json, to_junit
from pipeline.cli import main

from conftest import SPECS, loaded_samples, loaded_specs, per_engagement

HEALTH = "09-health-check/恒信集团云上架构健康报告.docx"
SURVEY_XLSX = "09-health-check/恒信集团云上架构调查报告.xlsx"
KICKOFF_PPTX = "09-health-check/恒信集团健康检查项目启动会议报告.pptx"
TRAINING_PPTX = "28-cost-steward/成本优化培训.pptx"
DESIGN_PDF = "01-data-middle-platform-architecture/恒信集团数据中台架构设计文档.pdf"


@pytest.fixture(params=per_engagement(["hengxin-retail"]))
def pack(request, sample_pack, tmp_path) -> Path:
    """A private copy of the built hengxin-retail pack, free to break."""
    dst = tmp_path / request.param
    shutil.copytree(sample_pack(request.param), dst)
    return dst


def run(pack: Path, specs: bool = True):
    return check_pack(pack, SPECS if specs else None)


def found(report, severity: str | None = None) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.deliverable, f.target) for f in report.findings if severity is None or f.severity == severity]


def codes(report, severity: str = "ERROR") -> set[str]:
    return {f.code for f in report.findings if f.severity == severity}


# --- python-docx / python-pptx / openpyxl edits, as a consultant's tools would save them ----------
def _docx_blocks(doc):
    """[(heading text or None, element)] of the body in order."""
    out, current = [], None
    for el in doc.element.body.iterchildren():
        if el.tag.endswith("}p"):
            style = el.pPr.pStyle.val if el.pPr is not None and el.pPr.pStyle is not None else ""
            text = "".join(t.text or "" for t in el.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))
            if style.startswith("Heading"):
                current = text
                out.append((current, el, True))
                continue
        out.append((current, el, False))
    return out


def edit_docx(path: Path, fn) -> None:
    from docx import Document

    doc = Document(str(path))
    fn(doc)
    doc.save(str(path))


def drop_section(title: str, keep_heading: bool = False):
    def fn(doc):
        for heading, el, is_heading in _docx_blocks(doc):
            if heading and title in heading and not el.tag.endswith("}sectPr"):
                if is_heading and keep_heading:
                    continue
                el.getparent().remove(el)
    return fn


def open_acceptances(engagement: str) -> set[tuple[int, str]]:
    """The acceptance reports the sample's ledger leaves as drafts: some deliverable they cover is not
    accepted yet (tools/sample_ledgers.py's stories: a rejection, a stage still open, a review)."""
    from pipeline.document.assemble import context, jobs_for

    eng = loaded_samples()[engagement]
    return {(j.spec.service, j.deliverable.id) for j in jobs_for(eng, loaded_specs())
            if j.deliverable.kind == "acceptance-report" and not context(j, eng)["ledger"]["all_closed"]}


@pytest.mark.parametrize("engagement", per_engagement())
@pytest.mark.parametrize("specs", [True, False], ids=["specs", "no-specs"])
def test_every_sample_pack_is_complete(sample_pack, engagement, specs):
    r = run(sample_pack(engagement), specs)
    # 草稿 is a warning on exactly the acceptance reports that are not signable yet, and on no other.
    drafts = {(f.service, f.deliverable) for f in r.findings if f.code == "completeness.draft"}
    assert drafts == open_acceptances(engagement), [str(f) for f in r.findings]
    assert not codes(r) and not codes(r, "WARNING") - {"rules.pricing-unit-exceeded", "completeness.draft"}, \
        [str(f) for f in r.findings]


def test_deleted_section(pack):
    edit_docx(pack / HEALTH, drop_section("网络架构检查结果"))
    r = run(pack)
    assert found(r, "ERROR") == [("completeness.missing-section", "health-report", "网络架构检查结果")]
    f = r.errors[0]
    assert f.service == 9 and f.format == "docx" and str(f.location).endswith(HEALTH)


def test_section_with_nothing_under_it(pack):
    edit_docx(pack / HEALTH, drop_section("存储架构检查结果", keep_heading=True))
    assert found(run(pack), "ERROR") == [("completeness.empty-section", "health-report", "存储架构检查结果")]


def test_section_out_of_order(pack):
    def swap(doc):
        blocks = _docx_blocks(doc)
        moving = [el for h, el, _ in blocks if h and "网络架构检查结果" in h]
        anchor = [el for h, el, _ in blocks if h and "存储架构检查结果" in h][-1]
        for el in moving:
            anchor.addnext(el)
            anchor = el
    edit_docx(pack / HEALTH, swap)
    assert ("completeness.section-order", "health-report", "网络架构检查结果") in found(run(pack), "ERROR") or \
        ("completeness.section-order", "health-report", "弹性计算架构检查结果") in found(run(pack), "ERROR")


def test_placeholders_in_body_header_and_footer(pack):
    def fn(doc):
        doc.paragraphs[-1].add_run("详见附件【XXX】")
        doc.sections[0].header.paragraphs[0].add_run(" TODO")
        doc.sections[0].footer.add_paragraph("版本：待定")
    edit_docx(pack / HEALTH, fn)
    msgs = [f.message for f in run(pack).findings if f.code == "completeness.placeholder"]
    assert any("'【XXX】'" in m and "the body" in m for m in msgs)
    assert any("'TODO'" in m and "the page header" in m for m in msgs)
    assert any("'待定'" in m and "the page footer" in m for m in msgs)


def test_toc_never_refreshed_and_stale(pack):
    from docx.oxml.ns import qn

    def unrefreshed(doc):
        for p in doc.paragraphs:
            if p.style.name.lower().startswith("toc "):
                for t in p._p.iter(qn("w:t")):
                    t.text = ""
        first = next(p for p in doc.paragraphs if p.style.name.lower() == "toc 1")
        first.add_run("Right-click to update field.")
    edit_docx(pack / HEALTH, unrefreshed)
    assert ("completeness.toc-empty", "health-report", None) in found(run(pack), "ERROR")


def test_new_heading_makes_the_toc_stale_but_the_pack_passes(pack):
    def fn(doc):
        doc.add_heading("九、附加说明", level=1)
        doc.add_paragraph("客户要求补充的说明。", style="Body Text")
    edit_docx(pack / HEALTH, fn)
    r = run(pack)
    assert not r.errors
    stale = [f for f in r.findings if f.code == "completeness.toc-stale"]
    assert len(stale) == 1 and "九、附加说明" in stale[0].message and stale[0].severity == "WARNING"


def _survey_sheet(wb):
    return next(ws for ws in wb.worksheets if ws.cell(1, 1).value == "资源ID")


def edit_xlsx(path: Path, fn) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    fn(_survey_sheet(wb))
    wb.save(path)


def test_blank_required_cell(pack):
    edit_xlsx(pack / SURVEY_XLSX, lambda ws: setattr(ws.cell(3, 2), "value", None))
    r = run(pack)
    assert found(r, "ERROR") == [("completeness.blank-cell", "survey-report", "资源名称")]
    loc = r.errors[0].location
    assert loc.cell == "B3" and loc.sheet and str(loc).endswith("!B3")


def test_missing_column_and_no_rows(pack):
    edit_xlsx(pack / SURVEY_XLSX, lambda ws: setattr(ws.cell(1, 3), "value", "产品"))
    r = run(pack)
    assert ("completeness.missing-column", "survey-report", "云产品") in found(r, "ERROR")
    edit_xlsx(pack / SURVEY_XLSX, lambda ws: ws.delete_rows(2, ws.max_row))
    assert ("completeness.no-rows", "survey-report", None) in found(run(pack), "ERROR")


def test_placeholder_in_a_cell(pack):
    edit_xlsx(pack / SURVEY_XLSX, lambda ws: setattr(ws.cell(2, 2), "value", "待补充"))
    f = [f for f in run(pack).findings if f.code == "completeness.placeholder"]
    assert f and f[0].location.cell == "B2" and f[0].format == "xlsx"


def test_missing_format_and_missing_deliverable(pack):
    (pack / KICKOFF_PPTX).unlink()
    r = run(pack)
    assert found(r, "ERROR") == [("completeness.missing-format", "kickoff-report", None)]
    assert r.errors[0].format == "pptx"
    # A deliverable gone from the folder and from the manifest: only the specs know it is due.
    (pack / HEALTH).unlink()
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["deliverables"] = [d for d in manifest["deliverables"] if d["deliverable"] != "health-report"]
    (pack / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    r = run(pack)
    assert ("completeness.missing-deliverable", "health-report", None) in found(r, "ERROR")
    assert "completeness.missing-deliverable" not in codes(run(pack, specs=False))


def test_wrong_extension_hint(pack):
    (pack / KICKOFF_PPTX).rename((pack / KICKOFF_PPTX).with_suffix(".ppt"))
    msg = next(f.message for f in run(pack).errors if f.code == "completeness.missing-format")
    assert "found 恒信集团健康检查项目启动会议报告.ppt" in msg


def _flip_middle(data: bytes) -> bytes:
    """Damage the compressed body of document.xml, keeping the zip directory intact."""
    import zipfile
    import io
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 40
    return data[:start] + bytes(b ^ 0xFF for b in data[start:start + 64]) + data[start + 64:]


@pytest.mark.parametrize("damage, code, words", [
    (lambda p, pk: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "completeness.unreadable", "truncated"),
    (lambda p, pk: p.write_bytes(b""), "completeness.unreadable", "empty"),
    (lambda p, pk: p.write_bytes(_flip_middle(p.read_bytes())), "completeness.unreadable", "corrupt"),
    (lambda p, pk: p.write_bytes(b"just some text, not a document"), "completeness.unreadable", "not a Word document"),
    (lambda p, pk: p.write_bytes((pk / SURVEY_XLSX).read_bytes()), "completeness.wrong-type",
     "an Excel workbook, not a Word document"),
    (lambda p, pk: p.write_bytes((pk / DESIGN_PDF).read_bytes()), "completeness.wrong-type", "a PDF, not a Word"),
])
def test_files_that_do_not_open(pack, damage, code, words):
    damage(pack / HEALTH, pack)
    r = run(pack)
    assert found(r, "ERROR") == [(code, "health-report", None)]
    assert words in r.errors[0].message


def test_truncated_pdf_pptx_xlsx(pack):
    for rel in (DESIGN_PDF, TRAINING_PPTX, SURVEY_XLSX):
        data = (pack / rel).read_bytes()
        (pack / rel).write_bytes(data[: len(data) * 2 // 3])
    r = run(pack)
    assert {(f.code, f.format) for f in r.errors} == {("completeness.unreadable", "pdf"),
                                                      ("completeness.unreadable", "pptx"),
                                                      ("completeness.unreadable", "xlsx")}


def tofu_pdf() -> bytes:
    """A PDF whose text extracts as Chinese but is drawn in Helvetica, not embedded: boxes on screen."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def /CMapType 2 def\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n"
            b"2 beginbfchar <41> <4E2D> <42> <6587> endbfchar\nendcmap CMapName currentdict /CMap defineresource pop "
            b"end end")
    content = b"BT /F1 24 Tf 72 700 Td (ABAB) Tj ET"

    def stream(data: bytes) -> bytes:
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
             b"/Contents 5 0 R >>"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>", stream(content), stream(cmap)]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def test_pdf_without_embedded_cjk_font(pack):
    (pack / DESIGN_PDF).write_bytes(tofu_pdf())
    r = run(pack)
    f = next(f for f in r.errors if f.code == "completeness.no-cjk-font")
    assert f.deliverable == "architecture-design" and "Helvetica" in f.message


def test_pptx_section_and_notes(pack):
    from pptx import Presentation

    prs = Presentation(str(pack / TRAINING_PPTX))
    ids = prs.slides._sldIdLst
    for slide, sid in list(zip(prs.slides, list(ids), strict=True)):
        if slide.shapes.title is not None and "培训目标" in slide.shapes.title.text_frame.text:
            ids.remove(sid)
    prs.slides[0].notes_slide.notes_text_frame.text = "讲稿 TBD"
    prs.save(str(pack / TRAINING_PPTX))
    r = run(pack)
    assert ("completeness.missing-section", "cost-optimization-training", "培训目标") in found(r, "ERROR")
    assert any(f.code == "completeness.placeholder" and "notes of slide 1" in f.message for f in r.errors)


def test_hand_edited_pack_stays_complete(pack):
    from openpyxl import load_workbook
    from pptx import Presentation

    def add_para(doc):
        heading = next(p for p in doc.paragraphs if p.style.name == "Heading 1" and "网络架构检查结果" in p.text)
        heading.insert_paragraph_before("顾问补充：以上为现场复核后的结论。", style="Body Text")
        doc.paragraphs[-1].add_run("（已与客户确认）")
    edit_docx(pack / HEALTH, add_para)
    wb = load_workbook(pack / SURVEY_XLSX)
    ws = _survey_sheet(wb)
    ws.append([ws.cell(2, c).value for c in range(1, ws.max_column + 1)])
    wb.save(pack / SURVEY_XLSX)
    prs = Presentation(str(pack / TRAINING_PPTX))
    last = prs.slides[-1]
    body = [s for s in last.shapes if s.has_text_frame and s.shape_id != last.shapes.title.shape_id]
    body[0].text_frame.add_paragraph().text = "补充：答疑记录见会议纪要。"
    prs.save(str(pack / TRAINING_PPTX))
    r = run(pack)
    assert not r.errors and not codes(r, "WARNING"), [str(f) for f in r.findings]
    assert json.loads(to_json(r))["complete"] is True


def test_extra_file_is_noted(pack):
    (pack / "09-health-check" / "草稿.txt").write_text("x", encoding="utf-8")
    (pack / "09-health-check" / "~$恒信集团云上架构健康报告.docx").write_bytes(b"lock")
    r = run(pack)
    assert [f.code for f in r.findings if f.severity == "INFO" and f.code.startswith("completeness")] == \
        ["completeness.extra-file"]


def test_json_report_is_stable(pack):
    (pack / KICKOFF_PPTX).unlink()
    data = json.loads(to_json(run(pack)))
    assert list(data) == ["schema", "tool", "tool_version", "pack", "engagement", "judged_against", "complete",
                          "counts", "deliverables", "findings"]
    assert data["schema"] == 1 and data["complete"] is False and data["judged_against"] == "specs"
    assert list(data["counts"]) == ["deliverables", "files", "errors", "warnings", "info"]
    err = next(f for f in data["findings"] if f["severity"] == "ERROR")
    assert list(err) == ["code", "severity", "message", "service", "deliverable", "format", "file", "location",
                         "target", "cite"]
    assert err == {**err, "code": "completeness.missing-format", "service": 9, "deliverable": "kickoff-report",
                   "format": "pptx", "file": KICKOFF_PPTX}
    d = next(d for d in data["deliverables"] if d["deliverable"] == "kickoff-report")
    assert d["status"] == "fail" and d["formats"] == ["docx", "pptx"]
    rule = next(f for f in data["findings"] if f["code"] == "rules.pricing-units")
    assert rule["cite"]["text"].startswith("数据资源盘点") and rule["cite"]["spec"].startswith("deliverable_specs/01-")


def test_junit_has_one_case_per_deliverable(pack):
    edit_docx(pack / HEALTH, drop_section("网络架构检查结果"))
    r = run(pack)
    root = ET.fromstring(to_junit(r))
    cases = root.findall(".//testcase")
    names = [c.get("name") for c in cases]
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    bought = {(d["service"], d["deliverable"]) for d in manifest["deliverables"]}
    assert len([n for n in names if n not in ("business rules", "pack")]) == len(r.expected) == len(bought)
    assert names.count("business rules") == 3 and names.count("pack") == 1
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["health-report 《XXXX项目架构健康报告》"]
    assert root.find("testsuite").get("failures") == "1"


def test_cli_exit_codes(pack, tmp_path):
    cli = CliRunner()
    ok = cli.invoke(main, ["check", str(pack)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip().splitlines()[-1].endswith("complete")
    edit_docx(pack / HEALTH, drop_section("网络架构检查结果"))
    bad = cli.invoke(main, ["check", str(pack), "--format", "json"])
    assert bad.exit_code == 1 and json.loads(bad.output)["counts"]["errors"] == 1
    junit = cli.invoke(main, ["check", str(pack), "--format", "junit", "--no-specs"])
    assert junit.exit_code == 1 and junit.output.startswith("<?xml")
    empty = tmp_path / "not-a-pack"
    empty.mkdir()
    nomanifest = cli.invoke(main, ["check", str(empty)])
    assert nomanifest.exit_code == 2 and "manifest.json is missing" in nomanifest.output
    (empty / "manifest.json").write_text("{not json", encoding="utf-8")
    assert cli.invoke(main, ["check", str(empty)]).exit_code == 2
    assert cli.invoke(main, ["check", str(pack), "--format", "yaml"]).exit_code == 2


def test_word_refreshed_toc_and_tracked_changes_pass(pack):
    """What Word writes after 'Update field' (sdt, hyperlinks, PAGEREF fields) and with track changes on."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    def fn(doc):
        body = doc.element.body
        toc = [p for p in body.iterchildren(qn("w:p"))
               if p.pPr is not None and p.pPr.pStyle is not None and re.fullmatch(r"(?i)toc ?\d", p.pPr.pStyle.val)]
        titles = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in toc]
        entries = [t for t in titles if t]
        runs = lambda n, t: (  # noqa: E731
            f'<w:hyperlink w:anchor="_Toc{n}"><w:r><w:t>{t}</w:t></w:r><w:r><w:tab/></w:r>'
            f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGEREF _Toc{n} \\h </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{n + 3}</w:t></w:r>'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink>')
        paras = []
        for n, t in enumerate(entries):
            begin = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> TOC \\o "1-3" \\h \\z \\u '
                     '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>') if n == 0 else ""
            end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>' if n == len(entries) - 1 else ""
            paras.append(f'<w:p><w:pPr><w:pStyle w:val="{toc[0].pPr.pStyle.val}"/></w:pPr>'
                         f'{begin}{runs(n, t)}{end}</w:p>')
        sdt = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
                        f'<w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>{"".join(paras)}</w:sdtContent></w:sdt>')
        toc[0].addprevious(sdt)
        for p in toc:
            body.remove(p)
        # Track changes: a deleted placeholder and an inserted sentence.
        target = doc.paragraphs[-1]._p
        target.append(parse_xml(f'<w:del {nsdecls("w")} w:id="901" w:author="顾问" w:date="2026-04-01T00:00:00Z">'
                                '<w:r><w:delText>【XXX】待补充</w:delText></w:r></w:del>'))
        target.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="902" w:author="顾问" w:date="2026-04-01T00:00:00Z">'
                                '<w:r><w:t>已与客户复核。</w:t></w:r></w:ins>'))
    edit_docx(pack / HEALTH, fn)
    r = run(pack)
    assert not r.errors and not codes(r, "WARNING"), [str(f) for f in r.findings]
    from pipeline.readers.read import read
    seen = read(pack / HEALTH)
    assert seen.toc and len(seen.toc["entries"]) == 8 and not seen.toc["unrefreshed"]
    assert any("已与客户复核" in t.text for t in seen.texts) and not any("【XXX】" in t.text for t in seen.texts)
