"""Role grants (分级授权, 三员分立) by the security administrator, and the role catalogue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infrastructure.errors import Forbidden, Invalid
from models import UserRole
from models.roles import ADMIN_ROLES, BUSINESS_ROLES, Role
from services import users as user_svc
from tests.blueprints.admin.admin_helpers import audit_rows, post, text


def _roles(session, user) -> set[str]:
    session.expire_all()
    return set(session.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars())


# ------------------------------------------------------------------ service rules


def test_grantable_roles_follow_the_hierarchy(org, make_user):
    plain_b = make_user(org.district_b, name="乙区文员")
    # strictly below: business and administration roles
    assert user_svc.grantable_to(org.secadmin, org.clerk_a) == set(BUSINESS_ROLES) | set(ADMIN_ROLES)
    assert user_svc.grantable_to(org.secadmin, org.sysadmin_b) == set(BUSINESS_ROLES) | set(ADMIN_ROLES)
    # own department: business roles only, and nothing at all for a peer administrator
    assert user_svc.grantable_to(org.secadmin_b, plain_b) == set(BUSINESS_ROLES)
    assert user_svc.grantable_to(org.secadmin_b, org.sysadmin_b) == set()
    assert user_svc.grantable_to(org.secadmin_b, org.auditor_b) == set()
    # never oneself; never outside the subtree; never without the security administrator role
    assert user_svc.grantable_to(org.secadmin, org.secadmin) == set()
    assert user_svc.grantable_to(org.secadmin_b, org.clerk_a) == set()
    assert user_svc.grantable_to(org.sysadmin, org.clerk_a) == set()
    assert user_svc.grantable_to(org.clerk_a, org.leader_a) == set()


def test_grant_sets_granted_by_and_audits(org, session):
    granted = user_svc.grant_role(org.secadmin, org.clerk_a, "inspector")
    session.commit()
    assert granted.granted_by_id == org.secadmin.id
    assert _roles(session, org.clerk_a) == {"clerk", "inspector"}
    row = audit_rows("grant_role")[-1]
    assert (
        row.user_id == org.secadmin.id and row.object_id == str(org.clerk_a.id) and "执法人员" in row.summary
    )


def test_three_administrators_are_kept_apart(org, session):
    with pytest.raises(Invalid, match="三员分立"):
        user_svc.grant_role(org.secadmin, org.sysadmin_b, "auditor")
    with pytest.raises(Invalid, match="三员分立"):
        user_svc.grant_role(org.secadmin, org.auditor_b, "security_admin")
    # a business role next to an administration role is allowed (seed 004 §2.4)
    user_svc.grant_role(org.secadmin, org.sysadmin_b, "clerk")
    # after revoking, another administration role may be granted
    user_svc.revoke_role(org.secadmin, org.auditor_b, "auditor")
    user_svc.grant_role(org.secadmin, org.auditor_b, "security_admin")
    assert _roles(session, org.auditor_b) == {"security_admin"}


def test_grant_refusals(org, make_user):
    plain_b = make_user(org.district_b, name="乙区文员")
    with pytest.raises(Forbidden, match="下级部门"):
        user_svc.grant_role(org.secadmin_b, plain_b, "auditor")
    with pytest.raises(Forbidden, match="本级管理员"):
        user_svc.grant_role(org.secadmin_b, org.sysadmin_b, "clerk")
    with pytest.raises(Forbidden, match="自己的账号"):
        user_svc.grant_role(org.secadmin, org.secadmin, "clerk")
    with pytest.raises(Forbidden, match="安全管理员"):
        user_svc.grant_role(org.sysadmin, org.clerk_a, "inspector")
    with pytest.raises(Invalid, match="已拥有"):
        user_svc.grant_role(org.secadmin, org.clerk_a, "clerk")
    with pytest.raises(Invalid, match="角色不存在"):
        user_svc.grant_role(org.secadmin, org.clerk_a, "superuser")
    with pytest.raises(Invalid, match="没有"):
        user_svc.revoke_role(org.secadmin, org.clerk_a, "inspector")


# ------------------------------------------------------------------ pages


def test_security_admin_grants_and_revokes_on_the_user_page(org, login, session):
    client = login(org.secadmin)
    page = text(client.get(f"/admin/users/{org.clerk_a.id}"))
    assert "角色分配" in page and "授予" in page
    url = f"/admin/users/{org.clerk_a.id}/roles"
    assert post(client, url, {"op": "grant", "role": "dept_leader"}).status_code == 302
    assert _roles(session, org.clerk_a) == {"clerk", "dept_leader"}
    assert post(client, url, {"op": "revoke", "role": "clerk"}).status_code == 302
    assert _roles(session, org.clerk_a) == {"dept_leader"}
    assert [r.action for r in audit_rows()][-2:] == ["grant_role", "revoke_role"]


def test_three_administrators_refused_with_a_message(org, login, session):
    response = post(
        login(org.secadmin), f"/admin/users/{org.sysadmin_b.id}/roles", {"op": "grant", "role": "auditor"}
    )
    assert response.status_code == 400
    assert "三员分立" in text(response)
    assert _roles(session, org.sysadmin_b) == {"system_admin"}


@pytest.mark.parametrize(
    "actor,target,role",
    [
        ("secadmin_b", "sysadmin_b", "clerk"),  # a peer administrator
        ("secadmin_b", "auditor_b", "auditor"),
        ("secadmin", "secadmin", "clerk"),  # oneself
    ],
)
def test_hierarchy_violations_are_403(org, login, session, actor, target, role):
    victim = getattr(org, target)
    before = _roles(session, victim)
    for op in ("grant", "revoke"):
        response = post(
            login(getattr(org, actor)), f"/admin/users/{victim.id}/roles", {"op": op, "role": role}
        )
        assert response.status_code == 403
    assert _roles(session, victim) == before
    assert not audit_rows("grant_role") and not audit_rows("revoke_role")


def test_admin_roles_only_below(org, login, make_user, session):
    plain_b = make_user(org.district_b, name="乙区文员")
    client = login(org.secadmin_b)
    response = post(client, f"/admin/users/{plain_b.id}/roles", {"op": "grant", "role": "system_admin"})
    assert response.status_code == 403
    assert (
        post(client, f"/admin/users/{plain_b.id}/roles", {"op": "grant", "role": "clerk"}).status_code == 302
    )
    # the city security administrator may make the same user a system administrator
    response = post(
        login(org.secadmin), f"/admin/users/{plain_b.id}/roles", {"op": "grant", "role": "system_admin"}
    )
    assert response.status_code == 302
    assert _roles(session, plain_b) == {"clerk", "system_admin"}


@pytest.mark.parametrize("who", ["sysadmin", "clerk_a", "auditor"])
def test_only_security_admins_grant(org, login, session, who):
    response = post(
        login(getattr(org, who)),
        f"/admin/users/{org.leader_a.id}/roles",
        {"op": "grant", "role": "inspector"},
    )
    assert response.status_code == 403
    assert _roles(session, org.leader_a) == {"dept_leader"}


def test_roles_other_district_and_bad_requests(org, login):
    client = login(org.secadmin_b)
    assert (
        post(client, f"/admin/users/{org.clerk_a.id}/roles", {"op": "grant", "role": "inspector"}).status_code
        == 404
    )
    client = login(org.secadmin)
    assert (
        post(client, f"/admin/users/{org.clerk_a.id}/roles", {"op": "steal", "role": "inspector"}).status_code
        == 400
    )
    assert (
        post(client, f"/admin/users/{org.clerk_a.id}/roles", {"op": "grant", "role": "root"}).status_code
        == 400
    )
    no_csrf = client.post(f"/admin/users/{org.clerk_a.id}/roles", data={"op": "grant", "role": "inspector"})
    assert no_csrf.status_code == 400


def test_catalogue_counts_holders_in_the_viewers_subtree(org, login):
    page = text(login(org.secadmin).get("/admin/roles"))
    for role in Role:
        assert role.label in page and role.description in page
    assert "管理角色" in page and "业务角色" in page
    assert 'href="/admin/users?role=clerk">5<' in page  # 甲区 4 + 乙区 1
    assert 'href="/admin/users?role=system_admin">2<' in page
    page_b = text(login(org.sysadmin_b).get("/admin/roles"))
    assert 'href="/admin/users?role=clerk">1<' in page_b
    assert 'href="/admin/users?role=system_admin">1<' in page_b
    assert login(org.clerk_a).get("/admin/roles").status_code == 403
