"""随机抽取执法人员派发抽查任务 (DB5101 表20, 表22; seeds 001 and 003).

Each department that takes part in a task (``TaskDepartment``) draws its ``inspectors`` from
those eligible for the whole task period (services/inspectors.eligible_inspectors with the
certificate valid from the first to the last day), of the speciality or area the clerk asks
for, and without a conflict: a declared 执法回避 (``InspectorConflict``) with an entity among
the task's objects, or having inspected one of those entities recently (an active member of
another task whose objects include it and which started within
``DRAW_RECENT_INSPECTION_DAYS`` days, default 365).  The draw is services/draw.run over one
stratum with the inspector domain, kept as a ``Draw`` row like an object draw and locked at
once: a department draws once; a member is changed only by an approved replacement
(services/teams.py).  The first drawn of the initiating department leads the team (seed 001:
宜由发起部门执法检查人员担任组长).

派发抽查任务 completes the department's draw_inspectors work item (表22: each party its own;
表20: the one item); the engine then opens personal items for the team members (``team_assignees``, wired in
services/process_wiring.py) at 开展双随机检查 (表20) or 组成联合检查组 (表22).
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from infrastructure.config import default as config_default
from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import (
    Department,
    Draw,
    DrawDomain,
    DrawStatus,
    Inspector,
    InspectorConflict,
    MemberSource,
    Place,
    ProcessInstance,
    Product,
    Task,
    TaskDepartment,
    TaskObject,
    TeamMember,
    TeamRole,
    User,
    WorkItem,
    db,
)
from models.inspectors import DutyStatus
from models.org import UserStatus
from models.plans import TaskStatus
from models.roles import Role
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from persistence.scope import subtree_ids
from services import draw as draw_svc
from services import team_work
from services.inspector_search import eligible_inspectors
from services.task_access import JOINT_TABLE, SINGLE_TABLE, instance_of, is_initiator, task_of
from workflows import engine
from workflows.assignees import Assignment
from workflows.errors import StaleSubmission

DRAW_STEP = "draw_inspectors"
TEAM_STEP = "team"
INSPECT_STEP = "inspect"
ON_SITE = "实地核查"
MIN_ON_SITE = 2
DEFAULT_RECENT_DAYS: int = config_default("DRAW_RECENT_INSPECTION_DAYS")
DRAW_OBJECT_TYPE = "inspector_draw"

# Why an inspector of the department is not eligible, in the order they are tested.
OFF_DUTY = "不在岗"
CERT_EXPIRED = "证件过期"
NO_PERMISSION = "无双随机检查权限或账号"
NO_WORK_ROLE = team_work.NO_WORK_ROLE  # 账号无执法人员角色: would be refused by the team's pages
NOT_MATCHING = "不符合专长或区域要求"
CONFLICT = "回避"
RECENT = "近期检查过"
REASONS = (OFF_DUTY, CERT_EXPIRED, NO_PERMISSION, NO_WORK_ROLE, NOT_MATCHING, CONFLICT, RECENT)


class DrawRefused(ServiceError):
    status = 422


# ------------------------------------------------------------------ the task and its instance


def methods_of(task: Task) -> list[str]:
    scheme = task.scheme
    raw = (scheme.methods if scheme is not None and scheme.methods else task.methods) or ""
    return [m for m in raw.replace(",", "、").split("、") if m]


def needs_on_site_pair(task: Task) -> bool:
    return ON_SITE in methods_of(task)


def recent_days() -> int:
    if has_app_context():
        return int(current_app.config.get("DRAW_RECENT_INSPECTION_DAYS", DEFAULT_RECENT_DAYS))
    return DEFAULT_RECENT_DAYS


# ------------------------------------------------------------------ eligibility


def task_entity_ids(task: Task) -> set[int]:
    """Entities the task inspects: drawn entities, and those responsible for a drawn place or
    holding a drawn product's licence (not removed objects)."""
    live = (TaskObject.task_id == task.id, TaskObject.removed.is_(False))
    ids = set(db.session.execute(select(TaskObject.entity_id).where(*live, TaskObject.entity_id.is_not(None))).scalars())
    ids |= set(
        db.session.execute(
            select(Place.entity_id).join(TaskObject, TaskObject.place_id == Place.id).where(*live, Place.entity_id.is_not(None))
        ).scalars()
    )
    ids |= set(
        db.session.execute(
            select(Product.entity_id)
            .join(TaskObject, TaskObject.product_id == Product.id)
            .where(*live, Product.entity_id.is_not(None))
        ).scalars()
    )
    return ids


