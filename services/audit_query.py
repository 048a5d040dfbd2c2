"""Searching and exporting the audit trail for the 审计员.

An auditor sees the events of their own department's subtree; only a city-level auditor
also sees the events that belong to no department (failed sign-ins of unknown accounts).
Stored times are naive UTC while users think in China Standard Time (UTC+8, no DST), so a
date the user picks is turned into a half-open UTC interval here, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select

from infrastructure import clock
from infrastructure.excel import Column
from models import AuditEvent, Department, DepartmentLevel, User, db
from persistence.audit import ACTION_LABELS, action_label
from persistence.scope import subtree_ids

PER_PAGE = 50
EXPORT_LIMIT = 100_000
EXPORT_BATCH = 2_000

OBJECT_TYPE_LABELS = {
    "user": "用户",
    "department": "部门",
    "user_role": "角色",
    "process_instance": "流程实例",
    "market_entity": "市场主体",
    "import_batch": "导入批次",
    "audit_event": "审计日志",
    "import": "导入",
    "demo": "演示数据",
}

EXPORT_COLUMNS = [
    Column("时间", 20),
    Column("账号", 16, text=True),
    Column("姓名", 12),
    Column("部门", 24),
    Column("IP地址", 16, text=True),
    Column("操作", 14),
    Column("对象类型", 12),
    Column("对象编号", 12, text=True),
    Column("摘要", 60),
    Column("哈希", 68, text=True),
]


def to_china(value: datetime) -> datetime:
    """A stored naive-UTC time as naive China Standard Time."""
    return clock.to_china(value)  # type: ignore[return-value]


def china_day_start(day: date) -> datetime:
    """The naive-UTC instant at which ``day`` begins in China (the previous day, 16:00 UTC)."""
    return clock.china_day_start(day)


def is_city_level(department: Department) -> bool:
    return department.parent_id is None or department.level == DepartmentLevel.CITY


def scoped_events(user: User, query: Select[Any] | None = None) -> Select[Any]:
    """Restrict an AuditEvent query to what ``user`` (an auditor) may see."""
    query = select(AuditEvent) if query is None else query
    mine = AuditEvent.department_id.in_(subtree_ids(user.department))
    if is_city_level(user.department):
        return query.where(or_(mine, AuditEvent.department_id.is_(None)))
    return query.where(mine)


def scope_departments_for(user: User) -> list[tuple[Department, int]]:
    """The departments an auditor may filter by, in tree order, with their depth below the auditor's."""
    base = user.department.depth
    rows = db.session.execute(
        select(Department).where(Department.path.startswith(user.department.path)).order_by(Department.path)
    ).scalars()
    return [(d, d.depth - base) for d in rows]


def _parse_date(raw: str, label: str, errors: list[str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}格式不正确，应为“年-月-日”，如 2026-01-31")
        return None


@dataclass
class AuditFilter:
    """The page's filter form; the same object drives the list, the pager and the export."""

    date_from: date | None = None
    date_to: date | None = None
    keyword: str = ""
    department_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    ip: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilter:
        errors: list[str] = []
        date_from = _parse_date(args.get("from", ""), "起始日期", errors)
        date_to = _parse_date(args.get("to", ""), "截止日期", errors)
        if date_from and date_to and date_from > date_to:
            errors.append("起始日期不能晚于截止日期")
        department = (args.get("department") or "").strip()
        department_id = None
        if department:
            if department.isdigit():
                department_id = int(department)
            else:
                errors.append("部门选择有误")
        return cls(
            date_from=date_from,
            date_to=date_to,
            keyword=(args.get("q") or "").strip()[:64],
            department_id=department_id,
            action=(args.get("action") or "").strip()[:40],
            object_type=(args.get("object_type") or "").strip()[:40],
            object_id=(args.get("object_id") or "").strip()[:64],
            ip=(args.get("ip") or "").strip()[:45],
            errors=errors,
        )

    def query_args(self) -> dict[str, str]:
        """The non-empty filter fields as URL parameters (pager and export links)."""
        args = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.keyword,
            "department": str(self.department_id) if self.department_id else "",
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip,
        }
        return {k: v for k, v in args.items() if v}

    def describe(self) -> dict[str, str]:
        """The filter in words, for the export's own audit row."""
        words: dict[str, str] = {}
        if self.date_from:
            words["起始日期"] = self.date_from.isoformat()
        if self.date_to:
            words["截止日期"] = self.date_to.isoformat()
        if self.keyword:
            words["账号或姓名"] = self.keyword
        if self.department_id:
            dept = db.session.get(Department, self.department_id)
            words["部门"] = dept.name if dept else str(self.department_id)
        if self.action:
            words["操作"] = action_label(self.action)
        if self.object_type:
            words["对象类型"] = self.object_type
        if self.object_id:
            words["对象编号"] = self.object_id
        if self.ip:
            words["IP地址"] = self.ip
        return words or {"范围": "全部"}

    def apply(self, query: Select[Any], user: User) -> Select[Any]:
        """Add the filter's conditions to a scoped AuditEvent query."""
        if self.date_from:
            query = query.where(AuditEvent.at >= china_day_start(self.date_from))
        if self.date_to:
            query = query.where(AuditEvent.at < china_day_start(self.date_to + timedelta(days=1)))
        if self.keyword:
            query = query.where(
                or_(
                    AuditEvent.user_account.icontains(self.keyword, autoescape=True),
                    AuditEvent.user_name.icontains(self.keyword, autoescape=True),
                )
            )
        if self.department_id:
            dept = db.session.get(Department, self.department_id)
            if dept is None or not dept.is_within(user.department):
                query = query.where(false())
            else:
                query = query.where(AuditEvent.department_id.in_(subtree_ids(dept)))
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.object_type:
            query = query.where(AuditEvent.object_type == self.object_type)
        if self.object_id:
            query = query.where(AuditEvent.object_id == self.object_id)
        if self.ip:
            query = query.where(AuditEvent.ip.startswith(self.ip, autoescape=True))
        return query


