"""表17 按模板导入: the A.5 template (执法检查人员导入模板) or the Chongqing specification's C.1
(执法人员名录库样表: 序号, 姓名, 电话, 所属区县, 所属部门, 人员类别, 业务专长) uploaded, previewed
and confirmed, following the batch pattern of services/user_import.py and
services/entity_import.py.  The clerk chooses the template or lets the header titles tell.

The upload (.xlsx, or CSV in UTF-8/GBK) is read against the template with the Excel toolkit
(header as the standard writes it, text columns, dates incl. Excel serial numbers, dropdown
values), then every row gets the form's own field rules (services.inspectors.check_values),
the 单位/科室 lookup in the clerk's subtree, duplicates within the file (身份证号, 电话号码) and
against the directory.  The batch keeps the file and the check summary; the clerk downloads
an annotated copy of the problem rows, then confirms either 全部导入 (nothing when any row has
a problem) or 仅导入有效行.  A row whose 身份证号 is already in the directory updates that entry
(表18 修改; its blank cells keep the stored values) instead of adding it again, and so does a
row whose 电话号码 is that of an entry without ID number (imported from C.1), which gets the ID
number; a new row runs 表17 by template, which opens or matches its account.

C.1 has no ID number: a row is the directory entry with the same mobile number (电话) in the
clerk's district, updated (表18) if there is one, else a new entry without ID number (表17,
the account matched by mobile as for A.5).  所属区县 must be the clerk's district, 所属部门 a
supervision department of the clerk's area (by name), 人员类别 the closed list, 业务专长 is
split on 、 into speciality tags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Forbidden, Invalid
from infrastructure.excel import ExcelError, Row, RowErrors, mark_duplicates, read_table
from models import Department, ImportBatch, ImportStatus, Inspector, User, db
from persistence import audit
from persistence.org import region_root
from persistence.scope import subtree_ids
from services import inspector_enrolment
from services import inspectors as svc
from services.templates_catalogue import TEMPLATES, Template
from services.user_import import _claim, _ensure_pending, purge_stale_imports
from services.users import IssuedPassword

IMPORT_KIND = "inspectors"
TEMPLATE = TEMPLATES["A.5"]
C1 = TEMPLATES["C.1"]
IMPORT_TEMPLATES = ("A.5", "C.1")  # the templates the directory reads; "" = by the header
# Each row runs 表17 (or 表18) as its own process instance, about 0.1–0.2 s, and each new
# account costs an argon2 hash (~0.2 s): these keep a confirmation inside a worker's request
# timeout (bench/inspectors.py).  A larger directory is imported in several files.
MAX_IMPORT_ROWS = 100
MAX_NEW_ACCOUNTS = 100
PREVIEW_PROBLEMS = 200

# A.5 column → field of services.inspectors.check_values
COLUMN_FIELDS = {
    "姓名": "name",
    "身份证号": "id_number",
    "性别": "sex",
    "电话号码": "mobile",
    "监督检查（执法）区域": "area",
    "执法检查人员类别": "category",
    "发证机关": "cert_issuer",
    "执法证编号": "cert_no",
    "执法证有效期起": "cert_valid_from",
    "执法证有效期止": "cert_valid_to",
    "填报日期": "reported_on",
    "科室": "section",
    "监督检查（执法）事项": "matters",
    "在岗状态": "duty",
}
FIELD_COLUMNS = {v: k for k, v in COLUMN_FIELDS.items()} | {"department_id": "单位"}
# C.1 column → field (序号, 所属区县 and 所属部门 are read apart)
C1_FIELDS = {"姓名": "name", "电话": "mobile", "人员类别": "category", "业务专长": "specialities"}
C1_FIELD_COLUMNS = {v: k for k, v in C1_FIELDS.items()} | {"department_id": "所属部门"}


@dataclass
class CheckedRow:
    row: Row
    values: svc.InspectorValues | None = None
    target: Inspector | None = None  # the entry this row updates
    new_account: bool = False

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def valid(self) -> bool:
        return self.row.valid and self.values is not None


@dataclass
class InspectorCheck:
    rows: list[CheckedRow]
    errors: RowErrors = field(default_factory=RowErrors)
    template: Template = TEMPLATE

    @property
    def valid_rows(self) -> list[CheckedRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[CheckedRow]:
        return [r for r in self.rows if not r.valid]

    def summary(self) -> dict[str, Any]:
        valid = self.valid_rows
        errors = self.errors.as_dict()
        return {
            "template": self.template.code,
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "create": sum(1 for r in valid if r.target is None),
            "update": sum(1 for r in valid if r.target is not None),
            "new_accounts": sum(1 for r in valid if r.new_account),
            "problems": [
                {"row": r.number, "name": r.row.get("姓名") or "", "errors": errors.get(r.number, [])}
                for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }


def _departments(actor: User) -> tuple[dict[str, list[Department]], list[Department]]:
    found = svc.departments_for(actor)
    by_name: dict[str, list[Department]] = {}
    for d in found:
        by_name.setdefault(d.name, []).append(d)
    return by_name, found


def _department_of(row: Row, by_name: dict[str, list[Department]], every: list[Department]) -> Department | None:
    unit_name = (row.get("单位") or "").strip()
    matches = by_name.get(unit_name, [])
    if len(matches) > 1:
        row.add_error("单位", "有多个同名部门，无法确定，请联系系统管理员")
        return None
    if not matches:
        if unit_name:
            row.add_error("单位", "部门不存在、已停用或不在您的管理范围内（名称须与系统中的部门全称一致）")
        return None
    unit = matches[0]
    section = (row.get("科室") or "").strip()
    if section:
        below = [d for d in every if d.name == section and d.is_within(unit) and d.id != unit.id]
        if len(below) == 1:
            return below[0]
    return unit


def _stored(base: Inspector | None) -> dict[str, Any]:
    """An entry's values as form fields (what an update's blank cells keep)."""
    raw: dict[str, Any] = {}
    if base is not None:
        raw = {
            "name": base.name, "sex": base.sex, "mobile": base.mobile, "area": base.area, "category": base.category,
            "cert_issuer": base.cert_issuer, "cert_no": base.cert_no, "cert_valid_from": base.cert_valid_from,
            "cert_valid_to": base.cert_valid_to, "reported_on": base.reported_on, "section": base.section,
            "matters": base.matters, "duty": base.duty.value, "post": base.post, "note": base.note,
            "specialities": base.specialities, "qualifications": base.qualifications,
            "id_number": base.id_number or "",
        }
    return raw


def _raw_of(row: Row, base: Inspector | None) -> dict[str, Any]:
    """The row's cells as form fields; for an update, blank cells keep the stored values."""
    raw = _stored(base)
    for title, key in COLUMN_FIELDS.items():
        value = row.get(title)
        if value not in (None, ""):
            raw[key] = value
    raw["id_number"] = row.get("身份证号") or ""
    return raw


