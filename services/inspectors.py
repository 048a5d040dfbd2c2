"""执法检查人员名录库 (DB5101 7.1.3): field rules, search, 表17 新增 and 表18 维护, and the
query later chapters draw inspectors from (``eligible_inspectors``).

Every business action drives the standard's process in the same transaction:

* 表17 (新增): the service creates the entry, starts an instance about it and performs the
  clerk's steps (选择新增方式 → [下载模板 → 根据模板填充数据并上传 →] 完成新增操作).  The
  platform's steps then run in the engine: 判断是否有系统操作账号 follows the guards
  ``has_account`` / ``no_account`` registered here (an account with the same ID number, or
  else the same mobile number), 开通双随机检查权限 links the account, grants the permission
  and the 执法人员 role, 新增系统操作账号 opens an account whose initial password is shown
  once.  A new account then waits at 判断是否分配角色 on the entry's page; an entry added by
  template gets the 执法人员 role at once (表17: 通过模板上传的执法检查人员，由系统自动为分配
  执法检查人员角色).
* 表18 (维护): 选择拟维护人员 → 判断修改/删除 → 修改执法检查人员 (everything but role and
  permission) or 确认是否删除 → 删除执法检查人员, which asks what goes: the entry only, the
  entry and the 执法人员 role, or the entry and the account (disabled, since history names it).

Nothing here commits; every change writes an audit row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from infrastructure.errors import Forbidden, Invalid
from infrastructure.excel import parse_date
from infrastructure.validators import (
    normalize_id_number,
    normalize_mobile,
    normalize_phone,
    valid_id_number,
    valid_mobile,
    valid_phone,
)
from models import Department, Inspector, InspectorTag, ProcessInstance, User, db, utcnow
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus, TagKind
from models.org import DepartmentKind, UserStatus
from models.roles import ADMIN_ROLES, Role
from persistence import audit, sessions
from persistence.scope import scope_instances, subtree_ids
from services.templates_catalogue import INSPECTOR_CATEGORIES, SEXES
from workflows import engine

SUBJECT_TYPE = "inspector"  # ProcessInstance.subject_type and AuditEvent.object_type
AUX_SUBJECT_TYPE = "auxiliary_inspector"
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
EDIT_ROLES = (Role.CLERK,)
ADD_TABLE = 17
MAINTAIN_TABLE = 18
# Roles a department may give a new inspector account at 分配角色 (others are the 安全管理员's).
ASSIGNABLE_ROLES = (Role.INSPECTOR,)
TAG_SEPARATORS = re.compile(r"[、,，;；\n]+")
MAX_TAG = 100
MAX_TAGS = 30
ID_NUMBER_HINT = "身份证号不正确（18位，末位为数字或X，须通过校验位校验）"

TITLES = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "mobile": "电话号码",
    "department_id": "单位",
    "section": "科室",
    "post": "职务",
    "area": "监督检查（执法）区域",
    "category": "执法检查人员类别",
    "cert_issuer": "发证机关",
    "cert_no": "执法证编号",
    "cert_valid_from": "执法证有效期起",
    "cert_valid_to": "执法证有效期止",
    "reported_on": "填报日期",
    "matters": "监督检查（执法）事项",
    "duty": "在岗状态",
    "specialities": "业务专长",
    "qualifications": "执法资质",
    "note": "备注",
}
TAG_FIELDS = {"matters": TagKind.MATTER, "specialities": TagKind.SPECIALITY, "qualifications": TagKind.QUALIFICATION}
DUTY_WORDS = {"在岗": DutyStatus.ON, "不在岗": DutyStatus.OFF, "离岗": DutyStatus.OFF}


# ------------------------------------------------------------------ permissions


def can_view(actor: User) -> bool:
    return actor.has_role(*VIEW_ROLES)


def can_edit(actor: User) -> bool:
    """监管部门经办人 maintain the directory (一单两库); leaders read it."""
    return actor.has_role(*EDIT_ROLES)


def require_edit(actor: User) -> None:
    if not can_edit(actor):
        raise Forbidden("只有监管部门经办人可以维护执法检查人员名录库")


def departments_for(actor: User) -> list[Department]:
    """Supervision departments an entry of ``actor`` may belong to: its own and those below."""
    return list(
        db.session.execute(
            select(Department)
            .where(
                Department.path.startswith(actor.department.path),
                Department.active.is_(True),
                Department.kind == DepartmentKind.SUPERVISION,
            )
            .order_by(Department.path)
        ).scalars()
    )


# ------------------------------------------------------------------ field rules


def split_tags(raw: Any) -> list[str]:
    parts = [str(p) for p in raw] if isinstance(raw, list | tuple) else TAG_SEPARATORS.split(str(raw or ""))
    out: list[str] = []
    for part in parts:
        value = part.strip()
        if value and value not in out:
            out.append(value)
    return out


def sex_from_id(id_number: str) -> str:
    """GB 11643: the 17th digit is odd for men, even for women."""
    return "男" if int(id_number[16]) % 2 else "女"


@dataclass
class InspectorValues:
    """The checked fields of one entry (form or A.5 row)."""

    name: str
    id_number: str | None  # None: an entry without ID number (渝 C.1)
    sex: str
    mobile: str
    department: Department
    section: str = ""
    post: str = ""
    area: str = ""
    category: str = ""
    cert_issuer: str = ""
    cert_no: str = ""
    cert_valid_from: date | None = None
    cert_valid_to: date | None = None
    reported_on: date | None = None
    duty: DutyStatus = DutyStatus.ON
    note: str = ""
    tags: dict[str, list[str]] = field(default_factory=dict)  # TAG_FIELDS key → values

    SCALARS = (
        "name", "id_number", "sex", "mobile", "section", "post", "area", "category", "cert_issuer", "cert_no",
        "cert_valid_from", "cert_valid_to", "reported_on", "duty", "note",
    )


def clean_text(raw: Mapping[str, Any], key: str, limit: int, errors: dict[str, str], *, required: bool = False) -> str:
    value = str(raw.get(key) or "").strip()
    if required and not value:
        errors[key] = "必填"
    elif len(value) > limit:
        errors[key] = f"不能超过{limit}个字"
    return value


def _date(raw: Mapping[str, Any], key: str, errors: dict[str, str]) -> date | None:
    try:
        return parse_date(raw.get(key) or None)
    except ValueError as exc:
        errors[key] = str(exc)
        return None


def check_values(
    raw: Mapping[str, Any], department: Department | None, *, id_required: bool = True
) -> tuple[InspectorValues | None, dict[str, str]]:
    """Apply the field rules; return the values, or None and {field: message}.  Shared by the
    form and the A.5 / C.1 imports, so a value the form refuses is refused in a file too.
    ``id_required=False`` (C.1 rows, entries that have none) lets the ID number be blank."""
    errors: dict[str, str] = {}
    name = clean_text(raw, "name", 50, errors, required=True)
    id_number: str | None = normalize_id_number(str(raw.get("id_number") or ""))
    if not id_number:
        if id_required:
            errors["id_number"] = "必填"
        id_number = None
    elif not valid_id_number(id_number):
        errors["id_number"] = ID_NUMBER_HINT
    sex = str(raw.get("sex") or "").strip()
    if sex and sex not in SEXES:
        errors["sex"] = "应为“男”或“女”"
    elif "id_number" not in errors and id_number:
        derived = sex_from_id(id_number)
        if sex and sex != derived:
            errors["sex"] = f"与身份证号不符（身份证号第17位表示{derived}性）"
        sex = derived
    mobile = normalize_mobile(str(raw.get("mobile") or ""))
    if not mobile:
        errors["mobile"] = "必填"
    elif not valid_mobile(mobile):
        errors["mobile"] = "应为11位手机号码（用于匹配或开通系统操作账号）"
    if department is None:
        errors["department_id"] = "请选择您管理范围内的监管部门"
    category = str(raw.get("category") or "").strip()
    if category and category not in INSPECTOR_CATEGORIES:
        errors["category"] = "应为以下之一：" + "、".join(INSPECTOR_CATEGORIES)
    duty_raw = str(raw.get("duty") or "").strip()
    duty = DutyStatus.ON
    if duty_raw in DUTY_WORDS:
        duty = DUTY_WORDS[duty_raw]
    elif duty_raw in {d.value for d in DutyStatus}:
        duty = DutyStatus(duty_raw)
    elif duty_raw:
        errors["duty"] = "应为“在岗”或“不在岗”"
    values: dict[str, Any] = {
        "section": clean_text(raw, "section", 50, errors),
        "post": clean_text(raw, "post", 50, errors),
        "area": clean_text(raw, "area", 200, errors),
        "cert_issuer": clean_text(raw, "cert_issuer", 100, errors),
        "cert_no": clean_text(raw, "cert_no", 50, errors),
        "note": clean_text(raw, "note", 1000, errors),
        "cert_valid_from": _date(raw, "cert_valid_from", errors),
        "cert_valid_to": _date(raw, "cert_valid_to", errors),
        "reported_on": _date(raw, "reported_on", errors),
    }
    if values["cert_valid_from"] and values["cert_valid_to"] and values["cert_valid_to"] < values["cert_valid_from"]:
        errors["cert_valid_to"] = "执法证有效期止不得早于执法证有效期起"
    if (values["cert_valid_from"] or values["cert_valid_to"]) and not values["cert_no"] and "cert_no" not in errors:
        errors["cert_no"] = "填写了执法证有效期时须填写执法证编号"
    tags: dict[str, list[str]] = {}
    for key in TAG_FIELDS:
        found = split_tags(raw.get(key))
        long = [t for t in found if len(t) > MAX_TAG]
        if long:
            errors[key] = f"每项不能超过{MAX_TAG}个字：{long[0][:20]}…"
        elif len(found) > MAX_TAGS:
            errors[key] = f"最多{MAX_TAGS}项"
        tags[key] = found
    if errors or department is None:
        return None, errors
    return (
        InspectorValues(
            name=name, id_number=id_number, sex=sex, mobile=mobile, department=department, category=category,
            duty=duty, tags=tags, **values,
        ),
        {},
    )


def first_error(errors: dict[str, str]) -> Invalid:
    key, message = next(iter(errors.items()))
    return Invalid(f"{TITLES.get(key, key)}：{message}", key)


def find_by_id_number(id_number: str | None) -> Inspector | None:
    if not id_number:
        return None
    return db.session.execute(select(Inspector).where(Inspector.id_number == id_number)).scalar_one_or_none()


def duplicate_refusal(existing: Inspector | None, exclude_id: int | None = None) -> str | None:
    """Why a new entry with this ID number cannot be added (None: it can, perhaps reviving)."""
    if existing is None or not existing.active or existing.id == exclude_id:
        return None
    return f"该身份证号已在执法检查人员名录库中（{existing.department.name}，{existing.name}）"


def mobile_holder(mobile: str, exclude_id: int | None = None) -> Inspector | None:
    """Another entry of the directory with this mobile number (two people never share one:
    the platform matches accounts by it)."""
    query = select(Inspector).where(Inspector.mobile == mobile, Inspector.active.is_(True))
    if exclude_id is not None:
        query = query.where(Inspector.id != exclude_id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def check_mobile_free(values: InspectorValues, exclude_id: int | None) -> None:
    holder = mobile_holder(values.mobile, exclude_id)
    if holder is not None:
        raise Invalid(f"电话号码：已被名录库中的另一人使用（{holder.department.name}，{holder.name}）", "mobile")


def _set_tags(inspector: Inspector, tags: dict[str, list[str]]) -> dict[str, list[str]]:
    """Replace the entry's tags of each given kind; returns {title: [old, new]} that changed."""
    changes: dict[str, list[str]] = {}
    for key, values in tags.items():
        kind = TAG_FIELDS[key]
        old = inspector.tag_values(kind)
        if old == values:
            continue
        keep = [t for t in inspector.tags if t.kind != kind.value or t.value in values]
        for t in list(inspector.tags):
            if t not in keep:
                inspector.tags.remove(t)
        have = {t.value for t in inspector.tags if t.kind == kind.value}
        for value in values:
            if value not in have:
                inspector.tags.append(InspectorTag(kind=kind.value, value=value))
        changes[TITLES[key]] = ["、".join(old), "、".join(values)]
    return changes


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, DutyStatus):
        return value.label
    return str(value)


