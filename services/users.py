"""User administration (用户管理) and role grants (授权管理).

Who may do what:

* system administrators (系统管理员) create, edit, disable/enable users, reset passwords,
  unlock accounts and import users from Excel; security administrators (安全管理员) grant and
  revoke roles; both see the users of their own subtree and may reveal personal data (audited).
* 分级授权 (seed 004 §2.4): an administrator never acts on a user who holds an administration
  role in its own department (or above, which is outside its scope anyway), nor on its own
  account; administration roles are granted only to users of strictly lower departments.
* 三员分立: one user holds at most one of the three administration roles.

Every change writes an audit row; nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from infrastructure.errors import Forbidden, Invalid
from infrastructure.passwords import generate_password
from infrastructure.validators import (
    ACCOUNT_RULE,
    normalize_id_number,
    normalize_mobile,
    parse_mobile,
    valid_account,
    valid_id_number,
)
from models import Department, User, UserRole, db
from models.org import UserStatus
from models.roles import ADMIN_ROLES, Role, grantable_roles
from persistence import audit, sessions
from persistence.scope import scope_users, subtree_ids
from services.auth import set_password

OWN_ACCOUNT = "不能通过管理页面操作自己的账号（修改密码请使用页面右上角的“修改密码”）"
PEER_ADMIN = "该用户是本级管理员（系统管理员、安全管理员或审计员），只能由上级管理员管理"
ID_NUMBER_HINT = "身份证号不正确（18位，末位为数字或X，须通过校验位校验）"


# ------------------------------------------------------------------ permissions


def is_user_admin(actor: User) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN)


def is_role_admin(actor: User) -> bool:
    return actor.has_role(Role.SECURITY_ADMIN)


def can_view(actor: User, target: User) -> bool:
    """Administrators see the users of their subtree."""
    return actor.has_role(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN) and target.department.is_within(
        actor.department
    )


def manage_refusal(actor: User, target: User) -> str | None:
    """Why ``actor`` may not act on ``target`` under the hierarchy rule; None when it may."""
    if target.id == actor.id:
        return OWN_ACCOUNT
    if not target.department.is_within(actor.department):
        return "该用户不在您的管理范围内"
    if target.department_id == actor.department_id and target.role_codes & {str(r) for r in ADMIN_ROLES}:
        return PEER_ADMIN
    return None


def can_manage(actor: User, target: User) -> bool:
    """Whether a system administrator may edit, disable, reset or unlock ``target``."""
    return is_user_admin(actor) and manage_refusal(actor, target) is None


def _ensure_manage(actor: User, target: User) -> None:
    if not is_user_admin(actor):
        raise Forbidden("只有系统管理员可以维护用户账号")
    reason = manage_refusal(actor, target)
    if reason:
        raise Forbidden(reason)


def grantable_to(actor: User, target: User) -> set[Role]:
    """Roles ``actor`` may grant to or revoke from ``target`` (empty when it may not act on it)."""
    if not is_role_admin(actor) or manage_refusal(actor, target):
        return set()
    return grantable_roles(actor.role_codes, target.department_id == actor.department_id)


def can_grant(actor: User, target: User) -> bool:
    return bool(grantable_to(actor, target))


# ------------------------------------------------------------------ queries


@dataclass
class UserFilters:
    keyword: str = ""
    department: Department | None = None
    status: UserStatus | None = None
    role: Role | None = None

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for pager links)."""
        return {
            "q": self.keyword,
            "department": self.department.id if self.department else "",
            "status": self.status.value if self.status else "",
            "role": self.role.value if self.role else "",
        }


def parse_filters(actor: User, args: Any) -> UserFilters:
    """Read list filters from request arguments; values out of range or scope are ignored."""
    filters = UserFilters(keyword=(args.get("q") or "").strip()[:64])
    dept_id = args.get("department", "")
    if str(dept_id).isdigit():
        dept = db.session.get(Department, int(dept_id))
        if dept is not None and dept.is_within(actor.department):
            filters.department = dept
    status = args.get("status", "")
    if status in {s.value for s in UserStatus}:
        filters.status = UserStatus(status)
    role = args.get("role", "")
    if role in {r.value for r in Role}:
        filters.role = Role(role)
    return filters


