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

Each row's hash is an HMAC under a numbered key kept outside the database
(infrastructure/audit_key.py); rows written before keying carry chain_version 1 (plain SHA-256) and
may only precede the keyed ones.  Signed checkpoints outside the database catch a deleted or
rewritten tail (services/audit_checkpoints.py, docs/deploy.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Row, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from infrastructure import audit_key, clock
from models import AuditEvent, User, db, utcnow
from persistence.bulk import insert_rows

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
    "api_call": "接口调用",
    "api_token_issued": "签发接口凭证",
    "api_token_revoked": "吊销接口凭证",
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


def compute_hash(event: AuditEvent | Row[Any], keys: dict[int, bytes] | None = None) -> str:
    """The row's chain hash over its fields and prev_hash (an ORM object or a plain row):
    HMAC-SHA256 under the key its ``chain_version`` names, plain SHA-256 for version 1."""
    return audit_key.digest(event.chain_version or audit_key.LEGACY_VERSION, _canonical(event), keys)


def summary_text(summary: dict[str, Any] | str | None) -> str:
    if summary is None:
        return ""
    if isinstance(summary, str):
        return summary
    return json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str)


def client_ip() -> str:
    """The request's remote address as audit rows and receipts keep it ("" outside a request)."""
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


def lock_chain(session: Session | None = None) -> str:
    """Take the chain's lock for this transaction (PostgreSQL; SQLite serialises writers) before
    reading what is to be chained; the chain's last hash."""
    return _tail(session or db.session())


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
    keys = audit_key.keyring()
    event = AuditEvent(
        at=utcnow(),
        user_id=actor.id if actor else None,
        user_account=(actor.account if actor else account)[:64],
        user_name=(actor.name if actor else "")[:50],
        department_id=actor.department_id if actor else None,
        department_name=(actor.department.name if actor else "")[:100],
        ip=client_ip(),
        action=action,
        object_type=object_type,
        object_id=str(object_id if object_id is not None else ""),
        summary=summary_text(summary),
        prev_hash=prev,
        chain_version=max(keys),
    )
    event.hash = compute_hash(event, keys)
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

    The rows are hashed here and inserted with persistence.bulk (no ORM objects), under the same
    lock ``record`` takes; rows are inserted in list order, so ids follow the chain as
    ``verify`` expects.  Returns how many rows were written.
    """
    if not items:
        return 0
    actor = _acting_user(user)
    session = db.session()
    session.flush()
    common = {
        "user_id": actor.id if actor else None,
        "user_account": (actor.account if actor else "")[:64],
        "user_name": (actor.name if actor else "")[:50],
        "department_id": actor.department_id if actor else None,
        "department_name": (actor.department.name if actor else "")[:100],
        "ip": client_ip(),
        "action": action,
        "object_type": object_type,
    }
    at = utcnow()
    return append_rows([{**common, "at": at, "object_id": str(object_id), "summary": summary_text(summary)}
                        for object_id, summary in items], chunk=chunk, session=session)


ROW_FIELDS = ("at", "user_id", "user_account", "user_name", "department_id", "department_name", "ip", "action",
              "object_type", "object_id", "summary")


def append_rows(rows: list[dict[str, Any]], *, chunk: int = 2000, session: Session | None = None) -> int:
    """Chain fully described rows (``ROW_FIELDS``: their own time and actor) onto the trail in
    list order, under the chain's lock, with persistence.bulk (no ORM objects); how many."""
    if not rows:
        return 0
    session = session or db.session()
    prev = _tail(session)
    keys = audit_key.keyring()
    version = max(keys)
    columns = [*ROW_FIELDS, "prev_hash", "hash", "chain_version"]
    out: list[list[Any]] = []
    for given in rows:
        row = {**given, "prev_hash": prev}
        prev = audit_key.digest(version, _canonical_dict(row), keys)
        row["hash"] = prev
        row["chain_version"] = version
        out.append([row[c] for c in columns])
    written = insert_rows(AuditEvent.__table__, columns, out, chunk=chunk)
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


@dataclass
class ChainState:
    """What a walk of the chain found; ``anchor_*`` describe the row ``anchor_id`` (a checkpoint's)."""

    checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    last_id: int = 0
    last_hash: str = GENESIS
    keyed_from: int | None = None  # the first row hashed with a key
    anchor_hash: str | None = None
    anchor_count: int | None = None


def _check_row(event: Row[Any], state: ChainState, keys: dict[int, bytes]) -> None:
    version = event.chain_version or audit_key.LEGACY_VERSION
    if event.prev_hash != state.last_hash:
        state.problems.append(ChainProblem(event.id, "与上一条记录的链接不符：其前的记录被删除或修改"))
    if version == audit_key.LEGACY_VERSION and state.keyed_from is not None:
        state.problems.append(ChainProblem(event.id, "加密钥记录之后出现未加密钥的记录：该记录被改写"))
    elif version not in keys and version != audit_key.LEGACY_VERSION:
        state.problems.append(ChainProblem(event.id, f"缺少第{version}号审计密钥，无法校验该记录"))
    elif compute_hash(event, keys) != event.hash:
        state.problems.append(ChainProblem(event.id, "记录内容与其哈希不符：该记录被修改"))
    if version != audit_key.LEGACY_VERSION and state.keyed_from is None:
        state.keyed_from = event.id


def walk(batch: int = 5000, anchor_id: int | None = None) -> ChainState:
    """Walk the chain in id order, recomputing every hash and link."""
    state = ChainState()
    keys = audit_key.keyring()
    table = AuditEvent.__table__
    while True:
        # Plain rows, not ORM objects: the stored values are read even when the session holds
        # the same events in its identity map, and the caller's session is left untouched.
        rows = db.session.execute(
            select(table).where(table.c.id > state.last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return state
        for event in rows:
            state.checked += 1
            _check_row(event, state, keys)
            state.last_hash = event.hash
            state.last_id = event.id
            if event.id == anchor_id:
                state.anchor_hash, state.anchor_count = event.hash, state.checked


def verify(batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in id order; return (rows checked, problems found).  The comparison
    with the signed checkpoints is services/audit_checkpoints.verify_all."""
    state = walk(batch)
    return state.checked, state.problems


def describe(event: AuditEvent) -> str:
    """One line for CLI output."""
    at: datetime = event.at
    return f"#{event.id} {clock.format_china(at, '%Y-%m-%d %H:%M:%S')} {event.user_account} {action_label(event.action)}"
