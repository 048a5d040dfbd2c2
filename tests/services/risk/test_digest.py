"""New warnings to the responsible departments' clerks, batched per day (services/risk/digest.py,
``flask risk-digest``)."""

from __future__ import annotations

from sqlalchemy import select

from models import Message, db
from models.roles import Role
from services.risk.digest import library_link, send_digest
from tests.factories import risk_pages as rf
from tests.factories.clock import CHINA_DAY, freeze


def test_one_message_per_clerk_and_day_with_counts_per_rule(org, make_user, monkeypatch):
    freeze(monkeypatch)  # 07:30 on 4 November in China
    second_clerk = make_user(org.bureau_a, Role.CLERK, name="第二经办人")
    e1, e2, e3 = (rf.entity(org, n) for n in (1, 2, 3))
    rf.warning(e1, "lawsuits", department=org.bureau_a)
    rf.warning(e2, "lawsuits", department=org.bureau_a)
    rf.warning(e3, "case_filed", department=org.health_a)
    rf.warning(rf.entity(org, 4), "case_filed", department=org.bureau_a, days_ago=2)  # not today
    rf.warning(rf.entity(org, 5), "abnormal_list")  # no responsible department: the district's bureaus
    db.session.commit()

    result = send_digest()
    assert (result.day, result.warnings) == (CHINA_DAY, 4)
    messages = list(db.session.execute(select(Message).order_by(Message.id)).scalars())
    by_user = {m.user_id: m for m in messages}
    assert set(by_user) == {org.clerk_a.id, second_clerk.id, org.health_clerk.id, org.safety_clerk.id}
    mine = by_user[org.clerk_a.id]
    assert mine.subject == "风险预警：2026年11月4日新增3条纳入风险库"
    assert "司法涉诉预警2条" in mine.body and "经营异常预警1条" in mine.body
    assert mine.link == library_link(org.bureau_a.id, CHINA_DAY)
    assert "立案查处预警1条" in by_user[org.health_clerk.id].body
    assert org.leader_a.id not in by_user and org.clerk_b.id not in by_user  # clerks of the department only

    # run again the same day: nobody is told twice
    again = send_digest()
    assert again.messages == 0 and db.session.query(Message).count() == len(messages)


def test_the_link_opens_the_library_on_that_day(client, org, monkeypatch):
    from tests.conftest import sign_in

    freeze(monkeypatch)
    rf.warning(rf.entity(org, 1), "lawsuits", department=org.bureau_a)
    rf.warning(rf.entity(org, 2), "lawsuits", department=org.bureau_a, days_ago=3)
    db.session.commit()
    sign_in(client, org.clerk_a)
    html = client.get(library_link(org.bureau_a.id, CHINA_DAY)).get_data(as_text=True)
    assert "甲区测试0001" in html and "甲区测试0002" not in html


def test_cli(app, org, monkeypatch):
    freeze(monkeypatch)
    rf.warning(rf.entity(org, 1), "lawsuits", department=org.bureau_a)
    db.session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["risk-digest", "--date", CHINA_DAY.isoformat()])
    assert out.exit_code == 0 and "新增预警 1 条" in out.output and "发送通知 1 条" in out.output
    bad = runner.invoke(args=["risk-digest", "--date", "2026-13-01"])
    assert bad.exit_code == 2 and "日期格式不正确" in bad.output


def test_the_day_digest_waits_in_my_todo_until_opened(client, org, make_user, monkeypatch):
    from services.todo_count import todo_count
    from tests.conftest import sign_in

    freeze(monkeypatch)
    rf.warning(rf.entity(org, 1), "lawsuits", department=org.bureau_a)
    db.session.commit()
    send_digest()
    db.session.commit()
    before = todo_count(org.clerk_a)
    sign_in(client, org.clerk_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert "风险预警：2026年11月4日新增1条纳入风险库" in html and "司法涉诉预警1条" in html
    mine = db.session.execute(select(Message).where(Message.user_id == org.clerk_a.id)).scalar_one()
    theirs = db.session.execute(select(Message).where(Message.user_id == org.health_clerk.id)).scalar_one_or_none()

    opened = client.get(f"/risk/digests/{mine.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(library_link(org.bureau_a.id, CHINA_DAY))
    assert todo_count(org.clerk_a) == before - 1
    assert "风险预警：2026年11月4日" not in client.get("/inbox").get_data(as_text=True)
    # somebody else's message, or a message that is not a digest: not found
    if theirs is not None:
        assert client.get(f"/risk/digests/{theirs.id}").status_code == 404
    assert client.get("/risk/digests/999999").status_code == 404


def test_a_message_that_is_not_a_digest_is_not_opened_here(client, org):
    from persistence import notifications
    from tests.conftest import sign_in

    notifications.notify([org.clerk_a], "其他通知", "正文", "/plans")
    db.session.commit()
    other = db.session.execute(select(Message).where(Message.user_id == org.clerk_a.id)).scalar_one()
    sign_in(client, org.clerk_a)
    assert client.get(f"/risk/digests/{other.id}").status_code == 404
    assert "其他通知" not in client.get("/inbox").get_data(as_text=True)
