"""Helpers for the inspection tests: a task dispatched to its team (表20) or with its joint team
formed (表22), ready for 开展双随机检查, and a record filled, signed and confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from models import InspectionRecord, Task, User, db
from services import inspection_review, teams
from services import inspections as svc
from services import inspector_draws as draws
from tests.factories.teams import entity, make_inspector, make_task, start_task

# Rare name characters (outside GB2312) must survive every round trip.
LEADER_NAME = "王堃"
MEMBER_NAME = "李喆"
HEALTH_NAME = "赵昇𬌗"


@dataclass
class Ready:
    task: Task
    instance: Any
    leader: User
    member: User
    health: User | None  # the 参与部门's inspector of a joint task


def dispatched(org: Any, *, joint: bool = False, objects: int = 2, start: int = 7000, **task_args: Any) -> Ready:
    ents = [entity(org, start + i) for i in range(objects)]
    task = make_task(org, joint=joint, inspectors=2, participants=(org.health_a,) if joint else (),
                     participant_inspectors=1, entities=ents, **task_args)
    lead = make_inspector(org.station_a, LEADER_NAME)
    member = make_inspector(org.station_a, MEMBER_NAME)
    health = make_inspector(org.health_a, HEALTH_NAME) if joint else None
    inst = start_task(org, task)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    if joint:
        draws.draw_inspectors(org.health_clerk, task, org.health_a.id)
    draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    if joint:
        draws.dispatch(org.health_clerk, task, org.health_a.id)
    leader_member = draws.leader_of(task)
    assert leader_member is not None and leader_member.inspector is not None
    leader_user = leader_member.inspector.user
    other = member.user if leader_user.id == lead.user.id else lead.user
    if joint:
        assert health is not None
        teams.confirm(other, task)
        teams.confirm(health.user, task)
        teams.form_team(leader_user, task)
    db.session.commit()
    assert inst.current_step == "inspect"
    return Ready(task, inst, leader_user, other, health.user if health else None)


def record_form(**overrides: Any) -> MultiDict:
    values: dict[str, Any] = {
        "method": "实地核查",
        "subject_name": "甲区测试餐饮有限公司",
        "district": "甲区",
        "items_text": "餐饮服务食品安全监督检查",
        "findings": "现场检查未发现问题",
        "filled_on": "2026-05-10",
        "inspector_names": f"{LEADER_NAME}、{MEMBER_NAME}",
        "inspected_at": "2026-05-10T09:30",
        "result": "no_problem",
        "result_note": "",
        "line_item": ["食品经营许可", "从业人员健康管理"],
        "line_content": ["许可证在有效期内", "健康证明"],
        "line_outcome": ["符合", "符合"],
    }
    values.update(overrides)
    md = MultiDict()
    for k, v in values.items():
        for item in v if isinstance(v, list) else [v]:
            md.add(k, item)
    return md


def complete(ready: Ready, record: InspectionRecord, editor: User | None = None, **form: Any) -> InspectionRecord:
    """Fill, sign and have every member confirm ``record``."""
    editor = editor or ready.leader
    form.setdefault("subject_name", record.subject_name)
    svc.save_record(editor, record, record_form(**form), record.lock_version)
    svc.sign(editor, record, record.lock_version, signer_name="张店长")
    for m in svc.confirmers(ready.task):
        inspection_review.confirm(m.inspector.user, record, record.lock_version)
    db.session.commit()
    return record


def open_all(ready: Ready) -> list[InspectionRecord]:
    """Every (object, department) record, opened by a member of that department."""
    out = []
    for obj in svc.task_objects(ready.task):
        for dept in svc.record_departments(ready.task):
            user = ready.leader if dept.id == ready.task.department_id else ready.health
            assert user is not None
            out.append(svc.open_record(user, ready.task, obj.id, dept.id))
    db.session.commit()
    return out
