"""Who sees and does what in 灵活报表 (docs/reports.md).

A 监管部门经办人 (clerk) defines reports for their department, 分派 them to its child
departments, passes a report assigned to their department further down, and fills their
department's submissions; a 部门领导 sees the same reports, 汇总 and 填报情况 without acting.
A report is visible to the units of the defining department's line above it (the definer's
department and the departments above it) and to every unit in whose subtree it was assigned;
another district's report answers 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, or_, select

from infrastructure.errors import Forbidden
from models import Department, User, db
from models.reports import FlexReport, ReportAssignment, ReportSubmission
from models.roles import Role
from persistence.scope import subtree_ids

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
ACT_ROLES = (Role.CLERK,)


def visible_reports(user: User) -> Select[Any]:
    """A select of the reports the user may see."""
    mine = subtree_ids(user.department)
    assigned = exists().where(ReportAssignment.report_id == FlexReport.id, ReportAssignment.department_id.in_(mine))
    return select(FlexReport).where(or_(FlexReport.department_id.in_(mine), assigned))


def can_view(user: User, report: FlexReport) -> bool:
    if not user.has_role(*VIEW_ROLES):
        return False
    query = visible_reports(user).where(FlexReport.id == report.id).with_only_columns(FlexReport.id)
    return db.session.execute(query).first() is not None


def is_assigned(report: FlexReport, department_id: int) -> bool:
    return db.session.execute(select(ReportAssignment.id).where(
        ReportAssignment.report_id == report.id, ReportAssignment.department_id == department_id)).first() is not None


def is_party(user: User, report: FlexReport) -> bool:
    """The user's department defined the report or was assigned it."""
    return report.department_id == user.department_id or is_assigned(report, user.department_id)


def require_clerk(user: User) -> None:
    if not user.is_active or not user.has_role(*ACT_ROLES):
        raise Forbidden("只有监管部门经办人可以制定、分派和填报灵活报表")


def can_view_submission(user: User, submission: ReportSubmission) -> bool:
    """Its unit, the units above it (in whose subtree it lies), and the defining unit and the
    units above that; not a sibling unit that was assigned the same report."""
    if not user.has_role(*VIEW_ROLES):
        return False
    return (submission.department.is_within(user.department)
            or submission.report.department.is_within(user.department))


def child_units(department: Department) -> list[Department]:
    return list(db.session.execute(
        select(Department).where(Department.parent_id == department.id, Department.active.is_(True))
        .order_by(Department.sort_order, Department.name)).scalars())
