"""What the platform lane does at an automatic step (公布事项, 公示检查结果 …).

A chapter registers a handler for (table, step key); the engine calls it when an instance
reaches that step, inside the same transaction.  A handler returns a short note for the
history.  Without a handler the engine records the step as done by 智慧监管平台.
"""

from __future__ import annotations

from collections.abc import Callable

from models import ProcessInstance

AutoAction = Callable[[ProcessInstance], str]

AUTO_ACTIONS: dict[tuple[int, str], AutoAction] = {}


def on_auto_step(table: int, step_key: str) -> Callable[[AutoAction], AutoAction]:
    def decorate(fn: AutoAction) -> AutoAction:
        AUTO_ACTIONS[(table, step_key)] = fn
        return fn

    return decorate
