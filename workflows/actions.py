"""What the platform lane does at an automatic step (公布事项, 公示检查结果 …).

The handler of (table, step key) is registered by services/process_wiring.py, which wires each
process in one place; the engine calls it when an instance reaches that step, inside the same
transaction.  A handler returns a short note for the history.  Without a handler the engine
records the step as done by 智慧监管平台.
"""

from __future__ import annotations

from collections.abc import Callable

from models import ProcessInstance

AutoAction = Callable[[ProcessInstance], str]

AUTO_ACTIONS: dict[tuple[int, str], AutoAction] = {}


def register_auto_step(table: int, step_key: str, handler: AutoAction) -> None:
    """Run ``handler`` at ``table``'s automatic step ``step_key``."""
    from workflows.registry import get_process

    process = get_process(table)
    if not process.has_step(step_key) or not process.step(step_key).automatic:
        raise ValueError(f"表{table} has no automatic step {step_key}")
    if (table, step_key) in AUTO_ACTIONS:
        raise ValueError(f"表{table} {step_key}: handler registered twice")
    AUTO_ACTIONS[(table, step_key)] = handler
