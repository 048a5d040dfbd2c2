"""辅助检查人员库 按模板导入: the platform's 辅助人员库导入模板 (no standard defines one) uploaded,
previewed with row/column problems, an annotated copy of the problem rows, then confirmed
(全部导入 or 仅导入有效行), with the Excel toolkit and the batch pattern of
services/inspector_import.py.  The form's field rules apply to every row
(services.inspectors.check_auxiliary).  An entry with the same 名称 and 所在单位 already in the
clerk's part of the pool is updated (blank cells keep its values), never added twice.  The
pool has no process of the standard: each change is audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from models import ImportBatch, ImportStatus, User, db
from models.inspectors import AuxiliaryInspector, AuxiliaryKind
from services import audit
from services import inspectors as svc
from services.errors import Forbidden, Invalid
from services.excel import Row, RowErrors, read_table
from services.import_rows import duplicate_message
from services.scope import subtree_ids
from services.templates_catalogue import PLATFORM_TEMPLATES
from services.user_import import _claim, _ensure_pending, purge_stale_imports

IMPORT_KIND = "auxiliary_inspectors"
TEMPLATE = PLATFORM_TEMPLATES["辅助人员库导入模板"]
MAX_IMPORT_ROWS = 1000
PREVIEW_PROBLEMS = 200
COLUMN_FIELDS = {
    "类别": "kind", "名称": "name", "所在单位": "organization", "联系人": "contact", "联系电话": "phone",
    "专业领域": "field", "资质": "qualification",
}
FIELD_COLUMNS = {v: k for k, v in COLUMN_FIELDS.items()}
KIND_WORDS = {k.label: k.value for k in AuxiliaryKind}


@dataclass
class AuxRow:
    row: Row
    raw: dict[str, Any] | None = None
    target: AuxiliaryInspector | None = None

    @property
    def valid(self) -> bool:
        return self.row.valid and self.raw is not None


@dataclass
class AuxCheck:
    rows: list[AuxRow]
    errors: RowErrors = field(default_factory=RowErrors)

    @property
    def valid_rows(self) -> list[AuxRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[AuxRow]:
        return [r for r in self.rows if not r.valid]

    def summary(self) -> dict[str, Any]:
        valid = self.valid_rows
        errors = self.errors.as_dict()
        return {
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "create": sum(1 for r in valid if r.target is None),
            "update": sum(1 for r in valid if r.target is not None),
            "problems": [
                {"row": r.row.number, "name": r.row.get("名称") or "", "errors": errors.get(r.row.number, [])}
                for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }


def _key(name: str, organization: str) -> tuple[str, str]:
    return name.strip(), organization.strip()


def check_import(actor: User, data: bytes) -> AuxCheck:
    """Read and validate an upload (nothing is written); ExcelError for an unusable file."""
    rows = read_table(data, TEMPLATE, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
    existing = {
        _key(e.name, e.organization): e
        for e in db.session.execute(
            select(AuxiliaryInspector).where(
                AuxiliaryInspector.active.is_(True),
                AuxiliaryInspector.department_id.in_(subtree_ids(actor.department)),
            )
        ).scalars()
    }
    seen: dict[tuple[str, str], int] = {}
    checked: list[AuxRow] = []
    for row in rows:
        item = AuxRow(row)
        checked.append(item)
        key = _key(row.get("名称") or "", row.get("所在单位") or "")
        if key[0] and key in seen:
            row.add_error("名称", duplicate_message([seen[key]]) + "（名称和所在单位相同）")
        seen.setdefault(key, row.number)
        target = existing.get(key)
        raw: dict[str, Any] = {}
        if target is not None:
            raw = {k: getattr(target, k) for k in COLUMN_FIELDS.values()}
            raw["kind"] = target.kind.value
        for title, name in COLUMN_FIELDS.items():
            value = row.get(title)
            if value not in (None, ""):
                raw[name] = KIND_WORDS.get(value, value) if name == "kind" else value
        _values, errors = svc.check_auxiliary(raw)
        flagged = {c for c, _ in row.errors}
        for name, message in errors.items():
            column = FIELD_COLUMNS.get(name, name)
            if column not in flagged:
                row.add_error(column, message)
        if errors or not row.valid:
            continue
        item.raw, item.target = raw, target
    result = AuxCheck(checked)
    result.errors.add_rows(r.row for r in checked)
    return result


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and svc.can_edit(actor)


def store_import(actor: User, filename: str, data: bytes) -> tuple[ImportBatch, AuxCheck]:
    if not svc.can_edit(actor):
        raise Forbidden("只有监管部门经办人可以导入辅助检查人员")
    check = check_import(actor, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"check": check.summary()}, ensure_ascii=False),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "模板": TEMPLATE.code, "有效行": len(check.valid_rows),
                 "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    _ensure_pending(batch)
    check = check_import(actor, batch.content)
    audit.record("export", object_type="import_batch", object_id=batch.id,
                 summary={"文件": batch.filename, "内容": "问题标注"}, user=actor)
    return check.errors.annotated(batch.content, sheet=TEMPLATE.sheet if batch.content.startswith(b"PK") else None)


def import_auxiliary(actor: User, batch: ImportBatch, *, valid_only: bool) -> dict[str, Any]:
    """全部导入 (nothing when a row has a problem) or 仅导入有效行; in the caller's transaction."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _ensure_pending(batch)
    check = check_import(actor, batch.content)
    if check.invalid_rows and not valid_only:
        raise Invalid(f"文件中有{len(check.invalid_rows)}行有问题，未导入任何数据：请修改后重新上传，或选择“仅导入有效行”")
    if not check.valid_rows:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    created = updated = unchanged = 0
    for r in check.valid_rows:
        assert r.raw is not None
        target = r.target
        if target is not None:
            before = {k: getattr(target, k) for k in COLUMN_FIELDS.values()}
            values, _ = svc.check_auxiliary(r.raw)
            if values is not None and all(before[k] == values[k] for k in before):
                unchanged += 1
                continue
        svc.save_auxiliary(actor, r.raw, target, source=f"导入批次{batch.id}第{r.row.number}行")
        if target is None:
            created += 1
        else:
            updated += 1
    summary = {"文件": batch.filename, "新增": created, "更新": updated, "无变化": unchanged,
               "跳过问题行": len(check.invalid_rows)}
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return summary
