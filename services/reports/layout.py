"""A flexible report's form as an Excel layout (docs/reports.md, "How fill cells are marked").

A clerk marks each cell to be filled by typing into it ``{{数值:名称}}`` (a number, summed cell
by cell in the 汇总) or ``{{文本:名称}}`` (text, listed but not summed); the colon may be
full-width and spaces are ignored.  Everything else of the workbook (titles, row and column
headings, merged cells, borders) is the report's layout and is kept as it is.

- ``parse_template``: the marked cells of an upload (a template with none is refused);
- ``template_from_fields``: the layout the platform writes for a report defined by fields
  (名称 in column A, the marked cell in column B), parsed like an upload;
- ``fill_template``: the template a unit downloads (marked cells blank and shaded);
- ``read_cells``: the values a unit's filled template holds in the marked cells;
- ``filled_workbook``: the template with given values in the marked cells (the 汇总 export).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill

from infrastructure.errors import Invalid
from infrastructure.excel import ExcelError, check_upload, escape_cell, workbook_bytes
from models.reports import FieldKind

MARK = re.compile(r"^\s*\{\{\s*(数值|文本)\s*[:：]\s*(.+?)\s*\}\}\s*$")
MARK_HELP = "在要填报的单元格中输入 {{数值:项目名称}}（数值，汇总时逐格相加）或 {{文本:项目名称}}（文字）"
NO_MARKS = "模板中没有标记填报单元格：请" + MARK_HELP + "后重新上传"
MAX_FIELDS = 500
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a unit fills: light yellow
KINDS = {"数值": FieldKind.NUMBER, "文本": FieldKind.TEXT}


@dataclass(frozen=True)
class Mark:
    name: str
    kind: FieldKind
    sheet: str
    cell: str


def _open(data: bytes, *, formulas: bool = True) -> Any:
    try:
        return load_workbook(io.BytesIO(data), data_only=not formulas)
    except Exception:  # noqa: BLE001  (any unreadable workbook is the user's file, not our bug)
        raise ExcelError("无法读取该文件，请上传 .xlsx 格式的 Excel 文件") from None


def parse_template(data: bytes, filename: str = "模板.xlsx") -> list[Mark]:
    """The marked cells of a template, sheet by sheet, row by row; Invalid when none, a name
    repeated or too many."""
    check_upload(data, filename, csv_ok=False, max_bytes=MAX_TEMPLATE_BYTES)
    wb = _open(data)
    marks: list[Mark] = []
    seen: dict[str, str] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or "{{" not in cell.value:
                    continue
                found = MARK.match(cell.value)
                where = f"{ws.title}!{cell.coordinate}"
                if found is None:
                    raise Invalid(f"单元格 {where} 的标记“{cell.value.strip()}”无法识别：应为 {{{{数值:名称}}}} 或 "
                                  "{{文本:名称}}")
                name = found.group(2)[:100]
                if name in seen:
                    raise Invalid(f"填报项目“{name}”在 {seen[name]} 和 {where} 重复标记，请改用不同的名称")
                seen[name] = where
                marks.append(Mark(name, KINDS[found.group(1)], ws.title[:31], cell.coordinate))
    if not marks:
        raise Invalid(NO_MARKS)
    if len(marks) > MAX_FIELDS:
        raise Invalid(f"填报单元格不能超过{MAX_FIELDS}个（模板中有{len(marks)}个）")
    return marks


def template_from_fields(title: str, fields: list[tuple[str, FieldKind]]) -> bytes:
    """A layout for a report defined by fields: its title, then one row per field."""
    wb = Workbook()
    ws = wb.active
    ws.title = "报表"
    ws["A1"] = escape_cell(title)
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["填报项目", "填报值"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for name, kind in fields:
        label = "数值" if kind == FieldKind.NUMBER else "文本"
        ws.append([escape_cell(name), f"{{{{{label}:{name}}}}}"])
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 24
    return workbook_bytes(wb)


def _cells(wb: Any, fields: Any) -> list[tuple[Any, Any]]:
    """(field, cell) of each field in an opened workbook; ExcelError when a sheet is missing."""
    found = []
    for field in fields:
        if field.sheet not in wb.sheetnames:
            raise ExcelError(f"文件中没有工作表“{field.sheet}”：请使用本报表的填报模板")
        found.append((field, wb[field.sheet][field.cell]))
    return found


def fill_template(template: bytes, fields: Any) -> bytes:
    """The template a unit fills: the marked cells blank and shaded."""
    wb = _open(template)
    for _field, cell in _cells(wb, fields):
        cell.value = None
        cell.fill = FILL
    return workbook_bytes(wb)


def read_cells(data: bytes, fields: Any) -> dict[int, tuple[Any, bool]]:
    """field id -> (value, is a formula) of a unit's filled template; a marker left in a
    cell reads as blank."""
    wb = _open(data)
    values: dict[int, tuple[Any, bool]] = {}
    for field, cell in _cells(wb, fields):
        value = cell.value
        if isinstance(value, str) and MARK.match(value):
            value = None
        values[field.id] = (value, cell.data_type == "f")
    return values


def filled_workbook(template: bytes, fields: Any, values: Mapping[int, Any]) -> bytes:
    """The template with ``values`` (field id -> number or text) in its marked cells."""
    wb = _open(template)
    for field, cell in _cells(wb, fields):
        value = values.get(field.id)
        cell.value = escape_cell(value) if isinstance(value, str) else value
        cell.alignment = Alignment(horizontal="right") if not isinstance(value, str) else cell.alignment
    return workbook_bytes(wb)
