"""Seven changes to how WeasyPrint 70.0 and pydyf 0.13.0 work, none to what they draw: the PDFs
are the same bytes.

WeasyPrint is pinned (constraints.txt). Each change names the lines of WeasyPrint's source it
replaces; when they are not there (another version), that change is left out and WeasyPrint
runs as it is. tests/test_pdf_speedups.py renders PDFs with and without them and compares the
bytes, and fails when one was left out on the pinned version. The bench report (38 pages)
renders in 1.11 s instead of 1.40 s in a warm process, and its process peaks at 130 MB instead
of 219 MB.

1. Shorter drafts of Chinese lines (split_first_line). To find where a line of text ends,
   WeasyPrint has Pango lay out a draft of the text ahead: four times as many characters as
   fit on a line if they were all as wide as they are high (Latin letters are about half as
   wide). A Chinese character is about as wide as high, so the draft was four lines long, and
   Pango shapes every character of it, for each line of the document. The draft is now about
   a line and a half, counting the widths of its characters (draft_length): it still reaches
   into the second line with a place to break there, which is all WeasyPrint reads of it.
   Pango shaped 183,000 characters for the bench report instead of 330,000.
2. Fonts read on demand (Font.__init__). For each font a PDF uses (3 in a report: Noto Sans
   CJK regular and bold, Noto Serif CJK), WeasyPrint copied the whole font collection into
   Python (20-27 MB each) and then made a subset from HarfBuzz's own copy. It is now copied
   only if something reads it before the subset replaces it (a font that is not subset).
3. The fonts subset side by side (build_fonts_dictionary). HarfBuzz subsets each font in C,
   without Python's lock: the fonts of a PDF are now subset in threads at once, then
   WeasyPrint takes each subset as it would have made it.
4. A line laid out once for measuring and drawing (first_line_metrics, Layout.reactivate).
   WeasyPrint lays each line's final text out to measure it, lets the layout go, and makes and
   lays out a new one to draw it. A line that does not end its paragraph now gets its final
   layout in the mode it is drawn in and keeps it until drawn, unless justification or word
   or letter spacing would set the drawing apart (half the lines of the bench report).
5. One Pango context per text direction and language (Layout.setup), as Pango means contexts
   to be used, instead of a new one for each of the report's 5,800 layouts.
6. Each stream of a PDF compressed once (pydyf's PDF.write). pydyf makes a stream's data,
   compressed at zlib's level 9, each time it is read, and writing a PDF with an identifier
   reads every object twice (once to write it, once to hash the file for the identifier).
   While a PDF is written, each stream's data is now made once, the 45 streams of the report
   side by side in two threads (zlib works without Python's lock): 0.1 s -> 0.03 s.
7. The glyphs of a drawn line read at once (draw_first_line): their ids, widths and offsets
   unpacked from the bytes of Pango's glyph array instead of field by field through cffi.
"""
from __future__ import annotations

import __future__
import linecache
import re
import struct
from dataclasses import dataclass
from typing import Any, Callable

#: The WeasyPrint and pydyf (WeasyPrint's PDF writer) these changes were read against.
WEASYPRINT_VERSION = "70.0"
PYDYF_VERSION = "0.13.0"

#: Characters narrower than they are high: Latin letters, digits, punctuation and spaces, i.e.
#: anything that is not a CJK ideograph or radical, kana, hangul, or CJK or full-width punctuation.
_NARROW = re.compile("[^\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff01-\uff60\uffe0-\uffe6]")

#: How many lines of text a draft holds: more than one, so that Pango breaks it, and enough that
#: the second line holds a place to break too.
DRAFT_LINES = 1.5


