"""Helpers for the follow-up tests: a task with a drawn entity and a published inspection
record (version 1), written directly; the inspections chapter has its own pages for that."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from models import (
    InspectionRecord,
    RecordStatus,
    ResultCategory,
    TaskObject,
    TeamMember,
    db,
    utcnow,
)
from services import inspection_publication
from tests.factories.teams import entity, make_inspector, make_task


def published_record(
    org: Any,
    *,
    result: ResultCategory = ResultCategory.ORDERED,
    note: str = "责令限期改正",
    department: Any = None,
    days_ago: int = 0,
    with_member: Any = None,
    n: int | None = None,
) -> InspectionRecord:
    """A record of ``department`` (甲区市场监督管理局 by default) published ``days_ago`` days ago."""
    department = department or org.bureau_a
    found = entity(org, n if n is not None else int(uuid.uuid4().int % 90000))
    task = make_task(org, department=department, entities=[found])
    obj = db.session.query(TaskObject).filter(TaskObject.task_id == task.id).one()
    published_at = utcnow() - timedelta(days=days_ago)
    record = InspectionRecord(
        record_no=f"2026-JC-{uuid.uuid4().hex[:8]}",
        task_id=task.id,
        task_object_id=obj.id,
        department_id=department.id,
        entity_id=found.id,
        status=RecordStatus.PUBLISHED,
        method="实地核查",
        subject_name=found.name,
        uscc=found.uscc,
        result=result,
        result_note=note,
    )
    db.session.add(record)
    db.session.flush()
    # Published versions are immutable in the database (migration 0020): publish it back then.
    with patch("services.publication.utcnow", lambda: published_at):
        inspection_publication.publish_version(record)
    if with_member is not None:
        inspector = make_inspector(department, with_member)
        db.session.add(TeamMember(task_id=task.id, department_id=department.id, inspector_id=inspector.id))
    db.session.commit()
    return record


def member_user(record: InspectionRecord) -> Any:
    member = db.session.query(TeamMember).filter(TeamMember.task_id == record.task_id).first()
    return member.inspector.user
