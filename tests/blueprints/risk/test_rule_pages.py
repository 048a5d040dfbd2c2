"""建立风险预警规则 (表25) on its pages: the rule list and editor, the dry run before saving, the
department leader's approval (the rule then runs again and its hits enter the 风险库), 不予批准,
overlapping edits (409), bad parameters (400), who may do what, and 手工预警."""

from __future__ import annotations

import pytest

from models import ProcessInstance, RiskRuleChange, db
from models.workflow import InstanceStatus
from services.risk import rule_changes
from tests.conftest import csrf_token, sign_in
from tests.factories import risk_pages as rf
from workflows import engine


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/risk/warnings")})


def _form(rule, **params):
    data = {f"p_{k}": v for k, v in {**rule.params, **params}.items()}
    data.update(base_version=rule.version, enabled="1")
    return data


@pytest.fixture()
def complained(org):
    """An entity of district A with one complaint in the last three months (the rule wants 3)."""
    e = rf.entity(org, 1)
    rf.complaints(org, e, 1)
    db.session.commit()
    return e


def test_rule_pages_roles(client, org):
    rule = rf.rule("complaints")
    for user in (org.clerk_a, org.leader_a, org.clerk_b):
        sign_in(client, user)
        html = _html(client.get("/risk/rules"))
        assert "投诉举报预警" in html and "地址异常预警" in html and "手工预警" in html
        assert client.get(f"/risk/rules/{rule.id}").status_code == 200
    sign_in(client, org.leader_a)
    assert "修改规则" not in _html(client.get(f"/risk/rules/{rule.id}"))  # leaders approve, clerks edit
    assert _post(client, f"/risk/rules/{rule.id}/preview", _form(rule)).status_code == 403
    for user in (org.inspector_a, org.office_user, org.sysadmin):
        sign_in(client, user)
        assert client.get("/risk/rules").status_code == 403
    sign_in(client, org.clerk_a)
    assert client.get("/risk/rules/999999").status_code == 404


@pytest.mark.parametrize(("params", "message"), [
    ({"min_count": "0"}, "投诉举报次数（次及以上）应不小于1次"),
    ({"min_count": "-2"}, "投诉举报次数（次及以上）应不小于1次"),
    ({"min_count": "三"}, "投诉举报次数（次及以上）应为整数"),
    ({"window_days": "0"}, "统计期间不能为0天"),
    ({"window_days": ""}, "请填写统计期间"),
])
def test_bad_parameters_are_refused_with_the_reason(client, org, params, message):
    rule = rf.rule("complaints")
    sign_in(client, org.clerk_a)
    resp = _post(client, f"/risk/rules/{rule.id}/preview", _form(rule, **params))
    assert resp.status_code == 400
    assert message in _html(resp)
    resp = _post(client, f"/risk/rules/{rule.id}/propose", _form(rule, **params))
    assert resp.status_code == 400 and message in _html(resp)
    assert db.session.query(RiskRuleChange).count() == 0


def test_unchanged_or_versionless_form_is_refused(client, org):
    rule = rf.rule("complaints")
    sign_in(client, org.clerk_a)
    resp = _post(client, f"/risk/rules/{rule.id}/preview", _form(rule))
    assert resp.status_code == 400 and "均未改变" in _html(resp)
    data = _form(rule, min_count=5)
    del data["base_version"]
    resp = _post(client, f"/risk/rules/{rule.id}/preview", data)
    assert resp.status_code == 400 and "缺少规则版本号" in _html(resp)


def test_change_dry_run_approval_and_the_library(client, org, complained):
    rule = rf.rule("complaints")
    sign_in(client, org.clerk_a)
    preview = _post(client, f"/risk/rules/{rule.id}/preview", _form(rule, min_count=1))
    html = _html(preview)
    assert preview.status_code == 200 and "提交审批" in html
    assert 'class="would-add">1<' in html and 'class="would-remove">0<' in html
    assert db.session.query(RiskRuleChange).count() == 0  # nothing written before 提交审批
    resp = _post(client, f"/risk/rules/{rule.id}/propose", _form(rule, min_count=1))
    assert resp.status_code == 302
    change = db.session.query(RiskRuleChange).one()
    assert (change.status, change.would_add, change.params_after["min_count"]) == ("pending", 1, 1)
    inst = rule_changes.instance_of(change)
    assert inst.current_step == "rules"
    # the leader finds it in 我的待办; the clerk cannot approve; another district cannot see it
    assert any(i.instance_id == inst.id for i in engine.inbox(org.leader_a))
    assert _post(client, f"/risk/changes/{change.id}/approve", {}).status_code == 403
    sign_in(client, org.leader_b)
    assert client.get(f"/risk/changes/{change.id}").status_code == 404
    assert _post(client, f"/risk/changes/{change.id}/approve", {}).status_code == 404
    sign_in(client, org.leader_a)
    assert "批准" in _html(client.get(f"/risk/changes/{change.id}"))
    resp = _post(client, f"/risk/changes/{change.id}/approve", {"note": "同意"})
    assert resp.status_code == 302
    db.session.expire_all()
    rule = rf.rule("complaints")
    assert (rule.params["min_count"], rule.version, change.status) == (1, 2, "approved")
    inst = db.session.get(ProcessInstance, inst.id)
    assert inst.status == InstanceStatus.COMPLETED
    assert [h.step_key for h in inst.history][-3:] == ["rules", "check", "store"]
    # the hit is in the 风险库 and the history shows the change
    html = _html(client.get(f"/risk/warnings?rule={rule.id}"))
    assert complained.name in html
    assert "已批准" in _html(client.get(f"/risk/rules/{rule.id}"))
    assert _post(client, f"/risk/changes/{change.id}/approve", {}).status_code == 409


