"""/records/<id>.pdf, /tasks/<id>/records.pdf, /tasks/<id>/notice/<object>.pdf (scope, roles, bad
input) and the public verification page /public/records/<record_no>/verify."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from models import TaskObject, db
from models.inspections import RecordStatus
from services import inspections as svc
from services import record_pdf as rp
from tests.conftest import sign_in
from tests.factories.inspections import complete, dispatched, open_all

SUBJECT = "成都市昇𬌗堃喆餐饮有限公司"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _ready(org, objects=1):
    ready = dispatched(org, joint=True, objects=objects)
    records = open_all(ready)
    for r in records:
        editor = ready.leader if r.department_id == ready.task.department_id else ready.health
        complete(ready, r, editor=editor, subject_name=SUBJECT)
    return ready, records


def _text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return "".join(out.decode("utf-8").split())


@needs_poppler
def test_pdfs_for_the_team_and_the_departments(client, org, session):
    ready, records = _ready(org)
    record = records[0]
    task = ready.task
    sign_in(client, ready.member)  # an inspector of a 市场监管所 on the team
    html = client.get(f"/records/{record.id}").get_data(as_text=True)  # the record's page links its PDFs
    assert f"/records/{record.id}.pdf?form=a31" in html and f"/records/{record.id}.pdf?form=f1" in html
    assert f"/tasks/{task.id}/records.pdf" in client.get(f"/tasks/{task.id}/records").get_data(as_text=True)
    obj = svc.task_objects(task)[0]
    assert f"/tasks/{task.id}/notice/{obj.id}.pdf" in client.get(f"/tasks/{task.id}/objects/{obj.id}").get_data(
        as_text=True)
    resp = client.get(f"/records/{record.id}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "inline" in resp.headers["Content-Disposition"]
    text = _text(resp.data)
    assert SUBJECT in text and "各部门事项检查情况记录表" in text and record.record_no in text
    # no PUBLIC_BASE_URL and the request came in on localhost: the verification path, no loopback host
    assert f"/public/records/{record.record_no}/verify" in text and "localhost" not in text
    resp = client.get(f"/records/{record.id}.pdf?form=f1")
    assert resp.status_code == 200 and "抽查情况记录表" in _text(resp.data) and "证件（照）号码" in _text(resp.data)
    sign_in(client, org.health_clerk)  # a 参与部门's clerk
    resp = client.get(f"/tasks/{task.id}/records.pdf")
    assert resp.status_code == 200
    text = _text(resp.data)
    assert all(r.record_no in text for r in records)
    resp = client.get(f"/tasks/{task.id}/notice/{obj.id}.pdf")
    assert resp.status_code == 200 and "抽查检查通知书" in _text(resp.data) and SUBJECT in _text(resp.data)


def test_scope_roles_and_bad_input(client, org, session):
    ready, records = _ready(org)
    record, task = records[0], ready.task
    obj = svc.task_objects(task)[0]
    urls = (f"/records/{record.id}.pdf", f"/tasks/{task.id}/records.pdf", f"/tasks/{task.id}/notice/{obj.id}.pdf")
    for user in (org.clerk_b, org.leader_b):  # another district
        sign_in(client, user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.name, url)
    sign_in(client, org.auditor)  # no viewing role
    assert all(client.get(url).status_code == 403 for url in urls)
    sign_in(client, org.clerk_a)
    resp = client.get(f"/records/{record.id}.pdf?form=xls")
    assert resp.status_code == 400 and "记录表格式只能是" in resp.get_data(as_text=True)
    assert client.get("/records/999999.pdf").status_code == 404
    # an object of another task
    other = dispatched(org, objects=1, start=7100)
    other_obj = svc.task_objects(other.task)[0]
    assert client.get(f"/tasks/{task.id}/notice/{other_obj.id}.pdf").status_code == 404
    # a removed object
    db.session.get(TaskObject, obj.id).removed = True
    db.session.commit()
    assert client.get(f"/tasks/{task.id}/notice/{obj.id}.pdf").status_code == 404
    # a task without records
    sign_in(client, org.clerk_a)
    resp = client.get(f"/tasks/{other.task.id}/records.pdf")
    assert resp.status_code == 400 and "还没有检查情况记录表" in resp.get_data(as_text=True)


def test_verification_page_before_and_after_publication(client, org, session):
    ready, records = _ready(org)
    record = records[0]
    digest = rp.record_view(record).digest
    url = f"/public/records/{record.record_no}/verify"
    html = client.get(url).get_data(as_text=True)  # nobody signed in
    assert record.record_no in html and digest in html and "未公示" in html
    assert SUBJECT not in html and ready.task.name not in html  # not before publication
    resp = client.get(url, query_string={"digest": digest.upper()[:32] + " " + digest.upper()[32:]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "一致：" in html and SUBJECT in html and ready.task.name in html
    other = "0" * 64
    html = client.get(url, query_string={"digest": other}).get_data(as_text=True)
    assert "不一致" in html and SUBJECT not in html
    resp = client.get(url, query_string={"digest": "not-a-digest"})
    assert resp.status_code == 422 and "64位内容摘要" in resp.get_data(as_text=True)
    assert client.get("/public/records/2026-JC-999999/verify").status_code == 404
    # published: the details for everyone, the version, no grade, no phone
    record.status = RecordStatus.PUBLISHED
    record.version = 1
    record.phone = "13912345678"
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "已公示" in html and "第1版" in html and SUBJECT in html and ready.task.name in html
    assert "13912345678" not in html and "信用风险" not in html
