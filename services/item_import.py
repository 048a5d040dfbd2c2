"""Import of a single-department item list from template A.1.1 (单部门“双随机、一公开”抽查事项清单).

The ImportBatch pattern (services/user_import.py, services/entity_import.py): the upload is
read against the template and stored as a batch (kind "check_items"); the preview lists the
problems by row and column; an annotated copy marks them in the file; the confirmation imports
all rows (only when every row is valid) or the valid rows only, in the request's one
transaction.  Each new item goes through 表7 (新增 → 公布事项); a row naming an item the
department already has (same 抽查事项) goes through 表8 when it changes something, so a
re-import updates instead of duplicating.

The standard's A.1.1 has no ratio cap, implementation level, industry or note.  The platform
accepts the template as the standard prints it, or with four optional columns appended
(``EXTRA_COLUMNS``); a general item without a cap in the file takes the cap given on the
upload page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from models import ImportBatch, ImportStatus, ItemCategory, User, db, utcnow
from services import audit
from services import items as svc
from services.errors import Conflict, Forbidden, Invalid
from services.excel import Column, ExcelError, Row, check_upload, mark_duplicates, parse_decimal, read_table
from services.templates_catalogue import IMPLEMENTATION_LEVELS, TEMPLATES, Template

IMPORT_KIND = "check_items"
MAX_IMPORT_ROWS = 2_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
RETENTION = timedelta(hours=24)
STANDARD: Template = TEMPLATES["A.1.1"]
EXTRA_COLUMNS = (
    Column("抽查比例上限（%）", 14, note="一般检查事项必填，如 5 表示5%；重点检查事项不设上限，不填"),
    Column("实施层级", 12, choices=IMPLEMENTATION_LEVELS, multiple=True),
    Column("行业代码", 10, text=True, note="国民经济行业分类门类字母，可加代码，如 F、F52（一业一单）"),
    Column("备注", 24),
)
EXTENDED = Template(
    STANDARD.code,
    STANDARD.title,
    STANDARD.source,
    (*STANDARD.columns, *EXTRA_COLUMNS),
    notes=(
        *STANDARD.notes,
        "抽查比例上限（%）、实施层级、行业代码、备注为本平台补充列（可删除这四列，按标准模板上传）。"
        "一般检查事项未填写抽查比例上限的，按上传页面填写的默认上限导入。",
        "本部门清单中已有同名抽查事项的行将更新该事项（并重新公布），不会重复新增。",
    ),
)

# Column title → service field key.
_KEYS = {
    "抽查类别": "domain",
    "抽查事项": "name",
    "检查对象": "objects",
    "事项类别": "category",
    "检查方式": "methods",
    "检查主体": "inspecting_body",
    "检查依据": "basis",
    "牵头处室": "lead_office",
    "抽查比例上限（%）": "ratio_cap",
    "实施层级": "levels",
    "行业代码": "industry_code",
    "备注": "note",
}
_COLUMN_OF = {key: title for title, key in _KEYS.items()}


@dataclass
class ItemRow:
    number: int
    name: str
    raw: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)
    action: str = ""  # "create", "update", "same"

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class ItemCheck:
    rows: list[ItemRow]
    extended: bool

    @property
    def valid_rows(self) -> list[ItemRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[ItemRow]:
        return [r for r in self.rows if not r.valid]

    def error_map(self) -> dict[int, list[str]]:
        return {r.number: [f"{col}：{msg}" for col, msg in r.errors] for r in self.invalid_rows}

    def summary(self) -> dict[str, Any]:
        valid = self.valid_rows
        return {
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "create": sum(1 for r in valid if r.action == "create"),
            "update": sum(1 for r in valid if r.action == "update"),
            "same": sum(1 for r in valid if r.action == "same"),
            "extended": self.extended,
            "problems": [
                {"row": r.number, "name": r.name, "errors": r.errors} for r in self.invalid_rows[:200]
            ],
        }


def template_bytes(extended: bool = True) -> bytes:
    from services.excel import workbook_bytes

    return workbook_bytes((EXTENDED if extended else STANDARD).workbook())


def _read(data: bytes) -> tuple[list[Row], bool]:
    """Rows of the upload, read as the extended template or, failing that, the standard one."""
    try:
        return read_table(data, EXTENDED, max_rows=MAX_IMPORT_ROWS), True
    except ExcelError as extended_error:
        try:
            return read_table(data, STANDARD, max_rows=MAX_IMPORT_ROWS), False
        except ExcelError as standard_error:
            if any("缺少列" in p for p in standard_error.problems) and not any(
                "缺少列" in p for p in extended_error.problems
            ):
                raise extended_error from None
            raise


def parse_default_cap(text: str) -> Decimal | None:
    text = (text or "").strip().rstrip("%％")
    if not text:
        return None
    try:
        cap = parse_decimal(text)
    except ValueError:
        raise Invalid("默认抽查比例上限应为数字（百分比），如 5", "default_cap") from None
    if cap is None or not Decimal(0) < cap <= Decimal(100):
        raise Invalid("默认抽查比例上限应大于0且不超过100", "default_cap")
    return cap


def check_import(actor: User, data: bytes, default_cap: Decimal | None = None) -> ItemCheck:
    """Read and check an upload against A.1.1 and the department's list; ExcelError when the
    file cannot be used at all."""
    table, extended = _read(data)
    mark_duplicates(table, "抽查事项")
    rows: list[ItemRow] = []
    for source in table:
        raw = {_KEYS[title]: value for title, value in source.values.items() if title in _KEYS}
        raw["methods"] = source.get("检查方式") or source.raw.get("检查方式")
        name = str(source.get("抽查事项") or "").strip()
        existing = svc.find_by_name(actor.department_id, name) if name else None
        if existing is not None and not extended:
            # The standard template leaves the platform's own fields as they are.
            current = svc.form_values(existing)
            raw.update({k: current[k] for k in ("ratio_cap", "levels", "industry_code", "note")})
        general = svc.category_of(raw.get("category")) == ItemCategory.GENERAL
        if general and default_cap is not None and not str(raw.get("ratio_cap") or "").strip():
            raw["ratio_cap"] = str(default_cap)
        row = ItemRow(source.number, name, raw, list(source.errors))
        values, errors = svc.parse_item(raw)
        seen = {column for column, _ in row.errors}
        for key, message in errors.items():
            column = _COLUMN_OF[key]
            if column == "抽查比例上限（%）" and not extended:
                column = "事项类别"
                message = "一般检查事项须有抽查比例上限：请在上传页面填写默认上限，或增加“抽查比例上限（%）”列"
            if column not in seen:
                row.errors.append((column, message))
                seen.add(column)
        if row.valid:
            if existing is None:
                row.action = "create"
            else:
                same = all(getattr(existing, k) == v for k, v in values.items())
                row.action = "same" if same else "update"
        rows.append(row)
    return ItemCheck(rows, extended)


def _options(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def _default_cap(batch: ImportBatch) -> Decimal | None:
    cap = _options(batch).get("default_cap")
    return Decimal(cap) if cap else None


def store_import(
    actor: User, filename: str, data: bytes, default_cap: str = ""
) -> tuple[ImportBatch, ItemCheck]:
    if not svc.can_edit(actor):
        raise Forbidden("只有监管部门经办人或部门领导可以导入抽查事项清单")
    cap = parse_default_cap(default_cap)
    check_upload(data, filename, csv_ok=False, max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_IMPORT_ROWS)
    check = check_import(actor, data, cap)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"default_cap": str(cap) if cap else ""}),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "模板": "A.1.1", "有效行": len(check.valid_rows),
                 "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    """A batch belongs to the clerk who uploaded it, while they stay in that department."""
    return (
        batch.kind == IMPORT_KIND
        and batch.created_by_id == actor.id
        and batch.department_id == actor.department_id
        and svc.can_edit(actor)
    )


def is_expired(batch: ImportBatch) -> bool:
    return batch.status == ImportStatus.PENDING.value and batch.created_at < utcnow() - RETENTION


def _ensure_pending(batch: ImportBatch) -> None:
    if batch.status == ImportStatus.IMPORTED.value:
        raise Conflict("该批次已导入")
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已放弃，请重新上传")
    if is_expired(batch):
        raise Conflict("该批次上传已超过24小时未确认，已失效，请重新上传")


def _claim(batch: ImportBatch, status: ImportStatus) -> None:
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


def recheck(actor: User, batch: ImportBatch) -> ItemCheck:
    _ensure_pending(batch)
    return check_import(actor, batch.content, _default_cap(batch))


def import_items(actor: User, batch: ImportBatch, *, only_valid: bool = True) -> dict[str, Any]:
    """全部导入 (only when every row is valid) or 仅导入有效行: new rows through 表7, changed
    rows through 表8; all in the caller's transaction, or nothing."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    check = recheck(actor, batch)
    if not only_valid and check.invalid_rows:
        raise Invalid(f"有 {len(check.invalid_rows)} 行存在问题，不能全部导入：请修改后重新上传，或选择仅导入有效行")
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    created = updated = same = 0
    for row in valid:
        if row.action == "create":
            svc.create_item(actor, row.raw, source=f"批量导入（批次{batch.id}第{row.number}行）")
            created += 1
        elif row.action == "update":
            item = svc.find_by_name(actor.department_id, row.name)
            if item is None:
                raise Conflict("导入期间数据已被他人修改，请重新上传")
            svc.edit_item(actor, item, row.raw, version=item.version)
            updated += 1
        else:
            same += 1
    summary = {
        "文件": batch.filename,
        "新增": created,
        "更新": updated,
        "无变化": same,
        "跳过问题行": len(check.invalid_rows),
    }
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return summary


def discard_import(actor: User, batch: ImportBatch) -> None:
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record("delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename},
                 user=actor)


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    """The upload with an error column beside each faulty row."""
    from services.excel import annotate_errors

    check = recheck(actor, batch)
    audit.record(
        "export",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"},
        user=actor,
    )
    return annotate_errors(batch.content, check.error_map(), sheet=(EXTENDED if check.extended else STANDARD).sheet)


def batch_result(batch: ImportBatch) -> dict[str, Any]:
    return _options(batch) if batch.status == ImportStatus.IMPORTED.value else {}
