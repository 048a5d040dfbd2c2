"""The conditions of the scorecard's indicators, each one set-based query over the registry and
the collected facts: ``(entity_id, hits)`` for every entity the indicator holds for (hits: the
facts counted; 1 for a yes/no indicator).  Only current versions of facts count.  The windows
are read from today's China date: "近三年" is the three years up to and including today, "近一年"
the 365 days up to today (docs/credit.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, literal, or_, select

from models import (
    AbnormalListing,
    CapitalContribution,
    Complaint,
    EntityStatus,
    InspectionRecord,
    Lawsuit,
    MarketEntity,
    Penalty,
    Permit,
    RecordStatus,
    Sanction,
    SupervisionRecord,
)
from models.inspections import PROBLEM_RESULTS, ResultCategory

# What another department's 监管信息 says when it found nothing (its result is free text).
NORMAL_RESULTS = ("", "未发现问题", "合格", "正常", "符合要求", "无问题", "未发现违法违规行为")
HEAVY_PENALTY = 10_000  # 元: 罚没金额 from which a penalty counts as heavy


def _years(today: date, n: int) -> date:
    try:
        return today.replace(year=today.year - n)
    except ValueError:  # 29 February
        return today.replace(year=today.year - n, day=28)


def _once(condition: Any) -> Select[Any]:
    return select(MarketEntity.id.label("entity_id"), literal(1).label("hits")).where(condition)


def _counted(model: Any, *conditions: Any) -> Select[Any]:
    return (select(model.entity_id.label("entity_id"), func.count().label("hits"))
            .where(model.entity_id.is_not(None), *conditions).group_by(model.entity_id))


def _distinct(model: Any, *conditions: Any) -> Select[Any]:
    return (select(model.entity_id.label("entity_id"), literal(1).label("hits"))
            .where(model.entity_id.is_not(None), *conditions).group_by(model.entity_id))


def young(today: date) -> Select[Any]:
    return _once(MarketEntity.established_on > today - timedelta(days=365))


def no_address(today: date) -> Select[Any]:
    return _once(MarketEntity.business_address == "")


def revoked(today: date) -> Select[Any]:
    return _once(MarketEntity.status == EntityStatus.REVOKED)


def permit_revoked(today: date) -> Select[Any]:
    return _distinct(Permit, Permit.current.is_(True), Permit.status.in_(("吊销", "撤销")))


def permit_expired(today: date) -> Select[Any]:
    expired = or_(Permit.status == "过期", and_(Permit.status == "有效", Permit.valid_to < today))
    return _distinct(Permit, Permit.current.is_(True), expired)


def supervision_problem(today: date) -> Select[Any]:
    return _counted(SupervisionRecord, SupervisionRecord.current.is_(True),
                    SupervisionRecord.inspected_on >= _years(today, 3),
                    SupervisionRecord.result.not_in(NORMAL_RESULTS))


def penalty(today: date) -> Select[Any]:
    return _counted(Penalty, Penalty.current.is_(True), Penalty.decided_on >= _years(today, 3))


def penalty_heavy(today: date) -> Select[Any]:
    return _counted(Penalty, Penalty.current.is_(True), Penalty.decided_on >= _years(today, 3),
                    Penalty.amount >= HEAVY_PENALTY)


def complaint(today: date) -> Select[Any]:
    return _counted(Complaint, Complaint.current.is_(True), Complaint.received_on > today - timedelta(days=365))


def _own_results(results: Any) -> Select[Any]:
    return _counted(InspectionRecord, InspectionRecord.status == RecordStatus.PUBLISHED,
                    InspectionRecord.result.in_(results))


def random_unqualified(today: date) -> Select[Any]:
    return _own_results([ResultCategory.UNQUALIFIED])


def random_problem(today: date) -> Select[Any]:
    return _own_results([ResultCategory(r) for r in sorted(PROBLEM_RESULTS) if r != "unqualified"])


def sanction(today: date) -> Select[Any]:
    return _distinct(Sanction, Sanction.current.is_(True), Sanction.removed_on.is_(None),
                     or_(Sanction.valid_until.is_(None), Sanction.valid_until >= today))


def lawsuit(today: date) -> Select[Any]:
    return _counted(Lawsuit, Lawsuit.current.is_(True), Lawsuit.role.in_(("被告", "被执行人")),
                    Lawsuit.filed_on > today - timedelta(days=365))


def abnormal(today: date) -> Select[Any]:
    return _distinct(AbnormalListing, AbnormalListing.current.is_(True), AbnormalListing.removed_on.is_(None))


def capital_overdue(today: date) -> Select[Any]:
    model = CapitalContribution
    return _distinct(model, model.current.is_(True), model.due_date < today,
                     func.coalesce(model.paid_amount, 0) < model.subscribed_amount)


QUERIES: dict[str, Callable[[date], Select[Any]]] = {
    "young": young,
    "no_address": no_address,
    "revoked": revoked,
    "permit_revoked": permit_revoked,
    "permit_expired": permit_expired,
    "supervision_problem": supervision_problem,
    "penalty": penalty,
    "penalty_heavy": penalty_heavy,
    "complaint": complaint,
    "random_unqualified": random_unqualified,
    "random_problem": random_problem,
    "sanction": sanction,
    "lawsuit": lawsuit,
    "abnormal": abnormal,
    "capital_overdue": capital_overdue,
}
