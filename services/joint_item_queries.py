"""Joint items: who sees which, the lists and filters, an item's process instance and the user's
steps, the deletion notices, and what is published of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    CheckItem,
    CheckItemPart,
    Department,
    ItemKind,
    ItemStatus,
    PartRole,
    ProcessInstance,
    User,
    WorkItem,
    db,
)
from models.org import DepartmentKind
from models.roles import Role
from models.workflow import InstanceParty, InstanceStatus
from persistence.org import region_root
from persistence.scope import subtree_ids
from services.entity_fields import INDUSTRY_SECTIONS
from services.joint_item_drafts import (
    SEP,
    industry_label,
)
from workflows import subjects
from workflows.registry import get_process

SUBJECT = "joint_item"


PUBLIC_SUBJECT = "check_item"
ADD, EDIT, DELETE = 12, 13, 14
TABLES = (ADD, EDIT, DELETE)


EDIT_ROLES = (Role.CLERK, Role.DEPT_LEADER)


VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.CONFERENCE_OFFICE, Role.INSPECTOR)


# Steps whose forms are on the joint item's page (workflows.bindings business_steps).
BUSINESS_STEPS: dict[int, tuple[str, ...]] = {
    ADD: ("add", "consult", "participate", "own_list", "submit", "review", "terminate"),
    EDIT: ("select", "consult", "participate", "own_list", "collect", "submit", "review", "terminate"),
    DELETE: ("select", "notify", "submit", "review", "delete"),
}


def is_office_user(user: User) -> bool:
    return user.has_role(Role.CONFERENCE_OFFICE) and user.department.kind == DepartmentKind.CONFERENCE_OFFICE


def area_of_office(user: User) -> Department:
    parent = user.department.parent
    return parent if parent is not None else user.department


def visible_query(user: User) -> Select[tuple[CheckItem]]:
    """Joint items a user may open: their own department's (or below), those their department
    takes part in, those of their area when they are its conference office, and the published
    ones of their area (they are public anyway)."""
    mine = subtree_ids(user.department)
    area = subtree_ids(region_root(user.department))
    party = exists().where(CheckItemPart.item_id == CheckItem.id, CheckItemPart.department_id.in_(mine))
    instance_party = exists().where(
        ProcessInstance.subject_type == SUBJECT,
        ProcessInstance.subject_id == CheckItem.id,
        InstanceParty.instance_id == ProcessInstance.id,
        InstanceParty.department_id.in_(mine),
    )
    conditions = [
        CheckItem.department_id.in_(mine),
        party,
        instance_party,
        (CheckItem.status.in_((ItemStatus.PUBLISHED, ItemStatus.DELETED))) & CheckItem.department_id.in_(area),
    ]
    if is_office_user(user):
        conditions.append(CheckItem.department_id.in_(subtree_ids(area_of_office(user))))
    return select(CheckItem).where(CheckItem.kind == ItemKind.JOINT, or_(*conditions))


def can_view(user: User, item: CheckItem) -> bool:
    if item.kind != ItemKind.JOINT or not user.has_role(*VIEW_ROLES):
        return False
    return db.session.execute(
        visible_query(user).with_only_columns(CheckItem.id).where(CheckItem.id == item.id)
    ).first() is not None


def is_initiator(user: User, item: CheckItem) -> bool:
    return user.department_id == item.department_id and user.has_role(*EDIT_ROLES)


def instances_of(item: CheckItem) -> list[ProcessInstance]:
    return subjects.instances(SUBJECT, item.id)


def active_instance(item: CheckItem) -> ProcessInstance | None:
    return subjects.latest_instance(SUBJECT, item.id, active=True)


def my_steps(user: User, inst: ProcessInstance | None) -> dict[str, WorkItem]:
    """The steps of ``inst`` the user holds an open work item at, with that item."""
    return subjects.open_steps(user, inst, BUSINESS_STEPS)


def last_comment(inst: ProcessInstance | None, step_key: str, action: str | None = None) -> str:
    if inst is None:
        return ""
    for h in reversed(inst.history):
        if h.step_key == step_key and (action is None or h.action == action) and h.comment:
            return h.comment
    return ""


def return_reason(item: CheckItem) -> str:
    """The conference office's reason, while the initiator decides 判断是否终止 / 重新选择."""
    inst = active_instance(item)
    if inst is None or inst.current_step not in ("terminate", "select", "own_list", "collect", "submit"):
        return ""
    for h in reversed(inst.history):
        if h.step_key == "review":
            return h.comment if h.action == "return" else ""
    return ""


