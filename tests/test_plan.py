"""Plans, teams and meeting records: every document dated by its own milestone, teams per service,
minutes from meeting records, with located errors for what the inputs miss; `sowpack check` on dates and minutes."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import SPECS, write_tree
from pipeline.cli import main

SPEC = """\
version: 1
service: 91
title: 迷你计划服务
slug: mini-plan
packages:
  - {name: 标准服务, description: 一次咨询}
acceptance: {rule: 客户确认交付物即视为验收合格。, review_days: 5, day_type: working, deemed_accepted: false,
             document: acceptance-report}
deliverables:
  - {id: kickoff, seed_name: 《【XXX】项目启动会议报告》, kind: kickoff, formats: [docx]}
  - {id: work-plan, seed_name: 《工作计划》, kind: work-plan}
  - id: design
    seed_name: 《【XXX】设计方案》
    kind: report
    sections: [设计要点]
  - id: review
    seed_name: 评审会
    title: 设计方案评审会会议纪要
    kind: minutes
    reviews: [design]
    evidence_for: 会议：设计方案评审会
  - id: report
    seed_name: 《【XXX】总结报告》
    kind: report
    sections: [总结]
  - {id: acceptance-report, seed_name: 《项目验收报告》, kind: acceptance-report}
plan:
  - phase: 启动
    weight: 1
    tasks:
      - {name: 召开启动会, owner: 客户项目经理}
      - {name: 编制计划, owner: 服务方项目经理}
    deliverables: [kickoff, work-plan]
  - phase: 设计
    weight: 3
    milestone: 设计方案提交评审
    tasks:
      - {name: 方案设计, owner: 服务方技术专家}
      - {name: 提供资料, owner: 客户技术团队}
    deliverables: [design]
  - phase: 总结与验收
    weight: 1
    tasks:
      - {name: 编写总结报告, owner: 服务方技术专家}
      - {name: 签署验收, owner: 客户验收人}
    deliverables: [report, acceptance-report]
"""

ENGAGEMENT = """\
version: 1
customer: {name: 测试客户有限公司, short_name: 测试客户}
project: 测试客户计划项目
vendor: 阿里云
date: 2026-03-02
document_control: {version: V1.0, author: 张伟, reviewer: 李娜}
people:
  - {name: 张伟, org: 阿里云, role: 项目经理, services: [91]}
  - {name: 李娜, org: 阿里云, role: 架构师, services: {91: 设计架构师}}
  - {name: 赵敏, org: 阿里云, role: 数据专家, services: []}
  - {name: 王芳, org: 测试客户有限公司, role: 信息中心主任, services: [91]}
  - {name: 刘强, org: 测试客户有限公司, role: 运维主管, services: [91]}
  - {name: 陈晨, org: 测试客户有限公司, role: 财务总监, services: []}
services:
  - service: 91
    package: 标准服务
    applied_on: 2026-02-16
    start: 2026-03-02
    end: 2026-03-27
    answers: answers/91.yaml
    managers: {vendor: 张伟, customer: 王芳}
    signatories: {customer: 刘强}
"""

ANSWERS = """\
version: 1
service: 91
project:
  background: 测试客户的订单系统在月末出现性能瓶颈，本次咨询给出设计方案。
  objectives: [明确订单系统的设计方案]
  risks:
    - {risk: 资料提供延迟, impact: 中, mitigation: 启动后两天内提供, owner: 王芳}
  status_meeting: {when: 每周一 10:00, place: 视频会议}
  channels: [钉钉群“测试项目组”]
deliverables:
  design:
    sections: {设计要点: 订单库拆分为读写两套实例。}
  report:
    sections: {总结: 设计方案已评审通过。}
  review:
    meeting:
      date: 2026-03-23
      time: 14:00–15:30
      place: 测试客户 3 楼会议室
      host: 王芳
      recorder: 李娜
      attendees: [王芳, 刘强, 张伟, 李娜]
      agenda:
        - item: 设计方案评审
          discussion: 李娜汇报了读写分离方案，刘强关注切换窗口。
          comments: [补充切换回退步骤]
      verdict: 有条件通过
      conclusion: 补充回退步骤后通过。
      actions:
        - {action: 补充切换回退步骤, owner: 李娜, due: 2026-03-25, status: 进行中}
