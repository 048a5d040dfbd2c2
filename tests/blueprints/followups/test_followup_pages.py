"""/followups pages: every page and action, 403/404/409/422 with Chinese messages, nothing
written when refused."""

from __future__ import annotations

from infrastructure import clock
from models import ChangeStatus, ClueStatus, ClueTransfer, CorrectionRequest, StopPublicationRequest
from services import followup_clues, followup_rules
from services import followups as svc
from tests.conftest import csrf_token, sign_in
from tests.factories.followups import member_user, published_record


def _post(client, user, url, data, page):
    sign_in(client, user)
    token = csrf_token(client, page)
    return client.post(url, data={"csrf_token": token, **data})


def _page(record):
    return f"/followups/records/{record.id}"


# ------------------------------------------------------------------ the record page


def test_record_page_shows_versions_and_forms(client, org):
    record = published_record(org)
    sign_in(client, org.clerk_a)
    body = client.get(_page(record)).get_data(as_text=True)
    assert "后续处理" in body and record.record_no in body and "第1版" in body
    assert 'id="request-correction"' in body and 'id="send-clue"' in body and 'id="file-case"' in body
    assert org.health_a.name in body  # a clue target
    # Not yet past the legal period: the stop form is offered, the service refuses the date.
    sign_in(client, org.leader_a)
    body = client.get(_page(record)).get_data(as_text=True)
    assert 'id="request-correction"' not in body and 'id="send-clue"' not in body


def test_record_page_scope(client, org):
    record = published_record(org)
    sign_in(client, org.clerk_b)
    assert client.get(_page(record)).status_code == 404
    sign_in(client, org.health_clerk)  # another department of the district, no clue received
    assert client.get(_page(record)).status_code == 404
    sign_in(client, org.sysadmin)  # the city's administrator: in scope, wrong role
    assert client.get(_page(record)).status_code == 403
    assert client.get("/followups/records/999999").status_code == 404


def test_correction_request_and_approval(client, org, session):
    record = published_record(org)
    resp = _post(client, org.clerk_a, f"{_page(record)}/corrections",
                 {"version": 1, "result": "no_problem", "result_note": "复核后未发现问题", "reason": "误选检查结果"},
                 _page(record))
    assert resp.status_code == 302
    request = svc.pending_correction(record)
    assert request is not None
    sign_in(client, org.leader_a)
    body = client.get("/inbox").get_data(as_text=True)
    assert "审批检查结果更正" in body and record.subject_name in body
    assert client.get("/inbox/count").get_data(as_text=True) != ""
    page = client.get(_page(record)).get_data(as_text=True)
    assert 'id="decide-correction"' in page
    resp = _post(client, org.leader_a, f"{_page(record)}/corrections/{request.id}/decide",
                 {"decision": "approve", "comment": "同意"}, _page(record))
    assert resp.status_code == 302
    session.expire_all()
    assert [v.version for v in followup_rules.versions(record)] == [1, 2]
    body = client.get(_page(record)).get_data(as_text=True)
    assert "第2版" in body and "已更正" in body
    # A second decision on the same request: 409, nothing changes.
    resp = _post(client, org.leader_a2, f"{_page(record)}/corrections/{request.id}/decide",
                 {"decision": "refuse", "comment": "不同意"}, _page(record))
    assert resp.status_code == 409
    assert "该更正申请已审批" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(CorrectionRequest, request.id).status == ChangeStatus.APPROVED


def test_correction_without_reason_is_422_and_writes_nothing(client, org, session):
    record = published_record(org)
    resp = _post(client, org.clerk_a, f"{_page(record)}/corrections",
                 {"version": 1, "result": "no_problem", "reason": ""}, _page(record))
    assert resp.status_code == 422
    assert "请填写更正理由" in resp.get_data(as_text=True)
    assert session.query(CorrectionRequest).filter_by(record_id=record.id).count() == 0


def test_correction_stale_version_is_409(client, org, session):
    record = published_record(org)
    resp = _post(client, org.clerk_a, f"{_page(record)}/corrections",
                 {"version": 0, "result": "no_problem", "reason": "x"}, _page(record))
    assert resp.status_code == 409
    assert session.query(CorrectionRequest).filter_by(record_id=record.id).count() == 0


def test_correction_second_pending_is_409(client, org, session):
    record = published_record(org)
    data = {"version": 1, "result": "no_problem", "reason": "误选"}
    assert _post(client, org.clerk_a, f"{_page(record)}/corrections", data, _page(record)).status_code == 302
    resp = _post(client, org.clerk_a, f"{_page(record)}/corrections", {**data, "result": "qualified"}, _page(record))
    assert resp.status_code == 409
    assert "待部门领导审批" in resp.get_data(as_text=True)


