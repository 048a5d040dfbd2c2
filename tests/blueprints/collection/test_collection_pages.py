"""/collection: online entry and correction per kind, scope, 归集反馈, 归集成果, 归集监控, the menu."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from models import FactSource, PendingFact, Permit, Sanction, db
from services.collection.ingest import ingest
from services.collection.kinds import FACT_KINDS
from tests.conftest import csrf_token, sign_in
from tests.factories.directories import make_entity, uscc

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def permit_form(code, no="JY510108001", **extra):
    return {"uscc": code, "permit_no": no, "name": "食品经营许可证", "valid_from": "2026/1/5", "valid_to": "2031年1月4日",
            **extra}


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/collection/"), **data})


def test_a_clerk_enters_a_permit_online_and_corrects_it(client, org, session):
    entity = make_entity(org.clerk_a, 1)
    session.commit()
    sign_in(client, org.health_clerk)
    page = client.get("/collection/permit/new")
    assert page.status_code == 200 and "许可证编号" in page.get_data(as_text=True)
    resp = post(client, "/collection/permit/new", permit_form(entity.uscc.lower()))
    assert resp.status_code == 302
    fact = db.session.execute(select(Permit)).scalar_one()
    assert fact.source_kind == FactSource.ONLINE and fact.created_by_id == org.health_clerk.id
    html = client.get(resp.location).get_data(as_text=True)
    assert "JY510108001" in html and entity.name in html and "2031-01-04" in html
    assert entity.name in client.get("/collection/permit/").get_data(as_text=True)
    # 更正: a new version; the old one stays
    form = client.get(f"/collection/permit/{fact.id}/correct").get_data(as_text=True)
    assert 'value="JY510108001"' in form
    resp = post(client, f"/collection/permit/{fact.id}/correct", permit_form(entity.uscc, status="注销"))
    assert resp.status_code == 302
    live = db.session.execute(select(Permit).where(Permit.current.is_(True))).scalar_one()
    assert live.status == "注销" and live.replaces_id == fact.id
    html = client.get(resp.location).get_data(as_text=True)
    assert "第2版（本页）" in html and "第1版" in html
    assert client.get(f"/collection/permit/{fact.id}/correct").status_code == 409


def test_bad_input_is_refused_with_chinese_messages(client, org, session):
    entity = make_entity(org.clerk_a, 2)
    session.commit()
    sign_in(client, org.health_clerk)
    wrong = entity.uscc[:17] + ("1" if entity.uscc[17] != "1" else "2")
    resp = post(client, "/collection/permit/new", permit_form(wrong, valid_from="2026-05-01", valid_to="2026-04-30"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "校验码（第18位）不符" in html and "有效期止不能早于有效期起" in html
    resp = post(client, "/collection/penalty/new", {"uscc": entity.uscc, "decision_no": "罚1", "decided_on": "2026-01-05",
                                                    "amount": "五十块"})
    assert resp.status_code == 422 and "中文大写" in resp.get_data(as_text=True)
    assert db.session.execute(select(Permit)).first() is None


def test_an_unknown_entity_goes_to_feedback_and_can_be_downloaded(client, org, session):
    sign_in(client, org.health_clerk)
    code = uscc("91510108MA6D00123")
    resp = post(client, "/collection/permit/new", permit_form(code))
    assert resp.status_code == 302 and resp.location.endswith("/collection/feedback")
    html = client.get("/collection/feedback").get_data(as_text=True)
    assert "未匹配" in html and code in html
    resp = client.get("/collection/feedback.xlsx")
    assert resp.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "行政许可" and rows[0][:2] == ("问题类型", "问题说明")
    assert rows[1][0] == "未匹配" and code in rows[1] and "JY510108001" in rows[1]
    pending = db.session.execute(select(PendingFact)).scalar_one()
    assert post(client, f"/collection/feedback/{pending.id}/withdraw", {}).status_code == 302
    assert pending.resolved_at is not None and pending.resolved_fact_id is None
    assert "没有待处理的归集信息" in client.get("/collection/feedback").get_data(as_text=True)


def test_a_department_sees_only_its_own_submissions(client, org, session):
    entity = make_entity(org.clerk_a, 3)
    fact = ingest(FACT_KINDS["permit"], [permit_form(entity.uscc, "甲区卫健许可1")], source_kind=FactSource.ONLINE,
                  department=org.health_a, actor=org.health_clerk).facts[0]
    session.commit()
    for user in (org.safety_clerk, org.clerk_b):
        sign_in(client, user)
        assert client.get(f"/collection/permit/{fact.id}").status_code == 404
        assert client.get(f"/collection/permit/{fact.id}/correct").status_code == 404
        assert post(client, f"/collection/permit/{fact.id}/correct", permit_form(entity.uscc)).status_code == 404
        assert "甲区卫健许可1" not in client.get("/collection/permit/").get_data(as_text=True)
        assert "甲区卫健许可1" not in client.get("/collection/results?kind=permit").get_data(as_text=True)
    sign_in(client, org.leader_a)  # not a 监管部门经办人
    assert client.get("/collection/permit/new").status_code == 403


def test_results_table_permit_number_to_code(client, org, session):
    entity = make_entity(org.clerk_a, 4)
    ingest(FACT_KINDS["permit"], [permit_form(entity.uscc, "JY9")], source_kind=FactSource.IMPORT,
           department=org.health_a, actor=org.health_clerk)
    session.commit()
    sign_in(client, org.health_clerk)
    assert entity.uscc in client.get("/collection/results").get_data(as_text=True)
    resp = client.get("/collection/results.xlsx?kind=permit")
    rows = list(load_workbook(io.BytesIO(resp.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("许可证编号", "市场主体名称", "统一社会信用代码")
    assert rows[1][:3] == ("JY9", entity.name, entity.uscc)


def test_monitor_per_provider_and_kind(client, org, session):
    entity = make_entity(org.clerk_a, 5)
    permits = FACT_KINDS["permit"]
    ingest(permits, [permit_form(entity.uscc, "P1"), permit_form(uscc("91510108MA6D00321"), "P2")],
           source_kind=FactSource.IMPORT, department=org.health_a, actor=org.health_clerk)
    ingest(permits, [permit_form(entity.uscc, "P1", status="注销")], source_kind=FactSource.IMPORT,
           department=org.health_a, actor=org.health_clerk)
    session.commit()
    sign_in(client, org.leader_a)
    html = client.get("/collection/monitor").get_data(as_text=True)
    assert "甲区卫生健康局" in html and "行政许可" in html
    from services.collection.monitor import monitor

    row = monitor(org.leader_a)[0]
    assert (row.live, row.replaced, row.waiting, row.last_received is not None) == (1, 1, {"未匹配": 1}, True)
    sign_in(client, org.leader_b)
    assert "甲区卫生健康局" not in client.get("/collection/monitor").get_data(as_text=True)


def test_a_person_sanction_shows_the_id_number_masked_and_keeps_it_on_correction(client, org, session):
    sign_in(client, org.health_clerk)
    resp = post(client, "/collection/sanction/new", {"person_name": "张三", "id_number": "11010519491231002x",
                                                     "list_kind": "失信被执行人", "decided_on": "2025-06-01"})
    assert resp.status_code == 302
    sanction = db.session.execute(select(Sanction)).scalar_one()
    html = client.get(resp.location).get_data(as_text=True)
    assert "1101**********002X" in html and "11010519491231002X" not in html
    form = client.get(f"/collection/sanction/{sanction.id}/correct").get_data(as_text=True)
    assert "11010519491231002X" not in form and "1101**********002X" in form
    resp = post(client, f"/collection/sanction/{sanction.id}/correct",
                {"person_name": "张三", "id_number": "1101**********002X", "list_kind": "失信被执行人",
                 "decided_on": "2025-06-01", "removed_on": "2026-01-05"})
    assert resp.status_code == 302
    live = db.session.execute(select(Sanction).where(Sanction.current.is_(True))).scalar_one()
    assert live.person_id == sanction.person_id and str(live.removed_on) == "2026-01-05"


def test_menu_offers_collection_to_clerks(client, org, session):
    sign_in(client, org.health_clerk)
    html = client.get("/inbox").get_data(as_text=True)
    assert "归集信息填报" in html and "归集反馈" in html and "归集监控" in html
    html = client.get("/collection/").get_data(as_text=True)
    assert all(k.label in html for k in FACT_KINDS.values())
    assert client.get("/imports/facts_permit/template.xlsx").status_code == 200


def test_a_post_without_its_security_token_is_refused(client, org, session):
    entity = make_entity(org.clerk_a, 6)
    session.commit()
    sign_in(client, org.health_clerk)
    resp = client.post("/collection/permit/new", data=permit_form(entity.uscc))
    assert resp.status_code == 400 and "安全令牌" in resp.get_data(as_text=True)
    assert db.session.execute(select(Permit)).first() is None


def _form_of(kind, n: int, code: str) -> dict[str, str]:
    """The sample import row of the kind (tests/factories/import_kinds.py) as form fields."""
    from services.collection.templates import FACT_TEMPLATES
    from tests.factories.import_kinds import ROWS

    by_title = dict(zip(FACT_TEMPLATES[kind.name].titles, ROWS[f"facts_{kind.name}"](n), strict=True))
    form = {f.key: str(by_title.get(f.label) or "") for f in kind.all_fields}
    form["uscc"] = code
    return form


def test_every_kind_can_be_entered_and_corrected_online(client, org, session):
    entity = make_entity(org.clerk_a, 7)
    session.commit()
    sign_in(client, org.health_clerk)
    for kind in FACT_KINDS.values():
        assert client.get(f"/collection/{kind.name}/new").status_code == 200, kind.name
        resp = post(client, f"/collection/{kind.name}/new", _form_of(kind, 1, entity.uscc))
        assert resp.status_code == 302, (kind.name, resp.get_data(as_text=True)[-2000:])
        fact = db.session.execute(select(kind.model)).scalars().one()
        assert fact.entity_id == entity.id and fact.source_department_id == org.health_a.id
        form = client.get(f"/collection/{kind.name}/{fact.id}/correct")
        assert form.status_code == 200, kind.name
        optional = next(f for f in reversed(kind.fields) if not f.required and f.key != "year")
        changed = {**_form_of(kind, 1, entity.uscc), optional.key: ""}
        resp = post(client, f"/collection/{kind.name}/{fact.id}/correct", changed)
        assert resp.status_code == 302, (kind.name, resp.get_data(as_text=True)[-2000:])
        assert client.get(f"/collection/{kind.name}/").status_code == 200


def test_every_kinds_import_page_opens_and_leads_back_to_the_kind(client, org, session):
    sign_in(client, org.health_clerk)
    for name in FACT_KINDS:
        html = client.get(f"/imports/facts_{name}/").get_data(as_text=True)
        assert f'href="/collection/{name}/"' in html, name
