"""Writing workbooks: styled templates (dropdowns, 填写说明), exports that stream, and the
annotated copy of an upload; cells that start with = + - @ are escaped on export."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from infrastructure.import_rows import find_header_row

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
_ERROR_FILL = PatternFill("solid", fgColor="F8D7DA")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


class ExcelError(ValueError):
    """An upload that cannot be read at all; the message is for the user.  ``problems`` lists
    the findings one by one (each missing column, each formula cell) for a page to show."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [message]


@dataclass(frozen=True)
class Column:
    title: str
    width: int = 16
    text: bool = False  # format as text (codes, ID numbers, phone numbers)
    choices: Sequence[str] = field(default=())  # dropdown validation
    required: bool = False
    # How read_table parses and checks the cell: one of KINDS.
    kind: str = "text"
    multiple: bool = False  # several choices, separated by 、
    note: str = ""  # shown in the 填写说明 sheet and as the cell's input prompt


# text: a string as typed.  date: a datetime.date.  decimal: a Decimal.  The others are
# normalised strings checked with infrastructure.validators.
KINDS = ("text", "date", "decimal", "uscc", "id_number", "mobile", "phone", "division", "uscc_or_id")


def is_blank(value: Any) -> bool:
    """An empty cell: None, "" or only whitespace."""
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def escape_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in exported text (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _style_header(ws: Any, columns: Sequence[Column], required_mark: str = " *") -> None:
    for idx, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.title + (required_mark if col.required else ""))
        cell.font = Font(bold=True, color="C00000" if col.required else None)
        cell.fill = HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(idx)].width = col.width
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 24


def build_workbook(
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]] = (),
    *,
    instructions: Sequence[str] = (),
    template_rows: int = 500,
    required_mark: str = " *",
) -> Workbook:
    """A workbook with a styled header, text-formatted code columns, dropdowns and an
    optional 填写说明 sheet.  ``template_rows`` rows get the formats even when empty.

    Required columns have a red title followed by ``required_mark`` (pass "" to keep titles
    exactly as a standard writes them).  Text and date formats are also set on the whole
    column, so rows typed below the formatted ones keep them.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    _style_header(ws, columns, required_mark)
    count = 0
    for r, row in enumerate(rows, start=2):
        count += 1
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=escape_cell(value))
            if columns[c - 1].text:
                cell.number_format = "@"
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    last = max(count + 1, template_rows + 1)
    for c, col in enumerate(columns, start=1):
        letter = get_column_letter(c)
        fmt = "@" if col.text else "yyyy-mm-dd" if col.kind == "date" else None
        if fmt:
            ws.column_dimensions[letter].number_format = fmt
            for r in range(count + 2, last + 1):
                ws.cell(row=r, column=c).number_format = fmt
        prompt = _prompt(col)
        if col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True)
            # A list validation takes one value: columns that combine several accept typing.
            dv.showErrorMessage = not col.multiple
            dv.error = "请从下拉列表中选择"
            dv.errorTitle = "输入有误"
        elif prompt:
            dv = DataValidation(allow_blank=True)
        else:
            continue
        if prompt:
            dv.showInputMessage = True
            dv.promptTitle = col.title[:32]
            dv.prompt = prompt[:255]
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{last}")
    if instructions:
        info = wb.create_sheet("填写说明")
        info.column_dimensions["A"].width = 100
        for i, line in enumerate(instructions, start=1):
            info.cell(row=i, column=1, value=line).alignment = Alignment(wrap_text=True)
        info.cell(row=1, column=1).font = Font(bold=True)
    return wb


_KIND_NOTES = {
    "date": "日期，如 2026-01-31",
    "decimal": "数字",
    "uscc": "18位统一社会信用代码，须通过校验位校验",
    "id_number": "18位居民身份证号码，末位可为X，须通过校验位校验",
    "mobile": "11位手机号码",
    "phone": "手机号码，或固定电话“区号-号码[-分机]”（如 028-86123456、0817-2234567-801），或400/800号码",
    "division": "6位（县级）、9位（乡级）或12位（村级）行政区划代码",
    "uscc_or_id": "组织填18位统一社会信用代码，个人填18位身份证号码",
}


def kind_note(col: Column) -> str:
    """What a column takes, in words: its own note, else the rule of its kind."""
    if col.note:
        return col.note
    if col.choices:
        sep = "（可多选，用“、”分隔）" if col.multiple else ""
        return "从下拉列表选择" + sep + "：" + "、".join(col.choices)
    return _KIND_NOTES.get(col.kind, "文本格式，请勿改为数字格式" if col.text else "")


def _prompt(col: Column) -> str:
    if col.note:
        return col.note
    if col.choices:
        return "可多选，多项用“、”分隔" if col.multiple else ""
    return _KIND_NOTES.get(col.kind, "")


def workbook_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cell_text(value: Any) -> str:
    """A cell as text: a whole float without its .0, a date as 2026-01-31, else stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _title_text(value: Any) -> str:
    return cell_text(value).replace(" ", "").rstrip("*").strip()


