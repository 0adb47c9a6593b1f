"""Typed inputs: dates, times and numbers in their accepted forms, refused with the forms named;
misplaced blocks; every input error of a build in one pass."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.core.values import BadValue, parse, to_python


@pytest.mark.parametrize("value,vtype,expected", [
    ("12", "int", 12), ("1,200", "int", 1200), (3.0, "int", 3), (7, "number", 7), ("12.5", "number", 12.5),
    ("-0.5", "number", -0.5), (dt.date(2026, 4, 30), "date", "2026-04-30"), ("2026年4月30日", "date", "2026-04-30"),
    ("2026/4/3", "date", "2026-04-03"), (dt.datetime(2026, 4, 30), "date", "2026-04-30"), ("9:30", "time", "09:30"),
    (dt.time(14, 5), "time", "14:05"), ("2026-04-30 9:30", "datetime", "2026-04-30 09:30"),
    ("2026年4月30日 14:00", "datetime", "2026-04-30 14:00"),
    (dt.datetime(2026, 4, 30, 8, 0), "datetime", "2026-04-30 08:00"),
    (42, "text", "42"), (" 文本 ", "text", "文本"),
])
def test_accepted_forms(value, vtype, expected):
    assert parse(value, vtype) == expected


@pytest.mark.parametrize("value,vtype,says", [
    ("7月14日", "date", "the year is missing"), ("6月2日下午", "datetime", "the year is missing"),
    ("下午3点", "time", "not in words"), ("一", "int", "in digits"), ("3 台", "int", "without its unit"),
    (2.5, "int", "whole number"), ("2026-02-30", "date", "2026-04-30"), (True, "number", "a number"),
    (dt.datetime(2026, 4, 30, 9, 0), "date", "without a time of day"),
])
def test_refused_forms_name_the_accepted_ones(value, vtype, says):
    with pytest.raises(BadValue) as exc:
        parse(value, vtype)
    assert says in str(exc.value)
    assert "must be" in str(exc.value)


def test_canonical_values_become_spreadsheet_objects():
    assert to_python("2026-04-30", "date") == dt.date(2026, 4, 30)
    assert to_python("09:30", "time") == dt.time(9, 30)
    assert to_python("2026-04-30 09:30", "datetime") == dt.datetime(2026, 4, 30, 9, 30)
    assert to_python("见附件", "date") == "见附件"


def test_every_input_error_in_one_pass(mini_engagement):
    """An unknown package no longer hides the answers' errors: both are reported by one build."""
    m = mini_engagement
    m.edit("engagement.yaml", "package: 标准服务", "package: 豪华版")
    m.edit("answers/90-mini.yaml", "      检查概述: 本次检查覆盖 3 个业务系统、42 个云资源。\n", "")
    m.edit("answers/90-mini.yaml", "状态: 停用}", "状态: 废弃}")
    result = m.build()
    assert result.exit_code == 1
    codes = [line.rsplit("[", 1)[-1].rstrip("]") for line in result.output.splitlines() if ": ERROR: " in line]
    assert codes == ["input.unknown-package", "input.missing-answer", "input.not-allowed"], result.output
    assert not m.out.exists()


def test_answers_for_an_unknown_deliverable_are_named(mini_engagement):
    m = mini_engagement
    m.edit("answers/90-mini.yaml", "  catalog:", "  catalogue:")
    result = m.build()
    assert "'deliverables.catalogue' is not a deliverable of service 90" in result.output
    assert "did you mean 'catalog'?" in result.output


def test_spec_facts_are_declared_with_types(tmp_path):
    from pipeline.specs.load import load_specs
    from conftest import SPECS
    specs = {s.service: s for s in load_specs(SPECS)[0]}
    fact = specs[9].fact("resource_count")
    assert fact is not None and fact.type in ("int", "number") and fact.label == "资源数量"
