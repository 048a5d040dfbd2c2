"""我的待办 of 灵活报表: the fillings of the clerk's own unit not yet 上报 whose deadline is
within ``REMIND_WITHIN`` working days (persistence/workdays.py) or already past, for valid
reports.  The day the reminder starts is computed once, at the 分派, on the holiday table
(``ReportSubmission.remind_on``), so the header's count asks no calendar: ``remind_on <= today``."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import false, select

from infrastructure.clock import china_today
from models import User, db
from models.reports import FlexReport, ReportSubmission, SubmissionStatus
from services.reports import access
from services.reports.periods import REMIND_WITHIN

TODO_LIMIT = 50
__all__ = ["REMIND_WITHIN", "todo", "todo_query"]


def todo_query(user: User, today: date | None = None) -> Any:
    """A select of the ids of the fillings to remind ``user`` of (the header's count)."""
    if not user.has_role(*access.ACT_ROLES):
        return select(ReportSubmission.id).where(false())
    return (select(ReportSubmission.id).join(FlexReport, FlexReport.id == ReportSubmission.report_id)
            .where(ReportSubmission.department_id == user.department_id,
                   ReportSubmission.status == SubmissionStatus.PENDING, FlexReport.active.is_(True),
                   ReportSubmission.remind_on <= (today or china_today())))


def todo(user: User, today: date | None = None) -> list[ReportSubmission]:
    """The fillings to remind ``user`` of, the earliest deadline first."""
    ids = todo_query(user, today)
    return list(db.session.execute(select(ReportSubmission).where(ReportSubmission.id.in_(ids))
                                   .order_by(ReportSubmission.due_on, ReportSubmission.id).limit(TODO_LIMIT)).scalars())
