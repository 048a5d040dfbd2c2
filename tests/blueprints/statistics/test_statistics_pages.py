"""/statistics (抽查统计, charts, Excel export) and /statistics/overdue (逾期未公示): roles,
scope, filters, the uncovered-year message."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from models import InspectionRecord, RecordStatus, db
from models.inspections import ResultCategory
from tests.conftest import sign_in
from tests.factories.deadlines import dispatched_task, objects_of, record


@pytest.fixture()
def tasks(app, session, org):
    app.config["PLANS_TODAY"] = date(2026, 11, 5)
    joint = dispatched_task(org, objects=2, end=date(2026, 9, 30), participants=(org.health_a,), name="甲区联合任务")
    objs = objects_of(joint)
    record(joint, objs[0], org.bureau_a, RecordStatus.PUBLISHED, ResultCategory.ORDERED)
    soon = dispatched_task(org, objects=1, end=date(2026, 10, 13), name="甲区即将到期任务")
    other = dispatched_task(org, objects=1, end=date(2026, 9, 30), department=org.bureau_b, name="乙区任务")
    session.commit()
    yield joint, soon, other
    app.config.pop("PLANS_TODAY", None)


def test_statistics_page(client, org, tasks):
    sign_in(client, org.clerk_a)
    html = client.get("/statistics/").get_data(as_text=True)
    assert "甲区市场监督管理局" in html and "甲区卫生健康局" in html and "乙区" not in html
    assert 'data-chart="bar"' in html and "echarts-6.1.0/echarts.min.js" in html and "statistics.js" in html
    assert "发现问题依法责令改正" in html
    html = client.get("/statistics/?group=task").get_data(as_text=True)
    assert "甲区联合任务" in html and "甲区即将到期任务" in html
    frag = client.get("/statistics/?group=plan&year=2026", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<div id="statistics-results">') and "<html" not in frag
    assert client.get("/statistics/?group=nope").status_code == 400
    assert client.get("/statistics/?department=999999999").status_code == 400


def test_statistics_export(client, org, tasks):
    sign_in(client, org.leader_a)
    resp = client.get("/statistics/export.xlsx?group=task")
    assert resp.status_code == 200 and "spreadsheetml" in resp.mimetype
    wb = load_workbook(io.BytesIO(resp.data))
    rows = [r for r in wb.worksheets[0].iter_rows(values_only=True) if any(r)]
    assert rows[0][:6] == ("抽查任务", "抽取对象", "应录入结果", "已检查", "已公示", "逾期未公示")
    by_name = {r[0]: r[1:6] for r in rows[1:]}
    assert by_name["甲区联合任务"] == (2, 4, 1, 1, 3)
    assert by_name["合计"] == (3, 5, 1, 1, 3)
    assert "乙区任务" not in by_name
    assert ("发现问题依法责令改正", 1) in list(wb["检查结果分类"].iter_rows(values_only=True))


def test_overdue_page(client, org, tasks):
    sign_in(client, org.clerk_a)
    html = client.get("/statistics/overdue").get_data(as_text=True)
    assert "甲区联合任务" in html and "已逾期 2 个工作日" in html and "2026-11-03" in html
    assert "甲区即将到期任务" not in html and "乙区任务" not in html
    html = client.get("/statistics/overdue?show=soon").get_data(as_text=True)
    assert "甲区即将到期任务" in html and "剩余 3 个工作日" in html
    html = client.get(f"/statistics/overdue?department={org.health_a.id}").get_data(as_text=True)
    assert "甲区卫生健康局" in html and "甲区市场监督管理局</td>" not in html
    assert client.get("/statistics/overdue?show=x").status_code == 400
    assert client.get("/statistics/overdue?department=x").status_code == 400
    sign_in(client, org.clerk_b)
    html = client.get("/statistics/overdue").get_data(as_text=True)
    assert "乙区任务" in html and "甲区" not in html


def test_uncovered_year_is_a_message_not_a_500(app, client, org, tasks):
    app.config["PLANS_TODAY"] = date(2027, 1, 20)
    sign_in(client, org.clerk_a)
    for url in ("/statistics/overdue", "/statistics/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "2027年的节假日安排尚未录入，无法计算期限；请系统管理员在“节假日”中录入" in resp.get_data(as_text=True)
    assert client.get("/statistics/export.xlsx").status_code == 200


def test_roles(client, org, tasks):
    for user in (org.inspector_a, org.office_user, org.sysadmin, org.auditor):
        sign_in(client, user)
        for url in ("/statistics/", "/statistics/overdue", "/statistics/export.xlsx"):
            assert client.get(url).status_code == 403, (user.name, url)
    sign_in(client, org.clerk_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert 'href="/statistics/"' in html  # the menu entry (逾期未公示 is linked from 抽查统计)


def test_countdown_badges_on_task_and_record_pages(app, client, org, tasks):
    joint, _, _ = tasks
    published, = [r for r in db.session.query(InspectionRecord).filter_by(task_id=joint.id)]
    draft = record(joint, objects_of(joint)[1], org.bureau_a, RecordStatus.DRAFT, None)
    db.session.commit()
    sign_in(client, org.clerk_a)
    for url in (f"/tasks/{joint.id}", f"/tasks/{joint.id}/records"):
        html = client.get(url).get_data(as_text=True)
        assert 'class="badge badge-err deadline-badge"' in html and "已逾期 2 个工作日（期限 2026-11-03）" in html, url
    html = client.get(f"/records/{draft.id}").get_data(as_text=True)
    assert "已逾期 2 个工作日" in html
    html = client.get(f"/records/{published.id}").get_data(as_text=True)
    assert "检查结果已公示" in html and "已逾期" not in html
    app.config["PLANS_TODAY"] = date(2026, 10, 30)
    assert "剩余 2 个工作日" in client.get(f"/tasks/{joint.id}").get_data(as_text=True)


def test_countdown_badge_in_an_uncovered_year(app, client, org, session):
    task = dispatched_task(org, objects=1, end=date(2026, 12, 21), name="跨年任务")
    session.commit()
    app.config["PLANS_TODAY"] = date(2026, 12, 22)
    sign_in(client, org.clerk_a)
    for url in (f"/tasks/{task.id}", f"/tasks/{task.id}/records"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert "2027年的节假日安排尚未录入，无法计算期限；请系统管理员在“节假日”中录入" in resp.get_data(as_text=True)
    app.config.pop("PLANS_TODAY", None)
