"""随机抽取执法人员派发抽查任务: eligibility and its reasons, the draw, leader, dispatch."""

from __future__ import annotations

import json
from datetime import date

import pytest

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import Draw, InspectorConflict, TeamMember, TeamRole, db
from models.inspectors import DutyStatus
from models.workflow import WorkItemStatus
from services import draw as draw_svc
from services import inspector_draws as draws
from tests.factories.teams import END, START, entity, make_inspector, make_task, start_task
from workflows import engine


def _team(task):
    return {m.inspector.name: m for m in draws.active_members(task)}


def test_eligibility_counts_every_exclusion_reason(org, session, app):
    e1 = entity(org, 1)
    task = make_task(org, entities=[e1])
    make_inspector(org.station_a, "合格甲")
    make_inspector(org.station_a, "不在岗", duty=DutyStatus.OFF)
    make_inspector(org.station_a, "过期", cert_valid_to=date(2026, 5, 20))  # valid on day 1, not through the end
    make_inspector(org.station_a, "无权限", random_permission=False)
    make_inspector(org.station_a, "无账号", account=False)
    conflicted = make_inspector(org.station_a, "回避")
    db.session.add(InspectorConflict(inspector_id=conflicted.id, entity_id=e1.id, reason="亲属"))
    recent = make_inspector(org.station_a, "近期")
    earlier = make_task(org, entities=[e1], start=date(2026, 1, 10), end=date(2026, 1, 20))
    db.session.add(TeamMember(task_id=earlier.id, department_id=org.bureau_a.id, inspector_id=recent.id))
    make_inspector(org.bureau_b, "乙区人员")  # another district: not counted at all
    db.session.flush()

    found = draws.eligibility(task, task.departments[0])
    assert [i.name for i in found.eligible] == ["合格甲"]
    assert found.excluded[draws.OFF_DUTY] == 1
    assert found.excluded[draws.CERT_EXPIRED] == 1
    assert found.excluded[draws.NO_PERMISSION] == 2
    assert found.excluded[draws.CONFLICT] == 1
    assert found.excluded[draws.RECENT] == 1
    assert "证件过期1人" in found.excluded_text and "回避1人" in found.excluded_text


def test_recent_inspection_window_is_configurable(org, session, app):
    e1 = entity(org, 2)
    task = make_task(org, entities=[e1])
    person = make_inspector(org.station_a, "去年检查过")
    earlier = make_task(org, entities=[e1], start=date(2025, 6, 1), end=date(2025, 6, 5))
    db.session.add(TeamMember(task_id=earlier.id, department_id=org.bureau_a.id, inspector_id=person.id))
    db.session.flush()
    assert draws.recently_inspected_ids(task, [person.id], {e1.id}) == {person.id}  # 365 days
    app.config["DRAW_RECENT_INSPECTION_DAYS"] = 30
    try:
        assert draws.recently_inspected_ids(task, [person.id], {e1.id}) == set()
    finally:
        app.config["DRAW_RECENT_INSPECTION_DAYS"] = 365
    # a replaced (inactive) membership or a removed object does not count
    db.session.query(TeamMember).filter_by(task_id=earlier.id).update({"active": False})
    assert draws.recently_inspected_ids(task, [person.id], {e1.id}) == set()


def test_revoked_conflict_no_longer_excludes(org, session):
    e1 = entity(org, 3)
    task = make_task(org, entities=[e1])
    person = make_inspector(org.station_a, "曾回避")
    db.session.add(InspectorConflict(inspector_id=person.id, entity_id=e1.id, reason="x", active=False))
    db.session.flush()
    assert [i.name for i in draws.eligibility(task, task.departments[0]).eligible] == ["曾回避"]


def test_speciality_filter(org, session):
    task = make_task(org)
    make_inspector(org.station_a, "食品", specialities=["食品安全"])
    make_inspector(org.station_a, "特种设备", specialities=["特种设备"])
    found = draws.eligibility(task, task.departments[0], speciality="食品安全")
    assert [i.name for i in found.eligible] == ["食品"]
    assert found.excluded[draws.NOT_MATCHING] == 1


