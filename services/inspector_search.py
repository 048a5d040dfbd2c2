"""Finding inspectors: the list's filters and pages, certificate states, speciality choices, and
who is eligible for a draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from infrastructure import clock
from models import Department, Inspector, InspectorTag, User, db
from models.inspectors import DutyStatus, TagKind
from models.org import UserStatus
from persistence.scope import subtree_ids
from services.inspectors import MAX_TAG, pick_department
from services.team_work import account_can_do_team_work
from services.templates_catalogue import INSPECTOR_CATEGORIES

PER_PAGE = 20


EXPIRING_DAYS = 30


CERT_STATES = {"valid": "有效", "expiring": f"{EXPIRING_DAYS}日内到期", "expired": "已过期", "missing": "未填写"}


@dataclass
class InspectorFilters:
    keyword: str = ""
    department: Department | None = None
    duty: DutyStatus | None = None
    category: str = ""
    cert: str = ""
    speciality: str = ""
    permission: str = ""  # "yes" / "no"

    def as_args(self) -> dict[str, Any]:
        return {
            "q": self.keyword,
            "department": self.department.id if self.department else "",
            "duty": self.duty.value if self.duty else "",
            "category": self.category,
            "cert": self.cert,
            "speciality": self.speciality,
            "permission": self.permission,
        }


def parse_filters(actor: User, args: Any) -> InspectorFilters:
    """Read list filters from request arguments; values out of range or scope are ignored."""
    filters = InspectorFilters(keyword=(args.get("q") or "").strip()[:50])
    dept = pick_department(actor, args.get("department"))
    if dept is not None:
        filters.department = dept
    if args.get("duty") in {d.value for d in DutyStatus}:
        filters.duty = DutyStatus(args["duty"])
    if args.get("category") in INSPECTOR_CATEGORIES:
        filters.category = args["category"]
    if args.get("cert") in CERT_STATES:
        filters.cert = args["cert"]
    filters.speciality = (args.get("speciality") or "").strip()[:MAX_TAG]
    if args.get("permission") in ("yes", "no"):
        filters.permission = args["permission"]
    return filters


def cert_valid_on(on: date) -> Any:
    return and_(
        Inspector.cert_no != "",
        Inspector.cert_valid_to.is_not(None),
        Inspector.cert_valid_to >= on,
        or_(Inspector.cert_valid_from.is_(None), Inspector.cert_valid_from <= on),
    )


def has_tag(kind: TagKind, value: str) -> Any:
    return exists().where(
        InspectorTag.inspector_id == Inspector.id, InspectorTag.kind == kind.value, InspectorTag.value == value
    )


def search_query(actor: User, filters: InspectorFilters, today: date | None = None) -> Select[Any]:
    today = today or clock.china_today()
    query = select(Inspector).where(
        Inspector.active.is_(True), Inspector.department_id.in_(subtree_ids(actor.department))
    )
    if filters.keyword:
        pattern = "%" + filters.keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Inspector.name.like(pattern, escape="\\"), Inspector.cert_no.like(pattern, escape="\\"))
        )
    if filters.department is not None:
        query = query.where(Inspector.department_id.in_(subtree_ids(filters.department)))
    if filters.duty is not None:
        query = query.where(Inspector.duty == filters.duty)
    if filters.category:
        query = query.where(Inspector.category == filters.category)
    if filters.cert == "valid":
        query = query.where(cert_valid_on(today))
    elif filters.cert == "expiring":
        query = query.where(cert_valid_on(today), Inspector.cert_valid_to <= today + timedelta(days=EXPIRING_DAYS))
    elif filters.cert == "expired":
        query = query.where(Inspector.cert_valid_to < today)
    elif filters.cert == "missing":
        query = query.where(or_(Inspector.cert_no == "", Inspector.cert_valid_to.is_(None)))
    if filters.speciality:
        query = query.where(has_tag(TagKind.SPECIALITY, filters.speciality))
    if filters.permission:
        query = query.where(Inspector.random_permission.is_(filters.permission == "yes"))
    return query


@dataclass
class Page:
    rows: list[Inspector]
    total: int
    page: int
    pages: int


def search(actor: User, filters: InspectorFilters, page: int = 1) -> Page:
    query = search_query(actor, filters)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    page = min(max(1, page), pages)
    rows = list(
        db.session.execute(
            query.options(joinedload(Inspector.department), joinedload(Inspector.user), selectinload(Inspector.tags))
            .join(Department, Department.id == Inspector.department_id)
            .order_by(Department.path, Inspector.name, Inspector.id)
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).unique().scalars()
    )
    return Page(rows, total, page, pages)


def speciality_choices(actor: User) -> list[str]:
    return list(
        db.session.execute(
            select(InspectorTag.value)
            .join(Inspector, Inspector.id == InspectorTag.inspector_id)
            .where(
                InspectorTag.kind == TagKind.SPECIALITY.value,
                Inspector.active.is_(True),
                Inspector.department_id.in_(subtree_ids(actor.department)),
            )
            .distinct()
            .order_by(InspectorTag.value)
        ).scalars()
    )


def cert_state(inspector: Inspector, today: date | None = None) -> str:
    today = today or clock.china_today()
    if not inspector.cert_no or inspector.cert_valid_to is None:
        return "missing"
    if inspector.cert_valid_to < today:
        return "expired"
    if inspector.cert_valid_from is not None and inspector.cert_valid_from > today:
        return "missing"  # not yet valid
    if inspector.cert_valid_to <= today + timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


def drawable_on(on_date: date) -> tuple[ColumnElement[bool], ...]:
    """Who may be drawn on ``on_date`` (the query must join User on Inspector.user_id): in the
    directory, 在岗, holding the 双随机检查权限, a 执法证 valid that day and an active account
    that may do a team member's work.  The draw and 公平性监测 use the same rule."""
    return (
        Inspector.active.is_(True),
        Inspector.duty == DutyStatus.ON,
        Inspector.random_permission.is_(True),
        User.status == UserStatus.ACTIVE,
        account_can_do_team_work(),
        cert_valid_on(on_date),
    )


def eligible_inspectors(
    department: Department,
    on_date: date,
    category: str | None = None,
    area: str | None = None,
    speciality: str | None = None,
    matter: str | None = None,
    until: date | None = None,
) -> list[Inspector]:
    """Inspectors who may be drawn for ``department`` (and the departments below it) on
    ``on_date``: in the directory, 在岗, a 执法证 valid that day (and through ``until``, a
    task's last day, when given), holding the 双随机检查权限 and an active account that may do a
    team member's work (services/team_work: the role the team and records pages ask); optionally
    of one 执法检查人员类别, working in ``area`` (the 监督检查（执法）区域 contains it), with a
    业务专长 or a 监督检查（执法）事项."""
    query = (
        select(Inspector)
        .join(User, User.id == Inspector.user_id)
        .where(Inspector.department_id.in_(subtree_ids(department)), *drawable_on(on_date))
    )
    if until is not None:
        query = query.where(Inspector.cert_valid_to >= until)
    if category:
        query = query.where(Inspector.category == category)
    if area:
        query = query.where(Inspector.area.contains(area, autoescape=True))
    if speciality:
        query = query.where(has_tag(TagKind.SPECIALITY, speciality))
    if matter:
        query = query.where(has_tag(TagKind.MATTER, matter))
    return list(db.session.execute(query.order_by(Inspector.id)).scalars())
