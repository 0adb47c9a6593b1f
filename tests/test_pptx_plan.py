"""The slide plan, on plain data (no python-pptx): message titles, bullet limits, notes, table
splits with repeated headers, charts and diagrams on their own slides, dividers only for long
sections, bullet levels, and training modules that teach."""
from __future__ import annotations

import sys

from pipeline.document.nodes import (Chart, Diagram, DiagramNode, Document, ListBlock, Meta, Paragraph, Run,
                                     Section, Table)
from pipeline.renderers.pptx.plan import (MAX_BULLETS, MAX_CHARS, MAX_SLIDE_CHARS, clauses, plan, sentences,
                                          shorten)


def _meta(kind="report"):
    return Meta("测试报告", "《测试报告》", 9, "健康检查服务", "测试客户有限公司", "测试客户", "测试项目", "阿里云",
                "2026-03-02", "2026年3月2日", "V1.0", "张伟", "李娜", kind, "report")


def P(text, bold=False):
    return Paragraph((Run(text, bold=bold),))


LONG = ("本次健康检查覆盖恒信集团华东2（上海）地域 4 个业务系统共 86 个云资源，完成检查项 25 项，识别风险 22 项，"
        "其中高风险 6 项、中风险 12 项、低风险 4 项；另有 2 项检查通过。截至报告日，2 项高风险已整改完成。")


