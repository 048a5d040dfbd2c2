"""Issue 13 item 5 through the pages: a department with too few eligible inspectors sees why
(counts by reason) and the ways on; each way is a real form (CSRF, stale 409) and ends in a
successful draw."""

from __future__ import annotations

import re

from models import DrawChange, db
from models.inspectors import DutyStatus
from services import inspector_draws as draws
from tests.conftest import csrf_token, sign_in
from tests.factories.teams import make_inspector, make_task, start_task


def _post(client, url, data, token_url):
    return client.post(url, data={"csrf_token": csrf_token(client, token_url), **data})


def _lock(html):
    return int(re.search(r'name="lock_version" value="(\d+)"', html).group(1))


def _short_task(org, **kw):
    task = make_task(org, **kw)
    make_inspector(org.station_a, "合格甲", specialities=["食品安全"])
    make_inspector(org.station_a, "合格乙", specialities=["计量"])
    make_inspector(org.station_a, "休假中", duty=DutyStatus.OFF)
    make_inspector(org.station_a, "无权限", random_permission=False)
    inst = start_task(org, task)
    db.session.commit()
    return task, inst


def test_too_few_shows_counts_by_reason_and_the_ways_on_then_lowering_draws(client, org, session):
    task, inst = _short_task(org, inspectors=3, methods="实地核查")
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert "符合条件的执法人员不足" in html
    assert "<td>不在岗</td><td>1</td>" in html and "<td>无双随机检查权限或账号</td><td>1</td>" in html
    assert "降低抽取人数" in html and "放宽业务专长或区域要求" in html and "提交调整申请" in html
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version}, page)
    assert resp.status_code == 422 and "符合条件的执法人员不足" in resp.get_data(as_text=True)
    lock = _lock(html)
    url = f"{page}/count"
    assert client.post(url, data={"department_id": org.bureau_a.id, "count": 2, "lock_version": lock}).status_code == 400
    resp = _post(client, url, {"department_id": org.bureau_a.id, "count": 1, "lock_version": lock}, page)
    assert resp.status_code == 422 and "不能少于2人" in resp.get_data(as_text=True)
    resp = _post(client, url, {"department_id": org.bureau_a.id, "count": 2, "lock_version": lock - 1}, page)
    assert resp.status_code == 409
    sign_in(client, org.leader_a)
    resp = _post(client, url, {"department_id": org.bureau_a.id, "count": 2, "lock_version": lock}, page)
    assert resp.status_code == 403
    sign_in(client, org.clerk_a)
    resp = _post(client, url, {"department_id": org.bureau_a.id, "count": 2, "lock_version": lock}, page)
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "随机抽取执法人员（2人）" in html and "符合条件的执法人员不足" not in html
    # the draw form rendered before the change is stale
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version,
                                          "lock_version": lock}, page)
    assert resp.status_code == 409
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version,
                                          "lock_version": _lock(html)}, page)
    assert resp.status_code == 302
    assert {m.inspector.name for m in draws.active_members(task)} == {"合格甲", "合格乙"}


def test_widening_the_filter_from_the_page_draws(client, org, session):
    task, inst = _short_task(org, inspectors=2, methods="书面检查")
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.clerk_a)
    assert "符合条件的执法人员不足" not in client.get(page).get_data(as_text=True)
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version,
                                          "speciality": "食品安全"}, page)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "按业务专长“食品安全”，符合条件的仅" in html and "<td>不符合专长或区域要求</td><td>1</td>" in html
    assert "不限业务专长，随机抽取2人（符合条件2人）" in html
    # the same panel by GET (查看符合条件人数)
    html = client.get(f"{page}?department_id={org.bureau_a.id}&speciality=食品安全").get_data(as_text=True)
    assert "不限业务专长，随机抽取2人" in html
    assert '<input type="hidden" name="speciality" value="食品安全">' in html  # the draw form draws as shown
    assert 'class="eligible-count">1<' in html
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version,
                                          "speciality": "", "area": "", "lock_version": _lock(html)}, page)
    assert resp.status_code == 302 and len(draws.active_members(task)) == 2


def test_asking_the_initiator_from_the_page_then_the_head_approves_and_the_draw_succeeds(client, org, session):
    task = make_task(org, inspectors=1, methods="实地核查", participants=(org.health_a,), participant_inspectors=1)
    make_inspector(org.station_a, "市场甲")
    make_inspector(org.station_a, "市场乙")
    make_inspector(org.health_a, "卫健休假", duty=DutyStatus.OFF)
    inst = start_task(org, task)
    db.session.commit()
    page = f"/tasks/{task.id}/team"
    sign_in(client, org.health_clerk)
    html = client.get(page).get_data(as_text=True)
    assert "符合条件的仅 <strong class=\"shortfall-eligible\">0</strong> 人" in html and "不能降低" in html
    data = {f"count-{org.health_a.id}": "0", f"count-{org.bureau_a.id}": "2", "reason": "本部门无在岗执法人员",
            "lock_version": _lock(html)}
    resp = _post(client, f"{page}/count-requests", {**data, "reason": ""}, page)
    assert resp.status_code == 422
    resp = _post(client, f"{page}/count-requests", data, page)
    assert resp.status_code == 302
    change = db.session.query(DrawChange).filter_by(task_id=task.id).one()
    decide = f"{page}/count-requests/{change.id}"
    html = client.get(page).get_data(as_text=True)
    assert "抽取人数调整申请" in html and "甲区卫生健康局 1人→0人" in html and "同意调整" not in html
    assert "执法人员调整更换" not in html  # not a replacement
    assert _post(client, decide, {"decision": "approve", "lock_version": _lock(html)}, page).status_code == 403
    sign_in(client, org.leader_a)
    html = client.get(page).get_data(as_text=True)
    assert "同意调整" in html
    lock = _lock(html)
    assert _post(client, decide, {"decision": "approve", "lock_version": lock - 1}, page).status_code == 409
    resp = _post(client, decide, {"decision": "approve", "comment": "同意", "lock_version": lock}, page)
    assert resp.status_code == 302
    assert _post(client, decide, {"decision": "approve", "lock_version": lock + 1}, page).status_code == 409
    sign_in(client, org.clerk_a)
    html = client.get(page).get_data(as_text=True)
    assert "随机抽取执法人员（2人）" in html
    resp = _post(client, f"{page}/draw", {"department_id": org.bureau_a.id, "version": inst.version,
                                          "lock_version": _lock(html)}, page)
    assert resp.status_code == 302
    assert {m.inspector.name for m in draws.active_members(task)} == {"市场甲", "市场乙"}