"""


class PlanRoot:
    """A tiny engagement buying the service above, with the project's _kinds.yaml and templates."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.specs = base / "specs"
        self.eng = base / "eng"
        self.out = base / "out"
        shutil.copytree(SPECS, self.specs, ignore=lambda d, names: [n for n in names if n != "_kinds.yaml"])
        write_tree(base, {"specs/91-mini-plan.yaml": SPEC, "eng/engagement.yaml": ENGAGEMENT,
                          "eng/answers/91.yaml": ANSWERS})

    def edit(self, rel: str, fn) -> None:
        p = self.base / rel
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        fn(data)
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def replace(self, rel: str, old: str, new: str) -> None:
        p = self.base / rel
        text = p.read_text(encoding="utf-8")
        assert old in text, old
        p.write_text(text.replace(old, new, 1), encoding="utf-8")

    def build(self):
        return CliRunner().invoke(main, ["build", str(self.eng), "--specs", str(self.specs), "--out", str(self.out)])

    def plan(self):
        from pipeline.document.plan import plans_for
        from pipeline.inputs.load import load_engagement
        from pipeline.specs.load import load_specs

        specs, found = load_specs(self.specs)
        assert not [f for f in found if f.is_error], found
        eng, found = load_engagement(self.eng)
        assert eng is not None, [str(f) for f in found]
        return plans_for(eng, {s.service: s for s in specs})[91]


@pytest.fixture
def root(tmp_path, monkeypatch) -> PlanRoot:
    monkeypatch.chdir(tmp_path)
    return PlanRoot(tmp_path)


def first_error(result) -> str:
    return next(line for line in result.output.splitlines() if ": ERROR: " in line)


# --- the plan ----------------------------------------------------------------------------------
def test_phases_share_the_working_days_by_weight_and_date_every_deliverable(root):
    plan = root.plan()
    # 2026-03-02 .. 03-27: 20 working days shared 1:3:1.
    assert [(p.name, p.start.isoformat(), p.end.isoformat()) for p in plan.phases] == [
        ("启动", "2026-03-02", "2026-03-05"), ("设计", "2026-03-06", "2026-03-23"),
        ("总结与验收", "2026-03-24", "2026-03-27")]
    dates = {d: p.date.isoformat() for d, p in plan.deliverables.items()}
    assert dates["kickoff"] == "2026-03-02"  # anchor start: the first day
    assert dates["work-plan"] == "2026-03-05"  # anchor end: the phase's last day
    assert dates["design"] == "2026-03-23"
    assert dates["review"] == "2026-03-23" and plan.deliverables["review"].source == "meeting"
    # spread over its phase's days but the last, which the acceptance report (anchor end) keeps
    assert dates["report"] == "2026-03-26" and dates["acceptance-report"] == "2026-03-27"
    assert plan.phases[1].milestone == "设计方案提交评审" and plan.phases[0].milestone == "启动完成"
    assert not plan.findings
    # the tasks share their phase, each owned by a role filled by named people
    tasks = plan.phases[1].tasks
    assert [(t.name, t.people, t.start.isoformat(), t.end.isoformat()) for t in tasks] == [
        ("方案设计", ("李娜",), "2026-03-06", "2026-03-13"), ("提供资料", ("刘强",), "2026-03-16", "2026-03-23")]


def test_review_minutes_without_a_meeting_date_follow_what_they_review(root):
    root.edit("eng/answers/91.yaml", lambda d: d["deliverables"].pop("review"))
    plan = root.plan()
    # the working day after the design (Monday 23rd -> Tuesday 24th)
    assert plan.date_of("review") == dt.date(2026, 3, 24) and plan.deliverables["review"].source == "review"


