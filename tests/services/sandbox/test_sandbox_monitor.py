"""监测形成提示/预警线索 (services/sandbox/monitor.py): each condition just met and just missed,
a re-run forms no duplicate, a clue closes when its condition stops holding, once a day."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from infrastructure.errors import Invalid
from models import RiskWarning, SandboxClue, SandboxClueEvent, SandboxRun, db
from services import sandbox
from services.risk.catalogue import seed_rules
from services.sandbox import library, monitor
from tests.factories import risk
from tests.factories.risk import TODAY


def _clues(item=None):
    query = select(SandboxClue)
    if item is not None:
        query = query.where(SandboxClue.item_id == item.id)
    return db.session.execute(query.order_by(SandboxClue.id)).scalars().all()


def test_complaints_just_meet_and_just_miss_the_window(box, org):
    inside, outside, too_few, outsider = (box.entity() for _ in range(4))
    box.members(inside, outside, too_few)
    item = box.item("complaints", count=2, days=30)
    for _ in range(2):
        box.complaint(inside, days_ago=29)  # the 30th day of the window, today counted
        box.complaint(outside, days_ago=30)  # one day before it
        box.complaint(outsider, days_ago=1)  # not in the library
    box.complaint(too_few, days_ago=1)
    result = monitor.evaluate(db.session, today=TODAY)
    clues = _clues(item)
    assert [c.entity_id for c in clues] == [inside.id]
    assert result.opened == 1
    clue = clues[0]
    assert (clue.level, clue.state, clue.formed_on, clue.department_id) == ("预警", "生成", TODAY, org.bureau_a.id)
    assert [e.state for e in clue.events] == ["生成"]


def test_permit_expiring_just_meets_and_just_misses(box):
    soon, late, expired = box.entity(), box.entity(), box.entity()
    box.members(soon, late, expired)
    item = box.item("permit_expiring", level="提示", days=30)
    box.permit(soon, 30)
    box.permit(late, 31)
    box.permit(expired, -1)
    monitor.evaluate(db.session, today=TODAY)
    assert [c.entity_id for c in _clues(item)] == [soon.id]


def test_risk_rule_and_abnormal_list(box, org):
    seed_rules(db.session)
    hit, listed, clean = box.entity(), box.entity(), box.entity()
    box.members(hit, listed, clean)
    rule = risk.rule("lawsuits")
    db.session.add(RiskWarning(entity_id=hit.id, rule_id=rule.id, status="open"))
    db.session.add(RiskWarning(entity_id=clean.id, rule_id=rule.id, status="closed"))
    risk.listed(org, listed)
    by_rule = box.item("risk_rule", rule_codes=["lawsuits"])
    abnormal = box.item("abnormal", level="提示")
    monitor.evaluate(db.session, today=TODAY)
    assert [c.entity_id for c in _clues(by_rule)] == [hit.id]
    assert [c.entity_id for c in _clues(abnormal)] == [listed.id]


def test_a_rerun_forms_no_duplicate_and_closing_then_reopening_is_a_new_clue(box):
    (target,) = box.triggered()
    item = box.item()
    assert monitor.evaluate(db.session, today=TODAY).opened == 1
    again = monitor.evaluate(db.session, today=TODAY)
    assert (again.opened, again.closed) == (0, 0)
    assert len(_clues(item)) == 1
    # Two days later the complaints are still inside 30 days; 30 days later they are not.
    later = monitor.evaluate(db.session, today=risk.day(40))
    assert later.closed == 1
    (closed,) = _clues(item)
    assert closed.closed_at is not None and closed.close_reason == monitor.CLOSED_NOT_MET
    assert sandbox.open_clue_entities(db.session) == []
    monitor.evaluate(db.session, today=TODAY)
    assert [c.closed_at is None for c in _clues(item)] == [False, True]
    assert sandbox.open_clue_entities(db.session, "预警") == [target.id]
    assert sandbox.open_clue_entities(db.session, "提示") == []


def test_removing_an_entity_or_disabling_an_item_closes_its_clues(box, org):
    first, second = box.triggered(2)
    item = box.item()
    monitor.evaluate(db.session, today=TODAY)
    member = next(m for m in db.session.execute(library.members(org.clerk_a)).scalars() if m.entity_id == first.id)
    library.remove_entity(org.clerk_a, member, "已完成信用修复")
    monitor.evaluate(db.session, today=TODAY)
    assert sandbox.open_clue_entities(db.session) == [second.id]
    library.save_item(org.clerk_a, item, {"name": item.name, "level": "预警", "condition": "complaints", "count": "2",
                                          "days": "30", "enabled": "0"})
    result = monitor.evaluate(db.session, today=TODAY)
    assert result.closed == 1 and sandbox.open_clue_entities(db.session) == []
    notes = db.session.execute(select(SandboxClueEvent.note).where(SandboxClueEvent.note.like("线索关闭%"))).scalars()
    assert sorted(notes) == ["线索关闭：事项已停用", "线索关闭：触发条件不再满足"]


def test_the_day_run_happens_once_a_day(box):
    box.triggered()
    box.item()
    first = monitor.run(db.session, today=TODAY)
    assert first.opened == 1 and not first.skipped
    second = monitor.run(db.session, today=TODAY)
    assert second.skipped and second.summary() == "今日已监测，未重复运行"
    forced = monitor.run(db.session, today=TODAY, force=True)
    assert forced.opened == 0
    assert db.session.execute(select(func.count(SandboxRun.id))).scalar_one() == 1
    assert db.session.execute(select(func.count(SandboxClue.id))).scalar_one() == 1


def test_another_department_library_is_its_own(box, org):
    (a_entity,) = box.triggered()
    box.item()
    b_entity = box.entity(division_code="510108001000")
    # District B cannot add district A's entities (they are outside its area).
    with pytest.raises(Invalid):
        library.add_entities(org.clerk_b, [b_entity.id])
    monitor.evaluate(db.session, today=TODAY)
    assert sandbox.open_clue_entities(db.session, department_id=org.bureau_b.id) == []
    assert sandbox.open_clue_entities(db.session, department_id=org.bureau_a.id) == [a_entity.id]


@pytest.mark.parametrize("field,value,message", [
    ("count", "0", "投诉举报次数（次及以上）应大于0"),
    ("days", "-3", "期间（天）应大于0"),
    ("days", "", "请填写期间（天）"),
    ("days", "1.5", "期间（天）应为整数"),
])
def test_zero_or_negative_parameters_are_refused_in_chinese(box, org, field, value, message):
    form = {"name": "投诉", "level": "预警", "condition": "complaints", "count": "2", "days": "30", field: value}
    with pytest.raises(Invalid) as refused:
        library.save_item(org.clerk_a, None, form)
    assert refused.value.message == message


def test_an_item_needs_a_level_a_condition_and_known_rules(org):
    seed_rules(db.session)
    base = {"name": "规则", "level": "预警", "condition": "risk_rule"}
    for form, message in (({**base, "level": "严重"}, "请选择线索级别（提示或预警）"),
                          ({**base, "condition": "x"}, "请选择触发条件"),
                          (base, "请至少选择一条风险预警规则"),
                          ({**base, "rule_codes": ["nope"]}, "未知的风险预警规则：nope")):
        with pytest.raises(Invalid) as refused:
            library.save_item(org.clerk_a, None, form)
        assert refused.value.message == message
