"""表 adding an inspector (新增执法人员): the entry, its process instance, the account steps (an existing
account is matched, or one is created with its initial password) and the role decision."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Invalid
from infrastructure.passwords import generate_password
from infrastructure.validators import (
    valid_account,
)
from models import Inspector, ProcessInstance, User, UserRole, db, utcnow
from models.org import UserStatus
from models.roles import Role
from models.workflow import InstanceStatus
from persistence import audit
from persistence.org import region_root
from persistence.scope import scope_instances, subtree_ids
from services.auth import set_password
from services.inspectors import (
    ADD_TABLE,
    ASSIGNABLE_ROLES,
    SUBJECT_TYPE,
    InspectorValues,
    apply_values,
    check_mobile_free,
    check_values,
    duplicate_refusal,
    find_by_id_number,
    first_error,
    pick_department,
    require_edit,
)
from services.users import IssuedPassword
from workflows import engine


def match_account(inspector: Inspector) -> User | None:
    """The user account of this person in the entry's area (its 区 or 市): the one with the
    same ID number, else the only active account with the same mobile number (and, among
    several, the same name) that no other entry claims.  Accounts of another district are
    never linked: their roles are that district's to grant."""
    if inspector.user_id is not None and inspector.user is not None:
        return inspector.user
    area = subtree_ids(region_root(inspector.department))
    if inspector.id_number:
        by_id = db.session.execute(
            select(User).where(User.id_number == inspector.id_number, User.department_id.in_(area))
        ).scalar_one_or_none()
        if by_id is not None:
            return by_id
    claimed = select(Inspector.user_id).where(Inspector.user_id.is_not(None), Inspector.id != inspector.id)
    candidates = list(
        db.session.execute(
            select(User).where(
                User.mobile == inspector.mobile,
                User.status == UserStatus.ACTIVE,
                User.department_id.in_(area),
                User.id.not_in(claimed),
            )
        ).scalars()
    )
    if len(candidates) > 1:
        candidates = [u for u in candidates if u.name == inspector.name]
    return candidates[0] if len(candidates) == 1 else None


# While add_inspector runs, the account found for each entry (the guards, the platform steps
# and the import ask several times within one request).
_matches: ContextVar[dict[int, User | None] | None] = ContextVar("inspector_account_matches", default=None)


def _matched_account(inspector: Inspector) -> User | None:
    cache = _matches.get()
    if cache is None:
        return match_account(inspector)
    if inspector.id not in cache:
        cache[inspector.id] = match_account(inspector)
    return cache[inspector.id]


def _subject(instance: ProcessInstance) -> Inspector | None:
    if instance.subject_type != SUBJECT_TYPE or instance.subject_id is None:
        return None
    return db.session.get(Inspector, instance.subject_id)


def has_account(instance: ProcessInstance) -> bool:
    inspector = _subject(instance)
    return inspector is not None and _matched_account(inspector) is not None


def no_account(instance: ProcessInstance) -> bool:
    """Also true for an instance without an entry (started outside the directory's pages)."""
    inspector = _subject(instance)
    return inspector is None or _matched_account(inspector) is None


_issued: ContextVar[list[IssuedPassword] | None] = ContextVar("inspector_issued_passwords", default=None)


@contextmanager
def collecting_passwords() -> Iterator[list[IssuedPassword]]:
    """Collect the initial passwords 新增系统操作账号 issues while the block runs."""
    bucket: list[IssuedPassword] = []
    token = _issued.set(bucket)
    try:
        yield bucket
    finally:
        _issued.reset(token)


def _give_role(user: User, role: Role, actor: User | None, source: str) -> bool:
    if user.has_role(role):
        return False
    user.roles.append(UserRole(role=role.value, granted_by_id=actor.id if actor else None))
    db.session.flush()
    audit.record(
        "grant_role",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "角色": role.label, "来源": source},
        user=actor,
    )
    return True