def test_working_days_skip_holidays_and_count_swapped_saturdays(root):
    # 2026-09-28 .. 10-16: 国庆/中秋 Oct 1-7 off; Sunday 9-20 and Saturday 10-10 are 调休 working days.
    root.replace("eng/engagement.yaml", "start: 2026-03-02", "start: 2026-09-28")
    root.replace("eng/engagement.yaml", "end: 2026-03-27", "end: 2026-10-16")
    root.edit("eng/answers/91.yaml", lambda d: d["deliverables"]["review"]["meeting"].update(
        date="2026-10-12", actions=[{"action": "补充", "owner": "李娜", "due": "2026-10-13", "status": "未开始"}]))
    plan = root.plan()
    days = [d for p in plan.phases for t in p.tasks for d in (t.start, t.end)]
    assert not any(dt.date(2026, 10, 1) <= d <= dt.date(2026, 10, 7) for d in days)
    assert dt.date(2026, 10, 10) in days or any(p.start <= dt.date(2026, 10, 10) <= p.end for p in plan.phases)


def test_an_override_moves_one_document_and_its_milestone(root):
    root.replace("eng/engagement.yaml", "    signatories: {customer: 刘强}", "    signatories: {customer: 刘强}\n"
                 "    dates: {design: 2026-03-20}")
    plan = root.plan()
    assert plan.date_of("design") == dt.date(2026, 3, 20) and plan.deliverables["design"].source == "override"


@pytest.mark.parametrize("dates, code, place", [
    ("{design: 2026-04-01}", "plan.outside-period", "engagement.yaml:23:13"),
    ("{report: 2026-03-02, kickoff: 2026-03-03}", "plan.before-kickoff", "engagement.yaml:23:13"),
    ("{design: 2026-03-26}", "plan.review-before-document", "answers/91.yaml:17:7"),
    ("{desing: 2026-03-20}", "input.unknown-deliverable", "engagement.yaml:23:13"),
])
def test_dates_out_of_order_are_located_errors(root, dates, code, place):
    root.replace("eng/engagement.yaml", "    signatories: {customer: 刘强}", "    signatories: {customer: 刘强}\n"
                 f"    dates: {dates}")
    result = root.build()
    lines = [line for line in result.output.splitlines() if f"[{code}]" in line]
    assert lines and f"eng/{place}" in lines[0], result.output
    if code != "input.unknown-deliverable":
        assert result.exit_code == 1 and not root.out.exists()


def test_a_document_after_the_acceptance_report_is_an_error(root):
    root.replace("eng/engagement.yaml", "    signatories: {customer: 刘强}", "    signatories: {customer: 刘强}\n"
                 "    dates: {acceptance-report: 2026-03-24}")
    result = root.build()
    assert result.exit_code == 1
    # located at the spec's phase that dates it
    assert ("specs/91-mini-plan.yaml:41: ERROR: 'report' is dated 2026年3月26日, after the acceptance report "
            "(2026年3月24日) [plan.after-acceptance]") in result.output


# --- teams and meeting records: located errors ----------------------------------------------
def test_a_service_the_engagement_does_not_buy_is_a_warning(root):
    root.replace("eng/engagement.yaml", "{name: 王芳, org: 测试客户有限公司, role: 信息中心主任, services: [91]}",
                 "{name: 王芳, org: 测试客户有限公司, role: 信息中心主任, services: [91, 9]}")
    result = root.build()
    assert result.exit_code == 0, result.output
    assert ("eng/engagement.yaml:11:60: WARNING: person '王芳' works on service 9, which this engagement does not buy "
            "(it buys 91); ignored [input.service-not-bought]") in result.output


@pytest.mark.parametrize("old, new, expected", [
    ("    managers: {vendor: 张伟, customer: 王芳}\n", "",
     "engagement.yaml:15:5: ERROR: service 91 needs 'managers: {vendor: <name>, customer: <name>}'"),
    ("managers: {vendor: 张伟, customer: 王芳}", "managers: {vendor: 张伟, customer: 陈晨}",
     "engagement.yaml:21:28: ERROR: the customer manager '陈晨' does not work on service 91"),
    ("managers: {vendor: 张伟, customer: 王芳}", "managers: {vendor: 王芳, customer: 王芳}",
     "engagement.yaml:21:16: ERROR: the vendor manager '王芳' must be from 服务方"),
    ("reviewer: 李娜}", "reviewer: 赵敏}",
     "engagement.yaml:15:5: ERROR: document_control's reviewer '赵敏' does not work on service 91"),
    ("  - {name: 刘强, org: 测试客户有限公司, role: 运维主管, services: [91]}",
     "  - {name: 刘强, org: 测试客户有限公司, role: 运维主管}",
     "engagement.yaml:12:5: ERROR: person '刘强' does not say which services they work on"),
])
def test_team_mistakes_get_one_located_line(root, old, new, expected):
    root.replace("eng/engagement.yaml", old, new)
    result = root.build()
    assert result.exit_code == 1
    assert any(line.endswith("]") and expected in line for line in result.output.splitlines()), result.output


