"""Scoring the registry with the scorecards, set-based (seed 002 §四(三); docs/credit.md).

One run is a fixed number of INSERT … SELECT and UPDATE … FROM statements whatever the number
of entities — no Python loop per entity — on SQLite and PostgreSQL:

1. ``credit_score_total``: each entity in scope with its card (the first card whose industry
   prefix or tag fits), 100 points and whether it has a grade record yet (new entities get
   theirs after the scoring, with the national grade the registry holds and the local one);
2. ``credit_score_item``: per indicator, one INSERT of the entities it holds for with the
   points of their card (times the facts counted, capped at the group's weight) — the breakdown;
3. the totals lose each group's points, capped at its weight, and take their card's grade;
4. ``credit_grade_record``: the national grade as last imported (``market_entity.credit_grade``
   with its source and date, when they differ from what the record knows), the local grade and
   score, then the effective grade by the registry's basis (national, local, worse of the two);
   every change of a grade is written to ``credit_grade_change`` with its reason;
5. ``market_entity.credit_grade`` := the effective grade, the column the draws read.

Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, func, insert, literal, or_, select, update

from infrastructure import clock
from models import EntityTag, MarketEntity, User, db
from models.base import utcnow
from models.credit import GradeBasis, GradeChange, GradeRecord, ScoreItem, ScoreTotal
from persistence.bulk import refresh_statistics
from services.credit import cards as card_config
from services.credit.indicators import QUERIES

ANALYZE_AFTER = 10_000  # rows written in a run from which PostgreSQL's statistics are refreshed
BASIS_LABELS = {"national": "国家等级", "local": "本地评分等级", "worse": "国家等级与本地等级中较差者"}
ME = MarketEntity
R = GradeRecord


@dataclass
class RunResult:
    entities: int
    items: int
    changed: int  # effective grades changed
    seconds: float


def _card_expr(cards: dict[str, dict[str, Any]]) -> Any:
    whens = []
    for key, cfg in cards.items():
        if key == "default":
            continue
        by_length: dict[int, list[str]] = {}
        for prefix in cfg["industries"]:
            by_length.setdefault(len(prefix), []).append(prefix)
        # one IN per prefix length: cheaper per row than a LIKE per prefix
        terms = [func.substr(ME.industry_code, 1, n).in_(prefixes) for n, prefixes in sorted(by_length.items())]
        if cfg["tags"]:
            terms.append(exists().where(EntityTag.entity_id == ME.id, EntityTag.tag.in_(cfg["tags"])))
        if terms:
            whens.append((or_(*terms), key))
    return case(*whens, else_="default") if whens else literal("default")


def _by_card(cards: dict[str, dict[str, Any]], pick: Any) -> Any:
    """A CASE on credit_score_total.card_key giving each card's number."""
    return case({key: Decimal(str(pick(cfg))) for key, cfg in cards.items()}, value=ScoreTotal.card_key,
                else_=Decimal(0))


