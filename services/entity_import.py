"""Import of the entity registry (市场主体库导入) from a full-registry workbook (.xlsx) or a
CSV (UTF-8 with or without BOM, GBK/GB18030), following the ImportBatch pattern of
services/user_import.py: the upload is validated and stored as a batch (kind "entities"), the
clerk previews the result, downloads an annotated copy of the problem rows, and confirms; the
confirmation imports every still-valid row in the request's one transaction, or nothing.

Columns are matched by their Chinese titles (with the names other systems use for them, see
services.entity_fields.FIELDS), in any order; a title row above the header is skipped.  A row that
names an existing entity by 统一社会信用代码 (else by 注册号) updates it: the cells it fills
replace the stored values, blank cells leave them as they are (a partial file never erases
data), and its tags are added.

Speed (bench/entities.py): rows are parsed with the same rules as the form, existing entities
are looked up in chunks of 500 keys, new rows are inserted with ``insert()`` over lists of
dicts and changed rows updated by primary key in chunks, without ORM objects; the audit rows
(one per created or changed entity) are chained and inserted the same way.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _json_str  # type: ignore[attr-defined]
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from sqlalchemy import select, update

from models import EntityTag, ImportBatch, ImportStatus, Job, MarketEntity, User, db, utcnow
from models.entity import EntityStatus
from services import audit, jobs
from services.bulk import allocate_ids, insert_rows, refresh_statistics, update_rows
from services.entities import Registries, can_edit
from services.entity_fields import (
    COLUMN_KEYS,
    FIELD_BY_KEY,
    FIELDS,
    INDUSTRY_SECTIONS,
    ONE_OF_MESSAGE,
    SUBJECT_TYPE,
    TITLE,
    FieldError,
    TextRule,
    text_of,
)
from services.entity_tags import add_tags_bulk
from services.errors import Conflict, Forbidden, Invalid
from services.excel import Column, ExcelError, annotate_errors, check_upload, workbook_bytes
from services.import_rows import duplicate_messages, find_header_row

IMPORT_KIND = "entities"
JOB_KIND = "entity_import"
BATCH_SUBJECT = "import_batch"
# A confirmation of more rows than this runs as a background job (config IMPORT_JOB_ROWS).
IMPORT_JOB_ROWS = 5_000
PROGRESS_ROWS = 2_000  # rows between two progress reports while checking
MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Above this many rows the error report lists the problem rows only: re-writing a whole
# 100,000-row workbook with openpyxl takes about a minute.
FULL_COPY_ROWS = 5_000
PREVIEW_PROBLEMS = 200
CHUNK = 2_000
LOOKUP_CHUNK = 500
ANALYZE_AFTER_ROWS = 5_000  # services.bulk.refresh_statistics
FORMULA = "单元格为公式，请复制后“选择性粘贴—数值”再导入"
MAX_FORMULA_CELLS = 1_000

TEMPLATE_COLUMNS = tuple(
    Column(f.title, f.width, text=f.text, choices=f.choices, required=f.required) for f in FIELDS
)


def template_instructions() -> list[str]:
    return [
        "市场主体库导入填写说明",
        "1. 带 * 的列为必填项；统一社会信用代码和注册号至少填写一项。列的顺序可以调整，列名须与模板一致"
        "（其他系统导出的常用列名，如“企业名称”“法定代表人”“经营状态”，也能识别）；未识别的列将被忽略。",
        "2. 统一社会信用代码、注册号、行政区划编码、行业代码、联系电话请使用“文本”格式：以数字格式保存的"
        "18位代码会变成 9.1E+17 这样的科学计数法并丢失末几位，系统会拒绝这样的行。",
        "3. 已登记的主体（按统一社会信用代码匹配，没有时按注册号匹配）将被更新：填写的单元格覆盖原值，"
        "留空的单元格保持原值不变；标签为追加。",
        "4. 主体类型：" + "、".join(FIELD_BY_KEY["entity_type"].choices) + "。",
        "5. 登记状态：" + "、".join(FIELD_BY_KEY["status"].choices) + "（“在营”“开业”“吊销，未注销”等写法也可识别）。",
        "6. 行政区划编码：6位（县级）、9位（乡级）或12位（村级）数字，须在本辖区范围内；"
        "主体归入其行政区划所在区（市）县的主体库。",
        "7. 行业代码：国民经济行业分类（GB/T 4754-2017）门类字母加代码，如 F5211；只填数字（5211）时自动补门类字母。",
        "8. 成立日期、评定日期：如 2024-01-05、2024/1/5、20240105 或Excel日期。",
        "9. 注册资本：单位万元，填写数字。联系电话：手机号码、带区号的固定电话（如 028-86123456，本地号码不以0或1开头）或400/800号码，"
        "多个号码用“、”分隔。",
        "10. 标签：多个标签用“、”分隔，每个不超过30个字。",
        "11. 信用风险等级：A、B、C、D、E（A级风险最低），仅供内部监管使用，不对外公开；可同时填写等级来源和评定日期。",
        f"12. 每个文件最多{MAX_IMPORT_ROWS}行、不超过{MAX_UPLOAD_BYTES // 1024 // 1024}MB；也可上传CSV文件"
        "（UTF-8或GBK编码）。",
        "",
        "行业门类：",
        *[f"{letter} {name}（{lo:02d}–{hi:02d}大类）" for letter, (name, lo, hi) in INDUSTRY_SECTIONS.items()],
    ]


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


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def read_table(filename: str, data: bytes, *, formulas: dict[int, set[int]] | None = None) -> Table:
    """Open an upload and find its header; ExcelError when the file cannot be used.

    ``formulas`` passes what an earlier check of the same bytes found (a stored batch): the
    container checks and the formula scan are then not repeated.
    """
    if formulas is None:
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
    # A title row may stand above the header (services.import_rows).
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
            if not _blank(value):
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


# ------------------------------------------------------------------ checking


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


@dataclass
class EntityCheck:
    kind: str
    rows: list[EntityRow]
    columns: list[str]  # field keys found in the file
    ignored: list[str]
    formulas: dict[int, set[int]] = field(default_factory=dict)

    @property
    def valid_rows(self) -> list[EntityRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[EntityRow]:
        return [r for r in self.rows if not r.valid]

    def error_map(self) -> dict[int, list[str]]:
        """{spreadsheet row: ["列：问题", …]} for the annotated copy."""
        return {r.number: [f"{col}：{msg}" for col, msg in r.errors] for r in self.rows if r.errors}

    def summary(self) -> dict[str, Any]:
        """What the preview shows, kept in the batch so that it is not recomputed."""
        valid = self.valid_rows
        problems = [
            {"row": r.number, "name": r.label, "code": r.code, "errors": r.errors}
            for r in self.invalid_rows[:PREVIEW_PROBLEMS]
        ]
        return {
            "kind": self.kind,
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "create": sum(1 for r in valid if r.target_id is None),
            "update": sum(1 for r in valid if r.target_id is not None),
            "columns": [TITLE[k] for k in self.columns],
            "ignored": self.ignored,
            "problems": problems,
            "formulas": {str(row): sorted(cols) for row, cols in self.formulas.items()},
        }


Report = Callable[[int, str], None]  # (rows done, message)


def _parse_rows(table: Table, report: Report | None = None) -> list[EntityRow]:
    """Apply the field rules to every non-blank row.  Plain text cells, most of a file, are
    checked inline: this loop runs two million times for a 100,000-row file."""
    text_plan, rule_plan = [], []
    for key, idx in table.columns.items():
        spec = FIELD_BY_KEY[key]
        if isinstance(spec.parse, TextRule):
            text_plan.append((key, idx, spec.parse, spec.required, spec.title))
        else:
            rule_plan.append((key, idx, spec.parse, spec.required, spec.title))
    width = max(table.columns.values()) + 1
    formulas = table.formulas
    out: list[EntityRow] = []
    seen = 0
    for number, cells in table.rows:
        if report is not None:
            seen += 1
            if seen % PROGRESS_ROWS == 0:
                report(seen, f"正在校验：已校验 {seen} 行")
        if len(cells) < width:
            cells = [*cells, *([None] * (width - len(cells)))]
        values: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        if formulas and number in formulas:
            cells = list(cells)
            for idx in formulas[number]:
                if idx < width:
                    cells[idx] = _Formula()
        for key, idx, rule, required, title in text_plan:
            value = cells[idx]
            if type(value) is str:
                value = value.strip()
                if value:
                    if len(value) > rule.max_length:
                        errors.append((title, rule.too_long(value)))
                    else:
                        values[key] = value
                    continue
            elif value is not None:
                try:
                    value = rule(value)
                except FieldError as exc:
                    errors.append((title, exc.message))
                    continue
                if value:
                    values[key] = value
                    continue
            if required:
                errors.append((title, "必填"))
        for key, idx, parse, required, title in rule_plan:
            value = cells[idx]
            if value is not None and value != "":
                try:
                    value = parse(value)
                except FieldError as exc:
                    errors.append((title, exc.message))
                    continue
                if value is not None and value != "" and value != []:
                    values[key] = value
                    continue
            if required:
                errors.append((title, "必填"))
        if not values and all(_blank(v) for v in cells):
            continue  # an empty row (or one of spaces)
        if len(out) >= MAX_IMPORT_ROWS:
            raise ExcelError(f"数据超过{MAX_IMPORT_ROWS}行，请拆分后分批上传")
        if "uscc" not in values and "reg_no" not in values and not any(
            t in (TITLE["uscc"], TITLE["reg_no"]) for t, _ in errors
        ):
            errors.append((TITLE["uscc"], ONE_OF_MESSAGE))
        if "credit_grade_on" in values and "credit_grade" not in values:
            errors.append((TITLE["credit_grade"], "填写了评定日期，请同时填写信用风险等级"))
        out.append(EntityRow(number, values, errors))
    return out


class _Formula:
    """Stands for a formula cell: every rule refuses it."""

    def __str__(self) -> str:
        raise FieldError(FORMULA)


def _mark_duplicates(rows: list[EntityRow], key: str) -> None:
    counts = Counter(r.values[key] for r in rows if key in r.values)
    repeated = {v for v, n in counts.items() if n > 1}
    if not repeated:
        return
    lines: dict[Any, list[int]] = {}
    for r in rows:
        if r.values.get(key) in repeated:
            lines.setdefault(r.values[key], []).append(r.number)
    messages = {value: duplicate_messages(numbers) for value, numbers in lines.items()}
    for r in rows:
        value = r.values.get(key)
        if value in repeated:
            r.errors.append((TITLE[key], messages[value][r.number]))


def _existing(column: Any, keys: list[str]) -> dict[str, Any]:
    """Registered entities by ``column`` for ``keys`` (looked up in chunks, Core rows)."""
    found: dict[str, Any] = {}
    connection = db.session.connection()
    for i in range(0, len(keys), LOOKUP_CHUNK):
        for row in connection.execute(
            select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no, MarketEntity.department_id).where(
                column.in_(keys[i : i + LOOKUP_CHUNK])
            )
        ):
            found[getattr(row, column.key)] = row
    return found


def check_import(
    actor: User,
    filename: str,
    data: bytes,
    *,
    formulas: dict[int, set[int]] | None = None,
    report: Report | None = None,
) -> EntityCheck:
    """Read and validate an upload against the rules and the registry (nothing is written).
    ``formulas``: see read_table; ``report(rows, message)`` is told of the rows checked."""
    table = read_table(filename, data, formulas=formulas)
    rows = _parse_rows(table, report)
    if not rows:
        raise ExcelError("文件中没有数据行：列名行之下没有内容")
    if report is not None:
        report(len(rows), "正在比对已登记的主体")
    _mark_duplicates(rows, "uscc")
    _mark_duplicates(rows, "reg_no")
    registries = Registries(actor)
    by_uscc = _existing(MarketEntity.uscc, sorted({r.values["uscc"] for r in rows if "uscc" in r.values}))
    by_reg = _existing(MarketEntity.reg_no, sorted({r.values["reg_no"] for r in rows if "reg_no" in r.values}))
    targets: dict[int, list[EntityRow]] = {}
    for r in rows:
        division = r.values.get("division_code")
        if division:
            r.owner = registries.owner(division)
            if r.owner is None:
                r.errors.append((TITLE["division_code"], registries.outside_message(division)))
        uscc, reg_no = r.values.get("uscc"), r.values.get("reg_no")
        e1 = by_uscc.get(uscc) if uscc else None
        e2 = by_reg.get(reg_no) if reg_no else None
        if e1 is not None and e2 is not None and e1.id != e2.id:
            r.errors.append((TITLE["reg_no"], f"该注册号已登记在另一主体名下（统一社会信用代码 {e2.uscc or '无'}）"))
            continue
        target = e1 or e2
        if target is None:
            continue
        if e1 is None and uscc and target.uscc and target.uscc != uscc:
            r.errors.append((TITLE["reg_no"], f"该注册号已登记在统一社会信用代码为 {target.uscc} 的主体名下"))
            continue
        if target.department_id not in registries.ids:
            r.errors.append(
                (TITLE["uscc"] if e1 else TITLE["reg_no"], "该主体已登记在其他辖区的主体库，不在您的数据范围内，不能更新")
            )
            continue
        r.target_id = target.id
        targets.setdefault(target.id, []).append(r)
    for group in targets.values():
        if len(group) > 1:
            for r in group:
                others = "、".join(str(x.number) for x in group if x is not r)
                r.errors.append((TITLE["uscc"], f"与第{others}行是同一个已登记主体"))
    return EntityCheck(table.kind, rows, list(table.columns), table.ignored, table.formulas)


# ------------------------------------------------------------------ batches


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    """A batch belongs to the clerk who uploaded it."""
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and can_edit(actor)


def store_import(actor: User, filename: str, data: bytes) -> tuple[ImportBatch, EntityCheck]:
    """Validate an upload and keep it, with its check summary, for preview and confirmation."""
    from services.user_import import purge_stale_imports

    if not can_edit(actor):
        raise Forbidden("只有监管部门经办人可以导入市场主体")
    check = check_import(actor, filename, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"check": check.summary()}, ensure_ascii=False, default=str),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "有效行": len(check.valid_rows), "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def _stored_formulas(batch: ImportBatch) -> dict[int, set[int]]:
    """The formula cells the upload check found in this batch's file."""
    found = batch_summary(batch).get("check", {}).get("formulas", {})
    return {int(row): set(cols) for row, cols in found.items()}


