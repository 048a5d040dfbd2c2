"""Excel in and out (DESIGN §5): styled templates and exports with openpyxl, uploads read
with python-calamine.  Code columns are text so an 18-character code never becomes 1.2E+17;
cells that start with = + - @ are escaped on export so a spreadsheet never runs them."""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Protocol
from xml.etree import ElementTree as ET

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from services.import_rows import duplicate_messages, find_header_row

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
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
# normalised strings checked with services.validators.
KINDS = ("text", "date", "decimal", "uscc", "id_number", "mobile", "phone", "division", "uscc_or_id")


def escape_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in exported text (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _style_header(ws: Any, columns: Sequence[Column], required_mark: str = " *") -> None:
    for idx, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.title + (required_mark if col.required else ""))
        cell.font = Font(bold=True, color="C00000" if col.required else None)
        cell.fill = _HEADER_FILL
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


def _cell_text(value: Any) -> str:
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
    return _cell_text(value).replace(" ", "").rstrip("*").strip()


def read_rows(data: bytes, expected: Sequence[str]) -> list[dict[str, str]]:
    """Read the first sheet of an upload into dicts keyed by the expected column titles.

    Headers are matched after stripping spaces and a trailing "*" (a title row may stand
    above them, see services.import_rows); missing columns raise ExcelError naming them.
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
        values = {title: _cell_text(raw[i]) if i < len(raw) else "" for title, i in index.items()}
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
    header_row = max(find_header_row(top, lambda v: not _blank(v)), 0) + 1
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
        cell.fill = _HEADER_FILL
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


# ------------------------------------------------------------------ safe, forgiving reading
#
# check_upload() decides whether bytes are a usable .xlsx (or .csv) before anything parses
# them; read_table() reads one against a template and reports by row and column.  Every
# member of an .xlsx is inflated here with a bounded output before python-calamine sees it, so
# a zip bomb is refused whatever sizes its headers declare.

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ROWS = 200_000
MAX_MEMBERS = 2000
_RATIO_FLOOR = 1024 * 1024  # members smaller than this may compress as well as they like
_CHUNK = 1024 * 1024
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_AS_XLSX = "请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（*.xlsx）再上传"
SCI_NOTATION = "该列应为文本格式（科学计数法已丢失位数）"
DATE_RULE = "日期格式不正确，可填写 2026-01-31、2026/1/31 或 20260131"
NUMBER_RULE = "应为数字"
_BOMB = "文件解压后过大或压缩比异常（疑似“压缩炸弹”），已拒绝"
_FOREIGN_EXTENSIONS = {
    ".xls": "旧版 Excel 工作簿（.xls）",
    ".xlt": "旧版 Excel 模板（.xlt）",
    ".et": "WPS 表格文件（.et）",
    ".ett": "WPS 表格模板（.ett）",
    ".numbers": "Numbers 表格（.numbers）",
    ".xlsb": "Excel 二进制工作簿（.xlsb）",
    ".xlsm": "启用宏的工作簿（.xlsm）",
    ".xltx": "Excel 模板（.xltx）",
    ".ods": "OpenDocument 表格（.ods）",
}


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _looks_like_text(data: bytes) -> bool:
    head = data[:8192]
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in head


def _not_xlsx_message(data: bytes) -> str:
    """Why bytes that are not a zip are not an .xlsx, as precisely as the first bytes tell."""
    if data.startswith(_OLE2):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return "文件设置了打开密码，请取消密码后重新上传"
        return "该文件是旧版 Excel（.xls）或 WPS（.et）格式，" + SAVE_AS_XLSX
    head = data[:1024].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        return "该文件实际是网页（HTML/XML）格式（常见于其他系统导出的“.xls”文件），" + SAVE_AS_XLSX
    if head.startswith(b"%pdf"):
        return "该文件是 PDF 文档，不是 Excel 工作簿"
    if _looks_like_text(data):
        return "该文件是文本（CSV）文件，不是 Excel 工作簿，" + SAVE_AS_XLSX
    return "文件不是 .xlsx 格式的 Excel 工作簿，" + SAVE_AS_XLSX


def _zip_kind_message(names: set[str]) -> str:
    if "xl/workbook.bin" in names:
        return "不支持 Excel 二进制工作簿（.xlsb），" + SAVE_AS_XLSX
    if any(n.startswith("Index/") for n in names):
        return "不支持 Numbers 表格，请在 Numbers 中导出为 Excel（.xlsx）再上传"
    if "content.xml" in names and "mimetype" in names:
        return "不支持 OpenDocument 表格（.ods），" + SAVE_AS_XLSX
    if "word/document.xml" in names:
        return "该文件是 Word 文档，不是 Excel 工作簿"
    return "压缩包中没有 Excel 工作簿（缺少 xl/workbook.xml），" + SAVE_AS_XLSX


_FORMULA_TAG = re.compile(rb"<(?:\w{1,16}:)?f[\s>/]")
_ROW_TAG = re.compile(rb"<(?:\w{1,16}:)?row[\s>/]")
_VALUE_TAG = re.compile(rb"<(?:\w{1,16}:)?(row|v|is)[\s>/]")
_OVERLAP = 32  # longer than any tag the scanner looks for


_SHEET_DATA_END = re.compile(rb"</(?:\w{1,16}:)?sheetData>")


class _Scanner:
    """Counts ``pattern`` over a stream of chunks, each match once, without holding it all;
    stops at the end of <sheetData> (what follows, such as the <xm:f> of a dropdown whose list
    is on another sheet, is not cell content)."""

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern = pattern
        self.tail = b""
        self.count = 0
        self.done = False

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self.done:
            return
        buf = self.tail + chunk
        cut = len(buf) if final else max(len(buf) - _OVERLAP, 0)
        end = _SHEET_DATA_END.search(buf)
        if end:
            buf, cut, self.done = buf[: end.start()], end.start(), True
        # Matches that start in the last _OVERLAP bytes are counted with the next chunk.
        self.count += len(self.pattern.findall(buf)) - len(self.pattern.findall(buf, cut))
        self.tail = buf[cut:]


@dataclass
class _SheetScan:
    sheet_name: str | None  # the sheet read_table uses (None: the first, names unknown)
    path: str
    rows: int  # <row> elements, formatted empty rows included
    formula_count: int = 0
    formula_cells: list[str] = field(default_factory=list)


def _sheet_paths(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, member path) of each sheet in workbook order; [] when that cannot be told."""
    try:
        if zf.getinfo("xl/workbook.xml").file_size > 10 * 1024 * 1024:
            return []
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError, ValueError):
        return []
    targets = {el.get("Id"): el.get("Target", "") for el in rels if el.tag.endswith("Relationship")}
    out: list[tuple[str, str]] = []
    for el in book.iter():
        if not el.tag.endswith("}sheet"):
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid, "")
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        out.append((el.get("name", ""), path))
    return out


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: int, sink: Callable[[bytes], None] | None) -> int:
    """Inflate one member from its raw bytes with a bounded output; return its real size."""
    if info.flag_bits & 0x1:
        raise ExcelError("文件已加密，请取消密码后重新上传")
    off = info.header_offset
    if data[off : off + 4] != _ZIP:
        raise ExcelError("文件已损坏，无法作为 .xlsx 工作簿打开，" + SAVE_AS_XLSX)
    name_len, extra_len = struct.unpack("<HH", data[off + 26 : off + 30])
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise ExcelError("文件不完整（可能上传中断），请重新上传")
    size = 0
    ratio_cap = MAX_COMPRESSION_RATIO * max(info.compress_size, 1)

    def take(buf: bytes) -> None:
        nonlocal size
        size += len(buf)
        if size > budget or (size > _RATIO_FLOOR and size > ratio_cap):
            raise ExcelError(_BOMB)
        if sink and buf:
            sink(buf)

    if info.compress_type == zipfile.ZIP_STORED:
        for pos in range(0, len(raw), _CHUNK):
            take(bytes(raw[pos : pos + _CHUNK]))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:
            for pos in range(0, len(raw), _CHUNK):
                piece: bytes | memoryview = raw[pos : pos + _CHUNK]
                while piece and not inflater.eof:
                    take(inflater.decompress(piece, _CHUNK))
                    piece = inflater.unconsumed_tail
                if inflater.eof:
                    break
            take(inflater.flush())
        except zlib.error as exc:
            raise ExcelError("文件已损坏，无法作为 .xlsx 工作簿打开，" + SAVE_AS_XLSX) from exc
    else:
        raise ExcelError("文件使用了不支持的压缩方式，" + SAVE_AS_XLSX)
    if size != info.file_size:
        raise ExcelError("文件结构异常（解压后的大小与记录不符），已拒绝")
    return size


