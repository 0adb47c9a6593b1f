"""The SOWs' business rules, with inputs on both sides of each limit, from the real specs."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace

import pytest

from pipeline.core.findings import INFO
from pipeline.rules.engine import check_manifest, evaluate
from pipeline.rules.facts import ServiceFacts, from_engagement, package_includes

from conftest import SAMPLES, loaded_samples, loaded_specs, per_engagement

D = dt.date


@pytest.fixture(scope="module")
def specs():
    return loaded_specs()


def facts_for(specs, service: int, package: str, **kw) -> ServiceFacts:
    spec = specs[service]
    base = dict(service=service, title=spec.title, package=package, includes=package_includes(spec, package),
                applied_on=D(2026, 2, 2), start=D(2026, 3, 16), end=D(2026, 4, 30), onsite_days=None,
                holiday_onsite_days=None, facts={}, rules=[dict(r) for r in spec.rules], spec_path=spec.path)
    base.update(kw)
    return ServiceFacts(**base)


def codes(findings, severity=None):
    return [f.code for f in findings if severity is None or f.severity == severity]


def only(findings, code):
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, [str(f) for f in findings]
    return hits[0]


# --- lead time ------------------------------------------------------------------
def test_lead_time_both_sides(specs):
    # Ten working days before Monday 16 March 2026 is Monday 2 March.
    ok = evaluate([facts_for(specs, 9, "基础版", applied_on=D(2026, 3, 2), start=D(2026, 3, 16),
                             facts={"resource_count": 5})])
    assert "rules.lead-time" not in codes(ok)
    late = evaluate([facts_for(specs, 9, "基础版", applied_on=D(2026, 3, 3), start=D(2026, 3, 16),
                               facts={"resource_count": 5})])
    f = only(late, "rules.lead-time")
    assert f.severity == "WARNING" and "9 Chinese working day(s)" in f.message and "apply by 2026-03-02" in f.message
    assert f.cite.startswith("客户须至少应于健康检查服务开始日之前提前10个工作日提出申请")
    assert f.rule_at.startswith("deliverable_specs/09-health-check.yaml:")
    assert f.to_json()["cite"]["text"] == f.cite


def test_lead_time_across_spring_festival_and_15_days(specs):
    # Start Monday 2 March: the holiday and the swapped Saturdays 2/14 and 2/28 count as they fall.
    ok = evaluate([facts_for(specs, 1, "标准服务", applied_on=D(2026, 2, 10), start=D(2026, 3, 2),
                             facts={"table_count": 1})])
    assert "rules.lead-time" not in codes(ok)
    late = evaluate([facts_for(specs, 1, "标准服务", applied_on=D(2026, 2, 11), start=D(2026, 3, 2),
                               facts={"table_count": 1})])
    assert "rules.lead-time" in codes(late)
    # Service 11 needs 15 working days: counting back from Monday 19 Oct over National Day
    # (10/1-7 off, Saturday 10/10 worked) and Mid-autumn (9/25-27 off) gives Monday 9/21.
    ok15 = evaluate([facts_for(specs, 11, "标准版", applied_on=D(2026, 9, 21), start=D(2026, 10, 19),
                               facts={"sample_app_count": 1})])
    late15 = evaluate([facts_for(specs, 11, "标准版", applied_on=D(2026, 9, 22), start=D(2026, 10, 19),
                                 facts={"sample_app_count": 1})])
    assert "rules.lead-time" not in codes(ok15) and "rules.lead-time" in codes(late15)


def test_lead_time_unknown_year_and_missing_date(specs):
    found = evaluate([facts_for(specs, 9, "基础版", applied_on=D(2026, 12, 20), start=D(2027, 1, 11),
                                facts={"resource_count": 5})])
    f = only(found, "rules.calendar-unknown")
    assert "2027" in f.message and f.severity == "WARNING"
    missing = evaluate([facts_for(specs, 9, "基础版", applied_on=None, facts={"resource_count": 5})])
    assert "applied_on missing" in only(missing, "rules.missing-date").message


# --- package limits -------------------------------------------------------------
@pytest.mark.parametrize("package, count, code", [
    ("基础版", 100, None), ("基础版", 101, "rules.package-limit"),
    ("企业版", 500, None), ("企业版", 501, "rules.package-limit"),
])
def test_health_check_resource_limits(specs, package, count, code):
    found = evaluate([facts_for(specs, 9, package, facts={"resource_count": count})])
    errors = codes(found, "ERROR")
    assert errors == ([code] if code else [])
    if count == 101:
        assert "企业版 covers up to 500" in only(found, code).message
    if count == 501:
        assert "no package covers it" in only(found, code).message


def test_smaller_package_would_do_and_missing_fact(specs):
    found = evaluate([facts_for(specs, 3, "容灾标准包",
                                facts={"app_count": 4, "node_count": 150, "drill_count": 100000})])
    f = only(found, "rules.package-oversized")
    assert f.severity == INFO and "容灾基础包 (up to 5) would cover it too" in f.message and f.target == "app_count"
    missing = evaluate([facts_for(specs, 9, "基础版", facts={})])
    assert "resource_count" in only(missing, "rules.missing-fact").message


@pytest.mark.parametrize("package, count, code", [
    ("企业版", 100, "rules.package-minimum"), ("企业版", 101, None), ("基础版", 1, None),
])
def test_health_check_enterprise_minimum(specs, package, count, code):
    """`minimums: {企业版: 101}`: 企业版 is sold for more than 100 resources; fewer is a warning naming 基础版."""
    found = [f for f in evaluate([facts_for(specs, 9, package, facts={"resource_count": count})])
             if f.code.startswith("rules.package")]
    assert [f.code for f in found] == ([code] if code else [])
    if code:
        f = found[0]
        assert f.severity == "WARNING" and f.target == "resource_count"
        assert "资源数量 is 100, under the 企业版 minimum of 101; 基础版 (up to 100) is meant for it" in f.message
        assert f.cite.startswith("基础版：适用于资源数量小于等于100个；企业版：适用于资源数量大于100个")
        assert f.rule_at.startswith("deliverable_specs/09-health-check.yaml:")


@pytest.mark.parametrize("package, n, code, text", [
    ("超大包", 30, "rules.package-minimum",
     "数量 is 30, under the 超大包 minimum of 101; 中包 (up to 50) is meant for it —"),
    ("超大包", 900, None, None),  # a minimum and no limit: nothing is over it
    ("超大包", 101, None, None),
    ("中包", 8, "rules.package-minimum", "under the 中包 minimum of 20; 小包 (up to 10) is meant for it —"),
    ("中包", 15, "rules.package-minimum", "under the 中包 minimum of 20; 大包 (up to 100) is meant for it"),
    ("大包", 15, None, None),  # 中包 would cover 15 but is not sold for it
    ("大包", 25, "rules.package-oversized", "数量 is 25: 中包 (up to 50) would cover it too"),
    ("小包", 15, "rules.package-limit", "over the 小包 limit of 10; 大包 covers up to 100"),
    ("小包", 30, "rules.package-limit", "over the 小包 limit of 10; 中包 covers up to 50"),
])
def test_minimums_decide_which_package_is_meant(specs, package, n, code, text):
    rule = {"type": "package-limit", "fact": "n", "label": "数量", "limits": {"小包": 10, "中包": 50, "大包": 100},
            "minimums": {"中包": 20, "超大包": 101}, "cite": "中包适用于20个以上；超大包适用于100个以上。", "line": 7}
    found = evaluate([facts_for(specs, 9, package, rules=[rule], facts={"n": n})])
    assert [f.code for f in found] == ([code] if code else [])
    if text:
        assert text in found[0].message and found[0].cite == rule["cite"]


@pytest.mark.parametrize("facts, bad", [
    ({"app_count": 10, "node_count": 199, "drill_count": 100000}, []),
    ({"app_count": 11, "node_count": 199, "drill_count": 100000}, ["app_count"]),
    ({"app_count": 10, "node_count": 200, "drill_count": 100001}, ["node_count", "drill_count"]),
])
def test_disaster_recovery_limits(specs, facts, bad):
    found = evaluate([facts_for(specs, 3, "容灾标准包", facts=facts)])
    assert [f.target for f in found if f.code == "rules.package-limit"] == bad


# --- pricing units --------------------------------------------------------------
@pytest.mark.parametrize("tables, units, exceeded",
                         [(50, 1, False), (51, 2, True), (100, 2, True), (101, 3, True), (0, 0, False)])
def test_every_started_50_tables_is_a_unit(specs, tables, units, exceeded):
    found = evaluate([facts_for(specs, 1, "标准服务", facts={"table_count": tables})])
    info = only(found, "rules.pricing-units")
    assert info.severity == INFO and f"→ {units} pricing unit(s)" in info.message
    assert ("rules.pricing-unit-exceeded" in codes(found)) is exceeded


def test_units_purchased_covers_the_excess(specs):
    found = evaluate([facts_for(specs, 1, "标准服务", facts={"table_count": 120, "units_purchased": 3})])
    assert "rules.pricing-unit-exceeded" not in codes(found)
    found = evaluate([facts_for(specs, 1, "标准服务",
                                facts={"table_count": 151, "units_purchased": {"table_count": 3}})])
    assert "buy 1 more" in only(found, "rules.pricing-unit-exceeded").message


# --- on-site caps and the holiday rate ------------------------------------------
@pytest.mark.parametrize("service, package, days, over", [
    (1, "标准服务", 10, False), (1, "标准服务", 11, True),
    (10, "迁云实施服务基础版", 4, False), (10, "迁云实施服务基础版", 5, True),
    (10, "迁云实施服务标准版", 30, False),  # the cap is the 基础版's only
    (18, "标准服务", 2, False), (18, "标准服务", 3, True),
])
def test_onsite_caps(specs, service, package, days, over):
    f = facts_for(specs, service, package, onsite_days=days,
                  facts={"table_count": 1, "implementation_days": 10, "source_table_count": 1,
                         "indicator_tag_count": 1})
    assert ("rules.onsite-cap" in codes(evaluate([f]), "ERROR")) is over


def test_holiday_rate(specs):
    # 3 on-site days in the 2026 端午 period, one on the holiday itself: billed 2 + 1x3 = 5.
    f = facts_for(specs, 2, "尊享包", start=D(2026, 5, 18), end=D(2026, 6, 22), onsite_days=3, holiday_onsite_days=1)
    found = evaluate([f])
    assert "5 person-days billed" in only(found, "rules.holiday-rate").message
    assert not codes(found, "ERROR") and "rules.no-holiday-in-period" not in codes(found)
    assert "rules.holiday-days" in codes(evaluate([replace(f, holiday_onsite_days=4)]), "ERROR")
    assert codes(evaluate([replace(f, holiday_onsite_days=3)]), "ERROR") == []
    quiet = replace(f, start=D(2026, 3, 2), end=D(2026, 3, 31))
    assert "rules.no-holiday-in-period" in codes(evaluate([quiet]), "WARNING")
    assert not [x for x in evaluate([replace(f, holiday_onsite_days=0)]) if x.code.startswith("rules.holiday")]


# --- packages that cannot be bought alone ---------------------------------------
def test_requires_package(specs):
    ok = facts_for(specs, 10, "迁云实施服务基础版", facts={"implementation_days": 10})
    assert "rules.requires-package" not in codes(evaluate([ok]))
    alone = replace(ok, includes=())
    f = only(evaluate([alone]), "rules.requires-package")
    assert f.severity == "ERROR" and "requires 迁云咨询服务" in f.message and "联合售卖" in f.cite
    assert "rules.requires-package" not in codes(evaluate([facts_for(specs, 10, "迁云咨询服务",
                                                                     facts={"implementation_days": 0})]))


def test_requires_service(specs):
    impl = facts_for(specs, 13, "尊享版", facts={"database_size_gb": 500, "database_count": 1})
    assert "rules.requires-service" in codes(evaluate([impl]), "ERROR")
    consulting = facts_for(specs, 12, "高兼容版", facts={"sample_app_count": 1, "sample_app_table_count": 1,
                                                         "sample_app_data_gb": 1})
    assert "rules.requires-service" not in codes(evaluate([impl, consulting]))


# --- build and check ------------------------------------------------------------
def test_hard_violation_stops_the_build(tmp_path):
    from pipeline.build.run import build
    from pipeline.core.errors import InputError
    from pipeline.core.reporting import MemoryReporter

    eng = tmp_path / "hengxin-retail"
    shutil.copytree(SAMPLES / "hengxin-retail", eng)
    answers = eng / "answers" / "09-health-check.yaml"
    text = answers.read_text(encoding="utf-8")
    assert "resource_count: 86" in text
    answers.write_text(text.replace("resource_count: 86", "resource_count: 150"), encoding="utf-8")
    reporter = MemoryReporter()
    with pytest.raises(InputError):
        build([eng], tmp_path / "out", reporter)
    f = only(reporter.findings, "rules.package-limit")
    assert "answers/09-health-check.yaml" in str(f.location)
    assert f.cite.startswith("基础版：适用于资源数量小于等于100个")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.docx"))


@pytest.mark.parametrize("engagement", per_engagement())
def test_rules_from_manifest_match_the_build(sample_pack, specs, engagement):
    manifest = json.loads((sample_pack(engagement) / "manifest.json").read_text(encoding="utf-8"))
    eng = loaded_samples()[engagement]
    direct = [(f.code, f.message) for f in evaluate(from_engagement(eng, specs))]
    assert [(f.code, f.message) for f in check_manifest(manifest, None)] == direct
    assert [(f.code, f.message) for f in check_manifest(manifest, specs)] == direct
    assert not [f for f in check_manifest(manifest) if f.severity == "ERROR"]
