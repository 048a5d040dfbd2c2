"""Plans: who sees which, the lists and filters, a plan's process instance and the user's steps,
its items and parties, and what is published of it (公开抽查计划)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from infrastructure import clock
from models import (
    CheckItem,
    CheckItemPart,
    Department,
    ItemKind,
    ItemStatus,
    Plan,
    PlanItem,
    PlanKind,
    PlanParty,
    PlanStatus,
    PlanType,
    ProcessInstance,
    User,
    WorkItem,
    db,
)
from models.org import DepartmentKind
from models.roles import Role
from models.workflow import InstanceStatus
from persistence.org import region_root
from persistence.scope import subtree_ids
from services.joint_item_queries import last_comment, like_pattern
from services.plan_elements import (
    SEP,
)
from workflows import subjects
from workflows.registry import get_process

SUBJECT = "plan"


SINGLE = 19


JOINT = 21


TABLES = (SINGLE, JOINT)


EDIT_ROLES = (Role.CLERK, Role.DEPT_LEADER)


VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.CONFERENCE_OFFICE)


DUE_MONTH, DUE_DAY = 3, 31  # seed 003: 年度联合抽查工作计划应在3月31日前…向社会公开
WARN_FROM_MONTH = 3  # the warning shows from 1 March


# Steps whose forms are on the plan's page (workflows.bindings business_steps).
BUSINESS_STEPS: dict[int, tuple[str, ...]] = {
    SINGLE: ("draft", "elements"),
    JOINT: ("select", "consult", "feedback", "form", "submit", "review", "adjust"),
}


def today() -> date:
    """The working day: ``PLANS_TODAY`` in the app config (tests), else today in China."""
    if has_app_context():
        configured = current_app.config.get("PLANS_TODAY")
        if configured:
            return configured if isinstance(configured, date) else date.fromisoformat(str(configured))
    return clock.china_today()


def is_office_user(user: User) -> bool:
    return user.has_role(Role.CONFERENCE_OFFICE) and user.department.kind == DepartmentKind.CONFERENCE_OFFICE


def office_area(user: User) -> Department:
    return user.department.parent or user.department


def visible_query(user: User) -> Select[tuple[Plan]]:
    """Plans a user may open: their department's (and below), those their department takes
    part in, the published ones of their area, and all of the area for its conference office."""
    mine = subtree_ids(user.department)
    conditions = [
        Plan.department_id.in_(mine),
        exists().where(PlanParty.plan_id == Plan.id, PlanParty.department_id.in_(mine)),
        (Plan.status == PlanStatus.PUBLISHED) & Plan.department_id.in_(subtree_ids(region_root(user.department))),
    ]
    if is_office_user(user):
        conditions.append(Plan.department_id.in_(subtree_ids(office_area(user))))
    return select(Plan).where(or_(*conditions))


def can_view(user: User, plan: Plan) -> bool:
    if not user.has_role(*VIEW_ROLES):
        return False
    return db.session.execute(
        visible_query(user).with_only_columns(Plan.id).where(Plan.id == plan.id)
    ).first() is not None


def is_owner(user: User, plan: Plan) -> bool:
    """The 监管部门 / 发起部门's clerk or leader."""
    return user.department_id == plan.department_id and user.has_role(*EDIT_ROLES)


def instances_of(plan: Plan) -> list[ProcessInstance]:
    return subjects.instances(SUBJECT, plan.id)


def active_instance(plan: Plan) -> ProcessInstance | None:
    return subjects.latest_instance(SUBJECT, plan.id, active=True)


def my_steps(user: User, inst: ProcessInstance | None) -> dict[str, WorkItem]:
    return subjects.open_steps(user, inst, BUSINESS_STEPS)


def return_reason(plan: Plan) -> str:
    """The conference office's reason while the initiator 调整抽查计划."""
    inst = active_instance(plan)
    if inst is None or inst.current_step != "adjust":
        return ""
    return last_comment(inst, "review", "return")


