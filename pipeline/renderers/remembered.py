"""Pictures (charts, Gantt charts, diagrams) remembered in the user cache from one build to the next.

A Gantt chart takes matplotlib a quarter of a second and every work plan draws one for each of
its formats; a diagram is a Graphviz run or two. The same picture of the same data, drawn by
the same code, libraries, tools and fonts, is the same bytes, so a machine draws it once
(core.cache: SOWPACK_NO_CACHE=1 draws every time). The key holds all of those: the picture's
data (its repr), the drawing module's source, the libraries' installed files, the tools'
binaries and the fontconfig caches, which change when fonts are installed.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from pipeline.core import cache

#: Where fontconfig keeps its caches: installing or removing fonts rewrites them.
FONT_CACHES = ("/var/cache/fontconfig", "~/.cache/fontconfig", "~/.fontconfig")


@lru_cache(maxsize=8)
def _version(module_file: str, libraries: tuple[str, ...], tools: tuple[str, ...]) -> str:
    h = hashlib.sha256(cache.code_digest([Path(module_file)], libraries).encode())
    for tool in tools:
        exe = shutil.which(tool)
        h.update(f"{tool}={exe}:{os.stat(exe).st_mtime_ns if exe else '-'}".encode())
    for folder in FONT_CACHES:
        try:
            st = os.stat(os.path.expanduser(folder))
            h.update(f"{folder}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"{folder}:-".encode())
    return h.hexdigest()


def remembered(picture: Any, draw: Callable[[Any], bytes], module_file: str, libraries: tuple[str, ...] = (),
               tools: tuple[str, ...] = ()) -> bytes:
    """draw(picture), or the bytes it gave before on this machine.

    Args:
        module_file: the source file of draw (a change of the drawing code draws again).
        libraries, tools: the Python libraries and the programs draw uses.
    """
    name = hashlib.sha256(f"{_version(module_file, libraries, tools)}\0{draw.__name__}\0{picture!r}"
                          .encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return cache.remembered("pictures", name, lambda: draw(picture), bytes, bytes)
