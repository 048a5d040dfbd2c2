"""信用沙盒触发式监管 (DB5101 11.1, 表27; docs/sandbox.md).

conditions.py (the trigger conditions as data, set-based SQL), library.py (建立信用沙盒主体库 and
事项清单), monitor.py (监测形成提示/预警线索), clues.py (表27's instance per clue, the platform's and
the partner's steps), webhooks.py (signed pushes with retries), sms.py (the pluggable SMS sender),
queries.py (the pages' lists, the partners' webhooks), jobs.py and cli.py.  Services never commit.

``open_clue_entities`` is what another chapter reads (表28's trigger draw uses clues as a source).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.sandbox import LEVELS, SandboxClue


def open_clue_entities(session: Session, level: str | None = None, department_id: int | None = None) -> list[int]:
    """The ids of the entities with an open clue (of ``level`` 提示/预警 when given; of one
    department's sandbox when given), sorted."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown clue level {level!r}")
    query = select(SandboxClue.entity_id).where(SandboxClue.closed_at.is_(None)).distinct()
    if level is not None:
        query = query.where(SandboxClue.level == level)
    if department_id is not None:
        query = query.where(SandboxClue.department_id == department_id)
    return sorted(session.execute(query).scalars())