def delete_reason(item: CheckItem) -> str:
    inst = active_instance(item)
    if inst is None or inst.process_table != DELETE:
        return ""
    return last_comment(inst, "select")


def deletion_notified(item: CheckItem) -> bool:
    """表14 告知参与部门 has been done and the deletion is under way."""
    inst = active_instance(item)
    return inst is not None and inst.process_table == DELETE and any(
        h.step_key == "notify" and h.action == "next" for h in inst.history
    )


def own_single_items(user: User) -> list[CheckItem]:
    """The department's own published single items (表7 注: usable as its implementation list)."""
    return list(
        db.session.execute(
            select(CheckItem)
            .where(
                CheckItem.kind == ItemKind.SINGLE,
                CheckItem.status == ItemStatus.PUBLISHED,
                CheckItem.department_id == user.department_id,
            )
            .order_by(CheckItem.name)
        ).scalars()
    )


def deletion_notices(user: User) -> list[CheckItem]:
    """Items the user's department takes part in whose initiator has told it of a deletion."""
    rows = db.session.execute(
        select(CheckItem)
        .join(ProcessInstance, (ProcessInstance.subject_id == CheckItem.id) & (ProcessInstance.subject_type == SUBJECT))
        .where(
            CheckItem.kind == ItemKind.JOINT,
            ProcessInstance.process_table == DELETE,
            ProcessInstance.status == InstanceStatus.ACTIVE,
            exists().where(
                CheckItemPart.item_id == CheckItem.id,
                CheckItemPart.department_id == user.department_id,
                CheckItemPart.role == PartRole.PARTICIPANT,
            ),
        )
    ).scalars()
    return [item for item in dict.fromkeys(rows) if deletion_notified(item)]


def public_payload(item: CheckItem) -> dict[str, Any]:
    """The A.1.2 fields under their titles, and each department's part."""
    parts = [p for p in item.parts if not p.declined]
    own = next((p for p in parts if p.role == PartRole.INITIATOR), None)
    others = [p for p in parts if p.role == PartRole.PARTICIPANT]
    return {
        "清单类型": "部门联合",
        "联合抽查事项": item.name,
        "检查对象": item.objects,
        "发起部门": item.department.name,
        "参与部门": SEP.join(p.department.name for p in others),
        "检查方式": item.methods,
        "实施层级": item.levels,
        "发起部门抽查事项": own.tasks if own else "",
        "参与部门抽查事项及实施层级": "；".join(
            f"{p.department.name}：{p.tasks}" + (f"（{p.levels}）" if p.levels else "") for p in others
        ),
        "抽查领域": item.domain,
        "行业": industry_label(item.industry_code),
        # Every value is text, so that any public list or CSV shows it as it is.
        "各部门实施清单": "；".join(
            f"{p.department.name}（{p.role.label}）：{p.tasks}" + (f"（{p.levels}）" if p.levels else "")
            for p in parts
        ),
    }


@dataclass
class JointFilters:
    """The list's filters, kept in the query string across pages."""

    q: str = ""
    status: str = ""
    side: str = ""  # "" all, "initiated" 本部门发起, "participating" 本部门参与

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


SIDES = {"initiated": "本部门发起", "participating": "本部门参与"}


PER_PAGE = 30