def _empty(model: Any) -> None:
    """Empty a table of this run's: TRUNCATE on PostgreSQL (a DELETE leaves a dead row per row,
    and the next run reads past them); SQLite's DELETE without WHERE already truncates."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"TRUNCATE {model.__tablename__}")
    else:
        db.session.execute(delete(model))


def _count(query: Select[Any]) -> int:
    return int(db.session.execute(query).scalar() or 0)


def _in_scope(column: Any, scope: Select[Any] | None) -> Any:
    return column.in_(scope) if scope is not None else literal(True)


def _totals(cards: dict[str, dict[str, Any]], scope: Select[Any] | None) -> int:
    _empty(ScoreTotal)
    # ``fresh``: no record yet (an outer join, not an anti-join against the table create_records
    # fills: PostgreSQL would rescan the growing table per row)
    source = (select(ME.id, _card_expr(cards), literal(Decimal(100)), literal("A"), R.entity_id.is_(None))
              .select_from(ME).outerjoin(R, R.entity_id == ME.id).where(_in_scope(ME.id, scope)))
    db.session.execute(
        insert(ScoreTotal.__table__).from_select(["entity_id", "card_key", "score", "grade", "fresh"], source))
    # counted, not rowcount: psycopg reports -1 for an INSERT … SELECT here
    return _count(select(func.count()).select_from(ScoreTotal))


def _items(cards: dict[str, dict[str, Any]], today: date, scope: Select[Any] | None) -> int:
    if scope is None:
        _empty(ScoreItem)
    else:
        db.session.execute(delete(ScoreItem).where(ScoreItem.entity_id.in_(scope)))
    for ind in card_config.INDICATORS:
        query = QUERIES[ind.key](today)
        if scope is not None:
            query = query.where(query.selected_columns.entity_id.in_(scope))
        hits = query.subquery()
        points = _by_card(cards, lambda cfg, k=ind.key: cfg["points"][k])
        weight = _by_card(cards, lambda cfg, g=ind.group: cfg["weights"][g])
        raw = points * hits.c.hits if ind.counted else points
        capped = case((raw > weight, weight), else_=raw)
        source = (select(ScoreTotal.entity_id, ScoreTotal.card_key, literal(ind.group), literal(ind.key),
                         hits.c.hits, capped, weight)
                  .join(hits, hits.c.entity_id == ScoreTotal.entity_id).where(points > 0))
        db.session.execute(insert(ScoreItem.__table__).from_select(
            ["entity_id", "card_key", "group_key", "indicator", "hits", "points", "group_weight"], source
        ))
    return _count(select(func.count()).select_from(ScoreItem).where(_in_scope(ScoreItem.entity_id, scope)))


def _score(cards: dict[str, dict[str, Any]]) -> None:
    per_group = (select(ScoreItem.entity_id,
                        case((func.sum(ScoreItem.points) > func.max(ScoreItem.group_weight),
                              func.max(ScoreItem.group_weight)), else_=func.sum(ScoreItem.points)).label("lost"))
                 .group_by(ScoreItem.entity_id, ScoreItem.group_key).subquery())
    lost = select(per_group.c.entity_id, func.sum(per_group.c.lost).label("lost")) \
        .group_by(per_group.c.entity_id).subquery()
    score = Decimal(100) - lost.c.lost
    grade = case(
        *((score >= _by_card(cards, lambda cfg, g=g: cfg["thresholds"][g]), g) for g in card_config.GRADE_LETTERS),
        else_="E",
    )
    # only the entities that lost points: the others keep 100 and A (no threshold exceeds 100)
    db.session.execute(update(ScoreTotal).where(ScoreTotal.entity_id == lost.c.entity_id)
                       .values(score=score, grade=grade).execution_options(synchronize_session=False))


def _change_rows(kind: str, source: Select[Any]) -> None:
    db.session.execute(insert(GradeChange.__table__).from_select(
        ["entity_id", "kind", "old_grade", "new_grade", "score", "reason", "changed_at", "changed_by_id"], source
    ))


def create_records() -> int:
    """Records for the entities of this run that had none (``credit_score_total.fresh``): the
    national grade as the registry holds it and the local grade just computed.  Their first
    grades are in the record itself (source, date, computed at); history rows start with the
    first change (apply_basis writes one at once when the registry's setting selects another
    grade than the national one)."""
    now = utcnow()
    fresh = _count(select(func.count()).select_from(ScoreTotal).where(ScoreTotal.fresh.is_(True)))
    source = (select(ME.id, ME.credit_grade, ME.credit_grade_source, ME.credit_grade_on, ScoreTotal.grade,
                     ScoreTotal.score, ScoreTotal.card_key, literal(now), ME.credit_grade, literal("national"))
              .join(ScoreTotal, ScoreTotal.entity_id == ME.id).where(ScoreTotal.fresh.is_(True)))
    db.session.execute(insert(R.__table__).from_select(
        ["entity_id", "national_grade", "national_source", "national_on", "local_grade", "local_score", "local_card",
         "computed_at", "effective_grade", "basis"], source,
    ))
    return fresh


def sync_national(scope: Select[Any] | None, user: User | None = None) -> None:
    """The national grade the registry's import (or form) wrote since the last run."""
    now, by = utcnow(), (user.id if user else None)
    reason = literal("导入国家等级：") + ME.credit_grade_source
    written = and_(R.entity_id == ME.id, _in_scope(ME.id, scope), or_(
        ME.credit_grade.is_distinct_from(R.effective_grade), ME.credit_grade_source != R.national_source,
        ME.credit_grade_on.is_distinct_from(R.national_on)))
    _change_rows("national", select(ME.id, literal("national"), R.national_grade, ME.credit_grade, literal(None),
                                    reason, literal(now), literal(by))
                 .where(written, ME.credit_grade.is_distinct_from(R.national_grade)))
    db.session.execute(update(R).where(written).values(
        national_grade=ME.credit_grade, national_source=ME.credit_grade_source, national_on=ME.credit_grade_on,
    ).execution_options(synchronize_session=False))


