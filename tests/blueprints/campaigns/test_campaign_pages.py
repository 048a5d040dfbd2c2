"""/campaigns pages (表23): each step on its business page by the role the standard names,
refusals with their status and message and what was typed kept, another district's campaign
404, the PDFs, the Excel workbooks, the overview and 我的待办's deadline reminder."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from models import Campaign, CampaignObject, db
from models.campaigns import ObjectStatus as S
from services.campaigns import access
from tests.conftest import csrf_token, sign_in
from tests.factories.campaigns import TODAY, Setup


@pytest.fixture()
def cs(org, make_user, app, monkeypatch, session):
    return Setup(org, make_user, app, monkeypatch)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/campaigns/")})


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _embedded_fonts(data: bytes, tmp_path) -> bool:
    """Every font of the PDF embedded (pdffonts: emb, sub, uni); True without poppler-utils."""
    if shutil.which("pdffonts") is None:
        return True
    path = tmp_path / "order.pdf"
    path.write_bytes(data)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return bool(lines) and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in lines)


def test_the_initiator_drafts_on_the_new_page(client, cs, org):
    sign_in(client, cs.inspector)
    assert client.get("/campaigns/new").status_code == 403
    sign_in(client, cs.clerk)
    page = _html(client.get("/campaigns/new"))
    assert "制定专项整治行动方案" in page and "包容审慎" in page and org.health_a.name in page
    bad = {**cs.form(), "ends_on": "2026-01-01"}
    resp = _post(client, "/campaigns/new", bad)
    assert resp.status_code == 400 and "结束日期不能早于开始日期" in _html(resp) and "2026年餐饮行业专项整治" in _html(resp)
    assert db.session.query(Campaign).count() == 0
    resp = _post(client, "/campaigns/new", cs.form())
    assert resp.status_code == 302
    c = db.session.query(Campaign).one()
    page = _html(client.get(f"/campaigns/{c.id}"))
    assert "建立专项整治对象库" in page and "反馈内容" in page and "提交领导审批" in page
    resp = _post(client, f"/campaigns/{c.id}/library", {"grades": ["B", "C", "D"]})
    assert resp.status_code == 302 and access.published(c) is False
    assert "专项整治对象库（3户）" in _html(client.get(f"/campaigns/{c.id}"))


def test_drafts_and_other_districts_are_not_visible(client, cs, org):
    c = cs.draft(joint=True)
    sign_in(client, cs.health_clerk)
    assert client.get(f"/campaigns/{c.id}").status_code == 404
    sign_in(client, org.clerk_b)
    assert client.get(f"/campaigns/{c.id}").status_code == 404
    cs.published(joint=True)
    c = cs.campaign
    obj = cs.objects()[0]
    assert client.get(f"/campaigns/{c.id}").status_code == 404
    assert client.get(f"/campaigns/objects/{obj.id}").status_code == 404
    sign_in(client, cs.health_clerk)
    page = _html(client.get(f"/campaigns/{c.id}"))
    assert "接收整治方案" in page
    resp = _post(client, f"/campaigns/{c.id}/receive", {"receive_note": "", "lock_version": c.parties[0].lock_version})
    assert resp.status_code == 400 and "请填写部署情况" in _html(resp)
    resp = _post(client, f"/campaigns/{c.id}/receive",
                 {"receive_note": "已部署", "lock_version": c.parties[0].lock_version})
    assert resp.status_code == 302 and access.current_step(c) == "assign"


def _plan_form(page: str) -> str:
    start = page.index("<summary>修改方案</summary>")
    return page[start:page.index("</form>", start)]


def test_the_edit_form_shows_the_stored_plan_after_another_form_is_refused(client, cs, org):
    c = cs.draft(joint=True)
    sign_in(client, cs.clerk)
    resp = _post(client, f"/campaigns/{c.id}/fields", {"kind": "number", "label": ""})
    assert resp.status_code == 400
    plan = _plan_form(_html(resp))
    assert 'value="信用监管" checked' in plan and 'value="重点监管" checked' in plan
    assert 'name="joint" value="1" checked' in plan and f'value="{org.health_a.id}" checked' in plan
    assert "2026年餐饮行业专项整治" in plan and "<details >" in _html(resp)
    # its own refusal keeps what was typed in it, and opens it
    typed = {**cs.form(title="改过的名称", ends_on="2026-01-01", modes=["双随机"]), "lock_version": c.lock_version}
    resp = _post(client, f"/campaigns/{c.id}/edit", typed)
    plan = _plan_form(_html(resp))
    assert resp.status_code == 400 and "改过的名称" in plan and 'value="双随机" checked' in plan
    assert 'value="信用监管" checked' not in plan and "<details open>" in _html(resp)
    db.session.expire_all()
    assert c.title == "2026年餐饮行业专项整治" and c.modes == ["信用监管", "重点监管"]


def test_the_leader_approves_and_the_clerk_publishes(client, cs):
    c = cs.draft()
    sign_in(client, cs.clerk)
    assert _post(client, f"/campaigns/{c.id}/submit", {"lock_version": c.lock_version}).status_code == 302
    assert _post(client, f"/campaigns/{c.id}/approve",
                 {"lock_version": c.lock_version, "decision": "approve"}).status_code == 403
    sign_in(client, cs.leader)
    assert "领导审批" in _html(client.get(f"/campaigns/{c.id}"))
    assert _post(client, f"/campaigns/{c.id}/approve",
                 {"lock_version": c.lock_version, "decision": "approve", "approval_note": "同意"}).status_code == 302
    sign_in(client, cs.clerk)
    assert _post(client, f"/campaigns/{c.id}/publish", {"lock_version": c.lock_version}).status_code == 302
    assert access.current_step(c) == "enforce"
    assert "开展专项整治执法" in _html(client.get(f"/campaigns/{c.id}"))


def test_the_record_form_keeps_what_was_typed_on_a_refusal(client, cs):
    c = cs.assigned()
    obj = cs.objects()[0]
    number = next(f.key for f in c.fields if f.label == "检查餐具数量")
    sign_in(client, cs.inspector)
    page = _html(client.get(f"/campaigns/objects/{obj.id}"))
    assert "检查餐具数量" in page and "经营类别" in page and "是否符合法定条件" in page
    data = {**cs.answers(**{number: "十二件"}), "lawful": "yes", "lock_version": obj.lock_version}
    resp = _post(client, f"/campaigns/objects/{obj.id}/record", data)
    assert resp.status_code == 400 and "须填写数字" in _html(resp) and 'value="十二件"' in _html(resp)
    assert db.session.get(CampaignObject, obj.id).status == S.PENDING
    # Two inspectors of the station on the same object: the second gets 409 and keeps its text.
    seen = obj.lock_version
    assert _post(client, f"/campaigns/objects/{obj.id}/record",
                 {**cs.answers(), "lock_version": seen}).status_code == 302
    sign_in(client, cs.inspector2)
    resp = _post(client, f"/campaigns/objects/{obj.id}/record",
                 {**cs.answers(report_text="第二位执法人员的记录"), "lock_version": seen})
    assert resp.status_code == 409 and "已被他人修改" in _html(resp) and "第二位执法人员的记录" in _html(resp)


def test_an_order_its_notice_its_reminder_and_the_recheck(client, cs, tmp_path):
    c = cs.assigned()
    obj = cs.objects()[0]
    sign_in(client, cs.inspector)
    assert obj.entity.name in _html(client.get(f"/campaigns/{c.id}/mine"))
    assert "上报检查结果" in _html(client.get(f"/campaigns/{c.id}"))
    data = {**cs.answers(), "lawful": "no", "order_needed": "yes", "order_days": "5",
            "order_problem": "后厨卫生不达标", "lock_version": obj.lock_version}
    assert _post(client, f"/campaigns/objects/{obj.id}/record", data).status_code == 302
    obj = db.session.get(CampaignObject, obj.id)
    resp = client.get(f"/campaigns/objects/{obj.id}/order.pdf")
    assert resp.status_code == 200 and resp.data[:4] == b"%PDF"
    assert _embedded_fonts(resp.data, tmp_path)
    resp = _post(client, f"/campaigns/objects/{obj.id}/recheck", {"corrected": "yes", "lock_version": obj.lock_version})
    assert resp.status_code == 409 and "未到，不能复查" in _html(resp)
    cs.at(obj.order_due)
    assert obj.order_no in _html(client.get("/inbox"))
    resp = _post(client, f"/campaigns/objects/{obj.id}/recheck", {"corrected": "yes", "lock_version": obj.lock_version})
    assert resp.status_code == 302 and db.session.get(CampaignObject, obj.id).status == S.CORRECTED
    assert obj.order_no not in _html(client.get("/inbox"))
    assert obj.order_due > TODAY


def test_summary_exports_and_the_overview(client, cs, org):
    c = cs.assigned()
    for o in cs.objects():
        cs.record(o, lawful="yes")
    sign_in(client, cs.clerk)
    page = _html(client.get(f"/campaigns/{c.id}/summary"))
    assert "按检查结果" in page and "符合法定条件" in page and "餐饮业" in page
    wb = load_workbook(io.BytesIO(client.get(f"/campaigns/{c.id}/summary.xlsx").data))
    assert wb.sheetnames == ["按部门", "按对象分类", "按检查结果"] and wb["按部门"]["A2"].value == org.bureau_a.name
    assert client.get(f"/campaigns/{c.id}/summary.pdf?paper=A3").data[:4] == b"%PDF"
    assert client.get(f"/campaigns/{c.id}/summary.pdf?paper=B5").status_code == 400
    page = _html(client.get("/campaigns/overview?year=2026"))
    assert "campaign-overview" in page and org.bureau_a.name in page and 'data-chart="bar"' in page
    assert client.get("/campaigns/overview?year=今年").status_code == 400
    wb = load_workbook(io.BytesIO(client.get("/campaigns/overview.xlsx").data))
    assert wb.active["B2"].value == org.bureau_a.name
    sign_in(client, org.clerk_b)
    assert "暂无专项整治" in _html(client.get("/campaigns/overview"))
