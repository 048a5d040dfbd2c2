"""一公开: publish a subject's public fields, or withdraw it from the public list.

``publish`` is what the platform lane does at 公布事项 (表7–表14) and, in later chapters, at the
other publication steps: it stores the next version of the subject's public snapshot and an
audit row in the caller's transaction.  Public pages and the feed read ``current`` (the
newest publication of each subject, unless it was a withdrawal) and ``feed`` (every
publication after a cursor, for incremental pulls by 信用中国 and 国家企业信用信息公示系统).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update

from infrastructure import clock
from models import Department, DepartmentLevel, Publication, PublicationAction, User, db, utcnow
from persistence import audit

# Keys that must never appear in a public snapshot (seed 002: grades are internal).
FORBIDDEN_KEYS = frozenset({"信用风险分类", "信用风险等级", "credit_grade", "身份证号", "id_number"})


def department_name(department: Department) -> str:
    """A section or station is named with its bureau (成都市市场监督管理局信用监督管理处): the
    public does not know the tree."""
    if department.level in (DepartmentLevel.SECTION, DepartmentLevel.STATION) and department.parent:
        return department.parent.name + department.name
    return department.name


def publish(
    subject_type: str,
    subject_id: int,
    *,
    title: str,
    payload: Mapping[str, Any],
    department_id: int,
    action: PublicationAction = PublicationAction.PUBLISH,
    instance_id: int | None = None,
    user: User | None = None,
) -> Publication:
    """Record the next publication of ``subject_type``/``subject_id`` and return it.

    ``payload`` holds the public fields under their Chinese labels, in display order; keys
    that are internal (credit-risk grade, ID numbers) are refused outright."""
    leaked = FORBIDDEN_KEYS & set(payload)
    if leaked:
        raise ValueError(f"internal fields in a public snapshot: {sorted(leaked)}")
    last = db.session.execute(
        select(func.max(Publication.version)).where(
            Publication.subject_type == subject_type, Publication.subject_id == subject_id
        )
    ).scalar()
    if last is not None:  # no earlier publication: none to mark as superseded
        db.session.execute(
            update(Publication)
            .where(
                Publication.subject_type == subject_type,
                Publication.subject_id == subject_id,
                Publication.latest.is_(True),
            )
            .values(latest=False)
            .execution_options(synchronize_session=False)
        )
    publication = Publication(
        latest=True,
        subject_type=subject_type,
        subject_id=subject_id,
        version=(last or 0) + 1,
        action=action,
        department_id=department_id,
        title=title[:200],
        list_type=str(payload.get("清单类型", ""))[:20],
        domain=str(payload.get("抽查类别", ""))[:100],
        payload=json.dumps(dict(payload), ensure_ascii=False, default=str),
        instance_id=instance_id,
        published_at=utcnow(),
    )
    db.session.add(publication)
    db.session.flush()
    audit.record(
        "publish" if action == PublicationAction.PUBLISH else "unpublish",
        object_type=subject_type,
        object_id=subject_id,
        summary={"版本": publication.version, "名称": publication.title},
        user=user,
    )
    return publication


def current(subject_type: str) -> Select[tuple[Publication]]:
    """The newest publication of every subject of ``subject_type`` still on the public list."""
    return select(Publication).where(
        Publication.subject_type == subject_type,
        Publication.latest.is_(True),
        Publication.action == PublicationAction.PUBLISH,
    )


def feed(subject_type: str, after_id: int = 0, since: datetime | None = None) -> Select[tuple[Publication]]:
    """Every publication and withdrawal of ``subject_type`` after the cursor, oldest first.

    A puller keeps the last id it saw (``after_id``): ids only grow, whereas two
    publications can share a timestamp.  ``since`` narrows by time for a person's query."""
    query = select(Publication).where(Publication.subject_type == subject_type, Publication.id > after_id)
    if since is not None:
        query = query.where(Publication.published_at >= since)
    return query.order_by(Publication.id)


def history(subject_type: str, subject_id: int) -> list[Publication]:
    return list(
        db.session.execute(
            select(Publication)
            .where(Publication.subject_type == subject_type, Publication.subject_id == subject_id)
            .order_by(Publication.version)
        ).scalars()
    )


def payload_of(publication: Publication) -> dict[str, Any]:
    return json.loads(publication.payload or "{}")


def feed_record(p: Publication) -> dict[str, Any]:
    """One publication or withdrawal as the feeds give it (/public/*.json, /api/v1/published);
    times in China Standard Time."""
    return {
        "id": p.id,
        "subject_type": p.subject_type,
        "subject_id": p.subject_id,
        "version": p.version,
        "action": p.action.label,
        "list_type": p.list_type,
        "department": department_name(p.department),
        "title": p.title,
        "published_at": clock.format_china(p.published_at, "%Y-%m-%dT%H:%M:%S+08:00") if p.published_at else "",
        "payload": payload_of(p),
    }
