"""监管认领 and 对象维护 (seed 004 监管措施规则 §1.2, §1.3).

``claim`` is the one way an entity becomes a department's 监管对象, set-based: every entity
must lie in the department's area (else the whole claim is refused, nothing written); a removed
object is taken back (its history row re-used), a new one inserted with INSERT … SELECT.  The
department's own permits (``fact_permit`` it provided or issued) are claimed automatically
(``sync_permits``); its 认领规则 give suggestions confirmed by a clerk; the 管理对象核查
(``check_removals``) lists 待移出 objects, removed one by one with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, or_, select, union, update
from sqlalchemy.orm import Session

from infrastructure.clock import china_today
from infrastructure.errors import Invalid, NotFound
from models import Department, MarketEntity, NoticeStatus, Permit, ScopeNotice, User, db, utcnow
from models.daily import ClaimRule, ObjectSource, SupervisedObject
from models.entity import EntityStatus
from persistence import audit
from services.daily.access import (
    OUTSIDE_AREA,
    area_entities,
    check_rule_value,
    entity_condition,
    inserted,
    require_keeper,
)

CHUNK = 5000


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def claim(session: Session, department_id: int, entity_ids: Iterable[int], source: ObjectSource | str,
          actor: User | None) -> int:
    """列为监管对象: the entities become the department's objects.  Returns how many were added
    or taken back (an object already active is left as it is)."""
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound("部门不存在")
    source = ObjectSource(source)
    ids = sorted(set(entity_ids))
    if not ids:
        return 0
    area = area_entities(department)
    outside: list[int] = []
    for part in _chunks(ids):
        inside = set(session.execute(area.where(MarketEntity.id.in_(part))).scalars())
        outside += [i for i in part if i not in inside]
    if outside:
        names = session.execute(select(MarketEntity.name).where(MarketEntity.id.in_(outside[:5]))).scalars()
        shown = "、".join(names) or "、".join(str(i) for i in outside[:5])
        raise Invalid(OUTSIDE_AREA.format(names=shown + ("等" if len(outside) > 5 else "")))
    today, now, actor_id = china_today(), utcnow(), actor.id if actor else None
    count = 0
    for part in _chunks(ids):
        count += session.execute(
            update(SupervisedObject)
            .where(SupervisedObject.department_id == department_id, SupervisedObject.entity_id.in_(part),
                   SupervisedObject.active.is_(False))
            .values(active=True, source=source, since=today, removed_at=None, removed_by_id=None,
                    removal_reason="", pending_removal="", created_by_id=actor_id)
            .execution_options(synchronize_session=False)
        ).rowcount or 0
        count += _insert_missing(session, department_id, MarketEntity.id.in_(part), source, actor_id, today, now)
    if count:
        audit.record("daily.claim", object_type="department", object_id=department_id, user=actor,
                     summary={"来源": source.label, "数量": count})
    return count


def _insert_missing(session: Session, department_id: int, condition: Any, source: ObjectSource,
                    actor_id: int | None, today: Any, now: Any) -> int:
    """INSERT … SELECT the entities matching ``condition`` the department has no row for."""
    taken = exists().where(SupervisedObject.department_id == department_id,
                           SupervisedObject.entity_id == MarketEntity.id)
    rows = select(
        literal(department_id), MarketEntity.id, literal(source.value), literal(today), literal(True),
        literal(""), literal(""), literal(actor_id), literal(now),
    ).where(condition, ~taken)
    return inserted(session, insert(SupervisedObject.__table__).from_select(
        ["department_id", "entity_id", "source", "since", "active", "pending_removal", "removal_reason",
         "created_by_id", "created_at"], rows))


def own_permits(department: Department) -> Any:
    """The condition on ``fact_permit`` of the department's valid permits (provided or issued)."""
    return and_(Permit.current.is_(True), Permit.status == "有效", Permit.entity_id.is_not(None),
                or_(Permit.source_department_id == department.id, Permit.issuing_department == department.name))


