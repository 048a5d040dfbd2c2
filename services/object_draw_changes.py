"""调整 of a locked object draw: a request to remove or add objects (with its reasons) and the
leader's decision; the list keeps every version."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden
from models import (
    ChangeStatus,
    DirectoryMember,
    DrawChange,
    MarketEntity,
    ObjectDirectory,
    Place,
    Product,
    Task,
    TaskObject,
    User,
    db,
    utcnow,
)
from persistence import audit
from services.draw import UNGRADED
from services.object_draws import DOMAIN, DrawRefused, current_draw, insert_objects, require_directory
from services.schemes import (
    claim_task,
)
from services.task_access import is_task_clerk, is_task_leader

KEY_RE = re.compile(r"^(entity|place|product):(\d+)$")


MAX_CHANGE_KEYS = 500


def pending_change(task: Task) -> DrawChange | None:
    return db.session.execute(
        select(DrawChange).where(DrawChange.task_id == task.id, DrawChange.domain == DOMAIN,
                                 DrawChange.status == ChangeStatus.PENDING)
    ).scalars().first()


def changes_of(task: Task) -> list[DrawChange]:
    return list(db.session.execute(
        select(DrawChange).where(DrawChange.task_id == task.id, DrawChange.domain == DOMAIN)
        .order_by(DrawChange.id)
    ).scalars())


def change_details(change: DrawChange) -> dict[str, list[str]]:
    data = json.loads(change.details or "{}")
    return {"remove": list(data.get("remove", [])), "add": list(data.get("add", []))}


def _resolve_additions(task: Task, directory: ObjectDirectory, text: str) -> list[str]:
    """Keys of the objects named one per line: 统一社会信用代码 / 注册号 of an entity, 生产许可证编号
    of a product, or a key (entity:12, place:3, product:7); each must be in the directory."""
    keys: list[str] = []
    for token in [t.strip() for t in re.split(r"[\s,，、;；]+", text or "") if t.strip()]:
        match = KEY_RE.match(token)
        if match:
            key = token
        else:
            entity_id = db.session.execute(
                select(MarketEntity.id).where((MarketEntity.uscc == token.upper()) | (MarketEntity.reg_no == token))
            ).scalar()
            product_id = None if entity_id else db.session.execute(
                select(Product.id).where(Product.licence_no == token, Product.department_id == task.department_id)
            ).scalar()
            if entity_id is None and product_id is None:
                raise DrawRefused(f"“{token}”不在本任务的检查对象名录库中")
            key = f"entity:{entity_id}" if entity_id else f"product:{product_id}"
        kind, _, ident = key.partition(":")
        column = {"entity": DirectoryMember.entity_id, "place": DirectoryMember.place_id,
                  "product": DirectoryMember.product_id}[kind]
        member = db.session.execute(
            select(DirectoryMember.id).where(DirectoryMember.directory_id == directory.id, column == int(ident))
        ).scalar()
        if member is None:
            raise DrawRefused(f"“{token}”不在本任务的检查对象名录库中")
        if key not in keys:
            keys.append(key)
    return keys


def request_change(
    user: User, task: Task, *, lock_version: int | None, remove: Sequence[str], add: str, reason: str
) -> DrawChange:
    """申请更改检查对象名单: objects taken off and/or added (from the same directory), with a reason."""
    if not is_task_clerk(user, task):
        raise Forbidden("只有任务所属部门的经办人可以申请更改检查对象名单")
    draw = current_draw(task)
    if draw is None:
        raise DrawRefused("尚未抽取检查对象，没有可更改的名单")
    if pending_change(task) is not None:
        raise Conflict("已有一项更改申请待部门负责人审批，审批后方可再次申请")
    reason = (reason or "").strip()
    if not reason:
        raise DrawRefused("更改检查对象名单须填写理由")
    if len(reason) > 2000:
        raise DrawRefused("理由不能超过2000个字符")
    listed = {o.key: o for o in db.session.execute(select(TaskObject).where(TaskObject.task_id == task.id)).scalars()}
    remove_keys = list(dict.fromkeys(k for k in remove if k))
    for key in remove_keys:
        if key not in listed or listed[key].removed:
            raise DrawRefused("拟移出的对象不在当前检查对象名单中，请刷新页面后重试")
    directory = require_directory(task)
    add_keys = _resolve_additions(task, directory, add)
    for key in add_keys:
        if key in listed and not listed[key].removed:
            raise DrawRefused("拟增加的对象已在检查对象名单中")
    if not remove_keys and not add_keys:
        raise DrawRefused("请选择拟移出的对象或填写拟增加的对象")
    if len(remove_keys) + len(add_keys) > MAX_CHANGE_KEYS:
        raise DrawRefused(f"一次更改不能超过{MAX_CHANGE_KEYS}个对象")
    claim_task(task, lock_version)
    change = DrawChange(
        task_id=task.id,
        domain=DOMAIN,
        department_id=task.department_id,
        reason=reason,
        details=json.dumps({"remove": remove_keys, "add": add_keys}),
        requested_by_id=user.id,
    )
    db.session.add(change)
    db.session.flush()
    audit.record("change_request", object_type="draw_change", object_id=change.id,
                 summary={"任务": task.name, "移出": len(remove_keys), "增加": len(add_keys), "理由": reason},
                 user=user)
    return change


def decide_change(
    user: User, task: Task, *, lock_version: int | None, approve: bool, comment: str = ""
) -> DrawChange:
    """部门负责人审批: 批准 (the change is applied to the list) or 不批准, with a comment."""
    if not is_task_leader(user, task):
        raise Forbidden("只有任务所属部门的负责人可以审批检查对象名单的更改")
    change = pending_change(task)
    if change is None:
        raise Conflict("该更改申请已被处理，请刷新页面查看最新状态")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise DrawRefused("不批准须填写意见")
    if len(comment) > 2000:
        raise DrawRefused("意见不能超过2000个字符")
    claim_task(task, lock_version)
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.decided_by_id = user.id
    change.decided_at = utcnow()
    change.decision_comment = comment
    details = change_details(change)
    if approve:
        listed = {o.key: o for o in db.session.execute(
            select(TaskObject).where(TaskObject.task_id == task.id)).scalars()}
        for key in details["remove"]:
            obj = listed.get(key)
            if obj is not None:
                obj.removed = True
                obj.change_id = change.id
        grades = _grades(details["add"])
        fresh = []
        for key in details["add"]:
            obj = listed.get(key)
            if obj is not None:  # taken off earlier, now back
                obj.removed = False
                obj.change_id = change.id
            else:
                fresh.append((key, grades.get(key, UNGRADED), 0))
        db.session.flush()
        insert_objects(task, None, fresh, change.id)
    audit.record(
        "change_approve" if approve else "change_reject",
        object_type="draw_change",
        object_id=change.id,
        summary={"任务": task.name, "结果": "批准" if approve else "不批准", "意见": comment,
                 "移出": details["remove"], "增加": details["add"]},
        user=user,
    )
    db.session.flush()
    return change


def _grades(keys: Sequence[str]) -> dict[str, str]:
    """The current grade of each key (internal: stored on the TaskObject row)."""
    out: dict[str, str] = {}
    entity_ids = [int(k.split(":")[1]) for k in keys if k.startswith("entity:")]
    if entity_ids:
        for ident, grade in db.session.execute(
            select(MarketEntity.id, MarketEntity.credit_grade).where(MarketEntity.id.in_(entity_ids))
        ):
            out[f"entity:{ident}"] = grade or UNGRADED
    for kind, owner in (("place", Place), ("product", Product)):
        ids = [int(k.split(":")[1]) for k in keys if k.startswith(kind + ":")]
        if ids:
            for ident, grade in db.session.execute(
                select(owner.id, MarketEntity.credit_grade)
                .outerjoin(MarketEntity, MarketEntity.id == owner.entity_id).where(owner.id.in_(ids))
            ):
                out[f"{kind}:{ident}"] = grade or UNGRADED
    return out
