"""Numbers written once: named tables of facts, and the `{=...}` references prose, tables and
charts use instead of typing a number a second time.

A reference is `{=EXPRESSION}` anywhere in an answer's text (a Markdown table cell too):

| expression | value |
|---|---|
| `resource_count` | the fact `resource_count` (answers' `facts:`) |
| `findings.高`, `findings.risks`, `findings.passed`, `findings.total`, `findings.open` | counts of the deliverable's findings register by 风险等级 (risks: 高+中+低; passed: 通过; open: 状态 not 已完成/无需处理) |
| `count(SOURCE)`, `count(SOURCE, 列=值)` | rows of a source, optionally where a column has a value (`风险等级=高/中` means either; `>`, `<`, `>=`, `<=`, `!=` too, numbers as numbers, dates and months as text) |
| `sum(SOURCE.列)`, `avg(...)`, `min(...)`, `max(...)`, `first(...)`, `last(...)` | aggregates of a column, with the same conditions (`sum(rows.年度预算（万元）, 对象类型=部门)`) |
| `nth(SOURCE.列, -2)` | one value by position (1 is the first, -1 the last) |
| `distinct(SOURCE.列)` | how many different values a column holds (with the same conditions) |
| `round(X, 1)`, `pct(X, 1)` | X with 1 decimal; X × 100 with 1 decimal and a % sign |
| `+ - * /` and parentheses | arithmetic; write spaces around `-` (`a-b` is one name) |

SOURCE is `findings` (the deliverable's findings register), `rows` (its register), a
table of the answers' `data:`, or `<deliverable id>.rows` / `<deliverable id>.findings` of
another deliverable of the same service. A number prints with the decimals its source
values have (a sum of 52.3 and 58.9 prints 111.2).

Totals in tables (`{=sum}` in a 合计 row) are core/totals.py's.
"""  # noqa: E501 - a Markdown table: one row per line
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

#: Values of 风险等级 that are risks; 通过 (passed) and 无 (no risk, an observation) are not.
RISK_LEVELS = ("高", "中", "低")
#: 状态 values of a finding that needs nothing more.
CLOSED = ("已完成", "无需处理")


class ExprError(ValueError):
    """A reference that cannot be computed; str() says why and what is known."""


@dataclass(frozen=True)
class Num:
    """A computed number and the decimals it prints with (None: as few as it needs, at most 2)."""

    value: float
    decimals: int | None = 0

    def text(self) -> str:
        if self.decimals is None:
            if float(self.value).is_integer():
                return str(int(self.value))
            return f"{self.value:.2f}".rstrip("0").rstrip(".")
        return f"{self.value:.{self.decimals}f}"


@dataclass
class Source:
    """A named table the references read: typed rows, one dict per row."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    what: str = ""  # how messages name it ("the findings register of 'health-report'")


@dataclass
class Computed:
    """One reference resolved during assembly: what the pack records so `check` can recompute it."""

    section: str
    expr: str
    value: str
    #: The sources it read ("findings", "rows", a data table name...).
    sources: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"section": self.section, "expr": self.expr, "value": self.value, "sources": list(self.sources)}


@dataclass
class Facts:
    """What references can read: scalar facts and named sources."""

    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted(self.facts) + sorted(self.sources)


# --- numbers -----------------------------------------------------------------------
_NUMERIC = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def as_num(value: Any) -> Num | None:
    """A cell or fact as a Num (numeric text with thousands separators too); None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Num(value, 0)
    if isinstance(value, float):
        text = repr(value)
        return Num(value, len(text.split(".")[1]) if "." in text and "e" not in text else None)
    if isinstance(value, str):
        m = _NUMERIC.match(value.strip())
        if m:
            return Num(float(value.strip().replace(",", "")), len(m.group(1) or ""))
    return None


def decimals_of(*nums: Num) -> int | None:
    """The decimals a result of these numbers prints with (None when one of them has no fixed count)."""
    ds = [n.decimals for n in nums]
    fixed = [d for d in ds if d is not None]
    return None if len(fixed) < len(ds) else max(fixed, default=0)


# --- the parser ----------------------------------------------------------------------
_OPS = "+-*/(),"
_STOP = set(_OPS) | set("=!<> \t")


