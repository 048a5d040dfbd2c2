"""表15 按模板导入 of an object directory (检查对象名录库): what the five templates' kinds share.

The upload belongs to one inspection item (the context: ``item_id``, from the wizard's
选择抽查事项).  Each row names an object — a registry entity (A.4.2, A.4.1, B.1:
services/imports/directory_entities.py), a place (B.2) or a product (B.3:
services/imports/directory_objects.py) — and the confirmation adds the objects not yet in the
item's directory (created on first use), with the 表15 instance (选择抽查事项 → 选择新增方式 →
下载模板 → 入库) and an audit row.  The directory, its process and its other ways in are
services/directories.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from infrastructure.errors import Conflict
from infrastructure.excel import Row
from models import (
    CheckItem,
    DirectoryMember,
    ImportBatch,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    User,
    db,
    utcnow,
)
from persistence.bulk import insert_rows
from persistence.scope import scope_entities
from services import directories as svc
from services import import_batches
from services.imports.framework import ImportKind, ImportRow

MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LOOKUP_CHUNK = 500


@dataclass
class Target:
    """What a valid row stands for: the object (an entity, or a known place/product; None for
    a new one), the registry entity it is linked to, and whether the directory has it already."""

    object_id: int | None
    link: int | None = None
    present: bool = False


def chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def entities_by(actor: User, column: Any, keys: Iterable[str]) -> dict[str, int]:
    """{key: entity id} of the actor's registries, for ``column`` (uscc, reg_no)."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted({k for k in keys if k})):
        for key, ident in db.session.execute(
            scope_entities(select(column, MarketEntity.id), actor).where(column.in_(chunk))
        ):
            found[key] = ident
    return found


def _present(directory: ObjectDirectory | None, kind: MemberKind, ids: Iterable[int]) -> set[int]:
    """The objects among ``ids`` already in the directory."""
    if directory is None:
        return set()
    column = getattr(DirectoryMember, svc.MEMBER_REF[kind])
    present: set[int] = set()
    for chunk in chunks(sorted(set(ids))):
        present.update(db.session.execute(
            select(column).where(DirectoryMember.directory_id == directory.id, column.in_(chunk))
        ).scalars())
    return present


def _add_members(directory: ObjectDirectory, kind: MemberKind, object_ids: Iterable[int]) -> int:
    """Insert the objects not yet in the directory; returns how many were added."""
    wanted = list(dict.fromkeys(object_ids))
    present = _present(directory, kind, wanted)
    now = utcnow()
    fresh = [(directory.id, kind, ident, now) for ident in wanted if ident not in present]
    insert_rows(DirectoryMember.__table__, ["directory_id", "kind", svc.MEMBER_REF[kind], "added_at"], fresh)
    svc.analyze_if_large(len(fresh))
    return len(fresh)


class DirectoryImport(ImportKind):
    """A template of 表15; a subclass matches its rows (``targets``) and gives the objects'
    ids at the confirmation (``object_ids``)."""

    code: str  # the template's code in services.directories.IMPORT_TEMPLATES
    max_rows = MAX_IMPORT_ROWS
    max_bytes = MAX_UPLOAD_BYTES
    denied = "只有上传该文件的经办人可以导入"

    @property
    def member_kind(self) -> MemberKind:
        return svc.IMPORT_TEMPLATES[self.code].kind

    @property
    def hint(self) -> str:
        return svc.IMPORT_TEMPLATES[self.code].hint

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return svc.can_edit(actor)

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        raw = str(args.get("item_id") or args.get("item") or "")
        return {"item_id": svc.item_for(actor, int(raw) if raw.isdigit() else None).id}

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        svc.item_for(actor, context.get("item_id"))  # NotFound once it is gone

    def context_note(self, context: dict[str, Any]) -> str:
        item = db.session.get(CheckItem, context.get("item_id") or 0)
        return f"抽查事项：{item.name}（导入该事项的检查对象名录库）" if item else ""

    def targets(self, actor: User, rows: list[Row]) -> dict[int, Target]:
        """The target of each row still valid (row number → Target); errors on the others."""
        raise NotImplementedError

    def object_ids(self, actor: User, rows: list[ImportRow]) -> list[int]:
        """The objects of the valid rows, created or updated as the kind does."""
        return [r.payload.object_id for r in rows]

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        found = self.targets(actor, rows)
        directory = svc.directory_of(actor, svc.item_for(actor, context.get("item_id")))
        present = _present(directory, self.member_kind, (t.object_id for t in found.values() if t.object_id))
        for target in found.values():
            target.present = target.object_id in present
        return [ImportRow(r, found.get(r.number) if r.valid else None) for r in rows]

    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        already = sum(1 for r in rows if r.payload.present)
        extra = {"already": already, "new_members": len(rows) - already}
        if self.member_kind != MemberKind.ENTITY:
            extra["update"] = sum(1 for r in rows if r.payload.object_id)
            extra["create"] = len(rows) - extra["update"]
        return extra

    def check_note(self, check: dict[str, Any]) -> str:
        note = f"（其中 {check.get('new_members', 0)} 个将新加入名录库，{check.get('already', 0)} 个已在名录库中"
        if "create" in check:
            note += f"；将新建{self.member_kind.label} {check['create']} 个，更新已有的 {check['update']} 个"
        return note + "）"

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """入库: the objects join the item's directory; 表15's instance records the template."""
        item = svc.item_for(actor, context.get("item_id"))
        try:
            directory, _created = svc.get_or_create(actor, item)
            before = {r.number for r in rows if r.payload.object_id}
            ids = self.object_ids(actor, rows)
            added = _add_members(directory, self.member_kind, ids)
        except IntegrityError:
            raise Conflict("入库期间数据已被他人修改，请返回预览页重新校验后再入库") from None
        details = {}
        if self.member_kind != MemberKind.ENTITY:
            label = self.member_kind.label
            details = {f"新建{label}": len(rows) - len(before), f"更新{label}": len(before)}
        checked = int(import_batches.batch_summary(batch).get("check", {}).get("rows", len(rows)))
        summary = {"方式": "按模板导入", "模板": self.code, "文件": batch.filename, "有效行": len(rows), "新增": added,
                   "已在库中": len(ids) - added, "跳过问题行": max(checked - len(rows), 0), **details}
        svc.record_change(actor, directory, summary)
        svc.record_add(actor, directory, "template",
                       f"{self.template.code} {self.template.title}：{batch.filename}，新增{added}个")
        return {"新增": added, "已在库中": len(ids) - added, **details, "directory_id": directory.id}

    def result_text(self, result: dict[str, Any]) -> str:
        text = f"已入库：新增 {result.get('新增', 0)} 个检查对象"
        if result.get("已在库中"):
            text += f"，{result['已在库中']} 个已在名录库中"
        for key, value in result.items():
            if key.startswith(("新建", "更新")):
                text += f"，{key} {value} 个"
        return text + f"，跳过问题行 {result.get('跳过问题行', 0)} 行"

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "选择新增方式", "directories.choose_mode", {"item": context.get("item_id")}

    def done(self, context: dict[str, Any], result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "directories.detail", {"directory_id": result["directory_id"]}