def draft_length(text: str, line_chars: float, ratio: float) -> int:
    """How many characters of `text` the draft of its next line holds: about DRAFT_LINES lines
    of it, counting a full-width character as wide as high, a space a quarter and any other
    character half as wide (Latin letters and digits in Noto CJK; a narrower one makes the
    draft a little shorter, still more than a line); WeasyPrint's own draft (`ratio`) when that
    is shorter. `line_chars`: how many characters as wide as high fit on the line."""
    ems = line_chars * DRAFT_LINES
    end = int(ems)
    for _ in range(4):  # from below: each step adds what is missing as if it were full-width
        if end >= len(text):
            break
        narrow = len(_NARROW.findall(text, 0, end))
        spaces = text.count(" ", 0, end)
        missing = ems - (end - narrow + 0.5 * (narrow - spaces) + 0.25 * spaces)
        if missing <= 0:
            break
        end += int(missing) + 1
    return min(end, int(line_chars * ratio))


@dataclass
class _Patch:
    """One function of WeasyPrint's whose code is replaced (its __code__, so that every module
    that imported the function by name runs the new code)."""

    function: Callable[..., Any]
    original: Any = None


_applied: list[_Patch] = []
_restore: list[Callable[[], None]] = []
_names: list[str] = []


def _source(function: Callable[..., Any]) -> list[str]:
    """The lines of the function's source, dedented, after as many empty lines as come before it
    in its file (so that the code compiled from them has the same line numbers)."""
    code = function.__code__
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno - 1
    if first >= len(lines):
        return []
    indent = len(lines[first]) - len(lines[first].lstrip())
    end = first + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return ["\n"] * first + [line[indent:] if line.strip() else "\n" for line in lines[first:end]]


def _compiled(function: Callable[..., Any], lines: list[str]) -> Any:
    """The code of the function that `lines` define, compiled as the function's module was."""
    namespace: dict[str, Any] = {}
    flags = function.__code__.co_flags & __future__.annotations.compiler_flag
    try:
        exec(compile("".join(lines), function.__code__.co_filename, "exec", flags=flags, dont_inherit=True),
             function.__globals__, namespace)
    except SyntaxError:
        return None
    made = namespace.get(function.__name__)
    return getattr(made, "__code__", None)


def _rewrite(function: Callable[..., Any], changes: dict[str, str]) -> bool:
    """In the function's code, replace the lines of its source that read `old` (its lines, stripped,
    one after the other, exactly once there) by the lines of `new`, at the indentation of the first
    (or remove them, when `new` is empty). Later lines keep their numbers."""
    lines = _source(function)
    for old, new in changes.items():
        wanted = [part.strip() for part in old.splitlines()]
        found = [i for i in range(len(lines) - len(wanted) + 1)
                 if all(lines[i + k].strip() == part for k, part in enumerate(wanted))]
        if len(found) != 1:
            return False
        first = lines[found[0]]
        indent = first[:len(first) - len(first.lstrip())]
        made = [indent + part + "\n" for part in new.splitlines()]
        made += ["\n"] * (len(wanted) - len(made))
        lines[found[0]:found[0] + len(wanted)] = made
    replaced = _compiled(function, lines)
    if replaced is None or replaced.co_freevars != function.__code__.co_freevars:
        return False
    _applied.append(_Patch(function, function.__code__))
    function.__code__ = replaced
    _names.append(function.__qualname__)
    return True


#: 1. The draft of a line (split_first_line).
DRAFT = {"short_text = text[:int(max_width / style['font_size'] * ratio)]":
         "short_text = text[:sowpack_draft_length(text, max_width / style['font_size'], ratio)]"}
#: 2. Fonts read on demand (Font.__init__; the class gets the property file_content).
FONT = {"self.file_content = get_hb_object_data(self.hb_face)": ""}
#: 4. A line's layout kept for its drawing (first_line_metrics, Layout.reactivate).
KEEP = {"layout.set_text(first_line_text)": "sowpack_final_text(layout, first_line_text)",
        "layout.deactivate()": "sowpack_deactivate(layout)"}
