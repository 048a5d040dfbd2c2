"""Joint conferences and their member units (联席会议, 成员单位, 联络员).

Who manages a conference: the conference office's staff (role 联席会议办公室 in the office
department) and the 系统管理员 whose subtree holds the office.  Who sees it: those, and the
users of its member units (a member unit sees the conference it belongs to, its documents and
meetings).  A member unit is a department of the office's area (the 区 or 市 above the
office); its liaison is a user of that unit (or below it) holding the role 成员单位联络员,
granted by the 安全管理员 (三员分立: the office does not grant roles).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import selectinload

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import Department, User, db
from models.conference import Conference, ConferenceMember
from models.org import DepartmentKind, UserStatus
from models.roles import Role
from persistence import audit
from persistence.org import partner_departments
from persistence.scope import subtree_ids

STALE = "该联席会议已被他人修改，请刷新页面后重试"


class Unprocessable(ServiceError):
    """Input that cannot be accepted as it is (422); documents and meetings raise it too."""

    status = 422


# ------------------------------------------------------------------ who


def is_office_staff(user: User, conference: Conference) -> bool:
    return user.has_role(Role.CONFERENCE_OFFICE) and user.department.is_within(conference.office)


def can_manage(user: User, conference: Conference) -> bool:
    """Conference office staff, or a 系统管理员 above the office."""
    if is_office_staff(user, conference):
        return True
    return user.has_role(Role.SYSTEM_ADMIN) and conference.office.is_within(user.department)


def member_unit_of(user: User, conference: Conference) -> ConferenceMember | None:
    """The member entry whose unit the user belongs to (the nearest one), if any."""
    found = [m for m in conference.active_members if user.department.is_within(m.department)]
    return max(found, key=lambda m: len(m.department.path)) if found else None


def can_view(user: User, conference: Conference) -> bool:
    return can_manage(user, conference) or member_unit_of(user, conference) is not None


def offices_for(user: User) -> list[Department]:
    """Conference-office departments where the user may create a conference."""
    query = select(Department).where(
        Department.kind == DepartmentKind.CONFERENCE_OFFICE, Department.active.is_(True)
    )
    if user.has_role(Role.SYSTEM_ADMIN) or user.has_role(Role.CONFERENCE_OFFICE):
        query = query.where(Department.path.startswith(user.department.path))
    else:
        return []
    return list(db.session.execute(query.order_by(Department.path)).scalars())


def visible_query(user: User) -> Select[tuple[Conference]]:
    """Conferences the user manages or whose member unit the user belongs to."""
    mine = subtree_ids(user.department)
    ancestors = user.department.ancestors()
    clauses = []
    if user.has_role(Role.SYSTEM_ADMIN, Role.CONFERENCE_OFFICE):
        clauses.append(Conference.office_id.in_(mine))
    clauses.append(
        exists().where(
            ConferenceMember.conference_id == Conference.id,
            ConferenceMember.active.is_(True),
            ConferenceMember.department_id.in_(ancestors),
        )
    )
    return select(Conference).where(or_(*clauses)).order_by(Conference.id)


def visible(user: User) -> list[Conference]:
    return list(db.session.execute(visible_query(user).options(selectinload(Conference.members))).scalars())


# ------------------------------------------------------------------ choices


def unit_choices(conference: Conference) -> list[Department]:
    """Bureau-level supervision departments of the office's area (persistence.org)."""
    return partner_departments(conference.office)


def liaison_choices(department: Department) -> list[User]:
    """Active users of the unit itself holding 成员单位联络员 (the engine's 成员单位 lane acts
    in the member department)."""
    from models import UserRole

    return list(
        db.session.execute(
            select(User)
            .where(
                User.department_id == department.id,
                User.status == UserStatus.ACTIVE,
                exists().where(UserRole.user_id == User.id, UserRole.role == str(Role.MEMBER_LIAISON)),
            )
            .order_by(User.name)
        ).scalars()
    )


# ------------------------------------------------------------------ verbs


def clean_text(data: Mapping[str, Any], key: str, title: str, limit: int, *, required: bool = False) -> str:
    """The stripped text of ``data[key]``; 422 when required and empty or longer than ``limit``."""
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise Unprocessable(f"请填写{title}", field=key)
    if len(value) > limit:
        raise Unprocessable(f"{title}不能超过{limit}个字符", field=key)
    return value


