"""检查组: replacement with the department head's approval, experts, 组成联合检查组, 执法回避."""

from __future__ import annotations

from datetime import date

import pytest

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import AuditEvent, ChangeStatus, InspectorConflict, MemberSource, TeamRole, db
from models.inspectors import AuxiliaryInspector, AuxiliaryKind
from models.workflow import WorkItemStatus
from services import inspector_draws as draws
from services import task_access, teams
from tests.factories.teams import entity, make_inspector, make_task, start_task
from workflows.errors import StaleSubmission


def _drawn_task(org, n=2, pool=4, methods="书面检查"):
    task = make_task(org, inspectors=n, methods=methods)
    people = [make_inspector(org.station_a, f"人员{i}") for i in range(pool)]
    inst = start_task(org, task)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    return task, inst, people


def _spare(task, people):
    team = {m.inspector_id for m in draws.active_members(task)}
    return next(p for p in people if p.id not in team)


@pytest.mark.parametrize("code", teams.REPLACEMENT_REASONS)
def test_replacement_reasons_allowed(org, session, code):
    task, _, people = _drawn_task(org)
    member = draws.active_members(task)[0]
    change = teams.request_replacement(org.clerk_a, task, member, inspector_id=_spare(task, people).id,
                                       reason_code=code, reason="说明")
    assert change.status == ChangeStatus.PENDING and change.reason_code == code


@pytest.mark.parametrize(("code", "reason", "needle"), [
    ("个人意愿", "不想去", "更换原因须为"),
    ("岗位调整", "  ", "请填写更换理由"),
])
def test_replacement_refused(org, session, code, reason, needle):
    task, _, people = _drawn_task(org)
    member = draws.active_members(task)[0]
    with pytest.raises(ServiceError) as exc:
        teams.request_replacement(org.clerk_a, task, member, inspector_id=_spare(task, people).id,
                                  reason_code=code, reason=reason)
    assert exc.value.status == 422 and needle in exc.value.message


def test_replacement_by_hand_must_be_eligible_and_not_in_the_team(org, session):
    task, _, people = _drawn_task(org)
    members = draws.active_members(task)
    expired = make_inspector(org.station_a, "证已过期", cert_valid_to=date(2026, 1, 1))
    with pytest.raises(ServiceError) as exc:
        teams.request_replacement(org.clerk_a, task, members[0], inspector_id=expired.id, reason_code="健康状况",
                                  reason="住院")
    assert exc.value.status == 422 and "执法证已过期" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        teams.request_replacement(org.clerk_a, task, members[0], inspector_id=members[1].inspector_id,
                                  reason_code="健康状况", reason="住院")
    assert "已在检查组中" in exc.value.message
    other = make_inspector(org.health_a, "外单位")
    with pytest.raises(ServiceError) as exc:
        teams.request_replacement(org.clerk_a, task, members[0], inspector_id=other.id, reason_code="健康状况",
                                  reason="住院")
    assert "不属于" in exc.value.message
    with pytest.raises(Forbidden):
        teams.request_replacement(org.health_clerk, task, members[0], inspector_id=people[0].id,
                                  reason_code="健康状况", reason="住院")
    candidates = {i.id for i in teams.replacement_candidates(task, members[0])}
    assert expired.id not in candidates and members[1].inspector_id not in candidates


def test_approval_flow_replaces_the_leader(org, session, make_user):
    task, inst, people = _drawn_task(org)
    leader = next(m for m in draws.active_members(task) if m.role == TeamRole.LEADER)
    spare = _spare(task, people)
    change = teams.request_replacement(org.clerk_a, task, leader, inspector_id=spare.id, reason_code="工作冲突",
                                       reason="另有专项任务")
    with pytest.raises(Conflict):
        teams.request_replacement(org.clerk_a, task, leader, inspector_id=spare.id, reason_code="工作冲突", reason="再次")
    # only the department head decides
    assert not teams.can_decide(org.clerk_a, change)
    assert not teams.can_decide(org.leader_b, change)
    with pytest.raises(Forbidden):
        teams.decide_replacement(org.clerk_a, task, change, approve=True)
    with pytest.raises(ServiceError):
        teams.decide_replacement(org.leader_a, task, change, approve=False, comment="")  # a reason to refuse
    teams.decide_replacement(org.leader_a, task, change, approve=True, comment="同意")
    assert change.status == ChangeStatus.APPROVED
    assert not leader.active and leader.change_id == change.id
    new = next(m for m in draws.active_members(task) if m.inspector_id == spare.id)
    assert new.source == MemberSource.REPLACEMENT and new.role == TeamRole.LEADER and new.change_id == change.id
    assert db.session.query(AuditEvent).filter_by(action="replacement_approve", object_id=str(change.id)).count() == 1
    with pytest.raises(StaleSubmission):
        teams.decide_replacement(org.leader_a, task, change, approve=True)


def test_rejection_keeps_the_team(org, session):
    task, _, people = _drawn_task(org)
    member = draws.active_members(task)[1]
    change = teams.request_replacement(org.clerk_a, task, member, inspector_id=_spare(task, people).id,
                                       reason_code="岗位调整", reason="调岗")
    teams.decide_replacement(org.leader_a, task, change, approve=False, comment="任务期间不调岗")
    assert change.status == ChangeStatus.REJECTED and member.active


