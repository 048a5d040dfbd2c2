"""Pages show China time and count "today" in China, with the clock frozen at 23:30 UTC (07:30 the
next morning in China): the inspection record, its edit form, the 表32 plan, matrix and ledger."""

from __future__ import annotations

from models import db
from services import conference_plans as plans_svc
from services import ledgers
from tests.conftest import PASSWORD, sign_in
from tests.factories.clock import CHINA_TEXT, freeze
from tests.factories.inspections import complete, dispatched, open_all
from tests.factories.ledgers import Setup, row


def _html(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def test_record_pages_show_china_time(client, org, session, monkeypatch):
    freeze(monkeypatch)
    ready = dispatched(org, objects=1)
    record = open_all(ready)[0]
    complete(ready, record, inspected_at="2026-11-04T07:00")  # typed in China time; signed now
    sign_in(client, ready.leader)
    html = _html(client.get(f"/records/{record.id}"))
    assert f"于 {CHINA_TEXT} 签字（盖章）" in html
    assert "2026-11-04 07:00" in html  # 检查时间, as typed
    assert "2026-11-03" not in html
    edit = _html(client.get(f"/records/{record.id}/edit"))
    assert 'value="2026-11-04T07:00"' in edit  # the form gives back what was typed


def test_conference_plan_pages_show_china_time_and_today(client, org, make_user, session, monkeypatch):
    freeze(monkeypatch)
    setup = Setup(org, make_user)
    plan = setup.plan()  # issued now
    liaison = setup.liaisons[0]
    plans_svc.sign(liaison, plan, PASSWORD, version=1)
    ledger = ledgers.open_ledger(liaison, plan.tasks[0])
    ledgers.add_row(liaison, ledger, row(), version=None)
    plans_svc.report_ledger(liaison, ledger, version=None)
    db.session.commit()
    sign_in(client, setup.office)
    html = _html(client.get(f"/conference-plans/{plan.id}"))
    assert f"已下发（{CHINA_TEXT}）" in html
    matrix = _html(client.get(f"/conference-plans/{plan.id}/matrix"))
    assert CHINA_TEXT in matrix and "2026-11-03" not in matrix  # 已签收 at
    sign_in(client, liaison)
    page = _html(client.get(f"/conference-plans/tasks/{plan.tasks[0].id}/ledger"))
    assert f"已上报</span>（{CHINA_TEXT}）" in page
    # an unreported ledger's form offers today, the China date, and no later
    other = setup.liaisons[1]
    plans_svc.sign(other, plan, PASSWORD, version=1)
    db.session.commit()
    sign_in(client, other)
    form = _html(client.get(f"/conference-plans/tasks/{plan.tasks[0].id}/ledger"))
    assert 'value="2026-11-04" max="2026-11-04"' in form
