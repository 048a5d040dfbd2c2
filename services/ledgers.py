"""工作台账 (DB5101 13.1 表32 上报工作台账, template A.6): the rows a member unit keeps for one
task, typed on a form or imported (services/ledger_import.py), reported to the 联席会议办公室,
and the office's aggregation across units with totals (exported by services/ledger_export.py).

One rule set checks a row whatever its source (``check_values``): 经营者/名称 required, the
yes/no columns 是/否, 联系电话 a telephone number, 罚款金额（万元） a non-negative number with
at most 4 decimals, 填报日期 not after today.  Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_date, parse_decimal, parse_enum
from infrastructure.validators import PHONE_RULE, canonical_phone
from models import ConferenceTask, Department, Ledger, LedgerRow, LedgerStatus, User, db, utcnow
from models.roles import Role
from persistence import audit
from services.plan_queries import today
from services.templates_catalogue import TEMPLATES, YES_NO, Template

A6: Template = TEMPLATES["A.6"]
COLUMNS: tuple[str, ...] = A6.titles
# Column title → LedgerRow attribute, in the template's order.
FIELDS: dict[str, str] = {
    "经营者/名称": "operator",
    "经营地址": "address",
    "经营项目": "business",
    "联系电话": "phone",
    "证照情况": "licence",
    "已下达行政指导文书": "guidance_issued",
    "已引导办证": "licensing_guided",
    "已抄告": "notice_copied",
    "已立案查处": "case_filed",
    "已移送公安机关": "police_transferred",
    "停业关闭": "closed",
    "罚款金额（万元）": "fine",
    "填报日期": "filled_on",
}
FLAGS: tuple[str, ...] = tuple(t for t in COLUMNS if A6.column(t).choices == YES_NO)
FINE = "罚款金额（万元）"
DATE = "填报日期"
_LIMITS = {"经营者/名称": 200, "经营地址": 300, "经营项目": 200, "证照情况": 100}
MAX_FINE = Decimal("99999999")
MAX_ROWS_PER_LEDGER = 5_000

assert tuple(FIELDS) == COLUMNS, "A.6 columns and LedgerRow fields disagree"


# ------------------------------------------------------------------ one row


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return parse_enum(value, YES_NO) == "是"


def check_values(values: Mapping[str, Any], *, on: date | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The LedgerRow fields of one A.6 row (strings from a form, or cells already parsed by
    infrastructure.excel.read_table) and its problems as (column, message)."""
    on = on or today()
    out: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for title in COLUMNS:
        key = FIELDS[title]
        raw = values.get(title)
        try:
            if title in FLAGS:
                out[key] = _flag(raw) if raw not in (None, "") else False
            elif title == FINE:
                fine = parse_decimal(raw)
                if fine is not None:
                    if fine < 0:
                        raise ValueError("罚款金额不能为负数")
                    if fine > MAX_FINE:
                        raise ValueError("罚款金额过大，请以万元为单位填写")
                    if fine.as_tuple().exponent < -4:  # type: ignore[operator]
                        raise ValueError("罚款金额最多保留4位小数（单位万元）")
                out[key] = fine
            elif title == DATE:
                filled = parse_date(raw)
                if filled is not None and filled > on:
                    raise ValueError(f"填报日期不能晚于今天（{on.isoformat()}）")
                out[key] = filled
            elif title == "联系电话":
                text = str(raw or "").strip()
                if text:
                    phone = canonical_phone(text)
                    if phone is None:
                        raise ValueError(PHONE_RULE)
                    text = phone
                out[key] = text
            else:
                text = str(raw or "").strip()
                if title == "经营者/名称" and not text:
                    raise ValueError("必填")
                if len(text) > _LIMITS[title]:
                    raise ValueError(f"不能超过{_LIMITS[title]}个字")
                out[key] = text
        except ValueError as exc:
            out[key] = None
            errors.append((title, str(exc)))
    return out, errors


