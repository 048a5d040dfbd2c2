"""Excel in and out: styled templates and exports with openpyxl (workbooks.py), uploads checked
before they are read (upload.py), cell values parsed by their column's kind (cells.py), and
uploads read against a template with their problems by row (tables.py).  Code columns are text
so an 18-character code never becomes 1.2E+17; cells that start with = + - @ are escaped on
export so a spreadsheet never runs them.  Import from ``infrastructure.excel``: this module names
everything the others offer."""

from __future__ import annotations

from infrastructure.excel.cells import (
    parse_date,
    parse_decimal,
    parse_enum,
)
from infrastructure.excel.tables import (
    FORMULA_CELL,
    Row,
    RowErrors,
    TableSpec,
    mark_duplicates,
    read_table,
)
from infrastructure.excel.upload import (
    DATE_RULE,
    MAX_COMPRESSION_RATIO,
    MAX_MEMBERS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    NUMBER_RULE,
    SAVE_AS_XLSX,
    SCI_NOTATION,
    check_upload,
    csv_to_xlsx,
)
from infrastructure.excel.workbooks import (
    KINDS,
    XLSX_MIME,
    Column,
    ExcelError,
    annotate_errors,
    build_workbook,
    escape_cell,
    kind_note,
    read_rows,
    stream_workbook,
    workbook_bytes,
)

__all__ = [
    "Column",
    "DATE_RULE",
    "ExcelError",
    "FORMULA_CELL",
    "KINDS",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBERS",
    "MAX_ROWS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_UPLOAD_BYTES",
    "NUMBER_RULE",
    "Row",
    "RowErrors",
    "SAVE_AS_XLSX",
    "SCI_NOTATION",
    "TableSpec",
    "XLSX_MIME",
    "annotate_errors",
    "build_workbook",
    "check_upload",
    "csv_to_xlsx",
    "escape_cell",
    "kind_note",
    "mark_duplicates",
    "parse_date",
    "parse_decimal",
    "parse_enum",
    "read_rows",
    "read_table",
    "stream_workbook",
    "workbook_bytes",
]
