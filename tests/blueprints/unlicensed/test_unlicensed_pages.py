"""/unlicensed pages (表24): every step on its business page by the role the standard names,
refusals with their status and message and what was typed kept, another unit's page 404."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from models import UnlicensedCycle, db
from models.unlicensed import OperatorStatus as S
from services.plan_queries import today
from services.unlicensed import access, cycles
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.factories.unlicensed import Setup


@pytest.fixture()
def ul(org, make_user, session):
    return Setup(org, make_user)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/unlicensed/")})


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def test_the_office_issues_the_notice_on_its_page(client, ul, org):
    sign_in(client, ul.health_liaison)
    assert client.get("/unlicensed/new").status_code == 403
    sign_in(client, ul.office)
    assert "下发报送年度工作要点通知" in _html(client.get("/unlicensed/new"))
    data = {"conference_id": ul.conference.id, "year": "今年", "doc_no": "甲联办1号", "title": "通知", "body": "正文"}
    resp = _post(client, "/unlicensed/new", data)
    assert resp.status_code == 400 and "年度须为四位数字" in _html(resp) and "甲联办1号" in _html(resp)
    assert db.session.query(UnlicensedCycle).count() == 0
    resp = _post(client, "/unlicensed/new", {**data, "year": "2026"})
    assert resp.status_code == 302
    cycle = db.session.query(UnlicensedCycle).one()
    assert resp.headers["Location"].endswith(f"/unlicensed/{cycle.id}")
    page = _html(client.get(f"/unlicensed/{cycle.id}"))
    assert "甲区卫生健康局" in page and "汇总年度工作计划" in page
    resp = _post(client, "/unlicensed/new", {**data, "year": "2026", "doc_no": "甲联办2号"})
    assert resp.status_code == 409


def test_a_member_unit_sees_its_own_part_only(client, ul, org):
    cycle = ul.start()
    sign_in(client, ul.health_liaison)
    assert client.get(f"/unlicensed/units/{ul.health.id}").status_code == 200
    assert client.get(f"/unlicensed/units/{ul.safety.id}").status_code == 404
    resp = client.get(f"/unlicensed/{cycle.id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/unlicensed/units/{ul.health.id}")
    assert client.get(f"/unlicensed/{cycle.id}/summary.xlsx").status_code == 403
    sign_in(client, ul.safety_inspector)
    assert client.get(f"/unlicensed/units/{ul.health.id}").status_code == 404
    sign_in(client, org.office_b_user)
    assert client.get(f"/unlicensed/{cycle.id}").status_code == 404
    assert client.get(f"/unlicensed/units/{ul.health.id}").status_code == 404
    sign_in(client, org.clerk_a)
    assert client.get(f"/unlicensed/units/{ul.health.id}").status_code == 403
    sign_in(client, ul.office)
    assert client.get(f"/unlicensed/units/{ul.safety.id}").status_code == 200
    resp = client.get(f"/unlicensed/units/{ul.safety.id}/office")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/unlicensed/{cycle.id}")


def test_plan_and_campaign_on_the_unit_page(client, ul):
    ul.start()
    unit = ul.health
    url = f"/unlicensed/units/{unit.id}"
    sign_in(client, ul.health_inspector)
    assert _post(client, f"{url}/plan", {"plan_content": "x", "lock_version": unit.lock_version}).status_code == 403
    sign_in(client, ul.health_liaison)
    assert 'name="plan_content"' in _html(client.get(url))
    resp = _post(client, f"{url}/plan", {"plan_content": "", "lock_version": unit.lock_version})
    assert resp.status_code == 400 and "请填写年度工作计划" in _html(resp)
    resp = _post(client, f"{url}/plan", {"plan_content": "全年排查100户", "lock_version": unit.lock_version})
    assert resp.status_code == 302
    resp = _post(client, f"{url}/plan", {"plan_content": "再报一次", "lock_version": unit.lock_version - 1})
    assert resp.status_code == 409 and "已被他人修改" in _html(resp)
    db.session.refresh(unit)
    assert unit.plan_content == "全年排查100户"


def test_a_stale_campaign_form_keeps_what_was_typed(client, ul):
    ul.schemed()
    unit = ul.health
    sign_in(client, ul.health_liaison)
    resp = _post(client, f"/unlicensed/units/{unit.id}/campaign",
                 {"campaign_title": "我的方案", "campaign_content": "我刚写的内容", "lock_version": unit.lock_version - 1})
    assert resp.status_code == 409
    assert "已被他人修改" in _html(resp) and "我刚写的内容" in _html(resp)
    assert f'name="lock_version" value="{unit.lock_version}"' in _html(resp)
    resp = _post(client, f"/unlicensed/units/{unit.id}/campaign",
                 {"campaign_title": "我的方案", "campaign_content": "我刚写的内容", "lock_version": unit.lock_version})
    assert resp.status_code == 302 and access.current_step(unit) == "assign"


def test_the_inspector_records_an_operator_and_judges_it_on_pages(client, ul):
    ul.assigned()
    unit = ul.health
    sign_in(client, ul.health_liaison)
    assert _post(client, f"/unlicensed/units/{unit.id}/operators", {"operator": "店"}).status_code == 403
    sign_in(client, ul.health_inspector)
    assert 'name="operator"' in _html(client.get(f"/unlicensed/units/{unit.id}"))
    resp = _post(client, f"/unlicensed/units/{unit.id}/operators",
                 {"operator": "无名面馆", "address": "建设路2号", "person": "李四", "business": "餐饮",
                  "found_on": (today() - timedelta(days=3)).isoformat()})
    assert resp.status_code == 302
    op = unit.operators[0]
    url = f"/unlicensed/operators/{op.id}"
    assert "判断是否符合办理证照条件" in _html(client.get(url))
    assert _post(client, f"{url}/eligible", {"eligible": "no", "lock_version": op.lock_version}).status_code == 302
    resp = _post(client, f"{url}/case", {"case_no": "甲卫立1号", "case_date": (today() - timedelta(days=4)).isoformat(),
                                         "lock_version": op.lock_version})
    assert resp.status_code == 400 and "不能早于发现日期" in _html(resp) and "甲卫立1号" in _html(resp)
    resp = _post(client, f"{url}/case", {"case_no": "甲卫立1号", "case_date": today().isoformat(),
                                         "lock_version": op.lock_version})
    assert resp.status_code == 302 and op.status == S.CASE
    resp = _post(client, f"{url}/columns", {"fine": "一万", "lock_version": op.lock_version})
    assert resp.status_code == 400 and "罚款金额" in _html(resp)
    assert _post(client, f"{url}/columns", {"fine": "1.5", "lock_version": op.lock_version}).status_code == 302
    sign_in(client, ul.safety_inspector)
    assert client.get(url).status_code == 404
    assert _post(client, f"{url}/columns", {"fine": "2", "lock_version": op.lock_version}).status_code == 404


def test_guided_operator_licence_on_its_page(client, ul):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    op = ul.operator(unit, inspector, found_on=(today() - timedelta(days=5)).isoformat())
    sign_in(client, inspector)
    url = f"/unlicensed/operators/{op.id}"
    assert _post(client, f"{url}/eligible", {"eligible": "yes", "lock_version": op.lock_version}).status_code == 302
    assert _post(client, f"{url}/willing", {"willing": "yes", "lock_version": op.lock_version}).status_code == 302
    assert _post(client, f"{url}/guide", {"licence_kind": "办照", "guided_on": today().isoformat(),
                                          "lock_version": op.lock_version}).status_code == 302
    resp = _post(client, f"{url}/licence", {"licensed_on": (today() - timedelta(days=6)).isoformat(),
                                            "licensed_code": "X", "lock_version": op.lock_version})
    assert resp.status_code == 400 and "不能早于发现日期" in _html(resp)
    assert op.status == S.GUIDING


def test_reports_summary_export_bulletin_and_receipt_on_pages(client, ul):
    cycle = ul.assigned()
    for unit, liaison, inspector in ul.pairs():
        ul.closed_operator(unit, inspector)
        sign_in(client, inspector)
        url = f"/unlicensed/units/{unit.id}"
        assert _post(client, f"{url}/inspectors-report", {"lock_version": unit.lock_version}).status_code == 302
        sign_in(client, liaison)
        assert _post(client, f"{url}/report", {"lock_version": unit.lock_version}).status_code == 302
        resp = _post(client, f"{url}/report", {"lock_version": unit.lock_version})
        assert resp.status_code == 409 and "不能重复上报" in _html(resp)
    sign_in(client, ul.office)
    page = _html(client.get(f"/unlicensed/{cycle.id}"))
    assert "停业关闭" in page and "汇总查处结果" in page
    resp = client.get(f"/unlicensed/{cycle.id}/summary.xlsx")
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert "流动摊位" in [r[2] for r in rows]
    assert _post(client, f"/unlicensed/{cycle.id}/summary",
                 {"results_summary": "全年查处2户", "lock_version": cycle.lock_version}).status_code == 302
    assert _post(client, f"/unlicensed/{cycle.id}/bulletin",
                 {"doc_no": "甲联办9号", "title": "情况通报", "body": "通报", "lock_version": cycle.lock_version}
                 ).status_code == 302
    sign_in(client, ul.health_liaison)
    url = f"/unlicensed/units/{ul.health.id}/receive"
    resp = _post(client, url, {"password": "wrong", "version": cycle.bulletin.version})
    assert resp.status_code in (400, 403) and ul.health.received_at is None
    assert _post(client, url, {"password": PASSWORD, "version": cycle.bulletin.version}).status_code == 302
    assert ul.health.received_at is not None


def test_my_inbox_opens_the_business_pages(client, ul):
    ul.start()
    sign_in(client, ul.health_liaison)
    inbox = _html(client.get("/inbox"))
    assert f"/unlicensed/units/{ul.health.id}" in inbox and f"/unlicensed/units/{ul.safety.id}" not in inbox
    # the plans of both units, then the office's 汇总年度工作计划
    for unit, liaison, _ in ul.pairs():
        cycles.report_plan(liaison, unit, unit.lock_version, {"plan_content": "计划"})
    db.session.commit()
    sign_in(client, ul.office)
    inbox = _html(client.get("/inbox"))
    assert f"/unlicensed/units/{ul.health.id}/office" in inbox


def _pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text (pdftotext), "" without poppler-utils."""
    if shutil.which("pdftotext") is None:
        return ""
    path = tmp_path / "summary.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_office_prints_its_summary_on_a4_or_a3(client, ul, tmp_path):
    cycle = ul.reported()
    sign_in(client, ul.health_liaison)
    assert client.get(f"/unlicensed/{cycle.id}/summary.pdf").status_code == 403
    sign_in(client, ul.office)
    assert "打印汇总（A3）" in _html(client.get(f"/unlicensed/{cycle.id}"))
    assert client.get(f"/unlicensed/{cycle.id}/summary.pdf?paper=A5").status_code == 400
    for paper in ("A4", "A3"):
        resp = client.get(f"/unlicensed/{cycle.id}/summary.pdf?paper={paper}")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
        text = _pdf_text(resp.data, tmp_path)
        if text:
            assert "无证无照经营查处结果汇总表" in text and ul.org.health_a.name in text and "合计" in text


