"""/admin/api-clients: a system administrator issues (token shown once, stored hashed), lists and
revokes the credentials of the 接口调用方 accounts of their subtree; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ApiCredential, db
from services.api import tokens
from tests.conftest import csrf_token
from tests.factories.api import bearer, issue_token

URL = "/admin/api-clients/"


@pytest.mark.parametrize("who", ["clerk_a", "secadmin", "auditor", "court"])
def test_only_system_administrators_open_the_page(client, login, org, court, who, session):
    user = court if who == "court" else getattr(org, who)
    login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL + "issue", data={}).status_code in (400, 403)


def test_issue_shows_the_token_once_and_stores_only_its_hash(client, login, org, court, session):
    login(org.sysadmin)
    page = client.get(URL)
    assert page.status_code == 200 and court.account in page.get_data(as_text=True)
    response = client.post(URL + "issue", data={
        "csrf_token": csrf_token(client, URL), "user_id": court.id, "name": "市法院送达信息共享",
        "scopes": ["entities:read", "entities.address:read"], "days": "365", "rate_limit": "120",
        "ip_allow": "10.0.0.0/8\n192.168.1.5",
    })
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "只显示这一次" in html
    token = html.split('<code class="password">')[1].split("</code>")[0]
    assert tokens.TOKEN_RE.match(token)
    credential = db.session.execute(select(ApiCredential)).scalar_one()
    assert credential.token_hash == tokens.token_hash(token) and token not in credential.token_hash
    assert credential.scope_list == ["entities.address:read", "entities:read"]
    assert credential.ip_list == ["10.0.0.0/8", "192.168.1.5"] and credential.rate_limit == 120
    listing = client.get(URL).get_data(as_text=True)
    assert token not in listing and credential.token_prefix in listing and "市法院送达信息共享" in listing
    answer = client.get("/api/v1/entities/X", headers=bearer(token), environ_base={"REMOTE_ADDR": "10.2.3.4"})
    assert answer.status_code == 404  # authenticated, the code is unknown


def test_bad_input_is_refused_with_a_message_and_nothing_issued(client, login, org, court, session):
    login(org.sysadmin)
    base = {"csrf_token": csrf_token(client, URL), "user_id": court.id, "name": "x", "days": "30",
            "rate_limit": "60", "scopes": ["entities:read"]}
    for change, message in (({"scopes": []}, "请至少选择一项授权范围"),
                            ({"scopes": ["everything:write"]}, "未知的授权范围"),
                            ({"days": "0"}, "有效天数"),
                            ({"rate_limit": "abc"}, "每分钟请求上限"),
                            ({"ip_allow": "10.0.0.300"}, "IP地址格式不正确"),
                            ({"user_id": org.clerk_a.id}, "请选择本级或下级的接口调用方账号")):
        response = client.post(URL + "issue", data={**base, **change})
        assert response.status_code == 400 and message in response.get_data(as_text=True), change
    assert db.session.execute(select(ApiCredential)).first() is None


def test_revoke_stops_the_token(client, login, org, court, session):
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    login(org.sysadmin)
    response = client.post(f"{URL}{credential.id}/revoke", data={"csrf_token": csrf_token(client, URL)})
    assert response.status_code == 302
    assert client.get("/api/v1/entities/X", headers=bearer(token)).status_code == 401
    assert "已吊销" in client.get(URL).get_data(as_text=True)


def test_a_credential_whose_account_lost_the_role_stays_listed_and_revocable(client, login, org, court, session):
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    court.roles = []
    db.session.commit()
    login(org.sysadmin)
    assert credential.token_prefix in client.get(URL).get_data(as_text=True)
    response = client.post(f"{URL}{credential.id}/revoke", data={"csrf_token": csrf_token(client, URL)})
    assert response.status_code == 302 and db.session.get(ApiCredential, credential.id).revoked_at is not None


def test_another_districts_administrator_neither_sees_nor_revokes(client, login, org, court, session):
    _token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    login(org.sysadmin_b)
    assert court.account not in client.get(URL).get_data(as_text=True)
    response = client.post(f"{URL}{credential.id}/revoke", data={"csrf_token": csrf_token(client, URL)})
    assert response.status_code == 403
    assert db.session.get(ApiCredential, credential.id).revoked_at is None


def test_the_menu_offers_the_page_to_system_administrators(client, login, org, session):
    login(org.sysadmin)
    assert "接口凭证" in client.get("/admin/users").get_data(as_text=True)