def conflicted_ids(inspector_ids: list[int], entity_ids: set[int]) -> set[int]:
    if not inspector_ids or not entity_ids:
        return set()
    return set(
        db.session.execute(
            select(InspectorConflict.inspector_id).where(
                InspectorConflict.active.is_(True),
                InspectorConflict.inspector_id.in_(inspector_ids),
                InspectorConflict.entity_id.in_(entity_ids),
            )
        ).scalars()
    )


def recently_inspected_ids(task: Task, inspector_ids: list[int], entity_ids: set[int], days: int | None = None) -> set[int]:
    """Inspectors who were active members of another task whose objects include one of
    ``entity_ids`` and which started within ``days`` before this task's start."""
    if not inspector_ids or not entity_ids:
        return set()
    days = recent_days() if days is None else days
    since = task.start_date - timedelta(days=days)
    other = Task.__table__.alias("other_task")
    return set(
        db.session.execute(
            select(TeamMember.inspector_id)
            .join(other, other.c.id == TeamMember.task_id)
            .join(TaskObject, TaskObject.task_id == TeamMember.task_id)
            .where(
                TeamMember.active.is_(True),
                TeamMember.inspector_id.in_(inspector_ids),
                TeamMember.task_id != task.id,
                TaskObject.removed.is_(False),
                TaskObject.entity_id.in_(entity_ids),
                other.c.start_date >= since,
                other.c.start_date <= task.start_date,
            )
            .distinct()
        ).scalars()
    )


@dataclass
class Eligibility:
    """Who may be drawn for one department of a task, and how many were left out and why."""

    department: Department
    wanted: int
    eligible: list[Inspector]
    excluded: dict[str, int] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)  # inspector id -> why not eligible

    @property
    def excluded_text(self) -> str:
        parts = [f"{reason}{count}人" for reason, count in self.excluded.items() if count]
        return "、".join(parts) if parts else "无"


def _reason(inspector: Inspector, task: Task, speciality: str, area: str) -> str:
    """Why an inspector outside eligible_inspectors' answer is left out (first reason)."""
    if inspector.duty != DutyStatus.ON:
        return OFF_DUTY
    if not (inspector.certificate_valid(task.start_date) and inspector.certificate_valid(task.end_date)):
        return CERT_EXPIRED
    if not inspector.random_permission or inspector.user is None or inspector.user.status != UserStatus.ACTIVE:
        return NO_PERMISSION
    if not team_work.can_do_team_work(inspector.user):
        return NO_WORK_ROLE
    if (speciality and speciality not in inspector.specialities) or (area and area not in (inspector.area or "")):
        return NOT_MATCHING
    return NO_PERMISSION


def eligibility(
    task: Task, td: TaskDepartment, *, speciality: str = "", area: str = "", exclude: set[int] | None = None
) -> Eligibility:
    department = td.department
    base = eligible_inspectors(
        department, on_date=task.start_date, until=task.end_date, speciality=speciality or None, area=area or None
    )
    everyone = list(
        db.session.execute(
            select(Inspector)
            .options(joinedload(Inspector.user).selectinload(User.roles), selectinload(Inspector.tags))
            .where(Inspector.active.is_(True), Inspector.department_id.in_(subtree_ids(department)))
            .order_by(Inspector.id)
        ).unique().scalars()
    )
    base_ids = {i.id for i in base}
    entity_ids = task_entity_ids(task)
    ids = sorted(base_ids)
    conflicts = conflicted_ids(ids, entity_ids)
    recent = recently_inspected_ids(task, ids, entity_ids)
    result = Eligibility(department, td.inspectors, [], {r: 0 for r in REASONS})
    for inspector in everyone:
        if inspector.id in base_ids:
            reason = CONFLICT if inspector.id in conflicts else RECENT if inspector.id in recent else ""
        else:
            reason = _reason(inspector, task, speciality, area)
        if reason:
            result.excluded[reason] += 1
            result.reasons[inspector.id] = reason
        elif not exclude or inspector.id not in exclude:
            result.eligible.append(inspector)
    return result


# ------------------------------------------------------------------ permissions and the step


def party(task: Task, department_id: int) -> TaskDepartment:
    td = next((td for td in task.departments if td.department_id == department_id), None)
    if td is None:
        raise DrawRefused("该部门不是本抽查任务的参与检查部门")
    return td


