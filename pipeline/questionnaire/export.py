"""Write the questionnaire: an Excel workbook to fill (or a Word copy to read and print)."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipeline.inputs.model import Engagement
from pipeline.questionnaire.model import (ANSWER, BASE, INDEX, INSTRUCTIONS, KEY, PEOPLE_SHEET, QUESTION_HEADER,
                                          ServiceQuestions, digest, people_columns, people_rows, rows_digest)
from pipeline.scaffold.workbook import BODY_FONT, HEADER_FILL, HEADER_FONT, put, register_sheet, sheet_title

WRAP = Alignment(wrap_text=True, vertical="top")
#: Widths of 编号, 交付物, 章节, 问题, 说明, 回答.
WIDTHS = (8, 24, 22, 36, 48, 60)


def instructions(eng: Engagement, services: list[ServiceQuestions], sheets: dict) -> list[str]:
    lines = [f"{eng.customer_name}：{eng.project} 调研问卷",
             f"服务方：{eng.vendor}",
             "",
             "填写方法：",
             "1. 每个服务一张工作表，每行一个问题；请在“回答”列填写，可换行（Alt+Enter），可用“- ”开头列条目。",
             "2. “说明”列摘自服务说明书（SOW），帮助理解问题；已有的回答已预先填入，可直接修改。",
             ("3. 每个登记表一张工作表：第一行是列名，请从第二行起每行填写一项；带下拉的列请从列表选择，"
              "日期列填写日期（如 2026-03-02），数字列填写数字。"),
             "4. 请勿修改工作表名称、列名和“编号”列，勿插入公式（公式不会被读取）。",
             "5. 填好后将本文件发回项目经理。",
             "",
             "工作表：",
             (f"- {PEOPLE_SHEET}：双方项目人员（姓名、单位、职务、参与服务必填，电话或邮箱至少一项），"
              "用于启动会材料与培训签到表；参与服务写服务编号，如 12、23（某服务的角色不同时写 9：健康检查架构师）")]
    for sq in services:
        lines.append(f"- {sheets[('service', sq.spec.service)]}：{sq.spec.title}（{sq.purchase.package}），"
                     f"{len(sq.questions)} 个问题")
        for r in sq.registers:
            lines.append(f"- {sheets[('register', r.service, r.deliverable.id)]}：{r.title} 登记表"
                         f"（{len(r.columns)} 列）")
    return lines


def sheet_names(services: list[ServiceQuestions]) -> dict:
    taken = {INSTRUCTIONS, INDEX, PEOPLE_SHEET}
    out: dict[tuple, str] = {}
    for sq in services:
        out[("service", sq.spec.service)] = sheet_title(f"{sq.spec.service:02d} {sq.spec.name}", taken)
        for r in sq.registers:
            out[("register", r.service, r.deliverable.id)] = sheet_title(f"{r.service:02d} {r.title}", taken)
    return out


def to_xlsx(eng: Engagement, services: list[ServiceQuestions]) -> bytes:
    """The workbook: instructions, a sheet of questions per service, a sheet per register, a hidden index."""
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS
    names = sheet_names(services)
    for i, line in enumerate(instructions(eng, services, names), 1):
        put(ws, i, 1, line, Font(name="微软雅黑", bold=True, size=14) if i == 1 else BODY_FONT)
    ws.column_dimensions["A"].width = 110
    index = wb.create_sheet(INDEX)
    index.sheet_state = "hidden"
    for j, h in enumerate(("sheet", "kind", "service", "deliverable", "baseline"), 1):
        put(index, 1, j, h)
    people = wb.create_sheet(PEOPLE_SHEET)
    rows = people_rows(eng.people)
    register_sheet(wb, people, people_columns(), rows)
    for j, v in enumerate((PEOPLE_SHEET, "people", "", "", rows_digest(rows, people_columns())), 1):
        put(index, 2, j, v)
    irow = 3
    for sq in services:
        name = names[("service", sq.spec.service)]
        qs = wb.create_sheet(name)
        for j, h in enumerate(QUESTION_HEADER, 1):
            c = put(qs, 1, j, h, HEADER_FONT)
            c.fill = HEADER_FILL
        for i, q in enumerate(sq.questions, 2):
            values = (f"Q{i - 1}", q.deliverable, q.path, q.question, q.hint, q.text, q.key, digest(q.text))
            for j, v in enumerate(values, 1):
                put(qs, i, j, v).alignment = WRAP
            if q.structured:
                qs.cell(row=i, column=5).value = ((q.hint + "\n" if q.hint else "")
                                                  + "（本回答含图表或表格，请在答案文件中修改）")
        for j, w in enumerate(WIDTHS, 1):
            qs.column_dimensions[chr(64 + j)].width = w
        for letter in ("G", "H"):
            qs.column_dimensions[letter].hidden = True
        qs.freeze_panes = "A2"
        for j, v in enumerate((name, "questions", sq.spec.service, "", ""), 1):
            put(index, irow, j, v)
        irow += 1
        for r in sq.registers:
            rname = names[("register", r.service, r.deliverable.id)]
            register_sheet(wb, wb.create_sheet(rname), r.columns, r.rows)
            for j, v in enumerate((rname, "register", r.service, r.deliverable.id, rows_digest(r.rows, r.columns)), 1):
                put(index, irow, j, v)
            irow += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_docx(eng: Engagement, services: list[ServiceQuestions]) -> bytes:
    """A Word copy to read or print: the same questions and register headers (answers come back in the .xlsx)."""
    from pipeline.core.text import cn_date
    from pipeline.document.nodes import Block, Document, Meta, Paragraph, Run, Section, Table
    from pipeline.renderers import get_renderer

    names = sheet_names(services)
    intro: list[Block] = [Paragraph((Run(line),)) for line in instructions(eng, services, names)[1:] if line]
    sections = [Section(INSTRUCTIONS, 1, intro)]
    for sq in services:
        rows = tuple((f"Q{i}", q.path, q.question, q.hint, q.text) for i, q in enumerate(sq.questions, 1))
        kids = []
        for r in sq.registers:
            body = tuple(tuple(str(row.get(c.name, "") or "") for c in r.columns) for row in r.rows) or \
                tuple(tuple("" for _ in r.columns) for _ in range(3))
            allowed = [f"{c.name}：{'、'.join(c.allowed)}" for c in r.columns if c.allowed]
            blocks: list[Block] = [Table(tuple(c.name for c in r.columns), body, f"{r.title}登记表")]
            if allowed:
                blocks.insert(0, Paragraph((Run("可选值：" + "；".join(allowed)),)))
            kids.append(Section(f"{r.title}登记表", 2, blocks))
        sections.append(Section(f"{sq.spec.service}. {sq.spec.title}（{sq.purchase.package}）", 1,
                                [Table(("编号", "章节", "问题", "说明", ANSWER), rows)] if rows else [], kids))
    title = f"{eng.customer_short}调研问卷"
    meta = Meta(title=title, seed_name=title, service=0, service_title=eng.project, customer=eng.customer_name,
                customer_short=eng.customer_short, project=eng.project, vendor=eng.vendor,
                date=eng.date.isoformat(), date_cn=cn_date(eng.date), version="V1.0",
                author=str(eng.document_control.get("author", "")), reviewer="",
                kind_label="questionnaire", deliverable="questionnaire")
    return get_renderer("docx").render(Document(meta, sections))


__all__ = ["to_xlsx", "to_docx", "KEY", "BASE"]
