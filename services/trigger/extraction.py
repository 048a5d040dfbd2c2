"""提取监管对象 (表28): the 触发式对象库 of a department, filtered, previewed and taken into
one of its tasks (docs/trigger.md).

The filters: the rule that hits (any rule of the department), the least combined weight, a
division-code prefix and "first seen on or after" (a China date).  The preview counts the
entries, their total weight and how many there are per credit-risk grade.  ``extract`` freezes
the filtered entries with their weights into a ``TriggerExtraction`` of a task of the same
department whose objects are not drawn yet (one INSERT … SELECT); the task's object draw then
draws from these members, weighted (services/object_draws.py, ``population``), instead of the
item's object directory.  Extracting again before the draw replaces the extraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, exists, func, insert, literal, select, update

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Draw, DrawDomain, DrawStatus, MarketEntity, Task, User, db, utcnow
from models.trigger import TriggerExtraction, TriggerExtractionMember, TriggerHit, TriggerObject, TriggerRule
from persistence import audit
from services.trigger import flow
from services.trigger.rules import is_clerk

UNGRADED = "-"
GRADE_LABELS = {"A": "A类", "B": "B类", "C": "C类", "D": "D类", "E": "E类", UNGRADED: "未分级"}
PAGE_SIZE = 200


@dataclass
class Filters:
    rule_id: int | None = None
    min_weight: int | None = None
    division: str = ""
    since: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "min_weight": self.min_weight, "division": self.division,
                "since": self.since.isoformat() if self.since else None}


def parse_filters(args: Mapping[str, Any], department_id: int) -> Filters:
    out = Filters()
    rule = str(args.get("rule") or "").strip()
    if rule:
        found = db.session.get(TriggerRule, int(rule)) if rule.isdigit() else None
        if found is None or found.department_id != department_id:
            raise Invalid("请选择本部门的触发式规则", "rule")
        out.rule_id = found.id
    weight = str(args.get("min_weight") or "").strip()
    if weight:
        if not weight.isdigit() or int(weight) <= 0:
            raise Invalid("最低权重应为大于0的整数", "min_weight")
        out.min_weight = int(weight)
    division = str(args.get("division") or "").strip()
    if division and (not division.isdigit() or len(division) > 12):
        raise Invalid("行政区划代码应为不超过12位的数字", "division")
    out.division = division
    since = str(args.get("since") or "").strip()
    if since:
        try:
            out.since = date.fromisoformat(since)
        except ValueError:
            raise Invalid("首次命中日期格式不正确，应为2026-01-05", "since") from None
    return out


def _entries(department_id: int, filters: Filters) -> Any:
    query = (
        select(TriggerObject.id, TriggerObject.entity_id, TriggerObject.weight, TriggerObject.rule_count,
               TriggerObject.first_seen_at, TriggerObject.last_seen_at, MarketEntity.name,
               func.coalesce(MarketEntity.uscc, MarketEntity.reg_no).label("code"),
               func.coalesce(func.nullif(MarketEntity.credit_grade, ""), UNGRADED).label("grade"))
        .join(MarketEntity, MarketEntity.id == TriggerObject.entity_id)
        .where(TriggerObject.department_id == department_id, TriggerObject.status == "open")
    )
    if filters.rule_id is not None:
        query = query.where(exists().where(
            TriggerHit.department_id == department_id, TriggerHit.entity_id == TriggerObject.entity_id,
            TriggerHit.rule_id == filters.rule_id))
    if filters.min_weight is not None:
        query = query.where(TriggerObject.weight >= filters.min_weight)
    if filters.division:
        query = query.where(MarketEntity.division_code.startswith(filters.division))
    if filters.since is not None:
        query = query.where(TriggerObject.first_seen_at >= clock.from_china(datetime.combine(filters.since, time())))
    return query


@dataclass
class Preview:
    count: int = 0
    weight_total: int = 0
    by_grade: dict[str, int] = field(default_factory=dict)

    def grade_rows(self) -> list[tuple[str, int]]:
        return [(GRADE_LABELS[g], self.by_grade[g]) for g in GRADE_LABELS if self.by_grade.get(g)]


def preview(department_id: int, filters: Filters) -> Preview:
    sub = _entries(department_id, filters).subquery()
    out = Preview()
    for grade, n, weight in db.session.execute(
        select(sub.c.grade, func.count(), func.coalesce(func.sum(sub.c.weight), 0)).group_by(sub.c.grade)
    ):
        out.by_grade[grade] = n
        out.count += n
        out.weight_total += int(weight)
    return out


def entries(department_id: int, filters: Filters, *, limit: int = PAGE_SIZE) -> list[Any]:
    query = _entries(department_id, filters).order_by(TriggerObject.weight.desc(), TriggerObject.entity_id)
    return list(db.session.execute(query.limit(limit)))


def rules_hitting(department_id: int, entity_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not entity_ids:
        return out
    for entity_id, name in db.session.execute(
        select(TriggerHit.entity_id, TriggerRule.name).join(TriggerRule, TriggerRule.id == TriggerHit.rule_id)
        .where(TriggerHit.department_id == department_id, TriggerHit.entity_id.in_(entity_ids))
        .order_by(TriggerRule.id)
    ):
        out.setdefault(entity_id, []).append(name)
    return out


# ------------------------------------------------------------------ into a task


def is_drawn(task: Task) -> bool:
    return db.session.execute(select(exists().where(
        Draw.task_id == task.id, Draw.domain == DrawDomain.OBJECT, Draw.status == DrawStatus.LOCKED))).scalar_one()


def open_tasks(user: User) -> list[Task]:
    """The tasks of the user's department whose objects are not drawn yet."""
    drawn = exists().where(Draw.task_id == Task.id, Draw.domain == DrawDomain.OBJECT, Draw.status == DrawStatus.LOCKED)
    return list(db.session.execute(
        select(Task).where(Task.department_id == user.department_id, ~drawn).order_by(Task.id.desc()).limit(200)
    ).scalars())


