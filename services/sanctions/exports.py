"""惩戒目录发布 offline (seed 004 §5.1 惩戒措施离线发布): the catalogue in force as Excel and PDF."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infrastructure import clock, pdf
from infrastructure.excel import Column, build_workbook, workbook_bytes
from models.sanctions import SanctionEntry
from services.publication import department_name

TITLE = "联合奖惩事项清单"
COLUMNS = ("序号", "奖惩类别", "违法/违规名称", "失信性质", "信息产生机构", "限制惩戒机构/激励部门", "措施清单",
           "法律依据", "期限", "版本")
WIDTHS = (6, 8, 28, 14, 18, 22, 40, 30, 22, 6)


def rows(entries: Sequence[SanctionEntry]) -> list[list[Any]]:
    out = []
    for n, e in enumerate(entries, start=1):
        departments = "、".join(dict.fromkeys(department_name(m.department) for m in e.measures))
        measures = "\n".join(f"{department_name(m.department)}：{m.content}" for m in e.measures)
        term = f"{e.starts_on.isoformat()} 至 {e.ends_on.isoformat() if e.ends_on else '长期'}"
        out.append([n, e.kind_enum.label, e.behaviour, e.nature, e.source_agency, departments, measures,
                    e.legal_basis, term, e.version])
    return out


def xlsx(entries: Sequence[SanctionEntry]) -> bytes:
    columns = [Column(t, width=w) for t, w in zip(COLUMNS, WIDTHS, strict=True)]
    wb = build_workbook(TITLE, columns, rows(entries), template_rows=0, required_mark="")
    return workbook_bytes(wb)


def pdf_bytes(entries: Sequence[SanctionEntry]) -> bytes:
    subtitle = f"导出日期：{clock.cn_date(clock.china_today())}"
    return pdf.render("pdf/plan_a21.html", title=TITLE, subtitle=subtitle, columns=COLUMNS, widths=WIDTHS,
                      rows=rows(entries))