def apply_values(inspector: Inspector, values: InspectorValues) -> dict[str, list[str]]:
    """Write the values into the entry; returns the changes for the audit row (personal data
    only as 已修改)."""
    changes: dict[str, list[str]] = {}
    for key in InspectorValues.SCALARS:
        new = getattr(values, key)
        old = getattr(inspector, key)
        if old != new:
            if key in ("id_number", "mobile"):
                changes[TITLES[key]] = ["", "已修改"]
            else:
                changes[TITLES[key]] = [_display(old), _display(new)]
            setattr(inspector, key, new)
    if inspector.department_id != values.department.id:
        old_name = inspector.department.name if inspector.department_id else ""
        changes["单位"] = [old_name, values.department.name]
        inspector.department = values.department
    changes.update(_set_tags(inspector, values.tags))
    return changes


# ------------------------------------------------------------------ accounts (判断是否有系统操作账号)


# ------------------------------------------------------------------ 表17 新增


def pick_department(actor: User, ident: Any) -> Department | None:
    try:
        dept = db.session.get(Department, int(ident))
    except (TypeError, ValueError):
        return None
    if dept is None or not dept.active or not dept.is_within(actor.department):
        return None
    return dept


# ------------------------------------------------------------------ 表18 维护


def _maintain(actor: User, inspector: Inspector, choice: str) -> ProcessInstance:
    instance = engine.start(
        MAINTAIN_TABLE,
        actor,
        title=f"维护执法检查人员：{inspector.name}",
        subject_type=SUBJECT_TYPE,
        subject_id=inspector.id,
    )
    engine.advance(actor, instance, "select", "next")
    engine.advance(actor, instance, "choose", choice)
    return instance


