"""Helpers for the task, scheme and draw tests: a published plan with a task (the plans chapter
makes them on its own pages), a directory of graded entities, a scheme walked to approval."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from models import (
    DirectoryMember,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    Plan,
    Task,
    TaskDepartment,
    db,
)
from models.entity import EntityType
from models.items import ItemCategory
from models.plans import PlanKind, PlanStatus
from services import schemes
from tests.factories.directories import make_item


def make_task(
    department: Any,
    *,
    joint: bool = False,
    participants: tuple[Any, ...] = (),
    category: ItemCategory = ItemCategory.KEY,
    ratio_cap: str | None = None,
    plan_status: PlanStatus = PlanStatus.PUBLISHED,
    name: str | None = None,
) -> Task:
    tag = uuid.uuid4().hex[:6]
    item = make_item(department, name=f"抽查事项{tag}", category=category, ratio_cap=ratio_cap)
    plan = Plan(
        kind=PlanKind.JOINT if joint else PlanKind.SINGLE,
        status=plan_status,
        year=2026,
        name=f"2026年度抽查计划{tag}",
        department_id=department.id,
        methods="实地核查",
    )
    db.session.add(plan)
    db.session.flush()
    task = Task(
        plan_id=plan.id,
        name=name or f"抽查任务{tag}",
        department_id=department.id,
        item_id=item.id,
        methods="实地核查",
        start_date=date(2026, 5, 1),
        end_date=date(2026, 6, 30),
    )
    task.departments.append(TaskDepartment(department_id=department.id, role="initiator", inspectors=2))
    for p in participants:
        task.departments.append(TaskDepartment(department_id=p.id, role="participant", inspectors=1))
    db.session.add(task)
    db.session.commit()
    return task


def fill_directory(task: Task, grades: dict[str, int], *, division: str = "510108001000",
                   industry: str = "H6210", entity_type: EntityType = EntityType.ENTERPRISE) -> ObjectDirectory:
    """The task's directory with ``grades[g]`` new entities of grade g ("-" for ungraded)."""
    directory = db.session.query(ObjectDirectory).filter_by(item_id=task.item_id,
                                                            department_id=task.department_id).one_or_none()
    if directory is None:
        directory = ObjectDirectory(item_id=task.item_id, department_id=task.department_id,
                                    name=f"{task.item.name}检查对象名录库")
        db.session.add(directory)
        db.session.flush()
    for grade, n in grades.items():
        for i in range(n):
            tag = uuid.uuid4().hex[:13].upper()
            entity = MarketEntity(
                name=f"测试主体{grade}{i}{tag[:4]}有限公司",
                uscc=f"91510{tag}",
                entity_type=entity_type,
                division_code=division,
                industry_code=industry,
                credit_grade=None if grade == "-" else grade,
                department_id=task.department_id,
            )
            db.session.add(entity)
            db.session.flush()
            db.session.add(DirectoryMember(directory_id=directory.id, kind=MemberKind.ENTITY, entity_id=entity.id))
    db.session.commit()
    return directory


def scheme_form(**overrides: Any) -> MultiDict:
    values: dict[str, Any] = {
        "title": "餐饮服务双随机抽查方案",
        "content": "检查食品经营许可、从业人员健康管理",
        "schedule": "5月完成抽取，6月完成检查",
        "duties": "食品安全监督管理科负责",
        "requirements": "依法依规，进一次门查多项事",
        "methods": ["实地核查"],
        "ratio_A": "10", "ratio_B": "20", "ratio_C": "30", "ratio_D": "50", "ratio_E": "100", "ratio_-": "30",
        "scope": "whole",
    }
    values.update(overrides)
    md = MultiDict()
    for k, v in values.items():
        for item in v if isinstance(v, list) else [v]:
            md.add(k, item)
    return md


def approved(task: Task, clerk: Any, leader: Any, **form: Any) -> Task:
    """Scheme written, submitted and approved (表22: published by the platform)."""
    schemes.save_scheme(clerk, task, scheme_form(**form), lock_version=task.lock_version, submit=True)
    db.session.commit()
    schemes.review_scheme(leader, task, lock_version=task.scheme.lock_version, approve=True)
    db.session.commit()
    return task
