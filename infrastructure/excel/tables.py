"""Reading an upload against a template: the header, each row's cells by their column, the
problems by row (Row, RowErrors) and the annotated copy."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from openpyxl.utils import column_index_from_string, get_column_letter

from infrastructure.excel.cells import converter, fold_width, validator_rules
from infrastructure.excel.upload import (
    MAX_ROWS,
    OLE2_MAGIC,
    SAVE_AS_XLSX,
    ZIP_MAGIC,
    csv_data_rows,
    csv_table,
    csv_to_xlsx,
    inspect_xlsx,
    looks_like_text,
    not_xlsx_message,
)
from infrastructure.excel.workbooks import Column, ExcelError, annotate_errors, cell_text, is_blank
from infrastructure.import_rows import duplicate_messages, find_header_row

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
    text = re.sub(r"\s+", "", fold_width(cell_text(value))).rstrip("*")
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
            problems.append(f"{at}多出模板中没有的列 {cell_text(header[i])}（{letter}列）")
        elif key in seen:
            problems.append(f"{at}列 {cell_text(header[i])} 重复（{letter}列）")
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
    if not data.startswith(ZIP_MAGIC):
        if csv_ok and not data.startswith(OLE2_MAGIC) and looks_like_text(data):
            table = csv_table(data)
            if csv_data_rows(table) > max_rows:
                raise ExcelError(f"数据超过{max_rows}行，请拆分后分批上传")
            return table, []
        raise ExcelError(not_xlsx_message(data))
    limit = 16 * (max_rows + 1) if formula_rows else 20
    scan = inspect_xlsx(data, max_rows=max_rows, sheet=sheet, formula_limit=limit)
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
    (infrastructure.import_rows.find_header_row).  With ``formula_rows`` a cell holding a formula
    refuses its row (an error on that cell) instead of the whole file.
    """
    columns, sheet, one_of = _resolve_spec(spec)
    table, formulas = _load_table(data, csv_ok=csv_ok, max_rows=max_rows, sheet=sheet, formula_rows=formula_rows)
    if all(is_blank(v) for row in table for v in row):
        raise ExcelError("文件中没有内容：第1行应为模板的列名")
    keys = {_header_key(c.title) for c in columns}
    at = max(find_header_row(table, lambda v: _header_key(v) in keys), 0)
    problems = _header_problems(table[at], columns, at + 1)
    if problems:
        raise ExcelError("文件与模板不一致：" + "；".join(problems) + "。请使用系统提供的模板", problems)
    rules = validator_rules()
    titles = [c.title for c in columns]
    converters = [converter(c, rules) for c in columns]
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
    infrastructure.import_rows.duplicate_messages)."""
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
        source = data if data.startswith(ZIP_MAGIC) else csv_to_xlsx(data)
        return annotate_errors(source, self.as_dict(), error_title, sheet=sheet)
