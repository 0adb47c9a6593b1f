"""Renderer for PDF: Document -> HTML (jinja, autoescaped) -> WeasyPrint, fetching only our own assets."""
from __future__ import annotations

import base64
import gc
import importlib
import sys
import types
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from pipeline.document.nodes import Chart, Diagram, Document, Gantt, ListBlock, Paragraph, Table
from pipeline.document.walk import unknown_block
from pipeline.renderers.base import Renderer, column_widths, front_matter, iter_numbered
from pipeline.renderers.charts import chart_png, gantt_png
from pipeline.renderers.diagrams import diagram_svg
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import DRAFT_MARK, clean

PDF_ASSETS = TEMPLATES / "pdf"
#: Half-width characters of 9.5 pt table text across the type area (156 mm), cell padding included.
PDF_TABLE_UNITS = 92


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    from jinja2.sandbox import SandboxedEnvironment
    return SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(PDF_ASSETS)), autoescape=True,
                                undefined=jinja2.StrictUndefined)


@lru_cache(maxsize=1)
def _fetcher_class():
    _html_class()  # imported the quick way first
    from weasyprint.urls import URLFetcher

    class AssetsOnly(URLFetcher):
        """Serve data: URIs and files under templates/pdf; refuse everything else (file://, http...)."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file://"):
                path = Path(url[7:]).resolve()
                if PDF_ASSETS.resolve() in path.parents and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"sowpack refuses to fetch {url[:80]}")
    return AssetsOnly


def _fetcher():
    return _fetcher_class()()


@lru_cache(maxsize=1)
def _weasyprint():
    """WeasyPrint's HTML class and one font configuration, which every PDF of a process shares."""
    html_class = _html_class()  # first: it imports WeasyPrint the quick way
    from weasyprint.text.fonts import FontConfiguration

    return html_class, FontConfiguration()


#: fontTools modules WeasyPrint imports at start and uses only for variable fonts, WOFF fonts, and
#: when HarfBuzz's subsetter is missing (the build warns then): never for the Noto CJK fonts of our
#: PDFs. Importing them is 0.08 s of every process that renders a PDF. Each maps to the names
#: WeasyPrint takes from it when it imports.
DEFERRED_MODULES = {"fontTools.subset": (), "fontTools.varLib.instancer": ("instantiateVariableFont",)}


class _OnFirstUse(types.ModuleType):
    """Stands for a module while WeasyPrint imports; the first use of one of its names imports the real one."""

    def __init__(self, name: str, names: tuple[str, ...]) -> None:
        super().__init__(name)
        for attr in names:
            setattr(self, attr, _forward(name, attr))

    def __getattr__(self, attr: str):
        real = None if attr.startswith("__") else importlib.import_module(self.__name__)
        if real is None or real is self:  # the import system probing (__path__), or still importing
            raise AttributeError(attr)
        return getattr(real, attr)


def _forward(module: str, attr: str):
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), attr)(*args, **kwargs)
    call.__name__ = attr
    return call


@contextmanager
def _quick_import():
    """Import WeasyPrint without the work it does at import for what our PDFs never use.

    - WeasyPrint opens its libraries by trying names in turn (libgobject-2.0-0, gobject-2.0-0...)
      through cffi, which asks ctypes.util.find_library about each name that is not a file name:
      on Linux each of those asks runs `ldconfig -p`, gcc and ld, about 20 processes and 0.3 s per
      import. The names that succeed on Linux are the sonames (libgobject-2.0.so.0), which dlopen
      finds by itself (LD_LIBRARY_PATH and the linker cache included), so while WeasyPrint
      imports, find_library answers "not found" without asking.
    - The fontTools modules of DEFERRED_MODULES stand in as _OnFirstUse while it imports, and leave
      sys.modules after: whatever asks for them later gets the real modules.
    """
    import ctypes.util

    stand_ins = {name: _OnFirstUse(name, names) for name, names in DEFERRED_MODULES.items()
                 if name not in sys.modules}
    real = ctypes.util.find_library
    if sys.platform.startswith("linux"):
        ctypes.util.find_library = lambda name: None
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        ctypes.util.find_library = real
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


@lru_cache(maxsize=1)
def _html_class():
    """WeasyPrint's HTML class, imported the quick way (_quick_import), with pdf_speedups applied."""
    with _quick_import():
        import weasyprint
    from pipeline.renderers import pdf_speedups
    pdf_speedups.apply()
    return weasyprint.HTML


