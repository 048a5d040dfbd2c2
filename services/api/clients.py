"""The caller of an /api/v1 request as token authentication finds it: a snapshot of its
credential and account (``Client``), read by one Core statement and kept briefly in the process.

An entity lookup is a few milliseconds of work; loading the credential with its account,
department and roles as ORM objects cost more than the lookup itself.  ``load`` reads only the
columns a call needs, and ``remember`` keeps the snapshot by token digest for at most
API_TOKEN_CACHE_SECONDS.  Nothing of a snapshot is trusted past a change:

- every flush that writes an ``ApiCredential``, a ``User`` or a ``UserRole`` (revocation, a
  disabled account, a lost 接口调用方 role, a new expiry) empties this process's snapshots at
  once and bumps the credentials' *generation*, again after the commit;
- the generation lives in Redis beside the rate-limit counters (API_RATE_LIMIT_REDIS_URL) and
  is read in the same pipelined round trip as the counter (services/api/ratelimit.py): a
  snapshot taken under another generation is read again from the database before the call is
  answered.  With Redis, a revoked token is therefore refused by every worker from the first
  call after the revoking commit;
- without Redis (one process, development) the generation is the process's own, and another
  process would notice within API_TOKEN_CACHE_SECONDS (docs/api.md, "Revocation").

Expiry is checked on every call against the snapshot's ``expires_at``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, event, exists, inspect, select, update
from sqlalchemy.orm import Session

from models import ApiCredential, Department, User, UserRole, db, utcnow
from models.org import UserStatus
from models.roles import Role
from services.api import ratelimit
from services.api.problems import ApiProblem

GENERATION_KEY = "zhjg:api:credentials"
MAX_SNAPSHOTS = 10_000


@dataclass(frozen=True)
class Client:
    """What a call needs of its credential and account; ``user`` loads the account row for the
    handlers that write in its name."""

    id: int
    rate_limit: int
    scope_list: tuple[str, ...]
    ip_list: tuple[str, ...]
    expires_at: datetime | None
    revoked: bool
    usable: bool  # the account is active and still of the 接口调用方 role
    last_used_at: datetime | None
    user_id: int
    account: str
    user_name: str
    department_id: int | None
    department_name: str
    department_path: str

    @property
    def user(self) -> User:
        user = db.session.get(User, self.user_id)
        assert user is not None  # a credential's account is never deleted while it is cached (flush clears)
        return user


def load(digest: str) -> Client | None:
    """The snapshot of the credential with this token digest, or None: one statement."""
    tables = ApiCredential.__table__, User.__table__, Department.__table__
    cred, user, dept = (t.c for t in tables)
    is_client = exists().where(and_(UserRole.__table__.c.user_id == user.id,
                                    UserRole.__table__.c.role == str(Role.API_CLIENT)))
    row = db.session.connection().execute(
        select(cred.id, cred.rate_limit, cred.scopes, cred.ip_allow, cred.expires_at, cred.revoked_at,
               cred.last_used_at, user.id.label("user_id"), user.account, user.name, user.status,
               user.department_id, dept.name.label("department_name"), dept.path.label("department_path"),
               is_client.label("is_client"))
        .select_from(tables[0].join(tables[1], user.id == cred.user_id)
                     .outerjoin(tables[2], dept.id == user.department_id))
        .where(cred.token_hash == digest)
    ).first()
    if row is None:
        return None
    return Client(
        id=row.id, rate_limit=row.rate_limit, scope_list=tuple((row.scopes or "").split()),
        ip_list=tuple(x.strip() for x in (row.ip_allow or "").splitlines() if x.strip()),
        expires_at=row.expires_at, revoked=row.revoked_at is not None,
        usable=bool(row.is_client) and row.status == UserStatus.ACTIVE, last_used_at=row.last_used_at,
        user_id=row.user_id, account=row.account, user_name=row.name, department_id=row.department_id,
        department_name=row.department_name or "", department_path=row.department_path or "",
    )


def check(client: Client) -> None:
    """An ApiProblem (401) naming the client when its token no longer works."""
    problem = None
    if client.revoked:
        problem = ApiProblem("token-revoked", "该访问令牌已被吊销，请联系系统管理员重新签发")
    elif client.expires_at is not None and client.expires_at <= utcnow():
        problem = ApiProblem("token-expired", "该访问令牌已过期，请联系系统管理员重新签发")
    elif not client.usable:
        problem = ApiProblem("token-revoked", "该接口调用账号已停用或不再是接口调用方")
    if problem is not None:
        problem.credential = client
        raise problem


# ------------------------------------------------------------------ the snapshots of this process


class _Snapshots:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_digest: dict[str, tuple[Client, float, Any]] = {}  # digest → (client, taken at, generation)
        self.seen: Any = None  # the generation the last call of this process read

    def get(self, digest: str, ttl: float) -> tuple[Client, Any] | None:
        found = self.by_digest.get(digest)
        if found is None or time.monotonic() - found[1] > ttl:
            return None
        return found[0], found[2]

    def put(self, digest: str, client: Client) -> None:
        with self.lock:
            if len(self.by_digest) >= MAX_SNAPSHOTS:
                self.by_digest.clear()
            # Tagged with the generation read *before* this load: a bump since then makes the
            # next call read again.
            self.by_digest[digest] = (client, time.monotonic(), self.seen)

    def clear(self) -> None:
        with self.lock:
            self.by_digest.clear()


SNAPSHOTS = _Snapshots()


def cached(digest: str, ttl: float) -> tuple[Client, Any] | None:
    """The process's snapshot of this digest and the generation it was taken under, if fresh."""
    return SNAPSHOTS.get(digest, ttl) if ttl > 0 else None


