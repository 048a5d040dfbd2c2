"""/admin/calendar (节假日): the top department's 系统管理员 edits; other administrators read;
business users are refused."""

from __future__ import annotations

from datetime import date

from models import CalendarDay, CalendarYear
from persistence import workdays
from tests.conftest import csrf_token, sign_in


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/admin/calendar/")})


def test_year_page_lists_holidays_and_makeup_days(client, org):
    sign_in(client, org.sysadmin)
    html = client.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert "2026年节假日安排" in html and "已录入完整" in html
    assert "2026-02-17" in html and "春节" in html
    assert "2026-10-10" in html and "调休上班" in html
    assert "标为未录入完整" in html and "新增或修改一天" in html
    assert client.get("/admin/calendar/?year=abc").status_code == 400
    assert "节假日" in client.get("/admin/users").get_data(as_text=True)  # the menu entry


def test_admin_adds_edits_deletes_and_covers_a_year(client, org, session):
    sign_in(client, org.sysadmin)
    html = client.get("/admin/calendar/?year=2027").get_data(as_text=True)
    assert "未录入完整" in html and "2027年尚无放假日或调休上班日" in html
    resp = _post(client, "/admin/calendar/days", {"day": "2027-01-01", "kind": "holiday", "name": "元旦", "year": "2027"})
    assert resp.status_code == 302
    assert session.get(CalendarDay, date(2027, 1, 1)).name == "元旦"
    resp = _post(client, "/admin/calendar/days", {"day": "2027/1/1", "kind": "holiday", "name": "元旦节"})
    assert resp.status_code == 302 and session.get(CalendarDay, date(2027, 1, 1)).name == "元旦节"
    resp = _post(client, "/admin/calendar/days", {"day": "2027-01-04", "kind": "workday", "name": "调休", "year": "2027"})
    assert resp.status_code == 400
    assert "本来就是工作日" in resp.get_data(as_text=True)
    resp = _post(client, "/admin/calendar/days", {"day": "2027-02-30", "kind": "holiday", "name": "x", "year": "2027"})
    assert resp.status_code == 400 and "日期" in resp.get_data(as_text=True)
    assert _post(client, "/admin/calendar/years", {"year": "2027", "covered": "1"}).status_code == 302
    assert session.get(CalendarYear, 2027) is not None
    assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert _post(client, "/admin/calendar/days/delete", {"day": "2027-01-01"}).status_code == 302
    assert session.get(CalendarDay, date(2027, 1, 1)) is None
    assert _post(client, "/admin/calendar/days/delete", {"day": "2027-01-01"}).status_code == 400
    assert _post(client, "/admin/calendar/days/delete", {"day": "nonsense"}).status_code == 400
    assert _post(client, "/admin/calendar/years", {"year": "2027", "covered": "0"}).status_code == 302
    assert session.get(CalendarYear, 2027) is None
    assert _post(client, "/admin/calendar/years", {"year": "x"}).status_code == 400


def test_district_administrator_reads_only(client, org, session):
    sign_in(client, org.sysadmin_b)
    html = client.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert "春节" in html and "由最上级部门的系统管理员维护" in html and "新增或修改一天" not in html
    for url, data in (
        ("/admin/calendar/days", {"day": "2026-03-02", "kind": "holiday", "name": "x"}),
        ("/admin/calendar/days/delete", {"day": "2026-02-17"}),
        ("/admin/calendar/years", {"year": "2026", "covered": "0"}),
    ):
        assert _post(client, url, data).status_code == 403, url
    assert session.get(CalendarDay, date(2026, 2, 17)) is not None
    assert session.get(CalendarYear, 2026) is not None


def test_business_users_are_refused(client, org):
    for user in (org.clerk_a, org.leader_a, org.secadmin, org.auditor):
        sign_in(client, user)
        assert client.get("/admin/calendar/").status_code == 403


def test_calendar_seed_command(app, session, org):
    session.delete(session.get(CalendarYear, 2026))
    session.flush()
    result = app.test_cli_runner().invoke(args=["calendar", "seed"])
    assert result.exit_code == 0, result.output
    assert "已载入 2026 年的节假日安排" in result.output
    result = app.test_cli_runner().invoke(args=["calendar", "seed"])
    assert "没有需要载入的年份" in result.output
    result = app.test_cli_runner().invoke(args=["calendar", "seed", "--year", "2027"])
    assert result.exit_code == 1 and "2027" in result.output


def test_demo_fills_missing_years(session):
    from cli.demo import load_demo

    session.delete(session.get(CalendarYear, 2026))
    session.query(CalendarDay).filter(CalendarDay.day >= date(2026, 1, 1)).delete()
    session.flush()
    load_demo()
    assert session.get(CalendarYear, 2026).source == "chinesecalendar"
    assert session.get(CalendarDay, date(2026, 10, 10)).kind == "workday"
