"""The count in the header (我的待办): open work items, follow-ups, deadline reminders and
日常监管 tasks.

The header polls it on every page, so it is asked as one statement of scalar subqueries
instead of one statement per kind of work (each a round trip to PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from models import User, db
from services.daily.escalation import todo_queries as daily_queries
from services.deadlines import reminders_query
from services.followups import waiting_queries
from workflows.inbox import inbox_query


def _counted(query: Select[Any]) -> Any:
    # count(*) over the query's own FROM and WHERE, without selecting its columns first
    return query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None).scalar_subquery()


def todo_count(user: User) -> int:
    """What 我的待办 lists for ``user``: work items, follow-ups and reminders together."""
    if not user.is_authenticated or not user.is_active:
        return 0
    queries = [inbox_query(user), *waiting_queries(user), reminders_query(user), *daily_queries(user)]
    return sum(db.session.execute(select(*(_counted(q) for q in queries))).one())
