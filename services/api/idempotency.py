"""Idempotent writes: a write sent with an ``Idempotency-Key`` header is answered once and its
answer stored with the key; the same key with the same request gets the stored answer again
(nothing is written twice), with another request a 422 problem.  Two requests with the same new
key at once: the second one's commit hits the unique key, its write is rolled back and it is
told 409 (try again: it then gets the first one's answer).  Keys are kept for a day: each write
also deletes the client's keys older than that, so the table holds at most a day of writes."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import delete, select

from models import ApiCredential, ApiIdempotency, db, utcnow
from services.api.problems import ApiProblem

KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")
KEEP = timedelta(days=1)


def request_hash(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not KEY_RE.match(key):
        raise ApiProblem("invalid-request", "Idempotency-Key 应为1至100个可见ASCII字符")
    return key


def replay(credential: ApiCredential, key: str, digest: str) -> ApiIdempotency | None:
    """The stored answer for ``key``; a 422 problem when it was used for another request."""
    stored = db.session.execute(
        select(ApiIdempotency).where(ApiIdempotency.credential_id == credential.id, ApiIdempotency.key == key,
                                     ApiIdempotency.created_at > utcnow() - KEEP)
    ).scalar_one_or_none()
    if stored is not None and stored.request_hash != digest:
        raise ApiProblem("idempotency-key-reused", "该 Idempotency-Key 已用于内容不同的请求，请换用新的键")
    return stored


def remember(credential: ApiCredential, key: str, digest: str, status: int, body: str) -> None:
    """Store the answer in the write's own transaction (it commits with the write or not at all),
    after deleting the client's expired keys (this one's included, when it is being reused)."""
    db.session.execute(delete(ApiIdempotency).where(ApiIdempotency.credential_id == credential.id,
                                                    ApiIdempotency.created_at <= utcnow() - KEEP))
    db.session.add(ApiIdempotency(credential_id=credential.id, key=key, request_hash=digest, status=status,
                                  body=body))
