"""The engine end to end on three processes: 表7 (single department, automatic platform step),
表12 (joint, with the conference office) and 表20 (single department with a leader's review)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, ProcessInstance, WorkItem
from models.workflow import InstanceStatus, WorkItemStatus
from workflows import engine
from workflows.errors import NotAllowed, ProcessError, StaleSubmission
from workflows.lanes import PARTICIPANT
from workflows.model import END


def _item(instance: ProcessInstance, step: str, department=None) -> WorkItem:
    items = [
        i
        for i in instance.work_items
        if i.step_key == step and i.status == WorkItemStatus.OPEN and (department is None or i.department_id == department.id)
    ]
    assert len(items) == 1, f"expected one open item at {step}, got {[(i.step_key, i.status) for i in instance.work_items]}"
    return items[0]


def _do(user, instance, step, outcome="next", comment="", department=None):
    item = _item(instance, step, department)
    return engine.complete(user, item.id, outcome, version=item.version, comment=comment)


def test_single_item_add_runs_platform_step_and_completes(org, session):
    inst = engine.start(7, org.clerk_a, title="食品经营许可事项")
    assert inst.current_step == "add"
    inst = _do(org.clerk_a, inst, "add")
    assert inst.status == InstanceStatus.COMPLETED
    assert [h.action for h in inst.history] == ["start", "next", "auto"]
    assert inst.history[-1].actor_name == "智慧监管平台"
    visited, taken = engine.path_of(inst)
    assert visited == {"add", "publish"}
    assert ("add", "publish") in taken and ("publish", END) in taken
    actions = session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions[-2:] == ["process_start", "process_step"]


def test_start_requires_a_role_of_the_first_lane(org):
    with pytest.raises(NotAllowed):
        engine.start(7, org.inspector_a, title="x")
    with pytest.raises(NotAllowed):
        engine.start(7, org.office_user, title="x")


def test_start_requires_a_title_and_participants(org):
    with pytest.raises(ProcessError, match="事项名称"):
        engine.start(7, org.clerk_a, title="  ")
    with pytest.raises(ProcessError, match="参与部门"):
        engine.start(12, org.clerk_a, title="联合事项", parties={PARTICIPANT: []})
    with pytest.raises(ProcessError, match="不存在"):
        engine.start(12, org.clerk_a, title="联合事项", parties={PARTICIPANT: [999999]})


def _joint(org):
    return engine.start(
        12, org.clerk_a, title="餐饮场所联合检查", parties={PARTICIPANT: [org.health_a.id, org.safety_a.id]}
    )


def test_joint_item_full_flow_with_return_and_publication(org, session):
    inst = _joint(org)
    inst = _do(org.clerk_a, inst, "add")
    inst = _do(org.clerk_a, inst, "consult")
    # each participating department answers for itself
    assert {i.department_id for i in inst.work_items if i.step_key == "participate"} == {org.health_a.id, org.safety_a.id}
    with pytest.raises(ProcessError, match="理由"):
        _do(org.safety_clerk, inst, "participate", "no", department=org.safety_a)
    inst = _do(org.safety_clerk, inst, "participate", "no", comment="本部门无相关职责", department=org.safety_a)
    assert inst.current_step == "participate"
    inst = _do(org.health_clerk, inst, "participate", "yes", department=org.health_a)
    # the department that declined drops out of the implementation lists
    assert inst.current_step == "own_list"
    own = {i.department_id for i in inst.work_items if i.step_key == "own_list"}
    assert own == {org.bureau_a.id, org.health_a.id}
    inst = _do(org.clerk_a, inst, "own_list", department=org.bureau_a)
    inst = _do(org.health_clerk, inst, "own_list", department=org.health_a)
    inst = _do(org.clerk_a, inst, "submit")
    assert inst.current_step == "review"
    # only the conference office of the initiator's district may review
    review = _item(inst, "review")
    assert review.department_id == org.office_a.id
    assert not engine.can_act(org.office_b_user, review)
    assert not engine.can_act(org.clerk_a, review)
    inst = _do(org.office_user, inst, "review", "return", comment="依据不充分")
    assert inst.current_step == "terminate"
    inst = _do(org.clerk_a, inst, "terminate", "no")
    assert inst.current_step == "own_list"
    inst = _do(org.clerk_a, inst, "own_list", department=org.bureau_a)
    inst = _do(org.health_clerk, inst, "own_list", department=org.health_a)
    inst = _do(org.clerk_a, inst, "submit")
    inst = _do(org.office_user, inst, "review", "approve")
    assert inst.status == InstanceStatus.COMPLETED
    assert inst.history[-1].step_key == "publish"


def test_joint_item_can_be_terminated(org):
    inst = _joint(org)
    for step in ("add", "consult"):
        inst = _do(org.clerk_a, inst, step)
    inst = _do(org.health_clerk, inst, "participate", "yes", department=org.health_a)
    inst = _do(org.safety_clerk, inst, "participate", "yes", department=org.safety_a)
    for user, dept in ((org.clerk_a, org.bureau_a), (org.health_clerk, org.health_a), (org.safety_clerk, org.safety_a)):
        inst = _do(user, inst, "own_list", department=dept)
    inst = _do(org.clerk_a, inst, "submit")
    inst = _do(org.office_user, inst, "review", "return", comment="不符合要求")
    inst = _do(org.clerk_a, inst, "terminate", "yes", comment="不再新增")
    assert inst.status == InstanceStatus.TERMINATED
    assert not [i for i in inst.work_items if i.status == WorkItemStatus.OPEN]


def test_everyone_declining_returns_to_consultation(org):
    inst = _joint(org)
    for step in ("add", "consult"):
        inst = _do(org.clerk_a, inst, step)
    inst = _do(org.health_clerk, inst, "participate", "no", comment="否", department=org.health_a)
    inst = _do(org.safety_clerk, inst, "participate", "no", comment="否", department=org.safety_a)
    assert inst.current_step == "consult"


def _scheme_at_review(org):
    inst = engine.start(20, org.clerk_a, title="2026年第一批食品销售抽查")
    return _do(org.clerk_a, inst, "scheme")


def test_two_leaders_approve_at_once_one_is_told_it_was_handled(org, session):
    inst = _scheme_at_review(org)
    item = _item(inst, "review_scheme")
    seen_version = item.version
    engine.complete(org.leader_a, item.id, "approve", version=seen_version)
    history_len = len(inst.history)
    with pytest.raises(StaleSubmission, match="该事项已被他人处理"):
        engine.complete(org.leader_a2, item.id, "approve", version=seen_version)
    assert len(inst.history) == history_len
    assert inst.current_step == "draw_objects"


def test_stale_version_is_refused_even_if_item_open(org):
    inst = _scheme_at_review(org)
    item = _item(inst, "review_scheme")
    with pytest.raises(StaleSubmission):
        engine.complete(org.leader_a, item.id, "approve", version=item.version + 7)
    assert item.status == WorkItemStatus.OPEN


def test_leader_review_needs_leader_not_clerk_and_same_district(org):
    inst = _scheme_at_review(org)
    item = _item(inst, "review_scheme")
    assert not engine.can_act(org.clerk_a, item)
    assert not engine.can_act(org.leader_b, item)
    assert engine.can_act(org.leader_a, item)
    with pytest.raises(NotAllowed):
        engine.complete(org.clerk_a, item.id, "approve", version=item.version)


def test_leader_approves_for_a_section_below(org):
    inst = engine.start(20, org.section_clerk_a, title="科室方案")
    inst = _do(org.section_clerk_a, inst, "scheme")
    item = _item(inst, "review_scheme")
    assert engine.can_act(org.leader_a, item)
    assert item in engine.inbox(org.leader_a)
    assert item not in engine.inbox(org.clerk_a)


def test_return_requires_reason_and_goes_back(org):
    inst = _scheme_at_review(org)
    with pytest.raises(ProcessError):
        _do(org.leader_a, inst, "review_scheme", "return")
    inst = _do(org.leader_a, inst, "review_scheme", "return", comment="抽查比例过高")
    assert inst.current_step == "scheme"
    assert inst.history[-1].comment == "抽查比例过高"


def test_unknown_outcome_is_refused(org):
    inst = _scheme_at_review(org)
    with pytest.raises(ProcessError, match="无效"):
        _do(org.leader_a, inst, "review_scheme", "publish-now")


def test_withdraw_before_next_step_acts(org):
    inst = _scheme_at_review(org)
    assert engine.can_withdraw(org.clerk_a, inst)
    assert not engine.can_withdraw(org.leader_a, inst)
    inst = engine.withdraw(org.clerk_a, inst.id, version=inst.version)
    assert inst.current_step == "scheme"
    assert [i.status for i in inst.work_items if i.step_key == "review_scheme"] == [WorkItemStatus.CANCELLED]
    assert _item(inst, "scheme").department_id == org.bureau_a.id
    # once the leader has acted there is nothing to withdraw
    inst = _do(org.clerk_a, inst, "scheme")
    inst = _do(org.leader_a, inst, "review_scheme", "approve")
    assert not engine.can_withdraw(org.clerk_a, inst)
    with pytest.raises(ProcessError):
        engine.withdraw(org.clerk_a, inst.id, version=inst.version)


def test_withdraw_with_stale_version_is_refused(org):
    inst = _scheme_at_review(org)
    with pytest.raises(StaleSubmission):
        engine.withdraw(org.clerk_a, inst.id, version=inst.version - 1)


def test_single_department_random_check_runs_to_completion(org):
    """表20 from scheme to 完成抽查."""
    inst = _scheme_at_review(org)
    inst = _do(org.leader_a, inst, "review_scheme", "approve")
    inst = _do(org.clerk_a, inst, "draw_objects")
    inst = _do(org.clerk_a, inst, "draw_inspectors")
    # an inspector of a station below the bureau acts in the bureau's 执法人员 lane
    item = _item(inst, "inspect")
    assert item.department_id == org.bureau_a.id
    assert item in engine.inbox(org.inspector_a)
    assert not engine.can_act(org.clerk_a, item)
    inst = _do(org.inspector_a, inst, "inspect")
    inst = _do(org.inspector_a, inst, "record")
    inst = _do(org.inspector_a, inst, "review_results", "return", comment="记录不完整")
    assert inst.current_step == "record"
    inst = _do(org.inspector_a, inst, "record")
    inst = _do(org.inspector_a, inst, "review_results", "approve")
    # 公示检查结果 is the platform's; 完成抽查 waits for the inspector
    assert inst.current_step == "finish"
    assert inst.history[-1].actor_name == "智慧监管平台"
    inst = _do(org.inspector_a, inst, "finish")
    assert inst.status == InstanceStatus.COMPLETED


def test_inbox_lists_items_in_my_lanes_only(org):
    inst = _joint(org)
    inst = _do(org.clerk_a, inst, "add")
    inst = _do(org.clerk_a, inst, "consult")
    assert {i.step_key for i in engine.inbox(org.health_clerk)} == {"participate"}
    assert engine.inbox(org.clerk_a) == []
    assert engine.inbox(org.clerk_b) == []
    assert engine.inbox(org.office_user) == []


def test_unknown_step_in_stored_data_is_refused_cleanly(org, session):
    """A work item whose step no longer exists in the definitions (data from an older release)."""
    from workflows.errors import NotFound

    inst = engine.start(7, org.clerk_a, title="旧数据")
    item = _item(inst, "add")
    item.step_key = "no_such_step"
    session.flush()
    with pytest.raises(NotFound, match="未知的业务环节"):
        engine.complete(org.clerk_a, item.id, "next", version=item.version)


def test_unknown_work_item_is_not_found(org):
    from workflows.errors import NotFound

    with pytest.raises(NotFound, match="未找到该待办事项"):
        engine.complete(org.clerk_a, 987654, "next", version=1)


def _campaign_to_joint_decision(org, parties):
    inst = engine.start(23, org.clerk_a, title="燃气安全专项整治", parties=parties)
    for step in ("risk", "objects", "plan"):
        inst = _do(org.clerk_a, inst, step)
    assert inst.current_step == "joint"
    return inst


def test_campaign_without_participants_runs_alone_and_skips_their_steps(org):
    inst = _campaign_to_joint_decision(org, {})
    item = _item(inst, "joint")
    outcomes = {a.transition.outcome for a in engine.actions_for(org.clerk_a, inst) if a.item.id == item.id}
    assert outcomes == {"no"}  # 联合执法 needs participants
    inst = _do(org.clerk_a, inst, "joint", "no")
    inst = _do(org.clerk_a, inst, "enforce")
    # 指派执法人员 waits for the initiator only
    assert [i.department_id for i in inst.work_items if i.step_key == "assign"] == [org.bureau_a.id]
    inst = _do(org.clerk_a, inst, "assign")
    for step, outcome in (("inspect", "next"), ("lawful", "yes")):
        inst = _do(org.inspector_a, inst, step, outcome)
    inst = _do(org.inspector_a, inst, "report")
    inst = _do(org.clerk_a, inst, "summary")
    inst = _do(org.clerk_a, inst, "notify")
    # 接收通报 has no participating department: skipped, and the campaign ends
    assert inst.status == InstanceStatus.COMPLETED
    assert inst.history[-1].action == "skip"


def test_campaign_with_participants_offers_joint_action(org):
    inst = _campaign_to_joint_decision(org, {PARTICIPANT: [org.health_a.id]})
    inst = _do(org.clerk_a, inst, "joint", "yes")
    inst = _do(org.clerk_a, inst, "send_plan")
    assert _item(inst, "joint_enforce").department_id == org.health_a.id


def test_inspectors_of_member_units_act_in_a_conference_led_process(org, make_user):
    """表24 is started by the conference office; its 执法人员 come from the member units."""
    from models.roles import Role
    from workflows.lanes import MEMBER

    health_inspector = make_user(org.health_a, Role.INSPECTOR, name="卫健执法员")
    office_b_inspector = make_user(org.bureau_b, Role.INSPECTOR, name="乙区执法员")
    liaison = make_user(org.health_a, Role.MEMBER_LIAISON, name="卫健联络员")
    inst = engine.start(24, org.office_user, title="无证无照经营综合治理", parties={MEMBER: [org.health_a.id]})
    inst = _do(org.office_user, inst, "notice")
    inst = _do(liaison, inst, "annual_plan")
    for step in ("collect", "scheme"):
        inst = _do(org.office_user, inst, step)
    while inst.current_step != "enforce":
        inst = _do(liaison, inst, inst.current_step)
    item = _item(inst, "enforce")
    assert engine.can_act(health_inspector, item)
    assert item in engine.inbox(health_inspector)
    assert not engine.can_act(office_b_inspector, item)
    assert item not in engine.inbox(office_b_inspector)
    assert not engine.can_act(org.inspector_a, item)  # 甲区市场监管局 is not a member unit here


def test_process_with_unregistered_guard_cannot_be_started(org, monkeypatch):
    from workflows.guards import GUARDS
    from workflows.registry import PROCESSES

    # services/plans.py registers them; without them 表21 would stop at its branch.
    monkeypatch.delitem(GUARDS, "ad_hoc_plan", raising=False)
    monkeypatch.delitem(GUARDS, "not_ad_hoc_plan", raising=False)
    assert engine.missing_guards(PROCESSES[21]) == ["ad_hoc_plan", "not_ad_hoc_plan"]
    assert not engine.can_start(org.clerk_a, PROCESSES[21])
    with pytest.raises(ProcessError, match="尚未接入"):
        engine.start(21, org.clerk_a, title="x", parties={PARTICIPANT: [org.health_a.id]})
    assert engine.missing_guards(PROCESSES[12]) == []


def test_asking_again_after_everyone_declined_is_a_new_round(org):
    inst = _joint(org)
    for step in ("add", "consult"):
        inst = _do(org.clerk_a, inst, step)
    inst = _do(org.health_clerk, inst, "participate", "no", comment="否", department=org.health_a)
    inst = _do(org.safety_clerk, inst, "participate", "no", comment="否", department=org.safety_a)
    assert inst.current_step == "consult"
    inst = _do(org.clerk_a, inst, "consult")
    # both are asked again, and only this round's answers decide
    assert {i.department_id for i in inst.work_items if i.step_key == "participate" and i.status == WorkItemStatus.OPEN} == {
        org.health_a.id,
        org.safety_a.id,
    }
    inst = _do(org.health_clerk, inst, "participate", "yes", department=org.health_a)
    inst = _do(org.safety_clerk, inst, "participate", "no", comment="仍不参与", department=org.safety_a)
    assert inst.current_step == "own_list"
    assert {i.department_id for i in inst.work_items if i.step_key == "own_list"} == {org.bureau_a.id, org.health_a.id}


def test_revisited_step_does_not_count_the_earlier_round(org):
    """表20: a return sends 录入检查结果 back; the old 审核 answer must not decide the new round."""
    inst = _scheme_at_review(org)
    inst = _do(org.leader_a, inst, "review_scheme", "return", comment="比例不当")
    inst = _do(org.clerk_a, inst, "scheme")
    statuses = [i.status for i in inst.work_items if i.step_key == "review_scheme"]
    assert statuses == [WorkItemStatus.SUPERSEDED, WorkItemStatus.OPEN]
    inst = _do(org.leader_a, inst, "review_scheme", "approve")
    assert inst.current_step == "draw_objects"
