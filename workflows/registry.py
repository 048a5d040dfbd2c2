"""All processes of DB5101 by table number, validated once at import."""

from __future__ import annotations

import importlib
import pkgutil

import workflows.processes
from workflows.model import Process


def _collect() -> dict[int, Process]:
    found: dict[int, Process] = {}
    for info in pkgutil.iter_modules(workflows.processes.__path__):
        module = importlib.import_module(f"workflows.processes.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Process):
                if value.table in found and found[value.table] is not value:
                    raise ValueError(f"表{value.table} declared twice")
                value.validate()
                found[value.table] = value
    return dict(sorted(found.items()))


PROCESSES: dict[int, Process] = _collect()


def get_process(table: int) -> Process:
    try:
        return PROCESSES[table]
    except KeyError:
        raise LookupError(f"没有表{table}对应的业务流程") from None
