"""风险库命中加权 of an ordinary object draw (issue 16 §5: risk-library hits as a draw weight;
docs/draws.md).

A scheme may set ``risk_weight`` (0–100, 0 = off): each open 风险库 warning of a member then
counts that many times, the member's weight being the trigger library's combined weight
``1 + Σ`` the weights of its hits (services/trigger/draws.combined_weight), i.e.
``1 + risk_weight × open warnings``.  A place or a product weighs as its responsible entity.
The draw is then the published script's weighted branch (services/trigger/draws.run_weighted:
Efraimidis–Spirakis keys from the same keyed hash), the weights stored in the population lines
that the digest and the commitments cover, so the full record re-computes byte for byte.
A task drawing from a 触发式 extraction keeps the extraction's own weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from infrastructure.errors import ServiceError
from models import DirectoryMember, Place, Product, RiskWarning, db
from services import draw as draw_service
from services.trigger.draws import combined_weight

MAX_WEIGHT = 100
FIELD = "risk_weight"


class WeightInvalid(ServiceError):
    status = 422


def parse(values: Mapping[str, Any]) -> int:
    """The form's 风险库命中加权: empty or 0 is off, else a whole number 1–100."""
    raw = str(values.get(FIELD, "") or "").strip()
    if not raw:
        return 0
    if not raw.isdecimal() or int(raw) > MAX_WEIGHT:  # full-width digits read as digits
        raise WeightInvalid(f"风险库命中加权应为0到{MAX_WEIGHT}之间的整数（每条未关闭的风险预警计作几次，0为不加权）",
                            field=FIELD)
    return int(raw)


def describe(weight: int) -> str:
    if not weight:
        return "不加权（每个对象被抽中的机会相同）"
    return f"按风险库命中加权：每条未关闭的风险预警计作{weight}次（权重 = 1 + {weight} × 未关闭预警数）"


def open_hits(directory_id: int) -> dict[str, int]:
    """Members of the directory with open 风险库 warnings: key → number of open warnings (a
    place or product: its responsible entity's).  One aggregate, then a join per kind."""
    hits = (select(RiskWarning.entity_id, func.count().label("n")).where(RiskWarning.status == "open")
            .group_by(RiskWarning.entity_id).subquery())
    out: dict[str, int] = {}
    member = DirectoryMember.directory_id == directory_id
    queries = (
        ("entity", select(DirectoryMember.entity_id, hits.c.n)
         .join(hits, hits.c.entity_id == DirectoryMember.entity_id)),
        ("place", select(DirectoryMember.place_id, hits.c.n).join(Place, Place.id == DirectoryMember.place_id)
         .join(hits, hits.c.entity_id == Place.entity_id)),
        ("product", select(DirectoryMember.product_id, hits.c.n).join(Product, Product.id == DirectoryMember.product_id)
         .join(hits, hits.c.entity_id == Product.entity_id)),
    )
    for kind, query in queries:
        for ident, n in db.session.execute(query.where(member)):
            out[f"{kind}:{ident}"] = int(n)
    return out


def weighted(population: draw_service.SortedPopulation, directory_id: int,
             per_hit: int) -> list[tuple[str, str, float]]:
    """The population as (key, stratum, weight) tuples for the weighted draw."""
    hits = open_hits(directory_id)
    weights = {n: float(combined_weight([per_hit] * n)) for n in set(hits.values())}
    get = hits.get
    return [(key, stratum, weights[n] if (n := get(key)) else 1.0)
            for key, stratum in zip(population.keys, population.strata)]  # noqa: B905 (parallel lists)


def of_draw(params: str | None) -> int:
    """The 风险库命中加权 a stored draw used (its ``params``), 0 when none."""
    import json

    try:
        return int(json.loads(params or "{}").get(FIELD) or 0)
    except (ValueError, TypeError, AttributeError):
        return 0