def test_correction_roles(client, org, session):
    record = published_record(org, with_member="孙检查")
    data = {"version": 1, "result": "no_problem", "reason": "误选"}
    # A leader cannot request (403 by role), a team member can.
    assert _post(client, org.leader_a, f"{_page(record)}/corrections", data, _page(record)).status_code == 403
    member = member_user(record)
    sign_in(client, member)
    assert client.get(_page(record)).status_code == 200
    assert _post(client, member, f"{_page(record)}/corrections", data, "/inbox").status_code == 302
    request = svc.pending_correction(record)
    # A clerk cannot decide (403), another district's leader does not see it (404).
    url = f"{_page(record)}/corrections/{request.id}/decide"
    assert _post(client, org.clerk_a, url, {"decision": "approve"}, _page(record)).status_code == 403
    assert _post(client, org.leader_b, url, {"decision": "approve"}, "/inbox").status_code == 404
    # Refusing without a comment: 422, still pending.
    resp = _post(client, org.leader_a, url, {"decision": "refuse", "comment": ""}, _page(record))
    assert resp.status_code == 422 and "请填写审批意见" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(CorrectionRequest, request.id).status == ChangeStatus.PENDING
    # A request id of another record: 404.
    other = published_record(org)
    resp = _post(client, org.leader_a, f"{_page(other)}/corrections/{request.id}/decide", {"decision": "approve"},
                 _page(other))
    assert resp.status_code == 404


# ------------------------------------------------------------------ clues


def test_clue_send_receive_outcome_through_pages(client, org, session):
    record = published_record(org)
    resp = _post(client, org.clerk_a, f"{_page(record)}/clues",
                 {"to_department_id": org.health_a.id, "content": "餐具消毒不合格，属卫生健康部门职责"}, _page(record))
    assert resp.status_code == 302
    clue = session.query(ClueTransfer).filter_by(record_id=record.id).one()
    sign_in(client, org.health_clerk)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "签收问题线索" in inbox and f"/followups/clues/{clue.id}" in inbox
    listing = client.get("/followups/clues").get_data(as_text=True)
    assert "餐具消毒不合格" in listing and "收到的线索" in listing
    page = client.get(f"/followups/clues/{clue.id}").get_data(as_text=True)
    assert 'id="receive-clue"' in page
    # The receiving department may open the record's follow-up page.
    assert client.get(_page(record)).status_code == 200
    url = f"/followups/clues/{clue.id}"
    resp = _post(client, org.health_clerk, f"{url}/receive", {"version": clue.lock_version, "receipt": "已收到"}, url)
    assert resp.status_code == 302
    session.expire_all()
    assert clue.status == ClueStatus.RECEIVED
    # Stale form: the old version again → 409.
    resp = _post(client, org.health_clerk, f"{url}/receive", {"version": clue.lock_version - 1, "receipt": ""}, url)
    assert resp.status_code == 409
    resp = _post(client, org.health_clerk, f"{url}/outcome", {"version": clue.lock_version, "outcome": ""}, url)
    assert resp.status_code == 422 and "请填写处理结果" in resp.get_data(as_text=True)
    resp = _post(client, org.health_clerk, f"{url}/outcome", {"version": clue.lock_version, "outcome": "已立案查处"}, url)
    assert resp.status_code == 302
    session.expire_all()
    assert clue.status == ClueStatus.CONCLUDED
    assert "签收问题线索" not in client.get("/inbox").get_data(as_text=True)
    sign_in(client, org.clerk_a)
    assert "已立案查处" in client.get(_page(record)).get_data(as_text=True)
    assert "移送的线索" in client.get("/followups/clues").get_data(as_text=True)


def test_clue_scope_and_roles(client, org, session):
    record = published_record(org)
    clue = followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="x")
    session.commit()
    url = f"/followups/clues/{clue.id}"
    for user in (org.clerk_b, org.safety_clerk):
        sign_in(client, user)
        assert client.get(url).status_code == 404
    # The sender cannot sign for it.
    resp = _post(client, org.clerk_a, f"{url}/receive", {"version": clue.lock_version}, url)
    assert resp.status_code == 403
    assert _post(client, org.leader_a, f"{url}/receive", {"version": clue.lock_version}, url).status_code == 403
    sign_in(client, org.inspector_a)
    assert client.get("/followups/clues").status_code == 403
    # Bad target: 422.
    resp = _post(client, org.clerk_a, f"{_page(record)}/clues", {"to_department_id": "abc", "content": "x"},
                 _page(record))
    assert resp.status_code == 422 and "请选择接收线索的部门" in resp.get_data(as_text=True)


# ------------------------------------------------------------------ case filing


def test_case_filing_page(client, org, session):
    record = published_record(org)
    resp = _post(client, org.clerk_a, f"{_page(record)}/case", {"case_no": "", "filed_on": "2026-05-20"},
                 _page(record))
    assert resp.status_code == 422 and "请填写立案编号" in resp.get_data(as_text=True)
    resp = _post(client, org.clerk_a, f"{_page(record)}/case",
                 {"case_no": "甲市监立〔2026〕8号", "filed_on": "2026-05-20"}, _page(record))
    assert resp.status_code == 302
    body = client.get(_page(record)).get_data(as_text=True)
    assert "甲市监立〔2026〕8号" in body and "2026-05-20" in body
    resp = _post(client, org.clerk_a, f"{_page(record)}/case", {"case_no": "x", "filed_on": "2026-05-21"},
                 _page(record))
    assert resp.status_code == 409
    assert _post(client, org.leader_a, f"{_page(record)}/case", {"case_no": "x", "filed_on": "2026-05-21"},
                 _page(record)).status_code == 403


