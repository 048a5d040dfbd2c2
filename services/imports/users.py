"""用户批量导入 (the platform's 用户导入模板; no standard defines one): a system administrator
opens accounts in the departments of their part of the organisation.

The natural key is the account (case does not matter): an account the file repeats, or the
system already has, is refused; so is a repeated or taken ID number.  Each imported account
gets an initial password, shown once on the confirmation's page (``shown_once``: never in the
batch, the audit or a job) and changed at the first sign-in; it has no role until a security
administrator assigns one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from infrastructure.excel import Column, Row, build_workbook, workbook_bytes
from infrastructure.import_rows import duplicate_messages
from infrastructure.validators import (
    ACCOUNT_RULE,
    MOBILE_RULE,
    normalize_id_number,
    normalize_mobile,
    valid_account,
    valid_id_number,
    valid_mobile,
)
from models import Department, ImportBatch, User, db
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.templates_catalogue import Template
from services.users import ID_NUMBER_HINT, create_user, is_user_admin

# Each account costs one argon2 hash (~0.2 s): 100 rows keep a confirmation well inside a
# worker's request timeout.
MAX_ROWS = 100
TEMPLATE = Template(
    "用户导入模板",
    "用户导入",
    "平台模板（系统操作账号的批量开通）",
    (
        Column("账号", 18, text=True, required=True),
        Column("姓名", 12, required=True),
        Column("所属部门", 30, required=True),
        Column("手机号码", 16, text=True, required=True),
        Column("身份证号", 24, text=True),
    ),
)


def _departments(actor: User) -> list[Department]:
    """The active departments of the actor's part of the organisation."""
    return list(db.session.execute(
        select(Department)
        .where(Department.path.startswith(actor.department.path), Department.active.is_(True))
        .order_by(Department.path)
    ).scalars())


def instructions(actor: User) -> list[str]:
    """The 填写说明 sheet of the template, listing the departments the actor may use."""
    return [
        "用户批量导入填写说明",
        "1. 带 * 的列为必填项；请勿修改第一行列名，也不要增删列或调整列的顺序。",
        "2. 账号：4–64位字母、数字或 _ . -，不区分大小写，不能与已有账号重复。",
        "3. 姓名：不超过50个字。",
        "4. 所属部门：填写部门全称，须与系统中的名称完全一致，且在您的管理范围内、未停用。",
        "5. 手机号码：11位大陆手机号（可带 +86 或 0086，空格和短横线不影响）。",
        "6. 身份证号：可不填；填写时须为18位（末位可为X），并通过校验位校验。"
        "请保持“文本”格式，以数字格式保存的18位号码会丢失末几位。",
        f"7. 每次最多导入{MAX_ROWS}行。导入后系统为每个账号生成初始密码，只显示一次，首次登录须修改密码。",
        "8. 导入的账号没有角色，需由安全管理员分配角色。",
        "",
        "可填写的部门：",
        *(d.name for d in _departments(actor)),
    ]


@dataclass
class _Known:
    """What a row is checked against: the actor's departments by name, the file's ID numbers
    by row, and the accounts and ID numbers the system already has."""

    departments: dict[str, list[Department]]
    id_duplicates: dict[int, str]
    taken_accounts: set[str]
    taken_ids: set[str]


def _known(actor: User, rows: list[Row]) -> _Known:
    departments: dict[str, list[Department]] = {}
    for d in _departments(actor):
        departments.setdefault(d.name, []).append(d)
    accounts = sorted({(r.get("账号") or "").lower() for r in rows} - {""})
    ids: dict[str, list[int]] = {}
    for r in rows:
        if r.get("身份证号"):
            ids.setdefault(normalize_id_number(r["身份证号"]), []).append(r.number)
    duplicates: dict[int, str] = {}
    for numbers in ids.values():
        if len(numbers) > 1:
            duplicates.update(duplicate_messages(numbers))
    taken_accounts = set(db.session.execute(
        select(func.lower(User.account)).where(func.lower(User.account).in_(accounts))
    ).scalars()) if accounts else set()
    taken_ids = set(db.session.execute(
        select(User.id_number).where(User.id_number.in_(list(ids)))
    ).scalars()) if ids else set()
    return _Known(departments, duplicates, taken_accounts, taken_ids)


