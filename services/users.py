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

import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import contains_eager, selectinload

from models import Department, ImportBatch, ImportStatus, User, UserRole, db, utcnow
from models.org import UserStatus
from models.roles import ADMIN_ROLES, Role, grantable_roles
from services import audit
from services.auth import set_password
from services.errors import Conflict, Forbidden, Invalid
from services.excel import Column, ExcelError, annotate_errors, read_rows
from services.passwords import generate_password
from services.scope import scope_users, subtree_ids
from services.validators import (
    ACCOUNT_RULE,
    normalize_id_number,
    normalize_mobile,
    valid_account,
    valid_id_number,
    valid_mobile,
)

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
    mobile = normalize_mobile(mobile)
    if not valid_mobile(mobile):
        raise Invalid("手机号码应为11位大陆手机号", "mobile")
    return mobile


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


def create_user(
    actor: User,
    *,
    account: str,
    name: str,
    department: Department | None,
    mobile: str,
    id_number: str | None = None,
    source: str = "",
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
    user = User(account=account, name=name, department=department, mobile=mobile, id_number=id_value)
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
) -> None:
    """Change name and department; ``mobile`` and ``id_number`` change only when given (the
    edit form does not show them unmasked)."""
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
    user.name, user.department, user.mobile, user.id_number = name, department, new_mobile, new_id
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
        user.session_nonce = secrets.token_hex(16)
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
    db.session.flush()
    audit.record(
        "revoke_role",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "角色": role.label},
        user=actor,
    )


# ------------------------------------------------------------------ Excel import

IMPORT_KIND = "users"
# Each account costs one argon2 hash (~0.2 s): 100 rows keep a confirmation well inside a
# worker's request timeout.
MAX_IMPORT_ROWS = 100
# An upload holds personal data: unconfirmed ones expire, and their files are dropped.
IMPORT_RETENTION = timedelta(hours=24)
IMPORT_COLUMNS = (
    Column("账号", 18, text=True, required=True),
    Column("姓名", 12, required=True),
    Column("所属部门", 30, required=True),
    Column("手机号码", 16, text=True, required=True),
    Column("身份证号", 24, text=True),
)
IMPORT_TITLES = tuple(c.title for c in IMPORT_COLUMNS)


def import_instructions(actor: User) -> list[str]:
    """The 填写说明 sheet of the template, listing the departments the actor may use."""
    names = (
        db.session.execute(
            select(Department.name)
            .where(Department.path.startswith(actor.department.path), Department.active.is_(True))
            .order_by(Department.path)
        )
        .scalars()
        .all()
    )
    return [
        "用户批量导入填写说明",
        "1. 带 * 的列为必填项；请勿修改第一行列名，也不要增删列。",
        "2. 账号：4–64位字母、数字或 _ . -，不区分大小写，不能与已有账号重复。",
        "3. 姓名：不超过50个字。",
        "4. 所属部门：填写部门全称，须与系统中的名称完全一致，且在您的管理范围内、未停用。",
        "5. 手机号码：11位大陆手机号。",
        "6. 身份证号：可不填；填写时须为18位（末位可为X），并通过校验位校验。"
        "请保持“文本”格式，以数字格式保存的18位号码会丢失末几位。",
        f"7. 每次最多导入{MAX_IMPORT_ROWS}行。导入后系统为每个账号生成初始密码，只显示一次，首次登录须修改密码。",
        "8. 导入的账号没有角色，需由安全管理员分配角色。",
        "",
        "可填写的部门：",
        *names,
    ]


@dataclass
class ImportRow:
    number: int
    account: str
    name: str
    department_name: str
    mobile: str
    id_number: str
    department: Department | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class ImportCheck:
    rows: list[ImportRow]

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.valid]

    def error_map(self) -> dict[int, list[str]]:
        """{spreadsheet row: ["列：问题", …]} for annotate_errors."""
        return {r.number: [f"{col}：{msg}" for col, msg in r.errors] for r in self.invalid_rows}