def extract(user: User, task: Task, filters: Filters) -> TriggerExtraction:
    """提取监管对象 into ``task`` (replacing an extraction made before the draw)."""
    if not is_clerk(user):
        raise Forbidden("只有监管部门的业务人员可以提取监管对象")
    if task.department_id != user.department_id:
        raise Forbidden("只能提取到本部门的抽查任务")
    if is_drawn(task):
        raise Conflict("该抽查任务已抽取检查对象，不能再提取监管对象")
    counted = preview(user.department_id, filters)
    if counted.count == 0:
        raise Invalid("触发式对象库中没有符合条件的对象，请调整条件")
    previous = flow.extraction_of(task)
    if previous is not None:
        db.session.execute(delete(TriggerExtractionMember).where(TriggerExtractionMember.extraction_id == previous.id))
        db.session.delete(previous)
        db.session.flush()
    extraction = TriggerExtraction(department_id=user.department_id, task_id=task.id, filters=filters.as_dict(),
                                   size=counted.count, weight_total=counted.weight_total, created_by_id=user.id,
                                   created_at=utcnow())
    db.session.add(extraction)
    db.session.flush()
    if previous is not None:  # the rules whose instances went into the replaced extraction follow
        db.session.execute(update(TriggerRule).where(TriggerRule.extraction_id == previous.id)
                           .values(extraction_id=extraction.id).execution_options(synchronize_session="fetch"))
    sub = _entries(user.department_id, filters).subquery()
    db.session.execute(insert(TriggerExtractionMember).from_select(
        ["extraction_id", "entity_id", "weight"], select(literal(extraction.id), sub.c.entity_id, sub.c.weight)))
    audit.record("create", object_type="trigger_extraction", object_id=extraction.id,
                 summary={"抽查任务": task.name, "对象": counted.count, "权重合计": counted.weight_total,
                          "条件": filters.as_dict()}, user=user)
    flow.extracted(user, extraction, task)
    return extraction


# ------------------------------------------------------------------ the draw's population


def population(task: Task) -> list[tuple[str, str, float]] | None:
    """The weighted members (``entity:<id>``, credit-risk grade, weight) of a task with an
    extraction, in key order; None for a task drawn from its object directory."""
    extraction = flow.extraction_of(task)
    if extraction is None:
        return None
    rows = db.session.execute(
        select(TriggerExtractionMember.entity_id, func.coalesce(func.nullif(MarketEntity.credit_grade, ""), UNGRADED),
               TriggerExtractionMember.weight)
        .join(MarketEntity, MarketEntity.id == TriggerExtractionMember.entity_id)
        .where(TriggerExtractionMember.extraction_id == extraction.id)
    )
    return sorted((f"entity:{ident}", grade, float(weight)) for ident, grade, weight in rows)


def stratum_counts(task: Task) -> dict[str, int] | None:
    members = population(task)
    if members is None:
        return None
    counts: dict[str, int] = {}
    for _key, grade, _weight in members:
        counts[grade] = counts.get(grade, 0) + 1
    return counts
