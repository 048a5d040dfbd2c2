"""Who sees and does what in a 无证无照经营综合治理 cycle, and each member unit's 表24 instance.

The office (联席会议办公室 staff of the conference's office) sees every unit of its cycles; a
member unit (its liaison, its inspectors) sees its own part only; anyone else gets 404.  The
engine runs one 表24 instance per member unit (as 表32 does), started when the office issues
the 年度工作要点通知: the office's steps are done for every unit at once, each unit goes on at
its own pace.  The inspector steps (执行无证无照经营查处 … 引导办证/办照) follow the operators:
an operator's step moves the unit's instance when that step is the one open, so the history
shows the first operator through each decision and never a step no operator took.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from infrastructure.errors import Conflict, Forbidden
from models import ProcessInstance, User, db
from models.conference import Conference, OfficialDocument
from models.roles import Role
from models.unlicensed import UnlicensedCycle, UnlicensedOperator, UnlicensedUnit
from models.workflow import InstanceStatus
from services import receipts
from services.conferences import is_office_staff
from workflows import engine

TABLE = 24
SUBJECT = "unlicensed_unit"
# Done on the unit's page (成员单位, 执法人员) and on the cycle's page (联席会议办公室).
UNIT_STEPS = ("annual_plan", "campaign", "assign", "enforce", "eligible", "case", "guide", "willing", "report",
              "receive")
OFFICE_STEPS = ("collect", "scheme", "summary", "notify")
NOT_YOUR_STEP = "该环节当前不由您办理，或已办理完毕，请刷新页面查看最新状态"


def is_office(user: User, cycle: UnlicensedCycle) -> bool:
    return user.is_active and is_office_staff(user, cycle.conference)


def in_unit(user: User, unit: UnlicensedUnit) -> bool:
    return user.is_active and user.department.is_within(unit.department)


def is_liaison(user: User, unit: UnlicensedUnit) -> bool:
    """成员单位: the unit's liaison (the engine's 成员单位 lane, in the unit itself)."""
    return user.is_active and user.has_role(Role.MEMBER_LIAISON) and user.department_id == unit.department_id


def is_assigned(user: User, unit: UnlicensedUnit) -> bool:
    """执法人员 the unit assigned (指派执法人员)."""
    return user.is_active and user.has_role(Role.INSPECTOR) and user.id in unit.inspector_ids


def can_view_cycle(user: User, cycle: UnlicensedCycle) -> bool:
    return is_office(user, cycle) or any(in_unit(user, u) for u in cycle.units)


def can_view_unit(user: User, unit: UnlicensedUnit) -> bool:
    return is_office(user, unit.cycle) or in_unit(user, unit)


def can_view_operator(user: User, operator: UnlicensedOperator) -> bool:
    return can_view_unit(user, operator.unit)


def unit_of(user: User, cycle: UnlicensedCycle) -> UnlicensedUnit | None:
    return next((u for u in cycle.units if in_unit(user, u)), None)


def office_conferences(user: User) -> list[Conference]:
    if not user.has_role(Role.CONFERENCE_OFFICE):
        return []
    return list(db.session.execute(
        select(Conference).where(Conference.office_id == user.department_id, Conference.active.is_(True))
        .order_by(Conference.id)
    ).scalars())


def list_query(user: User) -> Select[tuple[UnlicensedCycle]]:
    """The cycles of the user's office, and those with a unit the user works in."""
    mine = select(UnlicensedUnit.cycle_id).where(UnlicensedUnit.department_id.in_(user.department.ancestors()))
    clauses = [UnlicensedCycle.id.in_(mine)]
    if user.has_role(Role.CONFERENCE_OFFICE):
        clauses.append(UnlicensedCycle.office_id == user.department_id)
    return select(UnlicensedCycle).where(or_(*clauses)).order_by(UnlicensedCycle.year.desc(), UnlicensedCycle.id.desc())


def instance_of(unit: UnlicensedUnit) -> ProcessInstance | None:
    return db.session.get(ProcessInstance, unit.instance_id) if unit.instance_id else None


def current_step(unit: UnlicensedUnit) -> str:
    inst = instance_of(unit)
    return inst.current_step if inst is not None and inst.status == InstanceStatus.ACTIVE else ""


def step_open(user: User, unit: UnlicensedUnit, key: str) -> bool:
    inst = instance_of(unit)
    return inst is not None and engine.open_item(user, inst, key) is not None


def advance(user: User, unit: UnlicensedUnit, key: str, outcome: str = "next", comment: str = "") -> None:
    """Complete the user's open item at ``key`` of the unit's instance; 409 when it is not open."""
    inst = instance_of(unit)
    if inst is None or engine.open_item(user, inst, key) is None:
        raise Conflict(NOT_YOUR_STEP)
    engine.advance(user, inst, key, outcome, comment=comment)


def follow(user: User, unit: UnlicensedUnit, key: str, outcome: str = "next", comment: str = "") -> bool:
    """Move the unit's instance through ``key`` when it is the step open for the user (an
    operator's step); otherwise the operator's own record is the only trace.  True if moved."""
    if not step_open(user, unit, key):
        return False
    engine.advance(user, instance_of(unit), key, outcome, comment=comment)  # type: ignore[arg-type]
    return True


def unit_signed(document: OfficialDocument, unit: UnlicensedUnit) -> bool:
    return document.version > 0 and receipts.signed_by_unit(document, unit.department) is not None


def require_office(user: User, cycle: UnlicensedCycle) -> None:
    if not is_office(user, cycle):
        raise Forbidden("只有该联席会议办公室的工作人员可以办理")


def require_liaison(user: User, unit: UnlicensedUnit) -> None:
    if not is_liaison(user, unit):
        raise Forbidden("只有本成员单位的联络员可以办理")


def require_inspector(user: User, unit: UnlicensedUnit) -> None:
    if not is_assigned(user, unit):
        raise Forbidden("只有本单位指派的执法人员可以办理")


def check_lock(row: UnlicensedCycle | UnlicensedUnit | UnlicensedOperator, lock_version: int | None,
               what: str = "该记录") -> None:
    """Optimistic lock: the form's version must be the row's; the row's version moves on."""
    db.session.refresh(row, ["lock_version"], with_for_update=True)
    if lock_version is None or lock_version != row.lock_version:
        raise Conflict(f"{what}已被他人修改，请刷新页面后重试（您填写的内容已保留）")
    row.lock_version += 1