def update_values(actor: User, inspector: Inspector, values: InspectorValues, *, source: str = "") -> dict[str, list[str]]:
    """修改执法检查人员: everything but role and permission.  No change, no process."""
    require_edit(actor)
    if not inspector.active:
        raise Invalid("该执法检查人员已删除")
    if not values.department.is_within(actor.department):
        raise Invalid("请选择您管理范围内的监管部门", "department_id")
    refusal = duplicate_refusal(find_by_id_number(values.id_number), inspector.id)
    if values.id_number is None and inspector.id_number is not None:
        raise Invalid("身份证号：必填（已登记的身份证号不能清除）", "id_number")
    if refusal or (values.id_number != inspector.id_number and find_by_id_number(values.id_number)):
        raise Invalid(refusal or "该身份证号已被名录库中另一条（已删除的）记录使用", "id_number")
    check_mobile_free(values, inspector.id)
    changes = apply_values(inspector, values)
    if not changes:
        db.session.flush()
        return {}
    inspector.updated_at = utcnow()
    db.session.flush()
    instance = _maintain(actor, inspector, "edit")
    engine.advance(actor, instance, "edit", "next", comment=source)
    summary: dict[str, Any] = {"姓名": inspector.name, **changes}
    if source:
        summary["来源"] = source
    audit.record("update", object_type=SUBJECT_TYPE, object_id=inspector.id, summary=summary, user=actor)
    return changes