def parse_filters(args: Mapping[str, Any]) -> JointFilters:
    def text(key: str) -> str:
        value = args.get(key)
        return value.strip() if isinstance(value, str) else ""

    status, side = text("status"), text("side")
    return JointFilters(
        q=text("q")[:100],
        status=status if status in {s.value for s in ItemStatus} else "",
        side=side if side in SIDES else "",
    )


def like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_query(user: User, filters: JointFilters | None = None) -> Select[tuple[CheckItem]]:
    """The joint items the user may open, filtered, newest first (paged by the view)."""
    filters = filters or JointFilters()
    query = visible_query(user).options(
        selectinload(CheckItem.parts).joinedload(CheckItemPart.department), joinedload(CheckItem.department)
    )
    if filters.status:
        query = query.where(CheckItem.status == filters.status)
    if filters.q:
        query = query.where(
            or_(CheckItem.name.like(like_pattern(filters.q), escape="\\"), CheckItem.objects.like(like_pattern(filters.q), escape="\\"))
        )
    mine = subtree_ids(user.department)
    if filters.side == "initiated":
        query = query.where(CheckItem.department_id.in_(mine))
    elif filters.side == "participating":
        query = query.where(
            exists().where(
                CheckItemPart.item_id == CheckItem.id,
                CheckItemPart.department_id.in_(mine),
                CheckItemPart.role == PartRole.PARTICIPANT,
            )
        )
    return query.order_by(CheckItem.id.desc())


def list_items(user: User, status: str = "", *, limit: int = 500) -> list[CheckItem]:
    """The first ``limit`` rows of the list (the page itself is paged: list_query)."""
    return list(db.session.execute(list_query(user, JointFilters(status=status)).limit(limit)).scalars())


def current_steps(items: Sequence[CheckItem]) -> dict[int, tuple[int, str]]:
    """item id → (table, current step name) of its active instance."""
    if not items:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.subject_id, ProcessInstance.process_table, ProcessInstance.current_step).where(
            ProcessInstance.subject_type == SUBJECT,
            ProcessInstance.subject_id.in_([i.id for i in items]),
            ProcessInstance.status == InstanceStatus.ACTIVE,
        )
    ).all()
    return {sid: (table, get_process(table).step_name(step)) for sid, table, step in rows if step}


def districts_of(user: User) -> list[Department]:
    """The 区（市）县 a city-level user may choose on 一业一单 (none for a district user)."""
    from models.org import DepartmentLevel

    root = region_root(user.department)
    if root.level != DepartmentLevel.CITY:
        return []
    return list(db.session.execute(
        select(Department)
        .where(Department.parent_id == root.id, Department.level == DepartmentLevel.DISTRICT)
        .order_by(Department.sort_order, Department.id)
    ).scalars())


def industry_groups(user: User, district_id: int | None = None) -> list[tuple[str, list[CheckItem]]]:
    """一业一单: the published joint items of the user's area (or of one district of a city
    user's), grouped by industry (行业门类, else 抽查领域)."""
    root = region_root(user.department)
    chosen = next((d for d in districts_of(user) if d.id == district_id), None) if district_id else None
    area = subtree_ids(chosen or root)
    items = db.session.execute(
        select(CheckItem)
        .where(
            CheckItem.kind == ItemKind.JOINT,
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.department_id.in_(area),
        )
        .options(selectinload(CheckItem.parts).joinedload(CheckItemPart.department), joinedload(CheckItem.department))
        .order_by(CheckItem.industry_code, CheckItem.domain, CheckItem.name)
    ).scalars()
    groups: dict[str, list[CheckItem]] = {}
    for item in items:
        section = INDUSTRY_SECTIONS.get((item.industry_code or "")[:1])
        key = f"{item.industry_code[:1]} {section[0]}" if section else (item.domain or "未分行业")
        groups.setdefault(key, []).append(item)
    return sorted(groups.items(), key=lambda kv: (kv[0] == "未分行业", kv[0]))
