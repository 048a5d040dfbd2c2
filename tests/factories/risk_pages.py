"""风险库 rows for the page tests (services/risk): entities of district A or B and warnings written
through the models, as the engine would store them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from models import Complaint, FactSource, db
from models.risk import RiskRule, RiskWarning
from services import entities
from tests.factories.directories import make_entity, uscc


def rule(code: str) -> RiskRule:
    return db.session.execute(select(RiskRule).where(RiskRule.code == code)).scalar_one()


def entity(org: Any, n: int, **overrides: Any) -> Any:
    """Entity ``n`` of district A (division 510108001…)."""
    return make_entity(org.clerk_a, n, **overrides)


def entity_b(org: Any, n: int) -> Any:
    """Entity ``n`` of district B (division 510109…)."""
    return entities.create_entity(org.clerk_b, {
        "name": f"乙区测试{n:04d}有限公司", "uscc": uscc(f"91510109MA6E{n:05d}"), "entity_type": "enterprise",
        "division_code": "510109001000", "status": "active"})


def warning(entity: Any, code: str = "abnormal_list", *, department: Any = None, days_ago: int = 0,
            status: str = "open", reason: str = "", **fields: Any) -> RiskWarning:
    seen = clock.now() - timedelta(days=days_ago)
    row = RiskWarning(
        entity_id=entity.id, rule_id=rule(code).id, department_id=department.id if department else None,
        status=status, first_seen_at=seen, last_seen_at=seen, closed_at=seen if status == "closed" else None,
        evidence=fields.pop("evidence", [{"kind": "abnormal", "id": 1, "label": "2026-01-05 列入经营异常名录"}]),
        reason=reason, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def complaints(org: Any, entity: Any, n: int, days_ago: int = 10) -> list[Complaint]:
    """``n`` complaints received ``days_ago`` days ago (投诉举报预警)."""
    rows = [Complaint(entity_id=entity.id, source_department_id=org.bureau_a.id, source_kind=FactSource.ONLINE,
                      received_on=clock.china_today() - timedelta(days=days_ago), subject=f"投诉{i}")
            for i in range(n)]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def open_count(rule: RiskRule) -> int:
    return db.session.query(RiskWarning).filter_by(rule_id=rule.id, status="open").count()
