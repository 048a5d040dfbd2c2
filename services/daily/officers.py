"""分配管理责任者 (seed 004 §1.3): by 片区 (address keyword or division/street code prefix), by
the entity's attributes (type, industry, business scope), or by hand.

Rules apply in their order to the objects without a 管理责任者; each rule is one UPDATE.  An
object assigned by hand keeps its officer: a rule never overrides a choice.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from infrastructure.errors import Invalid
from models import Department, MarketEntity, User, db
from models.daily import OfficerRule, SupervisedObject
from persistence import audit
from services.daily.access import check_rule_value, entity_condition, require_keeper, require_officer


def add_rule(actor: User, kind: str, value: str, officer_id: int | None, area: str = "") -> OfficerRule:
    require_keeper(actor)
    rule_kind, value = check_rule_value(kind, value)
    officer = require_officer(actor.department, officer_id)
    position = len(rules_of(actor.department_id))
    rule = OfficerRule(department_id=actor.department_id, kind=rule_kind, value=value, area=area.strip()[:100],
                       officer_id=officer.id, position=position)
    db.session.add(rule)
    db.session.flush()
    audit.record("daily.officer_rule_add", object_type="officer_rule", object_id=rule.id,
                 summary={"类型": rule_kind.label, "内容": value, "片区": rule.area, "管理责任者": officer.name})
    return rule


def delete_rule(actor: User, rule: OfficerRule) -> None:
    require_keeper(actor)
    audit.record("daily.officer_rule_delete", object_type="officer_rule", object_id=rule.id,
                 summary={"类型": rule.kind.label, "内容": rule.value})
    db.session.delete(rule)
    db.session.flush()


def rules_of(department_id: int) -> list[OfficerRule]:
    return list(db.session.execute(select(OfficerRule).where(OfficerRule.department_id == department_id)
                                   .order_by(OfficerRule.position, OfficerRule.id)).scalars())


def auto_assign(session: Session, department: Department, actor: User | None = None) -> int:
    """Apply the department's rules to its objects without a 管理责任者; returns how many got one."""
    total = 0
    for rule in rules_of(department.id):
        matching = select(MarketEntity.id).where(entity_condition(rule.kind, rule.value))
        total += session.execute(
            update(SupervisedObject)
            .where(SupervisedObject.department_id == department.id, SupervisedObject.active.is_(True),
                   SupervisedObject.officer_id.is_(None), SupervisedObject.entity_id.in_(matching))
            .values(officer_id=rule.officer_id).execution_options(synchronize_session=False)
        ).rowcount or 0
    session.expire_all()
    if total:
        audit.record("daily.officer_auto", object_type="department", object_id=department.id, user=actor,
                     summary={"分配数量": total})
    return total


def assign(actor: User, objects: list[SupervisedObject], officer_id: int | None) -> int:
    """指定管理责任者 by hand for the chosen objects of the actor's department."""
    require_keeper(actor)
    if not objects:
        raise Invalid("请选择监管对象")
    officer = require_officer(actor.department, officer_id)
    for obj in objects:
        if obj.department_id != actor.department_id or not obj.active:
            raise Invalid("只能为本部门的监管对象指定管理责任者")
        obj.officer_id = officer.id
    db.session.flush()
    audit.record("daily.officer_assign", object_type="department", object_id=actor.department_id,
                 summary={"管理责任者": officer.name, "数量": len(objects)})
    return len(objects)
