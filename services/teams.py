"""检查组: who may see a task's team, replacement of a drawn inspector with the department
head's approval, experts from the auxiliary pool, 组成联合检查组 (表22) and 执法回避 declarations.

Seed 003 (随机抽取检查人员): 已抽取的检查人员原则上不可更换，但因岗位调整、工作冲突、健康状况、
执法回避等特殊情况无法继续履行检查任务的，经本部门负责人同意后，可调整更换。调整更换人员在具备
执法资格的其他检查人员中选派，不再随机抽取.  Seed 001: 联合检查小组应由随机选派的所有执法检查
人员组成；宜由发起部门执法检查人员担任组长.  Nothing here commits; every change is audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from infrastructure.errors import Conflict, Forbidden
from models import (
    AuxiliaryInspector,
    ChangeStatus,
    DrawChange,
    DrawDomain,
    Inspector,
    InspectorConflict,
    MarketEntity,
    MemberSource,
    ProcessInstance,
    Task,
    TaskDepartment,
    TeamMember,
    TeamRole,
    User,
    db,
    utcnow,
)
from models.roles import Role
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from persistence.scope import scope_entities, subtree_ids
from services import inspector_draws as draws
from services import task_access
from services.inspector_draws import DrawRefused as Refused
from services.task_access import member_of
from workflows import engine
from workflows.errors import StaleSubmission

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
REPLACEMENT_REASONS = ("岗位调整", "工作冲突", "健康状况", "执法回避")
MAX_REASON = 500
CONFLICT_OBJECT = "inspector_conflict"
TEAM_OBJECT = "team_member"


# ------------------------------------------------------------------ who sees what


def can_view(user: User) -> bool:
    return user.has_role(*VIEW_ROLES)


def clerk_parts(user: User, task: Task) -> list[TaskDepartment]:
    """The task's departments a clerk works for (their own department or one above)."""
    if not user.has_role(Role.CLERK):
        return []
    return [td for td in task.departments if user.department.is_within(td.department)
            or td.department.is_within(user.department)]


# ------------------------------------------------------------------ replacement (调整更换)


def _pending(task: Task) -> list[DrawChange]:
    return list(
        db.session.execute(
            select(DrawChange).where(
                DrawChange.task_id == task.id,
                DrawChange.domain == DrawDomain.INSPECTOR,
                DrawChange.status == ChangeStatus.PENDING,
            )
        ).scalars()
    )


def changes(task: Task) -> list[DrawChange]:
    return list(
        db.session.execute(
            select(DrawChange)
            .where(DrawChange.task_id == task.id, DrawChange.domain == DrawDomain.INSPECTOR,
                   DrawChange.reason_code.in_(REPLACEMENT_REASONS))  # not 人数调整 (services/draw_shortfall)
            .order_by(DrawChange.id.desc())
        ).scalars()
    )


def change_details(change: DrawChange) -> dict[str, Any]:
    try:
        data = json.loads(change.details or "{}")
    except ValueError:
        return {}
    member = db.session.get(TeamMember, data.get("replace")) if data.get("replace") else None
    by = db.session.get(Inspector, data.get("by")) if data.get("by") else None
    return {"member": member, "by": by}


def _active_instance(task: Task) -> ProcessInstance:
    instance = task_access.instance_of(task)
    if instance is None or instance.status != InstanceStatus.ACTIVE:
        raise Conflict("该抽查任务的流程已结束或尚未开始，不能调整检查组")
    return instance


def candidate_refusal(task: Task, member: TeamMember, inspector: Inspector | None) -> str | None:
    """Why ``inspector`` cannot replace ``member`` (None when they can)."""
    if inspector is None or not inspector.active:
        return "所选执法人员不存在"
    td = draws.party(task, member.department_id)
    if not inspector.department.is_within(td.department):
        return f"所选执法人员不属于{td.department.name}"
    team = {m.inspector_id for m in draws.active_members(task) if m.inspector_id}
    if inspector.id in team:
        return f"{inspector.name}已在检查组中"
    found = draws.eligibility(task, td)
    reason = found.reasons.get(inspector.id)
    if reason == draws.CERT_EXPIRED:
        return f"{inspector.name}的执法证已过期或在任务期间（{task.start_date}至{task.end_date}）内失效，不能选派"
    if reason:
        return f"{inspector.name}不符合选派条件：{reason}"
    if inspector.id not in {i.id for i in found.eligible}:
        return f"{inspector.name}不符合选派条件"
    return None


