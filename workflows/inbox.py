"""The inbox (我的待办): the open work items of a user, their count, and the path of steps an instance
went."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, Select, String, and_, bindparam, cast, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from models import InstanceParty, ProcessInstance, User, WorkItem, db
from models.roles import Role
from models.workflow import InstanceStatus, WorkItemStatus
from persistence.scope import subtree_ids
from workflows import lanes as L
from workflows.model import END, LaneKind
from workflows.registry import PROCESSES


def path_of(instance: ProcessInstance) -> tuple[set[str], list[tuple[str, str]]]:
    """Steps visited and transitions taken, for drawing the instance over its diagram."""
    visited: set[str] = set()
    taken: list[tuple[str, str]] = []
    for h in instance.history:
        if h.action == "start":
            continue
        visited.add(h.step_key)
        if h.action != "withdraw" and h.target_step and (h.step_key, h.target_step) not in taken:
            taken.append((h.step_key, h.target_step or END))
    if instance.status != InstanceStatus.ACTIVE and instance.history:
        last = instance.history[-1]
        if (last.step_key, END) not in taken:
            taken.append((last.step_key, END))
    return visited, taken


@lru_cache(maxsize=64)
def _lane_slots(codes: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """The lanes where one of the roles ``codes`` acts, as slots "table:step:lane", grouped by
    which departments' items the user may take there (mirrors ``can_act``).  The processes are
    code, so the answer depends on the roles alone and is computed once per set of roles."""
    groups: dict[str, list[str]] = {"own": [], "leader": [], "subtree": []}
    for table, process in PROCESSES.items():
        for step in process.steps:
            for lane in step.lanes:
                roles = {str(r) for r in step.acting_roles(lane)}
                if lane.kind == LaneKind.PLATFORM or not roles & codes:
                    continue
                slot = f"{table}:{step.key}:{lane.name}"
                if lane.subtree:
                    groups["subtree"].append(slot)
                elif str(Role.DEPT_LEADER) in roles and str(Role.DEPT_LEADER) in codes:
                    groups["leader"].append(slot)
                else:
                    groups["own"].append(slot)
    return {name: tuple(slots) for name, slots in groups.items()}


# A work item's lane as one value, so that "in one of these hundred lanes" is one IN list of
# constants: as a hundred (table, step, lane) row comparisons PostgreSQL spent milliseconds
# planning it and psycopg parsing its 326 placeholders on every request (bench/load.py).
SLOT = cast(WorkItem.process_table, String) + ":" + WorkItem.step_key + ":" + WorkItem.lane


def _in_slots(slots: tuple[str, ...], name: str) -> ColumnElement[bool]:
    # Rendered as literals (the slots are code, not input): the statement's text is the same
    # for every user with the same roles, so the server's prepared plan is reused.
    return SLOT.in_(bindparam(name, list(slots), expanding=True, literal_execute=True))


def inbox_query(user: User) -> Select[tuple[WorkItem]]:
    """Open work items waiting in the user's lanes (待办), exactly those ``can_act`` allows."""
    groups = _lane_slots(frozenset(user.role_codes))
    own = [user.department_id]
    above = own + user.department.ancestors()
    team = exists().where(
        InstanceParty.instance_id == WorkItem.instance_id,
        InstanceParty.relation.in_(L.TEAM_RELATIONS),
        InstanceParty.declined.is_(False),
        InstanceParty.department_id.in_(above),
    )
    departments = {
        "own": WorkItem.department_id.in_(own),
        "leader": WorkItem.department_id.in_(subtree_ids(user.department)),
        "subtree": WorkItem.department_id.in_(above) | team,
    }
    shared = [
        and_(_in_slots(slots, f"slots_{name}"), departments[name]) for name, slots in groups.items() if slots
    ]
    mine = WorkItem.user_id == user.id
    visible = mine | and_(WorkItem.user_id.is_(None), or_(*shared)) if shared else mine
    return (
        select(WorkItem)
        .join(ProcessInstance, ProcessInstance.id == WorkItem.instance_id)
        .where(WorkItem.status == WorkItemStatus.OPEN, ProcessInstance.status == InstanceStatus.ACTIVE)
        .where(visible)
    )


def inbox(user: User) -> list[WorkItem]:
    if not user.is_active:
        return []
    query = inbox_query(user).options(
        contains_eager(WorkItem.instance), joinedload(WorkItem.department)
    ).order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
    return list(db.session.execute(query).scalars())


def inbox_count(user: User) -> int:
    if not user.is_active:
        return 0
    return db.session.execute(select(func.count()).select_from(inbox_query(user).subquery())).scalar_one()
