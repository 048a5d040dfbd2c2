"""/conference-plans pages: the office builds and issues a plan, member liaisons sign and report
(form and A.6 import), the office's matrix, reminders and aggregated exports; the error paths
with their status and message, nothing half-written."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from models import ConferencePlan, LedgerRow, Message, db
from services import ledgers
from services.plan_queries import today
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.factories.ledgers import ROW, Setup, a6_file, a6_row


@pytest.fixture()
def setup(org, make_user, session):
    return Setup(org, make_user)


def _post(client, url, data, files=None):
    data = {**data, "csrf_token": csrf_token(client, "/conference-plans/")}
    if files:
        data.update(files)
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def test_office_builds_and_issues_a_plan_on_pages(client, setup):
    sign_in(client, setup.office)
    resp = _post(client, "/conference-plans/new",
                 {"conference_id": setup.conference.id, "title": "年度打击传销计划", "year": "2026", "content": "内容"})
    assert resp.status_code == 302
    plan = db.session.execute(db.select(ConferencePlan)).scalar_one()
    due = (today() + timedelta(days=10)).isoformat()
    resp = _post(client, f"/conference-plans/{plan.id}/tasks",
                 {"title": "专项排查", "due_date": due, "special": "1", "ledger_type": "打击传销线索台账",
                  "units": [setup.units[0].id, setup.units[1].id], "lock_version": plan.lock_version})
    assert resp.status_code == 302
    # a special task without its ledger type: 400 with the message, nothing added
    resp = _post(client, f"/conference-plans/{plan.id}/tasks",
                 {"title": "专项2", "due_date": due, "special": "1", "units": [setup.units[0].id],
                  "lock_version": plan.lock_version})
    assert resp.status_code == 400 and "专项任务须选择台账类型" in _html(resp)
    # a stale form: 409
    resp = _post(client, f"/conference-plans/{plan.id}/tasks",
                 {"title": "t", "due_date": due, "units": [setup.units[0].id], "lock_version": 1})
    assert resp.status_code == 409 and "已被他人修改" in _html(resp)
    db.session.refresh(plan)
    assert [t.title for t in plan.tasks] == ["专项排查"]
    resp = _post(client, f"/conference-plans/{plan.id}/issue", {"lock_version": plan.lock_version})
    assert resp.status_code == 302
    db.session.refresh(plan)
    assert plan.issued and len(plan.units) == 2
    html = _html(client.get(f"/conference-plans/{plan.id}"))
    assert "已下发" in html and "签收及上报情况" in html and "打击传销线索台账" in html


def test_liaison_signs_from_the_inbox_and_reports_by_form(client, setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    sign_in(client, liaison)
    inbox = _html(client.get("/inbox"))
    assert "签收计划及任务" in inbox and f"/conference-plans/{plan.id}" in inbox
    resp = _post(client, f"/conference-plans/{plan.id}/sign", {"password": "wrong", "version": 1})
    assert resp.status_code == 403 and "密码不正确" in _html(resp)
    resp = _post(client, f"/conference-plans/{plan.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 302
    resp = _post(client, f"/conference-plans/{plan.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 409 and "已签收" in _html(resp)
    task = plan.tasks[0]
    page = _html(client.get(f"/conference-plans/tasks/{task.id}/ledger"))
    assert all(title in page for title in ledgers.COLUMNS)
    bad = {**ROW, "罚款金额（万元）": "-3", "填报日期": today().isoformat()}
    resp = _post(client, f"/conference-plans/tasks/{task.id}/ledger/rows", bad)
    assert resp.status_code == 400 and "罚款金额不能为负数" in _html(resp)
    future = {**ROW, "填报日期": (today() + timedelta(days=1)).isoformat()}
    resp = _post(client, f"/conference-plans/tasks/{task.id}/ledger/rows", future)
    assert resp.status_code == 400 and "填报日期不能晚于今天" in _html(resp)
    assert db.session.execute(db.select(LedgerRow)).scalars().all() == []
    resp = _post(client, f"/conference-plans/tasks/{task.id}/ledger/rows", {**ROW, "填报日期": today().isoformat()})
    assert resp.status_code == 302
    ledger = ledgers.ledger_for(task, liaison.department_id)
    resp = _post(client, f"/conference-plans/tasks/{task.id}/ledger/report", {"lock_version": ledger.lock_version})
    assert resp.status_code == 302
    db.session.refresh(ledger)
    assert ledger.reported
    resp = _post(client, f"/conference-plans/tasks/{task.id}/ledger/rows", {**ROW})
    assert resp.status_code == 409 and "已上报" in _html(resp)
    assert "签收计划及任务" not in _html(client.get("/inbox"))


def test_reporting_for_a_task_not_concerned_is_refused(client, setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]  # not concerned by the second task
    sign_in(client, liaison)
    _post(client, f"/conference-plans/{plan.id}/sign", {"password": PASSWORD, "version": 1})
    other = plan.tasks[1]
    assert client.get(f"/conference-plans/tasks/{other.id}/ledger").status_code == 403
    resp = _post(client, f"/conference-plans/tasks/{other.id}/ledger/rows", {**ROW})
    assert resp.status_code == 403 and "不是该任务涉及的成员单位" in _html(resp)
    assert client.get(f"/imports/conference_ledger/?task_id={other.id}").status_code == 403
    # a unit the plan does not concern at all sees nothing of it
    only_first = setup.plan(units=[setup.units[0].id])
    assert client.get(f"/conference-plans/{only_first.id}").status_code == 404
    assert client.get(f"/conference-plans/tasks/{only_first.tasks[0].id}/ledger").status_code == 404
    resp = _post(client, f"/conference-plans/{only_first.id}/sign", {"password": PASSWORD, "version": 1})
    assert resp.status_code == 404


def test_import_pages(client, setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    task = plan.tasks[0]
    sign_in(client, liaison)
    _post(client, f"/conference-plans/{plan.id}/sign", {"password": PASSWORD, "version": 1})
    template = client.get("/conference-plans/ledger-template.xlsx")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]] == list(ledgers.COLUMNS)
    header = [c for c in ledgers.COLUMNS if c != "经营地址"]
    resp = _post(client, f"/imports/conference_ledger/?task_id={task.id}", {},
                 {"file": (io.BytesIO(a6_file([["甲"] + [""] * 11], header=header)), "台账.xlsx")})
    assert resp.status_code == 400 and "缺少列 经营地址" in _html(resp)
    data = a6_file([a6_row("甲"), a6_row("负数", fine=-1)])
    resp = _post(client, f"/imports/conference_ledger/?task_id={task.id}", {},
                 {"file": (io.BytesIO(data), "台账.xlsx")})
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    html = _html(client.get(preview))
    assert "有问题 <strong class=\"error\">1</strong> 行" in html and "罚款金额不能为负数" in html
    batch_id = int(preview.rstrip("/").rsplit("/", 1)[1])
    errors = client.get(f"/imports/conference_ledger/{batch_id}/errors")
    assert errors.status_code == 200
    marked = load_workbook(io.BytesIO(errors.data)).active
    assert "罚款金额不能为负数" in marked.cell(row=3, column=14).value
    resp = _post(client, f"/imports/conference_ledger/{batch_id}/confirm", {"mode": "all"})
    assert resp.status_code == 400 and "1行有问题" in _html(resp)
    resp = _post(client, f"/imports/conference_ledger/{batch_id}/confirm", {"mode": "valid"})
    assert resp.status_code == 302
    assert [r.operator for r in ledgers.ledger_for(task, liaison.department_id).rows] == ["甲"]
    # someone else's batch: 404
    sign_in(client, setup.liaisons[0])
    assert client.get(preview).status_code == 404


def test_office_matrix_reminders_and_exports(client, setup):
    plan = setup.plan()
    a, b, c = setup.liaisons
    for liaison in (a, b):
        sign_in(client, liaison)
        _post(client, f"/conference-plans/{plan.id}/sign", {"password": PASSWORD, "version": 1})
    sign_in(client, a)
    task = plan.tasks[0]
    _post(client, f"/conference-plans/tasks/{task.id}/ledger/rows",
          {**ROW, "填报日期": today().isoformat(), "经营者/名称": "=1+2"})
    ledger = ledgers.ledger_for(task, a.department_id)
    _post(client, f"/conference-plans/tasks/{task.id}/ledger/report", {"lock_version": ledger.lock_version})
    # a liaison cannot see the office's pages
    assert client.get(f"/conference-plans/{plan.id}/matrix").status_code == 403
    assert client.get(f"/conference-plans/{plan.id}/ledgers.xlsx").status_code == 403
    sign_in(client, setup.office)
    html = _html(client.get(f"/conference-plans/{plan.id}/matrix"))
    assert "已上报" in html and "已签收" in html and "未签收" in html
    resp = _post(client, f"/conference-plans/{plan.id}/remind", {"units": [b.department_id, c.department_id]})
    assert resp.status_code == 302
    assert {m.user_id for m in db.session.execute(db.select(Message)).scalars()} == {b.id, c.id}
    xlsx = client.get(f"/conference-plans/{plan.id}/ledgers.xlsx?task={task.id}")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[1][:3] == ["序号", "填报单位", "经营者/名称"] and values[2][2] == "'=1+2"
    assert values[-1][2] == "合计（1户）"
    pdf = client.get(f"/conference-plans/{plan.id}/ledgers.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"
    assert "合计（1户）" in _html(client.get(f"/conference-plans/{plan.id}/ledgers"))
    assert client.get(f"/conference-plans/{plan.id}/ledgers?task=999999").status_code == 404
    # the reported ledger, read-only, for the office
    page = _html(client.get(f"/conference-plans/tasks/{task.id}/ledger?unit={a.department_id}"))
    assert "=1+2" in page and "上报工作台账" not in page


def test_no_ledger_on_the_plan_page(client, setup):
    plan = setup.plan(special=False)
    liaison = setup.liaisons[1]
    sign_in(client, liaison)
    _post(client, f"/conference-plans/{plan.id}/sign", {"password": PASSWORD, "version": 1})
    assert "无台账，结束" in _html(client.get(f"/conference-plans/{plan.id}"))
    assert _post(client, f"/conference-plans/{plan.id}/no-ledger", {}).status_code == 302
    resp = _post(client, f"/conference-plans/{plan.id}/no-ledger", {})
    assert resp.status_code == 409
    special = setup.plan()
    _post(client, f"/conference-plans/{special.id}/sign", {"password": PASSWORD, "version": 1})
    resp = _post(client, f"/conference-plans/{special.id}/no-ledger", {})
    assert resp.status_code == 400 and "要求上报工作台账" in _html(resp)


def test_another_districts_office_sees_nothing(client, setup, org):
    plan = setup.plan()
    sign_in(client, org.office_b_user)
    assert client.get(f"/conference-plans/{plan.id}").status_code == 404
    assert client.get(f"/conference-plans/{plan.id}/matrix").status_code == 404
    assert client.get(f"/conference-plans/{plan.id}/ledgers.pdf").status_code == 404
    assert plan.title not in _html(client.get("/conference-plans/"))