def update_inspector(actor: User, inspector: Inspector, raw: Mapping[str, Any]) -> dict[str, list[str]]:
    """修改 from the form: an entry imported without ID number (C.1) may stay without one."""
    require_edit(actor)
    values, errors = check_values(
        raw, pick_department(actor, raw.get("department_id")), id_required=inspector.id_number is not None
    )
    if values is None:
        raise first_error(errors)
    return update_values(actor, inspector, values)


DELETE_SCOPES = {
    "entry": "仅删除名录（保留其系统操作账号和角色）",
    "role": "删除名录并收回执法人员角色（保留系统操作账号）",
    "account": "删除名录并停用其系统操作账号",
}


def delete_refusal(actor: User, inspector: Inspector, scope: str) -> str | None:
    if scope not in DELETE_SCOPES:
        return "请选择删除方式"
    user = inspector.user
    if scope == "entry" or user is None:
        return None if scope == "entry" else "该执法检查人员没有关联的系统操作账号，只能删除名录"
    if user.id == actor.id:
        return "不能删除或停用自己的账号"
    if not user.department.is_within(actor.department):
        return "该账号不在本部门管理范围内，请联系其所在部门或系统管理员"
    if user.role_codes & {str(r) for r in ADMIN_ROLES}:
        return "该账号是管理员账号，只能由上级管理员处理"
    return None


def delete_inspector(actor: User, inspector: Inspector, scope: str) -> ProcessInstance:
    """确认是否删除 → 删除执法检查人员: the entry leaves the directory (kept inactive for the
    draws that name it); with ``role`` the 执法人员 role is revoked, with ``account`` the
    account is disabled.  Each is audited."""
    require_edit(actor)
    if not inspector.active:
        raise Invalid("该执法检查人员已删除")
    refusal = delete_refusal(actor, inspector, scope)
    if refusal:
        raise Invalid(refusal, "scope")
    user = inspector.user
    instance = _maintain(actor, inspector, "delete")
    engine.advance(actor, instance, "confirm_delete", "yes", comment=DELETE_SCOPES[scope])
    inspector.active = False
    inspector.random_permission = False
    inspector.permission_granted_at = None
    inspector.user = None
    inspector.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "delete",
        object_type=SUBJECT_TYPE,
        object_id=inspector.id,
        summary={"姓名": inspector.name, "单位": inspector.department.name, "删除方式": DELETE_SCOPES[scope]},
        user=actor,
    )
    if user is not None and scope == "role":
        held = next((r for r in user.roles if r.role == Role.INSPECTOR.value), None)
        if held is not None:
            user.roles.remove(held)
            sessions.end_all(user, "role_removed")
            db.session.flush()
            audit.record(
                "revoke_role",
                object_type="user",
                object_id=user.id,
                summary={"账号": user.account, "角色": Role.INSPECTOR.label, "来源": "表18 删除执法检查人员"},
                user=actor,
            )
    if user is not None and scope == "account" and user.status != UserStatus.DISABLED:
        user.status = UserStatus.DISABLED
        sessions.end_all(user, "disabled")
        db.session.flush()
        audit.record(
            "update",
            object_type="user",
            object_id=user.id,
            summary={"账号": user.account, "操作": "停用", "来源": "表18 删除执法检查人员"},
            user=actor,
        )
    engine.advance(actor, instance, "delete", "next")
    return instance