def read_rows(data: bytes, expected: Sequence[str]) -> list[dict[str, str]]:
    """Read the first sheet of an upload into dicts keyed by the expected column titles.

    Headers are matched after stripping spaces and a trailing "*" (a title row may stand
    above them, see infrastructure.import_rows); missing columns raise ExcelError naming them.
    Fully empty rows are skipped; each dict carries ``_row``, the 1-based spreadsheet row
    number, for error reports.
    """
    from python_calamine import CalamineWorkbook

    if not data:
        raise ExcelError("上传的文件为空")
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = wb.get_sheet_by_index(0)
        table = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several types for a damaged or foreign file
        raise ExcelError("无法读取该文件，请上传 .xlsx 格式的Excel文件（可下载模板填写）") from exc
    if not table:
        raise ExcelError("文件中没有数据")
    wanted = set(expected)
    at = max(find_header_row(table, lambda v: _title_text(v) in wanted), 0)
    header = [_title_text(h) for h in table[at]]
    missing = [title for title in expected if title not in header]
    if missing:
        raise ExcelError("缺少必需的列：" + "、".join(missing) + "（请使用系统提供的模板）")
    index = {title: header.index(title) for title in expected}
    rows: list[dict[str, str]] = []
    for number, raw in enumerate(table[at + 1:], start=at + 2):
        values = {title: cell_text(raw[i]) if i < len(raw) else "" for title, i in index.items()}
        if not any(values.values()):
            continue
        values["_row"] = str(number)
        rows.append(values)
    return rows


def annotate_errors(
    data: bytes, errors: dict[int, list[str]], error_title: str = "错误说明", *, sheet: str | None = None
) -> bytes:
    """A copy of the uploaded workbook with an error column and the faulty rows highlighted
    (on ``sheet`` when it names one of the workbook's sheets, else on the first)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
    col = ws.max_column + 1
    # The error column's title goes in the header row: the fullest of the rows above the
    # first error (a title row may stand above the header).
    top = [list(r) for r in ws.iter_rows(min_row=1, max_row=max(1, min(errors, default=2) - 1), values_only=True)]
    header_row = max(find_header_row(top, lambda v: not is_blank(v)), 0) + 1
    head = ws.cell(row=header_row, column=col, value=error_title)
    head.font = Font(bold=True, color="9C0006")
    ws.column_dimensions[get_column_letter(col)].width = 60
    for row, messages in errors.items():
        ws.cell(row=row, column=col, value="；".join(messages))
        for c in range(1, col + 1):
            ws.cell(row=row, column=c).fill = _ERROR_FILL
    return workbook_bytes(wb)


def stream_workbook(
    title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, spool_bytes: int = 8 * 1024 * 1024
) -> IO[bytes]:
    """Write ``rows`` into a write-only workbook and return the finished file, rewound.

    For large exports: rows are consumed one at a time (pass a generator that reads the
    database in batches) and openpyxl's write-only mode keeps only the current row in memory.
    The file is spooled to disk past ``spool_bytes``; the caller streams and closes it.
    Values are escaped against formulas like ``build_workbook`` does.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for idx, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = col.width
    ws.freeze_panes = "A2"
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        out: list[Any] = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                out.append(cell)
            else:
                out.append(escape_cell(value))
        ws.append(out)
    buf: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=spool_bytes)  # noqa: SIM115 - handed to the caller
    wb.save(buf)
    buf.seek(0)
    return buf