def _check_lock(conference: Conference, lock_version: int | None) -> None:
    db.session.execute(
        select(Conference).where(Conference.id == conference.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if lock_version is None or conference.lock_version != lock_version:
        raise Conflict(STALE)
    conference.lock_version += 1


def create_conference(user: User, office: Department, data: Mapping[str, Any]) -> Conference:
    if office.kind != DepartmentKind.CONFERENCE_OFFICE or not office.active:
        raise Unprocessable("办公室须为启用的联席会议办公室部门", field="office_id")
    if office.id not in {d.id for d in offices_for(user)}:
        raise Forbidden("您无权在该办公室下设立联席会议")
    name = clean_text(data, "name", "联席会议名称", 200, required=True)
    duties = clean_text(data, "duties", "工作职责", 4000)
    if db.session.execute(
        select(Conference.id).where(Conference.office_id == office.id, Conference.name == name)
    ).first():
        raise Conflict(f"该办公室已有名为“{name}”的联席会议", field="name")
    conference = Conference(name=name, office=office, duties=duties, created_by=user)
    db.session.add(conference)
    db.session.flush()
    audit.record("create", object_type="conference", object_id=conference.id,
                 summary={"联席会议": name, "办公室": office.name}, user=user)
    return conference


def update_conference(user: User, conference: Conference, lock_version: int | None, data: Mapping[str, Any]) -> None:
    if not can_manage(user, conference):
        raise Forbidden("您无权管理该联席会议")
    name = clean_text(data, "name", "联席会议名称", 200, required=True)
    duties = clean_text(data, "duties", "工作职责", 4000)
    _check_lock(conference, lock_version)
    if name != conference.name and db.session.execute(
        select(Conference.id).where(Conference.office_id == conference.office_id, Conference.name == name)
    ).first():
        raise Conflict(f"该办公室已有名为“{name}”的联席会议", field="name")
    changes = {k: v for k, v in (("名称", name), ("工作职责", duties)) if v != getattr(
        conference, {"名称": "name", "工作职责": "duties"}[k])}
    conference.name, conference.duties = name, duties
    audit.record("update", object_type="conference", object_id=conference.id, summary=changes or "未改变", user=user)


def _liaison(unit: Department, raw: Any) -> User | None:
    if raw in (None, "", "0"):
        return None
    try:
        user_id = int(raw)
    except (TypeError, ValueError):
        raise Unprocessable("联络员选择无效", field="liaison_id") from None
    if user_id not in {u.id for u in liaison_choices(unit)}:
        raise Unprocessable("联络员须为该成员单位持有“成员单位联络员”角色的在用账号", field="liaison_id")
    return db.session.get(User, user_id)


def add_member(
    user: User, conference: Conference, lock_version: int | None, department_id: Any, liaison_id: Any = None,
    duties: str = "",
) -> ConferenceMember:
    if not can_manage(user, conference):
        raise Forbidden("您无权管理该联席会议")
    try:
        dept_id = int(department_id)
    except (TypeError, ValueError):
        raise Unprocessable("请选择成员单位", field="department_id") from None
    unit = next((d for d in unit_choices(conference) if d.id == dept_id), None)
    if unit is None:
        raise Unprocessable("所选成员单位不在本办公室所在地区或已停用", field="department_id")
    liaison = _liaison(unit, liaison_id)
    duties = (duties or "").strip()
    if len(duties) > 2000:
        raise Unprocessable("成员单位职责不能超过2000个字符", field="duties")
    _check_lock(conference, lock_version)
    existing = next((m for m in conference.members if m.department_id == unit.id), None)
    if existing is not None and existing.active:
        raise Conflict(f"{unit.name}已是该联席会议的成员单位", field="department_id")
    if existing is not None:
        existing.active, existing.liaison, existing.duties = True, liaison, duties
        member = existing
    else:
        member = ConferenceMember(department=unit, liaison=liaison, duties=duties, sort_order=len(conference.members))
        conference.members.append(member)
    db.session.flush()
    audit.record("create", object_type="conference_member", object_id=member.id,
                 summary={"联席会议": conference.name, "成员单位": unit.name,
                          "联络员": liaison.name if liaison else ""}, user=user)
    return member


def update_member(
    user: User, conference: Conference, member: ConferenceMember, lock_version: int | None, liaison_id: Any,
    duties: str = "",
) -> None:
    if not can_manage(user, conference):
        raise Forbidden("您无权管理该联席会议")
    if member.conference_id != conference.id or not member.active:
        raise Conflict("该成员单位已不在联席会议中")
    liaison = _liaison(member.department, liaison_id)
    duties = (duties or "").strip()
    if len(duties) > 2000:
        raise Unprocessable("成员单位职责不能超过2000个字符", field="duties")
    _check_lock(conference, lock_version)
    member.liaison, member.duties = liaison, duties
    audit.record("update", object_type="conference_member", object_id=member.id,
                 summary={"成员单位": member.department.name, "联络员": liaison.name if liaison else ""}, user=user)


def remove_member(user: User, conference: Conference, member: ConferenceMember, lock_version: int | None) -> None:
    """A unit leaves the conference (kept inactive: receipts and documents still name it)."""
    if not can_manage(user, conference):
        raise Forbidden("您无权管理该联席会议")
    if member.conference_id != conference.id or not member.active:
        raise Conflict("该成员单位已不在联席会议中")
    _check_lock(conference, lock_version)
    member.active = False
    audit.record("delete", object_type="conference_member", object_id=member.id,
                 summary={"联席会议": conference.name, "成员单位": member.department.name}, user=user)


def liaisons_of(conference: Conference, department_ids: Iterable[int]) -> list[User]:
    """The liaisons of the given member units (those that have one)."""
    wanted = set(department_ids)
    return [m.liaison for m in conference.active_members if m.department_id in wanted and m.liaison is not None]