def single_item_choices(department_id: int) -> list[CheckItem]:
    """The department's published single items (表19 抽查事项)."""
    return list(db.session.execute(
        select(CheckItem)
        .where(
            CheckItem.kind == ItemKind.SINGLE,
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.department_id == department_id,
        )
        .order_by(CheckItem.name, CheckItem.id)
    ).scalars())


def joint_item_choices(department_id: int) -> list[CheckItem]:
    """The published joint items the department initiates (表21 选择…抽查事项)."""
    return list(db.session.execute(
        select(CheckItem)
        .where(
            CheckItem.kind == ItemKind.JOINT,
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.department_id == department_id,
        )
        .options(selectinload(CheckItem.parts).joinedload(CheckItemPart.department))
        .order_by(CheckItem.name, CheckItem.id)
    ).scalars())


def plan_items(plan: Plan) -> list[CheckItem]:
    """The distinct items the plan covers."""
    seen: dict[int, CheckItem] = {}
    for row in plan.items:
        seen.setdefault(row.item_id, row.item)
    return list(seen.values())


def participants(plan: Plan) -> list[PlanParty]:
    return [p for p in plan.parties if p.role == "participant"]


def period_text(plan: Plan) -> str:
    if plan.start_date and plan.end_date:
        return f"{plan.start_date.isoformat()}至{plan.end_date.isoformat()}"
    return ""


def ratio_text(plan: Plan) -> str:
    return "" if plan.ratio is None else f"{plan.ratio.normalize():f}%"


def own_item_names(plan: Plan) -> str:
    return SEP.join(dict.fromkeys(r.item.name for r in plan.items if r.department_id == plan.department_id))


def partner_names(plan: Plan) -> str:
    return SEP.join(p.department.name for p in participants(plan))


def partner_item_text(plan: Plan) -> str:
    """参与部门抽查事项及实施层级: each participant's own tasks of the items, with its levels."""
    rows: list[str] = []
    for party in participants(plan):
        texts: list[str] = []
        for row in plan.items:
            if row.department_id != party.department_id:
                continue
            part = next((p for p in row.item.parts if p.department_id == party.department_id), None)
            task = part.tasks if part and part.tasks else row.item.name
            texts.append(task + (f"（{row.levels}）" if row.levels else ""))
        rows.append(f"{party.department.name}：{'；'.join(texts)}")
    return "；".join(rows)


def public_payload(plan: Plan) -> dict[str, Any]:
    """The A.2.1 / D.1 columns under their titles (no internal keys)."""
    payload: dict[str, Any] = {
        "计划类别": plan.kind.label,  # 单部门 / 部门联合
        "计划类型": plan.plan_type.label,
        "计划年度": str(plan.year),
        "计划名称": plan.name,
        "检查对象": plan.objects,
        ("发起部门" if plan.kind == PlanKind.JOINT else "监管部门"): plan.department.name,
    }
    if plan.kind == PlanKind.JOINT:
        payload["参与部门"] = partner_names(plan)
    payload.update({
        "抽查户数": "" if plan.sample_size is None else str(plan.sample_size),
        "检查方式": plan.methods,
        "实施层级": plan.levels,
        "抽查比例": ratio_text(plan),
        "起止时间": period_text(plan),
        ("发起部门抽查事项" if plan.kind == PlanKind.JOINT else "抽查事项"): own_item_names(plan),
    })
    if plan.kind == PlanKind.JOINT:
        payload["参与部门抽查事项及实施层级"] = partner_item_text(plan)
    if plan.note:
        payload["备注"] = plan.note
    return payload


@dataclass
class PlanFilters:
    year: int | None = None
    kind: str = ""
    status: str = ""
    plan_type: str = ""
    q: str = ""

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


PER_PAGE = 30


