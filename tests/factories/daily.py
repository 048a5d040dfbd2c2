"""Market entities, permits, categories and tasks for the 日常监管 tests (services/daily)."""

from __future__ import annotations

from datetime import date
from typing import Any

from models import Penalty, Permit, db
from models.daily import CategoryKind, SupervisionCategory
from models.facts import FactSource
from tests.factories.directories import make_entity, uscc

_N = [7000]


def entity(org: Any, district: str = "a", **overrides: Any) -> Any:
    """A new entity of district A (or B: division 510109…)."""
    _N[0] += 1
    n = _N[0]
    if district == "b":
        overrides.setdefault("division_code", "510109001000")
        overrides.setdefault("uscc", uscc(f"91510109MA6D{n:05d}"))
        overrides.setdefault("name", f"乙区测试{n:04d}商贸有限公司")
        return make_entity(org.clerk_b, n, **overrides)
    return make_entity(org.clerk_a, n, **overrides)


def permit(entity: Any, department: Any, status: str = "有效", valid_from: date | None = None) -> Permit:
    row = Permit(entity_id=entity.id, permit_no=f"XK{entity.id:08d}", name="食品经营许可证", kind="食品经营",
                 issuing_department=department.name, status=status, valid_from=valid_from,
                 source_department_id=department.id, source_kind=FactSource.ONLINE)
    db.session.add(row)
    db.session.flush()
    return row


def penalty(entity: Any, department: Any, decided_on: date) -> Penalty:
    row = Penalty(entity_id=entity.id, decision_no=f"CF{entity.id:08d}", decided_on=decided_on,
                  department=department.name, source_department_id=department.id, source_kind=FactSource.ONLINE)
    db.session.add(row)
    db.session.flush()
    return row


def category(department: Any, *, name: str = "餐饮重点行业", keywords: str = "餐饮", cycle: int = 30,
             lead: int = 3, starts_on: date = date(2026, 9, 1), ladder: tuple[int, int, int] = (2, 4, 6),
             form: list[dict[str, Any]] | None = None) -> SupervisionCategory:
    row = SupervisionCategory(department_id=department.id, name=name, kind=CategoryKind.INDUSTRY, keywords=keywords,
                              cycle_days=cycle, lead_days=lead, starts_on=starts_on, remind_days=ladder[0],
                              warn_days=ladder[1], due_days=ladder[2], form=form or [])
    db.session.add(row)
    db.session.flush()
    return row


def daily_setup(org: Any, entity: Any) -> dict[str, int]:
    """District A's bureau supervises ``entity`` with rules, a category and an approved task
    (for the scope walk)."""
    from services.daily import claim, objects, officers, tasks
    from services.daily.objects import supervisors_of

    claim(db.session, org.bureau_a.id, [entity.id], "claim", org.clerk_a)
    obj = supervisors_of(entity.id)[0]
    rule = objects.add_rule(org.clerk_a, "scope", "甲区机密关键字")
    officer_rule = officers.add_rule(org.clerk_a, "address", "甲区机密街道", org.inspector_a.id)
    cat = category(org.bureau_a, name="甲区机密分类")
    task = tasks.create_manual(org.clerk_a, {
        "title": "甲区机密任务", "period_start": "2026-11-02", "period_end": "2026-11-30", "items": "甲区机密事项",
        "entity": entity.uscc, "officer_id": str(org.inspector_a.id)})
    return {"object": obj.id, "rule": rule.id, "officer_rule": officer_rule.id, "category": cat.id, "task": task.id}