def search_users(actor: User, filters: UserFilters) -> Select[Any]:
    """Users of the actor's subtree matching ``filters``, by department then account."""
    query = scope_users(
        select(User).join(User.department).options(contains_eager(User.department), selectinload(User.roles)),
        actor,
    )
    if filters.keyword:
        pattern = (
            "%" + filters.keyword.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            or_(
                func.lower(User.account).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if filters.department is not None:
        query = query.where(User.department_id.in_(subtree_ids(filters.department)))
    if filters.status is not None:
        query = query.where(User.status == filters.status)
    if filters.role is not None:
        query = query.where(User.roles.any(UserRole.role == filters.role.value))
    return query.order_by(Department.path, User.account)


def role_holder_counts(actor: User) -> dict[str, int]:
    """How many users of the actor's subtree hold each role."""
    rows = db.session.execute(
        select(UserRole.role, func.count(UserRole.id))
        .join(User, UserRole.user_id == User.id)
        .where(User.department_id.in_(subtree_ids(actor.department)))
        .group_by(UserRole.role)
    ).all()
    return {role: count for role, count in rows}


# ------------------------------------------------------------------ checks shared by forms and import


def account_taken(account: str, exclude_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.account) == account.lower())
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return db.session.execute(query).first() is not None


def id_number_taken(id_number: str, exclude_id: int | None = None) -> bool:
    query = select(User.id).where(User.id_number == id_number)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return db.session.execute(query).first() is not None


def _check_department(actor: User, department: Department | None) -> Department:
    if department is None or not department.is_within(actor.department):
        raise Invalid("请选择您管理范围内的部门", "department_id")
    if not department.active:
        raise Invalid("该部门已停用，请选择其他部门", "department_id")
    return department


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("请填写姓名", "name")
    if len(name) > 50:
        raise Invalid("姓名不能超过50个字", "name")
    return name


def _check_mobile(mobile: str) -> str:
    try:
        value = parse_mobile(mobile)
    except ValueError as exc:
        raise Invalid(f"手机号码{exc}", "mobile") from None
    if not value:
        raise Invalid("请填写手机号码", "mobile")
    return value


def _check_id_number(id_number: str | None, exclude_id: int | None) -> str | None:
    value = normalize_id_number(id_number)
    if not value:
        return None
    if not valid_id_number(value):
        raise Invalid(ID_NUMBER_HINT, "id_number")
    if id_number_taken(value, exclude_id):
        raise Invalid("该身份证号已被其他账号使用", "id_number")
    return value


# ------------------------------------------------------------------ account maintenance


@dataclass(frozen=True)
class IssuedPassword:
    """An initial or reset password, to be shown once and never stored in clear."""

    user_id: int
    account: str
    name: str
    department: str
    password: str


def _issue(user: User, temporary_password: str) -> IssuedPassword:
    return IssuedPassword(user.id, user.account, user.name, user.department.name, temporary_password)


def _check_email(email: str | None) -> str:
    """An e-mail address for notifications (persistence/notifications), or "" for none."""
    email = (email or "").strip()
    if email and (len(email) > 120 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        raise Invalid("电子邮箱格式不正确", "email")
    return email


def create_user(
    actor: User,
    *,
    account: str,
    name: str,
    department: Department | None,
    mobile: str,
    id_number: str | None = None,
    source: str = "",
    email: str | None = None,
) -> IssuedPassword:
    """Open an account in the actor's subtree with a generated temporary password."""
    if not is_user_admin(actor):
        raise Forbidden("只有系统管理员可以新增用户")
    account = (account or "").strip()
    if not valid_account(account):
        raise Invalid(ACCOUNT_RULE, "account")
    if account_taken(account):
        raise Invalid(f"账号“{account}”已存在（账号不区分大小写）", "account")
    name = _check_name(name)
    department = _check_department(actor, department)
    mobile = _check_mobile(mobile)
    id_value = _check_id_number(id_number, None)
    email = _check_email(email)
    user = User(account=account, name=name, department=department, mobile=mobile, id_number=id_value, email=email)
    password = generate_password()
    set_password(user, password, temporary=True)
    db.session.add(user)
    db.session.flush()
    summary = {"账号": account, "姓名": name, "部门": department.name}
    if source:
        summary["来源"] = source
    audit.record("create", object_type="user", object_id=user.id, summary=summary, user=actor)
    return _issue(user, password)


def update_user(
    actor: User,
    user: User,
    *,
    name: str,
    department: Department | None,
    mobile: str | None = None,
    id_number: str | None = None,
    email: str | None = None,
) -> None:
    """Change name and department; ``mobile`` and ``id_number`` change only when given (the
    edit form does not show them unmasked); ``email`` (None: unchanged, "": none) too."""
    _ensure_manage(actor, user)
    # Check everything before changing anything.
    name = _check_name(name)
    department = department if department is user.department else _check_department(actor, department)
    new_mobile = _check_mobile(mobile) if mobile and normalize_mobile(mobile) else user.mobile
    new_id = (
        _check_id_number(id_number, user.id)
        if id_number and normalize_id_number(id_number)
        else user.id_number
    )
    new_email = user.email if email is None else _check_email(email)
    assert department is not None
    changes: dict[str, str] = {}
    if name != user.name:
        changes["姓名"] = f"{user.name} → {name}"
    if department.id != user.department_id:
        changes["部门"] = f"{user.department.name} → {department.name}"
    if new_mobile != user.mobile:
        changes["手机号码"] = "已修改"  # personal data stays out of the audit trail
    if new_id != user.id_number:
        changes["身份证号"] = "已修改"
    if new_email != user.email:
        changes["电子邮箱"] = "已修改"
    user.name, user.department, user.mobile, user.id_number = name, department, new_mobile, new_id
    user.email = new_email
    db.session.flush()
    summary: dict[str, str] = (
        {"账号": user.account, **changes} if changes else {"账号": user.account, "结果": "未修改"}
    )
    audit.record("update", object_type="user", object_id=user.id, summary=summary, user=actor)


def set_status(actor: User, user: User, status: UserStatus) -> None:
    """停用 or 启用 an account.  Disabling also ends its sessions."""
    _ensure_manage(actor, user)
    if user.status == status:
        raise Invalid(f"该账号已是“{status.label}”状态")
    if status == UserStatus.ACTIVE and not user.department.active:
        raise Invalid("该用户所在部门已停用，请先调整其部门")
    user.status = status
    if status == UserStatus.DISABLED:
        sessions.end_all(user, "disabled")
    db.session.flush()
    audit.record(
        "update",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "操作": "启用" if status == UserStatus.ACTIVE else "停用"},
        user=actor,
    )


def reset_password(actor: User, user: User) -> IssuedPassword:
    """Replace the password with a generated temporary one (also clears a lockout)."""
    _ensure_manage(actor, user)
    password = generate_password()
    set_password(user, password, temporary=True)
    db.session.flush()
    audit.record(
        "password_reset", object_type="user", object_id=user.id, summary={"账号": user.account}, user=actor
    )
    return _issue(user, password)


def unlock(actor: User, user: User) -> None:
    """解除锁定: clear the lockout and the failure count."""
    _ensure_manage(actor, user)
    user.locked_until = None
    user.failed_logins = 0
    db.session.flush()
    audit.record(
        "update",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "操作": "解除锁定"},
        user=actor,
    )


