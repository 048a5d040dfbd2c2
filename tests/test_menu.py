"""The main menu per role: every entry shown opens (no 403/500), every entry hidden is
refused, and the groups each role sees."""

from __future__ import annotations

import re

import pytest

from blueprints.menu import MENU, menu_for, required_roles
from models.roles import Role

ALL_ENTRIES = [entry for group in MENU for entry in group.entries]


def _user_for(org, make_user, role: Role):
    known = {
        Role.CLERK: org.clerk_a,
        Role.DEPT_LEADER: org.leader_a,
        Role.INSPECTOR: org.inspector_a,
        Role.CONFERENCE_OFFICE: org.office_user,
        Role.SYSTEM_ADMIN: org.sysadmin,
        Role.SECURITY_ADMIN: org.secadmin,
        Role.AUDITOR: org.auditor,
    }
    return known.get(role) or make_user(org.health_a, role, name=f"{role.label}甲")


def _nav(html: str) -> str:
    match = re.search(r'<nav class="menu" aria-label="主菜单">(.*?)</nav>', html, re.S)
    assert match, "no main menu on the page"
    return match.group(1)


def _menu_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', _nav(html))


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_entries_shown_are_exactly_the_entries_permitted(app, client, org, make_user, login, role):
    user = _user_for(org, make_user, role)
    login(user)
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    shown = set(_menu_links(home.get_data(as_text=True)))
    with app.test_request_context():
        from flask import url_for

        urls = {entry.endpoint: url_for(entry.endpoint) for entry in ALL_ENTRIES}
    assert shown <= set(urls.values())
    for endpoint, url in urls.items():
        status = client.get(url).status_code
        if url in shown:
            assert status == 200, f"{role}: menu entry {url} answers {status}"
        elif required_roles(endpoint) is None:
            # a page open to every user is a business page: administrators only do not see it
            assert user.is_admin_only, f"{role}: {url} is open to all but not in the menu"
        else:
            assert status == 403, f"{role}: {url} answers {status} but is not in the menu"


EXPECTED_GROUPS = {
    Role.CLERK: ["我的待办", "业务流程", "一单两库", "双随机抽查", "信息归集", "联席会议"],
    Role.DEPT_LEADER: ["我的待办", "业务流程", "一单两库", "双随机抽查", "信息归集", "联席会议"],
    Role.INSPECTOR: ["我的待办", "业务流程", "一单两库", "双随机抽查", "信息归集", "联席会议"],
    Role.CONFERENCE_OFFICE: ["我的待办", "业务流程", "一单两库", "双随机抽查", "信息归集", "联席会议"],
    Role.SYSTEM_ADMIN: ["联席会议", "系统管理"],
    Role.SECURITY_ADMIN: ["系统管理"],
    Role.AUDITOR: ["系统管理"],
}


@pytest.mark.parametrize("role", list(EXPECTED_GROUPS), ids=str)
def test_groups_by_role(app, org, make_user, role):
    user = _user_for(org, make_user, role)
    with app.test_request_context():
        from flask_login import login_user

        login_user(user)
        groups = menu_for(user)
    assert [g.label for g in groups] == EXPECTED_GROUPS[role]
    labels = [e.label for g in groups for e in g.entries]
    assert len(labels) == len(set(labels))


def test_clerk_sees_the_six_sections_that_used_to_scroll_away(app, client, org, login):
    login(org.clerk_a)
    nav = _nav(client.get("/inbox").get_data(as_text=True))
    for label in ("抽查计划", "抽查任务", "执法检查人员名录库", "公平性监测", "线索移送", "抽查统计"):
        assert f">{label}</a>" in nav
    # grouped: the entries sit in keyboard-operable <details> dropdowns
    assert nav.count("<details") >= 3 and "<summary" in nav
    assert 'aria-current="page"' in nav  # 我的待办 is the current page


def test_inspector_menu(client, org, login):
    login(org.inspector_a)
    nav = _nav(client.get("/inbox").get_data(as_text=True))
    assert ">抽查任务</a>" in nav and ">市场主体库</a>" in nav
    for hidden in ("抽查计划", "抽查统计", "公平性监测", "监管对象库", "用户管理"):
        assert f">{hidden}</a>" not in nav


def test_no_menu_before_the_initial_password_is_changed(client, org, make_user):
    from tests.conftest import sign_in

    user = make_user(org.bureau_a, Role.CLERK, must_change=True)
    sign_in(client, user)
    with client.session_transaction() as sess:
        sess["must_change_password"] = True
    html = client.get("/password").get_data(as_text=True)
    assert _menu_links(html) == []
