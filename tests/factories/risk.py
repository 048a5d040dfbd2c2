"""Entities and facts for the risk-rule tests (services/risk/), written through the models.

Dates are relative to ``TODAY`` (the China day of tests.factories.clock.LATE_EVENING), which the
tests pass to the rules; ``NOW`` is that instant as stored (naive UTC)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from models import AbnormalListing, RiskRule, db
from services.risk.catalogue import BY_CODE
from services.risk.evaluate import collect
from tests.factories.clock import CHINA_DAY, LATE_EVENING
from tests.factories.directories import make_entity
from tests.factories.dossier import fact, person

TODAY = CHINA_DAY
NOW = LATE_EVENING
_numbers = itertools.count(8001)
_people = itertools.count(1)


def day(offset: int) -> date:
    """``TODAY`` plus ``offset`` days (negative: in the past)."""
    return TODAY + timedelta(days=offset)


def entity(org: Any, **overrides: Any) -> Any:
    n = next(_numbers)
    return make_entity(org.clerk_a, n, **overrides)


def someone(name: str = "张三") -> Any:
    n = next(_people)
    return person(f"{name}{n}", f"19800101{n:03d}")


def listed(org: Any, target: Any, on: date | None = None, **fields: Any) -> AbnormalListing:
    return fact(AbnormalListing, org.bureau_a, entity_id=target.id, listed_on=on or day(-30),
                reason=fields.pop("reason", "未按期公示年度报告"), **fields)


def hits(code: str, params: dict[str, int] | None = None, entity_ids: list[int] | None = None) -> set[int]:
    """The entities ``code`` hits on ``TODAY`` with ``params`` (default: the catalogue's)."""
    chosen = {**BY_CODE[code].defaults, **(params or {})}
    return set(collect(db.session, code, chosen, TODAY, entity_ids))


def rule(code: str) -> RiskRule:
    return db.session.query(RiskRule).filter_by(code=code).one()
