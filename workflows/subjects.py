"""A business object's process instances (subject_type, subject_id) and the steps a user holds.

Plans, joint items, items, tasks … each find their instances and the user's open business
steps the same way; they name their subject type and steps and call these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Select, select

from models import ProcessInstance, User, WorkItem, db
from models.workflow import InstanceStatus
from workflows import engine


def _query(subject_type: str, subject_id: int, tables: Iterable[int] | None) -> Select[tuple[ProcessInstance]]:
    query = select(ProcessInstance).where(
        ProcessInstance.subject_type == subject_type, ProcessInstance.subject_id == subject_id
    )
    if tables is not None:
        query = query.where(ProcessInstance.process_table.in_(tuple(tables)))
    return query


def instances(
    subject_type: str, subject_id: int, *, tables: Iterable[int] | None = None, newest_first: bool = False
) -> list[ProcessInstance]:
    """Every instance of the subject (of ``tables`` when given), oldest or newest first."""
    order = ProcessInstance.id.desc() if newest_first else ProcessInstance.id
    return list(db.session.execute(_query(subject_type, subject_id, tables).order_by(order)).scalars())


def latest_instance(
    subject_type: str, subject_id: int, *, tables: Iterable[int] | None = None, active: bool = False
) -> ProcessInstance | None:
    """The subject's newest instance (of ``tables``; only an active one with ``active``)."""
    query = _query(subject_type, subject_id, tables)
    if active:
        query = query.where(ProcessInstance.status == InstanceStatus.ACTIVE)
    return db.session.execute(query.order_by(ProcessInstance.id.desc()).limit(1)).scalars().first()


def open_steps(
    user: User, inst: ProcessInstance | None, steps: Mapping[int, Iterable[str]]
) -> dict[str, WorkItem]:
    """The business steps of ``inst`` (``steps`` by process table) where ``user`` holds an open
    work item, with that item; none when the instance is missing or no longer active."""
    if inst is None or inst.status != InstanceStatus.ACTIVE:
        return {}
    found: dict[str, WorkItem] = {}
    for key in steps.get(inst.process_table, ()):
        item = engine.open_item(user, inst, key)
        if item is not None:
            found[key] = item
    return found
