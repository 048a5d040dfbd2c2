"""/tasks/<id>/records: 全部确认 (the list of what is confirmed), the checkboxes for 提交审核 and
审核通过, 409 for a stale bulk form, and 检查完成 refused while records are unfilled."""

from __future__ import annotations

import re

from models import RecordStatus, db
from services import inspection_review
from services import inspections as svc
from tests.conftest import csrf_token, sign_in
from tests.factories.inspections import complete, dispatched, open_all, record_form


def _post(client, url, data, token_url):
    return client.post(url, data={"csrf_token": csrf_token(client, token_url), **data})


def _selection(records):
    data = {"record": [str(r.id) for r in records]}
    data.update({f"lock_{r.id}": str(r.lock_version) for r in records})
    return data


def _flashes(client, page):
    return client.get(page).get_data(as_text=True)


def test_member_confirms_everything_waiting_in_one_action(client, org, session):
    ready = dispatched(org, objects=2)
    records = open_all(ready)
    leader_member = next(m for m in svc.confirmers(ready.task) if m.inspector.user_id == ready.leader.id)
    for r in records:
        svc.save_record(ready.leader, r, record_form(subject_name=r.subject_name), r.lock_version)
        svc.sign(ready.leader, r, r.lock_version, signer_name="张店长")
        inspection_review.confirm(leader_member.inspector.user, r, r.lock_version)
    db.session.commit()
    page = f"/tasks/{ready.task.id}/records"
    sign_in(client, ready.member)
    html = client.get(page).get_data(as_text=True)
    assert "待我确认的检查情况记录表（2份）" in html and "全部确认（2份）" in html
    for r in records:
        assert f'name="lock_{r.id}" value="{r.lock_version}"' in html and r.record_no in html
    form = _selection(records)
    resp = _post(client, f"{page}/confirm-all", form, page)
    assert resp.status_code == 302
    html = _flashes(client, page)
    assert "已确认2份检查情况记录表" in html and all(r.record_no in html for r in records)
    assert "待我确认" not in html
    for r in records:
        db.session.refresh(r)
        assert inspection_review.form_problems(r) == []
    # the same form again (another tab, the back button): 409 and why
    resp = _post(client, f"{page}/confirm-all", form, page)
    assert resp.status_code == 409
    text = resp.get_data(as_text=True)
    assert "没有检查情况记录表被确认" in text and "您已确认过" in text
    # nothing ticked: 400
    resp = _post(client, f"{page}/confirm-all", {}, page)
    assert resp.status_code == 400 and "请勾选" in resp.get_data(as_text=True)


def test_leader_submits_and_approves_ticked_records(client, org, session):
    ready = dispatched(org, objects=2)
    records = open_all(ready)
    for r in records:
        complete(ready, r)
    inspection_review.finish_inspection(ready.leader, ready.task)
    db.session.commit()
    page = f"/tasks/{ready.task.id}/records"
    sign_in(client, ready.leader)
    html = client.get(page).get_data(as_text=True)
    assert 'id="bulk-form"' in html and 'value="submit"' in html
    assert len(re.findall(r'type="checkbox" name="record"', html)) == 2
    shown = _selection(records)
    resp = _post(client, f"{page}/bulk", {**shown, "action": "submit"}, page)
    assert resp.status_code == 302
    for r in records:
        db.session.refresh(r)
        assert r.status == RecordStatus.SUBMITTED
    # the submit form sent again: the records changed since, 409
    resp = _post(client, f"{page}/bulk", {**shown, "action": "submit"}, page)
    assert resp.status_code == 409 and "没有检查情况记录表被提交审核" in resp.get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert 'value="approve"' in html
    resp = _post(client, f"{page}/bulk", {**_selection(records[:1]), "action": "approve"}, page)
    assert resp.status_code == 302
    db.session.refresh(records[0])
    db.session.refresh(records[1])
    assert records[0].status == RecordStatus.APPROVED and records[1].status == RecordStatus.SUBMITTED
    resp = _post(client, f"{page}/bulk", {**_selection(records[1:]), "action": "bogus"}, page)
    assert resp.status_code == 400
    # a member cannot approve
    sign_in(client, ready.member)
    resp = _post(client, f"{page}/bulk", {**_selection(records[1:]), "action": "approve"}, page)
    assert resp.status_code == 403
    db.session.refresh(records[1])
    assert records[1].status == RecordStatus.SUBMITTED


def test_inspection_done_refused_while_records_are_unfilled(client, org, session):
    ready = dispatched(org, objects=2)
    done, empty = open_all(ready)
    complete(ready, done)
    page = f"/tasks/{ready.task.id}/records"
    sign_in(client, ready.leader)
    html = client.get(page).get_data(as_text=True)
    assert 'id="unfilled"' in html and empty.record_no in html and "未选择检查结果" in html
    resp = _post(client, f"{page}/inspected", {"version": ready.instance.version}, page)
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "不能确认检查完成" in text and empty.record_no in text and "无法检查" in text
    db.session.refresh(ready.instance)
    assert ready.instance.current_step == "inspect"
