"""Writing a checked registry import (services/entity_import.py): new entities inserted as
plain tuples through persistence.bulk with ids allocated beforehand, changed ones updated by
primary key in chunks grouped by the columns they change, and the audit rows prepared by hand
(json.dumps per row costs a second per 100,000 rows).  Nothing here checks or commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _json_str  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from infrastructure.errors import Conflict
from models import ImportBatch, MarketEntity, db
from models.entity import EntityStatus
from persistence.bulk import allocate_ids, insert_rows, update_rows
from services.entities import COLUMN_KEYS, TITLE

if TYPE_CHECKING:
    from services.entity_import_read import EntityRow

CHUNK = 2_000
AuditRows = list[tuple[str | int, dict[str, Any] | str]]
Written = Callable[[int, str], None]


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


def insert_new(
    batch: ImportBatch, creates: Sequence[EntityRow], now: datetime, written: Written
) -> tuple[list[int], AuditRows, list[tuple[int, str]]]:
    """Insert the new entities: their ids, their audit rows and their (id, tag) pairs."""
    defaults = _defaults()
    default_items = [(k, defaults[k]) for k in COLUMN_KEYS]
    columns = ["id", *COLUMN_KEYS, "department_id", "created_at", "updated_at"]
    new_ids = allocate_ids(MarketEntity.__table__, len(creates))
    created_audit: AuditRows = []
    tag_pairs: list[tuple[int, str]] = []
    for i in range(0, len(creates), CHUNK):
        chunk = creates[i : i + CHUNK]
        rows = []
        for r, ident in zip(chunk, new_ids[i : i + CHUNK], strict=True):
            get = r.values.get
            rows.append([ident, *(get(k, d) for k, d in default_items), r.owner, now, now])
            created_audit.append(
                (ident, f'{{"代码": {_json_str(r.code)}, "名称": {_json_str(r.values["name"])}, '
                        f'"批次": {batch.id}, "行": {r.number}}}')
            )
            tag_pairs.extend((ident, t) for t in r.values.get("tags", ()))
        insert_rows(MarketEntity.__table__, columns, rows)
        done_rows = i + len(chunk)
        written(done_rows, f"正在写入：新登记 {done_rows} / {len(creates)} 个")
    return new_ids, created_audit, tag_pairs


@dataclass
class Changes:
    """What updating the existing entities did: the rows that changed (with their audit
    summary), those that did not, and the tags the file gives them."""

    changed: list[tuple[EntityRow, dict[str, Any]]] = field(default_factory=list)
    untouched: list[EntityRow] = field(default_factory=list)
    tag_pairs: list[tuple[int, str]] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return len(self.untouched)


def _difference(r: EntityRow, old: Any, position: dict[str, int]) -> tuple[list[str], list[Any], dict[str, Any]]:
    """The columns a row changes, their new values and the audit's [before, after] by title."""
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
    return keys, values, shown


def update_existing(batch: ImportBatch, updates: Sequence[EntityRow], now: datetime, written: Written) -> Changes:
    """Update the entities the rows name, the cells they fill only; an entity deleted since
    the check stops the whole import (nothing written)."""
    changes = Changes()
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
            if old is None:
                raise Conflict("导入期间有主体被他人删除，请返回预览页重新校验后再导入")
            keys, values, shown = _difference(r, old, position)
            changes.tag_pairs.extend((r.target_id, t) for t in r.values.get("tags", ()))  # type: ignore[misc]
            if not keys:
                changes.untouched.append(r)
                continue
            by_keys.setdefault((*keys, "updated_at"), []).append([*values, now, r.target_id])
            changes.changed.append((r, {"批次": batch.id, "行": r.number, **shown}))
        for keys_group, rows in by_keys.items():
            update_rows(MarketEntity.__table__, "id", keys_group, rows)
        done_rows = i + len(chunk)
        written(done_rows, f"正在写入：更新 {done_rows} / {len(updates)} 个")
    return changes


def update_audit(batch: ImportBatch, added: Sequence[tuple[int, str]], changes: Changes) -> AuditRows:
    """The audit rows of the updated entities, with the tags added to each; an entity that
    only got new tags is a change too."""
    added_by_entity: dict[int, list[str]] = {}
    for ident, tag in added:
        added_by_entity.setdefault(ident, []).append(tag)
    rows: AuditRows = []
    for r, summary in changes.changed:
        if r.target_id in added_by_entity:
            summary["追加标签"] = "、".join(added_by_entity[r.target_id])
        rows.append((r.target_id, summary))  # type: ignore[arg-type]
    for r in changes.untouched:
        if r.target_id in added_by_entity:
            rows.append(
                (r.target_id, {"批次": batch.id, "行": r.number, "追加标签": "、".join(added_by_entity[r.target_id])})  # type: ignore[arg-type]
            )
    return rows
