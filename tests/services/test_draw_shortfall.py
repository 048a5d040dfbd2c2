"""Issue 13 item 5: fewer eligible inspectors than asked — the counts by reason and the ways on
(lower the count within the rules, widen the filter, ask the 发起部门 with its head's approval),
each ending in a successful draw; who may do what."""

from __future__ import annotations

import json

import pytest

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import AuditEvent, ChangeStatus, Message, db
from models.inspectors import DutyStatus
from services import draw_shortfall as shortfall
from services import inspector_draws as draws
from services import task_access
from tests.factories.teams import make_inspector, make_task, start_task
from workflows.errors import StaleSubmission


def _part(task, department):
    return draws.party(task, department.id)


def _audits(action):
    return db.session.query(AuditEvent).filter_by(action=action).all()


def test_shortfall_counts_by_reason_and_lowering_within_the_rules_ends_in_a_draw(org, session):
    task = make_task(org, inspectors=4, methods="实地核查")
    for n in range(2):
        make_inspector(org.station_a, f"合格{n}")
    make_inspector(org.station_a, "休假", duty=DutyStatus.OFF)
    make_inspector(org.station_a, "无权限", random_permission=False)
    start_task(org, task)
    td = _part(task, org.bureau_a)
    short = shortfall.shortfall(task, td)
    assert short is not None and short.eligible == 2 and short.lowest == 2 and short.can_lower
    assert dict(short.reasons) == {draws.OFF_DUTY: 1, draws.NO_PERMISSION: 1}
    version = task.lock_version
    with pytest.raises(ServiceError) as refused:  # 实地核查: two in all
        shortfall.lower_count(org.clerk_a, task, org.bureau_a.id, "1", lock_version=version)
    assert refused.value.status == 422 and "不能少于2人" in refused.value.message
    with pytest.raises(ServiceError) as refused:  # more than are eligible
        shortfall.lower_count(org.clerk_a, task, org.bureau_a.id, "3", lock_version=version)
    assert "不能多于2人" in refused.value.message
    with pytest.raises(ServiceError):  # not lower
        shortfall.lower_count(org.clerk_a, task, org.bureau_a.id, "4", lock_version=version)
    with pytest.raises(Conflict):  # a stale form
        shortfall.lower_count(org.clerk_a, task, org.bureau_a.id, "2", lock_version=version - 1)
    assert td.inspectors == 4
    shortfall.lower_count(org.clerk_a, task, org.bureau_a.id, "2", lock_version=version)
    assert td.inspectors == 2 and task.lock_version == version + 1
    assert shortfall.shortfall(task, td) is None
    [entry] = _audits("lower_count")
    assert json.loads(entry.summary)["调整为"] == 2
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    assert len(draws.active_members(task)) == 2
    with pytest.raises(Conflict):  # drawn: locked
        shortfall.lower_count(org.clerk_a, task, org.bureau_a.id, "1", lock_version=task.lock_version)


def test_no_lowering_below_the_rules(org, session):
    task = make_task(org, inspectors=2, methods="实地核查")
    make_inspector(org.station_a, "唯一")
    start_task(org, task)
    short = shortfall.shortfall(task, _part(task, org.bureau_a))
    assert short.eligible == 1 and short.lowest == 2 and not short.can_lower


def test_widening_the_filter_ends_in_a_draw(org, session):
    task = make_task(org, inspectors=2, methods="书面检查")
    make_inspector(org.station_a, "食品", specialities=["食品安全"], area="甲区猛追湾街道")
    make_inspector(org.station_a, "计量", specialities=["计量"], area="甲区双桥子街道")
    make_inspector(org.station_a, "特设", specialities=["特种设备"], area="甲区猛追湾街道")
    start_task(org, task)
    td = _part(task, org.bureau_a)
    short = shortfall.shortfall(task, td, speciality="食品安全", area="猛追湾")
    assert short.eligible == 1 and dict(short.reasons) == {draws.NOT_MATCHING: 2}
    widened = {w.label: (w.speciality, w.area, w.eligible) for w in short.widenings}
    assert widened == {"不限业务专长": ("", "猛追湾", 2), "不限业务专长和区域": ("", "", 3)}  # 不限区域 adds no one
    with pytest.raises(ServiceError):
        draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id, speciality="食品安全", area="猛追湾")
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id, area="猛追湾")
    assert {m.inspector.name for m in draws.active_members(task)} == {"食品", "特设"}
    [entry] = _audits("draw")
    summary = json.loads(entry.summary)
    assert summary["业务专长"] == "不限" and summary["区域"] == "猛追湾"


def _joint(org):
    """The participant (卫健) has no one eligible; the 发起部门 has two and draws one."""
    task = make_task(org, inspectors=1, methods="实地核查", participants=(org.health_a,), participant_inspectors=1)
    make_inspector(org.station_a, "市场甲")
    make_inspector(org.station_a, "市场乙")
    make_inspector(org.health_a, "卫健休假", duty=DutyStatus.OFF)
    start_task(org, task)
    return task


