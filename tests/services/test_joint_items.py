"""部门联合抽查事项清单 (表12–表14): every path of the three flows, on both backends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from infrastructure.errors import Conflict, Invalid
from models import CheckItem, CheckItemPart, ItemKind, ItemStatus, Publication, PublicationAction, db
from models.workflow import InstanceStatus
from services import joint_item_queries, publication
from services import joint_items as svc
from workflows.errors import NotAllowed

FIELDS = {
    "name": "餐饮服务环节食品安全和公共场所卫生联合检查",
    "objects": "餐饮服务经营者",
    "methods": ["实地核查", "书面检查"],
    "levels": ["区县级"],
    "own_tasks": "餐饮服务食品安全监督检查",
    "domain": "食品安全",
    "industry_code": "H",
}


def _v(user, item, step):
    return joint_item_queries.my_steps(user, joint_item_queries.active_instance(item))[step].version


def _new(org, participants=None) -> CheckItem:
    ids = participants or [org.health_a.id, org.safety_a.id]
    item = svc.create(org.clerk_a, FIELDS, ids)
    db.session.flush()
    return item


def _send(org, item, participants=None):
    ids = participants or [p.department_id for p in item.parts if p.role.value == "participant"]
    return svc.consult(org.clerk_a, item, _v(org.clerk_a, item, "consult"), FIELDS, ids)


def _own(user, item, tasks="本部门事项"):
    return svc.own_list(user, item, _v(user, item, "own_list"), tasks, ["区县级"])


def _to_review(org, item, *, decline_safety=False):
    _send(org, item)
    svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), True)
    if decline_safety:
        svc.participate(org.safety_clerk, item, _v(org.safety_clerk, item, "participate"), False, "本局无此职责")
    else:
        svc.participate(org.safety_clerk, item, _v(org.safety_clerk, item, "participate"), True)
    _own(org.clerk_a, item, "餐饮服务食品安全监督检查")
    _own(org.health_clerk, item, "公共场所卫生监督检查")
    if not decline_safety:
        _own(org.safety_clerk, item, "消防安全检查")
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))


def _published(org) -> CheckItem:
    item = _new(org)
    _to_review(org, item)
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    db.session.flush()
    return item


def _current(item):
    pub = db.session.execute(
        publication.current("check_item").where(Publication.subject_id == item.id)
    ).scalars().first()
    return publication.payload_of(pub) if pub else None


# ------------------------------------------------------------------ 表12


def test_add_accept_approve_publishes(session, org):
    item = _new(org)
    inst = joint_item_queries.active_instance(item)
    assert item.kind == ItemKind.JOINT and item.status == ItemStatus.DRAFT
    assert inst.process_table == 12 and inst.current_step == "consult"
    assert [p.role.value for p in item.parts] == ["initiator", "participant", "participant"]
    _to_review(org, item)
    assert joint_item_queries.active_instance(item).current_step == "review"
    assert _current(item) is None  # nothing public before approval
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    db.session.flush()
    assert item.status == ItemStatus.PUBLISHED and item.version == 1
    assert inst.status == InstanceStatus.COMPLETED
    payload = _current(item)
    assert list(payload)[0] == "清单类型" and payload["清单类型"] == "部门联合"
    assert payload["参与部门"] == "甲区卫生健康局、甲区应急管理局"
    assert payload["发起部门抽查事项"] == "餐饮服务食品安全监督检查"
    assert "甲区卫生健康局：公共场所卫生监督检查（区县级）" in payload["参与部门抽查事项及实施层级"]
    assert payload["各部门实施清单"].startswith("甲区市场监督管理局（发起部门）：餐饮服务食品安全监督检查（区县级）；")
    assert all(isinstance(v, str) for v in payload.values())
    steps = [h.step_key for h in inst.history]
    assert steps[-1] == "publish" and "participate" in steps and "own_list" in steps


def test_decline_reason_goes_back_and_item_publishes_without_decliner(session, org):
    item = _new(org)
    _to_review(org, item, decline_safety=True)
    part = next(p for p in item.parts if p.department_id == org.safety_a.id)
    assert part.declined and part.decline_reason == "本局无此职责"
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    db.session.flush()
    assert _current(item)["参与部门"] == "甲区卫生健康局"


def test_all_decline_returns_to_consult_with_new_participants(session, org):
    item = _new(org, [org.health_a.id])
    _send(org, item)
    svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), False, "不涉及")
    inst = joint_item_queries.active_instance(item)
    assert inst.current_step == "consult"
    svc.consult(org.clerk_a, item, _v(org.clerk_a, item, "consult"), FIELDS, [org.safety_a.id])
    assert [p.department_id for p in item.parts if p.role.value == "participant"] == [org.safety_a.id]
    assert joint_item_queries.my_steps(org.safety_clerk, inst).keys() == {"participate"}
    assert not joint_item_queries.my_steps(org.health_clerk, inst)


def test_decline_needs_a_reason(session, org):
    item = _new(org)
    _send(org, item)
    with pytest.raises(Invalid):
        svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), False, " ")


def test_return_revise_resubmit_approve(session, org):
    item = _new(org)
    _to_review(org, item)
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), False, "检查依据不全")
    assert joint_item_queries.active_instance(item).current_step == "terminate"
    assert joint_item_queries.return_reason(item) == "检查依据不全"
    with pytest.raises(NotAllowed):  # not the participant's decision
        svc.decide_terminate(org.health_clerk, item, 1, False)
    svc.decide_terminate(org.clerk_a, item, _v(org.clerk_a, item, "terminate"), False)
    inst = joint_item_queries.active_instance(item)
    assert inst.current_step == "own_list"
    assert all(not p.confirmed_at for p in item.parts)
    _own(org.clerk_a, item, "餐饮服务食品安全监督检查（补充依据）")
    _own(org.health_clerk, item)
    _own(org.safety_clerk, item)
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    db.session.flush()
    assert item.status == ItemStatus.PUBLISHED
    assert "补充依据" in _current(item)["发起部门抽查事项"]


def test_return_terminate_keeps_it_unpublished(session, org):
    item = _new(org)
    _to_review(org, item)
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), False, "不属于联合抽查范围")
    with pytest.raises(Invalid):
        svc.decide_terminate(org.clerk_a, item, _v(org.clerk_a, item, "terminate"), True, "")
    inst = joint_item_queries.active_instance(item)
    svc.decide_terminate(org.clerk_a, item, _v(org.clerk_a, item, "terminate"), True, "同意退回意见")
    assert item.status == ItemStatus.TERMINATED
    assert inst.status == InstanceStatus.TERMINATED
    assert _current(item) is None


def test_stale_form_and_strangers(session, org):
    item = _new(org)
    version = _v(org.clerk_a, item, "consult")
    _send(org, item)
    with pytest.raises(Conflict):  # the same form again
        svc.consult(org.clerk_a, item, version, FIELDS, [org.health_a.id])
    with pytest.raises(Conflict):  # the office's step is not open yet
        svc.review(org.office_user, item, 1, True)
    with pytest.raises(NotAllowed):  # and never a participant's
        svc.review(org.health_clerk, item, 1, True)
    assert not joint_item_queries.can_view(org.clerk_b, item)
    assert not joint_item_queries.can_view(org.office_b_user, item)
    assert joint_item_queries.can_view(org.health_clerk, item) and joint_item_queries.can_view(org.office_user, item)


def test_participants_are_partner_departments_only(session, org):
    with pytest.raises(Invalid):
        svc.create(org.clerk_a, FIELDS, [org.bureau_b.id])
    with pytest.raises(Invalid):
        svc.create(org.clerk_a, FIELDS, [])
    with pytest.raises(Invalid):
        svc.create(org.clerk_a, {**FIELDS, "methods": ["飞行检查"]}, [org.health_a.id])


def test_own_list_may_use_own_published_single_items(session, org):
    single = CheckItem(kind=ItemKind.SINGLE, status=ItemStatus.PUBLISHED, department_id=org.health_a.id,
                       name="公共场所卫生监督检查")
    other = CheckItem(kind=ItemKind.SINGLE, status=ItemStatus.PUBLISHED, department_id=org.safety_a.id,
                      name="他部门事项")
    session.add_all([single, other])
    item = _new(org)
    _send(org, item)
    svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), True)
    svc.participate(org.safety_clerk, item, _v(org.safety_clerk, item, "participate"), True)
    with pytest.raises(Invalid):
        svc.own_list(org.health_clerk, item, _v(org.health_clerk, item, "own_list"), "", ["区县级"], [other.id])
    svc.own_list(org.health_clerk, item, _v(org.health_clerk, item, "own_list"), "", ["区县级"], [single.id])
    part = session.execute(
        select(CheckItemPart).where(CheckItemPart.item_id == item.id, CheckItemPart.department_id == org.health_a.id)
    ).scalar_one()
    assert part.tasks == "公共场所卫生监督检查" and part.item_ids == str(single.id)


# ------------------------------------------------------------------ 表13


def test_edit_keeps_published_until_approved(session, org):
    item = _published(org)
    svc.start_edit(org.clerk_a, item, "法规修订")
    inst = joint_item_queries.active_instance(item)
    assert inst.process_table == 13 and inst.current_step == "consult"
    svc.consult(org.clerk_a, item, _v(org.clerk_a, item, "consult"), {**FIELDS, "name": "新名称"},
                [org.health_a.id])
    assert item.name == FIELDS["name"]  # the published row is untouched
    assert json.loads(item.pending_edit)["name"] == "新名称"
    svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), True)
    _own(org.clerk_a, item)
    _own(org.health_clerk, item, "新卫生事项")
    svc.collect(org.clerk_a, item, _v(org.clerk_a, item, "collect"))
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    assert _current(item)["联合抽查事项"] == FIELDS["name"]
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), False, "请补充")
    svc.decide_terminate(org.clerk_a, item, _v(org.clerk_a, item, "terminate"), False)
    _own(org.clerk_a, item)
    _own(org.health_clerk, item, "新卫生事项")
    svc.collect(org.clerk_a, item, _v(org.clerk_a, item, "collect"))
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    db.session.flush()
    assert item.name == "新名称" and item.version == 2 and item.pending_edit is None
    assert [p.department_id for p in item.parts] == [org.bureau_a.id, org.health_a.id]
    payload = _current(item)
    assert payload["联合抽查事项"] == "新名称" and payload["参与部门"] == "甲区卫生健康局"


def test_edit_terminated_discards_the_proposal(session, org):
    item = _published(org)
    svc.start_edit(org.clerk_a, item)
    with pytest.raises(Conflict):  # one flow at a time
        svc.start_delete(org.clerk_a, item, "x")
    svc.consult(org.clerk_a, item, _v(org.clerk_a, item, "consult"), {**FIELDS, "name": "不会公布"},
                [org.health_a.id, org.safety_a.id])
    svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), True)
    svc.participate(org.safety_clerk, item, _v(org.safety_clerk, item, "participate"), True)
    for user in (org.clerk_a, org.health_clerk, org.safety_clerk):
        _own(user, item)
    svc.collect(org.clerk_a, item, _v(org.clerk_a, item, "collect"))
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), False, "不同意")
    svc.decide_terminate(org.clerk_a, item, _v(org.clerk_a, item, "terminate"), True, "放弃编辑")
    assert item.pending_edit is None and item.status == ItemStatus.PUBLISHED and item.version == 1
    assert _current(item)["联合抽查事项"] == FIELDS["name"]


def test_only_the_initiator_edits_a_published_item(session, org):
    item = _published(org)
    from infrastructure.errors import Forbidden

    with pytest.raises(Forbidden):
        svc.start_edit(org.health_clerk, item)
    with pytest.raises(Forbidden):
        svc.start_delete(org.health_clerk, item, "理由")


# ------------------------------------------------------------------ 表14


def test_delete_return_reselect_approve_withdraws(session, org):
    item = _published(org)
    with pytest.raises(Invalid):
        svc.start_delete(org.clerk_a, item, "")
    svc.start_delete(org.clerk_a, item, "上级取消该检查事项")
    assert joint_item_queries.deletion_notices(org.health_clerk) == []
    svc.notify(org.clerk_a, item, _v(org.clerk_a, item, "notify"))
    assert joint_item_queries.deletion_notices(org.health_clerk) == [item]
    assert joint_item_queries.deletion_notified(item)
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), False, "依据文件未附")
    assert joint_item_queries.active_instance(item).current_step == "select"
    svc.reselect(org.clerk_a, item, _v(org.clerk_a, item, "select"), "上级取消该检查事项（附文件）")
    svc.notify(org.clerk_a, item, _v(org.clerk_a, item, "notify"))
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    assert _current(item) is not None  # still public while under review
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    assert joint_item_queries.active_instance(item).current_step == "delete"
    inst = joint_item_queries.active_instance(item)
    svc.delete(org.clerk_a, item, _v(org.clerk_a, item, "delete"))
    db.session.flush()
    assert item.status == ItemStatus.DELETED and item.deleted_at is not None
    assert inst.status == InstanceStatus.COMPLETED
    assert _current(item) is None
    last = publication.history("check_item", item.id)[-1]
    assert last.action == PublicationAction.WITHDRAW and item.version == last.version == 2
    assert session.get(CheckItem, item.id) is not None  # the row is kept
    assert joint_item_queries.deletion_notices(org.health_clerk) == []


def test_industry_groups_show_published_items_of_the_area(session, org):
    item = _published(org)
    draft = _new(org)
    groups = dict(joint_item_queries.industry_groups(org.health_clerk))
    assert list(groups) == ["H 住宿和餐饮业"]
    assert groups["H 住宿和餐饮业"] == [item] and draft not in groups["H 住宿和餐饮业"]
    assert joint_item_queries.industry_groups(org.clerk_b) == []


def test_demo_has_a_published_item_and_one_in_consultation(session):
    from cli.demo import load_demo

    load_demo()
    items = session.execute(select(CheckItem).where(CheckItem.kind == ItemKind.JOINT).order_by(CheckItem.id)).scalars()
    published, consulting = list(items)
    assert published.status == ItemStatus.PUBLISHED and _current(published)["清单类型"] == "部门联合"
    assert joint_item_queries.active_instance(consulting).current_step == "participate"


def test_edit_with_a_participant_declining(session, org):
    item = _published(org)
    svc.start_edit(org.clerk_a, item)
    _send(org, item, [org.health_a.id, org.safety_a.id])
    svc.participate(org.health_clerk, item, _v(org.health_clerk, item, "participate"), True)
    svc.participate(org.safety_clerk, item, _v(org.safety_clerk, item, "participate"), False, "职责调整")
    live = next(p for p in item.parts if p.department_id == org.safety_a.id)
    assert not live.declined  # the published part is untouched until approval
    assert not joint_item_queries.my_steps(org.safety_clerk, joint_item_queries.active_instance(item))
    _own(org.clerk_a, item)
    _own(org.health_clerk, item)
    svc.collect(org.clerk_a, item, _v(org.clerk_a, item, "collect"))
    svc.submit(org.clerk_a, item, _v(org.clerk_a, item, "submit"))
    svc.review(org.office_user, item, _v(org.office_user, item, "review"), True)
    db.session.flush()
    safety = next(p for p in item.parts if p.department_id == org.safety_a.id)
    assert safety.declined and safety.decline_reason == "职责调整"
    assert _current(item)["参与部门"] == "甲区卫生健康局" and item.version == 2


def test_city_user_chooses_a_district_on_the_industry_list(session, org, make_user):
    from models.roles import Role

    item = _published(org)
    city_clerk = make_user(org.city, Role.CLERK)
    assert [d.name for d in joint_item_queries.districts_of(city_clerk)] == ["甲区", "乙区"]
    assert joint_item_queries.districts_of(org.clerk_a) == []
    assert dict(joint_item_queries.industry_groups(city_clerk))["H 住宿和餐饮业"] == [item]
    assert joint_item_queries.industry_groups(city_clerk, org.district_b.id) == []
    assert dict(joint_item_queries.industry_groups(city_clerk, org.district_a.id))["H 住宿和餐饮业"] == [item]


def test_the_row_lock_rereads_an_item_changed_meanwhile(session, org):
    """``_lock`` must refresh the item from the locked row, else a participant's answer is
    written over a pending proposal from an old copy."""
    from sqlalchemy import text

    from tests.factories.plans import joint_item

    item = joint_item(org.bureau_a, org.health_a)
    before = item.version
    db.session.execute(text("UPDATE check_item SET version = version + 1 WHERE id = :id"), {"id": item.id})
    svc._lock(item)
    assert item.version == before + 1