def row_values(row: LedgerRow) -> list[Any]:
    """The 13 cells of a row as the template writes them (是/否 for the flags)."""
    cells: list[Any] = []
    for title in COLUMNS:
        value = getattr(row, FIELDS[title])
        if title in FLAGS:
            value = "是" if value else "否"
        cells.append(value)
    return cells


# ------------------------------------------------------------------ who may do what


def concerned_task_ids(department_id: int, task_ids: Iterable[int] | None = None) -> set[int]:
    from models import TaskUnit

    stmt = select(TaskUnit.task_id).where(TaskUnit.department_id == department_id)
    if task_ids is not None:
        stmt = stmt.where(TaskUnit.task_id.in_(list(task_ids)))
    return set(db.session.execute(stmt).scalars())


def is_concerned(task: ConferenceTask, department_id: int) -> bool:
    return any(u.department_id == department_id for u in task.units)


def can_report(user: User, task: ConferenceTask) -> bool:
    """A liaison of a member unit the task concerns."""
    return user.is_active and user.has_role(Role.MEMBER_LIAISON) and is_concerned(task, user.department_id)


def ledger_for(task: ConferenceTask, department_id: int) -> Ledger | None:
    return db.session.execute(
        select(Ledger).where(Ledger.task_id == task.id, Ledger.department_id == department_id)
    ).scalar_one_or_none()


def _signed(task: ConferenceTask, department_id: int) -> bool:
    unit = next((u for u in task.plan.units if u.department_id == department_id), None)
    return unit is not None and unit.signed_at is not None


def open_ledger(user: User, task: ConferenceTask) -> Ledger:
    """The unit's ledger for ``task``, created empty on first use.  Refused for a task the unit
    is not concerned by, before the unit has signed, or once the ledger is reported."""
    if not can_report(user, task):
        raise Forbidden("本单位不是该任务涉及的成员单位，不能上报工作台账")
    if not _signed(task, user.department_id):
        raise Conflict("请先签收计划及任务，再填报工作台账")
    ledger = ledger_for(task, user.department_id)
    if ledger is None:
        ledger = Ledger(task_id=task.id, department_id=user.department_id, status=LedgerStatus.DRAFT.value)
        db.session.add(ledger)
        db.session.flush()
    return ledger


def check_editable(user: User, ledger: Ledger, version: int | None) -> None:
    if not can_report(user, ledger.task) or ledger.department_id != user.department_id:
        raise Forbidden("只有本成员单位的联络员可以填报该工作台账")
    if ledger.reported:
        raise Conflict("该工作台账已上报，不能再修改")
    if version is not None and version != ledger.lock_version:
        raise Conflict("该工作台账已被他人修改，请刷新页面后重试")


def _bump(ledger: Ledger) -> None:
    ledger.lock_version += 1


def add_rows(ledger: Ledger, rows: Sequence[Mapping[str, Any]], *, source: str) -> int:
    """Append checked rows (LedgerRow fields) after the ledger's last row."""
    count = db.session.execute(select(func.count()).where(LedgerRow.ledger_id == ledger.id)).scalar_one()
    if count + len(rows) > MAX_ROWS_PER_LEDGER:
        raise Invalid(f"一份工作台账最多{MAX_ROWS_PER_LEDGER}行（已有{count}行）")
    last = db.session.execute(select(func.max(LedgerRow.position)).where(LedgerRow.ledger_id == ledger.id)).scalar()
    position = (last or 0) + 1
    db.session.add_all(
        LedgerRow(ledger_id=ledger.id, position=position + i, source=source, **fields) for i, fields in enumerate(rows)
    )
    db.session.flush()
    db.session.expire(ledger, ["rows"])
    return len(rows)


def add_row(user: User, ledger: Ledger, values: Mapping[str, Any], *, version: int | None) -> LedgerRow:
    """One row typed on the form; Invalid naming the first problem, nothing written."""
    check_editable(user, ledger, version)
    fields, errors = check_values(values)
    if errors:
        title, message = errors[0]
        raise Invalid(f"{title}：{message}", FIELDS[title])
    add_rows(ledger, [fields], source="form")
    _bump(ledger)
    row = ledger.rows[-1]
    audit.record("create", object_type="conference_ledger", object_id=ledger.id,
                 summary={"任务": ledger.task.title, "经营者/名称": row.operator}, user=user)
    return row


