"""The 风险库 pages (blueprints/risk, services/risk/library.py): who may open them, the filters,
paging, the Excel export, another district's warning, bad filters, and warnings in daily work
(the pre-visit dossier, a task's drawn objects)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from models import db
from services.risk import library
from tests.conftest import sign_in
from tests.factories import risk as rf


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def test_roles_allowed_and_refused(client, org):
    e = rf.entity(org, 1)
    rf.warning(e, department=org.bureau_a)
    db.session.commit()
    for user in (org.clerk_a, org.leader_a, org.inspector_a):
        sign_in(client, user)
        resp = client.get("/risk/warnings")
        assert resp.status_code == 200, user.name
        assert e.name in _html(resp)
    for user in (org.office_user, org.sysadmin, org.auditor):
        sign_in(client, user)
        assert client.get("/risk/warnings").status_code == 403
        assert client.get("/risk/warnings.xlsx").status_code == 403


def test_another_districts_warning_is_not_found(client, org):
    a = rf.warning(rf.entity(org, 1), department=org.bureau_a)
    b = rf.warning(rf.entity_b(org, 1), department=org.bureau_b)
    db.session.commit()
    sign_in(client, org.clerk_b)
    assert client.get(f"/risk/warnings/{a.id}").status_code == 404
    assert client.get(f"/risk/warnings/{b.id}").status_code == 200
    html = _html(client.get("/risk/warnings?status=all"))
    assert "乙区测试0001" in html and "甲区测试0001" not in html
    sign_in(client, org.clerk_a)
    page = _html(client.get(f"/risk/warnings/{a.id}"))
    assert "经营异常预警" in page and "列入经营异常名录" in page


def test_filters_and_paging(client, org):
    food = rf.entity(org, 1, industry_code="H6210", division_code="510108001000")
    shop = rf.entity(org, 2, industry_code="F5211", division_code="510108002000")
    rf.warning(food, "abnormal_list", department=org.bureau_a, days_ago=3)
    rf.warning(shop, "lawsuits", department=org.health_a)
    rf.warning(shop, "deregistered", department=org.bureau_a, status="closed")
    for n in range(3, 26):
        rf.warning(rf.entity(org, n), "case_filed", department=org.bureau_a, days_ago=1)
    db.session.commit()
    sign_in(client, org.clerk_a)

    def names(query: str) -> str:
        resp = client.get(f"/risk/warnings?{query}")
        assert resp.status_code == 200, query
        return _html(resp)

    assert "共 25 条" in names("")  # open only by default
    assert "共 26 条" in names("status=all")
    assert "共 1 条" in names("status=closed")
    html = names(f"rule={rf.rule('lawsuits').id}")
    assert "甲区测试0002" in html and "共 1 条" in html
    assert "甲区测试0002" in names("division=510108002") and "共 1 条" in names("division=510108002")
    assert "共 1 条" in names("industry=F")
    assert "共 1 条" in names(f"department={org.health_a.id}")
    today = library.clock.china_today()
    assert "共 1 条" in names(f"since={today.isoformat()}&until={today.isoformat()}")
    first = names("")
    assert "下一页" in first and "上一页" not in first
    second = names("page=2")
    assert "上一页" in second and second.count("<tr>") == 6  # header + 5 rows


def test_bad_filters_answer_400_with_the_reason(client, org):
    sign_in(client, org.clerk_a)
    for query, message in (
        ("since=2026-13-01", "发现日期（起）应为"),
        ("division=abc", "行政区划编码应为数字"),
        ("industry=%23%23", "行业代码应为门类字母"),
        ("since=2026-02-01&until=2026-01-01", "起始日不能晚于截止日"),
        ("rule=x", "预警规则无效"),
    ):
        resp = client.get(f"/risk/warnings?{query}")
        assert resp.status_code == 400, query
        assert message in _html(resp)


def test_excel_export(client, org):
    e = rf.entity(org, 1)
    rf.warning(e, department=org.bureau_a, evidence=[{"kind": "x", "id": 1, "label": "=1+2 恶意公式"}])
    rf.warning(rf.entity_b(org, 1), department=org.bureau_b)
    db.session.commit()
    sign_in(client, org.inspector_a)
    resp = client.get("/risk/warnings.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("预警规则", "市场主体名称", "统一社会信用代码/注册号")
    assert len(rows) == 2 and rows[1][1] == e.name and rows[1][10].startswith("'=1+2")
    assert client.get("/risk/warnings.xlsx?since=bad").status_code == 400


def test_warnings_on_the_pre_visit_dossier_and_the_drawn_objects(client, org):
    from models import MarketEntity
    from tests.factories.deadlines import objects_of
    from tests.factories.inspections import dispatched

    ready = dispatched(org, objects=2)
    obj = objects_of(ready.task)[0]
    rf.warning(db.session.get(MarketEntity, obj.entity_id), "lawsuits", department=org.bureau_a)
    db.session.commit()
    sign_in(client, ready.leader)
    page = _html(client.get(f"/tasks/{ready.task.id}/objects/{obj.id}"))
    assert "风险预警" in page and "司法涉诉预警" in page
    sign_in(client, org.clerk_a)
    html = _html(client.get(f"/tasks/{ready.task.id}"))
    assert 'class="risk-cell"><a class="badge badge-warn"' in html and "司法涉诉预警" in html