def _formula_cells(zf: zipfile.ZipFile, path: str, limit: int = 20) -> tuple[int, list[str]]:
    """How many cells of a sheet hold a formula, and the references of the first ``limit``."""
    count, refs = 0, []
    row_no, col_no, in_cell, ref = 0, 0, False, ""
    with zf.open(path) as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "row":
                    row_no = int(el.get("r") or row_no + 1)
                    col_no = 0
                elif tag == "c":
                    in_cell = True
                    col_no += 1
                    ref = el.get("r") or f"{get_column_letter(col_no)}{row_no}"
                    letters = ref.rstrip("0123456789")
                    if letters:
                        col_no = column_index_from_string(letters)
            elif tag == "f" and in_cell:
                count += 1
                if len(refs) < limit:
                    refs.append(ref)
            elif tag == "c":
                in_cell = False
                el.clear()
            elif tag == "row":
                el.clear()
    return count, refs


def _inspect_xlsx(
    data: bytes, *, max_rows: int = MAX_ROWS, sheet: str | None = None, formula_limit: int = 20
) -> _SheetScan:
    """Check the container: a real .xlsx, no zip bomb, not too many rows; find formulas.

    ``sheet`` names the preferred sheet (a template's), else the first is inspected.
    """
    if not data.startswith(_ZIP):
        raise ExcelError(_not_xlsx_message(data))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ExcelError("文件已损坏，无法作为 .xlsx 工作簿打开，" + SAVE_AS_XLSX) from exc
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise ExcelError(_zip_kind_message(names))
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES:
            raise ExcelError(_BOMB)
        for i in infos:
            if i.file_size > _RATIO_FLOOR and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
                raise ExcelError(_BOMB)
        sheets = _sheet_paths(zf)
        chosen = next((s for s in sheets if sheet and s[0] == sheet), sheets[0] if sheets else None)
        name, path = chosen if chosen else (None, "xl/worksheets/sheet1.xml")
        formulas, rows = _Scanner(_FORMULA_TAG), _Scanner(_ROW_TAG)

        def sink(chunk: bytes) -> None:
            formulas.feed(chunk)
            rows.feed(chunk)

        total = 0
        for info in infos:
            total += _inflate(data, info, MAX_UNCOMPRESSED_BYTES - total, sink if info.filename == path else None)
        formulas.feed(b"", final=True)
        rows.feed(b"", final=True)
        scan = _SheetScan(name, path, rows.count)
        if rows.count > max_rows + 1 and _rows_with_values(zf, path) > max_rows + 1:
            raise ExcelError(f"数据超过{max_rows}行，请拆分后分批上传")
        if formulas.count:  # may be an <xm:f> of a validation: look closer
            try:
                scan.formula_count, scan.formula_cells = _formula_cells(zf, path, formula_limit)
            except ET.ParseError as exc:
                raise ExcelError("文件已损坏（工作表内容无法解析），" + SAVE_AS_XLSX) from exc
    return scan