def delete_row(user: User, ledger: Ledger, row_id: int, *, version: int | None) -> None:
    check_editable(user, ledger, version)
    row = next((r for r in ledger.rows if r.id == row_id), None)
    if row is None:
        raise Invalid("未找到该行，可能已被删除")
    db.session.delete(row)
    _bump(ledger)
    db.session.flush()
    audit.record("delete", object_type="conference_ledger", object_id=ledger.id,
                 summary={"任务": ledger.task.title, "经营者/名称": row.operator}, user=user)


def report(user: User, ledger: Ledger, *, version: int | None) -> None:
    """上报工作台账: the ledger becomes read-only and counts in the office's aggregation."""
    check_editable(user, ledger, version)
    if not ledger.rows:
        raise Invalid("工作台账没有任何记录，不能上报：请先填写或导入台账行")
    ledger.status = LedgerStatus.REPORTED.value
    ledger.reported_at = utcnow()
    ledger.reported_by_id = user.id
    _bump(ledger)
    db.session.flush()
    audit.record("report", object_type="conference_ledger", object_id=ledger.id,
                 summary={"任务": ledger.task.title, "单位": ledger.department.name, "行数": len(ledger.rows)},
                 user=user)


# ------------------------------------------------------------------ aggregation


def amount(value: Decimal | None) -> str:
    """罚款金额 as text: 1.5, 210 (never 2.1E+2), "" for none."""
    return "" if value is None else format(value.normalize(), "f")


@dataclass
class Totals:
    rows: int = 0
    flags: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAGS, 0))
    fine: Decimal = Decimal(0)

    def add(self, row: LedgerRow) -> None:
        self.rows += 1
        for title in FLAGS:
            if getattr(row, FIELDS[title]):
                self.flags[title] += 1
        if row.fine is not None:
            self.fine += row.fine

    def merge(self, other: Totals) -> None:
        self.rows += other.rows
        for title in FLAGS:
            self.flags[title] += other.flags[title]
        self.fine += other.fine

    def cells(self, label: str) -> list[Any]:
        """A totals row under the 13 columns: the label, the counts of 是, the fines' sum."""
        out: list[Any] = [f"{label}（{self.rows}户）", "", "", "", ""]
        out.extend(self.flags[t] for t in FLAGS)
        out.extend([self.fine, ""])
        return out


@dataclass
class UnitLedger:
    department: Department
    task: ConferenceTask
    ledger: Ledger
    totals: Totals


@dataclass
class Aggregate:
    title: str
    units: list[UnitLedger]
    totals: Totals

    @property
    def row_count(self) -> int:
        return self.totals.rows


def aggregate(tasks: Sequence[ConferenceTask], *, title: str) -> Aggregate:
    """The reported ledgers of ``tasks`` by unit (in the tasks' unit order), each with its
    subtotal, and the grand total.  Drafts do not count."""
    task_ids = [t.id for t in tasks]
    ledgers = db.session.execute(
        select(Ledger)
        .where(Ledger.task_id.in_(task_ids), Ledger.status == LedgerStatus.REPORTED.value)
        .options(selectinload(Ledger.rows), selectinload(Ledger.department))
    ).scalars().all()
    by_key = {(lg.task_id, lg.department_id): lg for lg in ledgers}
    units: list[UnitLedger] = []
    grand = Totals()
    for task in tasks:
        for tu in task.units:
            lg = by_key.get((task.id, tu.department_id))
            if lg is None:
                continue
            totals = Totals()
            for row in lg.rows:
                totals.add(row)
            grand.merge(totals)
            units.append(UnitLedger(tu.department, task, lg, totals))
    return Aggregate(title, units, grand)