def test_replacement_after_dispatch_moves_the_personal_item(org, session):
    task, inst, people = _drawn_task(org)
    draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    member = next(m for m in draws.active_members(task) if m.role != TeamRole.LEADER)
    old_user = member.inspector.user_id
    spare = _spare(task, people)
    change = teams.request_replacement(org.clerk_a, task, member, inspector_id=spare.id, reason_code="健康状况",
                                       reason="病假")
    teams.decide_replacement(org.leader_a, task, change, approve=True)
    open_users = {i.user_id for i in inst.work_items if i.step_key == "inspect" and i.status == WorkItemStatus.OPEN}
    assert spare.user_id in open_users and old_user not in open_users


def test_experts_from_the_auxiliary_pool(org, session):
    task, _, _ = _drawn_task(org)
    aux = AuxiliaryInspector(department_id=org.bureau_a.id, kind=AuxiliaryKind.EXPERT, name="食品专家")
    other = AuxiliaryInspector(department_id=org.bureau_b.id, kind=AuxiliaryKind.TESTING, name="乙区检测所")
    db.session.add_all([aux, other])
    db.session.flush()
    assert [a.name for a in teams.expert_choices(org.clerk_a, task)] == ["食品专家"]
    member = teams.add_expert(org.clerk_a, task, aux.id)
    assert member.role == TeamRole.EXPERT and member.source == MemberSource.INVITED
    with pytest.raises(Conflict):
        teams.add_expert(org.clerk_a, task, aux.id)
    with pytest.raises(ServiceError):
        teams.add_expert(org.clerk_a, task, other.id)
    with pytest.raises(Forbidden):
        teams.add_expert(org.health_clerk, task, aux.id)
    teams.remove_expert(org.clerk_a, task, member)
    assert not member.active


def test_joint_team_members_confirm_and_the_leader_forms_it(org, session):
    task = make_task(org, inspectors=1, participants=(org.health_a,), participant_inspectors=1)
    lead = make_inspector(org.station_a, "组长人选")
    health = make_inspector(org.health_a, "卫健组员")
    inst = start_task(org, task)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    draws.draw_inspectors(org.health_clerk, task, org.health_a.id)
    draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    draws.dispatch(org.health_clerk, task, org.health_a.id)
    assert inst.current_step == "team"
    with pytest.raises(ServiceError) as exc:
        teams.form_team(lead.user, task)
    assert "卫健组员" in exc.value.message
    with pytest.raises(ServiceError):
        teams.confirm(lead.user, task)  # the leader forms, does not confirm
    teams.confirm(health.user, task)
    assert inst.current_step == "team"
    with pytest.raises(Conflict):
        teams.confirm(health.user, task)
    teams.form_team(lead.user, task)
    assert inst.current_step == "inspect"
    assert all(m.joined_at for m in draws.active_members(task))
    # 检查完成 by the leader
    with pytest.raises(Conflict):
        teams.finish_inspection(org.inspector_a, task)
    with pytest.raises(Forbidden):
        teams.finish_inspection(health.user, task)
    teams.finish_inspection(lead.user, task)
    assert inst.current_step == "record"


def test_team_visibility(org, session, make_user):
    task, _, people = _drawn_task(org)
    member = draws.active_members(task)[0]
    assert task_access.in_scope(org.clerk_a, task)
    assert task_access.in_scope(member.inspector.user, task)  # a station inspector on the team
    assert not task_access.in_scope(org.inspector_a, task)  # a station inspector not on it
    assert not task_access.in_scope(org.clerk_b, task)
    assert not task_access.in_scope(org.health_clerk, task)


def test_conflicts_declare_revoke(org, session):
    person = make_inspector(org.station_a, "申报人")
    e1 = entity(org, 11)
    e2 = entity(org, 12)
    conflict = teams.declare_conflict(org.clerk_a, person, entity=e1.uscc, reason="近亲属任职")
    assert conflict.entity_id == e1.id
    with pytest.raises(Conflict):
        teams.declare_conflict(org.clerk_a, person, entity=e1.name, reason="重复")
    with pytest.raises(ServiceError) as exc:
        teams.declare_conflict(org.clerk_a, person, entity="甲区测试", reason="模糊")
    assert "找到2个" in exc.value.message
    assert teams.declare_conflict(org.clerk_a, person, entity_id=e2.id, reason="曾任顾问").entity_id == e2.id
    with pytest.raises(ServiceError):
        teams.declare_conflict(org.clerk_a, person, entity=e1.uscc, reason="")
    with pytest.raises(Forbidden):
        teams.declare_conflict(org.clerk_b, person, entity=e1.uscc, reason="x")
    teams.revoke_conflict(org.clerk_a, conflict)
    assert not conflict.active
    with pytest.raises(StaleSubmission):
        teams.revoke_conflict(org.clerk_a, conflict)
    assert db.session.query(InspectorConflict).filter_by(inspector_id=person.id, active=True).count() == 1
