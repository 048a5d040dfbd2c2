"""触发式双随机监管 (表28) on its pages: 建立触发式规则 with its checks (a weight of 0 is refused in
Chinese, 400, nothing written), the rule page with its edit form and history, the 触发式对象库
with filters and preview counts, 提取监管对象 into a task, who may do what, another district."""

from __future__ import annotations

from models import db
from models.trigger import TriggerExtraction, TriggerRule
from services.trigger import flow
from tests.conftest import csrf_token, sign_in
from tests.factories.tasks import make_task
from tests.factories.trigger import make_rule, warned


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/trigger/rules")})


RULE = {"name": "涉诉触发", "source": "risk_rule", "p_codes": "lawsuits", "weight": "2",
        "valid_from": "2020-01-01", "active": "1"}


def test_a_clerk_builds_a_rule_on_its_page_and_the_library_fills(client, org):
    warned(org, 1, "lawsuits", grade="A")
    db.session.commit()
    sign_in(client, org.clerk_a)
    assert "建立触发式规则" in _html(client.get("/trigger/rules/new"))
    refused = _post(client, "/trigger/rules/new", {**RULE, "weight": "0"})
    assert refused.status_code == 400
    assert "权重应为大于0的整数" in _html(refused)
    assert db.session.query(TriggerRule).count() == 0
    done = _post(client, "/trigger/rules/new", RULE)
    assert done.status_code == 302
    rule = db.session.query(TriggerRule).one()
    assert flow.instance_of(rule).current_step == flow.EXTRACT_STEP
    page = _html(client.get(f"/trigger/rules/{rule.id}"))
    assert "涉诉触发" in page and "修改记录" in page and "建立" in page
    library = client.get("/trigger/library")
    assert "甲区测试0001餐饮有限公司" in _html(library)
    preview = _html(client.get(f"/trigger/library/preview?rule={rule.id}"))
    assert 'class="preview-count">1<' in preview and 'class="preview-weight">3<' in preview
    # the inbox's 提取监管对象 opens the library filtered by the rule
    assert client.get(f"/trigger/rules/{rule.id}/extract").headers["Location"].endswith(f"/trigger/library?rule={rule.id}")


def test_edit_with_a_stale_version_is_409_and_a_bad_weight_400(client, org):
    rule = make_rule(org.clerk_a)
    db.session.commit()
    sign_in(client, org.clerk_a)
    ok = _post(client, f"/trigger/rules/{rule.id}", {**RULE, "weight": "5", "version": "1"})
    assert ok.status_code == 302
    stale = _post(client, f"/trigger/rules/{rule.id}", {**RULE, "weight": "6", "version": "1"})
    assert stale.status_code == 409
    bad = _post(client, f"/trigger/rules/{rule.id}", {**RULE, "weight": "-1", "version": "2"})
    assert bad.status_code == 400 and "权重应为大于0的整数" in _html(bad)
    db.session.expire_all()
    assert db.session.get(TriggerRule, rule.id).weight == 5


def test_extract_into_a_task_then_the_task_page(client, org):
    warned(org, 1, "lawsuits", grade="A")
    warned(org, 2, "lawsuits", grade="B")
    rule = make_rule(org.clerk_a)
    task = make_task(org.bureau_a, name="触发式抽查任务")
    other = make_task(org.bureau_b, name="乙区任务")
    db.session.commit()
    sign_in(client, org.clerk_a)
    assert "触发式抽查任务" in _html(client.get("/trigger/library"))
    refused = _post(client, "/trigger/extract", {"task_id": str(other.id)})
    assert refused.status_code == 400
    done = _post(client, "/trigger/extract", {"task_id": str(task.id), "rule": str(rule.id)})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/tasks/{task.id}")
    extraction = db.session.query(TriggerExtraction).one()
    assert extraction.size == 2 and extraction.weight_total == 6
    assert flow.instance_of(rule).current_step == flow.INSPECT_STEP
    assert client.get(f"/trigger/rules/{rule.id}/inspect").headers["Location"].endswith(f"/tasks/{task.id}")


def test_who_may_open_what(client, org):
    rule = make_rule(org.clerk_a)
    db.session.commit()
    sign_in(client, org.leader_a)
    assert client.get(f"/trigger/rules/{rule.id}").status_code == 200
    assert client.get("/trigger/rules/new").status_code == 403
    assert _post(client, "/trigger/extract", {"task_id": "1"}).status_code == 403
    sign_in(client, org.inspector_a)
    assert client.get("/trigger/library").status_code == 403
    assert client.get(f"/trigger/rules/{rule.id}").status_code == 403


def test_another_district_gets_404_and_sees_nothing(client, org):
    warned(org, 1, "lawsuits")
    rule = make_rule(org.clerk_a, name="甲区触发规则")
    db.session.commit()
    sign_in(client, org.clerk_b)
    assert client.get(f"/trigger/rules/{rule.id}").status_code == 404
    assert _post(client, f"/trigger/rules/{rule.id}", {**RULE, "version": "1"}).status_code == 404
    assert client.get(f"/trigger/rules/{rule.id}/extract").status_code == 404
    assert client.get(f"/trigger/rules/{rule.id}/inspect").status_code == 404
    assert "甲区触发规则" not in _html(client.get("/trigger/rules"))
    assert "甲区测试0001" not in _html(client.get("/trigger/library"))
    assert client.get(f"/trigger/library?rule={rule.id}").status_code == 400
