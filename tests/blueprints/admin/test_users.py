"""用户管理: the scoped list, the detail page with the audited reveal, and account maintenance
by the system administrator under the hierarchy rule."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from infrastructure.passwords import policy_errors, verify_password
from models import User, utcnow
from models.org import UserStatus
from tests.blueprints.admin.admin_helpers import audit_rows, post, text
from tests.conftest import PASSWORD

ID_A = "11010519491231002X"
ID_B = "440524188001010014"


def _form(org, **overrides):
    data = {
        "account": "zhang.wei-01",
        "name": "张伟",
        "department_id": str(org.bureau_a.id),
        "mobile": "13812345678",
        "id_number": ID_A,
    }
    data.update(overrides)
    return data


def _issued_password(html: str) -> str:
    match = re.search(r'<code class="password">([^<]+)</code>', html)
    assert match, "no password on the page"
    return match.group(1).replace("&amp;", "&")


def _count(session, **where) -> int:
    query = select(func.count(User.id))
    for key, value in where.items():
        query = query.where(getattr(User, key) == value)
    return session.execute(query).scalar_one()


# ------------------------------------------------------------------ list


def test_list_is_scoped_masked_and_filtered(org, login, session):
    org.clerk_a.mobile, org.clerk_a.id_number = "13812345678", ID_A
    session.commit()
    client = login(org.sysadmin)
    page = text(client.get("/admin/users"))
    assert "王晓燕" in page and "乙区经办人" in page
    assert "138****5678" in page and "1101**********002X" in page
    assert "13812345678" not in page and ID_A not in page
    page_b = text(login(org.sysadmin_b).get("/admin/users"))
    assert "乙区经办人" in page_b and "王晓燕" not in page_b
    # the security administrator sees the list too
    assert "王晓燕" in text(login(org.secadmin).get("/admin/users"))


def test_filters(org, login, session):
    org.leader_a2.status = UserStatus.DISABLED
    session.commit()
    client = login(org.sysadmin)
    page = text(client.get("/admin/users", query_string={"q": org.clerk_a.account.upper()}))
    assert "王晓燕" in page and "李建国" not in page
    page = text(client.get("/admin/users", query_string={"q": "晓燕"}))
    assert "王晓燕" in page and "张磊" not in page
    page = text(client.get("/admin/users", query_string={"department": org.bureau_a.id}))
    assert "张磊" in page and "陈志强" in page and "赵敏" not in page  # subtree of the bureau
    page = text(client.get("/admin/users", query_string={"status": "disabled"}))
    assert "赵副局长" in page and "李建国" not in page
    page = text(
        client.get("/admin/users", query_string={"role": "dept_leader", "department": org.district_a.id})
    )
    assert "李建国" in page and "乙区领导" not in page and "王晓燕" not in page
    # a department outside the subtree is ignored, never widened
    page = text(login(org.sysadmin_b).get("/admin/users", query_string={"department": org.bureau_a.id}))
    assert "王晓燕" not in page
    # LIKE wildcards are literal
    assert "没有符合条件的用户" in text(client.get("/admin/users", query_string={"q": "%"}))


def test_htmx_filter_returns_only_the_rows_block(org, login):
    client = login(org.sysadmin)
    response = client.get("/admin/users", query_string={"q": "晓燕"}, headers={"HX-Request": "true"})
    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="user-rows">')
    assert "王晓燕" in html and "<html" not in html and "李建国" not in html
    # a history restore needs the whole page
    restore = client.get("/admin/users", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in text(restore)


def test_list_is_paged(org, login, make_user):
    for i in range(25):
        make_user(org.section_a, account=f"paged{i:02d}", name=f"分页用户{i:02d}")
    client = login(org.sysadmin)
    first = text(client.get("/admin/users", query_string={"q": "paged"}))
    assert "第 1 / 2 页，共 25 条" in first and "分页用户00" in first and "分页用户24" not in first
    second = text(client.get("/admin/users", query_string={"q": "paged", "page": 2}))
    assert "分页用户24" in second and "分页用户00" not in second


@pytest.mark.parametrize("who", ["clerk_a", "leader_a", "auditor", "office_user"])
def test_list_and_detail_refused_to_non_admins(org, login, who):
    client = login(getattr(org, who))
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{org.clerk_a.id}").status_code == 403
    assert post(client, f"/admin/users/{org.clerk_a.id}/reveal").status_code == 403


# ------------------------------------------------------------------ detail and reveal


def test_other_districts_user_is_404(org, login):
    client = login(org.sysadmin_b)
    assert client.get(f"/admin/users/{org.clerk_a.id}").status_code == 404
    assert post(client, f"/admin/users/{org.clerk_a.id}/reveal").status_code == 404
    assert client.get(f"/admin/users/{org.clerk_a.id}/edit").status_code == 404
    assert post(client, f"/admin/users/{org.clerk_a.id}/status", {"status": "disabled"}).status_code == 404
    assert post(client, f"/admin/users/{org.clerk_a.id}/reset-password").status_code == 404
    assert post(client, f"/admin/users/{org.clerk_a.id}/unlock").status_code == 404
    assert client.get("/admin/users/999999").status_code == 404


def test_reveal_is_an_audited_htmx_swap(org, login, session):
    org.clerk_a.mobile, org.clerk_a.id_number = "13812345678", ID_A
    session.commit()
    client = login(org.secadmin)
    detail = text(client.get(f"/admin/users/{org.clerk_a.id}"))
    assert "138****5678" in detail and ID_A not in detail and "显示完整信息" in detail
    assert not audit_rows("view_personal_data")
    response = post(client, f"/admin/users/{org.clerk_a.id}/reveal", headers={"HX-Request": "true"})
    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="personal"') and "<html" not in html
    assert "13812345678" in html and ID_A in html
    (row,) = audit_rows("view_personal_data")
    assert row.user_id == org.secadmin.id and row.object_id == str(org.clerk_a.id)
    # without htmx the whole detail page comes back revealed
    page = text(post(client, f"/admin/users/{org.clerk_a.id}/reveal"))
    assert ID_A in page and "<html" in page
    assert len(audit_rows("view_personal_data")) == 2


def test_reveal_needs_csrf(org, login):
    client = login(org.sysadmin)
    assert client.post(f"/admin/users/{org.clerk_a.id}/reveal").status_code == 400
    assert (
        client.post(f"/admin/users/{org.clerk_a.id}/reveal", data={"csrf_token": "stale"}).status_code == 400
    )
    assert not audit_rows("view_personal_data")


# ------------------------------------------------------------------ create


def test_create_user_shows_the_initial_password_once(org, login, session):
    client = login(org.sysadmin)
    assert "新增用户" in text(client.get("/admin/users/new"))
    response = post(client, "/admin/users/new", _form(org, mobile=" 138 1234 5678 ", id_number=ID_A.lower()))
    assert response.status_code == 200
    html = text(response)
    password = _issued_password(html)
    assert "只显示这一次" in html and not policy_errors(password)
    user = session.execute(select(User).where(User.account == "zhang.wei-01")).scalar_one()
    assert user.department_id == org.bureau_a.id and user.mobile == "13812345678" and user.id_number == ID_A
    assert user.must_change_password and user.roles == []
    assert verify_password(user.password_hash, password)
    row = audit_rows("create", "user")[-1]
    assert row.object_id == str(user.id) and password not in row.summary and ID_A not in row.summary
    # the password is not stored in clear nor shown again
    assert password not in text(client.get(f"/admin/users/{user.id}"))


def test_duplicate_account_is_case_insensitive(org, login, session):
    client = login(org.sysadmin)
    response = post(client, "/admin/users/new", _form(org, account=org.clerk_a.account.upper()))
    assert response.status_code == 400
    assert "已存在" in text(response)
    assert _count(session, name="张伟") == 0
    # reported together with the other fields' mistakes
    response = post(client, "/admin/users/new", _form(org, account=org.clerk_a.account, mobile="123"))
    assert response.status_code == 400
    assert "已存在" in text(response) and "11位大陆手机号" in text(response)


def test_the_user_form_reads_mobiles_with_the_country_prefix(org, login, session):
    response = post(login(org.sysadmin), "/admin/users/new", _form(org, mobile="+86 138-0000-0021"))
    assert response.status_code == 200, text(response)[:500]
    assert _count(session, name="张伟", mobile="13800000021") == 1


def test_duplicate_id_number(org, login, session):
    org.clerk_b.id_number = ID_A
    session.commit()
    response = post(login(org.sysadmin), "/admin/users/new", _form(org))
    assert response.status_code == 400 and "该身份证号已被其他账号使用" in text(response)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"id_number": "110105194912310021"}, "身份证号不正确"),
        ({"id_number": "11010519491231"}, "身份证号不正确"),
        ({"mobile": "1381234567"}, "11位大陆手机号"),
        ({"mobile": "23812345678"}, "11位大陆手机号"),
        ({"mobile": ""}, "请填写手机号码"),
        ({"account": "abc"}, "4–64位"),
        ({"account": "张三三三"}, "4–64位"),
        ({"account": "a b c d"}, "4–64位"),
        ({"name": " "}, "请填写姓名"),
        ({"department_id": "abc"}, "请选择您管理范围内的在用部门"),
    ],
)
def test_bad_user_input(org, login, session, overrides, message):
    before = _count(session)
    response = post(login(org.sysadmin), "/admin/users/new", _form(org, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert _count(session) == before


def test_department_must_be_in_scope_and_active(org, login, session, make_department):
    client = login(org.sysadmin_b)
    response = post(client, "/admin/users/new", _form(org, department_id=str(org.bureau_a.id)))
    assert response.status_code == 400 and "请选择您管理范围内的在用部门" in text(response)
    closed = make_department("乙区已撤销所", org.bureau_b)
    closed.active = False
    session.commit()
    response = post(client, "/admin/users/new", _form(org, department_id=str(closed.id)))
    assert response.status_code == 400
    assert _count(session, account="zhang.wei-01") == 0


def test_only_system_admins_create(org, login):
    client = login(org.secadmin)
    assert client.get("/admin/users/new").status_code == 403
    assert post(client, "/admin/users/new", _form(org)).status_code == 403
    assert "新增用户" not in text(client.get("/admin/users"))


def test_create_needs_csrf(org, login, session):
    client = login(org.sysadmin)
    assert client.post("/admin/users/new", data=_form(org)).status_code == 400
    assert client.post("/admin/users/new", data={**_form(org), "csrf_token": "x"}).status_code == 400
    assert _count(session, account="zhang.wei-01") == 0


# ------------------------------------------------------------------ edit, status, reset, unlock


def test_edit_user(org, login, session):
    org.clerk_a.mobile, org.clerk_a.id_number = "13812345678", ID_A
    session.commit()
    client = login(org.sysadmin)
    url = f"/admin/users/{org.clerk_a.id}/edit"
    page = text(client.get(url))
    assert "138****5678" in page and "13812345678" not in page and ID_A not in page
    response = post(
        client,
        url,
        {"name": "王晓燕（调）", "department_id": str(org.section_a.id), "mobile": "", "id_number": ""},
    )
    assert response.status_code == 302
    session.refresh(org.clerk_a)
    assert org.clerk_a.name == "王晓燕（调）" and org.clerk_a.department_id == org.section_a.id
    assert org.clerk_a.mobile == "13812345678" and org.clerk_a.id_number == ID_A  # blank keeps them
    summary = audit_rows("update", "user")[-1].summary
    assert "甲区市场监督管理局 → 甲区信用监督管理科" in summary and "13812345678" not in summary
    response = post(
        client,
        url,
        {
            "name": "王晓燕",
            "department_id": str(org.section_a.id),
            "mobile": "13900001111",
            "id_number": ID_B,
        },
    )
    assert response.status_code == 302
    session.refresh(org.clerk_a)
    assert org.clerk_a.mobile == "13900001111" and org.clerk_a.id_number == ID_B


def test_edit_refuses_bad_or_duplicate_values_and_changes_nothing(org, login, session):
    org.clerk_b.id_number = ID_B
    session.commit()
    client = login(org.sysadmin)
    url = f"/admin/users/{org.clerk_a.id}/edit"
    response = post(client, url, {"name": "新名字", "department_id": str(org.bureau_a.id), "id_number": ID_B})
    assert response.status_code == 400 and "已被其他账号使用" in text(response)
    session.refresh(org.clerk_a)
    assert org.clerk_a.name == "王晓燕" and org.clerk_a.id_number is None
    response = post(
        client, url, {"name": "新名字", "department_id": str(org.bureau_a.id), "id_number": "123"}
    )
    assert response.status_code == 400 and "身份证号不正确" in text(response)


def test_disable_and_enable(org, login, session, client):
    admin = login(org.sysadmin)
    url = f"/admin/users/{org.clerk_a.id}/status"
    assert post(admin, url, {"status": "disabled"}).status_code == 302
    session.refresh(org.clerk_a)
    assert org.clerk_a.status == UserStatus.DISABLED
    response = post(admin, url, {"status": "disabled"})
    assert response.status_code == 400 and "已是“停用”状态" in text(response)
    assert post(admin, url, {"status": "bogus"}).status_code == 400
    assert post(admin, url, {"status": "active"}).status_code == 302
    session.refresh(org.clerk_a)
    assert org.clerk_a.status == UserStatus.ACTIVE
    assert ["停用" in r.summary for r in audit_rows("update", "user")[-2:]] == [True, False]


def test_disabled_users_session_ends(org, login, session, app):
    other = app.test_client()
    from tests.conftest import sign_in

    sign_in(other, org.clerk_a)
    assert other.get("/inbox").status_code == 200
    assert (
        post(login(org.sysadmin), f"/admin/users/{org.clerk_a.id}/status", {"status": "disabled"}).status_code
        == 302
    )
    assert other.get("/inbox").status_code == 302  # back to the sign-in page


def test_reset_password(org, login, session):
    response = post(login(org.sysadmin), f"/admin/users/{org.clerk_a.id}/reset-password")
    assert response.status_code == 200
    password = _issued_password(text(response))
    session.refresh(org.clerk_a)
    assert verify_password(org.clerk_a.password_hash, password)
    assert not verify_password(org.clerk_a.password_hash, PASSWORD)
    assert org.clerk_a.must_change_password
    row = audit_rows("password_reset")[-1]
    assert row.object_id == str(org.clerk_a.id) and password not in row.summary


def test_unlock(org, login, session):
    org.clerk_a.locked_until = utcnow() + timedelta(minutes=10)
    org.clerk_a.failed_logins = 3
    session.commit()
    client = login(org.sysadmin)
    assert "解除锁定" in text(client.get(f"/admin/users/{org.clerk_a.id}"))
    assert post(client, f"/admin/users/{org.clerk_a.id}/unlock").status_code == 302
    session.refresh(org.clerk_a)
    assert org.clerk_a.locked_until is None and org.clerk_a.failed_logins == 0
    assert "解除锁定" in audit_rows("update", "user")[-1].summary


@pytest.mark.parametrize("action", ["edit", "status", "reset-password", "unlock"])
def test_security_admin_cannot_maintain_accounts(org, login, action):
    client = login(org.secadmin)
    url = f"/admin/users/{org.clerk_a.id}/{action}"
    assert (
        post(client, url, {"status": "disabled", "name": "x", "department_id": org.bureau_a.id}).status_code
        == 403
    )


# ------------------------------------------------------------------ hierarchy


@pytest.mark.parametrize("target", ["secadmin_b", "auditor_b"])
@pytest.mark.parametrize("action", ["edit", "status", "reset-password", "unlock"])
def test_peer_administrators_are_off_limits(org, login, session, target, action):
    victim = getattr(org, target)
    client = login(org.sysadmin_b)
    data = {"status": "disabled", "name": "改名", "department_id": str(org.district_b.id)}
    response = post(client, f"/admin/users/{victim.id}/{action}", data)
    assert response.status_code == 403
    assert "本级管理员" in text(response)
    session.refresh(victim)
    assert victim.status == UserStatus.ACTIVE and victim.name != "改名"
    assert "只能由上级管理员管理" in text(client.get(f"/admin/users/{victim.id}"))


def test_own_account_is_off_limits(org, login):
    client = login(org.sysadmin)
    for action in ("edit", "status", "reset-password", "unlock"):
        response = post(client, f"/admin/users/{org.sysadmin.id}/{action}", {"status": "disabled"})
        assert response.status_code == 403
        assert "不能通过管理页面操作自己的账号" in text(response)
    assert client.get(f"/admin/users/{org.sysadmin.id}/edit").status_code == 403


def test_administrators_below_may_be_managed(org, login, session):
    client = login(org.sysadmin)
    response = post(client, f"/admin/users/{org.sysadmin_b.id}/reset-password")
    assert response.status_code == 200
    response = post(client, f"/admin/users/{org.secadmin_b.id}/status", {"status": "disabled"})
    assert response.status_code == 302


def test_plain_users_of_the_own_department_may_be_managed(org, login, make_user, session):
    plain = make_user(org.district_b, name="乙区办公室文员")
    response = post(login(org.sysadmin_b), f"/admin/users/{plain.id}/status", {"status": "disabled"})
    assert response.status_code == 302
    session.refresh(plain)
    assert plain.status == UserStatus.DISABLED


def test_email_for_notifications(org, login, session):
    client = login(org.sysadmin)
    url = f"/admin/users/{org.clerk_a.id}/edit"
    base = {"name": "王晓燕", "department_id": str(org.bureau_a.id)}
    response = post(client, url, {**base, "email": "不是邮箱"})
    assert response.status_code == 400 and "电子邮箱格式不正确" in text(response)
    session.refresh(org.clerk_a)
    assert org.clerk_a.email == ""
    response = post(client, url, {**base, "email": "wangxy@example.invalid"})
    assert response.status_code == 302
    session.refresh(org.clerk_a)
    assert org.clerk_a.email == "wangxy@example.invalid"
    assert 'value="wangxy@example.invalid"' in text(client.get(url))
    assert "电子邮箱" in audit_rows("update", "user")[-1].summary
