"""Steps done by named people rather than by a department (执法人员 of one task's team).

services/process_wiring.py registers, for (table, step key), a function of the instance that
says who does the step: the engine then opens one personal work item per user (``WorkItem.user_id``) instead of
the lane's department item.  ``lead`` is the user whose action completes the step (the team
leader: 组成检查组, 检查完成); when the lead acts, the others' open items of that step are
closed.  With ``lead`` None the first to act completes it.  A function that returns no users
leaves the step to the lane's department, as without a registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models import ProcessInstance


@dataclass(frozen=True)
class Assignment:
    users: tuple[int, ...] = ()
    lead: int | None = None


AssigneeFn = Callable[[ProcessInstance], Assignment]

ASSIGNEES: dict[tuple[int, str], AssigneeFn] = {}


def register_assignees(table: int, step_key: str, assignees: AssigneeFn) -> None:
    """Let ``assignees(instance)`` say who does ``table``'s step ``step_key`` in person."""
    from workflows.registry import get_process

    if not get_process(table).has_step(step_key):
        raise ValueError(f"表{table} has no step {step_key}")
    if (table, step_key) in ASSIGNEES:
        raise ValueError(f"表{table} {step_key}: assignees registered twice")
    ASSIGNEES[(table, step_key)] = assignees


def assignment_for(instance: ProcessInstance, step_key: str) -> Assignment | None:
    """Who does ``step_key`` of ``instance`` in person, or None for the department's item."""
    fn = ASSIGNEES.get((instance.process_table, step_key))
    if fn is None:
        return None
    found = fn(instance)
    if not found.users:
        return None
    users = tuple(dict.fromkeys(found.users))
    lead = found.lead if found.lead in users else None
    return Assignment(users, lead)