def check_import(actor: User, data: bytes) -> ImportCheck:
    """Read and validate an uploaded user list against the rules and the database.

    Raises ExcelError when the file cannot be used at all.  Rows that share an account or an
    ID number are all marked invalid: which one is meant is for the administrator to decide.
    """
    raw = read_rows(data, IMPORT_TITLES)
    if not raw:
        raise ExcelError("文件中没有可导入的数据行")
    if len(raw) > MAX_IMPORT_ROWS:
        raise ExcelError(f"单次最多导入{MAX_IMPORT_ROWS}行，该文件有{len(raw)}行，请拆分后分批导入")
    rows = [
        ImportRow(
            number=int(r["_row"]),
            account=r["账号"].strip(),
            name=r["姓名"].strip(),
            department_name=r["所属部门"].strip(),
            mobile=normalize_mobile(r["手机号码"]),
            id_number=normalize_id_number(r["身份证号"]),
        )
        for r in raw
    ]
    departments: dict[str, list[Department]] = {}
    for d in db.session.execute(
        select(Department).where(
            Department.path.startswith(actor.department.path), Department.active.is_(True)
        )
    ).scalars():
        departments.setdefault(d.name, []).append(d)
    accounts = Counter(r.account.lower() for r in rows if r.account)
    ids = Counter(r.id_number for r in rows if r.id_number)
    lowered = [a for a in accounts if a]
    taken_accounts = (
        set(
            db.session.execute(
                select(func.lower(User.account)).where(func.lower(User.account).in_(lowered))
            ).scalars()
        )
        if lowered
        else set()
    )
    taken_ids = (
        set(db.session.execute(select(User.id_number).where(User.id_number.in_(list(ids)))).scalars())
        if ids
        else set()
    )
    lines: dict[str, list[int]] = {}
    for r in rows:
        lines.setdefault("a:" + r.account.lower(), []).append(r.number)
        if r.id_number:
            lines.setdefault("i:" + r.id_number, []).append(r.number)

    for r in rows:
        if not r.account:
            r.errors.append(("账号", "必填"))
        elif not valid_account(r.account):
            r.errors.append(("账号", ACCOUNT_RULE))
        elif accounts[r.account.lower()] > 1:
            others = "、".join(str(n) for n in lines["a:" + r.account.lower()] if n != r.number)
            r.errors.append(("账号", f"与第{others}行重复"))
        elif r.account.lower() in taken_accounts:
            r.errors.append(("账号", "系统中已有该账号"))
        if not r.name:
            r.errors.append(("姓名", "必填"))
        elif len(r.name) > 50:
            r.errors.append(("姓名", "不能超过50个字"))
        if not r.department_name:
            r.errors.append(("所属部门", "必填"))
        else:
            matches = departments.get(r.department_name, [])
            if len(matches) == 1:
                r.department = matches[0]
            elif matches:
                r.errors.append(("所属部门", "有多个同名部门，无法确定，请联系上级管理员"))
            else:
                r.errors.append(("所属部门", "部门不存在、已停用或不在您的管理范围内（名称须完全一致）"))
        if not r.mobile:
            r.errors.append(("手机号码", "必填"))
        elif not valid_mobile(r.mobile):
            r.errors.append(("手机号码", "应为11位大陆手机号"))
        if r.id_number:
            if not valid_id_number(r.id_number):
                hint = ID_NUMBER_HINT
                if r.id_number.isdigit() and len(r.id_number) == 18:
                    hint += "；如该单元格为数字格式，末几位可能已丢失，请设为文本格式后重新填写"
                r.errors.append(("身份证号", hint))
            elif ids[r.id_number] > 1:
                others = "、".join(str(n) for n in lines["i:" + r.id_number] if n != r.number)
                r.errors.append(("身份证号", f"与第{others}行重复"))
            elif r.id_number in taken_ids:
                r.errors.append(("身份证号", "已被系统中的其他账号使用"))
    return ImportCheck(rows)


def store_import(actor: User, filename: str, data: bytes) -> tuple[ImportBatch, ImportCheck]:
    """Validate an upload and keep it for the preview and the confirmation."""
    if not is_user_admin(actor):
        raise Forbidden("只有系统管理员可以导入用户")
    if not filename.lower().endswith(".xlsx"):
        raise ExcelError("只支持 .xlsx 格式的Excel文件（可下载模板填写）")
    if data and not data.startswith(b"PK"):
        raise ExcelError("无法读取该文件，请上传 .xlsx 格式的Excel文件（可下载模板填写）")
    check = check_import(actor, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "有效行": len(check.valid_rows), "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    """A batch belongs to the administrator who uploaded it."""
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and is_user_admin(actor)


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    """The upload with an error column; its download is recorded as an export."""
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已处理，原文件不再保留")  # the content was dropped
    _ensure_pending(batch)
    check = check_import(actor, batch.content)
    audit.record(
        "export",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"},
        user=actor,
    )
    return annotate_errors(batch.content, check.error_map())


def is_expired(batch: ImportBatch) -> bool:
    return batch.status == ImportStatus.PENDING.value and batch.created_at < utcnow() - IMPORT_RETENTION


def purge_stale_imports(actor: User) -> int:
    """Discard every pending upload older than IMPORT_RETENTION and drop its file."""
    stale = db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.status == ImportStatus.PENDING.value,
            ImportBatch.created_at < utcnow() - IMPORT_RETENTION,
        )
        .values(status=ImportStatus.DISCARDED.value, content=b"")
        .execution_options(synchronize_session=False)
    ).rowcount
    if stale:
        audit.record(
            "delete", object_type="import_batch", summary={"过期未确认的导入批次": stale}, user=actor
        )
    return stale


def _ensure_pending(batch: ImportBatch) -> None:
    if batch.status == ImportStatus.IMPORTED.value:
        raise Conflict("该批次已导入")
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已放弃，请重新上传")
    if is_expired(batch):
        raise Conflict("该批次上传已超过24小时未确认，已失效，请重新上传")


def _claim(batch: ImportBatch, status: ImportStatus) -> None:
    """Move a pending batch to ``status`` atomically: of two concurrent requests one wins."""
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.PENDING.value)
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    if claimed != 1:
        _ensure_pending(batch)
        raise Conflict("该批次已被处理")


def import_users(actor: User, batch: ImportBatch) -> list[IssuedPassword]:
    """仅导入有效行: create every row that is still valid, all or nothing (the caller's one
    transaction).  The original file is dropped once imported."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的系统管理员可以导入")
    _ensure_pending(batch)
    check = check_import(actor, batch.content)
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    issued = [
        create_user(
            actor,
            account=r.account,
            name=r.name,
            department=r.department,
            mobile=r.mobile,
            id_number=r.id_number or None,
            source=f"批量导入（批次{batch.id}第{r.number}行）",
        )
        for r in valid
    ]
    summary = {
        "文件": batch.filename,
        "导入": len(issued),
        "跳过问题行": len(check.invalid_rows),
        "账号": [i.account for i in issued],
    }
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return issued


def discard_import(actor: User, batch: ImportBatch) -> None:
    """放弃: drop a pending batch and its file."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的系统管理员可以放弃该批次")
    if batch.status != ImportStatus.PENDING.value:
        _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record(
        "delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor
    )


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}