def search(user: User, flt: AuditFilter) -> Select[Any]:
    """The auditor's events matching ``flt``, newest first."""
    return flt.apply(scoped_events(user), user).order_by(AuditEvent.id.desc())


def count(user: User, flt: AuditFilter, *, up_to_id: int | None = None) -> int:
    query = flt.apply(scoped_events(user, select(func.count(AuditEvent.id))), user)
    if up_to_id is not None:
        query = query.where(AuditEvent.id <= up_to_id)
    return int(db.session.execute(query).scalar_one())


def last_id() -> int:
    return int(db.session.execute(select(func.max(AuditEvent.id))).scalar() or 0)


def object_type_label(code: str) -> str:
    return OBJECT_TYPE_LABELS.get(code, code)


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "，".join(f"{k}：{_value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_value_text(v) for v in value)
    return str(value)


def summary_pairs(summary: str) -> list[tuple[str, str]] | None:
    """A JSON-object summary as (key, value) pairs; None for a plain-text summary."""
    if not summary.startswith("{"):
        return None
    try:
        data = json.loads(summary)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return [(str(k), _value_text(v)) for k, v in data.items()]


def summary_text(summary: str) -> str:
    """A summary on one line: "key：value；key：value" for JSON, else the text itself."""
    pairs = summary_pairs(summary)
    if pairs is None:
        return summary
    return "；".join(f"{k}：{v}" for k, v in pairs)


_EXPORT_FIELDS = (
    AuditEvent.id,
    AuditEvent.at,
    AuditEvent.user_account,
    AuditEvent.user_name,
    AuditEvent.department_name,
    AuditEvent.ip,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.summary,
    AuditEvent.hash,
)


def export_rows(
    user: User, flt: AuditFilter, *, up_to_id: int, limit: int | None = None, batch: int | None = None
) -> Iterator[list[Any]]:
    """The export's rows, newest first, read in keyset batches of plain tuples so that memory
    stays flat however many rows there are; at most ``limit`` (default EXPORT_LIMIT) rows,
    none after ``up_to_id``."""
    cursor = up_to_id + 1
    left = EXPORT_LIMIT if limit is None else limit
    batch = batch or EXPORT_BATCH
    while left > 0:
        query = scoped_events(user, select(*_EXPORT_FIELDS)).where(AuditEvent.id < cursor)
        rows = db.session.execute(
            flt.apply(query, user).order_by(AuditEvent.id.desc()).limit(min(batch, left))
        ).all()
        if not rows:
            return
        for row in rows:
            yield [
                to_china(row.at),
                row.user_account,
                row.user_name,
                row.department_name,
                row.ip,
                action_label(row.action),
                object_type_label(row.object_type),
                row.object_id,
                summary_text(row.summary),
                row.hash,
            ]
        left -= len(rows)
        cursor = rows[-1].id


def action_choices() -> list[tuple[str, str]]:
    return list(ACTION_LABELS.items())