class _Parser:
    """Recursive descent over one expression; evaluates as it parses."""

    def __init__(self, text: str, facts: Facts) -> None:
        self.s, self.i, self.facts = text, 0, facts
        self.used: list[str] = []

    # scanning
    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, ch: str) -> None:
        if self.peek() != ch:
            raise ExprError(f"expected '{ch}' at '{self.s[self.i:self.i + 12] or 'the end'}'")
        self.i += 1

    def name(self) -> str:
        self.ws()
        start = self.i
        depth = 0  # inside full-width parentheses a name may hold '/': 预计节省（万元/月）
        while self.i < len(self.s):
            ch = self.s[self.i]
            depth += {"（": 1, "）": -1}.get(ch, 0)
            if depth > 0 and ch not in ",()":
                self.i += 1
                continue
            if ch == "-" and self.i > start and self.i + 1 < len(self.s) and self.s[self.i + 1] not in _STOP:
                self.i += 1  # a dash inside a name: health-report, hx-dept
                continue
            if ch in _STOP:
                break
            self.i += 1
        if self.i == start:
            raise ExprError(f"expected a name or a number at '{self.s[start:start + 12] or 'the end'}'")
        return self.s[start:self.i]

    def wide_name(self) -> str:
        """A SOURCE.列 reference whose column name holds spaces ('上报成功率.节点 PPS 峰值（万）'):
        the longest reading that names a known column, else the plain name."""
        word = self.name()
        end = self.i
        while end < len(self.s) and self.s[end] not in ",)":
            end += 1
        tail = self.s[self.i:end].rstrip()
        longer = word + tail
        for k in range(len(longer)):
            if longer[k] == "." and longer[:k] in self.facts.sources:
                if tail and longer[k + 1:] in self.facts.sources[longer[:k]].columns:
                    self.i += len(tail)
                    return longer
        return word

    def raw(self) -> str:
        """A condition's value: everything up to the next ',' or ')'."""
        self.ws()
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in ",)":
            self.i += 1
        return self.s[start:self.i].strip()

    # grammar
    def parse(self):
        value = self.expr()
        if self.peek():
            raise ExprError(f"unexpected '{self.s[self.i:self.i + 12]}'")
        return value

    def expr(self):
        left = self.term()
        while True:
            ch = self.peek()
            if ch not in ("+", "-"):
                return left
            self.i += 1
            right = self.term()
            a, b = self.number(left), self.number(right)
            left = Num(a.value + b.value if ch == "+" else a.value - b.value, decimals_of(a, b))

    def term(self):
        left = self.factor()
        while True:
            ch = self.peek()
            if ch not in ("*", "/"):
                return left
            self.i += 1
            right = self.factor()
            a, b = self.number(left), self.number(right)
            if ch == "/" and b.value == 0:
                raise ExprError("division by zero")
            left = Num(a.value * b.value if ch == "*" else a.value / b.value, None)

    def factor(self):
        ch = self.peek()
        if ch == "(":
            self.i += 1
            v = self.expr()
            self.take(")")
            return v
        if ch == "-":
            self.i += 1
            n = self.number(self.factor())
            return Num(-n.value, n.decimals)
        if ch.isdigit() or ch == ".":
            m = re.compile(r"\d*\.?\d+").match(self.s, self.i)
            self.i = m.end()
            return as_num(m.group())
        word = self.name()
        if self.peek() == "(":
            self.i += 1
            return self.call(word)
        return self.ref(word)

    # values
    @staticmethod
    def number(v) -> Num:
        if isinstance(v, Num):
            return v
        n = as_num(v)
        if n is None:
            raise ExprError(f"'{v}' is not a number")
        return n

    def source(self, name: str) -> Source:
        src = self.facts.sources.get(name)
        if src is None:
            known = sorted(self.facts.sources)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ExprError(f"no table named '{name}' (tables: {', '.join(known) or 'none'}){hint}")
        self.used.append(name)
        return src

    def column(self, ref: str) -> tuple[Source, str]:
        """'SOURCE.列' (the source name may itself hold a dot: 'health-report.findings.风险等级')."""
        for k in range(len(ref)):
            if ref[k] == "." and ref[:k] in self.facts.sources:
                src, col = self.source(ref[:k]), ref[k + 1:]
                if col not in src.columns:
                    close = difflib.get_close_matches(col, src.columns, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    raise ExprError(f"{src.what or src.name} has no column '{col}' (columns: "
                                    f"{'、'.join(src.columns)}){hint}")
                return src, col
        name = ref.split(".", 1)[0]
        self.source(name if "." in ref else ref)  # raises with the known tables
        raise ExprError(f"'{ref}' must name a column: write {ref}.列名")

    def conditions(self, src: Source) -> Callable[[dict], bool]:
        tests = []
        while self.peek() == ",":
            self.i += 1
            col = self.name()
            if col not in src.columns:
                close = difflib.get_close_matches(col, src.columns, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ExprError(f"{src.what or src.name} has no column '{col}' to test{hint}")
            self.ws()
            op = next((o for o in ("!=", ">=", "<=", "=", ">", "<") if self.s.startswith(o, self.i)), None)
            if op is None:
                raise ExprError(f"expected =, !=, >, <, >= or <= after '{col}'")
            self.i += len(op)
            tests.append((col, op, self.raw()))

        def ok(row: dict) -> bool:
            for col, op, want in tests:
                have = row.get(col)
                text = "" if have is None else str(have).strip()
                if op in ("=", "!="):
                    hit = text in [w.strip() for w in want.split("/")]
                    if hit != (op == "="):
                        return False
                    continue
                a, b = as_num(have), as_num(want)
                # Numbers compare as numbers; anything else (ISO dates, months) as text.
                x: float | str
                y: float | str
                x, y = (a.value, b.value) if a is not None and b is not None else (text, want)
                if not {">": x > y, "<": x < y, ">=": x >= y, "<=": x <= y}[op]:  # type: ignore[operator]  # both numbers or both text
                    return False
            return True
        return ok

    def call(self, fn: str):
        if fn in ("round", "pct"):
            x = self.number(self.expr())
            self.take(",")
            n = self.number(self.factor())
            self.take(")")
            d = int(n.value)
            return Num(round(x.value, d), d) if fn == "round" else f"{x.value * 100:.{d}f}%"
        if fn == "count":
            src = self.source(self.name())
            keep = self.conditions(src)
            self.take(")")
            return Num(sum(1 for r in src.rows if keep(r)), 0)
        if fn not in ("sum", "avg", "min", "max", "first", "last", "nth", "distinct"):
            raise ExprError(f"unknown function '{fn}'; use count, distinct, sum, avg, min, max, first, last, nth, "
                            "round or pct")
        src, col = self.column(self.wide_name())
        pos = 0
        if fn == "nth":
            self.take(",")
            pos = int(self.number(self.factor()).value)
        keep = self.conditions(src)
        self.take(")")
        values = [r.get(col) for r in src.rows if keep(r)]
        values = [v for v in values if v not in (None, "")]
        if fn == "distinct":
            return Num(len({str(v).strip() for v in values}), 0)
        if fn in ("first", "last", "nth"):
            if not values:
                raise ExprError(f"{fn}({src.name}.{col}) has no value to take")
            k = 0 if fn == "first" else -1 if fn == "last" else (pos - 1 if pos > 0 else pos)
            try:
                v = values[k]
            except IndexError:
                raise ExprError(f"{src.name}.{col} has {len(values)} value(s), no number {pos}") from None
            return as_num(v) or str(v)
        nums: list[Num] = []
        for v in values:
            num = as_num(v)
            if num is None:
                raise ExprError(f"{fn}({src.name}.{col}) needs numbers, but the column holds '{v}'")
            nums.append(num)
        if not nums:
            if fn == "sum":
                return Num(0, 0)
            raise ExprError(f"{fn}({src.name}.{col}) has no value")
        dec = decimals_of(*nums)
        if fn == "sum":
            return Num(sum(n.value for n in nums), dec)
        if fn == "avg":
            return Num(sum(n.value for n in nums) / len(nums), dec)
        return (min if fn == "min" else max)(nums, key=lambda n: n.value)

    def ref(self, word: str):
        if word in self.facts.facts:
            self.used.append(word)
            v = self.facts.facts[word]
            return as_num(v) or str(v)
        base, _, rest = word.partition(".")
        if rest and word.rsplit(".", 1)[0] in self.facts.sources:
            src_name, key = word.rsplit(".", 1)
            src = self.source(src_name)
            if key in ("count", "total"):
                return Num(len(src.rows), 0)
            if "风险等级" in src.columns:
                levels = {"risks": RISK_LEVELS, "passed": ("通过",)}.get(key, (key,))
                if key == "open":
                    return Num(sum(1 for r in src.rows if r.get("风险等级") in RISK_LEVELS
                                   and r.get("状态") not in CLOSED), 0)
                if key in ("risks", "passed") or key in RISK_LEVELS + ("通过", "无"):
                    return Num(sum(1 for r in src.rows if r.get("风险等级") in levels), 0)
            levels_too = ", .risks, .passed, .open or a level (.高)" if "风险等级" in src.columns else ""
            raise ExprError(f"'{word}': a table gives .count{levels_too}; "
                            f"for a column use sum({word}) or count({src_name}, 列=值)")
        known = self.facts.names()
        close = difflib.get_close_matches(word, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ExprError(f"unknown name '{word}' (facts and tables: {', '.join(known) or 'none'}){hint}")


def evaluate(expr: str, facts: Facts) -> tuple[str, tuple[str, ...]]:
    """The text a reference prints, and the sources it read.

    Raises:
        ExprError: the expression cannot be computed (unknown name, not a number...).
    """
    p = _Parser(expr, facts)
    value = p.parse()
    text = value.text() if isinstance(value, Num) else str(value)
    return text, tuple(dict.fromkeys(p.used))


#: `{=...}` in text; no nested braces.
REFERENCE = re.compile(r"\{=([^{}]*)\}")
#: Aggregates of a total row's own column: `{=sum}`.
COLUMN_AGGREGATES = ("sum", "avg", "count", "min", "max")


def resolve(text: str, facts: Facts, section: str) -> tuple[str, list[Computed], list[str]]:
    """text with every `{=...}` replaced by its value.

    `{=sum}` and the other bare column aggregates are left for the table they sit in.

    Returns:
        (text, what was computed, an error message per reference that could not be).
    """
    done: list[Computed] = []
    errors: list[str] = []

    def sub(m: re.Match) -> str:
        expr = m.group(1).strip()
        if expr in COLUMN_AGGREGATES:
            return m.group(0)
        try:
            value, used = evaluate(expr, facts)
        except ExprError as exc:
            errors.append(f"'{{={expr}}}': {exc}")
            return m.group(0)
        done.append(Computed(section, expr, value, used))
        return value
    return REFERENCE.sub(sub, text), done, errors
