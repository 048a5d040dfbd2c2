"""监管认领 and 对象维护 (services/daily): claims, rules, removal check, officer assignment."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from infrastructure.errors import Invalid
from models import db
from models.daily import ObjectSource, SupervisedObject
from services.daily import claim, objects, officers
from tests.factories import daily as f


def _objects(department):
    return {o.entity_id: o for o in db.session.execute(
        select(SupervisedObject).where(SupervisedObject.department_id == department.id)).scalars()}


def test_claim_is_set_based_and_idempotent(org, session):
    a, b = f.entity(org), f.entity(org)
    assert claim(session, org.bureau_a.id, [a.id, b.id, a.id], ObjectSource.CLAIM, org.clerk_a) == 2
    assert claim(session, org.bureau_a.id, [a.id, b.id], ObjectSource.CLAIM, org.clerk_a) == 0
    rows = _objects(org.bureau_a)
    assert set(rows) == {a.id, b.id}
    assert rows[a.id].source is ObjectSource.CLAIM and rows[a.id].active


def test_an_entity_may_have_several_departments(org, session):
    a = f.entity(org)
    claim(session, org.bureau_a.id, [a.id], "claim", org.clerk_a)
    claim(session, org.health_a.id, [a.id], "auto", org.health_clerk)
    assert [o.department.name for o in objects.supervisors_of(a.id)] == ["甲区市场监督管理局", "甲区卫生健康局"]


def test_claim_outside_the_area_is_refused_and_writes_nothing(org, session):
    a, foreign = f.entity(org), f.entity(org, "b")
    with pytest.raises(Invalid, match="不在本部门辖区内") as info:
        claim(session, org.bureau_a.id, [a.id, foreign.id], "claim", org.clerk_a)
    assert foreign.name in info.value.message
    assert _objects(org.bureau_a) == {}


def test_own_permits_are_claimed_automatically(org, session):
    held, other, lapsed = f.entity(org), f.entity(org), f.entity(org)
    f.permit(held, org.health_a)
    f.permit(other, org.safety_a)
    f.permit(lapsed, org.health_a, status="注销")
    assert objects.sync_permits(session, org.health_a) == 1
    assert objects.sync_permits(session, org.health_a) == 0
    assert set(_objects(org.health_a)) == {held.id}
    assert _objects(org.health_a)[held.id].source is ObjectSource.AUTO


def test_an_entity_answered_issued_under_double_notice_becomes_an_object(org, session):
    """双告知's 已发证 (docs/notice.md) makes the entity the answering department's object, as a
    permit of its own does, and the removal check does not list it."""
    from sqlalchemy import select

    from models import ScopeNotice
    from services.notice import feedback
    from tests.factories.notice import food_entity, map_food

    map_food(org)
    issued, waiting = food_entity(org, 81, scope="食品生产"), food_entity(org, 82, scope="食品生产")
    notice = session.execute(select(ScopeNotice).where(ScopeNotice.entity_id == issued.id)).scalars().first()
    feedback.mark_issued(org.health_clerk, notice, "JY510108", "2026-03-01")
    session.commit()
    assert objects.sync_permits(session, org.health_a) == 1
    assert set(_objects(org.health_a)) == {issued.id} and waiting.id not in _objects(org.health_a)
    assert objects.check_removals(session, org.health_a) == 0


def test_rule_suggestions_then_confirmation(org, session):
    food = f.entity(org, name="甲区好味道餐饮店", business_scope="餐饮服务")
    shop = f.entity(org, name="甲区五金商店", business_scope="五金销售")
    objects.add_rule(org.clerk_a, "scope", "餐饮")
    with pytest.raises(Invalid):
        objects.add_rule(org.clerk_a, "scope", "餐饮")
    found = [e.id for e in objects.suggestions(org.clerk_a)]
    assert food.id in found and shop.id not in found
    claim(session, org.bureau_a.id, [food.id], ObjectSource.RULE, org.clerk_a)
    assert food.id not in [e.id for e in objects.suggestions(org.clerk_a)]


def test_single_claim_by_code_or_name(org):
    a = f.entity(org, name="甲区唯一名称餐饮店")
    assert objects.find_entity(org.clerk_a, a.uscc).id == a.id
    assert objects.find_entity(org.clerk_a, "甲区唯一名称餐饮店").id == a.id
    with pytest.raises(Invalid, match="未找到"):
        objects.find_entity(org.clerk_a, "不存在的公司")


def test_removal_check_lists_lost_permits_and_changed_scope(org, session):
    permitted, ruled, kept = f.entity(org), f.entity(org, business_scope="餐饮服务"), f.entity(org)
    permit = f.permit(permitted, org.bureau_a)
    objects.sync_permits(session, org.bureau_a)
    objects.add_rule(org.clerk_a, "scope", "餐饮")
    claim(session, org.bureau_a.id, [ruled.id], "rule", org.clerk_a)
    claim(session, org.bureau_a.id, [kept.id], "claim", org.clerk_a)
    assert objects.check_removals(session, org.bureau_a) == 0
    permit.status = "吊销"
    ruled.business_scope = "五金销售"
    session.flush()
    assert objects.check_removals(session, org.bureau_a) == 2
    rows = _objects(org.bureau_a)
    assert rows[permitted.id].pending_removal == "已不再持有本部门许可证"
    assert "经营范围" in rows[ruled.id].pending_removal and rows[kept.id].pending_removal == ""
    with pytest.raises(Invalid, match="移出原因"):
        objects.remove(org.clerk_a, rows[permitted.id], " ")
    objects.remove(org.clerk_a, rows[permitted.id], "许可证已吊销，核实后移出")
    assert not rows[permitted.id].active
    assert objects.check_removals(session, org.bureau_a) == 1
    # claimed again: the same row comes back
    assert claim(session, org.bureau_a.id, [permitted.id], "claim", org.clerk_a) == 1
    assert session.execute(select(func.count()).select_from(SupervisedObject)
                           .where(SupervisedObject.entity_id == permitted.id)).scalar_one() == 1


def test_officers_by_area_attribute_and_hand(org, session, make_user):
    from models.roles import Role

    east = make_user(org.station_a, Role.INSPECTOR, name="片区甲")
    a = f.entity(org, business_address="甲区东大街1号")
    b = f.entity(org, industry_code="F5211")
    c = f.entity(org)
    claim(session, org.bureau_a.id, [a.id, b.id, c.id], "claim", org.clerk_a)
    officers.add_rule(org.clerk_a, "address", "东大街", east.id, area="东片区")
    officers.add_rule(org.clerk_a, "industry", "F52", org.inspector_a.id)
    with pytest.raises(Invalid, match="执法人员"):
        officers.add_rule(org.clerk_a, "industry", "F52", org.clerk_b.id)
    assert officers.auto_assign(session, org.bureau_a) == 2
    rows = _objects(org.bureau_a)
    assert rows[a.id].officer_id == east.id and rows[b.id].officer_id == org.inspector_a.id
    assert rows[c.id].officer_id is None
    officers.assign(org.clerk_a, [rows[c.id]], east.id)
    assert rows[c.id].officer_id == east.id
    assert officers.auto_assign(session, org.bureau_a) == 0
