"""The daily run behind ``flask daily generate``: for each department that supervises, the
automatic claims of its own permits, the 管理对象核查, the officer rules and the category
keywords, then the task generation (services/daily/generate.py).  Each step is set-based and
idempotent, so a second run on the same day changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from models import Department
from models.daily import ClaimRule, OfficerRule, SupervisedObject, SupervisionCategory
from services.daily import categories, officers
from services.daily.generate import GenerateResult, generate
from services.daily.objects import check_removals, sync_permits


@dataclass
class DailyRun:
    claimed: int
    pending_removal: int
    assigned: int
    generated: GenerateResult

    def summary(self) -> str:
        g = self.generated
        return (f"自动认领 {self.claimed} 户，待移出 {self.pending_removal} 户，分配管理责任者 {self.assigned} 户，"
                f"生成周期任务 {g.cycle} 项、后续监管任务 {g.followups} 项"
                + "".join(f"；未生成：{reason}" for reason in g.skipped))


def supervising_departments(session: Session) -> list[Department]:
    ids = union(select(SupervisedObject.department_id), select(ClaimRule.department_id),
                select(OfficerRule.department_id), select(SupervisionCategory.department_id))
    return list(session.execute(select(Department).where(Department.id.in_(ids)).order_by(Department.id)).scalars())


def daily_run(session: Session, on: date | None = None) -> DailyRun:
    claimed = pending = assigned = 0
    for department in supervising_departments(session):
        claimed += sync_permits(session, department)
        pending += check_removals(session, department)
        assigned += officers.auto_assign(session, department)
        for category in categories.categories_of(department.id):
            if category.active:
                categories.classify(session, category)
    return DailyRun(claimed, pending, assigned, generate(session, on))
