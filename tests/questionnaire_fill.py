"""A script that fills a questionnaire the way a customer would (used by the round-trip tests)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook


def _value(col: str, allowed: list[str] | None, fmt: str, i: int):
    if allowed:
        return allowed[i % len(allowed)]
    if fmt == "yyyy-mm-dd":
        return dt.datetime(2026, 5, 10 + i)
    if fmt == "yyyy-mm-dd hh:mm":
        return dt.datetime(2026, 5, 10 + i, 9 + i, 30)
    if fmt == "hh:mm":
        return dt.time(9 + i, 30)
    if fmt in ("0", "0.##"):
        return i + 1
    return f"{col}{i + 1}"


def fill(path: Path, out: Path | None = None) -> Path:
    """Answer every question, give every fact 1, two rows per register, three people on every service
    (张伟 and 黄晓梅, the project managers the tests give `sowpack new`, and one more)."""
    wb = load_workbook(path)
    index = [r for r in wb["_sowpack"].iter_rows(min_row=2, values_only=True) if r and r[0]]
    for name, kind, *_ in index:
        ws = wb[name]
        header = [c.value for c in ws[1]]
        if kind == "questions":
            a, q = header.index("回答") + 1, header.index("问题") + 1
            for r in range(2, ws.max_row + 1):
                if ws.cell(row=r, column=q).value is None:
                    continue
                if "（数字）" == ws.cell(row=r, column=3).value:
                    ws.cell(row=r, column=a).value = 1
                elif ws.cell(row=r, column=3).value == "项目风险":  # 风险；影响程度；应对措施；责任人, a line each
                    ws.cell(row=r, column=a).value = ("生产库数据采集需变更审批；中；提前一周提交变更申请；黄晓梅\n"
                                                      "业务高峰期不可停机；高；割接安排在周末窗口；张伟")
                else:
                    ws.cell(row=r, column=a).value = (f"客户答复：{ws.cell(row=r, column=3).value}的现状已说明。"
                                                      "\n- 第二条说明")
        elif kind == "people":
            services = "、".join(sorted({str(r[2]) for r in index if r[1] == "questions"}, key=int))
            people = [("张伟", "阿里云", "项目经理", "", "138****0001"),
                      ("黄晓梅", "客户方", "IT主管", "信息部", "139****2001"),
                      ("许志强", "客户方", "运维工程师", "", "139****2002")]
            for i, row in enumerate(people, 2):
                for j, v in enumerate(row[:3], 1):
                    ws.cell(row=i, column=j).value = v
                ws.cell(row=i, column=header.index("部门") + 1).value = row[3] or None
                ws.cell(row=i, column=header.index("电话") + 1).value = row[4]
                ws.cell(row=i, column=header.index("参与服务") + 1).value = services
        else:
            lists = {}
            for dv in ws.data_validations.dataValidation:
                if dv.type == "list":
                    col = str(dv.sqref).split(":")[0].rstrip("0123456789")
                    f = dv.formula1
                    if f.startswith('"'):
                        lists[col] = f.strip('"').split(",")
                    else:
                        sheet, rng = f.split("!")
                        letter = rng.split(":")[0].strip("$").rstrip("0123456789").strip("$")
                        src = wb[sheet]
                        lists[col] = [c.value for c in src[letter] if c.value is not None]
            for i in range(2):
                for j, col in enumerate(header, 1):
                    cell = ws.cell(row=i + 2, column=j)
                    cell.value = _value(col, lists.get(cell.column_letter), cell.number_format, i)
    target = out or path
    wb.save(target)
    return target