def test_draw_makes_a_locked_verifiable_draw_and_the_leader(org, session):
    task = make_task(org, inspectors=2)
    for n in range(5):
        make_inspector(org.station_a, f"人员{n}")
    start_task(org, task)
    drawn = draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id, seed="ab" * 32)
    assert drawn.domain.value == "inspector" and drawn.population_size == 5 and drawn.result_size == 2
    assert len(draw_svc.unpack_population(drawn.population)) == 5
    assert draws.verify(drawn)
    ranked = json.loads(drawn.result)["-"]
    members = draws.active_members(task)
    leader = next(m for m in members if m.role == TeamRole.LEADER)
    assert f"inspector:{leader.inspector_id}" == ranked[0]  # first in rank order leads
    assert len(members) == 2 and all(m.source.value == "drawn" for m in members)
    # a department draws once
    with pytest.raises(Conflict):
        draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)


def test_draw_refusals(org, session):
    task = make_task(org, inspectors=3)
    start_task(org, task)
    make_inspector(org.station_a, "过期者", cert_valid_to=date(2026, 5, 2))
    with pytest.raises(ServiceError) as exc:
        draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    assert exc.value.status == 422 and "没有符合条件的执法人员" in exc.value.message and "证件过期1人" in exc.value.message
    make_inspector(org.station_a, "唯一合格")
    with pytest.raises(ServiceError) as exc:
        draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    assert exc.value.status == 422 and "仅1人，少于拟抽取的3人" in exc.value.message
    with pytest.raises(Forbidden):
        draws.draw_inspectors(org.leader_a, task, org.bureau_a.id)
    with pytest.raises(Forbidden):
        draws.draw_inspectors(org.health_clerk, task, org.bureau_a.id)
    assert db.session.query(Draw).filter_by(task_id=task.id).count() == 0


def test_draw_only_at_the_step(org, session):
    task = make_task(org)
    make_inspector(org.station_a, "甲")
    with pytest.raises(Conflict):
        draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)


def test_on_site_needs_two_and_dispatch_opens_personal_items(org, session):
    task = make_task(org, inspectors=1, methods="实地核查")
    a = make_inspector(org.station_a, "独行")
    inst = start_task(org, task)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    with pytest.raises(ServiceError) as exc:
        draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    assert exc.value.status == 422 and "至少需要2名" in exc.value.message
    assert inst.current_step == draws.DRAW_STEP

    task2 = make_task(org, inspectors=1, methods="书面检查")
    inst2 = start_task(org, task2)
    draws.draw_inspectors(org.clerk_a, task2, org.bureau_a.id)
    draws.dispatch(org.clerk_a, task2, org.bureau_a.id)
    assert inst2.current_step == "inspect"
    items = [i for i in inst2.work_items if i.step_key == "inspect" and i.status == WorkItemStatus.OPEN]
    assert [i.user_id for i in items] == [a.user_id]
    assert task2.status.value == "dispatched"
    assert items[0] in engine.inbox(a.user)
    assert not engine.inbox(org.inspector_a) or items[0] not in engine.inbox(org.inspector_a)


def test_single_dispatch_reaches_every_member_and_leader_completes(org, session):
    task = make_task(org, inspectors=3, methods="实地核查")
    for n in range(3):
        make_inspector(org.station_a, f"组员{n}")
    inst = start_task(org, task)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    team = draws.active_members(task)
    leader = next(m for m in team if m.role == TeamRole.LEADER)
    other = next(m for m in team if m.role != TeamRole.LEADER)
    items = [i for i in inst.work_items if i.step_key == "inspect" and i.status == WorkItemStatus.OPEN]
    assert {i.user_id for i in items} == {m.inspector.user_id for m in team}
    # a member acting completes only their own item
    engine.advance(other.inspector.user, inst, "inspect", "next")
    assert inst.current_step == "inspect"
    # the leader completes the step; the others' open items close
    engine.advance(leader.inspector.user, inst, "inspect", "next")
    assert inst.current_step == "record"
    assert not [i for i in inst.work_items if i.step_key == "inspect" and i.status == WorkItemStatus.OPEN]


def test_joint_each_party_draws_and_dispatches_its_own_part(org, session):
    task = make_task(org, inspectors=1, participants=(org.health_a,), participant_inspectors=1)
    lead = make_inspector(org.station_a, "市场监管")
    health = make_inspector(org.health_a, "卫健")
    inst = start_task(org, task)
    assert inst.process_table == 22
    # the participant draws first: not the leader
    draws.draw_inspectors(org.health_clerk, task, org.health_a.id)
    with pytest.raises(Forbidden):
        draws.draw_inspectors(org.health_clerk, task, org.bureau_a.id)
    with pytest.raises(ServiceError):
        draws.dispatch(org.clerk_a, task, org.bureau_a.id)  # not drawn yet
    draws.dispatch(org.health_clerk, task, org.health_a.id)
    assert inst.current_step == draws.DRAW_STEP
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    roles = {m.inspector.name: m.role for m in draws.active_members(task)}
    assert roles == {"市场监管": TeamRole.LEADER, "卫健": TeamRole.MEMBER}
    draws.dispatch(org.clerk_a, task, org.bureau_a.id)
    assert inst.current_step == "team"
    items = [i for i in inst.work_items if i.step_key == "team" and i.status == WorkItemStatus.OPEN]
    assert {i.user_id for i in items} == {lead.user_id, health.user_id}
    assert all(i.department_id == org.bureau_a.id for i in items)


