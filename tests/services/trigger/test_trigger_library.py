"""触发式规则 and the 触发式对象库 build (services/trigger/rules.py, library.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import db
from models.risk import RiskWarning
from models.trigger import TriggerHit, TriggerObject, TriggerObjectEvent, TriggerRuleChange
from services.trigger import rules
from services.trigger.library import build
from tests.factories import risk_pages
from tests.factories.trigger import make_rule, rule_form, warned


def _entries(department_id: int, status: str = "open") -> dict[int, TriggerObject]:
    return {o.entity_id: o for o in db.session.execute(
        select(TriggerObject).where(TriggerObject.department_id == department_id, TriggerObject.status == status)
    ).scalars()}


def _events(obj: TriggerObject) -> list[str]:
    return list(db.session.execute(
        select(TriggerObjectEvent.event).where(TriggerObjectEvent.object_id == obj.id).order_by(TriggerObjectEvent.id)
    ).scalars())


@pytest.mark.parametrize("weight", ["0", "-3", "abc", ""])
def test_a_weight_of_zero_or_less_is_refused_in_chinese(org, weight):
    with pytest.raises(Invalid) as exc:
        make_rule(org.clerk_a, weight=weight)
    assert exc.value.message == "权重应为大于0的整数（命中一次计作几次）"
    assert exc.value.field == "weight"


def test_other_bad_input_is_refused(org):
    with pytest.raises(Invalid, match="失效日期不能早于生效日期"):
        make_rule(org.clerk_a, valid_from="2026-05-01", valid_until="2026-04-30")
    with pytest.raises(Invalid, match="请至少选择一条风险预警规则"):
        rules.create(org.clerk_a, rule_form(), {"codes": []})
    with pytest.raises(Invalid, match="没有风险预警规则"):
        rules.create(org.clerk_a, rule_form(), {"codes": ["no_such_rule"]})
    with pytest.raises(Invalid, match="统计天数"):
        rules.create(org.clerk_a, rule_form(source="complaints"), {"count": "2", "days": "0"})
    with pytest.raises(Invalid, match="请选择触发来源"):
        rules.create(org.clerk_a, rule_form(source="no_such_source"), {})
    with pytest.raises(Forbidden):
        make_rule(org.leader_a)
    assert db.session.query(TriggerRuleChange).count() == 0


def test_edits_are_versioned_and_kept_as_history(org):
    rule = make_rule(org.clerk_a, weight="2")
    rules.edit(org.clerk_a, rule, rule_form(weight="5"), {"codes": ["lawsuits", "complaints"]}, version=1)
    assert (rule.weight, rule.version, rule.params["codes"]) == (5, 2, ["complaints", "lawsuits"])
    with pytest.raises(Conflict):
        rules.edit(org.clerk_a, rule, rule_form(weight="7"), {"codes": ["lawsuits"]}, version=1)
    with pytest.raises(Forbidden):
        rules.edit(org.clerk_b, rule, rule_form(weight="7"), {"codes": ["lawsuits"]}, version=2)
    history = rules.history(rule)
    assert [h.action for h in history] == ["edit", "create"]
    assert history[0].before["weight"] == 2 and history[0].after["weight"] == 5


def test_the_build_combines_weights_and_is_idempotent(org):
    one = warned(org, 1, "lawsuits")
    both = warned(org, 2, "lawsuits", "complaints")
    warned(org, 3)  # hit by nothing
    make_rule(org.clerk_a, ("lawsuits",), name="涉诉", weight="2")
    make_rule(org.clerk_a, ("complaints",), name="投诉", weight="3")
    build(db.session)
    entries = _entries(org.bureau_a.id)
    assert set(entries) == {one.id, both.id}
    assert (entries[one.id].weight, entries[one.id].rule_count) == (3, 1)  # 1 + 2
    assert (entries[both.id].weight, entries[both.id].rule_count) == (6, 2)  # 1 + 2 + 3
    events = db.session.query(TriggerObjectEvent).count()
    again = build(db.session)
    assert (again.opened, again.changed, again.closed, again.open_total) == (0, 0, 0, 2)
    assert db.session.query(TriggerObjectEvent).count() == events
    assert {o.id for o in _entries(org.bureau_a.id).values()} == {o.id for o in entries.values()}


def test_an_entry_no_longer_hit_is_closed_with_history_and_a_new_hit_opens_a_new_one(org):
    entity = warned(org, 1, "lawsuits")
    make_rule(org.clerk_a, ("lawsuits",))
    build(db.session)
    first = _entries(org.bureau_a.id)[entity.id]
    for w in db.session.query(RiskWarning).filter_by(entity_id=entity.id):
        w.status = "closed"
    db.session.flush()
    result = build(db.session)
    assert result.closed == 1 and result.open_total == 0
    db.session.refresh(first)
    assert first.status == "closed" and first.closed_at is not None
    assert _events(first) == ["open", "close"]
    risk_pages.warning(entity, "lawsuits", department=org.bureau_a)
    build(db.session)
    second = _entries(org.bureau_a.id)[entity.id]
    assert second.id != first.id and _events(second) == ["open"]


def test_a_weight_change_is_an_event(org):
    entity = warned(org, 1, "lawsuits")
    rule = make_rule(org.clerk_a, ("lawsuits",), weight="2")
    build(db.session)
    rules.edit(org.clerk_a, rule, rule_form(weight="4"), {"codes": ["lawsuits"]}, version=rule.version)
    result = build(db.session)
    obj = _entries(org.bureau_a.id)[entity.id]
    assert result.changed == 1 and obj.weight == 5 and _events(obj) == ["open", "change"]


def test_complaints_n_in_d_days(org):
    often = warned(org, 1)
    once = warned(org, 2)
    old = warned(org, 3)
    risk_pages.complaints(org, often, 3, days_ago=5)
    risk_pages.complaints(org, once, 1, days_ago=5)
    risk_pages.complaints(org, old, 3, days_ago=40)
    rules.create(org.clerk_a, rule_form(source="complaints", weight="1"), {"count": "2", "days": "30"})
    build(db.session)
    assert set(_entries(org.bureau_a.id)) == {often.id}


def test_inactive_or_out_of_window_rules_do_not_hit(org):
    warned(org, 1, "lawsuits")
    make_rule(org.clerk_a, ("lawsuits",), active=False)
    make_rule(org.clerk_a, ("lawsuits",), name="过期", valid_from="2020-01-01", valid_until="2020-12-31")
    make_rule(org.clerk_a, ("lawsuits",), name="未生效", valid_from="2099-01-01")
    assert build(db.session).open_total == 0
    assert db.session.query(TriggerHit).count() == 0


def test_a_rule_sees_only_its_own_area(org):
    warned(org, 1, "lawsuits")  # district A's entity
    make_rule(org.clerk_b, ("lawsuits",))
    build(db.session)
    assert _entries(org.bureau_b.id) == {}


def test_a_department_build_leaves_the_others_alone(org):
    a = warned(org, 1, "lawsuits")
    b = risk_pages.entity_b(org, 1)
    risk_pages.warning(b, "lawsuits", department=org.bureau_b)
    make_rule(org.clerk_a, ("lawsuits",))
    make_rule(org.clerk_b, ("lawsuits",))
    build(db.session)
    for w in db.session.query(RiskWarning):
        w.status = "closed"
    db.session.flush()
    build(db.session, department_ids=[org.bureau_b.id])
    assert set(_entries(org.bureau_a.id)) == {a.id}
    assert _entries(org.bureau_b.id) == {}


def test_open_sandbox_clues_of_the_chosen_level_hit(org, make_user):
    """信用沙盒线索 as a trigger source (表27's clues feed 表28's library)."""
    from services.sandbox import monitor
    from tests.factories.risk import TODAY
    from tests.factories.sandbox import Sandbox

    sandbox = Sandbox(org, make_user)
    flagged = sandbox.triggered(2)
    quiet = sandbox.entity()
    sandbox.members(quiet)
    sandbox.item("complaints", level="预警")
    monitor.evaluate(db.session, today=TODAY)
    with pytest.raises(Invalid, match="线索级别"):
        rules.create(org.clerk_a, rule_form(source="sandbox_clue"), {"level": "紧急"})
    rules.create(org.clerk_a, rule_form("提示线索触发", source="sandbox_clue", weight="1"), {"level": "提示"})
    build(db.session, today=TODAY)
    assert _entries(org.bureau_a.id) == {}
    rules.create(org.clerk_a, rule_form("预警线索触发", source="sandbox_clue", weight="3"), {"level": "预警"})
    build(db.session, today=TODAY)
    entries = _entries(org.bureau_a.id)
    assert set(entries) == {e.id for e in flagged} and all(obj.weight == 4 for obj in entries.values())
