"""The process engine: start an instance, act on a work item, withdraw, list an inbox.

One call advances an instance: it checks the lane (role and department relation), the guard
and the validator, writes a history row and an audit row, and opens the next step's work
items.  Work items and instances carry a version: a form submitted against an old version is
refused with 该事项已被他人处理 and nothing changes.  Services never commit; the caller does.
Withdrawal (workflows/engine_withdraw.py) and the inbox (workflows/inbox.py) live beside it and
are re-exported here, so that the engine's API is one import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from models import Department, InstanceParty, ProcessInstance, User, WorkItem, db, utcnow
from models.org import DepartmentKind
from models.roles import Role
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from workflows import lanes as L
from workflows.actions import AUTO_ACTIONS
from workflows.assignees import assignment_for
from workflows.engine_base import lock_instance, process_of, record_history, step_of
from workflows.engine_withdraw import can_withdraw as can_withdraw
from workflows.engine_withdraw import withdraw as withdraw
from workflows.errors import NotAllowed, NotFound, ProcessError, StaleSubmission
from workflows.guards import GUARDS
from workflows.inbox import inbox as inbox
from workflows.inbox import inbox_count as inbox_count
from workflows.inbox import inbox_query as inbox_query
from workflows.inbox import path_of as path_of
from workflows.model import END, Lane, LaneKind, Process, Step, Transition
from workflows.registry import get_process

_MAX_AUTO_CHAIN = 50


# ---------------------------------------------------------------- lanes and parties


def conference_office_for(department: Department) -> Department | None:
    """The nearest 联席会议办公室: the department itself when it is one, else a
    conference-office department under the closest ancestor."""
    if department.kind == DepartmentKind.CONFERENCE_OFFICE and department.active:
        return department
    for ancestor_id in reversed(department.ancestors()):
        office = db.session.execute(
            select(Department).where(
                Department.parent_id == ancestor_id,
                Department.kind == DepartmentKind.CONFERENCE_OFFICE,
                Department.active.is_(True),
            )
        ).scalars().first()
        if office is not None:
            return office
    return None


def _party_departments(instance: ProcessInstance, relation: str, *, active_only: bool) -> list[int]:
    ids = [
        p.department_id
        for p in instance.parties
        if p.relation == relation and not (active_only and p.declined)
    ]
    return sorted(set(ids), key=ids.index)


def _lane_of(step: Step, name: str) -> Lane:
    for lane in step.lanes:
        if lane.name == name:
            return lane
    raise NotFound("未知的业务环节")


# ---------------------------------------------------------------- permission


def can_act(user: User, item: WorkItem) -> bool:
    """Whether ``user`` may complete ``item``: the lane's roles and the item's department."""
    if item.status != WorkItemStatus.OPEN or not user.is_active:
        return False
    if item.user_id is not None:
        return item.user_id == user.id
    try:
        process = get_process(item.process_table)
    except LookupError:
        return False
    step = step_of(process, item.step_key)
    lane = _lane_of(step, item.lane)
    roles = step.acting_roles(lane)
    if not user.has_role(*roles):
        return False
    if item.department_id is None or item.department is None:
        return False
    if item.department_id == user.department_id:
        return True
    if lane.subtree and _in_team(user, item):
        return True
    # A leader approves for the sections and stations below their department.
    return (
        Role.DEPT_LEADER in roles
        and user.has_role(Role.DEPT_LEADER)
        and item.department.is_within(user.department)
    )


def _in_team(user: User, item: WorkItem) -> bool:
    """The user works in (or below) the item's department or a party department of the instance."""
    if user.department.is_within(item.department):
        return True
    return any(
        p.relation in L.TEAM_RELATIONS and not p.declined and user.department.is_within(p.department)
        for p in item.instance.parties
    )


def missing_guards(process: Process) -> list[str]:
    """Guards the process names that no chapter has registered yet: such a process would
    stop at that branch, so it cannot be started until its data exists."""
    return sorted({t.guard for t in process.transitions if t.guard and t.guard not in GUARDS})