@pytest.mark.parametrize("old, new, code, place", [
    ("verdict: 有条件通过", "verdict: 优秀", "input.bad-value", "answers/91.yaml:27:7"),
    ("      verdict: 有条件通过\n", "", "input.missing-verdict", "answers/91.yaml:16:5"),
    ("attendees: [王芳, 刘强, 张伟, 李娜]", "attendees: [王芳, 刘强, 张伟, 李娜, 孙悦]", "input.not-on-team",
     "answers/91.yaml:22:35"),
    ("{action: 补充切换回退步骤, owner: 李娜,", "{action: 补充切换回退步骤, owner: 陈晨,", "input.not-on-team",
     "answers/91.yaml:30:30"),
    ("    meeting:\n", "    meeting_:\n", "input.unknown-key", "answers/91.yaml:16:5"),
    ("      actions:\n        - {action: 补充切换回退步骤, owner: 李娜, due: 2026-03-25, status: 进行中}\n",
     "      actions: []\n", "input.missing-key", "answers/91.yaml:29:7"),
    ("status: 进行中}", "status: 完成}", "input.bad-value", "answers/91.yaml:30:58"),
])
def test_meeting_mistakes_get_one_located_line(root, old, new, code, place):
    root.replace("eng/answers/91.yaml", old, new)
    result = root.build()
    lines = [line for line in result.output.splitlines() if f"[{code}]" in line]
    assert lines and lines[0].startswith(f"eng/{place}: "), result.output


def test_minutes_without_a_meeting_say_so_once(root):
    root.edit("eng/answers/91.yaml", lambda d: d["deliverables"].pop("review"))
    result = root.build()
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": ERROR: " in line]
    assert len(errors) == 1 and "[input.missing-meeting]" in errors[0], result.output


def test_kickoff_and_work_plan_need_the_project_background_and_risks(root):
    root.edit("eng/answers/91.yaml", lambda d: d.pop("project"))
    result = root.build()
    errors = [line for line in result.output.splitlines() if ": ERROR: " in line]
    assert {e.split("[")[-1] for e in errors} == {"input.missing-project]"} and len(errors) == 2, result.output


# --- what the documents say --------------------------------------------------------------------
@pytest.fixture
def built(root):
    result = root.build()
    assert result.exit_code == 0, result.output
    return root.out / "eng" / "91-mini-plan"


def dump(path: Path) -> list[str]:
    from pipeline.readers.dump import read
    return read(path).dump


def test_work_plan_renders_tasks_milestones_dates_gantt_raci_and_meetings(built):
    lines = dump(built / "工作计划.docx")
    text = "\n".join(lines)
    assert "P[Cover Text] 2026年3月5日" in lines  # dated by its own milestone
    assert "| 设计 | 方案设计 | 服务方技术专家 | 李娜 | 3月6日 | 3月13日 |" in text
    assert "| 2 | 设计方案提交评审 | 设计 | 3月23日 | 《测试客户设计方案》、《设计方案评审会会议纪要》 |" in text
    assert "| 3 | 《测试客户设计方案》 | docx | 设计 | 2026年3月23日 | 张伟 | 李娜 |" in text
    assert sum("[picture]" in line for line in lines) == 1 and "P[Caption] 图：迷你计划服务进度计划（甘特图）" in lines
    assert ("| 阶段（R 执行 / A 负责 / C 咨询 / I 知会） | 服务方项目经理（张伟） | 服务方技术专家（李娜） | "
            "客户项目经理（王芳） | 客户技术团队（刘强） | 客户验收人（刘强） |") in text
    assert ("| 3月23日 | 设计方案评审会 | 14:00–15:30，测试客户 3 楼会议室 | 王芳、刘强、张伟、李娜 "
            "| 《设计方案评审会会议纪要》 |") in text
    assert "| 服务期内 | 项目例会 | 每周一 10:00，视频会议 | 张伟、王芳 | 例会纪要、待办事项更新 |" in text
    # only this service's people: 赵敏 and 陈晨 work on no service here
    assert "赵敏" not in text and "陈晨" not in text
    assert "| 李娜 | 阿里云 | 设计架构师 | — |" in text  # the role held in this service


