"""/tasks/<id>/records, /records/<id> and /public/results: every page, the path through the
steps, and the error paths (403, 404, 409 stale and after publication, 413, 422 wrong file)."""

from __future__ import annotations

import io
import json
import re

from models import InspectionRecord, RecordStatus, db
from services import inspection_review
from services import inspections as svc
from tests.conftest import csrf_token, sign_in
from tests.factories.inspections import LEADER_NAME, MEMBER_NAME, complete, dispatched, open_all

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _post(client, url, data, token_url, **kw):
    data = {"csrf_token": csrf_token(client, token_url), **data}
    return client.post(url, data=data, **kw)


def _form(record, **over):
    data = {
        "lock_version": record.lock_version, "method": "实地核查", "subject_name": "成都堃喆昇𬌗餐饮店",
        "district": "甲区", "items_text": "餐饮服务食品安全监督检查", "findings": "未发现问题",
        "filled_on": "2026-05-10", "inspector_names": f"{LEADER_NAME}、{MEMBER_NAME}",
        "inspected_at": "2026-05-10T09:30", "result": "no_problem", "result_note": "",
        "line_item": ["食品经营许可", ""], "line_content": ["许可证在有效期内", ""], "line_outcome": ["符合", ""],
    }
    data.update(over)
    return data


