"""/sanctions/catalogue pages (表30, 表31): each step on the entry's page by the 牵头部门, refusals
with their status and what was typed kept, another district's entry 404, the exports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from models import SanctionEntry, db
from models.sanctions import EntryStatus
from tests.conftest import csrf_token, sign_in
from tests.factories.sanctions import Setup


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/sanctions/catalogue")})


def _form(sx, **over):
    data = sx.form(**over)
    data["measure_department"] = [str(sx.org.health_a.id), ""]
    data["measure_content"] = ["限制参加政府采购", ""]
    return data


def test_add_publish_and_maintain_on_the_pages(client, sx):
    sign_in(client, sx.lead)
    resp = _post(client, "/sanctions/catalogue/new", _form(sx))
    assert resp.status_code == 302
    entry = db.session.query(SanctionEntry).one()
    page = client.get(f"/sanctions/catalogue/{entry.id}").get_data(as_text=True)
    assert "发布联合奖惩清单" in page and "限制参加政府采购" in page
    assert _post(client, f"/sanctions/catalogue/{entry.id}/publish", {}).status_code == 302
    assert "选择维护" in client.get(f"/sanctions/catalogue/{entry.id}").get_data(as_text=True)
    assert _post(client, f"/sanctions/catalogue/{entry.id}/select", {}).status_code == 302
    assert _post(client, f"/sanctions/catalogue/{entry.id}/suspend", {}).status_code == 302
    db.session.refresh(entry)
    assert entry.status == EntryStatus.SUSPENDED
    resp = _post(client, f"/sanctions/catalogue/{entry.id}/edit",
                 {**_form(sx, behaviour="修订后的行为"), "lock_version": entry.lock_version})
    assert resp.status_code == 302
    assert _post(client, f"/sanctions/catalogue/{entry.id}/publish", {}).status_code == 302
    db.session.refresh(entry)
    assert entry.version == 2 and entry.behaviour == "修订后的行为"
    page = client.get(f"/sanctions/catalogue/{entry.id}").get_data(as_text=True)
    assert "历次发布版本" in page and "严重违法失信企业" in page and "修订后的行为" in page


def test_end_before_start_keeps_what_was_typed(client, sx):
    sign_in(client, sx.lead)
    resp = _post(client, "/sanctions/catalogue/new", _form(sx, ends_on="2025-01-01", behaviour="某行为"))
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "期限结束日期不能早于开始日期" in page and 'value="某行为"' in page
    assert db.session.query(SanctionEntry).count() == 0


def test_a_clerk_reads_but_does_not_add(client, sx):
    entry = sx.published()
    sign_in(client, sx.org.clerk_a)
    assert client.get("/sanctions/catalogue/new").status_code == 403
    assert client.get(f"/sanctions/catalogue/{entry.id}").status_code == 200
    assert "选择维护" not in client.get(f"/sanctions/catalogue/{entry.id}").get_data(as_text=True)
    assert _post(client, f"/sanctions/catalogue/{entry.id}/select", {}).status_code == 403


def test_another_district_gets_404(client, sx):
    entry = sx.published()
    sign_in(client, sx.lead_b)
    assert client.get(f"/sanctions/catalogue/{entry.id}").status_code == 404
    assert _post(client, f"/sanctions/catalogue/{entry.id}/select", {}).status_code == 404
    assert "严重违法失信企业" not in client.get("/sanctions/catalogue").get_data(as_text=True)


def test_exports(client, sx):
    sx.published()
    sign_in(client, sx.org.clerk_a)
    resp = client.get("/sanctions/catalogue.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = [c.value for c in ws[2]]
    assert "严重违法失信企业" in values and any("限制参加政府采购" in str(v) for v in values)
    pdf = client.get("/sanctions/catalogue.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_public_catalogue_and_signed_feed(client, sx):
    entry = sx.published()
    page = client.get("/public/sanctions/catalogue")
    assert page.status_code == 200 and "严重违法失信企业" in page.get_data(as_text=True)
    resp = client.get("/public/sanctions/catalogue.json")
    assert resp.status_code == 200
    from services.sanctions import feed
    with client.application.app_context():
        assert resp.headers["X-Signature"] == feed.signature(resp.data)
    body = resp.get_json()
    assert body["count"] == 1 and body["records"][0]["subject_id"] == entry.id
    after = client.get(f"/public/sanctions/catalogue.json?after_id={body['next_after_id']}").get_json()
    assert after["count"] == 0
