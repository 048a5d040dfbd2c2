"""Guards: named predicates on a process instance that open or close a transition.

A transition names its guard by string (``Transition.guard``); the engine looks the name up
in ``GUARDS`` and offers or follows the transition only when the predicate holds.  On an
automatic step (智慧监管平台) the guards choose the way on; on a user's step they hide the
choices that do not apply.

The processes use the names in ``DECLARED_GUARDS``.  services/process_wiring.py registers each
name's predicate (``register_guard``) once the data it reads exists; until then the name is
declared but not wired, and the engine refuses the step rather than guess:

- ``has_account`` / ``no_account`` (表17 判断是否有系统操作账号): whether the inspectors just
  added already have a user account, matched by ID-card number or mobile phone number.
- ``ad_hoc_plan`` / ``not_ad_hoc_plan`` (表21 确认形成联合双随机抽查计划): a temporary (临时)
  joint plan is published without the conference office's review (表21 注).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.workflow import ProcessInstance

Guard = Callable[["ProcessInstance"], bool]

DECLARED_GUARDS: dict[str, str] = {
    "has_account": "执法检查人员已有系统操作账号",
    "no_account": "执法检查人员没有系统操作账号",
    "ad_hoc_plan": "临时抽查计划，不需要报联席会议办公室审定",
    "not_ad_hoc_plan": "非临时抽查计划，报联席会议办公室审定",
    "has_participants": "已选定参与部门（表23 判断是否联合执法：联合执法）",
}

GUARDS: dict[str, Guard] = {}


def register_guard(name: str, predicate: Guard) -> None:
    """Let the transitions that name ``name`` ask ``predicate(instance)``."""
    if name not in DECLARED_GUARDS:
        raise ValueError(f"guard {name!r} is not declared in DECLARED_GUARDS")
    if name in GUARDS:
        raise ValueError(f"guard {name!r} registered twice")
    GUARDS[name] = predicate


def has_participants(instance: ProcessInstance) -> bool:
    """A joint action needs at least one participating department that has not declined."""
    return any(p.relation == "participant" and not p.declined for p in instance.parties)