REUSE = {"self.setup(style)": "if sowpack_kept(self, style):\n    return\nself.setup(style)"}
#: 5. One Pango context per text direction and language (Layout.setup).
CONTEXT = {"""font_map = style.font_config.font_map
pango_context = ffi.gc(
    pango.pango_font_map_create_context(font_map),
    gobject.g_object_unref)
pango.pango_context_set_round_glyph_positions(pango_context, False)
pango.pango_context_set_base_dir(
    pango_context, PANGO_DIRECTION[style['direction']])

if style['font_language_override'] != 'normal':
    lang_p, lang = unicode_to_char_p(LST_TO_ISO.get(
        style['font_language_override'].lower(),
        style['font_language_override']))
elif style['lang']:
    lang_p, lang = unicode_to_char_p(style['lang'])
else:
    lang = None
    self.language = pango.pango_language_get_default()
if lang:
    self.language = pango.pango_language_from_string(lang_p)
    pango.pango_context_set_language(pango_context, self.language)""":
           "pango_context, self.language = sowpack_context(style)"}


def shared_context(style) -> tuple[Any, Any]:
    """The Pango context of a layout, and its language, as Layout.setup made them for each layout
    (a font map's context, glyph positions not rounded, the style's direction and language), made
    once per font map, direction and language: Pango contexts are meant to be shared by layouts,
    and nothing changes one after it is made."""
    from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
    from weasyprint.text.ffi import ffi, gobject, pango, unicode_to_char_p

    override = style["font_language_override"]
    lang = LST_TO_ISO.get(override.lower(), override) if override != "normal" else style["lang"]
    font_map = style.font_config.font_map
    key = (int(ffi.cast("uintptr_t", font_map)), style["direction"], lang or None)
    made = _contexts.get(key)
    if made is None:
        context = ffi.gc(pango.pango_font_map_create_context(font_map), gobject.g_object_unref)
        pango.pango_context_set_round_glyph_positions(context, False)
        pango.pango_context_set_base_dir(context, PANGO_DIRECTION[style["direction"]])
        if lang:
            lang_p, _ = unicode_to_char_p(lang)
            language = pango.pango_language_from_string(lang_p)
            pango.pango_context_set_language(context, language)
        else:
            language = pango.pango_language_get_default()
        made = _contexts[key] = (context, language)  # the context holds its font map: the key stays its own
    return made


_contexts: dict[tuple, tuple[Any, Any]] = {}

#: 7. The glyphs of a drawn line read at once (draw_first_line).
GLYPHS = {"for i, glyph_info in enumerate(glyphs_info[0:num_glyphs]):":
          "for i, (glyph_id, width, sowpack_x, sowpack_y, _) in enumerate(sowpack_glyphs(glyphs_info, num_glyphs)):",
          "glyph_id = glyph_info.glyph": "",
          "width = glyph_info.geometry.width": "",
          "offset = glyph_info.geometry.x_offset / font_size": "offset = sowpack_x / font_size",
          "rise = glyph_info.geometry.y_offset / 1000": "rise = sowpack_y / 1000"}
#: A PangoGlyphInfo: glyph (guint32), its geometry (width, x and y offsets: gint32), attributes (guint32).
_GLYPH_INFO = struct.Struct("=Iiiii")


def glyph_values(glyphs, count: int):
    """(glyph, width, x offset, y offset, attributes) of each of the first `count` PangoGlyphInfo at
    `glyphs`, read from their bytes in one go instead of field by field through cffi (86,000 glyphs
    in the bench report)."""
    from weasyprint.text.ffi import ffi

    if count <= 0:
        return ()
    return _GLYPH_INFO.iter_unpack(ffi.buffer(glyphs, count * _GLYPH_INFO.size))


def _glyph_layout_is_known() -> bool:
    """Whether PangoGlyphInfo is laid out as _GLYPH_INFO reads it."""
    from weasyprint.text.ffi import ffi

    return (ffi.sizeof("PangoGlyphInfo") == _GLYPH_INFO.size and ffi.offsetof("PangoGlyphInfo", "geometry") == 4
            and ffi.sizeof("PangoGlyphGeometry") == 12 and ffi.offsetof("PangoGlyphInfo", "attr") == 16)


