"""告知查询, the scopes listed for review, the 未通过验证清单 and 我的待办's notices.

Every list is scoped (services/notice/feedback.visible_query): a user sees the notices received
by their department's subtree and those their subtree sent.  Lists are keyset-free but capped
(LIMIT rows): the filters narrow them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from infrastructure.clock import from_china, to_china
from infrastructure.excel import Column
from infrastructure.excel.cells import parse_date
from models import LicenceItem, MarketEntity, ScopeCheck, ScopeNotice, User, db
from models.notice import NoticeStatus
from models.roles import Role
from persistence.scope import scope_entities
from services.notice.feedback import visible_query

LIMIT = 500
FAILED = (NoticeStatus.PENDING, NoticeStatus.REFUSED)
EXPORT_COLUMNS = [
    Column("市场主体名称", 30), Column("统一社会信用代码", 22, text=True), Column("办理事项名称", 40),
    Column("接收告知部门", 24), Column("抄告时间", 20), Column("接收回执时间", 20), Column("发证反馈", 12),
    Column("不予发证原因", 30),
]


def _filtered(query: Select[Any], filters: Mapping[str, str]) -> Select[Any]:
    q = (filters.get("q") or "").strip()
    if q:
        query = query.join(MarketEntity, MarketEntity.id == ScopeNotice.entity_id).where(
            (MarketEntity.uscc == q.upper()) | (MarketEntity.reg_no == q) | MarketEntity.name.contains(q)
        )
    status = filters.get("status") or ""
    if status in {s.value for s in NoticeStatus}:
        query = query.where(ScopeNotice.status == NoticeStatus(status))
    if (filters.get("received") or "") == "no":
        query = query.where(ScopeNotice.received_at.is_(None))
    item = filters.get("item") or ""
    if item.isdigit():
        query = query.where(ScopeNotice.item_id == int(item))
    start, end = parse_date(filters.get("from") or None), parse_date(filters.get("to") or None)
    if start:
        query = query.where(ScopeNotice.created_at >= from_china(datetime.combine(start, time.min)))
    if end:
        query = query.where(ScopeNotice.created_at <= from_china(datetime.combine(end, time.max)))
    return query


def notices(actor: User, filters: Mapping[str, str], *, failed: bool = False, limit: int = LIMIT) -> list[ScopeNotice]:
    """告知查询 (or, with ``failed``, the 未通过验证清单: 未发证 and 不予发证), newest first."""
    query = _filtered(visible_query(actor), filters)
    if failed:
        query = query.where(ScopeNotice.status.in_(FAILED))
    query = query.options(joinedload(ScopeNotice.entity), joinedload(ScopeNotice.item),
                          joinedload(ScopeNotice.department), joinedload(ScopeNotice.received_by))
    return list(db.session.execute(query.order_by(ScopeNotice.id.desc()).limit(limit)).scalars().unique())


def export_rows(actor: User, filters: Mapping[str, str]) -> Iterator[list[Any]]:
    for n in notices(actor, filters, failed=True, limit=100_000):
        yield [n.entity.name, n.entity.uscc or n.entity.reg_no or "", n.item.name,
               n.department.name if n.department else n.authority.name,
               to_china(n.created_at).replace(tzinfo=None) if n.created_at else None,
               to_china(n.received_at).replace(tzinfo=None) if n.received_at else None,
               n.status.label, n.refusal_reason]


def items() -> list[LicenceItem]:
    return list(db.session.execute(select(LicenceItem).order_by(LicenceItem.seq)).scalars())


def unmatched(actor: User, q: str = "", limit: int = LIMIT) -> list[ScopeCheck]:
    """Entities of the actor's area whose last scope check matched no catalogue item."""
    query = scope_entities(
        select(ScopeCheck).join(MarketEntity, MarketEntity.id == ScopeCheck.entity_id).where(ScopeCheck.matched == 0),
        actor,
    )
    if q.strip():
        query = query.where(MarketEntity.name.contains(q.strip()) | (MarketEntity.uscc == q.strip().upper()))
    return list(db.session.execute(
        query.options(joinedload(ScopeCheck.entity)).order_by(ScopeCheck.checked_at.desc()).limit(limit)
    ).scalars())


def waiting_query(user: User) -> Select[Any] | None:
    """我的待办: notices to the user's own department still without 发证反馈 (its clerks)."""
    if not user.has_role(Role.CLERK):
        return None
    return select(ScopeNotice.id).where(ScopeNotice.department_id == user.department_id,
                                        ScopeNotice.status == NoticeStatus.PENDING)


def waiting_for(user: User, limit: int = 50) -> list[ScopeNotice]:
    query = waiting_query(user)
    if query is None:
        return []
    return list(db.session.execute(
        select(ScopeNotice).where(ScopeNotice.id.in_(query))
        .options(joinedload(ScopeNotice.entity), joinedload(ScopeNotice.item))
        .order_by(ScopeNotice.id.desc()).limit(limit)
    ).scalars())