def recheck(actor: User, batch: ImportBatch, report: Report | None = None) -> EntityCheck:
    """Validate a stored batch again (the registry may have changed since the upload); the
    file's bytes were checked at the upload and are not inspected twice."""
    return check_import(actor, batch.filename, batch.content, formulas=_stored_formulas(batch), report=report)


def _ensure_pending(batch: ImportBatch) -> None:
    from services.user_import import is_expired

    if batch.status == ImportStatus.IMPORTED.value:
        raise Conflict("该批次已导入")
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已放弃，请重新上传")
    if is_expired(batch):
        raise Conflict("该批次上传已超过24小时未确认，已失效，请重新上传")


def _claim(batch: ImportBatch, status: ImportStatus) -> None:
    """Move a pending batch to ``status`` atomically: of two concurrent requests one wins."""
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.PENDING.value)
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    if claimed != 1:
        _ensure_pending(batch)
        raise Conflict("该批次已被处理")


def _defaults() -> dict[str, Any]:
    """Column values of a new entity whose cell was blank (every insert dict has all keys)."""
    out: dict[str, Any] = {}
    for key in COLUMN_KEYS:
        column = MarketEntity.__table__.c[key]
        out[key] = None if column.nullable else ""
    out["status"] = EntityStatus.ACTIVE
    return out


