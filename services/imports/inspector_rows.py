"""The rows of an A.5 or C.1 upload checked against the 执法检查人员名录库 (the inspectors
import kind, services/imports/inspectors.py).

Every row gets the form's own field rules (services.inspectors.check_values), the 单位/科室
lookup in the clerk's subtree and duplicates within the file (A.5: 身份证号 and 电话号码;
C.1: 电话), marked before the field rules so a repeated key is the only message of its
column.  A row whose 身份证号 is already in the directory updates that entry (表18; its blank
cells keep the stored values), and so does a row whose 电话号码 is that of an entry without
ID number (imported from C.1), which gets the ID number.

C.1 has no ID number: a row is the directory entry with the same mobile number (电话) in the
clerk's district, updated if there is one, else a new entry without ID number.  所属区县 must
be the clerk's district, 所属部门 a supervision department of the clerk's area (by name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from infrastructure.excel import Row, mark_duplicates
from models import Department, Inspector, User, db
from persistence.org import region_root
from persistence.scope import subtree_ids
from services import inspectors as svc
from services.imports.framework import ImportRow

# A.5 column → field of services.inspectors.check_values
COLUMN_FIELDS = {
    "姓名": "name", "身份证号": "id_number", "性别": "sex", "电话号码": "mobile", "监督检查（执法）区域": "area",
    "执法检查人员类别": "category", "发证机关": "cert_issuer", "执法证编号": "cert_no",
    "执法证有效期起": "cert_valid_from", "执法证有效期止": "cert_valid_to", "填报日期": "reported_on",
    "科室": "section", "监督检查（执法）事项": "matters", "在岗状态": "duty",
}
FIELD_COLUMNS = {v: k for k, v in COLUMN_FIELDS.items()} | {"department_id": "单位"}
# C.1 column → field (序号, 所属区县 and 所属部门 are read apart)
C1_FIELDS = {"姓名": "name", "电话": "mobile", "人员类别": "category", "业务专长": "specialities"}
C1_FIELD_COLUMNS = {v: k for k, v in C1_FIELDS.items()} | {"department_id": "所属部门"}
NO_UNIT = "部门不存在、已停用或不在您的管理范围内（名称须与系统中的部门全称一致）"
SAME_NAME = "有多个同名部门，无法确定，请联系系统管理员"


@dataclass
class Entry:
    """A valid row: the entry's values, the entry it updates (None: a new one) and whether
    表17 will open an account for it."""

    values: svc.InspectorValues
    target: Inspector | None
    new_account: bool


def _departments(actor: User) -> dict[str, list[Department]]:
    by_name: dict[str, list[Department]] = {}
    for d in svc.departments_for(actor):
        by_name.setdefault(d.name, []).append(d)
    return by_name


def _unit(row: Row, column: str, by_name: dict[str, list[Department]]) -> Department | None:
    name = (row.get(column) or "").strip()
    matches = by_name.get(name, [])
    if len(matches) > 1:
        row.add_error(column, SAME_NAME)
    elif name and not matches:
        row.add_error(column, NO_UNIT)
    return matches[0] if len(matches) == 1 else None


def _section(row: Row, unit: Department | None, by_name: dict[str, list[Department]]) -> Department | None:
    """The 科室 below the 单位 when the file names one the clerk manages, else the 单位."""
    section = (row.get("科室") or "").strip()
    if unit is None or not section:
        return unit
    below = [d for d in by_name.get(section, []) if d.is_within(unit) and d.id != unit.id]
    return below[0] if len(below) == 1 else unit


def _stored(base: Inspector | None) -> dict[str, Any]:
    """An entry's values as form fields (what an update's blank cells keep)."""
    if base is None:
        return {}
    keys = ("name", "sex", "mobile", "area", "category", "cert_issuer", "cert_no", "cert_valid_from", "cert_valid_to",
            "reported_on", "section", "matters", "post", "note", "specialities", "qualifications")
    return {**{k: getattr(base, k) for k in keys}, "duty": base.duty.value, "id_number": base.id_number or ""}


def _fields(row: Row, fields: dict[str, str], base: Inspector | None) -> dict[str, Any]:
    """The row's cells as form fields; for an update, blank cells keep the stored values."""
    raw = _stored(base)
    raw.update({key: row.get(title) for title, key in fields.items() if row.get(title) not in (None, "")})
    return raw