def final_text(layout, text: str) -> None:
    """A line's layout gets its final text (first_line_metrics): in the one-paragraph mode it is
    drawn in, so that drawing need not lay it out again, and kept for drawing when nothing sets
    the text apart when drawn (justification, word or letter spacing)."""
    from weasyprint.text.ffi import pango

    style = layout.style
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    layout.set_text(text)
    if (not layout.justification_spacing and not style["word_spacing"]
            and style["letter_spacing"] in ("normal", 0)):
        layout.sowpack_keep = True


def after_metrics(layout) -> None:
    """Where first_line_metrics let the layout go: kept when final_text said so, until drawn."""
    if not layout.__dict__.pop("sowpack_keep", False):
        layout.deactivate()


def kept(layout, style) -> bool:
    """Whether reactivate(style) has nothing to do: the layout was kept (final_text) for this style."""
    return "layout" in layout.__dict__ and layout.__dict__.get("style") is style


def _file_content(font) -> bytes:
    data = font.__dict__.get("_sowpack_file_content")
    if data is None:
        from weasyprint.text.fonts import get_hb_object_data
        data = font.__dict__["_sowpack_file_content"] = get_hb_object_data(font.hb_face)
    return data


def _set_file_content(font, data: bytes) -> None:
    font.__dict__["_sowpack_file_content"] = data


def _subset_side_by_side(build_fonts_dictionary):
    """build_fonts_dictionary, after the fonts it will subset (one per font file, with the glyphs
    of every font of that file) were subset by HarfBuzz in threads; each Font's subset then takes
    its result. Without HarfBuzz's subsetter (WeasyPrint uses fontTools then), as it was."""
    from weasyprint.pdf import fonts as pdf_fonts
    from weasyprint.text.ffi import harfbuzz

    Font = pdf_fonts.Font

    subset_one = Font._harfbuzz_subset
    made: dict[int, tuple[dict, bool, bytes]] = {}  # id(font) -> what it was subset for, and the subset

    def harfbuzz_subset(self, to_unicode, hinting):
        ahead = made.pop(id(self), None)
        if ahead is not None and ahead[0] == to_unicode and ahead[1] == hinting:
            self.file_content = ahead[2]
            return None
        return subset_one(self, to_unicode, hinting)

    def ahead(font, to_unicode, hinting) -> None:
        copy = Font.__new__(Font)
        copy.__dict__.update(font.__dict__)
        subset_one(copy, to_unicode, hinting)
        made[id(font)] = (to_unicode, hinting, copy.file_content)

    def build(pdf, fonts, compress, subset, options):
        groups: dict[str, list] = {}
        for font in fonts.values():
            groups.setdefault(font.hash, []).append(font)
        work = []
        for file_fonts in groups.values():
            font = file_fonts[0]
            if font.bitmap or not subset or font.used_in_forms:
                continue
            to_unicode: dict = {}
            for file_font in file_fonts:
                to_unicode = {**to_unicode, **file_font.to_unicode}
            if to_unicode:
                work.append((font, to_unicode))
        if len(work) > 1 and pdf_fonts.harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0):
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(len(work), 4)) as pool:
                list(pool.map(lambda job: ahead(job[0], job[1], options["hinting"]), work))
        try:
            return build_fonts_dictionary(pdf, fonts, compress, subset, options)
        finally:
            made.clear()

    return build, harfbuzz_subset