def test_overlapping_edits_are_409(client, org, make_user, complained):
    rule = rf.rule("complaints")
    other = make_user(org.bureau_a, rule_changes.Role.CLERK, name="另一经办人")
    first, second = _form(rule, min_count=1), _form(rule, min_count=2)  # both from version 1
    sign_in(client, org.clerk_a)
    assert _post(client, f"/risk/rules/{rule.id}/propose", first).status_code == 302
    sign_in(client, other)
    resp = _post(client, f"/risk/rules/{rule.id}/propose", second)
    assert resp.status_code == 409 and "等待部门领导审批" in _html(resp)
    change = db.session.query(RiskRuleChange).one()
    sign_in(client, org.leader_a)
    _post(client, f"/risk/changes/{change.id}/approve", {})
    sign_in(client, other)
    resp = _post(client, f"/risk/rules/{rule.id}/preview", second)
    assert resp.status_code == 409 and "该规则已被他人修改" in _html(resp)
    assert db.session.query(RiskRuleChange).count() == 1


def test_reject_needs_a_reason_and_leaves_the_rule(client, org, complained):
    rule = rf.rule("complaints")
    sign_in(client, org.clerk_a)
    _post(client, f"/risk/rules/{rule.id}/propose", _form(rule, min_count=1, enabled=""))
    change = db.session.query(RiskRuleChange).one()
    sign_in(client, org.leader_a)
    resp = _post(client, f"/risk/changes/{change.id}/reject", {"note": ""})
    assert resp.status_code == 400 and "不予批准须填写理由" in _html(resp)
    assert _post(client, f"/risk/changes/{change.id}/reject", {"note": "阈值过低"}).status_code == 302
    db.session.expire_all()
    assert (rf.rule("complaints").version, rf.rule("complaints").params["min_count"]) == (1, 3)
    assert rule_changes.instance_of(change).status == InstanceStatus.TERMINATED
    assert "阈值过低" in _html(client.get(f"/risk/rules/{rule.id}"))


def test_manual_warning_raise_and_close(client, org):
    e = rf.entity(org, 1)
    b = rf.entity_b(org, 1)
    auto = rf.warning(rf.entity(org, 2), "lawsuits", department=org.bureau_a)
    db.session.commit()
    sign_in(client, org.inspector_a)
    assert _post(client, "/risk/warnings/manual", {"code": e.uscc, "reason": "x"}).status_code == 403
    sign_in(client, org.clerk_a)
    resp = _post(client, "/risk/warnings/manual", {"code": e.uscc, "reason": ""})
    assert resp.status_code == 400 and "请填写预警理由" in _html(resp)
    resp = _post(client, "/risk/warnings/manual", {"code": b.uscc, "reason": "他区主体"})
    assert resp.status_code == 400 and "本辖区市场主体库中没有" in _html(resp)
    resp = _post(client, "/risk/warnings/manual", {"code": e.uscc, "reason": "多次举报无证经营"})
    assert resp.status_code == 302
    warning_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = _html(client.get(f"/risk/warnings/{warning_id}"))
    assert "手工预警" in page and "多次举报无证经营" in page and "关闭手工预警" in page
    assert e.name in _html(client.get("/risk/warnings"))
    resp = _post(client, f"/risk/warnings/{auto.id}/close", {"reason": "已核实"})
    assert resp.status_code == 409 and "自动预警" in _html(resp)
    resp = _post(client, f"/risk/warnings/{warning_id}/close", {"reason": ""})
    assert resp.status_code == 400 and "请填写关闭理由" in _html(resp)
    assert _post(client, f"/risk/warnings/{warning_id}/close", {"reason": "已整改"}).status_code == 302
    assert "已关闭" in _html(client.get(f"/risk/warnings/{warning_id}"))
    sign_in(client, org.clerk_b)
    assert client.get(f"/risk/warnings/{warning_id}").status_code == 404
    assert _post(client, f"/risk/warnings/{warning_id}/close", {"reason": "x"}).status_code == 404


def test_switching_a_rule_off_removes_its_warnings(client, org, complained):
    rule = rf.rule("complaints")
    for data in (_form(rule, min_count=1), {**_form(rule, min_count=1), "base_version": 2, "enabled": ""}):
        sign_in(client, org.clerk_a)
        preview = _html(_post(client, f"/risk/rules/{rule.id}/preview", data))
        _post(client, f"/risk/rules/{rule.id}/propose", data)
        change = db.session.query(RiskRuleChange).order_by(RiskRuleChange.id.desc()).first()
        sign_in(client, org.leader_a)
        assert _post(client, f"/risk/changes/{change.id}/approve", {}).status_code == 302
    assert 'class="would-remove">1<' in preview and "启用 → 停用" in preview
    db.session.expire_all()
    rule = rf.rule("complaints")
    assert (rule.enabled, rule.version) == (False, 3)
    assert rf.open_count(rule) == 0
    inst = rule_changes.instance_of(change)
    assert inst.status == InstanceStatus.COMPLETED
    assert [(h.step_key, h.action) for h in inst.history][-2:] == [("rules", "next"), ("check", "no")]
    html = _html(client.get(f"/risk/warnings?rule={rule.id}&status=closed"))
    assert complained.name in html
