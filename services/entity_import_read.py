"""Reading a registry upload (services/entity_import.py): an .xlsx (its first sheet, with the
cells that hold a formula found so their rows can be refused) or a CSV (UTF-8 with or without
BOM, GBK/GB18030), columns matched by their Chinese titles (and the names other systems use),
in any order, a title row above the header skipped."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from infrastructure.excel import ExcelError, check_upload, workbook_bytes
from infrastructure.import_rows import find_header_row
from services.entity_fields import FIELDS, TITLE, text_of

MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_FORMULA_CELLS = 1_000


# ------------------------------------------------------------------ a row as read


@dataclass(slots=True)
class EntityRow:
    number: int
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)
    target_id: int | None = None  # the registered entity this row updates
    owner: int | None = None  # the registry it belongs to

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def label(self) -> str:
        return self.values.get("name") or ""

    @property
    def code(self) -> str:
        return self.values.get("uscc") or self.values.get("reg_no") or ""

    # what the import framework asks of a row (services/imports/framework.py)
    def get(self, title: str, default: Any = None) -> Any:
        return self.values.get(_KEY_OF_TITLE.get(title, title), default)

    def add_error(self, column: str, message: str) -> None:
        self.errors.append((column, message))


_KEY_OF_TITLE = {title: key for key, title in TITLE.items()}


# ------------------------------------------------------------------ reading


def _header_key(value: Any) -> str:
    text = text_of(value).translate({c: c - 0xFEE0 for c in range(ord("！"), ord("～") + 1)})
    return re.sub(r"[\s\u3000*]", "", text)


_HEADER_KEYS: dict[str, str] = {}
for _f in FIELDS:
    for _title in (_f.title, *_f.aliases):
        _HEADER_KEYS.setdefault(_header_key(_title), _f.key)


@dataclass
class Table:
    kind: str  # "xlsx" or "csv"
    header_row: int  # 1-based
    columns: dict[str, int]  # field key → 0-based column index
    ignored: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]  # (spreadsheet row, cells) after the header
    formulas: dict[int, set[int]]  # spreadsheet row → 0-based columns holding a formula


def _decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ExcelError("无法识别CSV文件的文字编码，请另存为“CSV UTF-8（逗号分隔）”后上传") from exc


def _csv_cells(data: bytes) -> list[list[str]]:
    text = _decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ExcelError(f"CSV文件格式有误：{exc}") from exc


_FORMULA_TAG = re.compile(rb"<(?:\w{1,16}:)?f[\s>/]")


def _first_sheet_path(zf: zipfile.ZipFile) -> str:
    """The member of the first sheet (the one python-calamine reads first)."""
    try:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return "xl/worksheets/sheet1.xml"
    targets = {el.get("Id"): el.get("Target", "") for el in rels}
    for el in book.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            if target:
                return target.lstrip("/") if target.startswith("/") else "xl/" + target.removeprefix("./")
    return "xl/worksheets/sheet1.xml"


def _formula_cells(data: bytes) -> dict[int, set[int]]:
    """Cells of the first sheet that hold a formula, by row.  A quick byte scan first; the
    XML is parsed only when a formula tag shows up (check_upload has already bounded it)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    path = _first_sheet_path(zf)
    if path not in zf.namelist():
        return {}
    found, tail = False, b""
    with zf.open(path) as fh:
        while chunk := fh.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                found = True
                break
            tail = chunk[-32:]
    if not found:
        return {}
    from openpyxl.utils import column_index_from_string

    cells: dict[int, set[int]] = {}
    row_no, col_no, ref_col = 0, 0, 0
    in_cell = False
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
                    ref = el.get("r") or ""
                    letters = ref.rstrip("0123456789")
                    ref_col = column_index_from_string(letters) if letters else col_no
                    col_no = ref_col
            elif tag == "f" and in_cell:
                cells.setdefault(row_no, set()).add(ref_col - 1)
            elif tag == "c":
                in_cell = False
                el.clear()
            elif tag == "row":
                el.clear()
    return cells