def licensed(department: Department) -> Any:
    """The entities the department licensed: a valid permit of its own, or a 双告知 notice it
    answered 已发证 (docs/notice.md) — both make the entity its supervised object."""
    return union(select(Permit.entity_id).where(own_permits(department)),
                 select(ScopeNotice.entity_id).where(ScopeNotice.department_id == department.id,
                                                     ScopeNotice.status == NoticeStatus.ISSUED))


def sync_permits(session: Session, department: Department, actor: User | None = None) -> int:
    """自动: entities holding a valid permit of the department, or answered 已发证 by it under
    双告知, become its objects (never an object the department removed: taking it back is a
    clerk's decision)."""
    permitted = licensed(department)
    in_area = MarketEntity.id.in_(area_entities(department))
    count = _insert_missing(session, department.id, and_(MarketEntity.id.in_(permitted), in_area),
                            ObjectSource.AUTO, actor.id if actor else None, china_today(), utcnow())
    if count:
        audit.record("daily.claim", object_type="department", object_id=department.id, user=actor,
                     summary={"来源": ObjectSource.AUTO.label, "数量": count})
    return count


def find_entity(actor: User, text: str) -> MarketEntity:
    """单体认领: one entity of the actor's area by its exact name or 统一社会信用代码/注册号."""
    text = text.strip()
    if not text:
        raise Invalid("请输入市场主体名称或统一社会信用代码", field="query")
    found = db.session.execute(
        select(MarketEntity).where(
            or_(MarketEntity.name == text, MarketEntity.uscc == text.upper(), MarketEntity.reg_no == text),
        ).limit(2)
    ).scalars().all()
    if not found:
        raise Invalid(f"未找到市场主体“{text}”", field="query")
    if len(found) > 1:
        raise Invalid(f"名称为“{text}”的市场主体不止一个，请输入统一社会信用代码", field="query")
    return found[0]


def filter_condition(name: str = "", industry: str = "", scope: str = "", entity_type: str = "") -> Any:
    parts = [entity_condition(k, v) for k, v in (("name", name), ("industry", industry), ("scope", scope),
                                                    ("type", entity_type)) if v.strip()]
    return and_(*parts) if parts else None


def candidates(actor: User, condition: Any, limit: int = 200) -> list[MarketEntity]:
    """The area's active entities matching ``condition`` not yet the actor department's objects."""
    taken = exists().where(SupervisedObject.department_id == actor.department_id,
                           SupervisedObject.entity_id == MarketEntity.id, SupervisedObject.active.is_(True))
    query = select(MarketEntity).where(MarketEntity.id.in_(area_entities(actor.department)),
                                       MarketEntity.status == EntityStatus.ACTIVE, ~taken)
    if condition is not None:
        query = query.where(condition)
    return list(db.session.execute(query.order_by(MarketEntity.name).limit(limit)).scalars())


# ------------------------------------------------------------------ 认领规则


def add_rule(actor: User, kind: str, value: str) -> ClaimRule:
    require_keeper(actor)
    rule_kind, value = check_rule_value(kind, value)
    if db.session.execute(select(ClaimRule.id).where(ClaimRule.department_id == actor.department_id,
                                                     ClaimRule.kind == rule_kind, ClaimRule.value == value)).first():
        raise Invalid("该认领规则已存在", field="value")
    rule = ClaimRule(department_id=actor.department_id, kind=rule_kind, value=value, created_by_id=actor.id)
    db.session.add(rule)
    db.session.flush()
    audit.record("daily.rule_add", object_type="claim_rule", object_id=rule.id,
                 summary={"类型": rule_kind.label, "内容": value})
    return rule


def delete_rule(actor: User, rule: ClaimRule) -> None:
    require_keeper(actor)
    audit.record("daily.rule_delete", object_type="claim_rule", object_id=rule.id,
                 summary={"类型": rule.kind.label, "内容": rule.value})
    db.session.delete(rule)
    db.session.flush()


def rules_of(department_id: int) -> list[ClaimRule]:
    return list(db.session.execute(
        select(ClaimRule).where(ClaimRule.department_id == department_id).order_by(ClaimRule.id)).scalars())


