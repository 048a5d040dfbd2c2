"""A dispatched task with a team and records, written directly (the inspection pages have
their own tests): for the deadline, reminder and statistics tests."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from models import InspectionRecord, RecordStatus, Task, TaskObject, TeamMember, db
from models.inspections import ResultCategory
from models.plans import TaskStatus
from models.teams import TeamRole
from tests.factories.teams import entity, make_inspector, make_task

_NEXT = 20000


def dispatched_task(org: Any, *, objects: int = 3, end: date = date(2026, 9, 30), department: Any = None,
                    participants: tuple[Any, ...] = (), name: str | None = None, start: date | None = None) -> Task:
    global _NEXT
    department = department or org.bureau_a
    entities = []
    for _ in range(objects):
        _NEXT += 1
        entities.append(entity(org, _NEXT))
    task = make_task(org, entities=entities, end=end, start=start or date(end.year, 1, 1), department=department,
                     participants=participants, name=name)
    for i, dept in enumerate((department, *participants)):
        inspector = make_inspector(dept, f"检查员{uuid.uuid4().hex[:4]}")
        db.session.add(TeamMember(task_id=task.id, department_id=dept.id, inspector_id=inspector.id,
                                  role=TeamRole.LEADER if i == 0 else TeamRole.MEMBER))
    task.status = TaskStatus.DISPATCHED
    db.session.flush()
    return task


def member_user(task: Task, department: Any) -> Any:
    member = db.session.execute(
        db.select(TeamMember).where(TeamMember.task_id == task.id, TeamMember.department_id == department.id)
    ).scalars().first()
    from models import User

    return db.session.get(User, member.inspector.user_id)


def objects_of(task: Task) -> list[TaskObject]:
    return list(db.session.execute(
        db.select(TaskObject).where(TaskObject.task_id == task.id).order_by(TaskObject.id)
    ).scalars())


def record(task: Task, obj: TaskObject, department: Any, status: RecordStatus = RecordStatus.PUBLISHED,
           result: ResultCategory | None = ResultCategory.NO_PROBLEM) -> InspectionRecord:
    rec = InspectionRecord(record_no=f"T-{uuid.uuid4().hex[:12]}", task_id=task.id, task_object_id=obj.id,
                           department_id=department.id, entity_id=obj.entity_id, status=status, result=result)
    db.session.add(rec)
    db.session.flush()
    return rec
