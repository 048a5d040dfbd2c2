"""/messages: the message centre, the header count, mark read, open."""

from __future__ import annotations

from persistence import notifications
from tests.conftest import csrf_token, sign_in


def test_message_centre(client, org, session):
    notifications.notify([org.clerk_a], "第一条", "正文一", "/conferences/", channels=("inbox",))
    notifications.notify([org.clerk_a], "第二条", "正文二", channels=("inbox",))
    notifications.notify([org.clerk_b], "乙区的消息", channels=("inbox",))
    session.commit()
    sign_in(client, org.clerk_a)
    assert client.get("/messages/count").get_data(as_text=True) == "2"
    html = client.get("/messages/").get_data(as_text=True)
    assert "第一条" in html and "第二条" in html and "乙区的消息" not in html and "未读 2 条" in html
    assert 'id="message-count"' in client.get("/inbox").get_data(as_text=True)
    first = notifications.messages_for(org.clerk_a)[1]
    token = csrf_token(client, "/messages/")
    resp = client.post(f"/messages/{first.id}/open", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/conferences/")
    assert client.get("/messages/count").get_data(as_text=True) == "1"
    assert "第二条" in client.get("/messages/?unread=1").get_data(as_text=True)
    resp = client.post("/messages/read", data={"csrf_token": token})
    assert resp.status_code == 422
    resp = client.post("/messages/read", data={"csrf_token": token, "all": "1"})
    assert resp.status_code == 302
    assert client.get("/messages/count").get_data(as_text=True) == ""
    # someone else's message: 404
    other = notifications.messages_for(org.clerk_b)[0]
    assert client.post(f"/messages/{other.id}/open", data={"csrf_token": token}).status_code == 404
    assert notifications.unread_count(org.clerk_b) == 1