def can_start(user: User, process: Process) -> bool:
    if missing_guards(process):
        return False
    step = process.start
    return any(user.has_role(*step.acting_roles(lane)) for lane in step.lanes) and user.is_active


# ---------------------------------------------------------------- actions offered


@dataclass(frozen=True)
class Action:
    item: WorkItem
    step: Step
    transition: Transition


def _guard_holds(name: str, instance: ProcessInstance) -> bool:
    if not name:
        return True
    try:
        guard = GUARDS[name]
    except KeyError:
        raise ProcessError(f"流程条件“{name}”尚未配置，请联系系统管理员") from None
    return bool(guard(instance))


def open_transitions(process: Process, step: Step, instance: ProcessInstance) -> list[Transition]:
    return [t for t in process.outgoing(step.key) if _guard_holds(t.guard, instance)]


def actions_for(user: User, instance: ProcessInstance) -> list[Action]:
    """Every choice ``user`` can make on ``instance`` now."""
    if instance.status != InstanceStatus.ACTIVE:
        return []
    process = process_of(instance)
    found: list[Action] = []
    for item in instance.work_items:
        if not can_act(user, item):
            continue
        step = step_of(process, item.step_key)
        found.extend(Action(item, step, t) for t in open_transitions(process, step, instance))
    return found


# ---------------------------------------------------------------- start


def start(
    table: int,
    user: User,
    *,
    title: str,
    parties: dict[str, Iterable[int]] | None = None,
    subject_type: str = "",
    subject_id: int | None = None,
) -> ProcessInstance:
    """Create an instance with its first step open for the starter's department."""
    process = get_process(table)
    if missing_guards(process):
        raise ProcessError("该业务流程依赖的业务数据尚未接入，暂不能发起")
    if not can_start(user, process):
        raise NotAllowed("您没有发起该业务流程的权限")
    title = (title or "").strip()
    if not title:
        raise ProcessError("请填写事项名称")
    if len(title) > 200:
        raise ProcessError("事项名称不能超过200个字符")
    instance = ProcessInstance(
        process_table=table,
        status=InstanceStatus.ACTIVE,
        title=title,
        department_id=user.department_id,
        created_by_id=user.id,
        subject_type=subject_type,
        subject_id=subject_id,
        # A new instance has none: set them now so that reading them does not load them.
        history=[],
        work_items=[],
    )
    own = user.department_id
    relations = {lane.relation for lane in process.lanes if lane.kind != LaneKind.PLATFORM}
    instance.parties.append(InstanceParty(department_id=own, relation=L.OWNER))
    if L.INITIATOR in relations:
        instance.parties.append(InstanceParty(department_id=own, relation=L.INITIATOR))
    if L.COURT in relations:
        instance.parties.append(InstanceParty(department_id=own, relation=L.COURT))
    if L.CONFERENCE in relations:
        office = conference_office_for(user.department)
        if office is None:
            raise ProcessError("未找到本级联席会议办公室，请先在部门管理中设立")
        if office.id != own:
            instance.parties.append(InstanceParty(department_id=office.id, relation=L.CONFERENCE))
        else:
            instance.parties.append(InstanceParty(department_id=own, relation=L.CONFERENCE))
    given = {rel: list(dict.fromkeys(int(i) for i in ids)) for rel, ids in (parties or {}).items()}
    for relation in process.starter_relations:
        chosen = [i for i in given.get(relation, []) if i != own]
        if not chosen:
            if relation in process.optional_relations:
                continue
            raise ProcessError(f"请至少选择一个{L.RELATION_LABELS.get(relation, relation)}")
        found = db.session.execute(
            select(Department).where(Department.id.in_(chosen), Department.active.is_(True))
        ).scalars().all()
        if len(found) != len(chosen):
            raise ProcessError(f"所选{L.RELATION_LABELS.get(relation, relation)}不存在或已停用")
        for dept in sorted(found, key=lambda d: chosen.index(d.id)):
            instance.parties.append(InstanceParty(department_id=dept.id, relation=relation))
    db.session.add(instance)
    db.session.flush()
    db.session.info.setdefault(_FRESH_KEY, set()).add(instance.id)
    record_history(instance, process.start, "start", "发起", user, target=process.start.key)
    audit.record(
        "process_start",
        object_type="process_instance",
        object_id=instance.id,
        summary={"表": table, "流程": process.title, "事项": title},
        user=user,
    )
    _enter(instance, process, process.start, user)
    db.session.flush()
    return instance


