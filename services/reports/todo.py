"""我的待办 of 灵活报表: the fillings of the clerk's own unit not yet 上报 whose deadline is
within ``REMIND_WITHIN`` working days (persistence/workdays.py) or already past, for valid
reports.  Deadlines grow with nothing here, so "due soon" is one bound: ``due_on <=`` the
``REMIND_WITHIN``-th working day after today.  When the holiday table does not cover that day,
only the fillings due today or earlier are listed (a reminder is never guessed from weekdays)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import false, select

from infrastructure.clock import china_today
from models import User, db
from models.reports import FlexReport, ReportSubmission, SubmissionStatus
from persistence.workdays import CalendarNotCovered, WorkCalendar
from services.reports import access

REMIND_WITHIN = 3
TODO_LIMIT = 50


def remind_bound(today: date | None = None) -> date:
    today = today or china_today()
    try:
        return WorkCalendar().add_workdays(today, REMIND_WITHIN)
    except CalendarNotCovered:
        return today


def todo_query(user: User, today: date | None = None) -> Any:
    """A select of the ids of the fillings to remind ``user`` of (the header's count)."""
    if not user.has_role(*access.ACT_ROLES):
        return select(ReportSubmission.id).where(false())
    return (select(ReportSubmission.id).join(FlexReport, FlexReport.id == ReportSubmission.report_id)
            .where(ReportSubmission.department_id == user.department_id,
                   ReportSubmission.status == SubmissionStatus.PENDING, FlexReport.active.is_(True),
                   ReportSubmission.due_on <= remind_bound(today)))


def todo(user: User, today: date | None = None) -> list[ReportSubmission]:
    """The fillings to remind ``user`` of, the earliest deadline first."""
    ids = todo_query(user, today)
    return list(db.session.execute(select(ReportSubmission).where(ReportSubmission.id.in_(ids))
                                   .order_by(ReportSubmission.due_on, ReportSubmission.id).limit(TODO_LIMIT)).scalars())