def read_upload(data: bytes, code: str = "") -> tuple[Template, list[Row]]:
    """The rows of an upload read against ``code`` (A.5 or C.1), or, without one, against the
    template whose header titles the file carries."""
    if code in IMPORT_TEMPLATES:
        template = TEMPLATES[code]
        return template, read_table(data, template, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
    try:
        return TEMPLATE, read_table(data, TEMPLATE, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
    except ExcelError as first:
        try:
            return C1, read_table(data, C1, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
        except ExcelError as second:
            if str(second).startswith("文件与模板不一致"):  # neither header: report A.5's findings
                raise ExcelError(
                    str(first).replace("文件与模板不一致", "文件与 A.5 执法检查人员导入模板不一致", 1)
                    + f"（也不是 C.1 {C1.title}：其列名应为" + "、".join(C1.titles) + "）",
                    first.problems,
                ) from None
            raise second from None


def check_import(actor: User, data: bytes, code: str = "") -> InspectorCheck:
    """Read and validate an A.5 or C.1 upload (nothing is written).  ExcelError when the
    file as a whole cannot be used."""
    template, rows = read_upload(data, code)
    result = _check_c1(actor, rows) if template.code == "C.1" else _check_a5(actor, rows)
    result.errors.add_rows(r.row for r in result.rows)
    if sum(1 for r in result.valid_rows if r.new_account) > MAX_NEW_ACCOUNTS:
        raise ExcelError(f"本文件将新开通超过{MAX_NEW_ACCOUNTS}个系统操作账号，请拆分后分批导入")
    return result


def _check_a5(actor: User, rows: list[Row]) -> InspectorCheck:
    mark_duplicates(rows, "身份证号")
    mark_duplicates(rows, "电话号码")
    by_name, every = _departments(actor)
    ids = [r.get("身份证号") for r in rows if r.get("身份证号")]
    existing = {
        e.id_number: e
        for e in db.session.execute(select(Inspector).where(Inspector.id_number.in_(ids))).scalars()
    } if ids else {}
    user_ids = set(db.session.execute(select(User.id_number).where(User.id_number.in_(ids))).scalars()) if ids else set()
    mobiles = [r.get("电话号码") for r in rows if r.get("电话号码")]
    user_mobiles = set(db.session.execute(select(User.mobile).where(User.mobile.in_(mobiles))).scalars()) if mobiles else set()
    taken_mobiles = {
        e.mobile: e
        for e in db.session.execute(
            select(Inspector).where(Inspector.mobile.in_(mobiles), Inspector.active.is_(True))
        ).scalars()
    } if mobiles else {}
    checked: list[CheckedRow] = []
    for row in rows:
        item = CheckedRow(row)
        checked.append(item)
        department = _department_of(row, by_name, every)
        current = existing.get(row.get("身份证号") or "")
        target = current if current is not None and current.active else None
        holder = taken_mobiles.get(row.get("电话号码") or "")
        if (
            current is None and holder is not None and holder.id_number is None
            and holder.department.is_within(actor.department)
        ):
            target = holder  # an entry imported from C.1 (no ID number): A.5 completes it
        if target is not None and not target.department.is_within(actor.department):
            row.add_error("身份证号", f"该人员已在其他部门的执法检查人员名录库中（{target.department.name}），不能由您更新")
            continue
        values, errors = svc.check_values(_raw_of(row, target), department)
        flagged = {c for c, _ in row.errors}
        for key, message in errors.items():
            column = FIELD_COLUMNS.get(key, svc.TITLES.get(key, key))
            if column not in flagged:
                row.add_error(column, message)
        if values is not None and holder is not None and (target is None or holder.id != target.id):
            row.add_error("电话号码", f"已被名录库中的另一人使用（{holder.name}）")
        if values is None or not row.valid:
            continue
        item.values = values
        item.target = target
        item.new_account = target is None and values.id_number not in user_ids and values.mobile not in user_mobiles
    return InspectorCheck(checked)


def _check_c1(actor: User, rows: list[Row]) -> InspectorCheck:
    """C.1 rows: matched by 电话 within the clerk's district, 所属区县 the clerk's district,
    所属部门 a department of the clerk's area by name."""
    mark_duplicates(rows, "电话")
    district = region_root(actor.department)
    area = subtree_ids(district)
    by_name, _every = _departments(actor)
    mobiles = [r.get("电话") for r in rows if r.get("电话")]
    holders: dict[str, list[Inspector]] = {}
    if mobiles:
        for entry in db.session.execute(
            select(Inspector).where(Inspector.mobile.in_(mobiles), Inspector.active.is_(True))
        ).scalars():
            holders.setdefault(entry.mobile, []).append(entry)
    user_mobiles = set(
        db.session.execute(
            select(User.mobile).where(User.mobile.in_(mobiles), User.department_id.in_(area))
        ).scalars()
    ) if mobiles else set()
    checked: list[CheckedRow] = []
    for row in rows:
        item = CheckedRow(row)
        checked.append(item)
        county = (row.get("所属区县") or "").strip()
        if county and county != district.name:
            row.add_error("所属区县", f"应为您所在的区县（{district.name}）：只能导入本区县的执法人员")
        unit_name = (row.get("所属部门") or "").strip()
        matches = by_name.get(unit_name, [])
        department = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            row.add_error("所属部门", "有多个同名部门，无法确定，请联系系统管理员")
        elif unit_name and not matches:
            row.add_error("所属部门", "部门不存在、已停用或不在您的管理范围内（名称须与系统中的部门全称一致）")
        mobile = row.get("电话") or ""
        found = holders.get(mobile, [])
        here = [e for e in found if e.department.is_within(district)]
        target = here[0] if len(here) == 1 else None
        if found and not here:
            other = found[0]
            row.add_error("电话", f"已被其他区县执法检查人员名录库中的另一人使用（{other.department.name}，{other.name}）")
        elif target is not None and not target.department.is_within(actor.department):
            row.add_error("电话", f"该人员已在其他部门的执法检查人员名录库中（{target.department.name}），不能由您更新")
        raw = _stored(target)
        for title, key in C1_FIELDS.items():
            value = row.get(title)
            if value not in (None, ""):
                raw[key] = value
        if target is not None and department is None and not unit_name:
            department = target.department
        values, errors = svc.check_values(raw, department, id_required=False)
        flagged = {c for c, _ in row.errors}
        for key, message in errors.items():
            column = C1_FIELD_COLUMNS.get(key, svc.TITLES.get(key, key))
            if column not in flagged and not (key == "department_id" and "所属部门" in flagged):
                row.add_error(column, message)
        if values is None or not row.valid:
            continue
        item.values = values
        item.target = target
        item.new_account = target is None and values.mobile not in user_mobiles
    return InspectorCheck(checked, template=C1)


# ------------------------------------------------------------------ batches


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    """A batch belongs to the clerk who uploaded it."""
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and svc.can_edit(actor)


def store_import(actor: User, filename: str, data: bytes, code: str = "") -> tuple[ImportBatch, InspectorCheck]:
    """根据模板填充数据并上传: validate an upload (against ``code``, A.5 or C.1, or the template
    its header names) and keep it for the preview."""
    if not svc.can_edit(actor):
        raise Forbidden("只有监管部门经办人可以导入执法检查人员")
    check = check_import(actor, data, code)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"check": check.summary()}, ensure_ascii=False, default=str),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={
            "文件": batch.filename, "模板": check.template.code, "有效行": len(check.valid_rows),
            "问题行": len(check.invalid_rows),
        },
        user=actor,
    )
    return batch, check


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def batch_template(batch: ImportBatch) -> str:
    """The template code the batch was checked against (A.5 for batches of before C.1)."""
    return str(batch_summary(batch).get("check", {}).get("template") or TEMPLATE.code)


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    """The upload (a CSV as a workbook) with an error column beside each problem row."""
    _ensure_pending(batch)
    check = check_import(actor, batch.content, batch_template(batch))
    audit.record(
        "export",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"},
        user=actor,
    )
    sheet = check.template.sheet if batch.content.startswith(b"PK") else None
    return check.errors.annotated(batch.content, sheet=sheet)