def replacement_candidates(task: Task, member: TeamMember) -> list[Inspector]:
    td = draws.party(task, member.department_id)
    team = {m.inspector_id for m in draws.active_members(task) if m.inspector_id}
    return draws.eligibility(task, td, exclude=team).eligible


def can_request(user: User, member: TeamMember) -> bool:
    return user.has_role(Role.CLERK) and member.active and member.inspector_id is not None and (
        member.department.is_within(user.department) or user.department.is_within(member.department)
    )


def request_replacement(
    actor: User, task: Task, member: TeamMember, *, inspector_id: Any, reason_code: str, reason: str
) -> DrawChange:
    """A clerk asks to replace a drawn inspector by one picked by hand (not drawn)."""
    if member.task_id != task.id or not member.active or member.inspector_id is None:
        raise Conflict("该检查组成员已被更换或不存在，请刷新页面")
    if not can_request(actor, member):
        raise Forbidden("只有该部门的监管部门经办人可以申请调整更换执法人员")
    _active_instance(task)
    if reason_code not in REPLACEMENT_REASONS:
        raise Refused("更换原因须为岗位调整、工作冲突、健康状况或执法回避", "reason_code")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("请填写更换理由", "reason")
    if len(reason) > MAX_REASON:
        raise Refused(f"更换理由不能超过{MAX_REASON}个字符", "reason")
    if any(json.loads(c.details or "{}").get("replace") == member.id for c in _pending(task)):
        raise Conflict("该成员已有待审批的更换申请")
    try:
        ident = int(inspector_id)
    except (TypeError, ValueError):
        raise Refused("请选择更换后的执法人员", "inspector_id") from None
    candidate = db.session.get(Inspector, ident)
    refusal = candidate_refusal(task, member, candidate)
    if refusal:
        raise Refused(refusal, "inspector_id")
    assert candidate is not None
    change = DrawChange(
        task_id=task.id,
        domain=DrawDomain.INSPECTOR,
        department_id=member.department_id,
        reason_code=reason_code,
        reason=reason,
        details=json.dumps({"replace": member.id, "by": candidate.id}),
        requested_by_id=actor.id,
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "replacement_request",
        object_type="draw_change",
        object_id=change.id,
        summary={"抽查任务": task.name, "原执法人员": member.inspector.name if member.inspector else "",
                 "更换为": candidate.name, "更换原因": reason_code, "理由": reason},
        user=actor,
    )
    return change


def can_decide(user: User, change: DrawChange) -> bool:
    """本部门负责人: a department leader of the change's department (or above it)."""
    return (
        change.status == ChangeStatus.PENDING
        and user.has_role(Role.DEPT_LEADER)
        and change.department.is_within(user.department)
    )