def test_minutes_are_the_meeting_record(built):
    text = "\n".join(dump(built / "设计方案评审会会议纪要.docx"))
    assert "P[Cover Text] 2026年3月23日" in text
    assert "| 会议时间 | 2026年3月23日 14:00–15:30 |" in text
    assert "| 参会人员（测试客户） | 王芳（信息中心主任）、刘强（运维主管） |" in text
    assert "| 评审对象 | 《测试客户设计方案》（2026年3月23日提交） |" in text
    assert "评审结论：有条件通过。" in text
    assert "| 1 | 补充切换回退步骤 | 李娜（设计架构师） | 2026年3月25日 | 进行中 |" in text
    assert "双方就上述议题进行了充分讨论" not in text


def test_every_document_carries_its_planned_date(built):
    import json
    manifest = json.loads((built.parent / "manifest.json").read_text(encoding="utf-8"))
    dates = {d["deliverable"]: d["date"] for d in manifest["deliverables"]}
    assert dates == {"kickoff": "2026-03-02", "work-plan": "2026-03-05", "design": "2026-03-23", "review": "2026-03-23",
                     "report": "2026-03-26", "acceptance-report": "2026-03-27"}
    from pipeline.readers.read import read
    assert read(built / "测试客户总结报告.docx").date == "2026-03-26"


# --- sowpack check --------------------------------------------------------------------------------
def _set_created(path: Path, iso: str) -> None:
    import re
    import zipfile
    src = zipfile.ZipFile(path)
    items = [(i, src.read(i.filename)) for i in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, body in items:
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>" + iso.encode() + b"T00:00:00Z", body)
            dst.writestr(info, body)


def check(root: PlanRoot):
    from pipeline.checks.run import check_pack
    return check_pack(root.out / "eng", root.specs)


def test_check_finds_documents_out_of_plan_order(root, built):
    assert not check(root).errors
    _set_created(built / "测试客户总结报告.docx", "2026-03-30")
    _set_created(built / "设计方案评审会会议纪要.docx", "2026-03-20")
    _set_created(built / "测试客户设计方案.docx", "2026-02-27")
    found = sorted((f.code, f.deliverable) for f in check(root).errors)
    assert found == [("plan.after-acceptance", "report"), ("plan.before-kickoff", "design")]
    _set_created(built / "测试客户设计方案.docx", "2026-03-23")
    found = sorted((f.code, f.deliverable) for f in check(root).errors)
    assert ("plan.review-before-document", "review") in found


def _drop_after(heading: str):
    def fn(doc):
        body = doc.element.body
        seen = False
        for el in list(body.iterchildren()):
            text = "".join(t.text or "" for t in el.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))
            para = el.tag.endswith("}p")
            style = el.pPr.pStyle.val if para and el.pPr is not None and el.pPr.pStyle is not None else ""
            if para and "Heading" in style:
                seen = heading in text
                continue
            if seen and not el.tag.endswith("}sectPr"):
                body.remove(el)
    return fn


def test_check_finds_minutes_without_conclusion_or_actions(root, built):
    from docx import Document
    path = built / "设计方案评审会会议纪要.docx"
    doc = Document(str(path))
    _drop_after("待办事项")(doc)
    doc.save(str(path))
    found = [(f.code, f.target) for f in check(root).errors]
    assert ("completeness.no-actions", "待办事项") in found
    doc = Document(str(path))
    for p in doc.paragraphs:
        for r in p.runs:
            r.text = r.text.replace("有条件通过", "待议")
    doc.save(str(path))
    found = [(f.code, f.target) for f in check(root).errors]
    assert ("completeness.no-conclusion", "会议结论") in found