def draw_item(user: User, task: Task, td: TaskDepartment, instance: ProcessInstance | None = None) -> WorkItem | None:
    """The open draw_inspectors item through which ``user`` draws for ``td``: that
    department's own item (表22, per party), else the instance's single item (表20)."""
    instance = instance or instance_of(task)
    if instance is None or instance.status != InstanceStatus.ACTIVE:
        return None
    items = [i for i in instance.work_items if i.step_key == DRAW_STEP and i.status == WorkItemStatus.OPEN]
    own = [i for i in items if i.department_id == td.department_id]
    if not own and instance.process_table == SINGLE_TABLE:
        own = items
    return next((i for i in own if engine.can_act(user, i)), None)


def at_draw_step(task: Task) -> ProcessInstance:
    instance = instance_of(task)
    if instance is None or instance.status != InstanceStatus.ACTIVE or instance.current_step != DRAW_STEP:
        raise Conflict("抽查任务当前不在“随机抽取执法人员派发抽查任务”环节")
    return instance


def current_draw(task: Task, department_id: int) -> Draw | None:
    return db.session.execute(
        select(Draw)
        .where(
            Draw.task_id == task.id,
            Draw.domain == DrawDomain.INSPECTOR,
            Draw.department_id == department_id,
            Draw.status == DrawStatus.LOCKED,
        )
        .order_by(Draw.attempt.desc())
        .limit(1)
    ).scalar_one_or_none()


def can_draw(user: User, task: Task, td: TaskDepartment) -> bool:
    return user.has_role(Role.CLERK) and draw_item(user, task, td) is not None and current_draw(task, td.department_id) is None


# ------------------------------------------------------------------ the one inspector draw

TASK = "task"
CAMPAIGN = "campaign"  # 表23: a department assigns its inspectors to its campaign objects
UNLICENSED_UNIT = "unlicensed_unit"  # 表24: a member unit's 专项整治方案 assigns its inspectors


@dataclass(frozen=True)
class Subject:
    """What an inspector draw is for: a task's team (the row's task_id), or another subject
    (the row's subject_type and subject_id)."""

    kind: str
    id: int

    def where(self) -> tuple[Any, ...]:
        if self.kind == TASK:
            return (Draw.task_id == self.id,)
        return (Draw.subject_type == self.kind, Draw.subject_id == self.id)


def draw_people(actor: User, subject: Subject, department_id: int, keys: list[str], wanted: int, *,
                params: dict[str, Any], seed: str | None = None) -> tuple[Draw, list[str]]:
    """Draw ``wanted`` of ``keys`` ("inspector:12", "user:7") by services/draw.run with the
    inspector domain and keep the record as a locked ``Draw`` row of ``subject`` and the
    drawing department (attempt 1, 2 … per subject and department).  The row holds the
    population, seed and result, so ``verify`` re-computes it from the record alone.  Answers
    the row and the drawn keys in rank order."""
    if wanted <= 0 or wanted > len(keys):
        raise DrawRefused(f"拟抽取人数须在1至{len(keys)}之间")
    started = time.perf_counter()
    record = draw_svc.run([draw_svc.Member(k) for k in keys], {draw_svc.UNGRADED: wanted},
                          domain=draw_svc.INSPECTOR_DOMAIN, seed=seed)
    digest, blob = draw_svc.pack_population(record.population)
    last = db.session.execute(select(func.max(Draw.attempt)).where(
        *subject.where(), Draw.domain == DrawDomain.INSPECTOR, Draw.department_id == department_id)).scalar()
    drawn = Draw(
        task_id=subject.id if subject.kind == TASK else None,
        subject_type=None if subject.kind == TASK else subject.kind,
        subject_id=None if subject.kind == TASK else subject.id,
        domain=DrawDomain.INSPECTOR, department_id=department_id, attempt=(last or 0) + 1,
        status=DrawStatus.LOCKED, algorithm=record.algorithm, seed=record.seed,
        params=json.dumps(params, ensure_ascii=False), quotas=json.dumps(record.quotas),
        population_size=len(record.population), population_digest=digest, population=blob,
        result=json.dumps(record.result), result_size=sum(len(v) for v in record.result.values()),
        drawn_by_id=actor.id, duration_ms=int((time.perf_counter() - started) * 1000),
    )
    db.session.add(drawn)
    db.session.flush()
    return drawn, list(record.result[draw_svc.UNGRADED])


def draws_of(subject: Subject) -> list[Draw]:
    """The subject's inspector draws, oldest first."""
    return list(db.session.execute(select(Draw).where(
        *subject.where(), Draw.domain == DrawDomain.INSPECTOR).order_by(Draw.id)).scalars())