def _runs(p: Paragraph) -> Markup:
    out = []
    for r in p.runs:
        t = escape(clean(r.text))
        if r.code:
            t = Markup(f"<code>{t}</code>")
        if r.bold:
            t = Markup(f"<strong>{t}</strong>")
        if r.italic:
            t = Markup(f"<em>{t}</em>")
        out.append(t)
    return Markup("").join(out)


def _table(header, rows, caption="") -> Markup:
    # The same content-following widths as Word's: narrow columns stay readable, tokens whole.
    widths = column_widths(header, rows, PDF_TABLE_UNITS)
    widths = [100 * w / sum(widths) for w in widths]
    cols = Markup("").join(Markup(f'<col style="width:{w:.1f}%">') for w in widths)
    head = Markup("").join(Markup(f"<th>{escape(clean(str(h)))}</th>") for h in header)
    body = Markup("").join(
        Markup("<tr>") + Markup("").join(Markup(f"<td>{escape(clean('' if v is None else str(v)))}</td>") for v in r)
        + Markup("</tr>") for r in rows)
    cap = Markup(f"<caption>{escape(caption)}</caption>") if caption else Markup("")
    return Markup(f"<table>{cap}<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def blocks_html(blocks) -> Markup:
    out = []
    for b in blocks:
        if isinstance(b, Paragraph):
            out.append(Markup(f"<p>{_runs(b)}</p>"))
        elif isinstance(b, ListBlock):
            tag = "ol" if b.ordered else "ul"
            items = Markup("").join(Markup(f"<li>{_runs(i)}</li>") for i in b.items)
            out.append(Markup(f"<{tag}>{items}</{tag}>"))
        elif isinstance(b, Table):
            out.append(_table(b.header, b.rows, b.caption))
        elif isinstance(b, (Chart, Gantt)):
            data = base64.b64encode(chart_png(b) if isinstance(b, Chart) else gantt_png(b)).decode()
            out.append(Markup(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(b.title)}">'
                              f"<figcaption>图：{escape(b.title)}</figcaption></figure>"))
        elif isinstance(b, Diagram):
            # Vector: WeasyPrint draws the SVG itself, text in the embedded CJK font.
            data = base64.b64encode(diagram_svg(b)).decode()
            out.append(Markup(f'<figure class="diagram"><img src="data:image/svg+xml;base64,{data}" '
                              f'alt="{escape(b.title)}"><figcaption>图：{escape(b.title)}</figcaption></figure>'))
        else:
            raise unknown_block(b)
    return Markup("\n").join(out)


def to_html(doc: Document) -> str:
    toc = []
    for k, (s, num, level) in enumerate(iter_numbered(doc.sections), 1):
        toc.append({"id": f"s{k}", "text": clean(f"{num}{s.title}"), "level": level, "html": blocks_html(s.blocks)})
    if doc.register is not None:
        from pipeline.renderers.base import numbered
        reg = doc.register
        toc.append({"id": "register", "level": 1,
                    "text": f"{numbered(1, len(doc.sections) + 1) if doc.sections else ''}附表：{reg.title}",
                    "html": _table([c.name for c in reg.columns], reg.rows)})
    return _env().get_template("base.html.j2").render(meta=doc.meta, toc=toc, front=front_matter(doc.meta),
                                                      draft_mark=DRAFT_MARK)


@contextmanager
def _fewer_collections():
    """The cycle collector every 20,000 allocations instead of 700 while WeasyPrint imports and renders.

    WeasyPrint makes a few hundred thousand objects for a 40-page report, few of them in cycles:
    the collector ran 328 times in that report's process and took 0.09 to 0.12 s; this way, 71
    times and 0.044 s. For the render only: set for the whole build, the cycles of every document
    lived longer and the sample build took 80 MB more (PSS) at the same speed.
    """
    old = gc.get_threshold()
    gc.set_threshold(20_000, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class PdfRenderer(Renderer):
    format = "pdf"

    def warm(self) -> None:
        with _fewer_collections():  # as when a render imports WeasyPrint
            _html_class()
            _fetcher_class()

    def write(self, document: Document) -> bytes:
        with _fewer_collections():  # WeasyPrint's import included, when this is the process's first PDF
            html_class, fonts = _weasyprint()
            html = html_class(string=to_html(document), base_url=str(PDF_ASSETS) + "/", url_fetcher=_fetcher())
            m = document.meta
            return html.write_pdf(pdf_identifier=f"sowpack-{m.service}-{m.deliverable}".encode(),
                                  uncompressed_pdf=False, font_config=fonts) or b""
