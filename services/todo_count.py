"""The count in the header (我的待办): open work items, follow-ups, deadline reminders, the
风险预警 day digests not opened yet, 专项整治 deadlines, 双告知 notices, 日常监管 tasks, 灵活报表 deadlines
and 督办 to answer.

The header polls it on every page, so it is asked as one statement of scalar subqueries
instead of one statement per kind of work (each a round trip to PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from models import User, db
from services.campaigns.overview import reminders_query as campaign_reminders
from services.daily.escalation import todo_queries as daily_queries
from services.deadlines import reminders_query
from services.efficiency.urges import todo_query as urges_waiting
from services.followups import waiting_queries
from services.notice.queries import waiting_query as notice_waiting
from services.plan_queries import today
from services.reports.todo import todo_query as report_reminders
from services.risk.digest import open_digests_query
from workflows.inbox import inbox_query


def _counted(query: Select[Any]) -> Any:
    # count(*) over the query's own FROM and WHERE, without selecting its columns first
    return query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None).scalar_subquery()


def todo_count(user: User) -> int:
    """What 我的待办 lists for ``user``: work items, follow-ups, reminders and digests together."""
    if not user.is_authenticated or not user.is_active:
        return 0
    notices = notice_waiting(user)  # 双告知's notices without 发证反馈 (docs/notice.md)
    queries = [inbox_query(user), *waiting_queries(user), reminders_query(user), open_digests_query(user),
               campaign_reminders(user, today()), *([notices] if notices is not None else []), *daily_queries(user),
               report_reminders(user),
               urges_waiting(user)]
    return sum(db.session.execute(select(*(_counted(q) for q in queries))).one())
