"""Excel import of users (批量导入): template, validation with a per-row report, a stored
batch waiting for confirmation, and the all-or-nothing import of its valid rows."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import Column, ExcelError, annotate_errors, read_rows
from infrastructure.import_rows import duplicate_message
from infrastructure.validators import (
    ACCOUNT_RULE,
    MOBILE_RULE,
    normalize_id_number,
    normalize_mobile,
    valid_account,
    valid_id_number,
    valid_mobile,
)
from models import Department, ImportBatch, ImportStatus, User, db, utcnow
from persistence import audit
from services.users import (
    ID_NUMBER_HINT,
    IssuedPassword,
    create_user,
    is_user_admin,
)

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
        "5. 手机号码：11位大陆手机号（可带 +86 或 0086，空格和短横线不影响）。",
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


def _read_import(data: bytes) -> list[ImportRow]:
    raw = read_rows(data, IMPORT_TITLES)
    if not raw:
        raise ExcelError("文件中没有可导入的数据行")
    if len(raw) > MAX_IMPORT_ROWS:
        raise ExcelError(f"单次最多导入{MAX_IMPORT_ROWS}行，该文件有{len(raw)}行，请拆分后分批导入")
    return [
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


@dataclass
class _Known:
    """What a row is checked against: the actor's departments by name, the file's accounts and
    ID numbers (counts and rows), and those the system already has."""

    departments: dict[str, list[Department]]
    accounts: Counter[str]
    ids: Counter[str]
    lines: dict[str, list[int]]
    taken_accounts: set[str]
    taken_ids: set[str]


def _known(actor: User, rows: list[ImportRow]) -> _Known:
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
    return _Known(departments, accounts, ids, lines, taken_accounts, taken_ids)


def _check_account(r: ImportRow, known: _Known) -> None:
    """账号: well formed, not repeated in the file, not taken."""
    if not r.account:
        r.errors.append(("账号", "必填"))
    elif not valid_account(r.account):
        r.errors.append(("账号", ACCOUNT_RULE))
    elif known.accounts[r.account.lower()] > 1:
        others = (n for n in known.lines["a:" + r.account.lower()] if n != r.number)
        r.errors.append(("账号", duplicate_message(others)))
    elif r.account.lower() in known.taken_accounts:
        r.errors.append(("账号", "系统中已有该账号"))


def _check_id_number(r: ImportRow, known: _Known) -> None:
    """身份证号 (optional): valid, not repeated in the file, not taken."""
    if r.id_number:
        if not valid_id_number(r.id_number):
            hint = ID_NUMBER_HINT
            if r.id_number.isdigit() and len(r.id_number) == 18:
                hint += "；如该单元格为数字格式，末几位可能已丢失，请设为文本格式后重新填写"
            r.errors.append(("身份证号", hint))
        elif known.ids[r.id_number] > 1:
            others = (n for n in known.lines["i:" + r.id_number] if n != r.number)
            r.errors.append(("身份证号", duplicate_message(others)))
        elif r.id_number in known.taken_ids:
            r.errors.append(("身份证号", "已被系统中的其他账号使用"))


def _check_row(r: ImportRow, known: _Known) -> None:
    if not r.name:
        r.errors.append(("姓名", "必填"))
    elif len(r.name) > 50:
        r.errors.append(("姓名", "不能超过50个字"))
    if not r.department_name:
        r.errors.append(("所属部门", "必填"))
    else:
        matches = known.departments.get(r.department_name, [])
        if len(matches) == 1:
            r.department = matches[0]
        elif matches:
            r.errors.append(("所属部门", "有多个同名部门，无法确定，请联系上级管理员"))
        else:
            r.errors.append(("所属部门", "部门不存在、已停用或不在您的管理范围内（名称须完全一致）"))
    if not r.mobile:
        r.errors.append(("手机号码", "必填"))
    elif not valid_mobile(r.mobile):
        r.errors.append(("手机号码", MOBILE_RULE))


def check_import(actor: User, data: bytes) -> ImportCheck:
    """Read and validate an uploaded user list against the rules and the database.

    Raises ExcelError when the file cannot be used at all.  Rows that share an account or an
    ID number are all marked invalid: which one is meant is for the administrator to decide.
    """
    rows = _read_import(data)
    known = _known(actor, rows)
    for r in rows:
        _check_account(r, known)
        _check_row(r, known)
        _check_id_number(r, known)
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
