"""Numbers written once: references computed from facts and tables, totals checked, the findings
register and its computed summary, and `check` flagging a summary its register contradicts."""
from __future__ import annotations

import pytest

from pipeline.core.facts import ExprError, Facts, Source, evaluate, resolve
from pipeline.core.totals import check_totals
from pipeline.document import findings as reg
from pipeline.inputs.model import Rows

COSTS = Source("月度费用", ["月份", "费用（万元）"], [{"月份": "2026-01", "费用（万元）": 64.8},
                                                 {"月份": "2026-02", "费用（万元）": 59.6},
                                                 {"月份": "2026-03", "费用（万元）": 62.4}])
FINDINGS = Source("findings", list(reg.NAMES), [
    {"ID": "N-1", "领域": "网络", "风险等级": "高", "状态": "整改中"},
    {"ID": "N-2", "领域": "网络", "风险等级": "通过", "状态": "无需处理"},
    {"ID": "S-1", "领域": "安全", "风险等级": "中", "状态": "已完成"},
    {"ID": "S-2", "领域": "安全", "风险等级": "低", "状态": "待处理"}])
FACTS = Facts({"resource_count": 86, "budget": 780}, {"月度费用": COSTS, "findings": FINDINGS})


@pytest.mark.parametrize("expr,value", [
    ("resource_count", "86"), ("sum(月度费用.费用（万元）)", "186.8"), ("avg(月度费用.费用（万元）)", "62.3"),
    ("last(月度费用.费用（万元）)", "62.4"), ("nth(月度费用.费用（万元）, -2)", "59.6"),
    ("max(月度费用.费用（万元）)", "64.8"),
    ("pct(last(月度费用.费用（万元）) / nth(月度费用.费用（万元）, -2) - 1, 1)", "4.7%"),
    ("budget - resource_count", "694"),
    ("round(budget / 7, 1)", "111.4"), ("count(月度费用, 月份>=2026-02)", "2"),
    ("sum(月度费用.费用（万元）, 月份=2026-01/2026-03)", "127.2"),
    ("findings.total", "4"), ("findings.risks", "3"), ("findings.高", "1"), ("findings.passed", "1"),
    ("findings.open", "2"),
    ("count(findings, 领域=安全, 风险等级!=低)", "1"), ("distinct(findings.领域)", "2"),
    ("first(月度费用.月份)", "2026-01"),
])
def test_references_compute_from_facts_and_tables(expr, value):
    assert evaluate(expr, FACTS)[0] == value


def test_a_column_name_may_hold_spaces():
    rows = [{"日期": "4月14日", "节点 PPS 峰值（万）": 79}, {"日期": "4月15日", "节点 PPS 峰值（万）": 96}]
    facts = Facts({}, {"上报": Source("上报", ["日期", "节点 PPS 峰值（万）"], rows)})
    assert evaluate("max(上报.节点 PPS 峰值（万）)", facts)[0] == "96"
    assert evaluate("sum(上报.节点 PPS 峰值（万）, 日期=4月14日) + 1", facts)[0] == "80"


@pytest.mark.parametrize("expr,says", [
    ("resource_cuont", "did you mean 'resource_count'?"), ("sum(月度费用.费用)", "has no column '费用'"),
    ("sum(费用表.费用)", "no table named '费用表'"), ("sum(findings.领域)", "needs numbers"),
    ("budget / 0", "division by zero"),
    ("median(月度费用.费用（万元）)", "unknown function 'median'"),
])
def test_references_that_cannot_be_computed_say_why(expr, says):
    with pytest.raises(ExprError) as exc:
        evaluate(expr, FACTS)
    assert says in str(exc.value)


def test_resolve_records_what_it_computed_and_leaves_column_aggregates():
    text, done, errors = resolve("共 {=resource_count} 个资源，高风险 {=findings.高} 项，合计 {=sum}", FACTS, "概述")
    assert text == "共 86 个资源，高风险 1 项，合计 {=sum}"
    assert [(c.expr, c.value, c.sources) for c in done] == [("resource_count", "86", ("resource_count",)),
                                                             ("findings.高", "1", ("findings",))]
    assert errors == []


def test_a_total_row_is_computed_or_checked():
    rows, problems = check_totals(("类型", "数量", "月费用"), (("云盘", "27 块", "0.9"), ("EIP", "9 个", "0.2"),
                                                           ("合计", "{=sum} 个", "1.2")))
    assert rows[-1] == ("合计", "36 个", "1.2")
    assert problems == [("the 合计 row says 1.2 in column '月费用', but the 2 row(s) above sum to 1.1; write {=sum} "
                         "there to compute it")]
    # Percentages and columns of text are never summed.
    assert check_totals(("项", "占比"), (("a", "52.9%"), ("b", "47.2%"), ("合计", "100.0%")))[1] == []


def _rows(*rows: dict) -> Rows:
    header = list(dict.fromkeys(k for r in rows for k in r))
    from pipeline.core.errors import Location
    return Rows(header, list(rows), {}, Location("answers.yaml"))