def _display(value: Any) -> Any:
    if hasattr(value, "label"):
        return value.label
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    return value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) and isinstance(new, Decimal):
        return old.normalize() == new.normalize()
    return old == new  # type: ignore[no-any-return]


def import_entities(
    actor: User, batch: ImportBatch, progress: Callable[[int, int, str], None] | None = None
) -> dict[str, Any]:
    """仅导入有效行: create or update every row that is still valid, in the caller's one
    transaction (all or nothing).  The file is dropped once imported.

    ``progress(done, total, message)`` (a background job's reporter) hears of the rows checked
    and then written: one unit per row of the file to check it, one per valid row to write
    it and one per valid row for its audit row (a third of the time on PostgreSQL), so the
    bar moves through every stage."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _ensure_pending(batch)
    rows_in_file = int(batch_summary(batch).get("check", {}).get("rows") or 0)
    report: Report | None = None
    if progress is not None:
        total_guess = max(rows_in_file, 1) * 3

        def checked(done: int, message: str) -> None:
            progress(min(done, total_guess // 3), total_guess, message)

        report = checked
        progress(0, total_guess, "正在校验")
    check = recheck(actor, batch, report)
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    total = len(check.rows) + 2 * len(valid)

    def written(count: int, what: str) -> None:
        if progress is not None:
            progress(len(check.rows) + count, total, what)

    written(0, f"正在写入：共 {len(valid)} 行")
    _claim(batch, ImportStatus.IMPORTED)
    now = utcnow()
    defaults = _defaults()
    default_items = [(k, defaults[k]) for k in COLUMN_KEYS]
    creates = [r for r in valid if r.target_id is None]
    updates = [r for r in valid if r.target_id is not None]
    created_audit: list[tuple[str | int, dict[str, Any] | str]] = []
    tag_pairs: list[tuple[int, str]] = []

    # Plain tuples through services.bulk (executemany, or COPY on PostgreSQL), with ids
    # allocated beforehand: nothing has to look the new rows up again.
    columns = ["id", *COLUMN_KEYS, "department_id", "created_at", "updated_at"]
    new_ids = allocate_ids(MarketEntity.__table__, len(creates))
    for i in range(0, len(creates), CHUNK):
        chunk = creates[i : i + CHUNK]
        rows = []
        for r, ident in zip(chunk, new_ids[i : i + CHUNK], strict=True):
            get = r.values.get
            row = [ident]
            row += [get(k, d) for k, d in default_items]
            row += (r.owner, now, now)
            rows.append(row)
            # JSON written by hand: json.dumps per row costs a second per 100,000 rows.
            created_audit.append(
                (ident, f'{{"代码": {_json_str(r.code)}, "名称": {_json_str(r.values["name"])}, '
                        f'"批次": {batch.id}, "行": {r.number}}}')
            )
            tag_pairs.extend((ident, t) for t in r.values.get("tags", ()))
        insert_rows(MarketEntity.__table__, columns, rows)
        done_rows = i + len(chunk)
        written(done_rows, f"正在写入：新登记 {done_rows} / {len(creates)} 个")

    updated_audit: list[tuple[str | int, dict[str, Any] | str]] = []
    changed: list[tuple[EntityRow, dict[str, Any]]] = []
    untouched: list[EntityRow] = []
    unchanged = 0
    columns = [MarketEntity.__table__.c[k] for k in COLUMN_KEYS]
    position = {k: i for i, k in enumerate(COLUMN_KEYS, start=2)}  # after id, department_id
    for i in range(0, len(updates), CHUNK):
        chunk = updates[i : i + CHUNK]
        current = {
            row[0]: row
            for row in db.session.connection().execute(
                select(MarketEntity.id, MarketEntity.department_id, *columns).where(
                    MarketEntity.id.in_([r.target_id for r in chunk])
                )
            )
        }
        by_keys: dict[tuple[str, ...], list[list[Any]]] = {}
        for r in chunk:
            old = current.get(r.target_id)  # type: ignore[arg-type]
            if old is None:  # deleted since the check: the whole import stops (nothing written)
                raise Conflict("导入期间有主体被他人删除，请返回预览页重新校验后再导入")
            keys: list[str] = []
            values: list[Any] = []
            shown: dict[str, list[Any]] = {}
            for key, value in r.values.items():
                if key == "tags":
                    continue
                before = old[position[key]]
                if not _same(before, value):
                    keys.append(key)
                    values.append(value)
                    shown[TITLE[key]] = [_display(before), _display(value)]
            if r.owner != old[1]:
                keys.append("department_id")
                values.append(r.owner)
            tag_pairs.extend((r.target_id, t) for t in r.values.get("tags", ()))  # type: ignore[misc]
            if not keys:
                unchanged += 1
                untouched.append(r)
                continue
            keys.append("updated_at")
            values.append(now)
            values.append(r.target_id)
            by_keys.setdefault(tuple(keys), []).append(values)
            changed.append((r, {"批次": batch.id, "行": r.number, **shown}))
        for keys_group, rows in by_keys.items():
            update_rows(MarketEntity.__table__, "id", keys_group, rows)
        done_rows = i + len(chunk)
        written(len(creates) + done_rows, f"正在写入：更新 {done_rows} / {len(updates)} 个")

    added = add_tags_bulk(tag_pairs, set(new_ids))
    added_by_entity: dict[int, list[str]] = {}
    for ident, tag in added:
        added_by_entity.setdefault(ident, []).append(tag)
    for r, summary in changed:
        if r.target_id in added_by_entity:
            summary["追加标签"] = "、".join(added_by_entity[r.target_id])
        updated_audit.append((r.target_id, summary))  # type: ignore[arg-type]
    for r in untouched:  # only new tags: still a change of the entity
        if r.target_id in added_by_entity:
            updated_audit.append(
                (r.target_id, {"批次": batch.id, "行": r.number, "追加标签": "、".join(added_by_entity[r.target_id])})  # type: ignore[arg-type]
            )
    written(len(valid), "正在记录审计日志")
    if len(creates) + len(updates) >= ANALYZE_AFTER_ROWS:
        refresh_statistics(MarketEntity.__table__, EntityTag.__table__)
    audit.record_many("create", SUBJECT_TYPE, created_audit, user=actor)
    audit.record_many("update", SUBJECT_TYPE, updated_audit, user=actor)
    summary = {
        "文件": batch.filename,
        "新增": len(creates),
        "更新": len(updates) - unchanged,
        "无变化": unchanged,
        "新增标签": len(added),
        "跳过问题行": len(check.invalid_rows),
    }
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return summary


def summary_text(summary: dict[str, Any]) -> str:
    """The one-line outcome of an import, as the pages show it."""
    return (
        f"已导入：新增 {summary['新增']} 个、更新 {summary['更新']} 个市场主体"
        + (f"，{summary['无变化']} 个没有变化" if summary.get("无变化") else "")
        + (f"，新增标签 {summary['新增标签']} 个" if summary.get("新增标签") else "")
        + (f"，跳过问题行 {summary['跳过问题行']} 行" if summary.get("跳过问题行") else "")
    )


def runs_as_job(batch: ImportBatch, threshold: int = IMPORT_JOB_ROWS) -> bool:
    """Whether confirming this batch goes to a background job (more rows than ``threshold``)."""
    return int(batch_summary(batch).get("check", {}).get("rows") or 0) > threshold


def _lock_batch(batch: ImportBatch) -> None:
    """Serialise two confirmations of one batch: PostgreSQL locks the row, SQLite takes its
    write lock, until the transaction ends."""
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(status=ImportBatch.status)
        .execution_options(synchronize_session=False)
    )


def enqueue_import(actor: User, batch: ImportBatch) -> Job:
    """仅导入有效行, as a background job (a large file): the job imports in its own transaction,
    all or nothing, and reports its progress; the batch page follows it."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _lock_batch(batch)
    db.session.refresh(batch)
    _ensure_pending(batch)
    if jobs.active_for(BATCH_SUBJECT, batch.id) is not None:
        raise Conflict("该批次正在导入，请稍候查看结果")
    return jobs.enqueue(
        JOB_KIND,
        actor,
        title=f"导入市场主体：{batch.filename}",
        payload={"batch_id": batch.id},
        subject_type=BATCH_SUBJECT,
        subject_id=batch.id,
    )