# ------------------------------------------------------------------ stop of publication


def test_stop_publication_pages(client, org, session):
    fresh = published_record(org)
    today = clock.china_today().isoformat()
    resp = _post(client, org.clerk_a, f"{_page(fresh)}/stop",
                 {"applicant": "某公司", "applied_on": today, "reason": "期满"}, _page(fresh))
    assert resp.status_code == 422 and "公示未满法定期限" in resp.get_data(as_text=True)
    old = published_record(org, days_ago=svc.publicity_days() + 1)
    resp = _post(client, org.clerk_a, f"{_page(old)}/stop",
                 {"applicant": old.subject_name, "applied_on": today, "reason": "公示期满，申请停止公示"}, _page(old))
    assert resp.status_code == 302
    stop = session.query(StopPublicationRequest).filter_by(record_id=old.id).one()
    sign_in(client, org.leader_a)
    assert "审核停止公示申请" in client.get("/inbox").get_data(as_text=True)
    url = f"{_page(old)}/stop/{stop.id}/decide"
    assert _post(client, org.clerk_a, url, {"decision": "approve"}, _page(old)).status_code == 403
    resp = _post(client, org.leader_a, url, {"decision": "approve", "comment": "同意"}, _page(old))
    assert resp.status_code == 302
    body = client.get(_page(old)).get_data(as_text=True)
    assert "已停止公示" in body
    assert _post(client, org.leader_a, url, {"decision": "refuse", "comment": "x"}, _page(old)).status_code == 409
    assert _post(client, org.leader_b, url, {"decision": "approve"}, "/inbox").status_code == 404


# ------------------------------------------------------------------ the public page


def test_public_page_shows_current_version_and_correction(client, org, session):
    record = published_record(org, note="责令限期改正")
    public = f"/public/results/{record.record_no}"
    body = client.get(public).get_data(as_text=True)
    assert "第1版" in body and "已更正" not in body
    request = svc.request_correction(org.clerk_a, record, values={"result": "no_problem", "result_note": ""},
                                     reason="执法人员录入时误选检查结果，经复核实际未发现问题", base_version=1)
    svc.decide_correction(org.leader_a, record, request, approve=True)
    session.commit()
    client.get("/auth/logout")
    body = client.get(public).get_data(as_text=True)
    assert "第2版（更正第1版）" in body and 'id="corrected"' in body and "已更正" in body
    assert "执法人员录入时误选检查结果" in body
    assert "历次公示" in body and "第1版" in body and "发现问题依法责令改正" in body  # the earlier version
    assert record.entity_id is not None and "信用风险" not in body
    listing = client.get("/public/results").get_data(as_text=True)
    assert record.subject_name in listing


def test_public_page_after_stop_shows_withdrawn_only(client, org, session):
    record = published_record(org, days_ago=svc.publicity_days() + 1)
    public = f"/public/results/{record.record_no}"
    assert record.subject_name in client.get("/public/results").get_data(as_text=True)
    stop = svc.request_stop(org.clerk_a, record, applicant="某公司", applied_on=clock.china_today().isoformat(), reason="期满")
    svc.decide_stop(org.leader_a, record, stop, approve=True)
    session.commit()
    body = client.get(public).get_data(as_text=True)
    assert "停止公示" in body and record.subject_name not in body and "发现问题依法责令改正" not in body
    assert record.subject_name not in client.get("/public/results").get_data(as_text=True)
    # The feed carries the withdrawal (the stand-in for the push to 国家企业信用信息公示系统).
    feed = client.get("/public/results.json?limit=500").get_json()
    mine = [r for r in feed["records"] if r["subject_id"] == record.id]
    assert [r["action"] for r in mine] == ["公布", "撤下"]
    assert mine[-1]["payload"]["状态"] == "已停止公示"


def test_record_page_links_to_followups(client, org, session):
    record = published_record(org)
    sign_in(client, org.clerk_a)
    body = client.get(f"/records/{record.id}").get_data(as_text=True)
    assert f'/followups/records/{record.id}' in body


def test_unknown_ids_are_404(client, org, session):
    record = published_record(org)
    for url in (f"{_page(record)}/stop/999999/decide", f"{_page(record)}/corrections/999999/decide"):
        assert _post(client, org.leader_a, url, {"decision": "approve"}, _page(record)).status_code == 404
    for url in ("/followups/clues/999999/receive", "/followups/clues/999999/outcome"):
        assert _post(client, org.clerk_a, url, {"version": 1}, _page(record)).status_code == 404
    sign_in(client, org.clerk_a)
    assert client.get("/followups/clues/999999").status_code == 404
