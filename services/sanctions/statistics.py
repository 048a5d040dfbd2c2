"""惩戒信息统计 (seed 004 §8.1) and 惩戒实施反馈: per department of the user's area, the objects
it provided (录入), the tasks it received and the feedback it gave (results recorded), and the
overdue tasks; four grouped queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from models import Department, SanctionList, SanctionObject, SanctionTask, User, db
from models.sanctions import ListStatus
from models.sanctions import SanctionTaskStatus as TS
from persistence.org import region_root
from services.plan_queries import today


@dataclass
class Row:
    department: Department
    provided: int = 0  # objects of its published lists
    issued: int = 0  # tasks it received to implement
    feedback: int = 0  # results recorded
    overdue: int = 0

    @property
    def rate(self) -> str:
        return f"{self.feedback * 100 / self.issued:.1f}%" if self.issued else "—"


def by_department(user: User) -> list[Row]:
    area = region_root(user.department)
    in_area = Department.path.startswith(area.path)
    rows: dict[int, Row] = {}

    def row(dept_id: int) -> Row:
        if dept_id not in rows:
            rows[dept_id] = Row(db.session.get(Department, dept_id))  # type: ignore[arg-type]
        return rows[dept_id]

    provided = db.session.execute(
        select(SanctionList.department_id, func.count(SanctionObject.id))
        .join(SanctionObject, SanctionObject.list_id == SanctionList.id)
        .join(Department, Department.id == SanctionList.department_id)
        .where(in_area, SanctionList.status == ListStatus.PUBLISHED).group_by(SanctionList.department_id))
    for dept_id, n in provided:
        row(dept_id).provided = n
    tasks = db.session.execute(
        select(SanctionTask.department_id, func.count(),
               func.count().filter(SanctionTask.status == TS.RECORDED),
               func.count().filter(SanctionTask.status != TS.RECORDED, SanctionTask.due_on < today()))
        .join(Department, Department.id == SanctionTask.department_id).where(in_area)
        .group_by(SanctionTask.department_id))
    for dept_id, issued, feedback, overdue in tasks:
        r = row(dept_id)
        r.issued, r.feedback, r.overdue = issued, feedback, overdue
    return sorted(rows.values(), key=lambda r: r.department.path)
