"""The demo district's 效能管理 (``flask demo``, cli/demo.py): two 效能规则 of 成华区 and a
history for the work the demo already holds.  The demo's instances all start at load time, so
a few are moved back in time as a whole (instance, work items and history by the same amount):
three active ones so that an open step arrived 20, 12 and 8 working days ago (stalled, 超期),
and completed ones into 上周 and 上月, so that every period of the overview has figures.  One
督办 from 效能监察 萧丽君 on the oldest stalled step waits for its assignee's answer in 我的待办.
Idempotent: skipped once 成华区 has a 效能规则."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from infrastructure.clock import china_day_start, china_today
from infrastructure.errors import ServiceError
from models import Department, EfficiencyRule, ProcessHistory, ProcessInstance, User, WorkItem, db
from models.workflow import InstanceStatus, WorkItemStatus
from persistence.workdays import WorkCalendar
from services.efficiency import urges

DISTRICT = "成华区"
STALLED_DAYS = (20, 12, 8)  # working days ago the open step arrived
DONE_DAYS_AGO = (3, 5, 9, 16, 25, 33)  # calendar days the completed instances move back


def _shift(instance: ProcessInstance, delta: timedelta) -> None:
    """Move one instance back by ``delta``: its times, its work items and its history."""
    instance.created_at -= delta
    instance.updated_at -= delta
    if instance.ended_at is not None:
        instance.ended_at -= delta
    for item in db.session.execute(select(WorkItem).where(WorkItem.instance_id == instance.id)).scalars():
        item.created_at -= delta
        if item.done_at is not None:
            item.done_at -= delta
    for row in db.session.execute(select(ProcessHistory).where(ProcessHistory.instance_id == instance.id)).scalars():
        row.at -= delta


def _in_district(district: Department) -> object:
    return select(Department.id).where(Department.path.startswith(district.path))


def _stalled(district: Department, calendar: WorkCalendar) -> list[WorkItem]:
    items = list(db.session.execute(
        select(WorkItem).join(WorkItem.instance)
        .where(WorkItem.status == WorkItemStatus.OPEN, ProcessInstance.status == InstanceStatus.ACTIVE,
               WorkItem.department_id.in_(_in_district(district)))
        .order_by(WorkItem.id)).scalars())
    chosen: list[WorkItem] = []
    seen: set[int] = set()
    for item in items:
        if item.instance_id in seen or len(chosen) == len(STALLED_DAYS):
            continue
        seen.add(item.instance_id)
        arrived: datetime = china_day_start(calendar.subtract_workdays(china_today(), STALLED_DAYS[len(chosen)]))
        _shift(item.instance, item.created_at - arrived - timedelta(hours=2))
        chosen.append(item)
    return chosen


def load_demo_efficiency() -> None:
    district = db.session.execute(select(Department).where(Department.name == DISTRICT)).scalar_one_or_none()
    monitor = db.session.execute(select(User).where(User.account == "xiaolj")).scalar_one_or_none()
    if district is None or monitor is None or db.session.execute(
            select(EfficiencyRule.id).where(EfficiencyRule.department_id == district.id)).first():
        return
    db.session.add_all([
        EfficiencyRule(department_id=district.id, name="业务环节5个工作日内办结", working_days=5,
                       note="任一业务环节到达后超过5个工作日未办结即预警", created_by_id=monitor.id),
        EfficiencyRule(department_id=district.id, name="抽查事项新增3个工作日内办结", process_table=7,
                       working_days=3, created_by_id=monitor.id),
    ])
    done = list(db.session.execute(
        select(ProcessInstance).where(ProcessInstance.status == InstanceStatus.COMPLETED,
                                      ProcessInstance.department_id.in_(_in_district(district)))
        .order_by(ProcessInstance.id).limit(len(DONE_DAYS_AGO))).scalars())
    for instance, days in zip(done, DONE_DAYS_AGO, strict=False):
        _shift(instance, timedelta(days=days))
    stalled = _stalled(district, WorkCalendar())
    db.session.flush()
    for item in stalled:
        try:
            urges.send(monitor, item, "该事项已超过办理时限，请于两个工作日内办结并回复办理情况。")
        except ServiceError:
            continue
        break