@dataclass
class ImportResult:
    summary: dict[str, Any]
    issued: list[IssuedPassword]
    added: list[inspector_enrolment.AddResult]


def import_inspectors(actor: User, batch: ImportBatch, *, valid_only: bool) -> ImportResult:
    """完成新增操作 for every row of the batch: ``valid_only`` imports the valid rows and skips
    the others (仅导入有效行); otherwise any problem row stops the whole import (全部导入).
    All in the caller's one transaction."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _ensure_pending(batch)
    check = check_import(actor, batch.content, batch_template(batch))
    if check.invalid_rows and not valid_only:
        raise Invalid(f"文件中有{len(check.invalid_rows)}行有问题，未导入任何数据：请修改后重新上传，或选择“仅导入有效行”")
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    added: list[inspector_enrolment.AddResult] = []
    updated = unchanged = 0
    for r in valid:
        assert r.values is not None
        source = f"导入批次{batch.id}第{r.number}行"
        if r.target is None:
            added.append(inspector_enrolment.add_inspector(actor, r.values, template=f"{batch.filename}（{source}）"))
        elif svc.update_values(actor, r.target, r.values, source=source):
            updated += 1
        else:
            unchanged += 1
    issued = [p for a in added for p in a.issued]
    summary = {
        "文件": batch.filename,
        "模板": check.template.code,
        "新增": len(added),
        "更新": updated,
        "无变化": unchanged,
        "开通权限": sum(1 for a in added if not a.issued),
        "新开通账号": len(issued),
        "跳过问题行": len(check.invalid_rows),
    }
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return ImportResult(summary, issued, added)


def discard_import(actor: User, batch: ImportBatch) -> None:
    """放弃: drop a pending batch and its file."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record(
        "delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor
    )