# ---------------------------------------------------------------- complete


_FRESH_KEY = "engine_fresh_instances"


@event.listens_for(Session, "after_transaction_end")
def _forget_fresh(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None or transaction.nested:
        session.info.pop(_FRESH_KEY, None)


def _fresh(instance_id: int) -> bool:
    """Started by the current transaction (and still in it): no other transaction can see the
    instance, so there is nothing to lock and nothing newer to reload — an import that starts
    and completes one instance per row skips both."""
    return instance_id in db.session.info.get(_FRESH_KEY, ())


def complete(
    user: User, item_id: int, outcome: str, *, version: int, comment: str = ""
) -> ProcessInstance:
    """Complete one work item with the chosen outcome; advance when the step is done."""
    return _complete(user, item_id, outcome, version=version, comment=comment)


def complete_reported(user: User | None, item: WorkItem, outcome: str = "next", *, comment: str = "") -> ProcessInstance:
    """Complete a department's item whose work was reported by another way than its pages:
    the department's own system (``user`` its API client) or, ``user`` None, the platform
    when the department's business records already show the step done.  The caller has
    checked that the report is the item's department's; the lane's roles are not asked of
    ``user``, and the history names it (or the platform)."""
    if user is not None and user.department_id != item.department_id:
        raise NotAllowed("只能办理本部门的环节")
    return _complete(user, item.id, outcome, version=item.version, comment=comment, reported=True)


def _complete(
    user: User | None, item_id: int, outcome: str, *, version: int, comment: str = "", reported: bool = False
) -> ProcessInstance:
    item = db.session.get(WorkItem, item_id)
    if item is None:
        raise NotFound("未找到该待办事项")
    if _fresh(item.instance_id):
        instance = item.instance
    else:
        instance = lock_instance(item.instance_id)
        db.session.refresh(item)
    if item.status != WorkItemStatus.OPEN or item.version != version or instance.status != InstanceStatus.ACTIVE:
        raise StaleSubmission()
    if not reported and (user is None or not can_act(user, item)):
        raise NotAllowed("您不在该环节的办理角色中，无权办理")
    process = process_of(instance)
    step = step_of(process, item.step_key)
    choices = {t.outcome: t for t in open_transitions(process, step, instance)}
    transition = choices.get(outcome)
    if transition is None:
        raise ProcessError("无效的办理操作，请刷新页面后重试")
    comment = (comment or "").strip()
    if transition.requires_comment and not comment:
        raise ProcessError(f"“{transition.button}”须填写意见或理由")
    if len(comment) > 2000:
        raise ProcessError("意见不能超过2000个字符")

    item.status = WorkItemStatus.DONE
    item.outcome = outcome
    item.done_by_id = user.id if user is not None else None
    item.done_at = utcnow()
    if transition.drops_party and item.department_id is not None:
        lane = _lane_of(step, item.lane)
        for party in instance.parties:
            if party.department_id == item.department_id and party.relation == lane.relation:
                party.declined = True
                party.note = comment
    record_history(instance, step, outcome, transition.button, user, comment=comment, target=transition.target)
    audit.record(
        "process_step",
        object_type="process_instance",
        object_id=instance.id,
        summary={"表": process.table, "环节": step.name, "操作": transition.button, "意见": comment},
        user=user,
    )
    instance.updated_at = utcnow()
    # The instance's version counts the flushes that change it, and history rows record it:
    # flush here, as reloading work_items after the lock always did, so that versions stay
    # the same when a fresh instance keeps its collections (``_fresh``).
    db.session.flush()
    if item.user_id is not None:
        _close_for_lead(instance, item)
    open_items = [i for i in instance.work_items if i.step_key == step.key and i.status == WorkItemStatus.OPEN]
    if not open_items:
        chosen = _join(process, step, instance) if step.per_party else transition
        _follow(instance, process, chosen, user)
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleSubmission() from None
    return instance


def advance(
    user: User, instance: ProcessInstance, step_key: str, outcome: str, *, comment: str = ""
) -> ProcessInstance:
    """Complete ``user``'s open work item at ``step_key``: for a business page that performs
    the step itself (the item form, the department's own list …) in the same transaction.
    Refused as stale when the step is no longer open, as not allowed when it is not the
    user's."""
    open_items = [
        i for i in instance.work_items if i.step_key == step_key and i.status == WorkItemStatus.OPEN
    ]
    if not open_items or instance.status != InstanceStatus.ACTIVE:
        raise StaleSubmission()
    item = next((i for i in open_items if can_act(user, i)), None)
    if item is None:
        raise NotAllowed("您不在该环节的办理角色中，无权办理")
    return complete(user, item.id, outcome, version=item.version, comment=comment)


def open_item(user: User, instance: ProcessInstance, step_key: str) -> WorkItem | None:
    """``user``'s open work item at ``step_key``, if any (to show or hide a business form)."""
    if instance.status != InstanceStatus.ACTIVE:
        return None
    return next(
        (
            i
            for i in instance.work_items
            if i.step_key == step_key and i.status == WorkItemStatus.OPEN and can_act(user, i)
        ),
        None,
    )


def _join(process: Process, step: Step, instance: ProcessInstance) -> Transition:
    """After every party answered: the first declared transition someone chose."""
    outcomes = {i.outcome for i in instance.work_items if i.step_key == step.key and i.status == WorkItemStatus.DONE}
    for t in open_transitions(process, step, instance):
        if t.outcome in outcomes:
            return t
    raise ProcessError("流程数据不一致：没有可继续的环节")


def _follow(instance: ProcessInstance, process: Process, transition: Transition, user: User | None) -> None:
    if transition.target == END:
        instance.status = InstanceStatus.TERMINATED if transition.terminates else InstanceStatus.COMPLETED
        instance.current_step = ""
        instance.ended_at = utcnow()
        return
    _enter(instance, process, step_of(process, transition.target), user)


def _enter(instance: ProcessInstance, process: Process, step: Step, user: User | None, depth: int = 0) -> None:
    if depth > _MAX_AUTO_CHAIN:
        raise ProcessError("流程定义错误：自动环节循环")
    instance.current_step = step.key
    if step.automatic:
        handler = AUTO_ACTIONS.get((process.table, step.key))
        note = handler(instance) if handler else ""
        ways = open_transitions(process, step, instance)
        if not ways:
            raise ProcessError(f"“{step.name}”没有满足条件的后续环节")
        way = ways[0]
        record_history(instance, step, "auto", "平台自动办理", None, comment=note, target=way.target)
        if way.target == END:
            _follow(instance, process, way, user)
        else:
            _enter(instance, process, step_of(process, way.target), user, depth + 1)
        return
    # Coming back to a step starts a new round: earlier answers no longer count for the join,
    # and parties that dropped out of a per-party decision are asked again.
    for old in instance.work_items:
        if old.step_key == step.key and old.status == WorkItemStatus.DONE:
            old.status = WorkItemStatus.SUPERSEDED
    if step.per_party and any(t.drops_party for t in process.outgoing(step.key)):
        relations = {lane.relation for lane in step.lanes}
        for party in instance.parties:
            if party.relation in relations:
                party.declined = False
    items = _items_for(instance, step)
    if not items:
        # No department holds this lane (e.g. 接收通报 in a campaign without 参与部门).
        ways = open_transitions(process, step, instance)
        record_history(instance, step, "skip", "无相关部门", None, comment="无相关部门，自动跳过", target=ways[0].target)
        _follow(instance, process, ways[0], user)
        return
    for item in items:
        instance.work_items.append(item)


def _close_for_lead(instance: ProcessInstance, item: WorkItem) -> None:
    """A personal item of an assigned step (workflows.assignees): when the lead (or, without
    one, anyone) has acted, the others' open items of the step are closed."""
    assignment = assignment_for(instance, item.step_key)
    if assignment is None or (assignment.lead is not None and assignment.lead != item.user_id):
        return
    for other in instance.work_items:
        if other.step_key == item.step_key and other.status == WorkItemStatus.OPEN and other.user_id is not None:
            other.status = WorkItemStatus.CANCELLED


def _personal_item(instance: ProcessInstance, step: Step, user_id: int) -> WorkItem:
    return WorkItem(
        process_table=instance.process_table,
        step_key=step.key,
        lane=step.lanes[0].name,
        department_id=instance.department_id,
        user_id=user_id,
        status=WorkItemStatus.OPEN,
    )


def refresh_assignees(instance: ProcessInstance) -> None:
    """After a team changed (a member replaced): the current step's personal items follow
    the registered assignees — a user no longer listed loses an open item, a new one gets
    one (unless already done in this round)."""
    if instance.status != InstanceStatus.ACTIVE or not instance.current_step:
        return
    assignment = assignment_for(instance, instance.current_step)
    if assignment is None:
        return
    step = step_of(process_of(instance), instance.current_step)
    current = [
        i for i in instance.work_items
        if i.step_key == step.key and i.user_id is not None and i.status in (WorkItemStatus.OPEN, WorkItemStatus.DONE)
    ]
    for item in current:
        if item.status == WorkItemStatus.OPEN and item.user_id not in assignment.users:
            item.status = WorkItemStatus.CANCELLED
    have = {i.user_id for i in current if i.user_id in assignment.users}
    for user_id in assignment.users:
        if user_id not in have:
            instance.work_items.append(_personal_item(instance, step, user_id))
    db.session.flush()


def _items_for(instance: ProcessInstance, step: Step) -> list[WorkItem]:
    assignment = assignment_for(instance, step.key)
    if assignment is not None:
        return [_personal_item(instance, step, user_id) for user_id in assignment.users]
    items: list[WorkItem] = []
    for lane in step.lanes:
        departments = _party_departments(instance, lane.relation, active_only=step.per_party)
        if not departments and lane.relation in (L.OWNER, L.INITIATOR):
            departments = [instance.department_id]
        if not step.per_party:
            departments = departments[:1]
        items.extend(
            WorkItem(
                process_table=instance.process_table,
                step_key=step.key,
                lane=lane.name,
                department_id=d,
                status=WorkItemStatus.OPEN,
            )
            for d in departments
        )
    return items


# ---------------------------------------------------------------- terminate


def terminate(user: User, instance: ProcessInstance, reason: str, *, label: str = "终止") -> ProcessInstance:
    """End an active instance from outside its transitions, because its subject is gone or
    replaced (a recalled document, a document edited after publication that starts over):
    open work items are cancelled, the history says who, why and at which step."""
    if instance.status != InstanceStatus.ACTIVE:
        raise StaleSubmission()
    if not _fresh(instance.id):
        instance = lock_instance(instance.id)
    process = process_of(instance)
    step = step_of(process, instance.current_step) if instance.current_step else process.start
    for item in instance.work_items:
        if item.status == WorkItemStatus.OPEN:
            item.status = WorkItemStatus.CANCELLED
    record_history(instance, step, "terminate", label, user, comment=reason)
    instance.status = InstanceStatus.TERMINATED
    instance.ended_at = utcnow()
    instance.updated_at = utcnow()
    audit.record(
        "process_step",
        object_type="process_instance",
        object_id=instance.id,
        summary={"表": process.table, "环节": step.name, "操作": label, "意见": reason},
        user=user,
    )
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleSubmission() from None
    return instance


# ---------------------------------------------------------------- withdraw


# ---------------------------------------------------------------- history


# ---------------------------------------------------------------- inbox