def _rows_with_values(zf: zipfile.ZipFile, path: str) -> int:
    """Rows of a sheet that hold at least one value (formatted empty rows left out)."""
    count, pending, tail = 0, False, b""
    with zf.open(path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf = tail + chunk
            cut = len(buf) if not chunk else max(len(buf) - _OVERLAP, 0)
            for m in _VALUE_TAG.finditer(buf, 0):
                if m.start() >= cut:
                    break
                if m.group(1) == b"row":
                    pending = True
                elif pending:
                    count, pending = count + 1, False
            tail = buf[cut:]
            if not chunk:
                return count


def check_upload(
    data: bytes,
    filename: str,
    *,
    csv_ok: bool = True,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_ROWS,
) -> str:
    """Decide whether an upload can be read: "xlsx" or "csv", else ExcelError saying why
    (empty, too large, .xls/.et/.numbers and other formats, a damaged or foreign zip, a zip
    bomb, more than ``max_rows`` data rows)."""
    if not data:
        raise ExcelError("上传的文件为空")
    if len(data) > max_bytes:
        raise ExcelError(f"文件过大（{_mb(len(data))}），单个文件不能超过 {_mb(max_bytes)}，请拆分后分批上传")
    ext = posixpath.splitext((filename or "").replace("\\", "/").rsplit("/", 1)[-1])[1].lower()
    if ext in _FOREIGN_EXTENSIONS:
        raise ExcelError(f"不支持{_FOREIGN_EXTENSIONS[ext]}，{SAVE_AS_XLSX}")
    if ext == ".csv":
        if not csv_ok:
            raise ExcelError("此处只接受 .xlsx 格式的 Excel 文件（可下载模板填写）")
        if data.startswith((_ZIP, _OLE2)) or not _looks_like_text(data):
            raise ExcelError("文件扩展名为 .csv，但内容不是文本表格，请确认文件后重新上传")
        if _csv_data_rows(_csv_table(data)) > max_rows:
            raise ExcelError(f"数据超过{max_rows}行，请拆分后分批上传")
        return "csv"
    if ext != ".xlsx":
        accepted = ".xlsx 或 .csv" if csv_ok else ".xlsx"
        raise ExcelError(f"不支持的文件类型（{ext or '无扩展名'}），请上传 {accepted} 文件")
    _inspect_xlsx(data, max_rows=max_rows)
    return "xlsx"


# ------------------------------------------------------------------ CSV


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ExcelError("无法识别文件的文字编码，请另存为“CSV UTF-8（逗号分隔）”后上传") from exc


def _csv_table(data: bytes) -> list[list[str]]:
    text = _decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ExcelError(f"CSV 文件格式有误：{exc}") from exc


def _csv_data_rows(table: list[list[str]]) -> int:
    """Rows below the header that hold something."""
    if len(table) <= 1:
        return 0
    return sum(1 for row in table[1:] if any(v.strip() for v in row))


def csv_to_xlsx(data: bytes) -> bytes:
    """An .xlsx copy of a CSV upload, every cell as text (never a formula), for the
    annotated error report."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook()
    ws = wb.active
    for r, row in enumerate(_csv_table(data), start=1):
        for c, value in enumerate(row, start=1):
            if value == "":
                continue
            cell = ws.cell(row=r, column=c, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # "=1+1" stays text
            cell.number_format = "@"
            if r == 1:
                cell.font = Font(bold=True)
                cell.fill = _HEADER_FILL
    return workbook_bytes(wb)


# ------------------------------------------------------------------ cell values

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 date system)
_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_SCI = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(ord("！"), ord("～") + 1)}


def _fold(text: str) -> str:
    """Full-width ASCII (０-９, －, ／ …) to half-width; the ideographic space to a space."""
    return text.translate(_FULL_WIDTH).replace("\u3000", " ")


def _checked_date(y: int, m: int, d: int, text: str) -> date:
    try:
        value = date(y, m, d)
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None
    if not 1900 <= value.year <= 2100:
        raise ValueError(f"日期超出合理范围：{text}")
    return value


def _serial_date(number: float) -> date:
    if number != number or number < 1:
        raise ValueError(DATE_RULE)
    if number.is_integer() and 19000101 <= number <= 21001231:  # 20240105 typed as a number
        text = str(int(number))
        return _checked_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if number.is_integer() and 1900 <= number <= 2100:
        raise ValueError("日期不完整，请填写年月日，如 2026-01-31")
    if number > 2958465:  # 9999-12-31
        raise ValueError(DATE_RULE)
    value = _EXCEL_EPOCH + timedelta(days=int(number))
    return _checked_date(value.year, value.month, value.day, value.isoformat())


def parse_date(value: Any) -> date | None:
    """A date from a date or datetime cell, an Excel serial number (45292 → 2024-01-01) or a
    string: 2024-01-05, 2024/1/5, 2024.1.5, 20240105, 2024年1月5日.  Blank → None; anything
    else raises ValueError with a message for the user."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(DATE_RULE)
    if isinstance(value, int | float):
        return _serial_date(float(value))
    if isinstance(value, time | timedelta):
        raise ValueError("应为日期，不能只有时间")
    text = _fold(str(value)).strip()
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return _checked_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):  # a serial number that arrived as text (CSV)
        return _serial_date(float(text))
    raise ValueError(DATE_RULE)