def parse_filters(args: Mapping[str, Any]) -> PlanFilters:
    def text(key: str) -> str:
        value = args.get(key)
        return value.strip() if isinstance(value, str) else ""

    year = text("year")
    kind, status, plan_type = text("kind"), text("status"), text("type")
    return PlanFilters(
        year=int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None,
        kind=kind if kind in {k.value for k in PlanKind} else "",
        status=status if status in {s.value for s in PlanStatus} else "",
        plan_type=plan_type if plan_type in {t.value for t in PlanType} else "",
        q=text("q")[:100],
    )


def list_query(user: User, filters: PlanFilters | None = None) -> Select[tuple[Plan]]:
    filters = filters or PlanFilters()
    query = visible_query(user).options(joinedload(Plan.department))
    if filters.year:
        query = query.where(Plan.year == filters.year)
    if filters.kind:
        query = query.where(Plan.kind == filters.kind)
    if filters.status:
        query = query.where(Plan.status == filters.status)
    if filters.plan_type:
        query = query.where(Plan.plan_type == filters.plan_type)
    if filters.q:
        query = query.where(Plan.name.like(like_pattern(filters.q), escape="\\"))
    return query.order_by(Plan.year.desc(), Plan.id.desc())


def current_steps(plans: Sequence[Plan]) -> dict[int, str]:
    if not plans:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.subject_id, ProcessInstance.process_table, ProcessInstance.current_step).where(
            ProcessInstance.subject_type == SUBJECT,
            ProcessInstance.subject_id.in_([p.id for p in plans]),
            ProcessInstance.status == InstanceStatus.ACTIVE,
        )
    ).all()
    return {sid: get_process(table).step_name(step) for sid, table, step in rows if step}


def plans_for_export(user: User, year: int | None, ids: Iterable[int] = (), *, kind: PlanKind | None = None,
                     plan_type: PlanType | None = None) -> list[Plan]:
    """Visible plans chosen by id, else those of ``year``; oldest first."""
    query = visible_query(user).options(
        joinedload(Plan.department),
        selectinload(Plan.items).joinedload(PlanItem.item).selectinload(CheckItem.parts),
        selectinload(Plan.parties).joinedload(PlanParty.department),
    )
    chosen = [int(i) for i in ids]
    if chosen:
        query = query.where(Plan.id.in_(chosen))
    elif year:
        query = query.where(Plan.year == year)
    if kind is not None:
        query = query.where(Plan.kind == kind)
    if plan_type is not None:
        query = query.where(Plan.plan_type == plan_type)
    return list(db.session.execute(query.order_by(Plan.id)).unique().scalars())


def annual_plan_warning(user: User, on: date | None = None) -> str:
    """Seed 003: from 1 March, a department that initiates published joint items and has no
    published annual joint plan for the year is reminded; after 31 March it is overdue.
    One query."""
    on = on or today()
    if on.month < WARN_FROM_MONTH or not user.is_authenticated or not user.has_role(*EDIT_ROLES):
        return ""
    dept = user.department_id
    initiates = exists().where(
        CheckItem.kind == ItemKind.JOINT, CheckItem.status == ItemStatus.PUBLISHED, CheckItem.department_id == dept
    )
    published = exists().where(
        Plan.kind == PlanKind.JOINT,
        Plan.plan_type == PlanType.ANNUAL,
        Plan.status == PlanStatus.PUBLISHED,
        Plan.year == on.year,
        Plan.department_id == dept,
    )
    if not db.session.execute(select(initiates & ~published)).scalar():
        return ""
    due = date(on.year, DUE_MONTH, DUE_DAY)
    if on > due:
        return f"本部门{on.year}年度联合抽查工作计划已逾期：应在{DUE_MONTH}月{DUE_DAY}日前公开，至今尚未公开"
    return f"本部门尚未公开{on.year}年度联合抽查工作计划：应在{DUE_MONTH}月{DUE_DAY}日前向社会公开"
