"""The scorecard as Excel (openpyxl, two sheets: 考核得分, 扣分明细) and PDF (WeasyPrint, the
shared A4 style with the embedded CJK font), for a whole run or one unit's card.  Times and
days are China's; each deduction names the record it cites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infrastructure import clock, pdf
from infrastructure.excel import Column, build_workbook, workbook_bytes
from models.assessment import AssessmentCard, AssessmentRun
from services.assessment.items import AREAS, ITEM_BY_CODE

TITLE = "事中事后综合监管平台应用考核评分表"
RECORD_LABELS = {
    "fact_permit": "归集信息·行政许可", "fact_penalty": "归集信息·行政处罚", "fact_supervision": "归集信息·监管信息",
    "fact_sanction": "归集信息·惩戒信息", "fact_abnormal": "归集信息·经营异常名录", "scope_notice": "双告知抄告",
    "sanction_task": "联合惩戒任务", "risk_digest": "风险库每日汇总", "judgement": "考核评定",
}
SUMMARY = ("序号", "被考核单位", *(f"{a.name}（{a.weight}）" for a in AREAS), "总分", "待评定项", "说明")
DETAILS = ("被考核单位", "考核指标", "细化标准", "扣分", "依据记录", "期限", "情况")


def record_label(kind: str, ident: int) -> str:
    return f"{RECORD_LABELS.get(kind, kind)} #{ident}"


def summary_rows(cards: Sequence[AssessmentCard]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for n, c in enumerate(cards, start=1):
        if c.scored:
            out.append([n, c.department.name, *(c.areas.get(a.code) for a in AREAS), c.total, c.pending,
                        "含待评定项，得分为暂定" if c.pending else ""])
        else:
            out.append([n, c.department.name, *("—" for _ in AREAS), "不予评分", c.pending, c.reason])
    return out


def detail_rows(cards: Sequence[AssessmentCard]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for c in cards:
        for d in c.deductions:
            item = ITEM_BY_CODE[d.item]
            area = next(a.name for a in AREAS if a.code == item.area)
            out.append([c.department.name, area, item.standard, d.points if d.points else "0（已达上限）",
                        record_label(d.record_kind, d.record_id), d.on_date.isoformat() if d.on_date else "", d.detail])
    return out


def subtitle(run: AssessmentRun) -> str:
    return (f"{run.region.name}　{run.year}年度　数据截至{clock.cn_date(run.as_of)}　"
            f"计算于{clock.format_china(run.created_at)}　校验值 {run.digest[:16]}")


def xlsx(run: AssessmentRun, cards: Sequence[AssessmentCard]) -> bytes:
    wb = build_workbook("考核得分", [Column(t, width=w) for t, w in zip(SUMMARY, (6, 26, 12, 12, 12, 12, 12, 10, 10, 40),
                                                                         strict=True)],
                        summary_rows(cards), template_rows=0, required_mark="")
    ws = wb.create_sheet("扣分明细")
    widths = (24, 10, 36, 10, 26, 12, 60)
    for c, (title, width) in enumerate(zip(DETAILS, widths, strict=True), start=1):
        ws.cell(row=1, column=c, value=title)
        ws.column_dimensions[chr(64 + c)].width = width
    for r, row in enumerate(detail_rows(cards), start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    info = wb.create_sheet("说明")
    info.cell(row=1, column=1, value=f"{TITLE}　{subtitle(run)}")
    return workbook_bytes(wb)


def pdf_bytes(run: AssessmentRun, cards: Sequence[AssessmentCard]) -> bytes:
    html = pdf.render_html("pdf/assessment.html", title=TITLE, subtitle=subtitle(run), summary_columns=SUMMARY,
                           summary=summary_rows(cards), detail_columns=DETAILS, details=detail_rows(cards))
    return pdf.write_deterministic(html)
