"""抽查计划表 exports: DB5101 A.2.1 (部门联合“双随机、一公开”抽查计划表) and seed 003 D.1
(年度抽查工作计划表), as Excel workbooks and as A4 landscape PDFs.

Both read the plans a user may see (services.plan_queries.plans_for_export).  Column titles are the
templates', character for character; cells that would start a spreadsheet formula are
escaped (infrastructure.excel.escape_cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from infrastructure import pdf
from infrastructure.excel import escape_cell, workbook_bytes
from models import Plan, PlanKind
from services.plan_elements import SEP
from services.plan_queries import own_item_names, partner_item_text, partner_names, period_text, ratio_text

A21_TITLE = "部门联合“双随机、一公开”抽查计划表"
A21_COLUMNS = (
    "序号", "任务名称", "检查对象", "发起部门", "参与部门", "抽查户数", "检查方式", "实施层级", "抽查比例", "起止时间",
    "发起部门抽查事项", "参与部门抽查事项及实施层级",
)
A21_WIDTHS = (10, 28, 22, 22, 24, 15, 16, 15, 15, 24, 28, 40)  # also the PDF's proportions
D1_TITLE = "年度抽查工作计划表"
# D.1: 抽查事项 spans two sub-columns, 发起部门 and 配合部门.
D1_COLUMNS = ("序号", "计划名称", "发起部门", "配合部门", "抽查事项", "抽查对象", "抽查时间", "抽查比例", "抽取对象数量（户）")
D1_SUBCOLUMNS = ("发起部门", "配合部门")
D1_WIDTHS = (10, 32, 24, 30, 30, 40, 30, 24, 15, 18)

_FILL = PatternFill("solid", fgColor="DCE6F2")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)


def a21_rows(plans: Sequence[Plan]) -> list[list[Any]]:
    return [
        [
            n, p.name, p.objects, p.department.name, partner_names(p), p.sample_size, p.methods, p.levels,
            ratio_text(p), period_text(p), own_item_names(p), partner_item_text(p),
        ]
        for n, p in enumerate(plans, start=1)
    ]


def partner_items(plan: Plan) -> str:
    """D.1 抽查事项（配合部门）: each 配合部门's items of the plan."""
    rows = []
    for party in (p for p in plan.parties if p.role == "participant"):
        names = [r.item.name for r in plan.items if r.department_id == party.department_id]
        tasks = []
        for r in plan.items:
            if r.department_id != party.department_id:
                continue
            part = next((x for x in r.item.parts if x.department_id == party.department_id), None)
            tasks.append(part.tasks if part and part.tasks else r.item.name)
        rows.append(f"{party.department.name}：{SEP.join(dict.fromkeys(tasks or names))}")
    return "；".join(rows)


def d1_rows(plans: Sequence[Plan]) -> list[list[Any]]:
    return [
        [
            n, p.name, p.department.name, partner_names(p), own_item_names(p),
            partner_items(p) if p.kind == PlanKind.JOINT else "", p.objects, period_text(p), ratio_text(p), p.sample_size,
        ]
        for n, p in enumerate(plans, start=1)
    ]


def _header_cell(ws: Any, row: int, col: int, value: str) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.font = Font(bold=True)
    cell.fill = _FILL
    cell.border = _BORDER
    cell.alignment = _CENTER


def _body(ws: Any, rows: list[list[Any]], first_row: int) -> None:
    for r, row in enumerate(rows, start=first_row):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=escape_cell(value))
            cell.border = _BORDER
            cell.alignment = _CENTER if c == 1 else _WRAP


def a21_xlsx(plans: Sequence[Plan]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "A.2.1抽查计划表"
    for c, title in enumerate(A21_COLUMNS, start=1):
        _header_cell(ws, 1, c, title)
        ws.column_dimensions[get_column_letter(c)].width = A21_WIDTHS[c - 1]
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    _body(ws, a21_rows(plans), 2)
    _landscape(ws)
    return workbook_bytes(wb)


def d1_xlsx(plans: Sequence[Plan]) -> bytes:
    """Two header rows: 抽查事项 over 发起部门 / 配合部门; the other titles span both rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "D.1年度抽查工作计划表"
    col = 1
    for title in D1_COLUMNS:
        if title == "抽查事项":
            _header_cell(ws, 1, col, title)
            _header_cell(ws, 1, col + 1, None)  # type: ignore[arg-type]
            ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 1)
            for offset, sub in enumerate(D1_SUBCOLUMNS):
                _header_cell(ws, 2, col + offset, sub)
            col += 2
        else:
            _header_cell(ws, 1, col, title)
            _header_cell(ws, 2, col, None)  # type: ignore[arg-type]
            ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
            col += 1
    for c, width in enumerate(D1_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A3"
    _body(ws, d1_rows(plans), 3)
    _landscape(ws)
    return workbook_bytes(wb)


def _landscape(ws: Any) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def a21_pdf(plans: Sequence[Plan], subtitle: str = "") -> bytes:
    return pdf.render("pdf/plan_a21.html", title=A21_TITLE, subtitle=subtitle, columns=A21_COLUMNS,
                      widths=A21_WIDTHS, rows=a21_rows(plans))


def d1_pdf(plans: Sequence[Plan], subtitle: str = "") -> bytes:
    return pdf.render("pdf/plan_d1.html", title=D1_TITLE, subtitle=subtitle, columns=D1_COLUMNS,
                      subcolumns=D1_SUBCOLUMNS, widths=D1_WIDTHS, rows=d1_rows(plans))
