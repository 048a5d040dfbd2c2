"""Audit rows written without the chain's lock, chained later (docs/security.md, "Audit trail").

``record`` (persistence/audit.py) takes the chain's lock and holds it until the transaction
ends: right for a business change, which must not commit without its row, but it makes every
caller wait for every other caller's commit.  The data interface answers many small reads at
once (docs/api.md); each call's row goes here instead (``defer``: one INSERT in the call's
own transaction, no lock, no read), and ``seal`` moves the waiting rows into the chain in id
order under the lock, each with its own time and actor, then deletes them.  A call is
therefore audited when it commits, and chained at the next seal: `flask audit seal` every
minute (docs/deploy.md), and before the audit page, its export, `flask audit verify` and
`flask audit checkpoint` read the trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select

from models import AuditOutbox, User, db, utcnow
from persistence import audit

SEAL_BATCH = 5000
_INSERT = insert(AuditOutbox.__table__)


def defer(action: str, *, object_type: str = "", object_id: str | int = "", summary: dict[str, Any] | str | None = None,
          user: User) -> None:
    """Write one audit row for the chain's next seal, in the current transaction."""
    defer_as(action, object_type=object_type, object_id=object_id, summary=summary, user_id=user.id,
             account=user.account, name=user.name, department_id=user.department_id,
             department_name=user.department.name if user.department else "")


def defer_as(action: str, *, object_type: str = "", object_id: str | int = "",
             summary: dict[str, Any] | str | None = None, user_id: int, account: str, name: str,
             department_id: int | None, department_name: str) -> None:
    """``defer`` with the actor given by its fields (no ORM object needed: the data interface's
    caller is a snapshot, services/api/clients.py)."""
    db.session.connection().execute(_INSERT, {  # the Core statement built once: no ORM bulk step
        "at": utcnow(), "user_id": user_id, "user_account": account[:64], "user_name": name[:50],
        "department_id": department_id, "department_name": department_name[:100],
        "ip": audit.client_ip(), "action": action, "object_type": object_type, "object_id": str(object_id),
        "summary": audit.summary_text(summary)})


def waiting() -> int:
    return int(db.session.execute(select(func.count(AuditOutbox.id))).scalar_one())


def seal(batch: int = SEAL_BATCH) -> int:
    """Chain every committed waiting row (in batches, in id order) in the current transaction;
    the caller commits.  How many rows were chained."""
    table = AuditOutbox.__table__
    columns = [table.c[name] for name in audit.ROW_FIELDS]
    sealed = 0
    last_id = 0
    audit.lock_chain()  # first: a seal running at the same time waits here, then sees our deletes
    while True:
        rows = db.session.execute(
            select(table.c.id, *columns).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return sealed
        ids = [row.id for row in rows]
        audit.append_rows([{name: getattr(row, name) for name in audit.ROW_FIELDS} for row in rows])
        for start in range(0, len(ids), 1000):
            db.session.execute(delete(table).where(table.c.id.in_(ids[start:start + 1000])))
        sealed += len(ids)
        last_id = ids[-1]
