"""Published results cannot change silently (docs/security.md, 公示结果的完整性).

Every ``InspectionResultVersion`` stores its public snapshot and the SHA-256 taken when it was
published; migration 0020 makes the database refuse UPDATE and DELETE of these rows.  Someone
who lifts that trigger can still edit a snapshot, so ``verify_published`` (run by
``flask audit verify`` and the 审计员's 校验 page) recomputes every digest, and the public page
warns next to a version whose text no longer matches its digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models import InspectionRecord, InspectionResultVersion, db
from services.inspection_publication import digest_of

MISMATCH = "公示内容与其摘要（SHA-256）不符：该版本在公示后被修改"


def digest_matches(version: InspectionResultVersion) -> bool:
    return digest_of(version.snapshot) == version.digest


@dataclass(frozen=True)
class ResultProblem:
    record_no: str
    version: int
    problem: str


def verify_published(batch: int = 2000) -> tuple[int, list[ResultProblem]]:
    """Recompute the digest of every published version; (versions checked, mismatches)."""
    table = InspectionResultVersion.__table__
    checked = 0
    last_id = 0
    problems: list[ResultProblem] = []
    while True:
        # Plain rows: the stored values, whatever the session holds in its identity map.
        rows = db.session.execute(
            select(table.c.id, table.c.version, table.c.snapshot, table.c.digest, InspectionRecord.record_no)
            .join(InspectionRecord, InspectionRecord.id == table.c.record_id)
            .where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return checked, problems
        for row in rows:
            checked += 1
            if digest_of(row.snapshot) != row.digest:
                problems.append(ResultProblem(row.record_no, row.version, MISMATCH))
            last_id = row.id
