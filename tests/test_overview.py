"""index.html: one self-contained page per pack, kept current by build, check and signoff, read in a real browser."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from pipeline.cli import main


class _Page(HTMLParser):
    """What a person sees: the text, and the links with their targets."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict]] = []
        self._href: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "a":
            self._href, self._label = dict(attrs).get("href"), ""

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._label))
            self._href = None

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if self._href is not None:
                self._label += data


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _run(mini, *args):
    return CliRunner().invoke(main, [*args])


def _signoff(mini, *args):
    return CliRunner().invoke(main, ["signoff", args[0], str(mini.eng), *args[1:], "--specs", str(mini.specs)])


def test_build_check_and_signoff_keep_the_overview_current(mini_engagement):
    mini = mini_engagement
    assert mini.build().exit_code == 0
    index = mini.pack / "index.html"
    html = index.read_text(encoding="utf-8")
    page = _read(html)
    text = "".join(page.text)
    assert "测试客户有限公司 测试客户迷你检查项目 交付物总览" in text
    assert "90. 迷你检查服务（标准服务）" in text and "《【XXX】迷你检查报告》" in text
    assert text.count("通过") >= 2 and "未提交" in text
    # self-contained: no script, no resource from anywhere else, every link a file of the pack
    assert not [t for t, _ in page.tags if t in ("script", "img", "link", "iframe", "object")]
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", html)
    for href, _ in page.links:
        assert (mini.pack / unquote(href)).is_file(), href
    # check: the pack stays complete (index.html is no extra file), and records what it found
    r = CliRunner().invoke(main, ["check", str(mini.pack), "--specs", str(mini.specs)])
    assert r.exit_code == 0 and "index.html" not in r.output and "overview" not in r.output, r.output
    docx = next(p for p in mini.pack.rglob("*.docx"))
    docx.write_bytes(b"not a word file")
    assert CliRunner().invoke(main, ["check", str(mini.pack), "--specs", str(mini.specs)]).exit_code == 1
    text = "".join(_read(index.read_text(encoding="utf-8")).text)
    assert "未通过" in text and "不完整" in text and "来源：check" in text
    # the build puts it right again, and sign-off shows on the page
    assert mini.build("--force").exit_code == 0
    assert _signoff(mini, "submit", "90/report", "--by", "张伟", "--on", "2026-04-01").exit_code == 0
    assert "待验收" in "".join(_read(index.read_text(encoding="utf-8")).text)
    assert _signoff(mini, "accept", "90/report", "--by", "王芳", "--on", "2026-04-02").exit_code == 0
    text = "".join(_read(index.read_text(encoding="utf-8")).text)
    assert "已验收" in text and "提交 2026-04-01" in text and "已验收 2026-04-02" in text
    assert "1/2 项已验收（截至 2026-04-02）" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="sowpack-chromium-")
    try:
        return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(CHROMIUM is None,
                    reason="chromium is not installed (make test installs it: tools/sysdeps.sh --test)")
def test_a_browser_shows_the_overview(mini_engagement):
    mini = mini_engagement
    assert mini.build().exit_code == 0
    index = (mini.pack / "index.html").resolve()
    dom = _chromium("--dump-dom", index.as_uri(), cwd=mini.root)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = _read(dom.stdout)
    seen = " ".join(t.strip() for t in page.text if t.strip())
    for words in ("交付物总览", "90. 迷你检查服务（标准服务）", "《【XXX】迷你检查报告》", "《【XXX】资源清单》",
                  "检查结果： 完整", "通过", "未提交"):
        assert words.replace(" ", "") in seen.replace(" ", ""), (words, seen)
    labels = [label for _, label in page.links]
    assert any(label.startswith("Word：") for label in labels) and any(label.startswith("PDF：") for label in labels)
    for href, _ in page.links:
        target = (index.parent / unquote(href)).resolve()
        assert target.is_file() and index.parent in target.parents, href
    shot = Path(os.environ.get("SOWPACK_SCREENSHOT") or (mini.root / "overview.png"))
    png = _chromium(f"--screenshot={shot}", "--window-size=1280,900", index.as_uri(), cwd=mini.root)
    assert png.returncode == 0 and shot.is_file() and shot.stat().st_size > 10_000
