"""辅助检查人员库 按模板导入 (the platform's 辅助人员库导入模板; no standard defines one).

The form's field rules apply to every row (services.inspectors.check_auxiliary).  The natural
key is 名称 + 所在单位: an entry with that key already in the clerk's part of the pool is
updated (blank cells keep its values), never added twice.  The pool has no process of the
standard: each change is audited.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import select

from infrastructure.excel import Row
from models import ImportBatch, User, db
from models.inspectors import AuxiliaryInspector, AuxiliaryKind
from persistence.scope import subtree_ids
from services import inspectors as svc
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.templates_catalogue import PLATFORM_TEMPLATES

COLUMN_FIELDS = {
    "类别": "kind", "名称": "name", "所在单位": "organization", "联系人": "contact", "联系电话": "phone",
    "专业领域": "field", "资质": "qualification",
}
FIELD_COLUMNS = {v: k for k, v in COLUMN_FIELDS.items()}
KIND_WORDS = {k.label: k.value for k in AuxiliaryKind}


def _key(name: str, organization: str) -> tuple[str, str]:
    return name.strip(), organization.strip()


class AuxiliaryImport(ImportKind):
    name = "auxiliary_inspectors"
    title = "导入辅助检查人员"
    template = PLATFORM_TEMPLATES["辅助人员库导入模板"]
    max_rows = 1000
    name_column = "名称"
    key_column = "名称"
    key_label = "（名称和所在单位相同）"
    steps = ("名称和所在单位相同的已有记录更新其信息，不会重复新增。",)
    denied = "只有上传该文件的经办人可以导入"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return svc.can_edit(actor)

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        return batch.kind == self.name and batch.created_by_id == actor.id and svc.can_edit(actor)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        existing = {
            _key(e.name, e.organization): e
            for e in db.session.execute(
                select(AuxiliaryInspector).where(
                    AuxiliaryInspector.active.is_(True),
                    AuxiliaryInspector.department_id.in_(subtree_ids(actor.department)),
                )
            ).scalars()
        }
        return [self._check_row(row, existing) for row in rows]

    def _check_row(self, row: Row, existing: dict[tuple[str, str], AuxiliaryInspector]) -> ImportRow:
        target = existing.get(_key(row.get("名称") or "", row.get("所在单位") or ""))
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
            return ImportRow(row)
        return ImportRow(row, (raw, target))

    def natural_key(self, item: ImportRow) -> Hashable | None:
        key = _key(item.row.get("名称") or "", item.row.get("所在单位") or "")
        return key if key[0] else None

    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        return {"create": sum(1 for r in rows if r.payload[1] is None),
                "update": sum(1 for r in rows if r.payload[1] is not None)}

    def check_note(self, check: dict[str, Any]) -> str:
        return f"（新增 {check.get('create', 0)}，更新 {check.get('update', 0)}）"

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        created = updated = unchanged = 0
        for item in rows:
            raw, target = item.payload
            if target is not None:
                values, _ = svc.check_auxiliary(raw)
                if values is not None and all(getattr(target, k) == values[k] for k in COLUMN_FIELDS.values()):
                    unchanged += 1
                    continue
            svc.save_auxiliary(actor, raw, target, source=f"导入批次{batch.id}第{item.number}行")
            if target is None:
                created += 1
            else:
                updated += 1
        return {"新增": created, "更新": updated, "无变化": unchanged}

    def result_text(self, result: dict[str, Any]) -> str:
        return (f"已导入：新增 {result.get('新增', 0)}，更新 {result.get('更新', 0)}，"
                f"无变化 {result.get('无变化', 0)}，跳过问题行 {result.get('跳过问题行', 0)}")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "辅助检查人员库", "inspectors.auxiliary", {}


KIND = register(AuxiliaryImport())
