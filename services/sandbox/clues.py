"""The clues and 表27's instance of each (docs/sandbox.md, "The process").

One instance of 表27 follows one clue.  ``dispatch`` starts it for every clue the monitor formed:
建立信用沙盒主体库 is recorded as done by the clerk who put the entity in the library and
建立信用沙盒事项清单 by the one who made the item (both done earlier on those pages; the
instance names who did them), then the platform's steps run at once — 监测形成提示/预警线索,
推送信息 (``push_step``: a webhook delivery per partner, state 已推送) and 发送短信到市场主体
(``sms_step``).  The partner's steps are API calls (services/api/sandbox.py): ``tell``
(告知市场主体, state 已告知) and ``feedback`` (整改, 反馈给第三方合作机构 and 反馈给智慧监管平台:
state 已整改; 未整改 keeps the instance at 整改 until a later feedback).  Nothing here commits.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, NotFound
from models import (
    MarketEntity,
    ProcessInstance,
    SandboxClue,
    SandboxClueEvent,
    SandboxEntity,
    User,
    UserRole,
    db,
    utcnow,
)
from models.org import UserStatus
from models.roles import Role
from services.sandbox import sms, webhooks
from services.sandbox.conditions import CONDITIONS
from workflows import engine

log = logging.getLogger(__name__)

TABLE = 27
SUBJECT = "sandbox_clue"
LIBRARY_STEP, ITEMS_STEP = "entities", "items"
TELL_STEP, RECTIFY_STEP = "tell", "rectify"
FEEDBACK_STEPS = ("rectify", "feedback_partner", "feedback_platform")
PARTNER_STEPS = (TELL_STEP, *FEEDBACK_STEPS)


def _event(clue: SandboxClue, state: str, note: str, actor: str = "智慧监管平台") -> None:
    db.session.add(SandboxClueEvent(clue_id=clue.id, state=state, note=note[:1000], actor=actor[:100], at=utcnow()))


def _set_state(clue: SandboxClue, state: str, note: str, actor: str = "智慧监管平台") -> None:
    clue.state = state
    _event(clue, state, note, actor)


def _clerk(department_id: int, preferred: list[User | None]) -> User | None:
    """Who did the department's step: the preferred user while active and still one of its
    clerks or leaders, else any active clerk or leader of the department."""
    for user in preferred:
        if user is not None and user.is_active and user.department_id == department_id and \
                user.has_role(Role.CLERK, Role.DEPT_LEADER):
            return user
    return db.session.execute(
        select(User).where(User.department_id == department_id, User.status == UserStatus.ACTIVE,
                           User.roles.any(UserRole.role.in_([str(Role.CLERK), str(Role.DEPT_LEADER)])))
        .order_by(User.id)).scalars().first()


def _clue_of(instance: ProcessInstance) -> SandboxClue:
    clue = db.session.get(SandboxClue, instance.subject_id)
    if clue is None:
        raise NotFound("未找到该线索")
    return clue


def start_instance(clue: SandboxClue) -> ProcessInstance | None:
    member = db.session.execute(select(SandboxEntity).where(
        SandboxEntity.department_id == clue.department_id, SandboxEntity.entity_id == clue.entity_id)).scalar_one()
    builder = _clerk(clue.department_id, [member.added_by])
    lister = _clerk(clue.department_id, [clue.item.created_by])
    if builder is None or lister is None:
        log.warning("sandbox clue %s: no active clerk in department %s", clue.id, clue.department_id)
        return None
    instance = engine.start(TABLE, builder, title=f"{clue.level}线索：{clue.entity.name}（{clue.item.name}）"[:200],
                            subject_type=SUBJECT, subject_id=clue.id)
    clue.instance_id = instance.id
    engine.advance(builder, instance, LIBRARY_STEP, "next", comment=f"{clue.entity.name}已在信用沙盒主体库中")
    engine.advance(lister, instance, ITEMS_STEP, "next", comment=f"信用沙盒事项：{clue.item.name}")
    return instance


def dispatch(limit: int | None = None) -> int:
    """Start the instance of every clue formed and not yet pushed (the platform's steps run at
    once); the number started."""
    query = (select(SandboxClue).where(SandboxClue.instance_id.is_(None), SandboxClue.closed_at.is_(None),
                                       SandboxClue.state == "生成")
             .options(joinedload(SandboxClue.entity), joinedload(SandboxClue.item)).order_by(SandboxClue.id))
    if limit:
        query = query.limit(limit)
    started = 0
    for clue in db.session.execute(query).scalars().all():
        if start_instance(clue) is not None:
            started += 1
    db.session.flush()
    return started


# ------------------------------------------------------------------ the platform's steps


def monitor_step(instance: ProcessInstance) -> str:
    clue = _clue_of(instance)
    return f"形成{clue.level}线索：{CONDITIONS[clue.item.condition].describe(clue.item.params or {})}"


def push_step(instance: ProcessInstance) -> str:
    clue = _clue_of(instance)
    hooks = webhooks.queue_for(clue)
    note = f"线索已推送给第三方合作机构（可通过接口拉取{f'，并推送至{hooks}个接收地址' if hooks else ''}）"
    _set_state(clue, "已推送", note)
    return note


def sms_step(instance: ProcessInstance) -> str:
    row = sms.notify_entity(_clue_of(instance))
    return {"sent": "已向市场主体发送通知短信", "skipped": f"未发送短信：{row.reason}",
            "failed": f"短信发送失败：{row.reason}"}[row.status]


# ------------------------------------------------------------------ the partner's steps


def is_partner(user: User) -> bool:
    return user.is_active and user.has_role(Role.PARTNER)


def partner_clues(user: User) -> Any:
    """The clues a partner sees: those of its department that were pushed."""
    if not is_partner(user):
        raise Forbidden("该账号不是第三方合作机构，不能接收信用沙盒线索")
    return select(SandboxClue).where(SandboxClue.department_id == user.department_id, SandboxClue.state != "生成")


def partner_clue(user: User, clue_id: int) -> SandboxClue:
    clue = db.session.execute(partner_clues(user).where(SandboxClue.id == clue_id)
                              .options(joinedload(SandboxClue.entity), joinedload(SandboxClue.item))
                              ).unique().scalar_one_or_none()
    if clue is None:
        raise NotFound("未找到该线索")
    return clue


def _instance(clue: SandboxClue) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, clue.instance_id) if clue.instance_id else None
    if instance is None:
        raise Conflict("该线索尚未推送")
    return instance


def tell(user: User, clue: SandboxClue, note: str = "") -> bool:
    """告知市场主体; False when it was already told (nothing changes)."""
    if clue.state != "已推送":
        if clue.state == "生成":
            raise Conflict("该线索尚未推送")
        return False
    engine.advance(user, _instance(clue), TELL_STEP, "next", comment=note or "已告知市场主体")
    _set_state(clue, "已告知", note or "第三方合作机构已告知市场主体", user.name)
    return True


def feedback(user: User, clue: SandboxClue, rectified: bool, note: str) -> bool:
    """The entity's 整改 fed back by the partner; False when nothing changes (already 已整改,
    or the same 未整改 again)."""
    if clue.state == "已整改" or (clue.state == "未整改" and not rectified and clue.feedback == note):
        return False
    if clue.state == "已推送":
        tell(user, clue, "随整改情况反馈一并告知")
    if clue.state == "生成":
        raise Conflict("该线索尚未推送")
    clue.feedback = note
    if not rectified:
        _set_state(clue, "未整改", f"反馈：未整改。{note}", user.name)
        return True
    instance = _instance(clue)
    for step in FEEDBACK_STEPS:
        engine.advance(user, instance, step, "next", comment=note)
    _set_state(clue, "已整改", f"反馈：已整改。{note}", user.name)
    return True


def record(clue: SandboxClue, *, history: bool = False) -> dict[str, Any]:
    """A clue as the API gives it (and the webhook's body)."""
    entity: MarketEntity = clue.entity
    out: dict[str, Any] = {
        "id": clue.id, "level": clue.level, "state": clue.state,
        "entity": {"name": entity.name, "uscc": entity.uscc, "reg_no": entity.reg_no},
        "item": {"id": clue.item_id, "name": clue.item.name,
                 "condition": CONDITIONS[clue.item.condition].describe(clue.item.params or {})},
        "formed_on": clue.formed_on.isoformat(),
        "formed_at": clock.to_china(clue.formed_at).isoformat(timespec="seconds"),  # type: ignore[union-attr]
        "open": clue.closed_at is None,
        "feedback": clue.feedback,
    }
    if history:
        out["history"] = [{"at": clock.to_china(e.at).isoformat(timespec="seconds"),  # type: ignore[union-attr]
                           "state": e.state, "note": e.note, "actor": e.actor} for e in clue.events]
    return out
