"""Input is data, never code: sandboxed templates, escaping per format, no raw HTML, no foreign fetches,
text never a formula, bad characters located, names kept inside the output folder, guarded spreadsheets."""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import MINI, ROOT


FOLDER = "90-mini-check"


@pytest.fixture
def mini(mini_engagement):
    """A fresh copy of the tiny engagement whose YAML the test rewrites before building."""
    return mini_engagement


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if ": ERROR: " in line]


def texts(path: Path) -> str:
    from pipeline.readers.dump import read
    return "\n".join(read(path).texts)


# --- templates run in a sandbox -------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["''.__class__.__mro__[1].__subclasses__()",
                                  "cycler.__init__.__globals__.os.popen('id').read()",
                                  "customer.__class__.__mro__"])
def test_a_template_reaching_for_python_internals_fails_cleanly(mini, expr):
    overlay = mini.root / "tpl" / "text"
    overlay.mkdir(parents=True)
    (overlay / "report.md.j2").write_text(f"# 检查概述\n\n{{{{ {expr} }}}}\n", encoding="utf-8")
    result = mini.build("--templates", str(mini.root / "tpl"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = error_lines(result)[0]
    assert line.startswith("tpl/text/report.md.j2:3: ERROR: access to attribute '__")
    assert "The sandbox refuses it" in line and line.endswith("[template.unsafe]")
    assert not mini.out.exists()


def test_survey_answers_are_never_evaluated_as_templates(mini):
    mini.save("answers/90-mini.yaml", mini.answers(检查概述="{{ 7*7 }} {{ ''.__class__.__mro__ }}"))
    result = mini.build()
    assert result.exit_code == 1
    assert "[input.placeholder]" in error_lines(result)[0] and "49" not in result.output


# --- every value escaped for the format it lands in -----------------------------------------------

EVIL = ["<w:p><w:r><w:t>注入</w:t></w:r></w:p>", "A & B && C <> D", "<script>alert(1)</script>", "]]>",
        "<![CDATA[x]]>", "<!-- 注释 -->", "\"双引号\" 'single'", "</a:t></a:r><a:r><a:t>"]


def test_markup_in_answers_renders_as_literal_text_in_every_format(mini):
    answers = mini.answers(检查概述="\n\n".join(f"第{i}段：{e}" for i, e in enumerate(EVIL)))
    answers["deliverables"]["catalog"]["rows"] = [{"编号": f"R-{i}", "资源名称": e, "状态": "启用"}
                                                 for i, e in enumerate(EVIL)]
    mini.save("answers/90-mini.yaml", answers)
    eng = mini.load("engagement.yaml")
    eng["customer"]["name"] = "测试<b>客户</b>&<script>x</script>有限公司"
    mini.save("engagement.yaml", eng)
    spec = (mini.specs / "90-mini.yaml").read_text(encoding="utf-8")
    (mini.specs / "90-mini.yaml").write_text(spec.replace("formats: [docx, pptx, pdf]", "formats: [docx, pptx, pdf, xlsx]"),
                                             encoding="utf-8")
    result = mini.build()
    assert result.exit_code == 0, result.output
    for fmt in ("docx", "pptx", "pdf", "xlsx"):
        got = texts(mini.pack / FOLDER / f"测试客户迷你检查报告.{fmt}")
        flat = "".join(got.split()) if fmt == "pdf" else got
        for i, e in enumerate(EVIL):
            want = f"第{i}段：{e}"
            assert ("".join(want.split()) if fmt == "pdf" else want) in flat, (fmt, e)
        assert "测试<b>客户</b>&<script>x</script>有限公司" in flat, fmt
    catalog = texts(mini.pack / FOLDER / "测试客户资源清单.xlsx")
    assert all(e in catalog for e in EVIL)


def test_register_cells_are_plain_text_not_markdown(mini):
    answers = mini.load("answers/90-mini.yaml")
    answers["deliverables"]["catalog"]["rows"][0]["资源名称"] = "&amp; **粗体** <b>x</b> [a](b)"
    mini.save("answers/90-mini.yaml", answers)
    assert mini.build().exit_code == 0
    assert "&amp; **粗体** <b>x</b> [a](b)" in texts(mini.pack / FOLDER / "测试客户资源清单.xlsx")


# --- Markdown cannot inject HTML; the PDF fetches only the project's own assets -------------------

HOSTNAME = Path("/etc/hostname")
ATTACK = ['<link rel="attachment" href="file:///etc/hostname">', '<img src="file:///etc/passwd">',
          '![logo](file:///etc/hostname)', '[点我](file:///etc/hostname)',
          '<iframe src="http://127.0.0.1:9/"></iframe>', '<style>@import url(file:///etc/hostname);</style>']


def _pdf_has_no_attachment(data: bytes) -> None:
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(data))
    assert reader.attachments == {}
    for page in reader.pages:
        assert all(a.get_object().get("/Subtype") != "/FileAttachment" for a in page.get("/Annots") or [])
    assert b"/EmbeddedFile" not in data and b"/FileAttachment" not in data


def test_raw_html_in_answers_is_text_and_nothing_gets_into_the_pdf(mini):
    mini.save("answers/90-mini.yaml", mini.answers(检查概述="\n\n".join(ATTACK)))
    result = mini.build()
    assert result.exit_code == 0, result.output
    pdf = mini.pack / FOLDER / "测试客户迷你检查报告.pdf"
    _pdf_has_no_attachment(pdf.read_bytes())
    flat = "".join(texts(pdf).split())
    assert '<linkrel="attachment"href="file:///etc/hostname">' in flat
    if HOSTNAME.is_file() and HOSTNAME.read_text().strip():
        assert HOSTNAME.read_text().strip() not in texts(pdf).replace('file:///etc/hostname', '')


def test_the_pdf_fetcher_refuses_everything_but_project_assets(tmp_path, monkeypatch):
    import pipeline.renderers.pdf as pdf
    fetch = pdf._fetcher().fetch
    for url in ("file:///etc/hostname", "http://127.0.0.1:9/x.css", "https://example.com/font.woff",
                f"file://{pdf.PDF_ASSETS}/../../pyproject.toml", "ftp://example.com/x"):
        with pytest.raises(ValueError, match="sowpack refuses to fetch"):
            fetch(url)
    assert fetch(f"file://{pdf.PDF_ASSETS / 'style.css'}")  # the project's own stylesheet is served
    # A link inside the assets folder that points outside it is refused too.
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "evil.css").symlink_to("/etc/hostname")
    monkeypatch.setattr(pdf, "PDF_ASSETS", assets)
    with pytest.raises(ValueError):
        fetch(f"file://{assets / 'evil.css'}")