# ------------------------------------------------------------------ search


def history(inspector: Inspector) -> list[Any]:
    from models import AuditEvent

    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == SUBJECT_TYPE, AuditEvent.object_id == str(inspector.id))
            .order_by(AuditEvent.id.desc())
            .limit(100)
        ).scalars()
    )


def instances_of(actor: User, inspector: Inspector) -> list[ProcessInstance]:
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.subject_type == SUBJECT_TYPE, ProcessInstance.subject_id == inspector.id)
        .order_by(ProcessInstance.id.desc())
    )
    return list(db.session.execute(scope_instances(query, actor)).scalars())


# ------------------------------------------------------------------ for the draws (表20, 表22)


# ------------------------------------------------------------------ 辅助检查人员库


def aux_query(actor: User, kind: str = "") -> Select[Any]:
    query = select(AuxiliaryInspector).where(
        AuxiliaryInspector.active.is_(True), AuxiliaryInspector.department_id.in_(subtree_ids(actor.department))
    )
    if kind in {k.value for k in AuxiliaryKind}:
        query = query.where(AuxiliaryInspector.kind == AuxiliaryKind(kind))
    return query.order_by(AuxiliaryInspector.kind, AuxiliaryInspector.name)


AUX_TITLES = {"kind": "类别", "name": "名称", "organization": "所在单位", "contact": "联系人", "phone": "联系电话",
              "field": "专业领域", "qualification": "资质"}


def check_auxiliary(raw: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The field rules of an auxiliary pool entry (form and 辅助人员库导入模板): the values, or
    None and {field: message}."""
    errors: dict[str, str] = {}
    kind = str(raw.get("kind") or "")
    if kind not in {k.value for k in AuxiliaryKind}:
        errors["kind"] = "请选择类别"
    values: dict[str, Any] = {
        "name": clean_text(raw, "name", 100, errors, required=True),
        "organization": clean_text(raw, "organization", 100, errors),
        "contact": clean_text(raw, "contact", 50, errors),
        "field": clean_text(raw, "field", 200, errors),
        "qualification": clean_text(raw, "qualification", 200, errors),
    }
    phone = normalize_phone(str(raw.get("phone") or ""))
    if phone and not valid_phone(phone):
        errors["phone"] = "联系电话格式不正确"
    if errors:
        return None, errors
    return {"kind": AuxiliaryKind(kind), "phone": phone, **values}, {}


def save_auxiliary(
    actor: User, raw: Mapping[str, Any], entry: AuxiliaryInspector | None = None, *, source: str = ""
) -> AuxiliaryInspector:
    """Add or change an entry of the auxiliary pool (专家、检验检测机构、科研院所)."""
    require_edit(actor)
    values, errors = check_auxiliary(raw)
    if values is None:
        key, message = next(iter(errors.items()))
        raise Invalid(f"{AUX_TITLES.get(key, key)}：{message}", key)
    created = entry is None
    if entry is None:
        entry = AuxiliaryInspector(department_id=actor.department_id)
        db.session.add(entry)
    for key, value in values.items():
        setattr(entry, key, value)
    entry.updated_at = utcnow()
    db.session.flush()
    summary: dict[str, Any] = {"类别": entry.kind.label, "名称": entry.name, "专业领域": entry.field}
    if source:
        summary["来源"] = source
    audit.record(
        "create" if created else "update", object_type=AUX_SUBJECT_TYPE, object_id=entry.id, summary=summary, user=actor
    )
    return entry


def delete_auxiliary(actor: User, entry: AuxiliaryInspector) -> None:
    require_edit(actor)
    entry.active = False
    entry.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "delete", object_type=AUX_SUBJECT_TYPE, object_id=entry.id, summary={"名称": entry.name}, user=actor
    )