def test_the_liaison_draws_inspectors_on_the_unit_page(client, ul):
    ul.schemed()
    unit = ul.health
    cycles.make_campaign(ul.health_liaison, unit, unit.lock_version, {"campaign_title": "专项", "campaign_content": "内容"})
    db.session.commit()
    url = f"/unlicensed/units/{unit.id}"
    sign_in(client, ul.health_liaison)
    assert "随机抽取" in _html(client.get(url))
    resp = _post(client, f"{url}/assign", {"mode": "draw", "draw_count": "5", "lock_version": unit.lock_version})
    assert resp.status_code == 400 and "抽取人数须为1至1之间的整数" in _html(resp)
    resp = _post(client, f"{url}/assign", {"mode": "draw", "draw_count": "1", "lock_version": unit.lock_version})
    assert resp.status_code == 302 and unit.inspector_ids == {ul.health_inspector.id}
    page = _html(client.get(url))
    assert "随机抽取记录" in page and "一致" in page
    sign_in(client, ul.health_inspector)
    assert "批量导入" in _html(client.get(url))
    assert client.get(f"/imports/unlicensed_operators/?unit_id={unit.id}").status_code == 200
    sign_in(client, ul.safety_inspector)
    assert client.get(f"/imports/unlicensed_operators/?unit_id={unit.id}").status_code == 404