def test_the_plan_needs_no_python_pptx():
    import subprocess
    code = ("import sys, pipeline.renderers.pptx.plan; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pptx'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_text_helpers():
    assert sentences("一句。二句；三句！") == ["一句", "二句", "三句"]
    assert all(len(c) <= MAX_CHARS for c in clauses(LONG))
    assert "".join(clauses(LONG[:LONG.index("。")])).replace("，", "") == LONG[:LONG.index("。")].replace("，", "")
    assert shorten("甲" * 50).endswith("…") and len(shorten("甲" * 50)) == MAX_CHARS


def test_long_text_becomes_short_bullets_with_the_full_text_in_the_notes():
    doc = Document(_meta(), [Section("检查概述", 1, [P(LONG), P(LONG), P(LONG)])])
    slides, _ = plan(doc)
    content = [s for s in slides if s.kind == "bullets"]
    assert content and all(len(s.bullets) <= MAX_BULLETS for s in content)
    assert all(len(b.text) <= MAX_CHARS for s in content for b in s.bullets)
    assert all(sum(len(b.text) for b in s.bullets) <= MAX_SLIDE_CHARS for s in content)
    assert LONG in content[0].notes
    assert content[0].section == "一、检查概述" and content[1].title.startswith("检查概述（续")


def test_a_short_lead_sentence_states_the_message():
    doc = Document(_meta(), [Section("总体结论", 1,
                                     [P("核心链路已具备双可用区能力。但会员库仍为单可用区，需在大促前迁移。")])])
    slide = next(s for s in plan(doc)[0] if s.kind == "bullets")
    assert slide.title == "核心链路已具备双可用区能力" and slide.section == "一、总体结论"
    assert [b.text for b in slide.bullets] == ["但会员库仍为单可用区，需在大促前迁移"]


def test_bullet_levels_follow_the_lead_in():
    items = ListBlock((P("网络"), P("存储"), P("数据库")))
    doc = Document(_meta(), [Section("范围", 1, [items]), Section("内容", 1, [P("检查以下领域："), items])])
    slides = [s for s in plan(doc)[0] if s.kind == "bullets"]
    assert [b.level for b in slides[0].bullets] == [0, 0, 0]  # no lead-in: no sub-bullets
    assert [b.level for b in slides[1].bullets] == [0, 1, 1, 1]


def test_bullets_spread_evenly_and_a_continued_slide_keeps_its_lead_in():
    seven = ListBlock(tuple(P(f"第{i}项检查结论") for i in range(1, 8)))
    doc = Document(_meta(), [Section("结论", 1, [seven])])
    slides = [s for s in plan(doc)[0] if s.kind == "bullets"]
    assert [len(s.bullets) for s in slides] == [4, 3]  # never 6 + 1
    # Five lead-ins, the last followed by its two sub-items: the sub-items never open a slide alone.
    blocks = [P(f"第{i}个议题说明") for i in range(1, 5)]
    blocks += [P("第五个议题包括："), ListBlock((P("子项一"), P("子项二")))]
    slides = [s for s in plan(Document(_meta(), [Section("议题", 1, blocks)]))[0] if s.kind == "bullets"]
    assert all(s.bullets[0].level == 0 for s in slides)
    assert sum(len(s.bullets) for s in slides) == 7 and all(len(s.bullets) <= MAX_BULLETS for s in slides)


def test_tables_split_with_the_header_on_every_part():
    rows = tuple((f"R-{i:02d}", "现状与证据" * 6, "高" if i % 3 == 0 else "中") for i in range(30))
    doc = Document(_meta(), [Section("检查结果", 1, [Table(("ID", "现状", "风险等级"), rows)])])
    slides, notes = plan(doc)
    parts = [s for s in slides if s.kind == "table"]
    assert len(parts) > 2 and all(p.table[0] == ("ID", "现状", "风险等级") for p in parts)
    assert sum(len(p.table[1]) for p in parts) == 30
    assert parts[0].title == f"检查结果：30 项风险，其中高风险 10 项（1/{len(parts)}）"
    assert notes and "split over" in notes[0]


def test_charts_and_diagrams_have_their_own_slides_and_dividers_only_long_sections():
    chart = Chart("bar", "各领域风险数量", ("网络", "安全"), (("高风险", (1.0, 2.0)),), "项")
    diagram = Diagram("网络架构", "network", "TB", (DiagramNode("a", "SLB"),))
    doc = Document(_meta(), [Section("概述", 1, [P("一段说明。")]),
                             Section("架构", 1, [P("说明。"), chart, diagram, P("补充说明。")])])
    slides, _ = plan(doc)
    kinds = [s.kind for s in slides]
    assert kinds.count("divider") == 1 and slides[kinds.index("divider")].title == "二、架构"
    assert kinds[kinds.index("divider") + 1:] == ["bullets", "chart", "diagram", "bullets"]
    assert slides[kinds.index("chart")].title == "各领域风险数量（项）"
    assert slides[kinds.index("diagram")].diagram is diagram


def test_a_training_module_teaches():
    module = Section("成本优化方法", 1, [P("学习目标", bold=True), ListBlock((P("说出四个抓手"),)),
                                        P("云成本 = 用量 × 规格 × 单价："), ListBlock((P("用量优化：释放闲置"),
                                                                                P("规格优化：降配换代"))),
                                        P("课堂练习", bold=True), ListBlock((P("为闲置资源写出处理方式"),)),
                                        P("本节小结", bold=True), ListBlock((P("先释放，再降配"),))])
    bare = Section("资源分析实践", 1, [ListBlock((P("找出来：筛选低利用率实例"), P("算清楚：测算节省")))])
    doc = Document(_meta("training"), [Section("培训目标", 1, [P("目标。")]), module, bare])
    slides, _ = plan(doc)
    titles = [s.title for s in slides]
    i = titles.index("成本优化方法：学习目标")
    assert titles[i:i + 4] == ["成本优化方法：学习目标", "成本优化方法", "成本优化方法：课堂练习",
                               "成本优化方法：本节小结"]
    assert [b.text for b in slides[i].bullets] == ["说出四个抓手"]
    # A module without its teaching blocks gets them from its content and its title.
    j = titles.index("资源分析实践：学习目标")
    assert [b.text for b in slides[j].bullets][1:] == ["说明找出来", "说明算清楚"]
    assert titles[j + 2] == "资源分析实践：课堂练习" and titles[j + 3] == "资源分析实践：本节小结"
    assert slides[titles.index("二、成本优化方法")].kind == "divider"
