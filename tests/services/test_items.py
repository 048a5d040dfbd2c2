"""Single-department item lists (表7–表11): each verb drives its process and 一公开."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import AuditEvent, CheckItem, ItemCategory, ItemStatus, ProcessInstance, PublicationAction
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from models.workflow import InstanceStatus
from services import item_claims
from services import items as svc
from services import publication as pub
from tests.factories.items import FOOD, general


def history_of(instance):
    return [(h.step_name, h.action) for h in instance.history]


def instances(session, item, table):
    return session.execute(
        select(ProcessInstance).where(
            ProcessInstance.subject_type == "check_item",
            ProcessInstance.subject_id == item.id,
            ProcessInstance.process_table == table,
        )
    ).scalars().all()


@pytest.fixture()
def city(org, make_department, make_user):
    """A city bureau with a section and a clerk: the city list (市级抽查事项清单)."""
    bureau = make_department("测试市市场监督管理局", org.city, DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION)
    section = make_department("测试市信用监督管理处", bureau, DepartmentLevel.SECTION)
    clerk = make_user(bureau, Role.CLERK, name="市局经办人")
    return type("City", (), {"bureau": bureau, "section": section, "clerk": clerk})


def test_add_publishes_through_table_7(org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    assert item.status == ItemStatus.PUBLISHED and item.version == 1
    assert item.category == ItemCategory.KEY and item.ratio_cap is None
    assert item.methods == "书面检查、实地核查" and item.industry_code == "H"
    (inst,) = instances(session, item, 7)
    assert inst.status == InstanceStatus.COMPLETED
    assert [s for s, _ in history_of(inst)] == ["发起", "新增本部门抽查事项", "公布事项"]
    assert "信用中国" in inst.history[-1].comment
    (p,) = pub.history("check_item", item.id)
    payload = pub.payload_of(p)
    assert list(payload)[0] == "清单类型" and payload["清单类型"] == "单部门"
    assert payload["抽查事项"] == FOOD["name"] and payload["事项类别"] == "重点检查事项"
    assert "备注" not in payload and "内部备注" not in p.payload
    assert not {"信用风险分类", "信用风险等级", "抽查比例上限（%）"} & set(payload)
    assert (p.list_type, p.domain, p.instance_id) == ("单部门", "食品安全", inst.id)


def test_general_items_need_a_ratio_cap_and_fields_are_checked(org, session):
    with pytest.raises(svc.ItemInvalid) as exc:
        svc.create_item(org.clerk_a, general(ratio_cap=""))
    assert exc.value.errors == {"ratio_cap": "一般检查事项须填写抽查比例上限"}
    with pytest.raises(svc.ItemInvalid) as exc:
        svc.create_item(org.clerk_a, general(ratio_cap="120", methods="书面检查、飞行检查", name="", industry_code="9"))
    assert set(exc.value.errors) == {"name", "ratio_cap", "methods", "industry_code"}
    item = svc.create_item(org.clerk_a, general(ratio_cap="5%"))
    assert item.ratio_cap == Decimal("5")
    key = svc.create_item(org.clerk_a, {**FOOD, "name": "特种设备检查", "ratio_cap": "30"})
    assert key.ratio_cap is None  # 重点检查事项：抽查比例不设上限
    with pytest.raises(svc.ItemInvalid, match="同名"):
        svc.create_item(org.clerk_a, FOOD | {"name": "特种设备检查"})


def test_only_clerks_and_leaders_maintain_the_list(org, session):
    with pytest.raises(Forbidden):
        svc.create_item(org.inspector_a, FOOD)
    item = svc.create_item(org.leader_a, FOOD)
    with pytest.raises(Forbidden):
        svc.edit_item(org.clerk_b, item, FOOD | {"objects": "x"}, version=item.version)
    with pytest.raises(Forbidden):  # a section cannot edit its bureau's item
        svc.edit_item(org.section_clerk_a, item, FOOD | {"objects": "x"}, version=item.version)


def test_edit_publishes_a_new_version_and_refuses_a_stale_form(org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    changes = svc.edit_item(org.clerk_a, item, FOOD | {"objects": "食品经营者"}, version=1)
    assert changes == {"检查对象": ["食品生产经营者", "食品经营者"]}
    assert item.version == 2
    (inst,) = instances(session, item, 8)
    assert [s for s, _ in history_of(inst)] == ["发起", "选择拟编辑的抽查事项", "编辑抽查事项", "公布事项"]
    assert [p.version for p in pub.history("check_item", item.id)] == [1, 2]
    with pytest.raises(Conflict, match="已被他人处理"):
        svc.edit_item(org.clerk_a, item, FOOD | {"objects": "旧表单"}, version=1)
    assert item.objects == "食品经营者"
    assert svc.edit_item(org.clerk_a, item, FOOD | {"objects": "食品经营者"}, version=2) == {}
    assert len(instances(session, item, 8)) == 1


def test_delete_withdraws_from_the_public_list_and_keeps_the_row(org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    inst = svc.delete_item(org.clerk_a, item, version=1, reason="职能调整")
    assert [s for s, _ in history_of(inst)] == ["发起", "选择拟删除的抽查事项", "删除抽查事项", "公布事项"]
    assert item.status == ItemStatus.DELETED and item.deleted_at is not None
    last = pub.history("check_item", item.id)[-1]
    assert (last.action, last.version, item.version) == (PublicationAction.WITHDRAW, 2, 2)
    assert item.id not in [p.subject_id for p in session.execute(pub.current("check_item")).scalars()]
    assert session.get(CheckItem, item.id) is not None
    with pytest.raises(Conflict):
        svc.delete_item(org.clerk_a, item, version=2)
    # the name is free again
    svc.create_item(org.clerk_a, FOOD)


def test_claim_takes_a_city_item_once(org, session, city):
    source = svc.create_item(city.clerk, general(inspecting_body="测试市市场监督管理局"))
    draft_like = svc.create_item(city.clerk, FOOD)
    svc.delete_item(city.clerk, draft_like, version=1)
    listed = session.execute(item_claims.city_list_query(org.clerk_a)).scalars().all()
    assert [i.id for i in listed] == [source.id]
    assert session.execute(item_claims.city_list_query(city.clerk)).scalars().all() == []  # the city claims nothing
    copy = item_claims.claim_item(org.clerk_a, source)
    assert (copy.source_id, copy.department_id, copy.status) == (source.id, org.bureau_a.id, ItemStatus.PUBLISHED)
    assert copy.ratio_cap == Decimal("5") and copy.name == source.name
    (inst,) = instances(session, copy, 10)
    assert [s for s, _ in history_of(inst)] == ["发起", "选择拟认领的抽查事项", "认领抽查事项"]
    assert inst.status == InstanceStatus.COMPLETED
    with pytest.raises(Conflict, match="重复认领"):
        item_claims.claim_item(org.clerk_a, source)
    assert item_claims.claimed_ids(org.clerk_a) == {source.id}
    assert item_claims.claimable(org.clerk_a, draft_like.id) is None
    with pytest.raises(Forbidden):
        item_claims.claim_item(city.clerk, source)
    with pytest.raises(Forbidden):  # a section does not claim: its bureau assigns (表11)
        item_claims.claim_item(org.section_clerk_a, source)
    assert session.execute(item_claims.city_list_query(org.section_clerk_a)).scalars().all() == []
    # district B claims its own copy
    item_claims.claim_item(org.clerk_b, source)
    # a claimed item is edited and published as the district's own
    svc.edit_item(org.clerk_a, copy, svc.form_values(copy) | {"objects": "区内广告发布者"}, version=0)
    assert copy.version == 1 and pub.history("check_item", copy.id)[0].department_id == org.bureau_a.id


def test_assign_to_a_section_or_a_district_bureau(org, session, city):
    item = svc.create_item(org.clerk_a, FOOD)
    targets = {d.name for d in item_claims.assign_targets(item)}
    assert targets == {"甲区信用监督管理科", "甲区第一市场监管所"}
    with pytest.raises(Invalid):
        item_claims.assign_item(org.clerk_a, item, org.bureau_b.id, version=1)
    inst = item_claims.assign_item(org.clerk_a, item, org.section_a.id, version=1)
    assert [s for s, _ in history_of(inst)] == ["发起", "选择拟指派的抽查事项", "指派抽查事项"]
    assert item.assigned_department_id == org.section_a.id
    city_item = svc.create_item(city.clerk, general())
    targets = {d.name for d in item_claims.assign_targets(city_item)}
    assert targets == {"测试市信用监督管理处", "甲区市场监督管理局", "甲区卫生健康局", "甲区应急管理局",
                       "乙区市场监督管理局"}
    item_claims.assign_item(city.clerk, city_item, org.bureau_b.id, version=1)
    # the assigned district sees the item, another district does not
    assert svc.is_visible(org.clerk_b, city_item)
    assert not svc.is_visible(org.clerk_a, city_item)
    assert not svc.is_visible(org.clerk_b, item)
    ids = session.execute(svc.list_query(org.clerk_b, svc.parse_filters({}))).scalars().all()
    assert [i.id for i in ids] == [city_item.id]


def test_list_filters(org, session):
    a = svc.create_item(org.clerk_a, FOOD)
    b = svc.create_item(org.clerk_a, general())
    c = svc.create_item(org.section_clerk_a, general(name="科室事项", domain="广告"))
    svc.delete_item(org.clerk_a, b, version=1)

    def ids(**args):
        return [i.id for i in session.execute(svc.list_query(org.leader_a, svc.parse_filters(args))).scalars()]

    assert sorted(ids()) == sorted([a.id, c.id])
    assert ids(status="deleted") == [b.id]
    assert sorted(ids(status="all")) == sorted([a.id, b.id, c.id])
    assert ids(category="key") == [a.id]
    assert ids(domain="广告") == [c.id]
    assert ids(industry="h") == [a.id]
    assert ids(q="科室") == [c.id]
    assert ids(department_id=str(org.section_a.id)) == [c.id]
    assert ids(department_id=str(org.bureau_b.id)) == []
    assert svc.domains(org.leader_a) == ["广告", "食品安全"]
    actions = session.execute(
        select(AuditEvent.action).where(AuditEvent.object_type == "check_item", AuditEvent.object_id == str(b.id))
    ).scalars().all()
    assert sorted(actions) == ["create", "delete", "publish", "unpublish"]


def test_publish_handler_ignores_instances_without_an_item(org, session):
    from workflows import engine

    inst = engine.start(7, org.clerk_a, title="无业务对象")
    engine.advance(org.clerk_a, inst, "add", "next")
    assert inst.status == InstanceStatus.COMPLETED
    assert session.execute(pub.feed("check_item")).scalars().all() == []