def test_period_is_the_task_period(org, session):
    task = make_task(org, start=START, end=END)
    make_inspector(org.station_a, "到期", cert_valid_to=END)
    make_inspector(org.station_a, "未生效", cert_valid_from=date(2026, 5, 2))
    found = draws.eligibility(task, task.departments[0])
    assert [i.name for i in found.eligible] == ["到期"]
    assert found.excluded[draws.CERT_EXPIRED] == 1


def test_an_account_without_the_team_role_is_not_eligible(org, session):
    """Issue 13 item 4: drawn, even as 组长, an account without the 执法人员 role would be refused
    by its own 我的待办; eligibility asks exactly what the team and records pages ask."""
    from services import team_work
    from services.inspector_search import eligible_inspectors

    task = make_task(org, inspectors=1, methods="书面检查")
    clerk_only = make_inspector(org.bureau_a, "仅经办人", roles=(draws.Role.CLERK,))
    good = make_inspector(org.station_a, "执法甲")
    db.session.flush()
    assert not team_work.can_do_team_work(clerk_only.user) and team_work.can_do_team_work(good.user)
    assert [i.name for i in eligible_inspectors(org.bureau_a, on_date=START, until=END)] == ["执法甲"]
    found = draws.eligibility(task, task.departments[0])
    assert [i.name for i in found.eligible] == ["执法甲"]
    assert found.reasons[clerk_only.id] == draws.NO_WORK_ROLE == "账号无执法人员角色"
    assert "账号无执法人员角色1人" in found.excluded_text
    start_task(org, task)
    draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id)
    assert [(m.inspector.name, m.role) for m in draws.active_members(task)] == [("执法甲", TeamRole.LEADER)]


# ------------------------------------------------------------------ the one draw for every subject


def test_the_same_draw_serves_a_campaign_and_is_recomputed_from_its_record(org, session):
    subject = draws.Subject(draws.CAMPAIGN, 4242)
    keys = [f"user:{i}" for i in (3, 5, 8, 13)]
    first, drawn = draws.draw_people(org.clerk_a, subject, org.bureau_a.id, keys, 2, params={"n": 2}, seed="ab" * 32)
    assert first.task_id is None and (first.subject_type, first.subject_id) == ("campaign", 4242)
    assert len(drawn) == 2 and set(drawn) <= set(keys)
    assert draws.drawn_ids(first, "user") == [int(k.split(":")[1]) for k in drawn]
    assert draws.verify(first)
    # the same seed and population give the same ranks: the record alone re-computes it
    again, same = draws.draw_people(org.clerk_a, subject, org.bureau_a.id, keys, 2, params={}, seed="ab" * 32)
    assert same == drawn and again.attempt == first.attempt + 1
    assert draws.draws_of(subject) == [first, again]
    assert draws.draws_of(draws.Subject(draws.UNLICENSED_UNIT, 4242)) == []
    first.result = json.dumps({draw_svc.UNGRADED: list(reversed(drawn))})
    assert not draws.verify(first)  # a tampered result no longer matches


def test_a_draw_of_more_people_than_the_pool_is_refused(org, session):
    with pytest.raises(draws.DrawRefused, match="拟抽取人数须在1至2之间"):
        draws.draw_people(org.clerk_a, draws.Subject(draws.UNLICENSED_UNIT, 1), org.bureau_a.id,
                          ["user:1", "user:2"], 3, params={})
    assert db.session.query(Draw).count() == 0


def test_a_task_draw_keeps_its_task_and_no_subject(org, session):
    task = make_task(org, entities=[entity(org, 31)])
    make_inspector(org.station_a, "甲")
    make_inspector(org.station_a, "乙")
    start_task(org, task)
    drawn = draws.draw_inspectors(org.clerk_a, task, org.bureau_a.id, seed="cd" * 32)
    assert drawn.task_id == task.id and drawn.subject_type is None
    assert draws.draws_of(draws.Subject(draws.TASK, task.id)) == [drawn] and draws.verify(drawn)