def decide_replacement(actor: User, task: Task, change: DrawChange, *, approve: bool, comment: str = "") -> DrawChange:
    if change.task_id != task.id or change.domain != DrawDomain.INSPECTOR:
        raise Conflict("该更换申请不存在")
    if change.status != ChangeStatus.PENDING:
        raise StaleSubmission()
    if not can_decide(actor, change):
        raise Forbidden("只有本部门负责人可以审批执法人员调整更换")
    comment = (comment or "").strip()
    if len(comment) > MAX_REASON:
        raise Refused(f"审批意见不能超过{MAX_REASON}个字符", "comment")
    if not approve and not comment:
        raise Refused("不同意更换须填写意见", "comment")
    data = json.loads(change.details or "{}")
    member = db.session.get(TeamMember, data.get("replace"))
    candidate = db.session.get(Inspector, data.get("by"))
    if member is None or not member.active:
        raise Conflict("该检查组成员已被更换，请刷新页面")
    change.decided_by_id = actor.id
    change.decided_at = utcnow()
    change.decision_comment = comment
    if not approve:
        change.status = ChangeStatus.REJECTED
        audit.record("replacement_reject", object_type="draw_change", object_id=change.id,
                     summary={"抽查任务": task.name, "意见": comment}, user=actor)
        db.session.flush()
        return change
    instance = _active_instance(task)
    refusal = candidate_refusal(task, member, candidate)
    if refusal:
        raise Refused(refusal)
    assert candidate is not None
    change.status = ChangeStatus.APPROVED
    member.active = False
    member.change_id = change.id
    td = draws.party(task, member.department_id)
    role = TeamRole.MEMBER
    if member.role == TeamRole.LEADER:
        role = TeamRole.LEADER if task_access.is_initiator(task, td) else TeamRole.MEMBER
    new = TeamMember(
        task_id=task.id,
        department_id=member.department_id,
        inspector_id=candidate.id,
        role=role,
        source=MemberSource.REPLACEMENT,
        change_id=change.id,
    )
    db.session.add(new)
    db.session.flush()
    if member.role == TeamRole.LEADER and role != TeamRole.LEADER:
        _promote_initiator_member(task)
    audit.record(
        "replacement_approve",
        object_type="draw_change",
        object_id=change.id,
        summary={"抽查任务": task.name, "原执法人员": member.inspector.name if member.inspector else "",
                 "更换为": candidate.name, "更换原因": change.reason_code, "组长": role == TeamRole.LEADER,
                 "意见": comment},
        user=actor,
    )
    engine.refresh_assignees(instance)
    return change


def _promote_initiator_member(task: Task) -> None:
    initiator = task_access.initiator_part(task)
    if initiator is None:
        return
    for m in draws.active_members(task):
        if m.department_id == initiator.department_id and m.inspector_id is not None:
            m.role = TeamRole.LEADER
            db.session.flush()
            return


# ------------------------------------------------------------------ experts (辅助人员)


def expert_choices(user: User, task: Task) -> list[AuxiliaryInspector]:
    parts = clerk_parts(user, task)
    if not parts:
        return []
    taken = {m.auxiliary_id for m in draws.active_members(task) if m.auxiliary_id}
    query = select(AuxiliaryInspector).where(
        AuxiliaryInspector.active.is_(True),
        or_(*(AuxiliaryInspector.department_id.in_(subtree_ids(td.department)) for td in parts)),
    ).order_by(AuxiliaryInspector.kind, AuxiliaryInspector.name)
    return [a for a in db.session.execute(query).scalars() if a.id not in taken]


def add_expert(actor: User, task: Task, aux_id: Any) -> TeamMember:
    """引入专家、检验检测机构或科研院所 (seed 003: 可引入第三方或聘请有关专家配合参与执法检查)."""
    if not actor.has_role(Role.CLERK):
        raise Forbidden("只有监管部门经办人可以邀请辅助人员")
    parts = clerk_parts(actor, task)
    if not parts:
        raise Forbidden("您所在部门不参与该抽查任务")
    _active_instance(task)
    try:
        aux = db.session.get(AuxiliaryInspector, int(aux_id))
    except (TypeError, ValueError):
        aux = None
    part = next((td for td in parts if aux is not None and aux.department.is_within(td.department)), None)
    if aux is None or not aux.active or part is None:
        raise Refused("请从本部门辅助人员库中选择", "aux_id")
    if any(m.auxiliary_id == aux.id for m in draws.active_members(task)):
        raise Conflict(f"{aux.name}已在检查组中")
    member = TeamMember(
        task_id=task.id, department_id=part.department_id, auxiliary_id=aux.id, role=TeamRole.EXPERT,
        source=MemberSource.INVITED,
    )
    db.session.add(member)
    db.session.flush()
    audit.record("expert_add", object_type=TEAM_OBJECT, object_id=member.id,
                 summary={"抽查任务": task.name, "辅助人员": aux.name, "类别": aux.kind.label}, user=actor)
    return member


