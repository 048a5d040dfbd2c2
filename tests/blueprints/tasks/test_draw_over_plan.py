"""/tasks/<id>: the preview says when the ratios per grade draw more than the plan's ratio, the
draw form then carries an explicit confirmation, and a draw posted without it is 422."""

from __future__ import annotations

import re
from decimal import Decimal

from models import Draw
from models.items import ItemCategory
from tests.conftest import csrf_token
from tests.factories.tasks import approved, fill_directory, make_task

HALF = {f"ratio_{s}": "50" for s in "ABCDE-"}


def _draw(client, task, data):
    page = f"/tasks/{task.id}"
    html = client.get(page).get_data(as_text=True)
    lock = re.search(r'action="/tasks/\d+/draw".*?name="lock_version" value="(\d+)"', html, re.S).group(1)
    return client.post(f"{page}/draw", data={"csrf_token": csrf_token(client, page), "lock_version": lock, **data})


def test_a_draw_over_the_plans_ratio_is_confirmed_explicitly(client, login, org, session):
    task = make_task(org.bureau_a)
    task.ratio = Decimal("5")
    session.commit()
    fill_directory(task, {"A": 20, "E": 2})
    approved(task, org.clerk_a, org.leader_a, **HALF)
    login(org.clerk_a)
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "合计抽取11户，占抽取范围22户的50%，高于抽查计划确定的抽查比例5%" in html
    assert 'name="confirm_over_plan" value="1" required' in html
    refused = _draw(client, task, {})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请修改抽查方案的比例，或勾选确认后再抽取" in text
    assert session.query(Draw).filter_by(task_id=task.id).count() == 0
    assert _draw(client, task, {"confirm_over_plan": "1"}).status_code == 302
    assert session.query(Draw).filter_by(task_id=task.id).one().result_size == 11


def test_the_htmx_preview_says_it_too_and_names_the_item_rightly(client, login, org, session):
    task = make_task(org.bureau_a, category=ItemCategory.GENERAL)  # a general item without a cap
    task.ratio = Decimal("5")
    session.commit()
    fill_directory(task, {"A": 20, "E": 2})
    login(org.clerk_a)
    frag = client.get(f"/tasks/{task.id}/preview", query_string={**HALF, "scope": "whole"},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "一般检查事项，未设抽查比例上限" in frag and "重点检查事项" not in frag
    assert "高于抽查计划确定的抽查比例5%" in frag and 'class="overall-ratio">50%' in frag
    task.ratio = Decimal("50")  # 11 of 22: exactly the plan's ratio
    session.commit()
    within = client.get(f"/tasks/{task.id}/preview", query_string={**HALF, "scope": "whole"},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "高于抽查计划" not in within and "抽查计划确定的抽查比例 <span class=\"plan-ratio\">50</span>%" in within
