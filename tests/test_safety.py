"""Input is data, never code: sandboxed templates, escaping per format, no raw HTML, no foreign fetches,
text never a formula, bad characters located, names kept inside the output folder, guarded spreadsheets."""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import MINI, ROOT, write_workbook


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
    (overlay / "report.md.j2").write_text(f"正文\n\n{{{{ {expr} }}}}\n", encoding="utf-8")
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
    (mini.specs / "90-mini.yaml").write_text(spec.replace("formats: [docx, pptx, pdf]",
                                                          "formats: [docx, pptx, pdf, xlsx]"),
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



@pytest.mark.parametrize("written", ["raw", "escaped"])
def test_a_bidirectional_control_in_a_fact_or_a_section_name_is_found_raw_or_escaped(mini, written, monkeypatch):
    """A file whose text holds no such character and no backslash is not walked (its registers are
    large); a raw bidirectional control (YAML allows it) or any escape makes it walked."""
    from pipeline.core import yamlio
    path = mini.eng / "answers" / "90-mini.yaml"
    text = path.read_text(encoding="utf-8")
    char = "\u202e" if written == "raw" else "\\u202E"
    assert "facts:" not in text
    assert mini.build().exit_code == 0 and not yamlio.may_hold_bad_chars(path)  # not walked
    text = text.replace("version: 1\n", f'version: 1\nfacts:\n  owner: "张{char}三"\n', 1)
    path.write_text(text.replace("    sections:\n      检查概述:", f'    sections:\n      "检查{char}概述":', 1),
                    encoding="utf-8")
    result = mini.build()
    assert result.exit_code == 1
    lines = error_lines(result)
    assert any("'facts.owner' contains the character U+202E" in line for line in lines), lines
    assert any("检查\\u202e概述' contains the character U+202E" in line for line in lines), lines
    # Again from the cached parse, which remembers that its text has such a character.
    yamlio._PLAIN.clear()

    def parse(*args):
        raise AssertionError("parsed again")
    monkeypatch.setattr("pipeline.core.yamlparse.parse", parse)
    assert error_lines(mini.build()) == lines and yamlio._PLAIN[str(path.resolve())]

@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_symbolic_link_loop_among_the_inputs_is_one_line(mini):
    answers = mini.eng / "answers" / "90-mini.yaml"
    answers.unlink()
    os.symlink("loop-b", mini.eng / "answers" / "loop-a")
    os.symlink("loop-a", mini.eng / "answers" / "loop-b")
    os.symlink("loop-a", answers)
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("Error: input: ") and last.endswith(
        "answers/loop-a: a symbolic link that leads back to itself; replace it with the file or folder it should name")
    assert not mini.out.exists()


# --- names derived from input stay inside the output folder ---------------------------------------

def test_a_customer_called_dot_dot_slash_etc_stays_inside_the_output_folder(mini):
    eng = mini.load("engagement.yaml")
    eng["customer"] = {"name": "../../etc", "short_name": "../../../../etc/"}
    eng["project"] = "../../../tmp/pwned"
    mini.save("engagement.yaml", eng)
    before = {p for p in mini.root.rglob("*")}
    result = mini.build()
    assert result.exit_code == 0, result.output
    # Besides the pack, the build only records in the engagement folder where it built it (for `signoff`).
    from pipeline.core.lastpack import LAST_PACK
    created = {p for p in mini.root.rglob("*")} - before - {mini.eng / LAST_PACK}
    pack = mini.pack.resolve()
    lock = (mini.out / ".sowpack.lock").resolve()  # the output folder's build lock
    assert created and all(p.resolve() in (mini.out.resolve(), lock) or pack == p.resolve()
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


def test_input_formulas_are_never_evaluated_only_stored_values_are_read(mini):
    from pipeline.inputs.excel_source import read_rows
    path = write_workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"], ["R-1", "=1+1", "启用"],
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
    assert error_lines(result)[0].startswith("eng/资源清单.xlsx[资源清单]!B3: ERROR: "
                                             "required column '资源名称' is blank")


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(mini):
    path = write_workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"], ["R-1", "订单库", "启用"]])
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
    path = write_workbook(mini.eng / "资源清单.xlsx",
                     [["编号", "资源名称", "状态"]] + [[f"R-{i}", "库", "启用"] for i in range(5)])
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


# --- inputs: only regular files, only inside the engagement folder -----------------------------

@pytest.fixture
def no_hang():
    """Fail (instead of hanging the suite) if a build blocks on a special file."""
    import signal

    def stop(signum, frame):
        raise TimeoutError("the build blocked on a special file")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("where", ["rows_from", "answers", "engagement.yaml"])
def test_a_fifo_as_an_input_is_refused_at_once(mini, no_hang, where):
    if where == "rows_from":
        os.mkfifo(mini.eng / "资源清单.xlsx")
        _excel_answers(mini, mini.eng / "资源清单.xlsx")
        want = ("eng/answers/90-mini.yaml:13:7: ERROR: 'rows_from.file' '资源清单.xlsx' is a FIFO, not a regular "
                "file; point it at an .xlsx workbook [input.bad-value]")
    elif where == "answers":
        os.mkfifo(mini.eng / "answers" / "pipe.yaml")
        mini.edit("engagement.yaml", "answers: answers/90-mini.yaml", "answers: answers/pipe.yaml")
        want = ("eng/engagement.yaml:14:5: ERROR: 'answers' path 'answers/pipe.yaml' is a FIFO, not a regular file; "
                "point it at a YAML file [input.bad-value]")
    else:
        (mini.eng / "engagement.yaml").unlink()
        os.mkfifo(mini.eng / "engagement.yaml")
        want = ("eng/engagement.yaml: ERROR: engagement.yaml is a FIFO, not a regular file; replace it with the file "
                "itself [input.bad-value]")
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert error_lines(result)[0] == want
    assert not mini.out.exists()


@pytest.mark.parametrize("answers", ["../other/90-mini.yaml", "answers/link.yaml", "/dev/zero", "answers"])
def test_answers_are_read_only_from_inside_the_engagement_folder(mini, no_hang, answers):
    other = mini.root / "other"
    other.mkdir()
    shutil.copy(mini.eng / "answers" / "90-mini.yaml", other / "90-mini.yaml")
    (mini.eng / "answers" / "link.yaml").symlink_to(other / "90-mini.yaml")  # a link that leads out
    mini.edit("engagement.yaml", "answers: answers/90-mini.yaml", f"answers: {answers}")
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = error_lines(result)[0]
    assert line.startswith("eng/engagement.yaml:14:5: ERROR: 'answers' path "), line
    if answers == "answers":
        assert "is a folder, not a regular file; point it at a YAML file [input.bad-value]" in line
    else:
        assert line.endswith("leaves the engagement folder eng; copy the file into the folder and name it from "
                             "there [input.bad-value]"), line
    assert not mini.out.exists()


def test_a_workbook_linked_from_outside_the_engagement_is_refused(mini, no_hang):
    outside = write_workbook(mini.root / "外部.xlsx", [["编号", "资源名称", "状态"], ["R-1", "订单库", "启用"]])
    (mini.eng / "资源清单.xlsx").symlink_to(outside)
    _excel_answers(mini, mini.eng / "资源清单.xlsx")
    result = mini.build()
    assert result.exit_code == 1
    assert error_lines(result)[0] == ("eng/answers/90-mini.yaml:13:7: ERROR: 'rows_from.file' '资源清单.xlsx' "
                                      "leaves the engagement folder eng; copy the workbook into the folder and name it "
                                      "from there [input.bad-value]")
# --- resource bombs: bounded work on any input (core/limits.py) ------------------------------------

def test_a_workbook_declaring_a_huge_dimension_is_read_at_its_real_size(mini):
    """<dimension ref="A1:XFD1048576"/> once made openpyxl pad every row to 16,384 cells: minutes of CPU."""
    import re
    import time
    from pipeline.inputs.excel_source import read_rows
    path = write_workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"], ["R-1", "订单库", "启用"]])
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', parts[sheet])
    # A formatted but empty row at the very bottom, as Excel writes for a row height.
    parts[sheet] = parts[sheet].replace(b"</sheetData>", b'<row r="1048576" ht="20" customHeight="1">'
                                                           b'<c r="XFD1048576" s="0"/></row></sheetData>')
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    start = time.monotonic()
    rows, findings = read_rows(path, "资源清单")
    assert findings == [] and rows.header == ["编号", "资源名称", "状态"] and len(rows.rows) == 1
    assert time.monotonic() - start < 20  # was over two minutes


def test_a_sheet_with_too_many_cells_is_refused_before_openpyxl_reads_it(mini, monkeypatch):
    import pipeline.inputs.excel_source as xs
    monkeypatch.setattr(xs, "MAX_CELLS", 20)
    rows = [["编号", "资源名称", "状态"]] + [[f"R-{i}", "库", "启用"] for i in range(8)]
    path = write_workbook(mini.eng / "资源清单.xlsx", rows)
    _excel_answers(mini, path)
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert error_lines(result)[0] == ("eng/资源清单.xlsx[资源清单]: ERROR: the sheet has more than 20 cells, more than "
                                      "sowpack reads; keep only the register in it [input.bad-excel]")


def test_a_workbook_part_that_unpacks_too_far_is_refused(mini, monkeypatch):
    import pipeline.inputs.excel_source as xs
    monkeypatch.setattr(xs, "MAX_XML_PART_BYTES", 100_000)
    path = write_workbook(mini.eng / "资源清单.xlsx", [["编号", "资源名称", "状态"], ["R-1", "订单库", "启用"]])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", b" " * 200_000)
    _excel_answers(mini, path)
    result = mini.build()
    assert error_lines(result)[0] == ("eng/资源清单.xlsx: ERROR: the part xl/sharedStrings.xml unpacks to 200000 "
                                      "bytes, over the 100000 allowed (zip bomb?); keep only the register in this "
                                      "workbook [input.bad-excel]")


def test_yaml_limits_hold_for_specs_too(mini):
    path = mini.specs / "90-mini.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "x: " + "{a: " * 40 + "1" + "}" * 40 + "\n", encoding="utf-8")
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert error_lines(result)[0].startswith("specs/90-mini.yaml:")
    assert "nested more than 32 levels deep" in error_lines(result)[0] and "[spec.yaml]" in error_lines(result)[0]


def test_a_yaml_register_written_out_still_loads_fast():
    """The limits leave room for real inputs: 20,000 rows written by hand load in a few seconds."""
    import time
    from pipeline.core.yamlio import load_yaml
    import tempfile
    text = "rows:\n" + "".join(f"  - {{编号: R-{i:05d}, 资源名称: 订单数据库{i}, 状态: 启用}}\n" for i in range(20_000))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text, encoding="utf-8")
        start = time.monotonic()
        data, positions, findings = load_yaml(path, "input")
    assert findings == [] and len(data["rows"]) == 20_000 and positions[("rows", 19_999, "状态")] == (20_001, 37)
    assert time.monotonic() - start < 60  # about 2 s on a quiet machine


def _bomb(path: Path, part: str, size: int) -> None:
    """Rewrite an Office file so that one part unpacks to size bytes of blanks (compressed to a few KB)."""
    with zipfile.ZipFile(path) as zf:
        parts = [(i.filename, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts:
            if name == part:
                with zf.open(name, "w", force_zip64=True) as fh:
                    fh.write(data)
                    for _ in range(size // (1 << 20)):
                        fh.write(b" " * (1 << 20))
            else:
                zf.writestr(name, data)


def test_check_refuses_a_part_that_unpacks_past_the_limit(mini, monkeypatch):
    from pipeline.checks.run import check_pack
    import pipeline.readers.common as common
    assert mini.build().exit_code == 0
    monkeypatch.setattr(common, "MAX_XML_PART_BYTES", 4 << 20)
    docx = mini.pack / FOLDER / "测试客户迷你检查报告.docx"
    _bomb(docx, "word/document.xml", 8 << 20)
    assert docx.stat().st_size < 100_000
    found = [f for f in check_pack(mini.pack, mini.specs).findings if f.is_error]
    assert [f.code for f in found] == ["completeness.too-large"]
    assert "the part 'word/document.xml' unpacks to 8" in found[0].message and "(zip bomb?)" in found[0].message


def test_check_refuses_a_sheet_value_far_to_the_right(mini):
    from pipeline.checks.run import check_pack
    assert mini.build().exit_code == 0
    xlsx = mini.pack / FOLDER / "测试客户资源清单.xlsx"
    with zipfile.ZipFile(xlsx) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet] = parts[sheet].replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x'
                                                          b'</t></is></c></row></sheetData>')
    with zipfile.ZipFile(xlsx, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    found = [f for f in check_pack(mini.pack, mini.specs).findings if f.is_error]
    assert [f.code for f in found] == ["completeness.too-large"], [str(f) for f in found]
    assert "cell XFD1048576, beyond the first 256 columns" in found[0].message


def test_a_deeply_nested_or_huge_manifest_is_one_line_for_check(mini):
    assert mini.build().exit_code == 0
    (mini.pack / "manifest.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    from click.testing import CliRunner
    from pipeline.cli import main
    result = CliRunner().invoke(main, ["check", str(mini.pack)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip() == ("Error: input: out/eng/manifest.json is nested too deeply to be a sowpack "
                                     "manifest; rebuild the pack with `sowpack build`")


# --- text shown anywhere is cleaned ----------------------------------------------------------------

def test_messages_escape_what_they_quote():
    from pipeline.core.errors import Finding, InputError, Location
    from pipeline.core.text import clean, printable, quote
    assert quote("a\x1b[31mb\u202ec\nd") == "'a\\x1b[31mb\\u202ec\\nd'"
    assert printable("x\u2028y\x7f\x9b\u2066", keep_newlines=True) == "x\\u2028y\\x7f\\x9b\\u2066"
    assert printable("one\ntwo", keep_newlines=True) == "one\ntwo"
    f = Finding("input.bad-value", "got 'a\x1b]0;pwned\x07b'", Location("d\x1b[2J/e.yaml", 3, 1, sheet="s\u202e"))
    assert str(f) == "d\\x1b[2J/e.yaml[s\\u202e]:3:1: ERROR: got 'a\\x1b]0;pwned\\x07b' [input.bad-value]"
    assert InputError("bad \x1b[31m").format_message() == "input: bad \\x1b[31m"
    assert clean("a\x7fb\x85c\u202ed\u2066e\u200ff\u061cg") == "abcdefg"


@pytest.mark.parametrize("text", ["报告\u202eexe.docx", "a\x9bb", "c\x7fd", "e\u2067f", "g\ud800h"])
def test_derived_names_hold_no_control_or_bidirectional_character(text):
    from pipeline.core.text import bad_char
    from pipeline.core.writer import safe_name
    name = safe_name(text)
    assert bad_char(name) is None and "_" in name


def test_an_engagement_folder_name_with_an_escape_sequence_is_refused_and_shown_escaped(mini):
    evil = mini.root / "eng\x1b[31m"
    mini.eng.rename(evil)
    from click.testing import CliRunner
    from pipeline.cli import main
    result = CliRunner().invoke(main, ["build", str(evil), "--specs", str(mini.specs), "--out", str(mini.out)])
    assert result.exit_code == 1 and "\x1b" not in result.output
    assert error_lines(result)[0] == ("eng\\x1b[31m: ERROR: the engagement folder name 'eng\\x1b[31m' contains the "
                                      "control character U+001B, and the pack folder is named after it; rename the "
                                      "folder [input.bad-value]")
    assert not mini.out.exists()


# --- names and concurrency ---------------------------------------------------------------------------

def test_a_long_customer_short_name_still_gives_names_that_fit_255_bytes(mini):
    eng = mini.load("engagement.yaml")
    eng["customer"]["short_name"] = "很长的客户简称" * 20
    mini.save("engagement.yaml", eng)
    result = mini.build()
    assert result.exit_code == 0, result.output
    names = [p.name for p in (mini.pack / FOLDER).iterdir()]
    assert len(names) == 4
    # Each name fits with a .bak-NNN tag and the writer's temporary suffix ('.', '.XXXXXXXX.tmp').
    assert all(len(n.encode()) + len(".bak-999") + 14 <= 255 for n in names), names
    result = mini.build("--force")  # every file replaced once more through a temporary name
    assert result.exit_code == 0, result.output


def test_two_engagement_folders_that_sanitise_alike_are_an_error_naming_both(mini):
    a, b = mini.root / "a:b", mini.root / "a_b"
    shutil.copytree(mini.eng, a)
    shutil.copytree(mini.eng, b)
    from click.testing import CliRunner
    from pipeline.cli import main
    result = CliRunner().invoke(main, ["build", str(a), str(b), "--specs", str(mini.specs), "--out", str(mini.out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert error_lines(result)[0] == ("a_b: ERROR: the engagement folders 'a:b' and 'a_b' would both build into "
                                      "'out/a_b'; rename one of them or build them with different --out folders "
                                      "[input.bad-value]")
    assert not mini.out.exists()


def test_the_build_lock_lives_with_the_output_folder_whatever_tmpdir(tmp_path, monkeypatch):
    import tempfile
    from pipeline.build.run import LOCK, output_lock
    from pipeline.core.errors import BusyError
    out = tmp_path / "out"
    monkeypatch.setenv("TMPDIR", str(tmp_path / "t1"))
    (tmp_path / "t1").mkdir()
    (tmp_path / "t2").mkdir()
    tempfile.tempdir = None
    try:
        with output_lock(out):
            assert (out / LOCK).is_file()
            monkeypatch.setenv("TMPDIR", str(tmp_path / "t2"))
            tempfile.tempdir = None
            with pytest.raises(BusyError, match="another sowpack build is writing to"):
                with output_lock(out):
                    pass
            (out / "pack").mkdir()
        assert out.is_dir()  # it holds a pack now: the folder and its lock stay
        with output_lock(out):
            pass
    finally:
        tempfile.tempdir = None
    with output_lock(tmp_path / "fresh"):
        pass
    assert not (tmp_path / "fresh").exists()  # nothing written: no folder left behind


@pytest.mark.parametrize("umask, mode", [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_files_are_created_with_the_users_umask(mini, umask, mode):
    import stat
    from pipeline.core.writer import file_mode
    old = os.umask(umask)
    file_mode.cache_clear()
    try:
        result = mini.build()
    finally:
        os.umask(old)
        file_mode.cache_clear()
    assert result.exit_code == 0, result.output
    files = [p for p in mini.pack.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == mode for p in files), \
        {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}


# --- every failure is one line: a full disk --------------------------------------------------------

class _FullDisk:
    """A file object whose writes fail as on a full disk."""

    def __init__(self, fh) -> None:
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()

    def write(self, data):
        import errno
        raise OSError(errno.ENOSPC, "No space left on device")


def _disk_full_for(monkeypatch, name: str) -> None:
    """Make writes to temporary files of `name` (.<name>.XXXX.tmp) fail with ENOSPC."""
    real = os.fdopen

    def fdopen(fd, *args, **kwargs):
        fh = real(fd, *args, **kwargs)
        target = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        return _FullDisk(fh) if target.startswith(f".{name}.") else fh
    monkeypatch.setattr(os, "fdopen", fdopen)


def _agree(mini) -> None:
    """Every file the manifest lists is on disk with the recorded hash."""
    from pipeline.core.manifest import sha256_file
    for d in mini.manifest()["deliverables"]:
        assert sha256_file(mini.pack / d["path"]) == d["sha256"], d["path"]


def test_a_full_disk_at_the_journal_is_one_line_and_changes_nothing(mini, monkeypatch):
    assert mini.build().exit_code == 0
    before = mini.files()
    mini.save("answers/90-mini.yaml", mini.answers(检查概述="本次检查覆盖 4 个业务系统。"))
    _disk_full_for(monkeypatch, ".sowpack-journal.json")
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines()[-1] == (
        "Error: write: cannot write out/eng/.sowpack-journal.json: No space left on device; nothing in out/eng was "
        "changed; free some space or fix the permissions, then build again")
    assert mini.files() == before
    monkeypatch.undo()
    assert mini.build().exit_code == 0
    _agree(mini)


def test_a_full_disk_at_the_manifest_is_one_line_and_the_next_build_records_the_files(mini, monkeypatch):
    from pipeline.checks.run import check_pack
    assert mini.build().exit_code == 0
    before = mini.files()
    mini.save("answers/90-mini.yaml", mini.answers(检查概述="本次检查覆盖 4 个业务系统。"))
    _disk_full_for(monkeypatch, "manifest.json")
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines()[-1] == (
        "Error: write: cannot write out/eng/manifest.json: No space left on device; the files written are listed in "
        ".sowpack-journal.json, so the next build records them; free some space or fix the permissions, then build "
        "again")
    after = mini.files()
    assert after["manifest.json"] == before["manifest.json"] and not [p for p in after if p.endswith(".tmp")]
    report = check_pack(mini.pack, mini.specs)
    assert report.findings[0].code == "check.interrupted" and report.findings[0].is_error
    monkeypatch.undo()
    result = mini.build("--explain")
    assert result.exit_code == 0, result.output
    assert "not rebuilt" in result.output  # the files written before the failure are recorded, not rendered again
    _agree(mini)
    assert not [f for f in check_pack(mini.pack, mini.specs).findings if f.is_error]


# --- an interrupted build never leaves a file recorded as built from sources it was not built from ----

_STATES = {"A": {}, "B": {"检查概述": "本次检查覆盖 4 个业务系统、45 个云资源。", "资源名称": "订单主库"}}


def _layout(root: Path) -> None:
    """The mini engagement (report in docx and pptx, the register in xlsx) at root/eng, its specs at root/specs."""
    shutil.copytree(MINI / "engagement", root / "eng")
    shutil.copytree(MINI / "specs", root / "specs")
    spec = root / "specs" / "90-mini.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("formats: [docx, pptx, pdf]", "formats: [docx, pptx]"),
                    encoding="utf-8")


def _set_state(root: Path, state: str) -> None:
    import yaml
    path = root / "eng" / "answers" / "90-mini.yaml"
    data = yaml.safe_load((MINI / "engagement" / "answers" / "90-mini.yaml").read_text(encoding="utf-8"))
    change = _STATES[state]
    if "检查概述" in change:
        data["deliverables"]["report"]["sections"]["检查概述"] = change["检查概述"]
    if "资源名称" in change:
        data["deliverables"]["catalog"]["rows"][0]["资源名称"] = change["资源名称"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _run_build(root: Path):
    from pipeline.build.run import build
    from pipeline.core.reporting import MemoryReporter
    reporter = MemoryReporter()
    build([root / "eng"], root / "out", reporter, spec_dir=root / "specs")
    return reporter


def _pack(root: Path) -> dict[str, bytes]:
    pack = root / "out" / "eng"
    return {p.relative_to(pack).as_posix(): p.read_bytes() for p in sorted(pack.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference_packs(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """What a clean build of each input state writes (the build is deterministic)."""
    from contextlib import chdir
    out = {}
    for state in _STATES:
        root = tmp_path_factory.mktemp(f"ref-{state}")
        _layout(root)
        _set_state(root, state)
        with chdir(root):
            _run_build(root)
        out[state] = _pack(root)
    return out


class _Interrupt:
    """os.replace that raises KeyboardInterrupt at its n-th call, before or after replacing."""

    def __init__(self, n: int, after: bool) -> None:
        self.n, self.after, self.calls = n, after, 0
        self.real = os.replace

    def __call__(self, src, dst):
        self.calls += 1
        if self.calls == self.n and not self.after:
            raise KeyboardInterrupt
        self.real(src, dst)
        if self.calls == self.n:
            raise KeyboardInterrupt


def _interrupted_build(root: Path, n: int, after: bool) -> bool:
    """Run one build interrupted at the n-th os.replace; True when it was interrupted."""
    from unittest import mock
    try:
        with mock.patch("os.replace", _Interrupt(n, after)):
            _run_build(root)
    except KeyboardInterrupt:
        return True
    return False


from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.integers(1, 6), first_after=st.booleans(), revert=st.booleans(), second=st.integers(0, 6),
       second_after=st.booleans())
@example(first=2, first_after=True, revert=True, second=0, second_after=False)  # the case
@example(first=2, first_after=True, revert=True, second=2, second_after=False)  # interrupted twice
def test_a_build_interrupted_at_any_moment_never_leaves_a_stale_file_recorded_as_current(
        reference_packs, tmp_path_factory, first, first_after, revert, second, second_after):
    """A good pack of inputs A; the inputs change to B; a build is interrupted after `first` file
    replacements (the journal, the report's docx and pptx, the register's xlsx, the manifest);
    the inputs are maybe reverted; maybe a second build is interrupted too; then one build runs
    to the end. The pack and its manifest must be exactly what a clean build of the current
    inputs writes, and `check` must have called the pack interrupted while the journal said so."""
    from contextlib import chdir

    from pipeline.checks.run import check_pack
    from pipeline.core.writer import JOURNAL
    root = tmp_path_factory.mktemp("interrupted")
    _layout(root)
    pack = root / "out" / "eng"
    for rel, data in reference_packs["A"].items():  # the last good build, as it would be on disk
        (pack / rel).parent.mkdir(parents=True, exist_ok=True)
        (pack / rel).write_bytes(data)
    state = "B"
    with chdir(root):
        _set_state(root, state)
        steps = [(first, first_after)] + ([(second, second_after)] if second else [])
        for i, (n, after) in enumerate(steps):
            _interrupted_build(root, n, after)
            assert not [p for p in _pack(root) if p.endswith(".tmp")]
            if (pack / JOURNAL).exists():
                codes = [f.code for f in check_pack(pack, None, rules=False).findings]
                assert codes[0] == "check.interrupted", codes
            if i == 0 and revert:
                state = "A"
                _set_state(root, state)
        reporter = _run_build(root)
    assert not [f for f in reporter.findings if f.is_error], [str(f) for f in reporter.findings]
    assert not [w for w, _ in reporter.statuses if w in ("conflict", "kept", "edited")], reporter.statuses
    assert _pack(root) == reference_packs[state]