def _grant_permission(inspector: Inspector, user: User) -> None:
    inspector.user = user
    inspector.random_permission = True
    inspector.permission_granted_at = utcnow()
    inspector.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "update",
        object_type=SUBJECT_TYPE,
        object_id=inspector.id,
        summary={"姓名": inspector.name, "操作": "开通双随机检查权限", "账号": user.account},
    )


def check_account_step(instance: ProcessInstance) -> str:
    inspector = _subject(instance)
    if inspector is None:
        return "未关联执法检查人员"
    user = _matched_account(inspector)
    if user is None:
        return "未找到系统操作账号（按身份证号、手机号码匹配）"
    how = "身份证号" if inspector.id_number and user.id_number == inspector.id_number else "手机号码"
    return f"按{how}匹配到账号 {user.account}"


def grant_step(instance: ProcessInstance) -> str:
    inspector = _subject(instance)
    user = _matched_account(inspector) if inspector is not None else None
    if inspector is None or user is None:
        return ""
    _grant_permission(inspector, user)
    added = _give_role(user, Role.INSPECTOR, None, "表17 开通双随机检查权限")
    return f"已为账号 {user.account} 开通双随机检查权限" + ("并授予执法人员角色" if added else "")


def _new_account_name(inspector: Inspector) -> str:
    from services.users import account_taken

    tail = (inspector.id_number or "")[-6:]
    for candidate in (inspector.mobile, f"zf{inspector.mobile}", f"zf{tail}{inspector.mobile[-4:]}"):
        if valid_account(candidate) and not account_taken(candidate):
            return candidate
    while True:
        candidate = f"zf{secrets.token_hex(4)}"
        if not account_taken(candidate):
            return candidate


def create_account_step(instance: ProcessInstance) -> str:
    inspector = _subject(instance)
    if inspector is None:
        return "未关联执法检查人员，未新增账号"
    from services.users import id_number_taken

    user = User(
        account=_new_account_name(inspector),
        name=inspector.name,
        department=inspector.department,
        mobile=inspector.mobile,
        id_number=None if not inspector.id_number or id_number_taken(inspector.id_number) else inspector.id_number,
    )
    password = generate_password()
    set_password(user, password, temporary=True)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create",
        object_type="user",
        object_id=user.id,
        summary={"账号": user.account, "姓名": user.name, "部门": user.department.name, "来源": "表17 新增系统操作账号"},
    )
    _grant_permission(inspector, user)
    bucket = _issued.get()
    if bucket is not None:
        bucket.append(IssuedPassword(user.id, user.account, user.name, user.department.name, password))
    return f"已新增账号 {user.account}（初始密码仅显示一次，首次登录须修改）"


@dataclass
class AddResult:
    inspector: Inspector
    instance: ProcessInstance
    issued: list[IssuedPassword]
    revived: bool = False

    @property
    def waiting_for_role(self) -> bool:
        return self.instance.status == InstanceStatus.ACTIVE and self.instance.current_step == "decide_role"


def _entry_for(actor: User, values: InspectorValues) -> tuple[Inspector, bool, dict[str, list[str]]]:
    existing = find_by_id_number(values.id_number)
    refusal = duplicate_refusal(existing)
    if refusal:
        raise Invalid(refusal, "id_number")
    check_mobile_free(values, existing.id if existing is not None else None)
    revived = existing is not None
    if existing is None:
        inspector = Inspector(created_by_id=actor.id, id_number=values.id_number)
        db.session.add(inspector)
    else:  # a deleted entry comes back with the new data
        inspector = existing
        inspector.active = True
        inspector.random_permission = False
        inspector.permission_granted_at = None
        inspector.user_id = None
    changes = apply_values(inspector, values)
    inspector.updated_at = utcnow()
    db.session.flush()
    return inspector, revived, changes


