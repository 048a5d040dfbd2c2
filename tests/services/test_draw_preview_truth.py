"""The draw's preview tells the truth (services/draw_ratios.py, services/object_draws.preview
and run_draw): the item's cap as it is, and an overall ratio above the plan's said before the
draw and drawn only with the clerk's explicit confirmation."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from models import Draw, TaskObject, db
from models.items import ItemCategory
from services import draw_ratios
from services import object_draws as draws
from tests.factories.tasks import approved, fill_directory, make_task

HALF = {f"ratio_{s}": "50" for s in "ABCDE-"}


def test_the_cap_note_says_what_the_item_is(org, session):
    key = make_task(org.bureau_a)
    fill_directory(key, {"A": 4})
    assert draws.preview(key, ratios={"A": 10}).cap_note == "重点检查事项，不设比例上限"
    capped = make_task(org.bureau_a, category=ItemCategory.GENERAL, ratio_cap="20")
    fill_directory(capped, {"A": 4})
    assert draws.preview(capped, ratios={"A": 10}).cap_note == "一般检查事项，抽查比例上限 20%"
    uncapped = make_task(org.bureau_a, category=ItemCategory.GENERAL)
    fill_directory(uncapped, {"A": 4})
    note = draws.preview(uncapped, ratios={"A": 10}).cap_note
    assert note == "一般检查事项，未设抽查比例上限" and "重点" not in note


def test_an_overall_ratio_above_the_plans_is_said_in_the_preview(org, session):
    task = make_task(org.bureau_a)
    task.ratio = Decimal("5")
    fill_directory(task, {"A": 5, "B": 5, "C": 3})  # 50 % each, rounded up: 3 + 3 + 2 = 8 of 13
    p = draws.preview(task, ratios={s: Decimal(50) for s in "ABC"})
    assert (p.total, p.population, p.overall_text, p.plan_ratio_text) == (8, 13, "61.54", "5")
    assert p.over_plan == "按各信用风险分类的抽查比例合计抽取8户，占抽取范围13户的61.54%，高于抽查计划确定的抽查比例5%"
    # rounding up alone tips it over too: 10 % of C is 1 of 13 = 7.69 %
    assert "7.69%" in draws.preview(task, ratios={"A": Decimal(0), "B": Decimal(0), "C": Decimal(10)}).over_plan
    task.ratio = Decimal("80")
    assert draws.preview(task, ratios={s: Decimal(50) for s in "ABC"}).over_plan == ""
    session.rollback()


def test_the_plans_ratio_when_the_task_has_none(org, session):
    task = make_task(org.bureau_a)
    assert draw_ratios.plan_ratio(task) is None
    task.plan.ratio = Decimal("30")
    assert draw_ratios.plan_ratio(task) == Decimal("30")
    task.ratio = Decimal("12.5")
    assert draw_ratios.plan_ratio(task) == Decimal("12.5")
    assert draw_ratios.over_plan_message(1, 8, Decimal("12.5")) == ""  # exactly the plan's ratio
    assert "12.5%" in draw_ratios.over_plan_message(2, 15, Decimal("12.5"))
    assert draw_ratios.percent_text(2, 3) == "66.67" and draw_ratios.percent_text(1, 0) == "0"
    session.rollback()


def test_a_draw_over_the_plans_ratio_needs_the_confirmation(org, session):
    task = make_task(org.bureau_a)
    task.ratio = Decimal("5")
    fill_directory(task, {"A": 20, "E": 2})
    approved(task, org.clerk_a, org.leader_a, **HALF)  # 10 + 1 of 22: 50 % under a 5 % plan
    with pytest.raises(draws.DrawRefused, match="高于抽查计划确定的抽查比例5%；请修改抽查方案的比例，或勾选确认") as exc:
        draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    assert exc.value.status == 422
    db.session.rollback()
    assert db.session.query(Draw).filter_by(task_id=task.id).count() == 0
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version, confirm_over_plan=True)
    params = json.loads(row.params)
    assert params["plan_ratio"] == "5" and params["confirmed_over_plan"] is True
    assert db.session.query(TaskObject).filter_by(task_id=task.id).count() == row.result_size == 11
    session.rollback()


def test_a_draw_within_the_plans_ratio_needs_no_confirmation(org, session):
    task = make_task(org.bureau_a)
    task.ratio = Decimal("50")
    fill_directory(task, {"A": 20, "E": 2})
    approved(task, org.clerk_a, org.leader_a, **HALF)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    assert json.loads(row.params)["confirmed_over_plan"] is False
    session.rollback()
