"""Reporters: where findings, file statuses and progress go."""
from __future__ import annotations

import shutil
import sys
import unicodedata
from collections import Counter

from pipeline.core.errors import Finding
from pipeline.core.text import printable


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Print one message to stdout or stderr, flushed (what click.echo does, without click)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + ("\n" if nl else ""))
    stream.flush()


def progress_bar(done: int, total: int, label: str, columns: int = 80, width: int = 24) -> str:
    """`[#########---------] 12/40 label`, the label cut to fit one terminal line (CJK counts double)."""
    filled = width * done // max(total, 1)
    head = f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} "
    room, out = max(columns - len(head) - 1, 0), []
    for ch in label:
        room -= 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if room < 0:
            break
        out.append(ch)
    return head + "".join(out) + " " * max(room, 0)


class Reporter:
    """Collects findings (de-duplicated) and prints them; subclasses decide how."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._seen: set[str] = set()
        self.statuses: list[tuple[str, str]] = []

    def finding(self, f: Finding) -> None:
        key = str(f)
        if key in self._seen:
            return
        self._seen.add(key)
        self.findings.append(f)
        self.emit_finding(f)

    def findings_from(self, fs) -> None:
        for f in fs:
            self.finding(f)

    def status(self, word: str, path: str) -> None:
        self.statuses.append((word, path))
        self.emit_status(word, path)

    def progress(self, done: int, total: int, label: str) -> None:
        pass

    def info(self, text: str) -> None:
        pass

    def summary(self) -> str:
        c = Counter(f.severity for f in self.findings)
        return f"{c.get('ERROR', 0)} error(s), {c.get('WARNING', 0)} warning(s)"

    def emit_finding(self, f: Finding) -> None:
        pass

    def emit_status(self, word: str, path: str) -> None:
        pass


class ConsoleReporter(Reporter):
    """Prints `location: SEVERITY: message [code]` lines and statuses to stderr."""

    def __init__(self, verbose: bool = False) -> None:
        super().__init__()
        self.verbose = verbose
        self.tty = sys.stderr.isatty()

    def emit_finding(self, f: Finding) -> None:
        echo(str(f), err=True)

    def emit_status(self, word: str, path: str) -> None:
        if self.verbose or word not in ("identical", "skip"):
            echo(f"{word:>9}  {printable(path)}", err=True)

    def progress(self, done: int, total: int, label: str) -> None:
        label = printable(label)
        if self.tty:
            echo("\r" + progress_bar(done, total, label, shutil.get_terminal_size().columns), err=True,
                 nl=done == total)
        elif done == total or done % 25 == 0:
            echo(f"[{done}/{total}] {label}", err=True)

    def info(self, text: str) -> None:
        echo(printable(text, keep_newlines=True), err=True)


class MemoryReporter(Reporter):
    """Keeps everything in memory (tests)."""
