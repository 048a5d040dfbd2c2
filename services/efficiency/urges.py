"""在线督办 (seed 004 §7.2 业务督办跟踪): a leader urges one open work item.

``send`` marks the item (an open ``Urge``), notifies the assignee — the named person of a
personal item, or every user of the item's department who may complete it
(workflows.engine.can_act) — and the 部门领导 of that department, and lists them as the
督办's recipients: they see it in 我的待办 until one of them answers (``answer``).  A closed
item (办结, 撤销, or its instance ended) is refused, and so is a second 督办 while one waits.
Everything is in the caller's transaction (services never commit); the messages go out with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Urge, UrgeRecipient, User, UserRole, WorkItem, db, utcnow
from models.efficiency import UrgeStatus
from models.roles import Role
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from persistence.notifications import notify
from services.efficiency.access import VIEW_ROLES, can_view_item, visible_ids
from services.efficiency.work import has_open_urge, step_name
from workflows.engine import can_act

MAX_TEXT = 1000
TODO_LIMIT = 50


def _users_of(department_id: int) -> list[User]:
    users = db.session.execute(select(User).where(User.department_id == department_id).order_by(User.id)).scalars()
    return [u for u in users if u.is_active]


def recipients_of(item: WorkItem, sender: User) -> list[User]:
    """The assignee(s) and their 部门领导, without the sender."""
    if item.user_id is not None:
        assignee = db.session.get(User, item.user_id)
        people = [assignee] if assignee is not None and assignee.is_active else []
    else:
        people = [u for u in _users_of(item.department_id) if can_act(u, item)] if item.department_id else []
    leaders = [u for u in db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.DEPT_LEADER.value, User.department_id == item.department_id)
        .order_by(User.id)).scalars() if u.is_active]
    seen: dict[int, User] = {}
    for user in people + leaders:
        if user.id != sender.id:
            seen.setdefault(user.id, user)
    return list(seen.values())


def can_urge(user: User, item: WorkItem) -> bool:
    return user.has_role(*VIEW_ROLES) and can_view_item(user, item)


def is_closed(item: WorkItem) -> bool:
    return item.status != WorkItemStatus.OPEN or item.instance.status != InstanceStatus.ACTIVE


def send(user: User, item: WorkItem, message: str) -> Urge:
    if not can_urge(user, item):
        raise Forbidden("您没有督办该业务的权限")
    if is_closed(item):
        raise Conflict("该业务已办结或已撤销，不能督办")
    if has_open_urge(item):
        raise Conflict("该业务已有督办尚未回复，请等待回复")
    text = (message or "").strip()
    if not text:
        raise Invalid("请填写督办意见")
    if len(text) > MAX_TEXT:
        raise Invalid(f"督办意见不能超过{MAX_TEXT}个字")
    people = recipients_of(item, user)
    if not people:
        raise Invalid("该业务的办理部门没有可接收督办的人员")
    urge = Urge(work_item_id=item.id, instance_id=item.instance_id, department_id=item.department_id, message=text,
                sent_by_id=user.id, sent_at=utcnow(), status=UrgeStatus.OPEN,
                recipients=[UrgeRecipient(user_id=u.id) for u in people])
    db.session.add(urge)
    db.session.flush()
    step = step_name(item.process_table, item.step_key)
    notify(people, f"督办：{item.instance.title}（{step}）", f"{user.name}：{text}", f"/efficiency/urges/{urge.id}")
    audit.record("urge_send", object_type="urge", object_id=urge.id,
                 summary={"事项": item.instance.title, "环节": step, "督办意见": text,
                          "接收人": "、".join(u.name for u in people)}, user=user)
    return urge


def is_recipient(user: User, urge: Urge) -> bool:
    return any(r.user_id == user.id for r in urge.recipients)


def can_view_urge(user: User, urge: Urge) -> bool:
    return is_recipient(user, urge) or urge.sent_by_id == user.id or can_view_item(user, urge.work_item)


def answer(user: User, urge: Urge, response: str, version: int | None = None) -> Urge:
    if not is_recipient(user, urge):
        raise Forbidden("只有督办的接收人可以回复")
    if urge.status != UrgeStatus.OPEN or (version is not None and version != urge.lock_version):
        raise Conflict("该督办已回复")
    text = (response or "").strip()
    if not text:
        raise Invalid("请填写办理情况")
    if len(text) > MAX_TEXT:
        raise Invalid(f"办理情况不能超过{MAX_TEXT}个字")
    urge.status, urge.response, urge.responded_by_id, urge.responded_at = UrgeStatus.ANSWERED, text, user.id, utcnow()
    db.session.flush()
    sender = db.session.get(User, urge.sent_by_id)
    notify([sender], f"督办已回复：{urge.instance.title}", f"{user.name}：{text}", f"/efficiency/urges/{urge.id}")
    audit.record("urge_answer", object_type="urge", object_id=urge.id,
                 summary={"事项": urge.instance.title, "办理情况": text}, user=user)
    return urge


# ------------------------------------------------------------------ 我的待办 and lists


def todo_query(user: User) -> Any:
    """督办 waiting for the user's answer (services/todo_count.py counts it)."""
    return (select(Urge).join(UrgeRecipient, UrgeRecipient.urge_id == Urge.id)
            .where(UrgeRecipient.user_id == user.id, Urge.status == UrgeStatus.OPEN))


def todo(user: User) -> list[Urge]:
    return list(db.session.execute(todo_query(user).order_by(Urge.sent_at, Urge.id).limit(TODO_LIMIT)).scalars())


def sent_and_received(user: User, *, status: str = "", limit: int = 200) -> list[Urge]:
    """The 督办 list of the 效能 pages: those on the work the user sees."""
    query = select(Urge).where(Urge.department_id.in_(visible_ids(user)))
    if status in (UrgeStatus.OPEN.value, UrgeStatus.ANSWERED.value):
        query = query.where(Urge.status == status)
    return list(db.session.execute(query.order_by(Urge.sent_at.desc(), Urge.id.desc()).limit(limit)).scalars())

