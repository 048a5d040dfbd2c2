"""The audit trail (全程留痕): append-only rows, each carrying the hash of the one before.

``record`` adds a row to the current transaction; it commits with the business change it
describes, or not at all.  To keep the chain linear when several workers write at once, the
writer holds a transaction-scoped advisory lock on PostgreSQL while it reads the last hash;
SQLite serialises writers by itself.  Either way no other writer can append until the
transaction ends, so once a transaction has written a row the hash it wrote is the tail of the
chain: it is kept in the session (``_tail``) and the next ``record`` in the same transaction
neither locks nor selects again (an import that drives one process per row writes thousands of
rows).  Any end of a transaction or savepoint forgets it.  ``verify`` recomputes the chain and reports the first
rows whose content or link no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Row, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from models import AuditEvent, User, db, utcnow
from services.bulk import insert_rows

GENESIS = "0" * 64
_LOCK_KEY = 0x5A484A47  # "ZHJG": one advisory lock for the chain

ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "account_locked": "账号锁定",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "session_expired": "会话超时",
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "import": "导入",
    "grant_role": "授予角色",
    "revoke_role": "收回角色",
    "process_start": "发起流程",
    "process_step": "办理环节",
    "process_withdraw": "撤回",
    "view_personal_data": "查看个人信息",
    "export": "导出",
    "verify": "校验审计日志",
    "claim": "认领",
    "assign": "指派",
    "publish": "公布",
    "unpublish": "撤下",
    "sign": "签收",
    "sign_failed": "签收失败",
    "recall": "撤回公文",
    "notify": "发送通知",
    "download_full_record": "下载完整抽取记录",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _canonical(event: AuditEvent | Row[Any]) -> str:
    fields = [
        event.prev_hash,
        event.at.isoformat(timespec="microseconds"),
        str(event.user_id or ""),
        event.user_account,
        event.user_name,
        str(event.department_id or ""),
        event.department_name,
        event.ip,
        event.action,
        event.object_type,
        event.object_id,
        event.summary,
    ]
    return "\x1f".join(fields)


def compute_hash(event: AuditEvent | Row[Any]) -> str:
    """SHA-256 of the row's fields and its prev_hash (an ORM object or a plain row)."""
    return hashlib.sha256(_canonical(event).encode("utf-8")).hexdigest()


def _summary_text(summary: dict[str, Any] | str | None) -> str:
    if summary is None:
        return ""
    if isinstance(summary, str):
        return summary
    return json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str)


def _client_ip() -> str:
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:45]


def _acting_user(user: User | None) -> User | None:
    if user is not None:
        return user
    if has_request_context() and current_user and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()  # type: ignore[attr-defined]
    return None


_TAIL_KEY = "audit_chain_tail"


def _tail(session: Session) -> str:
    """The hash of the last row of the chain, the chain being locked for this transaction.

    The first call in a transaction takes the PostgreSQL advisory lock and reads the last
    row; later calls return what this transaction last appended (``_remember``)."""
    cached = session.info.get(_TAIL_KEY)
    if cached is not None and cached[0] is session.get_transaction():
        return str(cached[1])
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    return session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS


def _remember(session: Session, tail: str) -> None:
    """After this transaction appended ``tail`` (flushed, so it holds the write lock)."""
    session.info[_TAIL_KEY] = (session.get_transaction(), tail)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_tail(session: Session, transaction: SessionTransaction) -> None:
    # Commit, rollback, or a savepoint released or rolled back (which may undo our rows and,
    # on PostgreSQL, release the lock taken inside it): read the chain again next time.  The
    # internal subtransaction of every flush (neither root nor savepoint) changes nothing.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_TAIL_KEY, None)


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: str | int | None = "",
    summary: dict[str, Any] | str | None = None,
    user: User | None = None,
    account: str = "",
) -> AuditEvent:
    """Append one audit row to the current transaction and return it."""
    actor = _acting_user(user)
    session = db.session()
    prev = _tail(session)
    event = AuditEvent(
        at=utcnow(),
        user_id=actor.id if actor else None,
        user_account=(actor.account if actor else account)[:64],
        user_name=(actor.name if actor else "")[:50],
        department_id=actor.department_id if actor else None,
        department_name=(actor.department.name if actor else "")[:100],
        ip=_client_ip(),
        action=action,
        object_type=object_type,
        object_id=str(object_id if object_id is not None else ""),
        summary=_summary_text(summary),
        prev_hash=prev,
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    _remember(session, event.hash)
    return event


def record_many(
    action: str,
    object_type: str,
    items: list[tuple[str | int, dict[str, Any] | str]],
    *,
    user: User | None = None,
    chunk: int = 2000,
) -> int:
    """Append one row per (object_id, summary) in a single chained run, for bulk imports.

    The rows are hashed here and inserted with services.bulk (no ORM objects), under the same
    lock ``record`` takes; rows are inserted in list order, so ids follow the chain as
    ``verify`` expects.  Returns how many rows were written.
    """
    if not items:
        return 0
    actor = _acting_user(user)
    session = db.session()
    session.flush()
    prev = _tail(session)
    common = {
        "user_id": actor.id if actor else None,
        "user_account": (actor.account if actor else "")[:64],
        "user_name": (actor.name if actor else "")[:50],
        "department_id": actor.department_id if actor else None,
        "department_name": (actor.department.name if actor else "")[:100],
        "ip": _client_ip(),
        "action": action,
        "object_type": object_type,
    }
    at = utcnow()
    columns = ["at", *common, "object_id", "summary", "prev_hash", "hash"]
    rows: list[list[Any]] = []
    for object_id, summary in items:
        row = {**common, "at": at, "object_id": str(object_id), "summary": _summary_text(summary), "prev_hash": prev}
        prev = hashlib.sha256(_canonical_dict(row).encode("utf-8")).hexdigest()
        row["hash"] = prev
        rows.append([row[c] for c in columns])
    written = insert_rows(AuditEvent.__table__, columns, rows, chunk=chunk)
    _remember(session, prev)
    return written


def _canonical_dict(row: dict[str, Any]) -> str:
    fields = [
        row["prev_hash"],
        row["at"].isoformat(timespec="microseconds"),
        str(row["user_id"] or ""),
        row["user_account"],
        row["user_name"],
        str(row["department_id"] or ""),
        row["department_name"],
        row["ip"],
        row["action"],
        row["object_type"],
        row["object_id"],
        row["summary"],
    ]
    return "\x1f".join(fields)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify(batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in id order; return (rows checked, problems found)."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    table = AuditEvent.__table__
    while True:
        # Plain rows, not ORM objects: the stored values are read even when the session holds
        # the same events in its identity map, and the caller's session is left untouched.
        rows = db.session.execute(
            select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            checked += 1
            if event.prev_hash != expected_prev:
                problems.append(ChainProblem(event.id, "与上一条记录的链接不符：其前的记录被删除或修改"))
            if compute_hash(event) != event.hash:
                problems.append(ChainProblem(event.id, "记录内容与其哈希不符：该记录被修改"))
            expected_prev = event.hash
            last_id = event.id
    return checked, problems


def describe(event: AuditEvent) -> str:
    """One line for CLI output."""
    at: datetime = event.at
    return f"#{event.id} {at:%Y-%m-%d %H:%M:%S} {event.user_account} {action_label(event.action)}"