def drawn_ids(drawn: Draw, prefix: str) -> list[int]:
    """The ids of a draw's result in rank order (``prefix`` "user" or "inspector")."""
    keys = json.loads(drawn.result).get(draw_svc.UNGRADED, [])
    return [int(k.split(":", 1)[1]) for k in keys if k.startswith(prefix + ":")]


# ------------------------------------------------------------------ the draw


def draw_inspectors(
    actor: User, task: Task, department_id: int, *, speciality: str = "", area: str = "", seed: str | None = None
) -> Draw:
    """Draw ``td.inspectors`` people for one department of the task and put them in the team."""
    if not actor.has_role(Role.CLERK):
        raise Forbidden("只有监管部门经办人可以随机抽取执法人员")
    db.session.execute(select(Task.id).where(Task.id == task.id).with_for_update())
    td = party(task, department_id)
    instance = at_draw_step(task)
    if current_draw(task, td.department_id) is not None:
        raise Conflict(f"{td.department.name}已抽取执法人员，抽取结果已锁定；确需更换的，请提出调整更换申请")
    if draw_item(actor, task, td, instance) is None:
        raise Forbidden("您不在该部门“随机抽取执法人员派发抽查任务”环节的办理角色中")
    speciality, area = speciality.strip()[:100], area.strip()[:100]
    found = eligibility(task, td, speciality=speciality, area=area)
    wanted = td.inspectors
    if wanted <= 0:
        raise DrawRefused(f"{td.department.name}拟抽取执法人员人数为0，无需抽取")
    if not found.eligible:
        raise DrawRefused(f"{td.department.name}没有符合条件的执法人员（已排除：{found.excluded_text}）")
    if len(found.eligible) < wanted:
        raise DrawRefused(
            f"{td.department.name}符合条件的执法人员仅{len(found.eligible)}人，少于拟抽取的{wanted}人"
            f"（已排除：{found.excluded_text}）"
        )
    params = {"inspectors": wanted, "on_date": task.start_date.isoformat(), "until": task.end_date.isoformat(),
              "recent_days": recent_days(), "excluded": {k: v for k, v in found.excluded.items() if v}}
    if speciality:
        params["speciality"] = speciality
    if area:
        params["area"] = area
    drawn, keys = draw_people(actor, Subject(TASK, task.id), td.department_id,
                              [f"inspector:{i.id}" for i in found.eligible], wanted, params=params, seed=seed)
    names = _seat_drawn(task, td, drawn, keys, found.eligible)
    audit.record(
        "draw",
        object_type=DRAW_OBJECT_TYPE,
        object_id=drawn.id,
        summary={"抽查任务": task.name, "部门": td.department.name, "抽取人数": wanted, "符合条件": len(found.eligible),
                 "已排除": found.excluded_text, "业务专长": speciality or "不限", "区域": area or "不限",
                 "抽取结果": "、".join(names), "随机种子": drawn.seed},
        user=actor,
    )
    return drawn


def _seat_drawn(task: Task, td: TaskDepartment, drawn: Draw, keys: list[str], eligible: list[Inspector]) -> list[str]:
    """Put the drawn inspectors in the department's team (the first one leads the initiator's
    team while the task has no leader); answers their names in the drawn order."""
    leads = is_initiator(task, td) and not _has_leader(task)
    names = []
    for rank, key in enumerate(keys):
        inspector_id = int(key.split(":", 1)[1])
        role = TeamRole.LEADER if leads and rank == 0 else TeamRole.MEMBER
        db.session.add(
            TeamMember(
                task_id=task.id,
                department_id=td.department_id,
                inspector_id=inspector_id,
                role=role,
                source=MemberSource.DRAWN,
                draw_id=drawn.id,
            )
        )
        names.append(next(i.name for i in eligible if i.id == inspector_id))
    db.session.flush()
    return names


def _has_leader(task: Task) -> bool:
    return db.session.execute(
        select(TeamMember.id).where(
            TeamMember.task_id == task.id, TeamMember.active.is_(True), TeamMember.role == TeamRole.LEADER
        )
    ).first() is not None


def verify(drawn: Draw) -> bool:
    """Re-run a stored inspector draw from its stored record alone (as ``flask draw verify``,
    services/object_draws.verify_draw, without importing it: campaigns and 表24 use this module)."""
    stored = {"algorithm": drawn.algorithm, "seed": drawn.seed, "domain": drawn.domain.value,
              "quotas": json.loads(drawn.quotas), "population_digest": drawn.population_digest,
              "result": json.loads(drawn.result)}
    try:
        matches, _ = draw_svc.verify_text(stored, zlib.decompress(drawn.population).decode())
    except (zlib.error, ValueError, UnicodeDecodeError, draw_svc.DrawError):
        return False
    return matches


