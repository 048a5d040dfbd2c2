"""抽查任务 (seed 003 制定抽查任务): "发起部门应根据年度抽查工作计划，细化…抽查任务，明确任务
名称、执行时间、参与检查的具体部门等事宜。同一个抽查计划可以细化成多个抽查任务。"

A published plan's 监管部门 / 发起部门 splits it into tasks on the plan's page.  A task names the
plan item whose object directory its objects are drawn from, its 检查方式, its 抽查比例 (0–100,
at most the plan's and the cap of a general item), its period (within the plan's), and the
departments that take part with how many inspectors each draws (the initiator at least one;
on site, 实地核查, at least two in all: seed 003 / DB5101 two inspectors per object).
The scheme, draws and team of a task are other chapters' (services/schemes.py …).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload

from infrastructure.errors import Forbidden
from models import Plan, PlanStatus, Task, TaskDepartment, TaskStatus, User, db
from persistence import audit
from persistence.scope import subtree_ids
from services.joint_item_drafts import clean_choices
from services.plan_elements import SEP, Unprocessable, clean_date, clean_ratio
from services.plan_queries import EDIT_ROLES, is_office_user, office_area, participants, plan_items
from services.templates_catalogue import INSPECTION_METHODS

ON_SITE = "实地核查"


def _inspectors(raw: Any, key: str) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or int(text) > 1000:
        raise Unprocessable("抽取执法人员人数应为不小于0的整数", field=key)
    return int(text)


def create_task(actor: User, plan: Plan, values: Mapping[str, Any]) -> Task:
    """A task of a published plan, with its departments (TaskDepartment rows).

    ``values``: name, item_id, methods, ratio, start_date, end_date and ``inspectors``, a
    mapping department id → number of inspectors (the initiator's and chosen participants')."""
    if not actor.has_role(*EDIT_ROLES) or actor.department_id != plan.department_id:
        raise Forbidden("只有抽查计划的监管部门（发起部门）可以制定抽查任务")
    if plan.status != PlanStatus.PUBLISHED:
        raise Unprocessable("抽查计划公开后才能细化抽查任务")
    name = str(values.get("name") or "").strip()
    if not name:
        raise Unprocessable("请填写任务名称", field="name")
    if len(name) > 200:
        raise Unprocessable("任务名称不能超过200个字符", field="name")
    items = {i.id: i for i in plan_items(plan)}
    raw_item = str(values.get("item_id") or "").strip()
    item = items.get(int(raw_item)) if raw_item.isdigit() else None
    if item is None:
        raise Unprocessable("请选择本计划中的抽查事项", field="item_id")
    methods = clean_choices(values.get("methods") or [], INSPECTION_METHODS, "methods")
    ratio = clean_ratio(values.get("ratio"), [item])
    if plan.ratio is not None and ratio > plan.ratio:
        raise Unprocessable(f"抽查比例不能超过抽查计划的抽查比例{plan.ratio.normalize():f}%", field="ratio")
    start, end = clean_date(values, "start_date"), clean_date(values, "end_date")
    if start > end:
        raise Unprocessable("起始时间不能晚于截止时间", field="end_date")
    if plan.start_date and plan.end_date and (start < plan.start_date or end > plan.end_date):
        raise Unprocessable(
            f"执行时间应在抽查计划的起止时间（{plan.start_date.isoformat()}至{plan.end_date.isoformat()}）内",
            field="start_date",
        )
    counts_raw = values.get("inspectors") or {}
    allowed = {plan.department_id} | {p.department_id for p in participants(plan)}
    counts: dict[int, int] = {}
    for raw_dept, raw_count in dict(counts_raw).items():
        try:
            dept_id = int(raw_dept)
        except (TypeError, ValueError):
            raise Unprocessable("参与部门选择有误，请刷新页面后重试", field="inspectors") from None
        if dept_id not in allowed:
            raise Unprocessable("参与检查的部门只能是本计划的发起部门和参与部门", field="inspectors")
        counts[dept_id] = _inspectors(raw_count, f"inspectors-{dept_id}")
    own = counts.get(plan.department_id, 0)
    if own < 1:
        raise Unprocessable("发起部门至少抽取1名执法人员", field=f"inspectors-{plan.department_id}")
    total = sum(counts.values())
    if ON_SITE in methods and total < 2:
        raise Unprocessable("检查方式含实地核查的，每个检查对象至少由2名执法人员检查：抽取人数合计不能少于2人",
                            field="inspectors")
    task = Task(
        plan_id=plan.id, name=name, department_id=plan.department_id, item_id=item.id, methods=SEP.join(methods),
        ratio=ratio, start_date=start, end_date=end, status=TaskStatus.NEW, created_by_id=actor.id,
    )
    task.departments.append(TaskDepartment(department_id=plan.department_id, role="initiator", inspectors=own))
    for party in participants(plan):
        if party.department_id in counts:
            task.departments.append(TaskDepartment(
                department_id=party.department_id, role="participant", inspectors=counts[party.department_id]
            ))
    db.session.add(task)
    db.session.flush()
    audit.record("create", object_type="task", object_id=task.id, user=actor, summary={
        "抽查任务": name, "抽查计划": plan.name, "抽查事项": item.name, "部门": len(task.departments),
    })
    return task


def tasks_for_user(actor: User) -> Select[tuple[Task]]:
    """Tasks a user may see: their department's (and below), those their department takes
    part in, and those of plans they may see as the area's conference office."""
    mine = subtree_ids(actor.department)
    conditions = [
        Task.department_id.in_(mine),
        exists().where(TaskDepartment.task_id == Task.id, TaskDepartment.department_id.in_(mine)),
    ]
    if is_office_user(actor):
        conditions.append(Task.department_id.in_(subtree_ids(office_area(actor))))
    return (
        select(Task).where(or_(*conditions)).options(joinedload(Task.plan), joinedload(Task.department))
        .order_by(Task.id.desc())
    )


def tasks_of_plan(actor: User, plan: Plan) -> list[Task]:
    """The plan's tasks (a user who may see the plan sees its task list)."""
    del actor
    return list(db.session.execute(
        select(Task).where(Task.plan_id == plan.id).options(joinedload(Task.item)).order_by(Task.id)
    ).scalars())

