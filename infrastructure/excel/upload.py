"""Deciding whether an upload can be read, safely: size, type, a damaged or foreign zip, zip
bombs, row counts, formulas; and CSV (UTF-8 or GBK) read as a table."""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import column_index_from_string, get_column_letter

from infrastructure.excel.workbooks import HEADER_FILL, ExcelError, workbook_bytes

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
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
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


def looks_like_text(data: bytes) -> bool:
    """Whether the bytes may be a CSV (UTF-16 with its BOM, or no NUL byte in the head)."""
    head = data[:8192]
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in head


def not_xlsx_message(data: bytes) -> str:
    """Why bytes that are not a zip are not an .xlsx, as precisely as the first bytes tell."""
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return "文件设置了打开密码，请取消密码后重新上传"
        return "该文件是旧版 Excel（.xls）或 WPS（.et）格式，" + SAVE_AS_XLSX
    head = data[:1024].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        return "该文件实际是网页（HTML/XML）格式（常见于其他系统导出的“.xls”文件），" + SAVE_AS_XLSX
    if head.startswith(b"%pdf"):
        return "该文件是 PDF 文档，不是 Excel 工作簿"
    if looks_like_text(data):
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
    if data[off : off + 4] != ZIP_MAGIC:
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


def inspect_xlsx(
    data: bytes, *, max_rows: int = MAX_ROWS, sheet: str | None = None, formula_limit: int = 20
) -> _SheetScan:
    """Check the container: a real .xlsx, no zip bomb, not too many rows; find formulas.

    ``sheet`` names the preferred sheet (a template's), else the first is inspected.
    """
    if not data.startswith(ZIP_MAGIC):
        raise ExcelError(not_xlsx_message(data))
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
        if data.startswith((ZIP_MAGIC, OLE2_MAGIC)) or not looks_like_text(data):
            raise ExcelError("文件扩展名为 .csv，但内容不是文本表格，请确认文件后重新上传")
        if csv_data_rows(csv_table(data)) > max_rows:
            raise ExcelError(f"数据超过{max_rows}行，请拆分后分批上传")
        return "csv"
    if ext != ".xlsx":
        accepted = ".xlsx 或 .csv" if csv_ok else ".xlsx"
        raise ExcelError(f"不支持的文件类型（{ext or '无扩展名'}），请上传 {accepted} 文件")
    inspect_xlsx(data, max_rows=max_rows)
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


def csv_table(data: bytes) -> list[list[str]]:
    """A CSV upload (UTF-8 or GBK, comma or tab) as rows of text cells."""
    text = _decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ExcelError(f"CSV 文件格式有误：{exc}") from exc


def csv_data_rows(table: list[list[str]]) -> int:
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
    for r, row in enumerate(csv_table(data), start=1):
        for c, value in enumerate(row, start=1):
            if value == "":
                continue
            cell = ws.cell(row=r, column=c, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # "=1+1" stays text
            cell.number_format = "@"
            if r == 1:
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
    return workbook_bytes(wb)