def add_inspector(actor: User, values: InspectorValues, *, template: str = "") -> AddResult:
    """表17 for one person: the entry, then the standard's steps.  ``template`` names the
    batch row for an entry added by template (按模板导入); empty for the form (非模板导入)."""
    require_edit(actor)
    if not values.department.is_within(actor.department):
        raise Invalid("请选择您管理范围内的监管部门", "department_id")
    inspector, revived, _changes = _entry_for(actor, values)
    audit.record(
        "create",
        object_type=SUBJECT_TYPE,
        object_id=inspector.id,
        summary={
            "姓名": inspector.name,
            "单位": inspector.department.name,
            "方式": "按模板导入" if template else "非模板导入",
            **({"来源": template} if template else {}),
            **({"说明": "恢复已删除的名录"} if revived else {}),
        },
        user=actor,
    )
    instance = engine.start(
        ADD_TABLE, actor, title=f"新增执法检查人员：{inspector.name}", subject_type=SUBJECT_TYPE, subject_id=inspector.id
    )
    cache_token = _matches.set({})
    try:
        with collecting_passwords() as issued:
            _run_add_steps(actor, instance, template)
    finally:
        _matches.reset(cache_token)
    result = AddResult(inspector, instance, issued, revived)
    if template and result.waiting_for_role:
        decide_role(actor, inspector, assign=True, comment="按模板导入，系统自动分配执法检查人员角色")
    return result


def _run_add_steps(actor: User, instance: ProcessInstance, template: str) -> ProcessInstance:
    """选择新增方式 → [下载模板 → 根据模板填充数据并上传 →] 完成新增操作; the platform follows."""
    if template:
        engine.advance(actor, instance, "choose_mode", "template")
        engine.advance(actor, instance, "download_template", "next")
        engine.advance(actor, instance, "upload", "next", comment=template)
    else:
        engine.advance(actor, instance, "choose_mode", "manual")
    return engine.advance(actor, instance, "complete", "next")


def create_inspector(actor: User, raw: Mapping[str, Any]) -> AddResult:
    """非模板导入: the form's values."""
    require_edit(actor)
    values, errors = check_values(raw, pick_department(actor, raw.get("department_id")))
    if values is None:
        raise first_error(errors)
    return add_inspector(actor, values)


def add_instance(actor: User, inspector: Inspector) -> ProcessInstance | None:
    """The latest 表17 instance about this entry that the actor can see."""
    query = (
        select(ProcessInstance)
        .where(
            ProcessInstance.process_table == ADD_TABLE,
            ProcessInstance.subject_type == SUBJECT_TYPE,
            ProcessInstance.subject_id == inspector.id,
        )
        .order_by(ProcessInstance.id.desc())
        .limit(1)
    )
    return db.session.execute(scope_instances(query, actor)).scalar_one_or_none()


def role_step(actor: User, inspector: Inspector) -> tuple[ProcessInstance, str] | None:
    """(instance, step) when the actor holds 判断是否分配角色 or 分配角色 for this entry."""
    instance = add_instance(actor, inspector)
    if instance is None:
        return None
    for step in ("decide_role", "assign_role"):
        if engine.open_item(actor, instance, step) is not None:
            return instance, step
    return None


def decide_role(actor: User, inspector: Inspector, *, assign: bool, comment: str = "") -> ProcessInstance:
    """判断是否分配角色 (and 分配角色 when ``assign``): give the new account the 执法人员 role."""
    require_edit(actor)
    held = role_step(actor, inspector)
    if held is None:
        raise Invalid("该执法检查人员没有待您办理的“判断是否分配角色”环节")
    instance, step = held
    if step == "decide_role":
        engine.advance(actor, instance, "decide_role", "yes" if assign else "no", comment=comment)
        if not assign:
            return instance
    if inspector.user is None:
        raise Invalid("该执法检查人员没有系统操作账号")
    for role in ASSIGNABLE_ROLES:
        _give_role(inspector.user, role, actor, "表17 分配角色")
    engine.advance(actor, instance, "assign_role", "next", comment="分配角色：" + "、".join(r.label for r in ASSIGNABLE_ROLES))
    return instance