# ------------------------------------------------------------------ the team


def active_members(task: Task) -> list[TeamMember]:
    return list(
        db.session.execute(
            select(TeamMember)
            .options(joinedload(TeamMember.inspector).joinedload(Inspector.user), joinedload(TeamMember.auxiliary),
                     joinedload(TeamMember.department))
            .where(TeamMember.task_id == task.id, TeamMember.active.is_(True))
            .order_by(TeamMember.department_id, TeamMember.id)
        ).unique().scalars()
    )


def leader_of(task: Task) -> TeamMember | None:
    return next((m for m in active_members(task) if m.role == TeamRole.LEADER), None)


def team_assignees(instance: ProcessInstance) -> Assignment:
    """派发抽查任务: the next step reaches every member with an account; the leader's action
    completes it."""
    task = task_of(instance)
    if task is None:
        return Assignment()
    members = [m for m in active_members(task) if m.inspector is not None and m.inspector.user_id is not None]
    leader = next((m for m in members if m.role == TeamRole.LEADER), None)
    users = [m.inspector.user_id for m in sorted(members, key=lambda m: m.role != TeamRole.LEADER)]  # type: ignore[union-attr]
    return Assignment(tuple(u for u in users if u is not None), leader.inspector.user_id if leader else None)  # type: ignore[union-attr]


def can_dispatch(user: User, task: Task, td: TaskDepartment) -> bool:
    return user.has_role(Role.CLERK) and draw_item(user, task, td) is not None and current_draw(task, td.department_id) is not None


def dispatch(actor: User, task: Task, department_id: int) -> ProcessInstance:
    """派发抽查任务 for one department (表22: its own item; 表20: the task's one item)."""
    if not actor.has_role(Role.CLERK):
        raise Forbidden("只有监管部门经办人可以派发抽查任务")
    db.session.execute(select(Task.id).where(Task.id == task.id).with_for_update())
    td = party(task, department_id)
    instance = at_draw_step(task)
    item = draw_item(actor, task, td, instance)
    if item is None:
        raise Forbidden("您不在该部门“随机抽取执法人员派发抽查任务”环节的办理角色中")
    # The departments this item answers for: its own (表22) or all of them (表20).
    covered = task.departments if instance.process_table == SINGLE_TABLE else [td]
    missing = [d.department.name for d in covered if d.inspectors > 0 and current_draw(task, d.department_id) is None]
    if missing:
        raise DrawRefused(f"{'、'.join(missing)}尚未抽取执法人员，不能派发抽查任务")
    others = [i for i in instance.work_items if i.step_key == DRAW_STEP and i.status == WorkItemStatus.OPEN and i.id != item.id]
    if not others:
        _check_team(task)
    outcome = "next"
    engine.complete(actor, item.id, outcome, version=item.version, comment="")
    if instance.current_step != DRAW_STEP:
        task.status = TaskStatus.DISPATCHED
    audit.record(
        "dispatch",
        object_type="inspection_task",
        object_id=task.id,
        summary={"抽查任务": task.name, "部门": td.department.name if instance.process_table == JOINT_TABLE else task.department.name},
        user=actor,
    )
    return instance


def _check_team(task: Task) -> None:
    """Before the task leaves the draw: every department drew, a leader, and 实地核查 needs two."""
    missing = [d.department.name for d in task.departments if d.inspectors > 0 and current_draw(task, d.department_id) is None]
    if missing:
        raise DrawRefused(f"{'、'.join(missing)}尚未抽取执法人员，不能派发抽查任务")
    members = [m for m in active_members(task) if m.inspector_id is not None]
    if not any(m.role == TeamRole.LEADER for m in members):
        raise DrawRefused("发起部门尚未抽取执法人员，检查组没有组长，不能派发抽查任务")
    if needs_on_site_pair(task) and len(members) < MIN_ON_SITE:
        raise DrawRefused(
            f"检查方式含{ON_SITE}，检查组至少需要{MIN_ON_SITE}名执法检查人员，当前仅{len(members)}名，不能派发抽查任务"
        )


def stale_guard(instance: ProcessInstance | None, version: int | None) -> None:
    """A form carries the instance version it was rendered with; an older one is refused."""
    if instance is not None and version is not None and instance.version != version:
        raise StaleSubmission()


def on_date_text(d: date | None) -> str:
    return d.isoformat() if d else ""