def parse_decimal(value: Any) -> Decimal | None:
    """A Decimal from a number cell or a string ("1,234.50", "１２.５", "￥30"); blank → None;
    anything else raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(NUMBER_RULE)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that round-trips: 0.1, not 0.1000000000000000055
    else:
        text = re.sub(r"[\s,，]", "", _fold(str(value))).lstrip("¥￥")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(NUMBER_RULE) from None
    if not number.is_finite():
        raise ValueError(NUMBER_RULE)
    return number


_CHOICE_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


def parse_enum(value: Any, choices: Sequence[str], *, multiple: bool = False) -> str | None:
    """One of ``choices`` (spaces and full-width forms tolerated); with ``multiple`` several,
    separated by 、 , ； or spaces, returned joined by 、 in the order given.  Blank → None;
    anything else raises ValueError naming the choices."""
    text = re.sub(r"\s+", "" if not multiple else " ", _fold(str(value if value is not None else ""))).strip()
    if not text:
        return None
    allowed = {re.sub(r"\s+", "", _fold(c)): c for c in choices}
    listed = "、".join(choices)
    if not multiple:
        if text in allowed:
            return allowed[text]
        raise ValueError(f"应为以下之一：{listed}")
    picked: list[str] = []
    for part in _CHOICE_SEPARATORS.split(text):
        if not part:
            continue
        if part not in allowed:
            raise ValueError(f"“{part}”不是可选项（可选：{listed}，多项用“、”分隔）")
        if allowed[part] not in picked:
            picked.append(allowed[part])
    return "、".join(picked) or None


def _plain_text(value: Any) -> str:
    if value.__class__ is str:  # the common case first: this runs for every cell
        return value.strip()
    return _cell_text(value)


def _code_text(value: Any) -> str:
    """The text of a code column; a number that lost digits, or never was text, is refused."""
    if value.__class__ is str:
        text = value.strip()
        if ("E" in text or "e" in text) and _SCI.fullmatch(text):
            raise ValueError(SCI_NOTATION)
        return text
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and (value != value or abs(value) >= 1e15):
            raise ValueError(SCI_NOTATION)
        if isinstance(value, int) and abs(value) >= 10**15:
            raise ValueError(SCI_NOTATION)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("该列应为文本格式（以数字格式保存后内容已改变）")
        return str(int(value))
    if isinstance(value, date | time | timedelta):
        raise ValueError("该列应为文本格式（单元格被识别为日期或时间）")
    text = str(value).strip()
    if _SCI.fullmatch(text):
        raise ValueError(SCI_NOTATION)
    return text


@dataclass(frozen=True)
class _Rule:
    normalize: Callable[[str], str]
    valid: Callable[[str], bool]
    message: str


def _rules() -> dict[str, _Rule]:
    from services import validators as v

    return {
        "uscc": _Rule(v.normalize_uscc, v.valid_uscc, "统一社会信用代码不正确（应为18位，须通过校验位校验）"),
        "id_number": _Rule(v.normalize_id_number, v.valid_id_number, "身份证号不正确（应为18位，末位校验码须正确）"),
        "mobile": _Rule(v.normalize_mobile, v.valid_mobile, v.MOBILE_RULE),
        "phone": _Rule(v.normalize_phone, v.valid_phone, v.PHONE_RULE),
        "division": _Rule(
            lambda s: re.sub(r"\s", "", _fold(s)), v.valid_division_code, "应为6位、9位或12位数字的行政区划代码"
        ),
        "uscc_or_id": _Rule(
            v.normalize_uscc,
            lambda s: v.valid_uscc(s) or v.valid_id_number(s),
            "应为18位统一社会信用代码（组织）或身份证号码（个人），须通过校验位校验",
        ),
    }


def _converter(col: Column, rules: dict[str, _Rule]) -> Callable[[Any], Any]:
    """The function that turns one raw cell of ``col`` into its value, or raises ValueError."""
    parse: Callable[[Any], Any]
    if col.kind == "date":
        parse = parse_date
    elif col.kind == "decimal":
        parse = parse_decimal
    else:
        to_text = _code_text if col.text else _plain_text
        rule = rules.get(col.kind)
        choices, multiple = tuple(col.choices), col.multiple

        def parse(value: Any) -> str:
            text = to_text(value)
            if not text:
                return ""
            if choices:
                return parse_enum(text, choices, multiple=multiple) or ""
            if rule is None:
                return text
            normalized = rule.normalize(text)
            if not rule.valid(normalized):
                hint = ""
                if isinstance(value, int | float) and not isinstance(value, bool):
                    hint = "；该单元格为数字格式，开头的0或末几位可能已丢失，请设为文本格式后重新填写"
                raise ValueError(rule.message + hint)
            return normalized

    if not col.required:
        return parse

    def required(value: Any) -> Any:
        result = parse(value)
        if result is None or result == "":
            raise ValueError("必填")
        return result

    return required


# ------------------------------------------------------------------ tables


class TableSpec(Protocol):
    """What read_table needs of a template (services.templates_catalogue.Template)."""

    @property
    def columns(self) -> Sequence[Column]: ...

    @property
    def sheet(self) -> str: ...

    @property
    def one_of(self) -> Sequence[Sequence[str]]: ...


@dataclass(slots=True)
class Row:
    """One data row: its spreadsheet row number, the parsed values and the raw cells (whose
    type tells how they arrived) by column title, and the problems found in it."""

    number: int
    values: dict[str, Any]
    raw: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)

    def __getitem__(self, title: str) -> Any:
        return self.values[title]

    def get(self, title: str, default: Any = None) -> Any:
        return self.values.get(title, default)

    def add_error(self, column: str, message: str) -> None:
        self.errors.append((column, message))

    @property
    def valid(self) -> bool:
        return not self.errors


def _header_key(value: Any) -> str:
    text = re.sub(r"\s+", "", _fold(_cell_text(value))).rstrip("*")
    return text.translate(_HEADER_FOLD)


_HEADER_FOLD = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})


def _header_problems(header: Sequence[Any], columns: Sequence[Column], line: int = 1) -> list[str]:
    found = [_header_key(v) for v in header]
    while found and not found[-1]:
        found.pop()
    expected = [_header_key(c.title) for c in columns]
    at = f"第{line}行："
    problems = [f"{at}缺少列 {c.title}" for c, key in zip(columns, expected, strict=True) if key not in found]
    seen: set[str] = set()
    for i, key in enumerate(found):
        letter = get_column_letter(i + 1)
        if not key:
            problems.append(f"{at}{letter}列没有列名")
        elif key not in expected:
            problems.append(f"{at}多出模板中没有的列 {_cell_text(header[i])}（{letter}列）")
        elif key in seen:
            problems.append(f"{at}列 {_cell_text(header[i])} 重复（{letter}列）")
        seen.add(key)
    if not problems and found != expected:
        problems.append(f"{at}列顺序与模板不一致，应为：" + "、".join(c.title for c in columns))
    return problems


def _resolve_spec(
    spec: TableSpec | Sequence[Column] | Sequence[str],
) -> tuple[tuple[Column, ...], str | None, tuple[tuple[str, ...], ...]]:
    if hasattr(spec, "columns"):
        one_of = tuple(tuple(group) for group in getattr(spec, "one_of", ()))
        return tuple(spec.columns), getattr(spec, "sheet", None), one_of
    return tuple(c if isinstance(c, Column) else Column(str(c)) for c in spec), None, ()  # type: ignore[union-attr]


def _load_table(
    data: bytes, *, csv_ok: bool, max_rows: int, sheet: str | None, formula_rows: bool = False
) -> tuple[list[list[Any]], list[str]]:
    """The cells of the sheet to read (xlsx) or of the CSV, and the references of the cells
    holding a formula (only with ``formula_rows``: else a formula refuses the file)."""
    from python_calamine import CalamineWorkbook

    if not data:
        raise ExcelError("上传的文件为空")
    if not data.startswith(_ZIP):
        if csv_ok and not data.startswith(_OLE2) and _looks_like_text(data):
            table = _csv_table(data)
            if _csv_data_rows(table) > max_rows:
                raise ExcelError(f"数据超过{max_rows}行，请拆分后分批上传")
            return table, []
        raise ExcelError(_not_xlsx_message(data))
    limit = 16 * (max_rows + 1) if formula_rows else 20
    scan = _inspect_xlsx(data, max_rows=max_rows, sheet=sheet, formula_limit=limit)
    if scan.formula_count and not formula_rows:
        more = f" 等{scan.formula_count}处" if scan.formula_count > len(scan.formula_cells) else ""
        raise ExcelError(
            f"文件含有公式（单元格 {'、'.join(scan.formula_cells)}{more}），系统不读取公式。"
            "请选中这些单元格，复制后“选择性粘贴—数值”，再上传",
            [f"{ref}：含有公式" for ref in scan.formula_cells],
        )
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        ws = wb.get_sheet_by_name(scan.sheet_name) if scan.sheet_name else wb.get_sheet_by_index(0)
        return ws.to_python(skip_empty_area=False), scan.formula_cells
    except Exception as exc:  # calamine raises several types for a damaged file
        raise ExcelError("无法读取该文件，" + SAVE_AS_XLSX) from exc


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def read_table(
    data: bytes,
    spec: TableSpec | Sequence[Column] | Sequence[str],
    *,
    csv_ok: bool = False,
    max_rows: int = MAX_ROWS,
    formula_rows: bool = False,
) -> list[Row]:
    """Read an upload against a template: the header must match it (names and order), and
    each cell is parsed by its column: text columns stay text, code columns refuse numbers
    that lost digits, dates accept serial numbers and the usual spellings, choices and
    validated kinds are checked.  Cell problems land in ``Row.errors``; problems with the
    file as a whole (not an xlsx, zip bomb, formulas, wrong header, no data rows) raise
    ExcelError.  Blank rows are skipped; row numbers are those of the spreadsheet.  The
    header may have the template's title row (or blank rows) above it
    (services.import_rows.find_header_row).  With ``formula_rows`` a cell holding a formula
    refuses its row (an error on that cell) instead of the whole file.
    """
    columns, sheet, one_of = _resolve_spec(spec)
    table, formulas = _load_table(data, csv_ok=csv_ok, max_rows=max_rows, sheet=sheet, formula_rows=formula_rows)
    if all(_blank(v) for row in table for v in row):
        raise ExcelError("文件中没有内容：第1行应为模板的列名")
    keys = {_header_key(c.title) for c in columns}
    at = max(find_header_row(table, lambda v: _header_key(v) in keys), 0)
    problems = _header_problems(table[at], columns, at + 1)
    if problems:
        raise ExcelError("文件与模板不一致：" + "；".join(problems) + "。请使用系统提供的模板", problems)
    rules = _rules()
    titles = [c.title for c in columns]
    converters = [_converter(c, rules) for c in columns]
    empties = ["" if c.kind not in ("date", "decimal") else None for c in columns]
    width = len(columns)
    rows: list[Row] = []
    for number, cells in enumerate(table[at + 1:], start=at + 2):
        cells = cells[:width]
        filled = [v for v in cells if v != "" and v is not None]
        if not filled or all(isinstance(v, str) and not v.strip() for v in filled):
            continue
        if len(cells) < width:
            cells = [*cells, *[""] * (width - len(cells))]
        raw = dict(zip(titles, cells, strict=True))
        try:  # the common case: every cell is fine
            row = Row(number, {t: f(v) for t, f, v in zip(titles, converters, cells, strict=True)}, raw)
        except ValueError:
            row = Row(number, {}, raw)
            for title, convert, empty, value in zip(titles, converters, empties, cells, strict=True):
                try:
                    row.values[title] = convert(value)
                except ValueError as exc:
                    row.values[title] = empty
                    row.errors.append((title, str(exc)))
        for group in one_of:
            if all(row.values[t] in ("", None) for t in group) and not any(c in group for c, _ in row.errors):
                row.errors.append((group[0], "、".join(group) + "至少填写一项"))
        rows.append(row)
    if formulas:
        _mark_formulas(rows, titles, formulas)
    if not rows:
        raise ExcelError(f"文件中没有数据行：第{at + 1}行为列名，请从第{at + 2}行开始填写")
    if len(rows) > max_rows:
        raise ExcelError(f"数据超过{max_rows}行（共{len(rows)}行），请拆分后分批上传")
    return rows


FORMULA_CELL = "含有公式，系统不读取公式：请复制后“选择性粘贴—数值”"


def _mark_formulas(rows: list[Row], titles: list[str], refs: Sequence[str]) -> None:
    """Refuse each row with a formula cell, naming the cell's column."""
    by_number = {r.number: r for r in rows}
    for ref in refs:
        letters = ref.rstrip("0123456789")
        row = by_number.get(int(ref[len(letters):] or 0))
        index = column_index_from_string(letters) - 1 if letters else -1
        if row is not None:
            column = titles[index] if 0 <= index < len(titles) else f"{letters}列"
            row.errors[:] = [e for e in row.errors if e[0] != column] + [(column, FORMULA_CELL)]