def _attach(row: Row, errors: dict[str, str], columns: dict[str, str]) -> None:
    """The field rules' errors on their columns, unless the column already has one."""
    flagged = {c for c, _ in row.errors}
    for key, message in errors.items():
        column = columns.get(key, svc.TITLES.get(key, key))
        if column not in flagged:
            row.add_error(column, message)


def _by(what: Any, values: list[str], *where: Any, column: Any = None) -> list[Any]:
    """``what`` (a column or a model) where ``column`` (default ``what``) is one of ``values``."""
    if not values:
        return []
    key = what if column is None else column
    return list(db.session.execute(select(what).where(key.in_(values), *where)).scalars())


def _active_with(mobiles: list[str]) -> list[Inspector]:
    """The directory's entries holding one of ``mobiles``."""
    if not mobiles:
        return []
    query = select(Inspector).where(Inspector.mobile.in_(mobiles), Inspector.active.is_(True))
    return list(db.session.execute(query).scalars())


def check_a5(actor: User, rows: list[Row]) -> list[ImportRow]:
    mark_duplicates(rows, "身份证号")
    mark_duplicates(rows, "电话号码")
    by_name = _departments(actor)
    ids = [r.get("身份证号") for r in rows if r.get("身份证号")]
    mobiles = [r.get("电话号码") for r in rows if r.get("电话号码")]
    existing = {e.id_number: e for e in _by(Inspector, ids, column=Inspector.id_number)}
    user_ids = set(_by(User.id_number, ids))
    user_mobiles = set(_by(User.mobile, mobiles))
    holders = {e.mobile: e for e in _active_with(mobiles)}
    checked: list[ImportRow] = []
    for row in rows:
        checked.append(ImportRow(row))
        department = _section(row, _unit(row, "单位", by_name), by_name)
        current = existing.get(row.get("身份证号") or "")
        target = current if current is not None and current.active else None
        holder = holders.get(row.get("电话号码") or "")
        if current is None and holder is not None and holder.id_number is None \
                and holder.department.is_within(actor.department):
            target = holder  # an entry imported from C.1 (no ID number): A.5 completes it
        if target is not None and not target.department.is_within(actor.department):
            row.add_error("身份证号", f"该人员已在其他部门的执法检查人员名录库中（{target.department.name}），不能由您更新")
            continue
        raw = _fields(row, COLUMN_FIELDS, target)
        raw["id_number"] = row.get("身份证号") or ""
        values, errors = svc.check_values(raw, department)
        _attach(row, errors, FIELD_COLUMNS)
        if values is not None and holder is not None and (target is None or holder.id != target.id):
            row.add_error("电话号码", f"已被名录库中的另一人使用（{holder.name}）")
        if values is not None and row.valid:
            new = target is None and values.id_number not in user_ids and values.mobile not in user_mobiles
            checked[-1].payload = Entry(values, target, new)
    return checked


def check_c1(actor: User, rows: list[Row]) -> list[ImportRow]:
    mark_duplicates(rows, "电话")
    district = region_root(actor.department)
    by_name = _departments(actor)
    mobiles = [r.get("电话") for r in rows if r.get("电话")]
    holders: dict[str, list[Inspector]] = {}
    for entry in _active_with(mobiles):
        holders.setdefault(entry.mobile, []).append(entry)
    user_mobiles = set(_by(User.mobile, mobiles, User.department_id.in_(subtree_ids(district))))
    checked: list[ImportRow] = []
    for row in rows:
        checked.append(ImportRow(row))
        county = (row.get("所属区县") or "").strip()
        if county and county != district.name:
            row.add_error("所属区县", f"应为您所在的区县（{district.name}）：只能导入本区县的执法人员")
        department = _unit(row, "所属部门", by_name)
        found = holders.get(row.get("电话") or "", [])
        here = [e for e in found if e.department.is_within(district)]
        target = here[0] if len(here) == 1 else None
        if found and not here:
            other = found[0]
            row.add_error("电话", f"已被其他区县执法检查人员名录库中的另一人使用（{other.department.name}，{other.name}）")
        elif target is not None and not target.department.is_within(actor.department):
            row.add_error("电话", f"该人员已在其他部门的执法检查人员名录库中（{target.department.name}），不能由您更新")
        if target is not None and department is None and not (row.get("所属部门") or "").strip():
            department = target.department
        values, errors = svc.check_values(_fields(row, C1_FIELDS, target), department, id_required=False)
        _attach(row, errors, C1_FIELD_COLUMNS)
        if values is not None and row.valid:
            checked[-1].payload = Entry(values, target, target is None and values.mobile not in user_mobiles)
    return checked