# --- the spec's plan ----------------------------------------------------------------------------
def test_a_review_of_drafts_comes_before_the_issued_documents(root):
    root.replace("specs/91-mini-plan.yaml", "    reviews: [design]\n", "    reviews: [design]\n    review_of: draft\n")
    root.replace("eng/engagement.yaml", "    signatories: {customer: 刘强}", "    signatories: {customer: 刘强}\n"
                 "    dates: {design: 2026-03-20}")
    result = root.build()
    assert result.exit_code == 1
    assert ("eng/engagement.yaml:23:13: ERROR: 'design' is dated 2026年3月20日, before the meeting 'review' that "
            "reviewed its draft (2026年3月23日); the issued document follows its review [plan.final-before-review]"
            in result.output), result.output
    root.replace("eng/engagement.yaml", "dates: {design: 2026-03-20}", "dates: {design: 2026-03-25}")
    result = root.build()
    assert result.exit_code == 0, result.output
    text = "\n".join(dump(root.out / "eng" / "91-mini-plan" / "设计方案评审会会议纪要.docx"))
    assert "| 评审对象 | 《测试客户设计方案》（评审稿，定稿计划于2026年3月25日提交） |" in text


@pytest.mark.parametrize("old, new, message", [
    ("{name: 方案设计, owner: 服务方技术专家}", "{name: 方案设计, owner: 架构师}",
     ("specs/91-mini-plan.yaml:38:22: ERROR: 'plan[1].tasks[0].owner' must be one of 服务方项目经理, 服务方技术专家, "
      "客户项目经理, 客户技术团队, 客户验收人 (got '架构师')")),
    ("    deliverables: [report, acceptance-report]", "    deliverables: [design, report, acceptance-report]",
     ("specs/91-mini-plan.yaml:46:20: ERROR: deliverable 'design' is closed by phase 2 already; a deliverable "
      "belongs to one phase")),
    ("    weight: 3\n", "    weight: 0\n",
     "specs/91-mini-plan.yaml:35:5: ERROR: 'weight' of phase '设计' must be more than 0"),
    ("    reviews: [design]\n", "    reviews: [desgin]\n",
     "specs/91-mini-plan.yaml:20:15: ERROR: 'deliverables[3].reviews[0]' must be one of"),
])
def test_plan_mistakes_in_a_spec_are_located(root, old, new, message):
    root.replace("specs/91-mini-plan.yaml", old, new)
    result = root.build()
    assert result.exit_code == 1
    assert any(message in line for line in result.output.splitlines()), result.output


def test_every_sample_spec_places_every_deliverable_in_its_plan():
    from pipeline.specs.load import load_specs
    specs, found = load_specs(SPECS)
    assert not found
    for spec in specs:
        assert spec.plan, spec.path
        listed = {d for ph in spec.plan for d in ph.deliverables}
        for d in spec.deliverables:
            placed_by_kind = d.kind == "sign-in" or (d.reviews and d.review_of == "final") or d.optional
            assert d.id in listed or placed_by_kind, f"{spec.path}: '{d.id}' is in no phase"


def test_plain_text_keeps_markdown_characters(root):
    root.replace("specs/91-mini-plan.yaml", "{name: 编制计划, owner: 服务方项目经理}",
                 "{name: 建立7*24值守群, owner: 服务方项目经理}")
    root.replace("specs/91-mini-plan.yaml", "    weight: 1\n    tasks:\n      - {name: 召开启动会",
                 "    weight: 1\n    milestone: 7*24值守就绪\n    tasks:\n      - {name: 召开启动会")
    result = root.build()
    assert result.exit_code == 0, result.output
    text = "\n".join(dump(root.out / "eng" / "91-mini-plan" / "工作计划.docx"))
    assert "建立7*24值守群（张伟）。里程碑：7*24值守就绪（3月5日）" in text
