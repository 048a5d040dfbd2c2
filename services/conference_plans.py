"""联席会议计划及任务 (DB5101 13.1 表32): the office builds a plan with its tasks, issues it to
the member units the tasks concern, each unit signs for it (password-confirmed receipt of the
exact version, services/receipts.py), judges whether it has a ledger and reports it
(services/ledgers.py); the office follows who signed, who reported, who is late, and reminds.

The engine runs one 表32 instance per (plan, member unit), started when the plan is issued
(下发): the office's three steps 建立联席会议计划及任务 → 判断是否有专项任务要求 → (建立专项任务)
are completed then, in the same transaction, and each unit's instance waits at 签收计划及任务
in its 我的待办 — so each unit goes on at its own pace.  签收 completes 签收计划及任务; the first
上报 completes 判断有无台账 with 有台账, and 上报工作台账 is completed once every task of the unit
that asks for a ledger (专项任务 with its 台账类型) has one reported — or, when none asks, at the
first report; 无台账，结束 ends a unit's instance when no task of it asks for a ledger.
Services never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, or_, select

from infrastructure.errors import Conflict, Forbidden, Invalid, NotFound
from models import (
    ConferencePlan,
    ConferenceTask,
    Department,
    Ledger,
    LedgerStatus,
    PlanUnit,
    ProcessInstance,
    TaskUnit,
    User,
    UserRole,
    db,
    utcnow,
)
from models.conference import Conference
from models.roles import Role
from models.workflow import InstanceStatus
from persistence import audit
from services import receipts
from services.plan_queries import today
from workflows import engine
from workflows import lanes as L

TABLE = 32
SUBJECT = "conference_plan"
BUSINESS_STEPS = ("plan", "special", "special_task", "sign", "ledger", "report")
# 表32 上报工作台账: “打击传销或无证无照线索工作台账”.
LEDGER_TYPES = ("打击传销线索台账", "无证无照线索台账", "其他工作台账")
PER_PAGE = 20


# ------------------------------------------------------------------ who


def is_office(user: User, plan_or_conference: ConferencePlan | Conference) -> bool:
    """A 联席会议办公室 user of the plan's (conference's) office."""
    return (
        user.is_active
        and user.has_role(Role.CONFERENCE_OFFICE)
        and user.department_id == plan_or_conference.office_id
    )


def unit_of(user: User, plan: ConferencePlan) -> PlanUnit | None:
    return next((u for u in plan.units if u.department_id == user.department_id), None)


def can_view(user: User, plan: ConferencePlan) -> bool:
    """The office's staff, and the member units of an issued plan."""
    if is_office(user, plan) or (user.department_id == plan.office_id):
        return True
    return plan.issued and unit_of(user, plan) is not None


def get_task(user: User, task_id: int) -> ConferenceTask | None:
    task = db.session.get(ConferenceTask, task_id)
    if task is None or not can_view(user, task.plan):
        return None
    return task


def office_conferences(user: User) -> list[Conference]:
    """The active conferences whose office the user works in, as office staff."""
    if not user.has_role(Role.CONFERENCE_OFFICE):
        return []
    return list(
        db.session.execute(
            select(Conference)
            .where(Conference.office_id == user.department_id, Conference.active.is_(True))
            .order_by(Conference.id)
        ).scalars()
    )


def list_query(user: User, year: int | None = None) -> Select[tuple[ConferencePlan]]:
    """The plans of the user's office, and the issued plans that concern the user's unit."""
    mine = exists().where(PlanUnit.plan_id == ConferencePlan.id, PlanUnit.department_id == user.department_id)
    stmt = select(ConferencePlan).where(
        or_(ConferencePlan.office_id == user.department_id, (ConferencePlan.version > 0) & mine)
    )
    if year:
        stmt = stmt.where(ConferencePlan.year == year)
    return stmt.order_by(ConferencePlan.year.desc(), ConferencePlan.id.desc())