def _streams_once(pdf_class, stream_class):
    """PDF.write and Stream.data (pydyf) such that, while a PDF is written, each stream's data is
    made once, the compressed ones first and side by side in threads; data is a property made
    anew at each read, and a PDF with an identifier read every object twice (zlib level 9)."""
    data_of = stream_class.data.fget
    write = pdf_class.write
    made: dict[int, tuple[Any, bytes]] = {}  # id(stream) -> the stream (kept alive: its id stays its own), data
    writing = [0]

    def data(self) -> bytes:
        if not writing[0]:
            return data_of(self)
        found = made.get(id(self))
        if found is None or found[0] is not self:
            found = made[id(self)] = (self, data_of(self))
        return found[1]

    def write_once(self, output, version=b"1.7", identifier=False, compress=False):
        writing[0] += 1
        try:
            heavy = [obj for obj in self.objects if isinstance(obj, stream_class) and obj.compress
                     and obj.free != "f"]
            if len(heavy) > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=2) as pool:
                    for stream, value in zip(heavy, pool.map(data_of, heavy), strict=True):
                        made[id(stream)] = (stream, value)
            return write(self, output, version, identifier, compress)
        finally:
            writing[0] -= 1
            if not writing[0]:
                made.clear()

    return write_once, property(data)


def apply() -> list[str]:
    """Make the changes (once per process); returns the names of those made."""
    if _names:
        return list(_names)
    import weasyprint
    from weasyprint import pdf as pdf_module
    from weasyprint.draw import text as draw_text
    from weasyprint.pdf import fonts as pdf_fonts
    from weasyprint.text import line_break

    if weasyprint.__version__ != WEASYPRINT_VERSION:
        return []
    line_break.__dict__.update(sowpack_draft_length=draft_length, sowpack_final_text=final_text,
                               sowpack_deactivate=after_metrics, sowpack_kept=kept, sowpack_context=shared_context)
    if _glyph_layout_is_known():
        draw_text.__dict__.update(sowpack_glyphs=glyph_values)
        _rewrite(draw_text.draw_first_line, GLYPHS)
    _rewrite(line_break.split_first_line, DRAFT)
    _rewrite(line_break.Layout.setup, CONTEXT)
    if _rewrite(line_break.Layout.reactivate, REUSE):  # without it, a kept layout would be laid out again
        _rewrite(line_break.first_line_metrics, KEEP)
    font_class = pdf_fonts.Font
    if "file_content" not in font_class.__dict__ and _rewrite(font_class.__init__, FONT):
        font_class.file_content = property(_file_content, _set_file_content)
        _restore.append(lambda: delattr(font_class, "file_content"))
    if pdf_module.build_fonts_dictionary is pdf_fonts.build_fonts_dictionary:
        original_build, original_subset = pdf_fonts.build_fonts_dictionary, font_class._harfbuzz_subset
        build, harfbuzz_subset = _subset_side_by_side(original_build)
        pdf_module.build_fonts_dictionary = build
        font_class._harfbuzz_subset = harfbuzz_subset

        def restore_subset() -> None:
            pdf_module.build_fonts_dictionary = original_build
            font_class._harfbuzz_subset = original_subset
        _restore.append(restore_subset)
        _names.append("build_fonts_dictionary")
    _apply_streams_once()
    return list(_names)


def _apply_streams_once() -> None:
    import pydyf

    if pydyf.__version__ != PYDYF_VERSION or "write" not in vars(pydyf.PDF) or "data" not in vars(pydyf.Stream):
        return
    original_write, original_data = pydyf.PDF.write, pydyf.Stream.data
    pydyf.PDF.write, pydyf.Stream.data = _streams_once(pydyf.PDF, pydyf.Stream)

    def restore() -> None:
        pydyf.PDF.write, pydyf.Stream.data = original_write, original_data
    _restore.append(restore)
    _names.append("PDF.write")


def revert() -> None:
    """Undo apply() (the tests compare PDFs made with and without the changes)."""
    for patch in reversed(_applied):
        patch.function.__code__ = patch.original
    for restore in reversed(_restore):
        restore()
    _applied.clear()
    _restore.clear()
    _names.clear()


def names() -> list[str]:
    """The changes made (apply())."""
    return list(_names)