def remove_expert(actor: User, task: Task, member: TeamMember) -> None:
    if member.task_id != task.id or member.role != TeamRole.EXPERT or not member.active:
        raise Conflict("该辅助人员已移出检查组，请刷新页面")
    if member.department_id not in {td.department_id for td in clerk_parts(actor, task)}:
        raise Forbidden("只有该部门的监管部门经办人可以移出辅助人员")
    member.active = False
    db.session.flush()
    audit.record("expert_remove", object_type=TEAM_OBJECT, object_id=member.id,
                 summary={"抽查任务": task.name, "辅助人员": member.auxiliary.name if member.auxiliary else ""},
                 user=actor)


# ------------------------------------------------------------------ 组成联合检查组 and 检查完成


def my_item(user: User, task: Task, step_key: str) -> Any:
    instance = task_access.instance_of(task)
    if instance is None:
        return None
    return engine.open_item(user, instance, step_key)


def confirm(actor: User, task: Task) -> TeamMember:
    """A member confirms they join the joint team (表22 组成联合检查组)."""
    member = member_of(actor, task)
    instance = task_access.instance_of(task)
    item = my_item(actor, task, draws.TEAM_STEP)
    if member is None or instance is None or item is None:
        raise Conflict("当前没有待您确认的联合检查组")
    if member.role == TeamRole.LEADER:
        raise Refused("组长请直接组成检查组")
    member.joined_at = utcnow()
    engine.complete(actor, item.id, "next", version=item.version, comment="确认参加联合检查组")
    audit.record("team_confirm", object_type=TEAM_OBJECT, object_id=member.id,
                 summary={"抽查任务": task.name, "执法人员": actor.name}, user=actor)
    return member


def unconfirmed(task: Task) -> list[TeamMember]:
    return [m for m in draws.active_members(task) if m.inspector_id is not None and m.role != TeamRole.LEADER
            and m.joined_at is None]


def form_team(actor: User, task: Task) -> ProcessInstance:
    """The leader forms the joint team once every member confirmed (组成检查组)."""
    member = member_of(actor, task)
    item = my_item(actor, task, draws.TEAM_STEP)
    if member is None or item is None:
        raise Conflict("当前没有待您组成的联合检查组")
    if member.role != TeamRole.LEADER:
        raise Forbidden("只有检查组组长可以组成检查组")
    waiting = unconfirmed(task)
    if waiting:
        names = "、".join(m.inspector.name for m in waiting if m.inspector)
        raise Refused(f"尚有组员未确认参加：{names}")
    now = utcnow()
    for m in draws.active_members(task):
        if m.joined_at is None:
            m.joined_at = now
    instance = engine.complete(actor, item.id, "next", version=item.version, comment="")
    audit.record("team_form", object_type="inspection_task", object_id=task.id,
                 summary={"抽查任务": task.name, "组长": actor.name}, user=actor)
    return instance


def finish_inspection(actor: User, task: Task) -> ProcessInstance:
    """The leader marks 开展双随机检查 done (检查完成); the members' items close with it."""
    member = member_of(actor, task)
    item = my_item(actor, task, draws.INSPECT_STEP)
    if member is None or item is None:
        raise Conflict("当前没有待您办理的检查任务")
    if member.role != TeamRole.LEADER:
        raise Forbidden("由检查组组长确认检查完成")
    return engine.complete(actor, item.id, "next", version=item.version, comment="")


def open_personal_items(task: Task, step_key: str) -> list[Any]:
    instance = task_access.instance_of(task)
    if instance is None:
        return []
    return [i for i in instance.work_items if i.step_key == step_key and i.status == WorkItemStatus.OPEN
            and i.user_id is not None]


# ------------------------------------------------------------------ 执法回避 declarations