def _store_local(cards: dict[str, dict[str, Any]], user: User | None) -> None:
    now, by = utcnow(), (user.id if user else None)
    names = case({k: f"本地评分：{c['name']}" for k, c in cards.items()}, value=ScoreTotal.card_key, else_="本地评分")
    _change_rows("local", select(R.entity_id, literal("local"), R.local_grade, ScoreTotal.grade, ScoreTotal.score,
                                 names, literal(now), literal(by))
                 .join(ScoreTotal, ScoreTotal.entity_id == R.entity_id)
                 .where(ScoreTotal.fresh.is_(False), R.local_grade.is_distinct_from(ScoreTotal.grade)))
    # only what changed is written: ``computed_at`` is when the current score was reached
    differs = or_(R.local_grade.is_distinct_from(ScoreTotal.grade), R.local_score.is_distinct_from(ScoreTotal.score),
                  R.local_card != ScoreTotal.card_key)
    db.session.execute(update(R).where(R.entity_id == ScoreTotal.entity_id, ScoreTotal.fresh.is_(False), differs).values(
        local_grade=ScoreTotal.grade, local_score=ScoreTotal.score, local_card=ScoreTotal.card_key, computed_at=now,
    ).execution_options(synchronize_session=False))


def effective_expr() -> Any:
    """The grade a record's basis selects: for ``worse`` the later letter (E is the worst); a
    missing grade yields to the other."""
    worse = case((R.national_grade.is_(None), R.local_grade), (R.local_grade.is_(None), R.national_grade),
                 (R.national_grade > R.local_grade, R.national_grade), else_=R.local_grade)
    return case((R.basis == "local", R.local_grade), (R.basis == "worse", worse), else_=R.national_grade)


def apply_basis(scope: Select[Any] | None, user: User | None = None) -> int:
    """Each record's basis from its registry's setting, the effective grade it selects (with a
    history row per change), and ``market_entity.credit_grade`` set to it.  Returns the number
    of effective grades changed."""
    now, by = utcnow(), (user.id if user else None)
    # per registry with a setting (a few rows), then the others back to national; only changed
    # rows are written
    settings = db.session.execute(select(GradeBasis.department_id, GradeBasis.basis)).all()
    for department_id, basis in settings:
        members = select(ME.id).where(ME.department_id == department_id)
        db.session.execute(update(R).where(R.basis != basis, R.entity_id.in_(members), _in_scope(R.entity_id, scope))
                           .values(basis=basis).execution_options(synchronize_session=False))
    others = R.basis != "national"
    if settings:
        others = and_(others, R.entity_id.not_in(
            select(ME.id).where(ME.department_id.in_([d for d, _b in settings]))))
    db.session.execute(update(R).where(others, _in_scope(R.entity_id, scope))
                       .values(basis="national").execution_options(synchronize_session=False))
    target = effective_expr()
    reason = literal("抽查使用") + case(BASIS_LABELS, value=R.basis, else_="")
    changed = and_(_in_scope(R.entity_id, scope), R.effective_grade.is_distinct_from(target))
    _change_rows("effective", select(R.entity_id, literal("effective"), R.effective_grade, target, R.local_score,
                                     reason, literal(now), literal(by)).where(changed))
    count = _count(select(func.count()).select_from(R).where(changed))
    db.session.execute(update(R).where(changed).values(effective_grade=target)
                       .execution_options(synchronize_session=False))
    db.session.execute(
        update(ME).where(ME.id == R.entity_id, _in_scope(R.entity_id, scope),
                         ME.credit_grade.is_distinct_from(R.effective_grade))
        .values(credit_grade=R.effective_grade, updated_at=ME.updated_at)
        .execution_options(synchronize_session=False)
    )
    return count


def recompute(scope: Select[Any] | None = None, *, user: User | None = None, today: date | None = None) -> RunResult:
    """Score the entities of ``scope`` (a select of ids; None: the whole registry) and set the
    grades the draws use.  Set-based throughout (module docstring)."""
    import time

    started = time.perf_counter()
    today = today or clock.china_today()
    cards = card_config.load_cards()
    entities = _totals(cards, scope)
    sync_national(scope, user)
    items = _items(cards, today, scope)
    if entities >= ANALYZE_AFTER:
        refresh_statistics(ScoreTotal.__table__, ScoreItem.__table__)
    _score(cards)
    _store_local(cards, user)
    if create_records() >= ANALYZE_AFTER:
        refresh_statistics(R.__table__)
    if scope is None:  # records of entities deleted since (no foreign key: see models/credit.py)
        db.session.execute(delete(R).where(~exists().where(ME.id == R.entity_id)))
    changed = apply_basis(scope, user)
    _empty(ScoreTotal)
    db.session.expire_all()
    return RunResult(entities, items, changed, time.perf_counter() - started)