def mark_duplicates(rows: Iterable[Row], title: str) -> None:
    """Flag rows that repeat another row's non-empty value in ``title`` ("与第3、7行重复",
    services.import_rows.duplicate_messages)."""
    seen: dict[Any, list[Row]] = {}
    for row in rows:
        value = row.values.get(title)
        if value not in ("", None) and not any(c == title for c, _ in row.errors):
            seen.setdefault(value, []).append(row)
    for group in seen.values():
        if len(group) > 1:
            messages = duplicate_messages(r.number for r in group)
            for row in group:
                row.errors.append((title, messages[row.number]))


class RowErrors:
    """Problems by spreadsheet row, {row: ["列名：问题", …]}, and the annotated copy of the
    upload that shows them (an .xlsx copy when the upload was a CSV)."""

    def __init__(self) -> None:
        self._rows: dict[int, list[str]] = {}

    def add(self, row: int, column: str | None, message: str) -> None:
        text = f"{column}：{message}" if column else message
        messages = self._rows.setdefault(row, [])
        if text not in messages:
            messages.append(text)

    def add_rows(self, rows: Iterable[Row]) -> None:
        """Take the errors each row collected."""
        for row in rows:
            for column, message in row.errors:
                self.add(row.number, column, message)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, row: object) -> bool:
        return row in self._rows

    def as_dict(self) -> dict[int, list[str]]:
        return {row: list(msgs) for row, msgs in sorted(self._rows.items())}

    def messages(self) -> list[str]:
        """Lines such as 第3行 身份证号：…, in row order."""
        return [f"第{row}行 {m}" for row, msgs in sorted(self._rows.items()) for m in msgs]

    def annotated(self, data: bytes, *, error_title: str = "错误说明", sheet: str | None = None) -> bytes:
        """The upload with an error column beside each faulty row."""
        source = data if data.startswith(_ZIP) else csv_to_xlsx(data)
        return annotate_errors(source, self.as_dict(), error_title, sheet=sheet)