def test_even_unescaped_html_cannot_attach_a_local_file(tmp_path):
    """Defence in depth: the fetcher alone stops the WeasyPrint attachment trick."""
    from weasyprint import HTML

    import pipeline.renderers.pdf as pdf
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4242", encoding="utf-8")
    html = (f'<html><head><link rel="attachment" href="file://{secret}"></head><body>'
            f'<a rel="attachment" href="file://{secret}">x</a><img src="file://{secret}"></body></html>')
    data = HTML(string=html, base_url=str(pdf.PDF_ASSETS) + "/", url_fetcher=pdf._fetcher()).write_pdf()
    _pdf_has_no_attachment(data)
    assert b"TOP-SECRET-4242" not in data


# --- survey text never becomes an Excel formula --------------------------------------------------

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://evil.example/","点我")', "=cmd|' /C calc'!A0",
            "-2+3"]


def test_text_starting_with_formula_characters_stays_text_in_excel(mini):
    from openpyxl import load_workbook
    answers = mini.answers(检查结论="=1+1")
    answers["deliverables"]["catalog"]["rows"] = [{"编号": f, "资源名称": f, "状态": "启用"} for f in FORMULAS]
    mini.save("answers/90-mini.yaml", answers)
    spec = (mini.specs / "90-mini.yaml").read_text(encoding="utf-8")
    (mini.specs / "90-mini.yaml").write_text(spec.replace("formats: [docx, pptx, pdf]", "formats: [docx, xlsx]"),
                                             encoding="utf-8")
    assert mini.build().exit_code == 0
    for name in ("测试客户资源清单.xlsx", "测试客户迷你检查报告.xlsx"):
        path = mini.pack / FOLDER / name
        with zipfile.ZipFile(path) as zf:
            sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets), name
        wb = load_workbook(path)  # not data_only: a formula would show up as one
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        assert all(c.data_type != "f" for c in cells)
        values = {c.value for c in cells}
        if name.startswith("测试客户资源清单"):
            assert set(FORMULAS) <= values
        else:
            assert "=1+1" in values


