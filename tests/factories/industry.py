"""A joint task of one industry with published records and A.3.1 rows, written directly (the
inspection pages have their own tests): for the 一业一评 / 一业一册 tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from models import InspectionRecordLine, Task, db
from models.inspections import ResultCategory
from models.plans import PlanKind
from tests.factories.deadlines import dispatched_task, objects_of, record

OK = ResultCategory.NO_PROBLEM
ORDERED = ResultCategory.ORDERED


def industry_task(org: Any, *, industry: str = "H6210", year: int = 2026, results: tuple[Any, ...] = (OK, ORDERED),
                  joint: bool = True, department: Any = None, lines: dict[int, list[tuple[str, str]]] | None = None,
                  basis: str = "《中华人民共和国食品安全法》第五十五条") -> Task:
    """A dispatched task whose plan is joint (or not) of ``year``, whose item is of ``industry``,
    with one object per result and a published record of the initiator for each (``None``: no
    record); ``lines[i]`` are the A.3.1 rows (检查项目, 检查结果) of the i-th record."""
    department = department or org.bureau_a
    task = dispatched_task(org, objects=len(results), end=date(year, 9, 30), department=department,
                           participants=(org.health_a,) if department == org.bureau_a else ())
    task.plan.kind = PlanKind.JOINT if joint else PlanKind.SINGLE
    task.plan.year = year
    task.item.industry_code = industry
    task.item.basis = basis
    for i, (obj, result) in enumerate(zip(objects_of(task), results, strict=True)):
        if result is None:
            continue
        rec = record(task, obj, department, result=result)
        for pos, (item, outcome) in enumerate((lines or {}).get(i, [])):
            db.session.add(InspectionRecordLine(record_id=rec.id, position=pos, check_item=item, content="",
                                                outcome=outcome))
    db.session.flush()
    return task