def test_findings_register_is_validated():
    good = {"ID": "N-1", "领域": "网络", "检查项": "SLB", "现状与证据": "单可用区", "风险等级": "高", "影响": "中断",
            "建议": "跨可用区", "责任人": "赵磊", "计划完成": "2026-04-30", "状态": "整改中"}
    passed = dict(good, ID="N-2", 风险等级="通过", 建议="", 责任人="", 计划完成="", 状态="无需处理")
    typed, found = reg.validate(_rows(good, passed), {})
    assert found == [] and typed[1]["风险等级"] == "通过"
    bad = [dict(good, 责任人=""), dict(good, ID="N-1", 风险等级="严重"), dict(good, ID="N-3", 计划完成="4月底")]
    _, found = reg.validate(_rows(*bad), {})
    assert [f.code for f in found] == ["input.blank-cell", "input.not-allowed", "input.bad-value", "input.bad-type"]
    assert "a 高-level risk needs who fixes it" in found[0].message
    assert "the year is missing" not in found[3].message and "2026-04-30" in found[3].message


def test_findings_summary_is_computed_from_the_rows():
    table, chart = reg.summary(FINDINGS.rows)
    assert table.header == ("领域", "高风险", "中风险", "低风险", "通过", "合计")
    assert table.rows == (("网络", "1", "0", "0", "1", "2"), ("安全", "0", "1", "1", "0", "2"),
                          ("合计", "1", "1", "1", "1", "4"))
    assert chart.categories == ("网络", "安全") and chart.series[0] == ("高风险", (1.0, 0.0))
    assert [r[0] for r in reg.table(FINDINGS.rows, {"领域": "安全"}).rows] == ["S-1", "S-2"]


MINI_FINDINGS = """
    findings:
      - {ID: N-1, 领域: 网络, 检查项: SLB 跨可用区, 现状与证据: 后端集中在一个可用区, 风险等级: 高, 影响: 中断, 建议: 均衡分布, 责任人: 王芳, 计划完成: 2026-04-30, 状态: 整改中}
      - {ID: N-2, 领域: 网络, 检查项: 网段规划, 现状与证据: 无重叠, 风险等级: 通过, 状态: 无需处理}
      - {ID: S-1, 领域: 安全, 检查项: 高危端口, 现状与证据: 22 端口对公网开放, 风险等级: 中, 影响: 暴力破解, 建议: 收敛, 责任人: 王芳, 计划完成: 2026-04-15, 状态: 待处理}
    sections:
      检查概述:
        - 共识别风险 {=findings.risks} 项，其中高风险 {=findings.高} 项。
        - findings-summary: {}
      检查结论:
        - findings: {}
"""  # noqa: E501 - register rows as the answers write them, one per line


def test_a_summary_contradicted_by_its_register_is_flagged_by_check(mini_engagement):
    from click.testing import CliRunner
    from docx import Document as Docx
    from pipeline.cli import main

    m = mini_engagement
    text = (m.eng / "answers/90-mini.yaml").read_text(encoding="utf-8")
    start = text.index("    sections:\n      检查概述")
    end = text.index("  catalog:")
    (m.eng / "answers/90-mini.yaml").write_text(text[:start] + MINI_FINDINGS.lstrip("\n") + text[end:],
                                                encoding="utf-8")
    result = m.build()
    assert result.exit_code == 0, result.output
    entry = next(d for d in m.manifest()["deliverables"] if d["format"] == "docx")
    assert {"section": "检查概述", "expr": "findings.高", "value": "1", "sources": ["findings"]} in entry["computed"]
    check = CliRunner().invoke(main, ["check", str(m.pack), "--specs", str(m.specs)])
    assert check.exit_code == 0, check.output
    # A high risk added to the register by hand, the overview not updated.
    path = m.pack / entry["path"]
    doc = Docx(str(path))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "ID")
    cells = table.add_row().cells
    values = ["S-2", "安全", "弱口令", "3 个账号弱口令", "高", "改密", "王芳", "2026-04-20", "待处理"]
    for c, v in zip(cells, values, strict=False):
        c.text = v
    doc.save(str(path))
    check = CliRunner().invoke(main, ["check", str(m.pack), "--specs", str(m.specs)])
    assert check.exit_code == 1
    lines = [x for x in check.output.splitlines() if "[check.summary-mismatch]" in x]
    # One finding per section: its first number that disagrees, and how many more do.
    assert len(lines) == 1, check.output
    assert "'检查概述' says 2 ({=findings.risks}), but the register in this file now gives 3" in lines[0]
    assert "(2 more number(s) of '检查概述' disagree too)" in lines[0]


def test_a_build_of_other_deliverables_keeps_the_recorded_numbers(mini_engagement):
    """`build --only` leaves a deliverable's manifest record whole, the numbers `check` recomputes included."""
    m = mini_engagement
    text = (m.eng / "answers/90-mini.yaml").read_text(encoding="utf-8")
    start = text.index("    sections:\n      检查概述")
    end = text.index("  catalog:")
    (m.eng / "answers/90-mini.yaml").write_text(text[:start] + MINI_FINDINGS.lstrip("\n") + text[end:],
                                                encoding="utf-8")
    assert m.build().exit_code == 0
    before = [d for d in m.manifest()["deliverables"] if d["deliverable"] == "report"]
    assert all(d["computed"] for d in before)
    result = m.build("--only", "90/catalog", "--force")
    assert result.exit_code == 0, result.output
    assert [d for d in m.manifest()["deliverables"] if d["deliverable"] == "report"] == before