# --- control characters and lone surrogates: rejected at their place -----------------------------

@pytest.mark.parametrize("char, shown", [("\x07", "U+0007"), ("\x1b", "U+001B"), ("\ud800", "U+D800"),
                                         ("\udfff", "U+DFFF"), ("\x00", "U+0000")])
def test_bad_characters_in_answers_are_rejected_with_their_location(mini, char, shown):
    mini.save("answers/90-mini.yaml", mini.answers(检查概述=f"本次{char}检查"))
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = error_lines(result)[0]
    assert line.startswith("eng/answers/90-mini.yaml:")
    assert f"section '检查概述' contains the control character {shown}" in line
    assert not mini.out.exists()


def test_bad_characters_in_register_rows_and_engagement_fields_are_located(mini):
    answers = mini.load("answers/90-mini.yaml")
    answers["deliverables"]["catalog"]["rows"][1]["资源名称"] = "日志\x1b归档桶"
    mini.save("answers/90-mini.yaml", answers)
    result = mini.build()
    assert "column '资源名称' contains the control character U+001B" in error_lines(result)[0]
    shutil.copy(MINI / "engagement" / "answers" / "90-mini.yaml", mini.eng / "answers" / "90-mini.yaml")
    eng = mini.load("engagement.yaml")
    eng["customer"]["name"] = "测试\ud83d客户"
    mini.save("engagement.yaml", eng)
    result = mini.build()
    assert result.exit_code == 1
    line = error_lines(result)[0]
    assert line.startswith("eng/engagement.yaml:") and "'customer.name' contains the character U+D83D" in line


def test_a_raw_control_character_in_a_yaml_file_is_located(mini):
    path = mini.eng / "answers" / "90-mini.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("本次检查", "本次\x07检查"), encoding="utf-8")
    result = mini.build()
    assert error_lines(result)[0].startswith("eng/answers/90-mini.yaml:6:")
    assert "the control character U+0007 is not allowed in YAML; delete it" in result.output


# --- names derived from input stay inside the output folder ---------------------------------------

def test_a_customer_called_dot_dot_slash_etc_stays_inside_the_output_folder(mini):
    eng = mini.load("engagement.yaml")
    eng["customer"] = {"name": "../../etc", "short_name": "../../../../etc/"}
    eng["project"] = "../../../tmp/pwned"
    mini.save("engagement.yaml", eng)
    before = {p for p in mini.root.rglob("*")}
    result = mini.build()
    assert result.exit_code == 0, result.output
    created = {p for p in mini.root.rglob("*")} - before
    pack = mini.pack.resolve()
    assert created and all(p.resolve() == mini.out.resolve() or pack == p.resolve()
                           or pack in p.resolve().parents for p in created)
    names = sorted(p.name for p in (mini.pack / FOLDER).iterdir())
    assert all("/" not in n and not n.startswith(".") for n in names), names
    assert "../../../../etc/" in texts(mini.pack / FOLDER / names[0])  # the text itself is kept


def test_the_writer_refuses_paths_outside_its_folder(tmp_path):
    from pipeline.core.errors import InputError
    from pipeline.core.writer import OutputWriter, safe_name
    w = OutputWriter(tmp_path / "pack")
    for rel in ("../x.docx", "a/../../x.docx", "/etc/passwd"):
        with pytest.raises(InputError, match="outside the output folder"):
            w.target(rel)
    for text in ("../../etc", "..", ".", "a/b\\c:d*e?f\"g<h>i|j", "\x00"):
        name = safe_name(text)
        assert "/" not in name and "\\" not in name and name not in (".", "..", "")