def reveal_personal_data(actor: User, user: User) -> None:
    """Record that ``actor`` viewed ``user``'s full mobile and ID number."""
    if not can_view(actor, user):
        raise Forbidden("您无权查看该用户的个人信息")
    audit.record(
        "view_personal_data",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "字段": ["手机号码", "身份证号"]},
        user=actor,
    )


# ------------------------------------------------------------------ roles


def _role(code: str) -> Role:
    try:
        return Role(code)
    except ValueError:
        raise Invalid("角色不存在") from None


def grant_role(actor: User, user: User, code: str) -> UserRole:
    """Grant one role, within the actor's grantable roles and 三员分立."""
    role = _role(code)
    if not is_role_admin(actor):
        raise Forbidden("只有安全管理员可以分配角色")
    reason = manage_refusal(actor, user)
    if reason:
        raise Forbidden(reason)
    if role not in grantable_to(actor, user):
        raise Forbidden(f"您无权为该用户授予“{role.label}”角色（管理员角色只能授予下级部门的用户）")
    if user.has_role(role):
        raise Invalid(f"该用户已拥有“{role.label}”角色")
    if role in ADMIN_ROLES:
        held = [Role(c) for c in user.role_codes if c in {str(r) for r in ADMIN_ROLES}]
        if held:
            raise Invalid(f"三员分立：该用户已是“{held[0].label}”，不能同时担任“{role.label}”")
    granted = UserRole(role=role.value, granted_by_id=actor.id)
    user.roles.append(granted)
    db.session.flush()
    audit.record(
        "grant_role",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "角色": role.label},
        user=actor,
    )
    return granted


def revoke_role(actor: User, user: User, code: str) -> None:
    """Take back one role the actor could also grant."""
    role = _role(code)
    if not is_role_admin(actor):
        raise Forbidden("只有安全管理员可以收回角色")
    reason = manage_refusal(actor, user)
    if reason:
        raise Forbidden(reason)
    if role not in grantable_to(actor, user):
        raise Forbidden(f"您无权收回该用户的“{role.label}”角色")
    held = next((r for r in user.roles if r.role == role.value), None)
    if held is None:
        raise Invalid(f"该用户没有“{role.label}”角色")
    user.roles.remove(held)
    sessions.end_all(user, "role_removed")  # the user signs in again under the new roles
    db.session.flush()
    audit.record(
        "revoke_role",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "角色": role.label},
        user=actor,
    )
