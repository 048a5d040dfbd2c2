"""services/conferences: conferences, member units and liaisons; who manages and who sees."""

from __future__ import annotations

import pytest

from infrastructure.errors import Conflict, Forbidden
from models.roles import Role
from services import conferences
from tests.factories.conference import make_conference


@pytest.fixture()
def setup(org, make_user, session):
    return make_conference(org, make_user, session)


def test_members_and_liaisons(org, setup):
    conference = setup.conference
    assert [m.department_id for m in conference.active_members] == [org.health_a.id, org.safety_a.id, org.bureau_a.id]
    assert conference.member_for(org.health_a.id).liaison == setup.health_liaison
    assert conferences.liaisons_of(conference, [org.health_a.id, org.safety_a.id]) == [
        setup.health_liaison, setup.safety_liaison]


def test_who_manages_and_who_sees(org, make_user, setup):
    conference = setup.conference
    admin_a = make_user(org.district_a, Role.SYSTEM_ADMIN)
    assert conferences.can_manage(org.office_user, conference)
    assert conferences.can_manage(admin_a, conference)
    assert conferences.can_manage(org.sysadmin, conference)  # the city's administrator, above the office
    for outsider in (org.office_b_user, org.sysadmin_b, org.clerk_b, setup.health_liaison, org.clerk_a):
        assert not conferences.can_manage(outsider, conference)
    assert conferences.can_view(setup.health_liaison, conference)
    assert conferences.can_view(org.health_clerk, conference)  # a user of a member unit
    assert not conferences.can_view(org.clerk_b, conference)
    assert not conferences.can_view(org.office_b_user, conference)
    assert conference in conferences.visible(setup.health_liaison)
    assert conferences.visible(org.clerk_b) == []
    assert conferences.visible(org.office_b_user) == []


def test_create_checks_office_name_and_duplicates(org, setup, session):
    with pytest.raises(conferences.Unprocessable, match="请填写联席会议名称"):
        conferences.create_conference(org.office_user, org.office_a, {"name": " "})
    with pytest.raises(conferences.Unprocessable, match="联席会议办公室"):
        conferences.create_conference(org.office_user, org.bureau_a, {"name": "x"})
    with pytest.raises(Forbidden):
        conferences.create_conference(org.office_user, org.office_b, {"name": "乙区会议"})
    with pytest.raises(Conflict, match="已有名为"):
        conferences.create_conference(org.office_user, org.office_a, {"name": setup.conference.name})


def test_add_member_checks(org, make_user, setup, session):
    conference = setup.conference
    with pytest.raises(Conflict, match="已是该联席会议的成员单位"):
        conferences.add_member(org.office_user, conference, conference.lock_version, org.health_a.id)
    with pytest.raises(conferences.Unprocessable, match="不在本办公室所在地区"):
        conferences.add_member(org.office_user, conference, conference.lock_version, org.bureau_b.id)
    # the liaison must be a 成员单位联络员 of that unit
    with pytest.raises(conferences.Unprocessable, match="联络员须为该成员单位"):
        conferences.add_member(org.office_user, conference, conference.lock_version, org.health_a.id + 0,
                               setup.safety_liaison.id)
    with pytest.raises(Conflict, match="已被他人修改"):
        conferences.add_member(org.office_user, conference, conference.lock_version - 1, org.bureau_a.id)
    with pytest.raises(Forbidden):
        conferences.add_member(org.office_b_user, conference, conference.lock_version, org.bureau_a.id)


def test_update_and_remove_member(org, make_user, setup, session):
    conference = setup.conference
    member = conference.member_for(org.health_a.id)
    other = make_user(org.health_a, Role.MEMBER_LIAISON, name="新联络员")
    conferences.update_member(org.office_user, conference, member, conference.lock_version, other.id, "牵头卫生")
    assert member.liaison == other and member.duties == "牵头卫生"
    with pytest.raises(conferences.Unprocessable, match="联络员须为"):
        conferences.update_member(org.office_user, conference, member, conference.lock_version, org.health_clerk.id)
    conferences.remove_member(org.office_user, conference, member, conference.lock_version)
    assert conference.member_for(org.health_a.id) is None
    assert not conferences.can_view(other, conference)
    # and it can come back, the same row revived
    again = conferences.add_member(org.office_user, conference, conference.lock_version, org.health_a.id)
    assert again.id == member.id and again.active and again.liaison is None


def test_liaison_choices_are_the_units_own_liaisons(org, setup):
    assert conferences.liaison_choices(org.health_a) == [setup.health_liaison]
    assert org.station_a.id not in {d.id for d in conferences.unit_choices(setup.conference)}
    assert org.office_a.id not in {d.id for d in conferences.unit_choices(setup.conference)}
