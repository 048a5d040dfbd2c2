"""The 联席会议办公室's aggregated 工作台账 (A.6 across member units, services.ledgers.aggregate)
as an Excel workbook and as an A3 landscape PDF.

Both list the rows unit by unit, each unit closed by its 小计 and the whole by 合计: the number
of rows, how many say 是 in each yes/no column and the sum of 罚款金额（万元）.  Column titles are
A.6's, character for character, after 序号 and 填报单位 (and 任务 when several tasks are printed
together).  In the workbook 联系电话 is text (a leading 0 never drops), 填报日期 a date, the fine a
number; cells that would start a formula are escaped (infrastructure.excel.escape_cell).  The PDF
repeats the table header on every page, prints 第 X 页 共 Y 页 (infrastructure/pdf.py, the shipped
CJK font embedded) and ends with the 填报人 / 审核人 / 日期 sign-off block.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from infrastructure import pdf
from infrastructure.excel import escape_cell, workbook_bytes
from services.ledgers import COLUMNS, Aggregate, amount, row_values

TITLE = "联席会议工作台账汇总表"
_WIDTHS = {"序号": 7, "填报单位": 20, "任务": 20, "经营者/名称": 24, "经营地址": 30, "经营项目": 18, "联系电话": 15,
           "证照情况": 12, "罚款金额（万元）": 12, "填报日期": 12}
_FLAG_WIDTH = 9
_FILL = PatternFill("solid", fgColor="DCE6F2")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
FINE_FORMAT = "0.00##"


def columns(agg: Aggregate) -> list[str]:
    head = ["序号", "填报单位"]
    if len({u.task.id for u in agg.units}) > 1:
        head.append("任务")
    return head + list(COLUMNS)


def widths(agg: Aggregate) -> list[int]:
    return [_WIDTHS.get(c, _FLAG_WIDTH) for c in columns(agg)]


def table(agg: Aggregate) -> list[tuple[str, list[Any]]]:
    """("row" | "subtotal" | "total", cells) in print order."""
    with_task = "任务" in columns(agg)
    out: list[tuple[str, list[Any]]] = []
    n = 0
    for unit in agg.units:
        lead = [unit.department.name] + ([unit.task.title] if with_task else [])
        for row in unit.ledger.rows:
            n += 1
            out.append(("row", [n, *lead, *row_values(row)]))
        out.append(("subtotal", ["", *lead, *unit.totals.cells("小计")]))
    blank = [""] * (2 if with_task else 1)
    out.append(("total", ["", *blank, *agg.totals.cells("合计")]))
    return out


def xlsx(agg: Aggregate, subtitle: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "工作台账汇总"
    head = columns(agg)
    first = 1
    if subtitle:
        ws.cell(row=1, column=1, value=escape_cell(f"{TITLE}（{subtitle}）")).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
        first = 2
    for c, title in enumerate(head, start=1):
        cell = ws.cell(row=first, column=c, value=title)
        cell.font = Font(bold=True)
        cell.fill = _FILL
        cell.border = _BORDER
        cell.alignment = _CENTER
        ws.column_dimensions[get_column_letter(c)].width = _WIDTHS.get(title, _FLAG_WIDTH)
    ws.row_dimensions[first].height = 32
    ws.freeze_panes = ws.cell(row=first + 1, column=1).coordinate
    ws.print_title_rows = f"{first}:{first}"
    phone, fine, filled = head.index("联系电话") + 1, head.index("罚款金额（万元）") + 1, head.index("填报日期") + 1
    for r, (kind, cells) in enumerate(table(agg), start=first + 1):
        for c, value in enumerate(cells, start=1):
            cell = ws.cell(row=r, column=c, value=escape_cell(value))
            cell.border = _BORDER
            cell.alignment = _CENTER if c == 1 or isinstance(value, int) else _WRAP
            if c == phone:
                cell.number_format = "@"
            elif c == fine and value not in ("", None):
                cell.number_format = FINE_FORMAT
            elif c == filled and isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            if kind != "row":
                cell.font = Font(bold=True)
                cell.fill = _TOTAL_FILL
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return workbook_bytes(wb)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return amount(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def text_table(agg: Aggregate) -> list[tuple[str, list[str]]]:
    """``table`` with every cell as printed (dates ISO, amounts without exponent)."""
    return [(kind, [cell_text(v) for v in cells]) for kind, cells in table(agg)]


def pdf_bytes(agg: Aggregate, subtitle: str = "", preparer: str = "") -> bytes:
    """A3 landscape, the header repeated on each page, 小计 and 合计 rows, closed by the
    填报人 / 审核人 / 日期 block (``preparer``: the exporting user's name; the rest by hand)."""
    rows = text_table(agg)
    return pdf.render("pdf/ledger_aggregate.html", title=TITLE, subtitle=subtitle, columns=columns(agg),
                      widths=widths(agg), rows=rows, preparer=preparer)
