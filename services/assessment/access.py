"""Who sees which scorecard: the assessing office (联席会议办公室) its district's cards; a
department leader the cards of their own unit only (another unit's card answers 404)."""

from __future__ import annotations

from sqlalchemy import select

from models import Department, User, db
from models.assessment import AssessmentCard, AssessmentRun
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence.org import region_root

OFFICE = (Role.CONFERENCE_OFFICE,)
VIEWERS = (Role.CONFERENCE_OFFICE, Role.DEPT_LEADER)


def is_office(user: User) -> bool:
    return user.has_role(Role.CONFERENCE_OFFICE)


def region_of(user: User) -> Department:
    return region_root(user.department)


def unit_of(user: User) -> Department | None:
    """The bureau-level supervision department the user works in (or the user's own)."""
    ids = user.department.ancestors() or [user.department_id]
    rows = db.session.execute(select(Department).where(
        Department.id.in_(ids), Department.level == DepartmentLevel.BUREAU,
        Department.kind == DepartmentKind.SUPERVISION)).scalars()
    found = {d.id: d for d in rows}
    for ident in reversed(ids):
        if ident in found:
            return found[ident]
    return None


def can_view_run(user: User, run: AssessmentRun) -> bool:
    return is_office(user) and run.region_id == region_of(user).id


def can_view_card(user: User, card: AssessmentCard) -> bool:
    if can_view_run(user, card.run):
        return True
    unit = unit_of(user) if user.has_role(Role.DEPT_LEADER) else None
    return unit is not None and card.department_id == unit.id


def own_cards(user: User) -> list[AssessmentCard]:
    """A leader's unit's cards, newest run first."""
    unit = unit_of(user)
    if unit is None:
        return []
    return list(db.session.execute(
        select(AssessmentCard).join(AssessmentRun).where(AssessmentCard.department_id == unit.id)
        .order_by(AssessmentRun.year.desc(), AssessmentRun.id.desc()).limit(50)).scalars())