def test_path_through_the_pages(client, org, session):
    ready = dispatched(org, objects=1)
    task = ready.task
    page = f"/tasks/{task.id}/records"
    sign_in(client, ready.leader)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f'href="{page}"' in inbox
    html = client.get(page).get_data(as_text=True)
    assert "检查完成" in html and "填写记录表" in html and LEADER_NAME in html
    obj = svc.task_objects(task)[0]
    # the dossier: registration, 无 for what the registry lacks, no advance notice for catering
    html = client.get(f"/tasks/{task.id}/objects/{obj.id}").get_data(as_text=True)
    assert "许可信息" in html and "无" in html and "依法依规不予提前告知" in html
    resp = _post(client, f"/tasks/{task.id}/objects/{obj.id}/notice",
                 {"method": "phone", "notified_at": "2026-05-08T10:00", "recipient": "店长"}, page)
    assert resp.status_code == 409
    # open the record
    resp = _post(client, f"{page}/open", {"task_object_id": obj.id, "department_id": task.department_id}, page)
    assert resp.status_code == 302 and "/edit" in resp.headers["Location"]
    record = db.session.query(InspectionRecord).filter_by(task_id=task.id).one()
    edit = f"/records/{record.id}/edit"
    html = client.get(edit).get_data(as_text=True)
    assert "检查项目" in html and "主体名称" in html and record.subject_name in html
    resp = _post(client, edit, _form(record), edit)
    assert resp.status_code == 302
    db.session.refresh(record)
    assert record.subject_name == "成都堃喆昇𬌗餐饮店" and len(record.lines) == 1
    show = f"/records/{record.id}"
    html = client.get(show).get_data(as_text=True)
    assert "成都堃喆昇𬌗餐饮店" in html and "未发现问题" in html and "未签字" in html
    # evidence: a photo, then download
    resp = _post(client, f"{show}/evidence", {"lock_version": record.lock_version,
                                              "file": (io.BytesIO(PNG), "现场照片.png")}, show,
                 content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.refresh(record)
    ev = record.evidence[0]
    got = client.get(f"{show}/evidence/{ev.id}")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    # signature, then every member confirms
    resp = _post(client, f"{show}/sign", {"lock_version": record.lock_version, "signer_name": "张店长"}, show)
    assert resp.status_code == 302
    db.session.refresh(record)
    for user in (ready.leader, ready.member):
        sign_in(client, user)
        resp = _post(client, f"{show}/confirm", {"lock_version": record.lock_version}, show)
        assert resp.status_code == 302, resp.get_data(as_text=True)
    sign_in(client, ready.leader)
    # submitting before 检查完成: 409
    resp = _post(client, f"{show}/submit", {"lock_version": record.lock_version}, show)
    assert resp.status_code == 409 and "检查完成" in resp.get_data(as_text=True)
    resp = _post(client, f"{page}/inspected", {"version": ready.instance.version}, page)
    assert resp.status_code == 302
    sign_in(client, ready.member)
    db.session.refresh(record)
    resp = _post(client, f"{show}/submit", {"lock_version": record.lock_version}, show)
    assert resp.status_code == 302
    db.session.refresh(ready.instance)
    assert ready.instance.current_step == "review_results"
    # a submitted record's form is closed
    resp = client.get(edit)
    assert resp.status_code == 409 and svc.NOT_EDITABLE in resp.get_data(as_text=True)
    # the member cannot review; the leader returns it, then approves after the fix
    db.session.refresh(record)
    resp = _post(client, f"{show}/review", {"lock_version": record.lock_version, "decision": "approve"}, show)
    assert resp.status_code == 403
    sign_in(client, ready.leader)
    html = client.get(show).get_data(as_text=True)
    assert "审核通过" in html and "退回修改" in html
    resp = _post(client, f"{show}/review", {"lock_version": record.lock_version, "decision": "return", "reason": ""},
                 show)
    assert resp.status_code == 400 and "理由" in resp.get_data(as_text=True)
    resp = _post(client, f"{show}/review", {"lock_version": record.lock_version, "decision": "return",
                                            "reason": "检查时间与记录不符"}, show)
    assert resp.status_code == 302
    db.session.refresh(record)
    assert record.status == RecordStatus.RETURNED
    sign_in(client, ready.member)
    assert "检查时间与记录不符" in client.get(show).get_data(as_text=True)
    resp = _post(client, edit, _form(record, inspected_at="2026-05-11T10:00"), edit)
    assert resp.status_code == 302
    db.session.refresh(record)
    assert record.confirmations == []
    for user in (ready.leader, ready.member):
        sign_in(client, user)
        _post(client, f"{show}/confirm", {"lock_version": record.lock_version}, show)
    resp = _post(client, f"{show}/submit", {"lock_version": record.lock_version}, show)
    assert resp.status_code == 302
    sign_in(client, ready.leader)
    db.session.refresh(record)
    resp = _post(client, f"{show}/review", {"lock_version": record.lock_version, "decision": "approve"}, show)
    assert resp.status_code == 302
    db.session.refresh(ready.instance)
    assert ready.instance.current_step == "finish"
    # after publication: 409 with the message, for the form and the evidence
    db.session.refresh(record)
    resp = _post(client, edit, _form(record), show)
    assert resp.status_code == 409 and svc.AFTER_PUBLICATION in resp.get_data(as_text=True)
    resp = client.get(edit)
    assert resp.status_code == 409 and svc.AFTER_PUBLICATION in resp.get_data(as_text=True)
    resp = _post(client, f"{show}/evidence", {"lock_version": record.lock_version,
                                              "file": (io.BytesIO(PNG), "b.png")}, show,
                 content_type="multipart/form-data")
    assert resp.status_code == 409
    # 完成抽查
    html = client.get(page).get_data(as_text=True)
    assert "完成抽查" in html
    resp = _post(client, f"{page}/finish", {"version": ready.instance.version}, page)
    assert resp.status_code == 302
    db.session.refresh(task)
    assert task.status.value == "done"
    # the public pages, without signing in
    client.get("/auth/logout")
    with client.session_transaction() as sess:
        sess.clear()
    html = client.get("/public/results").get_data(as_text=True)
    assert record.record_no in html and "成都堃喆昇𬌗餐饮店" in html
    html = client.get(f"/public/results/{record.record_no}").get_data(as_text=True)
    assert "未发现问题" in html and "第1版" in html
    for secret in ("张店长", record.phone or "无此号码", "信用风险"):
        assert secret not in html
    feed = json.loads(client.get("/public/results.json").get_data(as_text=True))
    assert feed["count"] >= 1 and any(r["payload"]["记录编号"] == record.record_no for r in feed["records"])
    assert client.get("/public/results/2099-JC-999999").status_code == 404


def test_stale_edit_is_409_and_keeps_the_input(client, org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    edit = f"/records/{record.id}/edit"
    seen = record.lock_version
    sign_in(client, ready.leader)
    assert _post(client, edit, _form(record, findings="组长先保存"), edit).status_code == 302
    sign_in(client, ready.member)
    resp = _post(client, edit, _form(record, lock_version=seen, findings="组员的记录内容"), edit)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "未保存" in html and "组员的记录内容" in html
    db.session.refresh(record)
    assert record.findings == "组长先保存"


def test_bad_input_and_files(client, org, session, app):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    show, edit = f"/records/{record.id}", f"/records/{record.id}/edit"
    sign_in(client, ready.member)
    resp = _post(client, edit, _form(record, result="bogus"), edit)
    assert resp.status_code == 400 and "检查结果" in resp.get_data(as_text=True)
    # a JPEG named .png, an executable, and a 200 MB photo
    resp = _post(client, f"{show}/evidence", {"lock_version": record.lock_version,
                                              "file": (io.BytesIO(b"\xff\xd8\xff\xe0" + b"0" * 20), "照片.png")},
                 show, content_type="multipart/form-data")
    assert resp.status_code == 422 and "不符" in resp.get_data(as_text=True)
    resp = _post(client, f"{show}/evidence", {"lock_version": record.lock_version,
                                              "file": (io.BytesIO(b"MZ\x90"), "a.exe")}, show,
                 content_type="multipart/form-data")
    assert resp.status_code == 422
    token = csrf_token(client, show)
    big = io.BytesIO(PNG + b"\x00" * (200 * 1024 * 1024))
    resp = client.post(f"{show}/evidence", data={"csrf_token": token, "lock_version": record.lock_version,
                                                 "file": (big, "大照片.png")}, content_type="multipart/form-data")
    assert resp.status_code == 413 and "10MB" in resp.get_data(as_text=True)
    assert db.session.get(InspectionRecord, record.id).evidence == []
    # refusal without witness nor recording
    resp = _post(client, f"{show}/sign", {"lock_version": record.lock_version, "refused": "1",
                                          "refusal_note": "拒绝签字"}, show)
    assert resp.status_code == 400 and "见证人" in resp.get_data(as_text=True)
    resp = _post(client, f"{show}/sign", {"lock_version": record.lock_version, "refused": "1",
                                          "refusal_note": "负责人拒绝签字", "refusal_recording": "LY-2026-001"}, show)
    assert resp.status_code == 302
    assert "拒绝签字" in client.get(show).get_data(as_text=True)


def test_roles_and_scope(client, org, session, make_user):
    from models.roles import Role

    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    task = ready.task
    obj = svc.task_objects(task)[0]
    urls = [f"/tasks/{task.id}/records", f"/records/{record.id}", f"/tasks/{task.id}/objects/{obj.id}"]
    # the task's department's clerk and leader see the pages, cannot edit
    for user in (org.clerk_a, org.leader_a):
        sign_in(client, user)
        for url in urls:
            assert client.get(url).status_code == 200, url
        assert client.get(f"/records/{record.id}/edit").status_code == 403
        resp = _post(client, f"/records/{record.id}/edit", _form(record), f"/records/{record.id}")
        assert resp.status_code == 403
    # another district: 404 everywhere
    for user in (org.clerk_b, org.leader_b):
        sign_in(client, user)
        for url in [*urls, f"/records/{record.id}/edit"]:
            assert client.get(url).status_code == 404, url
    # an inspector of the district who is not on the team: 404
    outsider = make_user(org.station_a, Role.INSPECTOR, name="非组员")
    sign_in(client, outsider)
    assert client.get(urls[0]).status_code == 404
    # a team member cannot open a record of a department that is not theirs
    sign_in(client, ready.member)
    resp = _post(client, f"/tasks/{task.id}/records/open", {"task_object_id": obj.id, "department_id": 999999},
                 urls[0])
    assert resp.status_code == 400


def test_rare_names_round_trip_on_the_public_page(client, org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    complete(ready, record, subject_name="𬌗昇喆堃个体餐馆")
    inspection_review.finish_inspection(ready.leader, ready.task)
    inspection_review.submit(ready.member, record, record.lock_version)
    inspection_review.review(ready.leader, record, record.lock_version, approve=True)
    db.session.commit()
    html = client.get(f"/public/results/{record.record_no}").get_data(as_text=True)
    assert "𬌗昇喆堃个体餐馆" in html
    assert re.search(r"[0-9a-f]{64}", html)


def test_steps_are_not_done_from_the_bare_instance_page(client, org, session):
    from workflows import bindings, engine

    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    complete(ready, record)
    inspection_review.finish_inspection(ready.leader, ready.task)
    inspection_review.submit(ready.member, record, record.lock_version)
    db.session.commit()
    inst = ready.instance
    assert inst.current_step == "review_results"
    for table in (20, 22):
        for step in ("inspect", "record", "review_results", "finish"):
            assert bindings.is_business_step(table, step)
    sign_in(client, ready.leader)
    item = engine.open_item(ready.leader, inst, "review_results")
    resp = _post(client, f"/processes/instances/{inst.id}/items/{item.id}",
                 {"version": item.version, "outcome": "approve"}, "/inbox")
    assert resp.status_code in (400, 404)
    db.session.refresh(inst)
    assert inst.current_step == "review_results" and record.status == RecordStatus.SUBMITTED
    # 提交审核 withdrawn in the engine (撤回): the records page sends it on again
    engine.withdraw(ready.member, inst.id, version=inst.version)
    db.session.commit()
    assert inst.current_step == "record"
    sign_in(client, ready.member)
    page = f"/tasks/{ready.task.id}/records"
    assert f"{page}/submitted" in client.get(page).get_data(as_text=True)
    resp = _post(client, f"{page}/submitted", {}, page)
    assert resp.status_code == 302
    db.session.refresh(inst)
    assert inst.current_step == "review_results"
    resp = _post(client, f"{page}/submitted", {}, page)
    assert resp.status_code == 409