def test_a_tampered_manifest_cannot_make_a_build_delete_files_outside_the_pack(mini):
    import json
    victim = mini.root / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    assert mini.build().exit_code == 0
    manifest = json.loads((mini.pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["deliverables"].append({"path": "../../victim.txt", "sha256": "x", "service": 90, "deliverable": "x"})
    manifest["deliverables"][0]["pending"] = {"path": "../../victim.txt", "sha256": "y"}
    (mini.pack / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    mini.save("answers/90-mini.yaml", mini.answers(检查概述="改过"))
    assert mini.build().exit_code == 0
    assert victim.read_text(encoding="utf-8") == "keep me"


# --- input spreadsheets: values only, never formulas; size and zip-bomb guards --------------------

def _excel_answers(mini, xlsx: Path) -> None:
    answers = mini.load("answers/90-mini.yaml")
    answers["deliverables"]["catalog"] = {"rows_from": {"file": xlsx.name, "sheet": "资源清单"}}
    mini.save("answers/90-mini.yaml", answers)


def _workbook(path: Path, rows) -> Path:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "资源清单"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_input_formulas_are_never_evaluated_only_stored_values_are_read(mini):
    from pipeline.inputs.excel_source import read_rows
    path = _workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"], ["R-1", "=1+1", "启用"],
                                               ["R-2", '=WEBSERVICE("http://127.0.0.1:9/")', "启用"]])
    # Give the first formula a stored value that is *not* what evaluating it would give.
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<f>1+1</f><v></v>" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>99</v>")
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    rows, findings = read_rows(path, "资源清单")
    assert findings == []
    assert [r["资源名称"] for r in rows.rows] == [99, None]
    _excel_answers(mini, path)
    result = mini.build()  # the formula without a stored value is a blank cell, at its place
    assert result.exit_code == 1
    assert error_lines(result)[0].startswith("eng/资源清单.xlsx[资源清单]!B3: ERROR: required column '资源名称' is blank")


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(mini):
    path = _workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"], ["R-1", "订单库", "启用"]])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/media/bomb.bin", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(210):
                fh.write(chunk)
    assert path.stat().st_size < 2_000_000
    _excel_answers(mini, path)
    result = mini.build()
    assert result.exit_code == 1
    assert error_lines(result)[0].startswith("eng/资源清单.xlsx: ERROR: workbook unpacks to ")
    assert "(zip bomb?)" in result.output


def test_an_oversized_workbook_is_refused(mini):
    path = mini.eng / "资源清单.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # sparse: big on paper, nothing on disk
    _excel_answers(mini, path)
    result = mini.build()
    assert result.exit_code == 1
    assert "over the 20971520 allowed; split it [input.bad-excel]" in error_lines(result)[0]


def test_too_many_rows_are_refused(mini, monkeypatch):
    import pipeline.inputs.excel_source as xs
    monkeypatch.setattr(xs, "MAX_ROWS", 3)
    path = _workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"]] + [[f"R-{i}", "库", "启用"] for i in range(5)])
    _excel_answers(mini, path)
    result = mini.build()
    assert result.exit_code == 1 and "more than 3 rows" in error_lines(result)[0]


def test_an_oversized_yaml_file_is_refused(mini, monkeypatch):
    import pipeline.core.yamlio as yamlio
    monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", 100)
    result = mini.build()
    assert result.exit_code == 1 and "larger than the 100 allowed" in error_lines(result)[0]


def test_yaml_tags_that_would_build_python_objects_are_refused(mini):
    path = mini.eng / "answers" / "90-mini.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "本次检查覆盖", "!!python/object/apply:os.system ['touch pwned']\n      x: 本次检查覆盖", 1), encoding="utf-8")
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "could not determine a constructor for the tag" in error_lines(result)[0]
    assert not (mini.root / "pwned").exists() and not (ROOT / "pwned").exists()
    assert os.path.exists(path)