def test_asking_the_initiator_with_its_heads_approval_ends_in_a_draw(org, session):
    task = _joint(org)
    health = _part(task, org.health_a)
    short = shortfall.shortfall(task, health)
    assert short.eligible == 0 and short.lowest == 1 and not short.can_lower
    form = {f"count-{org.health_a.id}": "0", f"count-{org.bureau_a.id}": "2", "reason": "本部门无在岗执法人员"}
    with pytest.raises(Conflict):
        shortfall.request_adjustment(org.health_clerk, task, form, lock_version=task.lock_version - 1)
    with pytest.raises(ServiceError) as refused:  # the 发起部门 cannot send 3: two eligible
        shortfall.request_adjustment(org.health_clerk, task, {**form, f"count-{org.bureau_a.id}": "3"},
                                     lock_version=task.lock_version)
    assert "仅2人" in refused.value.message
    with pytest.raises(ServiceError) as refused:  # 实地核查 needs two in all
        shortfall.request_adjustment(org.health_clerk, task, {**form, f"count-{org.bureau_a.id}": "1"},
                                     lock_version=task.lock_version)
    assert "不能少于2人" in refused.value.message
    change = shortfall.request_adjustment(org.health_clerk, task, form, lock_version=task.lock_version)
    assert change.status == ChangeStatus.PENDING
    assert sorted(shortfall.request_details(task, change)) == [("甲区卫生健康局", 1, 0), ("甲区市场监督管理局", 1, 2)]
    with pytest.raises(Conflict):  # one pending request at a time
        shortfall.request_adjustment(org.clerk_a, task, form, lock_version=task.lock_version)
    with pytest.raises(ServiceError):  # refusing needs a comment
        shortfall.decide_adjustment(org.leader_a, task, change, approve=False, lock_version=task.lock_version)
    with pytest.raises(Conflict):  # the head's form is stale
        shortfall.decide_adjustment(org.leader_a, task, change, approve=True, lock_version=task.lock_version - 1)
    assert change.status == ChangeStatus.PENDING
    shortfall.decide_adjustment(org.leader_a, task, change, approve=True, comment="同意", lock_version=task.lock_version)
    assert change.status == ChangeStatus.APPROVED
    assert (health.inspectors, _part(task, org.bureau_a).inspectors) == (0, 2)
    with pytest.raises(StaleSubmission):
        shortfall.decide_adjustment(org.leader_a, task, change, approve=True, lock_version=task.lock_version)
    assert [a.action for a in db.session.query(AuditEvent).filter(AuditEvent.action.like("count_%"))] == [
        "count_request", "count_approve"]
    told = {m.user_id: m.subject for m in db.session.query(Message)}
    assert "抽取人数调整申请" in told[org.leader_a.id] and "已同意" in told[org.health_clerk.id]
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    draws.dispatch(org.health_clerk, task, org.health_a.id)  # nothing to draw: 0
    assert len(draws.active_members(task)) == 2 and task_access.instance_of(task).current_step == "team"


def test_a_refused_request_changes_nothing(org, session):
    task = _joint(org)
    form = {f"count-{org.health_a.id}": "0", f"count-{org.bureau_a.id}": "2", "reason": "无人"}
    change = shortfall.request_adjustment(org.health_clerk, task, form, lock_version=task.lock_version)
    shortfall.decide_adjustment(org.leader_a, task, change, approve=False, comment="请先维护名录",
                                lock_version=task.lock_version)
    assert change.status == ChangeStatus.REJECTED and _part(task, org.health_a).inspectors == 1
    # a new request may follow
    shortfall.request_adjustment(org.health_clerk, task, form, lock_version=task.lock_version)


@pytest.mark.parametrize(("who", "lower", "ask", "decide"), [
    ("clerk_a", True, True, False),        # the 发起部门's clerk: draws for it, may ask
    ("health_clerk", False, True, False),  # a participant's clerk: not the 发起部门's count
    ("leader_a", False, False, True),      # the 发起部门's head approves
    ("inspector_a", False, False, False),
    ("clerk_b", False, False, False),      # another district
    ("leader_b", False, False, False),
])
def test_role_matrix(org, session, who, lower, ask, decide):
    task = _joint(org)
    user = getattr(org, who)
    initiator = _part(task, org.bureau_a)
    initiator.inspectors = 3
    db.session.flush()
    assert shortfall.can_lower(user, task, initiator) is lower
    assert shortfall.can_request(user, task) is ask
    change = shortfall.request_adjustment(
        org.health_clerk, task, {f"count-{org.health_a.id}": "0", f"count-{org.bureau_a.id}": "2", "reason": "无人"},
        lock_version=task.lock_version)
    assert shortfall.can_decide(user, task, change) is decide
    if not lower:
        with pytest.raises((Forbidden, ServiceError)) as refused:
            shortfall.lower_count(user, task, org.bureau_a.id, "2", lock_version=task.lock_version)
        assert refused.value.status == 403
    if not decide:
        with pytest.raises(Forbidden):
            shortfall.decide_adjustment(user, task, change, approve=True, lock_version=task.lock_version)