def member_units(conference: Conference) -> list[Department]:
    return [m.department for m in conference.active_members]


# ------------------------------------------------------------------ building the plan


def _text(data: Mapping[str, Any], key: str, title: str, limit: int, *, required: bool = False) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise Invalid(f"请填写{title}", key)
    if len(value) > limit:
        raise Invalid(f"{title}不能超过{limit}个字", key)
    return value


def _check_lock(plan: ConferencePlan, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != plan.lock_version:
        raise Conflict("该计划已被他人修改，请刷新页面后重试")


def _check_draft(user: User, plan: ConferencePlan, lock_version: int | None) -> None:
    if not is_office(user, plan):
        raise Forbidden("只有本联席会议办公室可以编辑该计划")
    _check_lock(plan, lock_version)
    if plan.issued:
        raise Conflict("计划已下发，不能再修改")


def create_plan(user: User, conference: Conference, data: Mapping[str, Any]) -> ConferencePlan:
    """建立联席会议计划 (a draft; tasks are added next, then the plan is issued)."""
    if not is_office(user, conference):
        raise Forbidden("只有联席会议办公室可以建立联席会议计划")
    if not conference.active:
        raise Conflict("该联席会议已停用")
    title = _text(data, "title", "计划名称", 200, required=True)
    try:
        year = int(str(data.get("year") or "").strip())
    except ValueError:
        raise Invalid("计划年度应为四位数字，如 2026", "year") from None
    if not 2000 <= year <= 2100:
        raise Invalid("计划年度应在2000至2100之间", "year")
    plan = ConferencePlan(
        conference_id=conference.id,
        office_id=conference.office_id,
        year=year,
        title=title,
        content=_text(data, "content", "计划内容", 5000),
        created_by_id=user.id,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record("create", object_type=SUBJECT, object_id=plan.id,
                 summary={"联席会议": conference.name, "计划": title, "年度": year}, user=user)
    return plan


def _parse_date(text: Any) -> date:
    from infrastructure.excel import parse_date

    try:
        value = parse_date(text)
    except ValueError as exc:
        raise Invalid(f"完成时限：{exc}", "due_date") from None
    if value is None:
        raise Invalid("请填写完成时限", "due_date")
    return value


def add_task(user: User, plan: ConferencePlan, data: Mapping[str, Any], unit_ids: Sequence[Any],
             *, lock_version: int | None) -> ConferenceTask:
    """A task of the draft plan: title, content, due date, the units concerned; a 专项任务
    names the ledger it asks for."""
    _check_draft(user, plan, lock_version)
    title = _text(data, "title", "任务名称", 200, required=True)
    due = _parse_date(data.get("due_date"))
    if due < today():
        raise Invalid("完成时限不能早于今天", "due_date")
    special = str(data.get("special") or "") in ("1", "on", "true", "yes")
    ledger_type = str(data.get("ledger_type") or "").strip()
    if special and ledger_type not in LEDGER_TYPES:
        raise Invalid("专项任务须选择台账类型：" + "、".join(LEDGER_TYPES), "ledger_type")
    if not special:
        ledger_type = ""
    members = {d.id: d for d in member_units(plan.conference)}
    chosen: list[int] = []
    for raw in unit_ids:
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            raise Invalid("所选成员单位无效", "units") from None
        if ident not in members:
            raise Invalid("所选单位不是该联席会议的成员单位", "units")
        if ident not in chosen:
            chosen.append(ident)
    if not chosen:
        raise Invalid("请至少选择一个涉及的成员单位", "units")
    task = ConferenceTask(
        plan=plan,
        position=len(plan.tasks) + 1,
        title=title,
        content=_text(data, "content", "任务内容", 5000),
        due_date=due,
        special=special,
        ledger_type=ledger_type,
    )
    task.units = [TaskUnit(department_id=i) for i in chosen]
    db.session.add(task)
    plan.lock_version += 1
    db.session.flush()
    audit.record("update", object_type=SUBJECT, object_id=plan.id,
                 summary={"新增任务": title, "专项任务": "是" if special else "否", "台账类型": ledger_type,
                          "成员单位": "、".join(members[i].name for i in chosen), "完成时限": due.isoformat()},
                 user=user)
    return task


def delete_task(user: User, plan: ConferencePlan, task_id: int, *, lock_version: int | None) -> None:
    _check_draft(user, plan, lock_version)
    task = next((t for t in plan.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound("未找到该任务，可能已被删除")
    plan.tasks.remove(task)
    for n, t in enumerate(plan.tasks, start=1):
        t.position = n
    plan.lock_version += 1
    db.session.flush()
    audit.record("update", object_type=SUBJECT, object_id=plan.id, summary={"删除任务": task.title}, user=user)


def issue(user: User, plan: ConferencePlan, *, lock_version: int | None) -> list[ProcessInstance]:
    """下发: the plan becomes version 1 (what the units sign for); one 表32 instance per member
    unit concerned is started, the office's steps completed, each waiting at 签收计划及任务."""
    _check_draft(user, plan, lock_version)
    if not plan.tasks:
        raise Invalid("请先建立至少一项任务，再下发计划")
    has_special = any(t.special for t in plan.tasks)
    plan.version = 1
    plan.issued_at = utcnow()
    plan.lock_version += 1
    plan.units = [PlanUnit(department_id=i) for i in plan.unit_ids]
    db.session.flush()
    instances = []
    for unit in plan.units:
        instance = engine.start(
            TABLE, user, title=f"{plan.title}（{unit.department.name}）"[:200],
            parties={L.MEMBER: [unit.department_id]}, subject_type=SUBJECT, subject_id=plan.id,
        )
        engine.advance(user, instance, "plan", "next")
        engine.advance(user, instance, "special", "yes" if has_special else "no")
        if has_special:
            engine.advance(user, instance, "special_task", "next")
        unit.instance_id = instance.id
        instances.append(instance)
    db.session.flush()
    audit.record("publish", object_type=SUBJECT, object_id=plan.id,
                 summary={"计划": plan.title, "任务数": len(plan.tasks), "成员单位": len(plan.units),
                          "专项任务": sum(1 for t in plan.tasks if t.special)},
                 user=user)
    return instances


# ------------------------------------------------------------------ member units


def _instance(unit: PlanUnit) -> ProcessInstance | None:
    return db.session.get(ProcessInstance, unit.instance_id) if unit.instance_id else None


def _at(unit: PlanUnit, step: str) -> ProcessInstance | None:
    instance = _instance(unit)
    if instance is not None and instance.status == InstanceStatus.ACTIVE and instance.current_step == step:
        return instance
    return None


def sign(user: User, plan: ConferencePlan, password: str, *, version: int | None) -> PlanUnit:
    """签收计划及任务 for the user's unit: the plan and all its tasks (专项任务 included), with
    the user's password; refused twice (409), for a unit the plan does not concern (403)."""
    if not plan.issued:
        raise Conflict("计划尚未下发，不能签收")
    unit = unit_of(user, plan)
    if unit is None:
        raise Forbidden("本单位不是该计划涉及的成员单位，不能签收")
    if unit.signed_at is not None:
        raise Conflict(receipts.ALREADY_SIGNED)
    receipt = receipts.sign(user, plan, password, version=version, label=f"联席会议计划“{plan.title}”")
    unit.signed_at = receipt.signed_at
    unit.signed_by_id = user.id
    unit.receipt_id = receipt.id
    instance = _at(unit, "sign")
    if instance is not None:
        engine.advance(user, instance, "sign", "next")
    db.session.flush()
    return unit


def unit_tasks(plan: ConferencePlan, department_id: int) -> list[ConferenceTask]:
    return [t for t in plan.tasks if any(u.department_id == department_id for u in t.units)]


def ledger_required(plan: ConferencePlan, department_id: int) -> bool:
    return any(t.requires_ledger for t in unit_tasks(plan, department_id))


def declare_no_ledger(user: User, plan: ConferencePlan) -> None:
    """判断有无台账 → 无台账，结束 (only when none of the unit's tasks asks for a ledger)."""
    unit = unit_of(user, plan)
    if unit is None or not user.has_role(Role.MEMBER_LIAISON):
        raise Forbidden("只有本计划涉及的成员单位联络员可以办理")
    if unit.signed_at is None:
        raise Conflict("请先签收计划及任务")
    if unit.has_ledger is not None:
        raise Conflict("本单位已作出判断")
    if ledger_required(plan, unit.department_id):
        raise Invalid("本单位的专项任务要求上报工作台账，不能选择无台账")
    reported = db.session.execute(
        select(Ledger.id).where(Ledger.department_id == unit.department_id,
                                Ledger.task_id.in_([t.id for t in plan.tasks]),
                                Ledger.status == LedgerStatus.REPORTED.value)
    ).first()
    if reported is not None:
        raise Conflict("本单位已上报工作台账")
    unit.has_ledger = False
    instance = _at(unit, "ledger")
    if instance is not None:
        engine.advance(user, instance, "ledger", "no")
    db.session.flush()
    audit.record("update", object_type=SUBJECT, object_id=plan.id,
                 summary={"单位": unit.department.name, "判断有无台账": "无台账"}, user=user)


def after_report(user: User, ledger: Ledger) -> None:
    """Called once a ledger is reported: 判断有无台账 → 有台账; 上报工作台账 completed when every
    task of the unit that asks for a ledger has one reported (or at the first, when none asks)."""
    plan = ledger.task.plan
    unit = unit_of(user, plan)
    if unit is None:
        return
    unit.has_ledger = True
    instance = _at(unit, "ledger")
    if instance is not None:
        engine.advance(user, instance, "ledger", "yes")
    instance = _at(unit, "report")
    if instance is None:
        return
    required = [t.id for t in unit_tasks(plan, unit.department_id) if t.requires_ledger]
    if required:
        done = set(db.session.execute(
            select(Ledger.task_id).where(Ledger.department_id == unit.department_id, Ledger.task_id.in_(required),
                                         Ledger.status == LedgerStatus.REPORTED.value)
        ).scalars())
        if not set(required) <= done:
            return
    engine.advance(user, instance, "report", "next")


def report_ledger(user: User, ledger: Ledger, *, version: int | None) -> None:
    """上报工作台账 of one task, driving the unit's 表32 instance."""
    from services import ledgers

    unit = unit_of(user, ledger.task.plan)
    if unit is not None and unit.has_ledger is False:
        raise Conflict("本单位已判断为无台账，业务流程已结束")
    ledgers.report(user, ledger, version=version)
    after_report(user, ledger)


# ------------------------------------------------------------------ the office's view


SIGNED, UNSIGNED, REPORTED, LATE, NO_LEDGER, DRAFTING = "已签收", "未签收", "已上报", "逾期", "无台账", "填报中"
CELL_CSS = {SIGNED: "info", UNSIGNED: "warn", REPORTED: "ok", LATE: "danger", NO_LEDGER: "muted", DRAFTING: "info"}


@dataclass
class Cell:
    state: str  # one of the constants above, "" when the task does not concern the unit
    ledger: Ledger | None = None

    @property
    def css(self) -> str:
        return CELL_CSS.get(self.state, "")


@dataclass
class MatrixRow:
    unit: PlanUnit
    cells: list[Cell]

    @property
    def late(self) -> bool:
        return any(c.state == LATE for c in self.cells)


def cell_state(unit: PlanUnit, task: ConferenceTask, ledger: Ledger | None, on: date) -> str:
    if not any(u.department_id == unit.department_id for u in task.units):
        return ""
    if ledger is not None and ledger.reported:
        return REPORTED
    overdue = task.due_date < on
    if unit.signed_at is None:
        return LATE if overdue else UNSIGNED
    if unit.has_ledger is False:
        return NO_LEDGER
    if overdue and task.requires_ledger:
        return LATE
    if ledger is not None and ledger.rows:
        return DRAFTING
    return SIGNED


def matrix(plan: ConferencePlan, on: date | None = None) -> list[MatrixRow]:
    """Units × tasks: 已签收 / 未签收 / 已上报 / 逾期 (and 无台账, 填报中)."""
    on = on or today()
    ledgers = {
        (lg.task_id, lg.department_id): lg
        for lg in db.session.execute(
            select(Ledger).where(Ledger.task_id.in_([t.id for t in plan.tasks]))
        ).scalars()
    }
    return [
        MatrixRow(unit, [
            Cell(cell_state(unit, t, ledgers.get((t.id, unit.department_id)), on), ledgers.get((t.id, unit.department_id)))
            for t in plan.tasks
        ])
        for unit in plan.units
    ]


def counts(rows: Sequence[MatrixRow]) -> dict[str, int]:
    return {
        "units": len(rows),
        "signed": sum(1 for r in rows if r.unit.signed_at is not None),
        "late": sum(1 for r in rows if r.late),
    }


def units_to_remind(plan: ConferencePlan, on: date | None = None) -> list[MatrixRow]:
    """Units that have not signed, or have a required ledger not yet reported."""
    out = []
    for row in matrix(plan, on):
        if row.unit.signed_at is None or any(
            c.state in (LATE, SIGNED, DRAFTING) and t.requires_ledger for c, t in zip(row.cells, plan.tasks, strict=True)
        ):
            out.append(row)
    return out


def remind(user: User, plan: ConferencePlan, department_ids: Sequence[int] | None = None) -> int:
    """督促: a message (and SMS/e-mail outbox entries) to the liaisons of each unit that has not
    signed or not reported a required ledger; returns how many units were reminded."""
    from flask import url_for

    from persistence import notifications
    from services.conferences import liaisons_of

    if not is_office(user, plan):
        raise Forbidden("只有本联席会议办公室可以发送提醒")
    if not plan.issued:
        raise Conflict("计划尚未下发")
    rows = units_to_remind(plan)
    if department_ids is not None:
        wanted = {int(i) for i in department_ids}
        rows = [r for r in rows if r.unit.department_id in wanted]
    if not rows:
        raise Invalid("没有需要提醒的成员单位：均已签收并上报")
    for row in rows:
        unit = row.unit
        missing = []
        if unit.signed_at is None:
            missing.append("签收计划及任务")
        for cell, task in zip(row.cells, plan.tasks, strict=True):
            if task.requires_ledger and cell.state in (LATE, SIGNED, DRAFTING, UNSIGNED):
                state = "已逾期" if cell.state == LATE else f"{task.due_date.isoformat()}前"
                missing.append(f"上报“{task.title}”{task.ledger_type}（{state}）")
        recipients = liaisons_of(plan.conference, [unit.department_id]) or list(
            db.session.execute(
                select(User).join(User.roles).where(User.department_id == unit.department_id,
                                                    UserRole.role == Role.MEMBER_LIAISON.value)
            ).scalars()
        )
        notifications.notify(
            [u for u in recipients if u.is_active],
            f"请办理联席会议计划“{plan.title}”",
            "请尽快" + "；".join(missing) + "。",
            url_for("conference_plans.show", id=plan.id, _external=False),
        )
        unit.reminded_at = utcnow()
    db.session.flush()
    audit.record("remind", object_type=SUBJECT, object_id=plan.id,
                 summary={"计划": plan.title, "提醒单位": "、".join(r.unit.department.name for r in rows)}, user=user)
    return len(rows)