def _check_row(row: Row, known: _Known) -> ImportRow:
    """账号, 姓名, 所属部门, 手机号码, 身份证号 in turn; a cell read_table refused keeps its message."""
    flagged = {c for c, _ in row.errors}
    account, name = row.get("账号") or "", row.get("姓名") or ""
    mobile, id_number = normalize_mobile(row.get("手机号码") or ""), normalize_id_number(row.get("身份证号") or "")
    department = None
    if "账号" not in flagged:
        if not valid_account(account):
            row.add_error("账号", ACCOUNT_RULE)
        elif account.lower() in known.taken_accounts:
            row.add_error("账号", "系统中已有该账号")
    if "姓名" not in flagged and len(name) > 50:
        row.add_error("姓名", "不能超过50个字")
    if "所属部门" not in flagged:
        matches = known.departments.get(row.get("所属部门") or "", [])
        if len(matches) == 1:
            department = matches[0]
        elif matches:
            row.add_error("所属部门", "有多个同名部门，无法确定，请联系上级管理员")
        else:
            row.add_error("所属部门", "部门不存在、已停用或不在您的管理范围内（名称须完全一致）")
    if "手机号码" not in flagged and not valid_mobile(mobile):
        row.add_error("手机号码", MOBILE_RULE)
    if id_number and "身份证号" not in flagged:
        if not valid_id_number(id_number):
            row.add_error("身份证号", ID_NUMBER_HINT)
        elif row.number in known.id_duplicates:
            row.add_error("身份证号", known.id_duplicates[row.number])
        elif id_number in known.taken_ids:
            row.add_error("身份证号", "已被系统中的其他账号使用")
    payload = (account, name, department, mobile, id_number) if row.valid else None
    return ImportRow(row, payload)


class UserImport(ImportKind):
    name = "users"
    title = "批量导入用户"
    template = TEMPLATE
    max_rows = MAX_ROWS
    max_bytes = 10 * 1024 * 1024
    csv_ok = False
    name_column = key_column = "账号"
    steps = ("导入后系统为每个账号生成初始密码，只显示一次；导入的账号没有角色，需由安全管理员分配。",)
    denied = "只有上传该文件的系统管理员可以导入"
    shown_once = ("issued",)

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return is_user_admin(actor)

    def template_file(self, actor: User, variant: str) -> tuple[bytes, str]:
        wb = build_workbook(TEMPLATE.sheet, TEMPLATE.columns, instructions=instructions(actor), template_rows=200)
        return workbook_bytes(wb), "用户导入模板.xlsx"

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        known = _known(actor, rows)
        return [_check_row(row, known) for row in rows]

    def natural_key(self, item: ImportRow) -> Hashable | None:
        account = item.row.get("账号") or ""
        return account.lower() if valid_account(account) else None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        issued = [
            create_user(actor, account=account, name=name, department=department, mobile=mobile,
                        id_number=id_number or None, source=f"批量导入（批次{batch.id}第{item.number}行）")
            for item in rows
            for account, name, department, mobile, id_number in [item.payload]
        ]
        return {"导入": len(issued), "账号": [i.account for i in issued], "issued": issued}

    def result_text(self, result: dict[str, Any]) -> str:
        skipped = result.get("跳过问题行", 0)
        return f"已导入 {result.get('导入', 0)} 个用户" + (f"，跳过问题行 {skipped} 行" if skipped else "")

    def result_page(self, result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        issued = result["issued"]
        return "admin/password_issued.html", {"issued": issued, "heading": f"已导入 {len(issued)} 个用户"}

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "用户列表", "admin.users", {}


KIND = register(UserImport())