def rules_condition(department_id: int) -> Any:
    rules = rules_of(department_id)
    return or_(*(entity_condition(r.kind, r.value) for r in rules)) if rules else None


def suggestions(actor: User, limit: int = 200) -> list[MarketEntity]:
    """列为监管对象: the entities the department's rules find (confirmed by a clerk)."""
    condition = rules_condition(actor.department_id)
    return [] if condition is None else candidates(actor, condition, limit)


# ------------------------------------------------------------------ 移出管理对象


def check_removals(session: Session, department: Department) -> int:
    """管理对象核查: list as 待移出 the active objects that lost the department's permit (自动),
    no longer match its rules (规则) or are no longer active in the registry; clear the mark
    of those that match again.  Returns how many are 待移出 now."""
    permitted = licensed(department)
    rules = rules_condition(department.id)
    matching = select(MarketEntity.id).where(rules) if rules is not None else None
    inactive = select(MarketEntity.id).where(MarketEntity.status != EntityStatus.ACTIVE)
    base = and_(SupervisedObject.department_id == department.id, SupervisedObject.active.is_(True))
    reasons = [
        (SupervisedObject.entity_id.in_(inactive), "市场主体已注销、吊销或迁出"),
        (and_(SupervisedObject.source == ObjectSource.AUTO.value, SupervisedObject.entity_id.not_in(permitted)),
         "已不再持有本部门许可证"),
    ]
    rule_lost = SupervisedObject.source == ObjectSource.RULE.value
    if matching is not None:
        rule_lost = and_(rule_lost, SupervisedObject.entity_id.not_in(matching))
    reasons.append((rule_lost, "经营范围或行业已变更，不再符合认领规则"))
    session.execute(update(SupervisedObject).where(base).values(pending_removal="")
                    .execution_options(synchronize_session=False))
    for condition, reason in reasons:
        session.execute(update(SupervisedObject).where(base, condition, SupervisedObject.pending_removal == "")
                        .values(pending_removal=reason).execution_options(synchronize_session=False))
    session.expire_all()
    return session.execute(select(func.count()).where(base, SupervisedObject.pending_removal != "")).scalar_one()


def remove(actor: User, obj: SupervisedObject, reason: str) -> None:
    """移出管理: one object after the clerk's check; it is no longer among the objects."""
    require_keeper(actor)
    reason = reason.strip()
    if not reason:
        raise Invalid("请填写移出原因", field="reason")
    if not obj.active:
        raise Invalid("该监管对象已移出")
    obj.active, obj.removed_at, obj.removed_by_id = False, utcnow(), actor.id
    obj.removal_reason, obj.pending_removal = reason[:2000], ""
    db.session.flush()
    audit.record("daily.remove", object_type="supervised_object", object_id=obj.id,
                 summary={"市场主体": obj.entity.name, "原因": reason})


def supervisors_of(entity_id: int) -> list[SupervisedObject]:
    """Who supervises an entity (the dossier shows it)."""
    return list(db.session.execute(
        select(SupervisedObject).where(SupervisedObject.entity_id == entity_id, SupervisedObject.active.is_(True))
        .order_by(SupervisedObject.since)).scalars())


def objects_query(actor: User, *, pending: bool = False, officer_id: int | None = None,
                  text: str = "") -> Any:
    query = (select(SupervisedObject).join(MarketEntity, MarketEntity.id == SupervisedObject.entity_id)
             .where(SupervisedObject.department_id == actor.department_id, SupervisedObject.active.is_(True)))
    if pending:
        query = query.where(SupervisedObject.pending_removal != "")
    if officer_id == 0:
        query = query.where(SupervisedObject.officer_id.is_(None))
    elif officer_id:
        query = query.where(SupervisedObject.officer_id == officer_id)
    if text.strip():
        query = query.where(or_(MarketEntity.name.contains(text.strip()), MarketEntity.uscc == text.strip()))
    return query.order_by(MarketEntity.name)
