"""Font policy for every format (documented in README.md, "Fonts")."""
from __future__ import annotations

#: Word/PowerPoint: fonts every Chinese Windows/Office user has.
BODY_EA = "宋体"
BODY_LATIN = "Times New Roman"
HEADING_EA = "黑体"
HEADING_LATIN = "Arial"
SLIDE_EA = "微软雅黑"
SLIDE_LATIN = "Arial"
#: PDF (body serif, headings sans: templates/pdf/style.css) and chart labels: embedded,
#: installed by the Makefile (fonts-noto-cjk).
PDF_SANS = "Noto Sans CJK SC"
