"""The 风险库 pages (blueprints/risk, services/risk/library.py): who may open them, the filters,
paging, the Excel export, another district's warning, bad filters, and warnings in daily work
(the pre-visit dossier, a task's drawn objects)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from models import db
from services.risk import library
from tests.conftest import sign_in
from tests.factories import risk_pages as rf


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


def test_warnings_on_the_pre_visit_dossier(client, org):
    from models import MarketEntity
    from tests.factories.deadlines import objects_of
    from tests.factories.inspections import dispatched

    ready = dispatched(org, objects=2)
    obj, other = objects_of(ready.task)[:2]
    rf.warning(db.session.get(MarketEntity, obj.entity_id), "lawsuits", department=org.bureau_a,
               evidence=[{"kind": "lawsuit", "id": 1, "label": "（2026）川0108民初1号"}])
    db.session.commit()
    sign_in(client, ready.leader)
    page = _html(client.get(f"/tasks/{ready.task.id}/objects/{obj.id}"))
    section = page.split("<h3>风险预警</h3>", 1)[1].split("</ul>", 1)[0]
    assert "司法涉诉预警" in section and "（2026）川0108民初1号" in section
    quiet = _html(client.get(f"/tasks/{ready.task.id}/objects/{other.id}"))
    assert quiet.split("<h3>风险预警</h3>", 1)[1].startswith("\n  <p>无</p>")


def test_warnings_on_a_tasks_drawn_objects(client, org, session):
    from models import MarketEntity
    from services import object_draws
    from tests.factories.deadlines import objects_of
    from tests.factories.tasks import approved, fill_directory, make_task

    task = make_task(org.bureau_a, name="带风险预警的抽查任务")
    fill_directory(task, {"A": 3, "C": 3})
    approved(task, org.clerk_a, org.leader_a)
    object_draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    obj = next(o for o in objects_of(task) if o.entity_id)
    rf.warning(db.session.get(MarketEntity, obj.entity_id), "case_filed", department=org.bureau_a)
    session.commit()
    sign_in(client, org.clerk_a)
    html = _html(client.get(f"/tasks/{task.id}"))
    objects = html.split('id="object-list"', 1)[1].split("</table>", 1)[0]
    assert "<th>风险预警</th>" in objects and objects.count("立案查处预警") == 1
    row = objects.split(f'data-key="{obj.key}"', 1)[1].split("</tr>", 1)[0]
    assert "立案查处预警" in row
