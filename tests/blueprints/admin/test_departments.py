"""部门管理: the subtree tree, creating, editing, deactivating and reactivating departments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Department
from models.org import DepartmentLevel, UserStatus
from tests.blueprints.admin.admin_helpers import audit_rows, post, text


def _new(parent, **overrides):
    data = {
        "name": "甲区市场监管局第二所",
        "level": "station",
        "kind": "supervision",
        "region_code": "510108",
        "sort_order": "3",
    }
    data.update(overrides)
    return data


def test_tree_shows_the_admins_subtree_with_labels(org, login):
    client = login(org.sysadmin)
    page = text(client.get("/admin/departments"))
    for name in ("测试市", "甲区", "甲区市场监督管理局", "甲区第一市场监管所", "乙区联席会议办公室"):
        assert name in page
    assert "市场监管所" in page and "联席会议办公室" in page and "510109" in page
    # the district administrator sees district B only
    page_b = text(login(org.sysadmin_b).get("/admin/departments"))
    assert "乙区市场监督管理局" in page_b
    assert "甲区" not in page_b and "测试市" not in page_b


@pytest.mark.parametrize("who", ["clerk_a", "secadmin", "auditor"])
def test_only_system_admins_manage_departments(org, login, who):
    client = login(getattr(org, who))
    assert client.get("/admin/departments").status_code == 403
    assert client.get(f"/admin/departments/{org.bureau_a.id}/new").status_code == 403
    assert post(client, f"/admin/departments/{org.bureau_a.id}/new", _new(org.bureau_a)).status_code == 403


def test_create_child_sets_path_and_audits(org, login, session):
    client = login(org.sysadmin)
    response = post(client, f"/admin/departments/{org.bureau_a.id}/new", _new(org.bureau_a))
    assert response.status_code == 302
    dept = session.execute(select(Department).where(Department.name == "甲区市场监管局第二所")).scalar_one()
    assert dept.parent_id == org.bureau_a.id
    assert dept.path == f"{org.bureau_a.path}{dept.id}/"
    assert dept.level == DepartmentLevel.STATION and dept.sort_order == 3 and dept.active
    row = audit_rows("create", "department")[-1]
    assert row.object_id == str(dept.id) and row.user_id == org.sysadmin.id


def test_admin_may_add_children_under_its_own_department(org, login, session):
    client = login(org.sysadmin_b)
    response = post(
        client,
        f"/admin/departments/{org.district_b.id}/new",
        _new(org.district_b, name="乙区卫生健康局", level="bureau"),
    )
    assert response.status_code == 302
    assert (
        session.execute(select(Department).where(Department.name == "乙区卫生健康局")).scalar_one().parent_id
        == org.district_b.id
    )


def test_nodes_outside_the_subtree_are_404(org, login):
    client = login(org.sysadmin_b)
    assert client.get(f"/admin/departments/{org.bureau_a.id}/new").status_code == 404
    assert post(client, f"/admin/departments/{org.bureau_a.id}/new", _new(org.bureau_a)).status_code == 404
    assert client.get(f"/admin/departments/{org.bureau_a.id}/edit").status_code == 404
    assert post(client, f"/admin/departments/{org.bureau_a.id}/status", {"active": "0"}).status_code == 404
    assert client.get("/admin/departments/999999/edit").status_code == 404


def test_duplicate_sibling_name_is_a_friendly_error(org, login):
    client = login(org.sysadmin)
    response = post(
        client, f"/admin/departments/{org.bureau_a.id}/new", _new(org.bureau_a, name="甲区第一市场监管所")
    )
    assert response.status_code == 400
    assert "已有名为“甲区第一市场监管所”的部门" in text(response)
    # the same name under another parent is fine
    response = post(
        client, f"/admin/departments/{org.bureau_b.id}/new", _new(org.bureau_b, name="甲区第一市场监管所")
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"region_code": "51010"}, "6–12位数字"),
        ({"region_code": "5101081234567"}, "6–12位数字"),
        ({"region_code": "51A108"}, "6–12位数字"),
        ({"name": "  "}, "请填写部门名称"),
        ({"level": "city"}, "请选择层级"),
        ({"sort_order": "abc"}, "请填写整数"),
    ],
)
def test_bad_department_input(org, login, session, overrides, message):
    client = login(org.sysadmin)
    before = session.execute(select(Department.id)).all()
    response = post(client, f"/admin/departments/{org.bureau_a.id}/new", _new(org.bureau_a, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert session.execute(select(Department.id)).all() == before


def test_edit_department_and_its_rules(org, login, session):
    client = login(org.sysadmin)
    url = f"/admin/departments/{org.station_a.id}/edit"
    assert "甲区第一市场监管所" in text(client.get(url))
    response = post(
        client,
        url,
        {
            "name": "甲区第一所",
            "level": "station",
            "kind": "supervision",
            "region_code": "510108001",
            "sort_order": "1",
        },
    )
    assert response.status_code == 302
    session.refresh(org.station_a)
    assert org.station_a.name == "甲区第一所" and org.station_a.region_code == "510108001"
    assert "甲区第一市场监管所 → 甲区第一所" in audit_rows("update", "department")[-1].summary
    # renaming onto a sibling's name is refused
    response = post(
        client,
        url,
        {"name": "甲区信用监督管理科", "level": "station", "kind": "supervision", "region_code": "510108"},
    )
    assert response.status_code == 400 and "已有名为" in text(response)


def test_own_department_is_managed_from_above(org, login):
    client = login(org.sysadmin_b)
    assert client.get(f"/admin/departments/{org.district_b.id}/edit").status_code == 403
    response = post(client, f"/admin/departments/{org.district_b.id}/status", {"active": "0"})
    assert response.status_code == 403
    assert "上级管理员" in text(response)
    # the city administrator may edit district B
    assert login(org.sysadmin).get(f"/admin/departments/{org.district_b.id}/edit").status_code == 200


def test_deactivation_refused_while_users_or_children_are_active(
    org, login, session, make_department, make_user
):
    client = login(org.sysadmin)
    response = post(client, f"/admin/departments/{org.station_a.id}/status", {"active": "0"})
    assert response.status_code == 400
    assert "该部门还有1名在用用户" in text(response)
    response = post(client, f"/admin/departments/{org.district_a.id}/status", {"active": "0"})
    assert response.status_code == 400
    assert "在用的下级部门" in text(response)
    session.refresh(org.station_a)
    assert org.station_a.active


def test_deactivate_and_reactivate(org, login, session, make_department, make_user):
    empty = make_department("甲区待撤并所", org.bureau_a, DepartmentLevel.STATION)
    child = make_department("甲区待撤并所一组", empty, DepartmentLevel.STATION)
    make_user(child, name="已停用的人", status=UserStatus.DISABLED)  # disabled users do not block
    client = login(org.sysadmin)
    assert post(client, f"/admin/departments/{child.id}/status", {"active": "0"}).status_code == 302
    assert post(client, f"/admin/departments/{empty.id}/status", {"active": "0"}).status_code == 302
    session.refresh(empty)
    assert not empty.active
    # a child cannot come back while its parent is deactivated
    response = post(client, f"/admin/departments/{child.id}/status", {"active": "1"})
    assert response.status_code == 400 and "请先启用上级部门" in text(response)
    # and nothing new goes under a deactivated department
    assert post(client, f"/admin/departments/{empty.id}/new", _new(empty, name="新组")).status_code == 400
    assert post(client, f"/admin/departments/{empty.id}/status", {"active": "1"}).status_code == 302
    assert post(client, f"/admin/departments/{child.id}/status", {"active": "1"}).status_code == 302
    assert [r.summary for r in audit_rows("update", "department")][-4:][0].count("停用") == 1


def test_missing_or_stale_csrf_is_400(org, login, session):
    client = login(org.sysadmin)
    url = f"/admin/departments/{org.bureau_a.id}/new"
    data = _new(org.bureau_a)
    assert client.post(url, data=data).status_code == 400
    response = client.post(url, data={**data, "csrf_token": "stale"})
    assert response.status_code == 400 and "安全令牌" in text(response)
    assert session.execute(select(Department).where(Department.name == data["name"])).first() is None
