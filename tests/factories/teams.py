"""Helpers for the team tests: a plan, a task with its departments and objects, inspectors
with accounts, and the task's 表20/表22 instance moved to 随机抽取执法人员派发抽查任务.  The
plans, schemes and object draws have their own chapters; these rows are written directly."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from models import (
    Inspector,
    Plan,
    Task,
    TaskDepartment,
    TaskObject,
    User,
    UserRole,
    db,
    utcnow,
)
from models.inspectors import DutyStatus, InspectorTag, TagKind
from models.plans import PlanKind
from models.roles import Role
from services import inspector_draws as draws
from services import task_access
from tests.conftest import _HASH
from tests.factories.directories import make_entity, make_item
from workflows import engine
from workflows.lanes import PARTICIPANT

START = date(2026, 5, 1)
END = date(2026, 6, 30)


def make_inspector(
    department: Any, name: str, *, account: bool = True, roles: tuple[Role, ...] = (Role.INSPECTOR,), **values: Any
) -> Inspector:
    """An inspector in the directory, eligible by default (在岗, 执法证 valid, permission, an
    account with the 执法人员 role; ``roles`` gives the account other roles instead)."""
    user = None
    if account:
        user = User(account=f"i{uuid.uuid4().hex[:10]}", name=name, department=department, password_hash=_HASH,
                    must_change_password=False, password_changed_at=utcnow())
        user.roles = [UserRole(role=str(r)) for r in roles]
        db.session.add(user)
        db.session.flush()
    specialities = values.pop("specialities", [])
    inspector = Inspector(
        department_id=department.id,
        name=name,
        cert_no=values.pop("cert_no", f"ZF{uuid.uuid4().hex[:8]}"),
        cert_valid_from=values.pop("cert_valid_from", date(2020, 1, 1)),
        cert_valid_to=values.pop("cert_valid_to", date(2099, 12, 31)),
        duty=values.pop("duty", DutyStatus.ON),
        random_permission=values.pop("random_permission", True),
        user_id=user.id if user else None,
        **values,
    )
    db.session.add(inspector)
    db.session.flush()
    for s in specialities:
        db.session.add(InspectorTag(inspector_id=inspector.id, kind=TagKind.SPECIALITY.value, value=s))
    db.session.flush()
    return inspector


def make_task(
    org: Any,
    *,
    joint: bool = False,
    methods: str = "实地核查",
    inspectors: int = 2,
    participants: tuple[Any, ...] = (),
    participant_inspectors: int = 1,
    start: date = START,
    end: date = END,
    entities: list[Any] | None = None,
    department: Any = None,
    name: str | None = None,
) -> Task:
    department = department or org.bureau_a
    item = make_item(department, name=f"事项{uuid.uuid4().hex[:6]}")
    plan = Plan(kind=PlanKind.JOINT if joint else PlanKind.SINGLE, year=start.year, name="测试计划",
                department_id=department.id, methods=methods, start_date=start, end_date=end)
    db.session.add(plan)
    db.session.flush()
    task = Task(plan_id=plan.id, name=name or f"抽查任务{uuid.uuid4().hex[:6]}", department_id=department.id,
                item_id=item.id, methods=methods, start_date=start, end_date=end)
    db.session.add(task)
    db.session.flush()
    db.session.add(TaskDepartment(task_id=task.id, department_id=department.id, role="initiator", inspectors=inspectors))
    for p in participants:
        db.session.add(TaskDepartment(task_id=task.id, department_id=p.id, role="participant",
                                      inspectors=participant_inspectors))
    for entity in entities or []:
        db.session.add(TaskObject(task_id=task.id, key=f"entity:{entity.id}", entity_id=entity.id))
    db.session.flush()
    db.session.refresh(task)
    return task


def start_task(org: Any, task: Task, *, clerk: Any = None, leader: Any = None) -> Any:
    """Start the task's instance and move it to draw_inspectors (as the scheme and object-draw
    pages would)."""
    clerk = clerk or org.clerk_a
    leader = leader or org.leader_a
    participants = [td.department_id for td in task.departments if td.role == "participant"]
    table = task_access.JOINT_TABLE if participants else task_access.SINGLE_TABLE
    inst = engine.start(table, clerk, title=task.name, subject_type=task_access.TASK_SUBJECT, subject_id=task.id,
                        parties={PARTICIPANT: participants} if participants else None)
    engine.advance(clerk, inst, "scheme", "next")
    engine.advance(leader, inst, "review_scheme", "approve")
    engine.advance(clerk, inst, "draw_objects", "next")
    assert inst.current_step == draws.DRAW_STEP
    db.session.flush()
    return inst


def entity(org: Any, n: int) -> Any:
    return make_entity(org.clerk_a, n)
