"""/industry (一业一评 page and PDF, 一业一册 PDF): roles, area, bad input, the demo district."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, User, db
from tests.conftest import sign_in
from tests.factories.industry import OK, ORDERED, industry_task

Q = "industry=H&year=2026"


@pytest.fixture()
def task(session, org):
    task = industry_task(org, results=(OK, ORDERED), lines={1: [("餐具消毒", "未消毒")]})
    session.commit()
    return task


@pytest.mark.parametrize("who", ["clerk_a", "leader_a", "office_user"])
def test_roles_that_use_it_see_the_evaluation(client, org, task, who):
    sign_in(client, getattr(org, who))
    html = client.get("/industry/").get_data(as_text=True)
    assert "一业一评、一业一册" in html and "/industry/evaluation?industry=H&amp;year=2026" in html
    html = client.get(f"/industry/evaluation?{Q}").get_data(as_text=True)
    assert "2026年度住宿和餐饮业双随机“一业一查”一业一评" in html
    assert "发现问题依法责令改正" in html and "餐具消毒" in html and task.name in html
    assert (f'href="/tasks/{task.id}"' in html) == (who != "office_user")  # no link the user cannot open
    for url in (f"/industry/evaluation.pdf?{Q}", f"/industry/handbook.pdf?{Q}"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
        assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]


@pytest.mark.parametrize("who", ["inspector_a", "sysadmin", "auditor"])
def test_other_roles_are_refused(client, org, task, who):
    sign_in(client, getattr(org, who))
    for url in ("/industry/", f"/industry/evaluation?{Q}", f"/industry/evaluation.pdf?{Q}",
                f"/industry/handbook.pdf?{Q}"):
        assert client.get(url).status_code == 403, url


def test_another_district_sees_nothing_of_it(client, org, task):
    sign_in(client, org.clerk_b)
    html = client.get("/industry/").get_data(as_text=True)
    assert "本辖区尚无已派发的部门联合抽查任务" in html and "evaluation?industry=H" not in html
    resp = client.get(f"/industry/evaluation?{Q}")
    assert resp.status_code == 404 and "乙区2026年度H 住宿和餐饮业没有已派发的部门联合抽查任务" in resp.get_data(as_text=True)
    resp = client.get(f"/industry/evaluation.pdf?{Q}")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "无法生成一业一评" in resp.get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ("industry=C&year=2026", "甲区2026年度C 制造业没有已派发的部门联合抽查任务，无法生成一业一评"),
    ("industry=H&year=2025", "甲区2025年度H 住宿和餐饮业没有已派发的部门联合抽查任务"),
    ("industry=ZZ&year=2026", "行业应为国民经济行业门类（A–T）"),
    ("industry=H&year=abc", "年度不正确"),
    ("year=2026", "请选择行业"),
])
def test_bad_input_gets_a_chinese_message_not_an_empty_pdf(client, org, task, query, message):
    sign_in(client, org.clerk_a)
    page = client.get(f"/industry/evaluation?{query}")
    assert page.status_code in (400, 404) and message in page.get_data(as_text=True)
    assert 'name="industry"' in page.get_data(as_text=True)  # the choice form, to try again
    resp = client.get(f"/industry/evaluation.pdf?{query}")
    assert resp.status_code in (400, 404) and not resp.data.startswith(b"%PDF")
    assert message in resp.get_data(as_text=True)


def test_handbook_without_items_is_refused_and_downloads_are_audited(client, org, task):
    sign_in(client, org.clerk_a)
    resp = client.get("/industry/handbook.pdf?industry=C&year=2026")
    assert resp.status_code == 404 and "甲区C 制造业尚无已公布的抽查事项，无法编制合规经营指导手册" in resp.get_data(as_text=True)
    assert client.get(f"/industry/handbook.pdf?{Q}").status_code == 200
    assert client.get(f"/industry/evaluation.pdf?{Q}").status_code == 200
    kinds = db.session.execute(select(AuditEvent.object_type).where(AuditEvent.action == "export")).scalars().all()
    assert "industry_handbook" in kinds and "industry_evaluation" in kinds


def test_menu_offers_it_to_the_clerk(client, org):
    sign_in(client, org.clerk_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert 'href="/industry/"' in html


def test_demo_district_shows_an_evaluation(app, client, session):
    from cli.demo import load_demo
    from services.plan_queries import today

    load_demo()
    session.commit()
    clerk = session.execute(select(User).where(User.account == "wangxy")).scalar_one()
    sign_in(client, clerk)
    year = today().year - 1
    html = client.get("/industry/").get_data(as_text=True)
    assert f"/industry/evaluation?industry=H&amp;year={year}" in html
    html = client.get(f"/industry/evaluation?industry=H&year={year}").get_data(as_text=True)
    for word in ("成华区", "发现问题依法责令改正", "从业人员健康管理", "餐饮具清洗消毒", "成华区卫生健康局"):
        assert word in html, word
    assert client.get(f"/industry/handbook.pdf?industry=H&year={year}").data.startswith(b"%PDF")
    load_demo()  # idempotent
    assert len(session.execute(select(User)).scalars().all()) > 0
