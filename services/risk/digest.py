"""New warnings to the responsible departments' clerks, batched per day (docs/risk_pages.md).

``send_digest(day)`` (``flask risk-digest``, once a day after the nightly run) gathers the
warnings first seen on that China day, by responsible department (``RiskWarning.department``;
a warning without one goes to the supervision departments directly under its entity's
district), and sends each active clerk of the department one message (站内消息, SMS and e-mail
when the user has an address) with the counts per rule and a link to the 风险库 filtered on that
department and day.  Running it again for the same day sends nothing twice: a clerk who already
has that day's message (same link) is skipped.

The same message is the day's entry in the clerk's 我的待办 (``open_digests_query``) until the
clerk opens it (``open_digest``): one entry per department and day, not one per warning.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from infrastructure import clock
from models import Department, MarketEntity, Message, User, UserRole, db
from models.org import DepartmentKind, DepartmentLevel, UserStatus
from models.risk import RiskRule, RiskWarning
from models.roles import Role
from persistence import notifications


@dataclass
class DigestResult:
    day: date
    departments: int = 0
    warnings: int = 0
    messages: int = 0


LINK_PREFIX = "/risk/warnings?department="


def library_link(department_id: int, day: date) -> str:
    """The 风险库 on that department and day (the page's own query string)."""
    return f"{LINK_PREFIX}{department_id}&since={day.isoformat()}&until={day.isoformat()}&status=all"


def open_digests_query(user: User) -> Select[Any]:
    """The user's day digests not opened yet: their entries in 我的待办."""
    return select(Message).where(Message.user_id == user.id, Message.read_at.is_(None),
                                 Message.link.startswith(LINK_PREFIX))


def open_digests(user: User) -> list[Message]:
    if not user.is_authenticated or not user.is_active:
        return []
    return list(db.session.execute(open_digests_query(user).order_by(Message.created_at.desc(), Message.id.desc()))
                .scalars())


def open_digest(user: User, message_id: int) -> str | None:
    """Mark the user's own digest read and give its link (None: not theirs, or not a digest)."""
    message = db.session.get(Message, message_id)
    if message is None or message.user_id != user.id or not message.link.startswith(LINK_PREFIX):
        return None
    if message.read_at is None:
        message.read_at = clock.now()
    return message.link


def _bureaus_under(district_id: int) -> list[int]:
    return list(db.session.execute(
        select(Department.id).where(Department.parent_id == district_id, Department.kind == DepartmentKind.SUPERVISION,
                                    Department.level == DepartmentLevel.BUREAU, Department.active.is_(True))
    ).scalars())


def new_by_department(day: date) -> dict[int, Counter[str]]:
    """Rule names and counts of the warnings first seen on ``day``, by responsible department."""
    start, end = clock.china_day_start(day), clock.china_day_start(day + timedelta(days=1))
    rows = db.session.execute(
        select(RiskWarning.department_id, MarketEntity.department_id, RiskRule.name, func.count())
        .join(MarketEntity, MarketEntity.id == RiskWarning.entity_id)
        .join(RiskRule, RiskRule.id == RiskWarning.rule_id)
        .where(RiskWarning.first_seen_at >= start, RiskWarning.first_seen_at < end)
        .group_by(RiskWarning.department_id, MarketEntity.department_id, RiskRule.name)
    )
    out: dict[int, Counter[str]] = {}
    bureaus: dict[int, list[int]] = {}
    for responsible, district, rule_name, n in rows:
        targets = [responsible] if responsible else bureaus.setdefault(district, _bureaus_under(district))
        for dept in targets:
            out.setdefault(dept, Counter())[rule_name] += n
    return out


def _clerks(department_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.department_id == department_id, UserRole.role == str(Role.CLERK), User.status == UserStatus.ACTIVE)
        .order_by(User.id)
    ).scalars().unique())


def send_digest(day: date | None = None) -> DigestResult:
    """One message per clerk of each department with new warnings on ``day`` (default: today,
    China date); idempotent."""
    day = day or clock.china_today()
    result = DigestResult(day)
    start, end = clock.china_day_start(day), clock.china_day_start(day + timedelta(days=1))
    result.warnings = db.session.execute(select(func.count(RiskWarning.id)).where(
        RiskWarning.first_seen_at >= start, RiskWarning.first_seen_at < end)).scalar_one()
    for department_id, counts in sorted(new_by_department(day).items()):
        link = library_link(department_id, day)
        already = set(db.session.execute(select(Message.user_id).where(Message.link == link)).scalars())
        users = [u for u in _clerks(department_id) if u.id not in already]
        total = sum(counts.values())
        result.departments += 1
        if not users:
            continue
        body = "；".join(f"{name}{n}条" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        notifications.notify(users, f"风险预警：{clock.cn_date(day)}新增{total}条纳入风险库",
                             f"{body}。请在风险库中查看并跟踪处置。", link)
        result.messages += len(users)
    db.session.flush()
    return result
