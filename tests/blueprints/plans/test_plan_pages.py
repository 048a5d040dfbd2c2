"""/plans pages: every step of 表19 and 表21 on the plan's page, errors with their status,
the annual-plan warning, tasks, exports and the public plan pages."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from models import Plan, PlanStatus, db
from services import plans
from tests.conftest import csrf_token, sign_in
from tests.factories.plans import PDF, YEAR, elements, joint_item, single_item


def _token(client):
    return csrf_token(client, "/plans/")


def _post(client, url, data, files=None):
    data = {**data, "csrf_token": _token(client)}
    if files:
        data.update(files)
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def _new_single(client, org, name="单部门计划", document=("计划.pdf", PDF)):
    sign_in(client, org.clerk_a)
    return _post(client, "/plans/new?kind=single", {"name": name, "year": YEAR, "plan_type": "annual"},
                 {"document": (io.BytesIO(document[1]), document[0])})


def _plan(name) -> Plan:
    return db.session.execute(db.select(Plan).where(Plan.name == name)).scalar_one()


def test_single_plan_every_step_on_pages(client, org, session):
    item = single_item(org.bureau_a, "餐饮服务监督检查", cap="10")
    session.commit()
    resp = _new_single(client, org)
    assert resp.status_code == 302
    plan = _plan("单部门计划")
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "确定抽查要素形成抽查计划" in html and "餐饮服务监督检查" in html and "计划.pdf" in html
    doc = client.get(f"/plans/{plan.id}/document")
    assert doc.status_code == 200 and doc.data == PDF and doc.mimetype == "application/pdf"
    resp = _post(client, f"/plans/{plan.id}/elements",
                 {**elements(name="单部门计划"), "items": item.id, "lock_version": plan.lock_version})
    assert resp.status_code == 302
    db.session.refresh(plan)
    assert plan.status == PlanStatus.PUBLISHED
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "制定抽查任务" in html and "已公开第1版" in html
    # split into a task
    resp = _post(client, f"/plans/{plan.id}/tasks", {
        "lock_version": plan.lock_version, "name": "第二季度抽查", "item_id": item.id, "methods": "实地核查",
        "ratio": "5", "start_date": f"{YEAR}-04-01", "end_date": f"{YEAR}-06-30", "inspectors-own": "2",
    })
    assert resp.status_code == 302
    assert "第二季度抽查" in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    # the public pages, without signing in
    client.post("/logout", data={"csrf_token": _token(client)})
    public = client.get("/public/plans").get_data(as_text=True)
    assert "单部门计划" in public
    assert "单部门计划" in client.get(f"/public/plans?list_type=单部门&year={YEAR}").get_data(as_text=True)
    assert "单部门计划" not in client.get("/public/plans?list_type=部门联合").get_data(as_text=True)
    assert "单部门计划" not in client.get("/public/plans?year=2031").get_data(as_text=True)
    page = client.get(f"/public/plans/{plan.id}")
    assert page.status_code == 200 and "餐饮服务监督检查" in page.get_data(as_text=True)
    feed = client.get("/public/plans.json").get_json()
    assert any(r["subject_id"] == plan.id for r in feed["records"])
    assert client.get("/public/plans/999999").status_code == 404


def test_single_plan_errors(client, org, session):
    item = single_item(org.bureau_a, cap="10")
    session.commit()
    resp = _new_single(client, org, document=("计划.pdf", b"MZ not a pdf"))
    assert resp.status_code == 422 and "文件内容与扩展名 .pdf 不符" in resp.get_data(as_text=True)
    assert db.session.execute(db.select(Plan).where(Plan.name == "单部门计划")).first() is None
    _new_single(client, org)
    plan = _plan("单部门计划")
    resp = _post(client, f"/plans/{plan.id}/elements",
                 {**elements(ratio="120"), "items": item.id, "lock_version": plan.lock_version})
    assert resp.status_code == 422 and "抽查比例应在0–100" in resp.get_data(as_text=True)
    resp = _post(client, f"/plans/{plan.id}/elements",
                 {**elements(), "items": item.id, "lock_version": plan.lock_version - 1})
    assert resp.status_code == 409 and "已被他人处理" in resp.get_data(as_text=True)
    db.session.refresh(plan)
    assert plan.status == PlanStatus.DRAFT
    # another district: 404; a role without plans: 403; a participant's clerk at the owner's step: 403
    sign_in(client, org.clerk_b)
    assert client.get(f"/plans/{plan.id}").status_code == 404
    assert client.get(f"/plans/{plan.id}/document").status_code == 404
    sign_in(client, org.inspector_a)
    assert client.get("/plans/").status_code == 403
    sign_in(client, org.leader_a)
    assert client.get(f"/plans/{plan.id}").status_code == 200


def _walk_joint(client, org, plan_type="annual"):
    item = joint_item(org.bureau_a, org.health_a, org.safety_a, name="餐饮服务联合检查")
    db.session.commit()
    sign_in(client, org.clerk_a)
    form = client.get("/plans/new?kind=joint").get_data(as_text=True)
    assert "餐饮服务联合检查" in form
    resp = _post(client, "/plans/new?kind=joint", {**elements(name="联合计划", plan_type=plan_type), "items": item.id})
    assert resp.status_code == 302
    plan = _plan("联合计划")
    resp = _post(client, f"/plans/{plan.id}/consult", {"lock_version": plan.lock_version})
    assert resp.status_code == 302
    version = plan.lock_version
    sign_in(client, org.health_clerk)
    assert "反馈意见" in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    resp = _post(client, f"/plans/{plan.id}/feedback", {"lock_version": version, "outcome": "comment"})
    assert resp.status_code == 422 and "请填写反馈意见" in resp.get_data(as_text=True)
    _post(client, f"/plans/{plan.id}/feedback", {"lock_version": version, "outcome": "comment",
                                                 "feedback": "建议起止时间延后一个月"})
    sign_in(client, org.safety_clerk)
    assert _post(client, f"/plans/{plan.id}/feedback", {"lock_version": version, "outcome": "agree"}).status_code == 302
    sign_in(client, org.clerk_a)
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "建议起止时间延后一个月" in html and "确认形成联合双随机抽查计划" in html
    db.session.refresh(plan)
    resp = _post(client, f"/plans/{plan.id}/form", {**elements(name="联合计划", plan_type=plan_type,
                                                                start_date=f"{YEAR}-05-01"),
                                                    "lock_version": plan.lock_version})
    assert resp.status_code == 302
    db.session.refresh(plan)
    return plan


def test_joint_plan_every_step_on_pages(client, org, session):
    plan = _walk_joint(client, org)
    assert plan.start_date.month == 5 and plan.status == PlanStatus.CONSULTING
    assert _post(client, f"/plans/{plan.id}/submit", {"lock_version": plan.lock_version}).status_code == 302
    sign_in(client, org.office_user)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f"/plans/{plan.id}" in inbox
    db.session.refresh(plan)
    resp = _post(client, f"/plans/{plan.id}/review", {"lock_version": plan.lock_version, "outcome": "return"})
    assert resp.status_code == 422 and "退回调整须填写理由" in resp.get_data(as_text=True)
    _post(client, f"/plans/{plan.id}/review", {"lock_version": plan.lock_version, "outcome": "return",
                                               "comment": "抽查户数过少"})
    sign_in(client, org.clerk_a)
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "联席会议办公室退回理由：抽查户数过少" in html and "调整抽查计划" in html
    db.session.refresh(plan)
    resp = _post(client, f"/plans/{plan.id}/adjust", {**elements(name="联合计划", sample_size="60"),
                                                      "lock_version": plan.lock_version})
    assert resp.status_code == 302
    sign_in(client, org.office_user)
    db.session.refresh(plan)
    _post(client, f"/plans/{plan.id}/review", {"lock_version": plan.lock_version, "outcome": "approve"})
    db.session.refresh(plan)
    assert plan.status == PlanStatus.PUBLISHED and plan.sample_size == 60
    # a clerk of the participating department may not review
    sign_in(client, org.health_clerk)
    assert client.get(f"/plans/{plan.id}").status_code == 200


def test_ad_hoc_joint_plan_is_published_at_form(client, org, session):
    plan = _walk_joint(client, org, "ad_hoc")
    assert plan.status == PlanStatus.PUBLISHED


def test_wrong_role_at_a_step_is_forbidden(client, org, session):
    item = joint_item(org.bureau_a, org.health_a)
    plan = plans.create_joint(org.clerk_a, elements(name="联合计划"), [item.id])
    session.commit()
    sign_in(client, org.health_clerk)
    resp = _post(client, f"/plans/{plan.id}/consult", {"lock_version": plan.lock_version})
    assert resp.status_code == 403
    sign_in(client, org.office_user)
    resp = _post(client, f"/plans/{plan.id}/consult", {"lock_version": plan.lock_version})
    assert resp.status_code == 403


def test_index_filters_warning_and_inbox(app, client, org, session):
    joint_item(org.bureau_a, org.health_a)
    single_item(org.bureau_a)
    session.commit()
    _new_single(client, org, name="单部门筛选计划")
    app.config["PLANS_TODAY"] = f"{YEAR}-03-10"
    try:
        html = client.get("/plans/").get_data(as_text=True)
        assert "应在3月31日前" in html and "单部门筛选计划" in html
        assert "应在3月31日前" in client.get("/inbox").get_data(as_text=True)
        app.config["PLANS_TODAY"] = f"{YEAR}-04-02"
        assert "已逾期" in client.get("/inbox").get_data(as_text=True)
        app.config["PLANS_TODAY"] = f"{YEAR}-02-10"
        assert "annual-plan-warning" not in client.get("/plans/").get_data(as_text=True)
    finally:
        app.config.pop("PLANS_TODAY")
    assert "单部门筛选计划" not in client.get("/plans/?kind=joint").get_data(as_text=True)
    frag = client.get(f"/plans/?year={YEAR}&status=draft", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "单部门筛选计划" in frag and "<html" not in frag
    sign_in(client, org.clerk_b)
    assert "单部门筛选计划" not in client.get("/plans/").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["a21", "d1"])
def test_export_routes(client, org, session, kind):
    item = joint_item(org.bureau_a, org.health_a)
    plans.create_joint(org.clerk_a, elements(name="导出联合计划"), [item.id])
    session.commit()
    sign_in(client, org.clerk_a)
    resp = client.get(f"/plans/export/{kind}.xlsx?year={YEAR}")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert "导出联合计划" in values and "序号" in values
    pdf = client.get(f"/plans/export/{kind}.pdf?year={YEAR}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.mimetype == "application/pdf"
    assert re.search(r"filename\*=UTF-8''", pdf.headers["Content-Disposition"])
    sign_in(client, org.clerk_b)
    ws = load_workbook(io.BytesIO(client.get(f"/plans/export/{kind}.xlsx?year={YEAR}").data)).active
    assert "导出联合计划" not in [c for row in ws.iter_rows(values_only=True) for c in row]


def test_menu_entry(client, org):
    for user, shown in ((org.clerk_a, True), (org.office_user, True), (org.leader_a, True), (org.inspector_a, False)):
        sign_in(client, user)
        assert ('href="/plans/"' in client.get("/inbox").get_data(as_text=True)) == shown
