"""persistence/notifications: inbox messages, the SMS / e-mail outbox and its sender."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Message, OutboxMessage
from models.notifications import OutboxStatus
from models.roles import Role
from persistence import notifications


class FailingSender:
    def __init__(self, config=None):
        self.sent = []

    def send(self, message):
        if message.channel == "email":
            raise ConnectionError("smtp down")
        self.sent.append(message.address)


@pytest.fixture()
def people(org, make_user):
    a = make_user(org.health_a, Role.MEMBER_LIAISON, name="甲", mobile="13900000011", email="a@example.invalid")
    b = make_user(org.safety_a, Role.MEMBER_LIAISON, name="乙", mobile="")
    return a, b


def test_notify_writes_inbox_and_outbox_rows(session, people):
    a, b = people
    written = notifications.notify([a, b, a, None], "请签收公文", "正文", "/conferences/documents/1")
    assert written == 4  # a: inbox, sms, email; b: inbox (no mobile, no e-mail)
    assert notifications.unread_count(a) == 1 and notifications.unread_count(b) == 1
    rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert [(r.channel, r.address) for r in rows] == [("sms", "13900000011"), ("email", "a@example.invalid")]
    assert all(r.status == OutboxStatus.PENDING for r in rows)


def test_channels_can_be_chosen(session, people):
    a, _ = people
    assert notifications.notify([a], "仅站内", channels=("inbox",)) == 1
    with pytest.raises(ValueError):
        notifications.notify([a], "x", channels=("fax",))


def test_mark_read_one_or_all_only_own(session, people):
    a, b = people
    notifications.notify([a], "一", channels=("inbox",))
    notifications.notify([a], "二", channels=("inbox",))
    notifications.notify([b], "乙的", channels=("inbox",))
    mine = notifications.messages_for(a)
    assert [m.subject for m in mine] == ["二", "一"]
    theirs = notifications.messages_for(b)[0]
    assert notifications.mark_read(a, [theirs.id]) == 0  # not a's message
    assert notifications.mark_read(a, [mine[0].id]) == 1
    assert notifications.unread_count(a) == 1
    assert notifications.messages_for(a, unread_only=True)[0].subject == "一"
    assert notifications.mark_read(a) == 1 and notifications.unread_count(a) == 0
    assert notifications.unread_count(b) == 1


def test_send_pending_retries_then_gives_up(app, session, people):
    a, _ = people
    notifications.notify([a], "通知", "正文", channels=("sms", "email"))
    sender = FailingSender()
    app.config["NOTIFY_MAX_ATTEMPTS"] = 2
    try:
        first = notifications.send_pending(sender)
        assert (first.sent, first.retried, first.failed) == (1, 1, 0)
        assert sender.sent == ["13900000011"]
        second = notifications.send_pending(sender)
        assert (second.sent, second.retried, second.failed) == (0, 0, 1)
        third = notifications.send_pending(sender)
        assert (third.sent, third.retried, third.failed) == (0, 0, 0)  # nothing sent twice
    finally:
        app.config["NOTIFY_MAX_ATTEMPTS"] = 5
    email = session.execute(select(OutboxMessage).where(OutboxMessage.channel == "email")).scalar_one()
    assert email.status == OutboxStatus.FAILED and "smtp down" in email.last_error and email.attempts == 2


def test_default_sender_logs(app, session, people, caplog):
    a, _ = people
    notifications.notify([a], "日志发送", "内容", channels=("sms",))
    with caplog.at_level("INFO", logger="zhjg.notify"):
        result = notifications.send_pending()
    assert result.sent == 1 and "13900000011" in caplog.text and "内容" in caplog.text


def test_sender_from_dotted_path(app, session):
    sender = notifications.load_sender("tests.services.test_notifications:FailingSender")
    # (pytest may import this module under another name: compare by what it is)
    assert type(sender).__name__ == "FailingSender" and type(sender).__module__.endswith("test_notifications")
    assert isinstance(notifications.load_sender("persistence.notifications.LogSender"), notifications.LogSender)
    with pytest.raises(ValueError):
        notifications.load_sender("nodots")


def test_cli_notify_send(app, session, people):
    a, _ = people
    notifications.notify([a], "命令行", "x", channels=("sms",))
    session.commit()
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 条" in result.output
    assert session.execute(select(Message)).first() is None  # sms only: no inbox row


def test_email_is_dated_in_china_time_and_has_a_message_id():
    import email.policy
    from datetime import datetime
    from email import message_from_bytes

    row = OutboxMessage(id=42, channel="email", address="a@example.cn", subject="待办提醒", body="您有1项待办",
                        created_at=datetime(2026, 12, 7, 16, 30))
    mail = notifications.build_email(row, "平台 <noreply@jg.example.cn>")
    parsed = message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    assert parsed["Date"] == "Tue, 08 Dec 2026 00:30:00 +0800"
    assert parsed["Message-ID"].endswith("@jg.example.cn>") and "outbox42" in parsed["Message-ID"]
    assert parsed["Subject"] == "待办提醒"


def test_smtp_sender_sends_the_built_mail(monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append((host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, mail):
            sent.append(mail)

    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    sender = notifications.SmtpSender({"NOTIFY_SMTP_HOST": "mail.local", "NOTIFY_SMTP_PORT": 2525,
                                       "NOTIFY_SMTP_FROM": "noreply@jg.example.cn"})
    sender.send(OutboxMessage(id=7, channel="email", address="b@example.cn", subject="s", body="b"))
    assert sent[0] == ("mail.local", 2525)
    assert sent[1]["Date"] and sent[1]["Message-ID"] and sent[1]["To"] == "b@example.cn"
