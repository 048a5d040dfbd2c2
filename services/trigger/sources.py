"""The kinds of source a 触发式规则 can watch: a small registry (docs/trigger.md).

A source kind is a key, a Chinese label, a ``clean`` that checks the rule's parameters as typed
(returning them as stored, or raising ``Invalid`` in Chinese), a ``describe`` for the pages, and
a ``query`` that, given a ``Context`` (the rule's parameters, the China date the build judges
by, and the subquery of the entities of the rule's area), returns one SELECT whose first column
is ``entity_id``: the entities the rule hits, each at most once.  The build (library.py) unions
these SELECTs, so a source never loops in Python.

Built in:
- ``risk_rule``: entities with an open warning of the chosen 风险库 rules (any rule code,
  including rules other chapters add, e.g. court delivery failures);
- ``complaints``: entities with at least N current 投诉举报 received in the last D days;
- ``sandbox_clue``: entities with an open 信用沙盒 clue (表27, docs/sandbox.md), of one level
  (提示线索 / 预警线索) or either.

Another chapter adds its own with a ``register`` call of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from infrastructure.errors import Invalid
from models import RiskRule, RiskWarning, SandboxClue, db
from models.facts.disputes import Complaint


@dataclass(frozen=True)
class Context:
    params: Mapping[str, Any]
    today: date
    entities: Any  # a subquery of the ids of the entities of the rule's area


@dataclass(frozen=True)
class SourceKind:
    key: str
    label: str
    clean: Callable[[Mapping[str, Any]], dict[str, Any]]
    describe: Callable[[Mapping[str, Any]], str]
    query: Callable[[Context], Select[Any]]


SOURCES: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    if kind.key in SOURCES:
        raise ValueError(f"trigger source {kind.key} registered twice")
    SOURCES[kind.key] = kind
    return kind


def get(key: str) -> SourceKind:
    kind = SOURCES.get(key)
    if kind is None:
        raise Invalid("请选择触发来源")
    return kind


def choices() -> list[tuple[str, str]]:
    return [(k.key, k.label) for k in SOURCES.values()]


def _int(value: Any, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(f"{label}应为{low}到{high}之间的整数") from None
    if not low <= number <= high:
        raise Invalid(f"{label}应为{low}到{high}之间的整数")
    return number


# ------------------------------------------------------------------ 风险库 hits


def risk_rule_codes() -> list[tuple[str, str]]:
    return [(code, name) for code, name in db.session.execute(select(RiskRule.code, RiskRule.name).order_by(RiskRule.id))]


def _clean_risk(params: Mapping[str, Any]) -> dict[str, Any]:
    raw = params.get("codes") or []
    codes = [raw] if isinstance(raw, str) else list(raw)
    codes = sorted({str(c).strip() for c in codes if str(c).strip()})
    if not codes:
        raise Invalid("请至少选择一条风险预警规则")
    known = {code for code, _ in risk_rule_codes()}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid(f"没有风险预警规则“{unknown[0]}”")
    return {"codes": codes}


def _describe_risk(params: Mapping[str, Any]) -> str:
    names = dict(risk_rule_codes())
    return "风险库中命中：" + "、".join(names.get(c, c) for c in params.get("codes", []))


def _risk_query(ctx: Context) -> Select[Any]:
    return (
        select(RiskWarning.entity_id)
        .join(RiskRule, RiskRule.id == RiskWarning.rule_id)
        .where(RiskWarning.status == "open", RiskRule.code.in_(list(ctx.params["codes"])),
               RiskWarning.entity_id.in_(ctx.entities))
        .group_by(RiskWarning.entity_id)
    )


# ------------------------------------------------------------------ complaints


def _clean_complaints(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"count": _int(params.get("count"), "投诉举报次数", 1, 1000),
            "days": _int(params.get("days"), "统计天数", 1, 3660)}


def _describe_complaints(params: Mapping[str, Any]) -> str:
    return f"{params.get('days')}日内投诉举报不少于{params.get('count')}次"


def _complaints_query(ctx: Context) -> Select[Any]:
    since = ctx.today - timedelta(days=int(ctx.params["days"]) - 1)
    return (
        select(Complaint.entity_id)
        .where(Complaint.current.is_(True), Complaint.received_on >= since, Complaint.received_on <= ctx.today,
               Complaint.entity_id.in_(ctx.entities))
        .group_by(Complaint.entity_id)
        .having(func.count() >= int(ctx.params["count"]))
    )


RISK_RULE = register(SourceKind("risk_rule", "风险库命中", _clean_risk, _describe_risk, _risk_query))
COMPLAINTS = register(SourceKind("complaints", "投诉举报", _clean_complaints, _describe_complaints,
                                 _complaints_query))


# ------------------------------------------------------------------ 信用沙盒 clues (表27)

CLUE_LEVELS = ("提示", "预警")


def _clean_level(params: Mapping[str, Any]) -> dict[str, Any]:
    level = str(params.get("level") or "").strip()
    if level and level not in CLUE_LEVELS:
        raise Invalid("线索级别应为“提示”或“预警”，或不限")
    return {"level": level}


def _describe_level(params: Mapping[str, Any]) -> str:
    level = params.get("level") or ""
    return f"信用沙盒中有未关闭的{level + '线索' if level else '线索（提示或预警）'}"


def _sandbox_query(ctx: Context) -> Select[Any]:
    query = select(SandboxClue.entity_id).where(SandboxClue.closed_at.is_(None), SandboxClue.entity_id.in_(ctx.entities))
    if ctx.params.get("level"):
        query = query.where(SandboxClue.level == ctx.params["level"])
    return query.group_by(SandboxClue.entity_id)


SANDBOX_CLUE = register(SourceKind("sandbox_clue", "信用沙盒线索", _clean_level, _describe_level, _sandbox_query))