def conflicts_of(inspector: Inspector) -> list[InspectorConflict]:
    return list(
        db.session.execute(
            select(InspectorConflict)
            .options(joinedload(InspectorConflict.entity))
            .where(InspectorConflict.inspector_id == inspector.id)
            .order_by(InspectorConflict.active.desc(), InspectorConflict.id.desc())
        ).scalars()
    )


def can_declare(user: User, inspector: Inspector) -> bool:
    return user.has_role(Role.CLERK) and inspector.department.is_within(user.department)


@dataclass
class EntityMatch:
    entity: MarketEntity | None
    candidates: list[MarketEntity]


def find_entity(actor: User, text: str) -> EntityMatch:
    """By 统一社会信用代码, or by name (exact, else the only one containing it)."""
    text = (text or "").strip()
    if not text:
        raise Refused("请输入统一社会信用代码或市场主体名称", "entity")
    base = scope_entities(select(MarketEntity), actor)
    by_code = db.session.execute(base.where(MarketEntity.uscc == text.upper())).scalars().first()
    if by_code is not None:
        return EntityMatch(by_code, [])
    exact = db.session.execute(base.where(MarketEntity.name == text)).scalars().first()
    if exact is not None:
        return EntityMatch(exact, [])
    found = list(
        db.session.execute(
            base.where(MarketEntity.name.contains(text, autoescape=True)).order_by(MarketEntity.name).limit(20)
        ).scalars()
    )
    return EntityMatch(found[0] if len(found) == 1 else None, found)


def declare_conflict(actor: User, inspector: Inspector, *, entity_id: Any = None, entity: str = "", reason: str) -> InspectorConflict:
    if not can_declare(actor, inspector):
        raise Forbidden("只有该执法人员所属部门的监管部门经办人可以申报回避")
    target: MarketEntity | None = None
    if entity_id not in (None, ""):
        try:
            target = db.session.execute(
                scope_entities(select(MarketEntity), actor).where(MarketEntity.id == int(entity_id))
            ).scalars().first()
        except (TypeError, ValueError):
            target = None
        if target is None:
            raise Refused("未找到该市场主体", "entity")
    else:
        match = find_entity(actor, entity)
        if match.entity is None:
            if match.candidates:
                raise Refused(f"找到{len(match.candidates)}个名称包含“{entity.strip()}”的市场主体，请输入统一社会信用代码或完整名称",
                              "entity")
            raise Refused("未找到该市场主体，请核对统一社会信用代码或名称", "entity")
        target = match.entity
    reason = (reason or "").strip()
    if not reason:
        raise Refused("请填写回避理由", "reason")
    if len(reason) > MAX_REASON:
        raise Refused(f"回避理由不能超过{MAX_REASON}个字符", "reason")
    existing = db.session.execute(
        select(InspectorConflict).where(
            InspectorConflict.inspector_id == inspector.id,
            InspectorConflict.entity_id == target.id,
            InspectorConflict.active.is_(True),
        )
    ).scalars().first()
    if existing is not None:
        raise Conflict(f"已申报{inspector.name}与{target.name}的回避关系")
    conflict = InspectorConflict(inspector_id=inspector.id, entity_id=target.id, reason=reason, declared_by_id=actor.id)
    db.session.add(conflict)
    db.session.flush()
    audit.record("conflict_declare", object_type=CONFLICT_OBJECT, object_id=conflict.id,
                 summary={"执法人员": inspector.name, "市场主体": target.name, "理由": reason}, user=actor)
    return conflict


def revoke_conflict(actor: User, conflict: InspectorConflict) -> None:
    if not can_declare(actor, conflict.inspector):
        raise Forbidden("只有该执法人员所属部门的监管部门经办人可以撤销回避")
    if not conflict.active:
        raise StaleSubmission()
    conflict.active = False
    db.session.flush()
    audit.record("conflict_revoke", object_type=CONFLICT_OBJECT, object_id=conflict.id,
                 summary={"执法人员": conflict.inspector.name, "市场主体": conflict.entity.name}, user=actor)