def is_blank(value: Any) -> bool:
    """An empty cell: None, "" or only whitespace."""
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def read_table(
    filename: str, data: bytes, *, formulas: dict[int, set[int]] | None = None, checked: bool = False
) -> Table:
    """Open an upload and find its header; ExcelError when the file cannot be used.

    ``formulas`` passes what an earlier check of the same bytes found (a stored batch): the
    container checks and the formula scan are then not repeated.  ``checked``: the container
    checks (check_upload) were made by the caller (the import framework's upload).
    """
    if formulas is None and not checked:
        kind = check_upload(data, filename, csv_ok=True, max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_IMPORT_ROWS)
    else:
        kind = "xlsx" if data.startswith(b"PK") else "csv"
    if kind == "csv":
        cells: list[Sequence[Any]] = _csv_cells(data)
        formulas = {}
    else:
        from python_calamine import CalamineWorkbook

        if formulas is None:
            formulas = _formula_cells(data)
            if sum(len(c) for c in formulas.values()) > MAX_FORMULA_CELLS:
                raise ExcelError(
                    "文件中有大量公式单元格，系统不读取公式：请全选后复制，“选择性粘贴—数值”，保存后再上传"
                )
        try:
            cells = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(
                skip_empty_area=False
            )
        except Exception as exc:  # calamine raises several types for a damaged file
            raise ExcelError("无法读取该文件，请用 Excel 或 WPS 打开后另存为 .xlsx 再上传") from exc
    # A title row may stand above the header (infrastructure.import_rows).
    best_row = find_header_row(cells, lambda v: _header_key(v) in _HEADER_KEYS)
    if best_row < 0:
        raise ExcelError(
            "没有找到列名行：第1行应为“主体名称”“统一社会信用代码”“主体类型”“行政区划编码”“登记状态”等列名"
            "（请使用系统提供的模板）"
        )
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for idx, value in enumerate(cells[best_row]):
        key = _HEADER_KEYS.get(_header_key(value))
        if key is None:
            if not is_blank(value):
                ignored.append(text_of(value))
            continue
        if key in columns:
            raise ExcelError(f"列“{TITLE[key]}”出现了两次（第{columns[key] + 1}列和第{idx + 1}列），请删除其中一列")
        columns[key] = idx
    missing = [TITLE[f.key] for f in FIELDS if f.required and f.key not in columns]
    if missing:
        raise ExcelError("缺少必需的列：" + "、".join(missing) + "（请使用系统提供的模板）")
    if "uscc" not in columns and "reg_no" not in columns:
        raise ExcelError("缺少“统一社会信用代码”或“注册号”列，至少需要其中一列")
    start = best_row + 1
    rows = ((start + n + 1, row) for n, row in enumerate(cells[start:]))
    return Table(kind, best_row + 1, columns, ignored, rows, formulas)


# ------------------------------------------------------------------ the copy with the problems

_ERROR_FILL = PatternFill("solid", fgColor="F8D7DA")


def problem_rows_workbook(
    data: bytes, filename: str, formulas: dict[int, set[int]], wanted: dict[int, list[str]]
) -> bytes:
    """The header and the problem rows of a large upload, each with its row number and the
    problems: fix them here and upload this file again."""
    table = read_table(filename, data, formulas=formulas)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题行")
    header_cells: list[Any] = []
    order = sorted(table.columns.items(), key=lambda kv: kv[1])
    for title in ["原行号", *[TITLE[k] for k, _ in order], "错误说明"]:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    ws.append(header_cells)
    for number, cells in table.rows:
        messages = wanted.get(number)
        if not messages:
            continue
        out: list[Any] = [number]
        for _key, idx in order:
            value = cells[idx] if idx < len(cells) else None
            cell = WriteOnlyCell(ws, value=text_of(value) if value not in (None, "") else None)
            cell.number_format = "@"
            out.append(cell)
        err = WriteOnlyCell(ws, value="；".join(messages))
        err.fill = _ERROR_FILL
        out.append(err)
        ws.append(out)
    return workbook_bytes(wb)


def annotated_csv(data: bytes, errors: dict[int, list[str]]) -> bytes:
    rows = _csv_cells(data)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for number, row in enumerate(rows, start=1):
        if number == 1:
            writer.writerow([*row, "错误说明"])
        else:
            writer.writerow([*row, "；".join(errors.get(number, []))])
    return buf.getvalue().encode("utf-8-sig")  # with a BOM so that Excel reads it as UTF-8