def remember(digest: str, client: Client, ttl: float) -> None:
    if ttl > 0:
        SNAPSHOTS.put(digest, client)


def current(taken_under: Any, generation: Any) -> bool:
    """Whether a snapshot taken under ``taken_under`` still holds now that the store says
    ``generation`` (None from Redis: never bumped yet); remembers what was read."""
    SNAPSHOTS.seen = generation
    return taken_under == generation


# ------------------------------------------------------------------ invalidation

_WATCHED = (ApiCredential, User, UserRole, Department)
# Of these, a change to any other column leaves every snapshot right (a sign-in's time, the
# credential's last use).
_COLUMNS: dict[type, tuple[str, ...]] = {
    User: ("status", "department_id", "account", "name"),
    Department: ("path", "name"),
    ApiCredential: ("revoked_at", "expires_at", "scopes", "ip_allow", "rate_limit", "user_id", "token_hash"),
}


def _bump() -> None:
    """Forget this process's snapshots; bump the generation every process reads."""
    SNAPSHOTS.clear()
    if has_app_context():
        ratelimit.for_app(current_app).bump(GENERATION_KEY)


def _changes_clients(obj: object, new_or_deleted: bool) -> bool:
    if not isinstance(obj, _WATCHED):
        return False
    if new_or_deleted:
        return not isinstance(obj, Department)
    columns = _COLUMNS.get(type(obj))
    if columns is None:
        return True
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in columns)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    changed = any(_changes_clients(o, True) for group in (session.new, session.deleted) for o in group)
    if changed or any(_changes_clients(o, False) for o in session.dirty):
        session.info["zhjg_api_clients_changed"] = True
        _bump()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("zhjg_api_clients_changed", False):
        _bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("zhjg_api_clients_changed", None)


# ------------------------------------------------------------------ authentication


def _load(digest: str, ttl: float) -> Client:
    client = load(digest)
    if client is None:
        raise ApiProblem("token-invalid", "访问令牌不存在")
    remember(digest, client, ttl)
    return client


def authenticate(digest: str, ttl: float, limiter: ratelimit.Limiter) -> tuple[Client, float]:
    """The client of a token digest with this call counted against its limit: (client, seconds
    to wait, 0 when within the limit).  An unknown token raises token-invalid (not counted); a
    revoked or expired one raises its ApiProblem naming the client, with ``wait``."""
    found = cached(digest, ttl)
    client = found[0] if found is not None else _load(digest, ttl)
    wait, generation = limiter.hit_reading(str(client.id), client.rate_limit, GENERATION_KEY)
    if not current(found[1] if found is not None else generation, generation):
        client = _load(digest, ttl)  # changed since the snapshot was taken
    try:
        check(client)
    except ApiProblem as problem:
        problem.wait = wait
        raise
    return client, wait


_TOUCHED: dict[int, datetime] = {}  # credential → when this process last wrote its last use
TOUCH_EVERY_SECONDS = 60


def touch(client: Client) -> None:
    """Remember the credential's last use, at most once a minute per process (one UPDATE, no
    ORM object, so no snapshot is invalidated by it)."""
    now = utcnow()
    last = _TOUCHED.get(client.id) or client.last_used_at
    if last is not None and (now - last).total_seconds() <= TOUCH_EVERY_SECONDS:
        return
    if len(_TOUCHED) > MAX_SNAPSHOTS:
        _TOUCHED.clear()
    _TOUCHED[client.id] = now
    db.session.connection().execute(update(ApiCredential.__table__).where(ApiCredential.__table__.c.id == client.id)
                       .values(last_used_at=now))