def _batch_page(job: Job) -> str:
    from flask import url_for

    return url_for("entities.import_preview", batch_id=job.subject_id)


@jobs.register(JOB_KIND, link=_batch_page)
def _import_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    batch = db.session.get(ImportBatch, job.params.get("batch_id"))
    if batch is None:
        raise Conflict("导入批次不存在或已被删除")
    summary = import_entities(job.created_by, batch, progress=progress)
    return {"text": summary_text(summary), "summary": summary, "batch_id": batch.id}


def discard_import(actor: User, batch: ImportBatch) -> None:
    """放弃: drop a pending batch and its file."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    if batch.status != ImportStatus.PENDING.value:
        _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record(
        "delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor
    )


# ------------------------------------------------------------------ error report

_ERROR_FILL = PatternFill("solid", fgColor="F8D7DA")


def _problem_rows_workbook(data: bytes, filename: str, check: EntityCheck) -> bytes:
    """The header and the problem rows of a large upload, each with its row number and the
    problems: fix them here and upload this file again."""
    table = read_table(filename, data, formulas=check.formulas)
    wanted = check.error_map()
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


def _annotated_csv(data: bytes, errors: dict[int, list[str]]) -> bytes:
    rows = _csv_cells(data)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for number, row in enumerate(rows, start=1):
        if number == 1:
            writer.writerow([*row, "错误说明"])
        else:
            writer.writerow([*row, "；".join(errors.get(number, []))])
    return buf.getvalue().encode("utf-8-sig")  # with a BOM so that Excel reads it as UTF-8


def annotated_copy(actor: User, batch: ImportBatch) -> tuple[bytes, str]:
    """The upload with an error column (CSV as CSV, a workbook as a workbook; for a workbook of
    more than FULL_COPY_ROWS rows the problem rows only).  Returns (content, extension)."""
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已处理，原文件不再保留")
    _ensure_pending(batch)
    check = recheck(actor, batch)
    audit.record(
        "export",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"},
        user=actor,
    )
    errors = check.error_map()
    if check.kind == "csv":
        return _annotated_csv(batch.content, errors), "csv"
    if len(check.rows) > FULL_COPY_ROWS:
        return _problem_rows_workbook(batch.content, batch.filename, check), "xlsx"
    return annotate_errors(batch.content, errors), "xlsx"
