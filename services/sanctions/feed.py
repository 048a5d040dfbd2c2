"""The public feeds of 联合奖惩 (the stand-in for the push to 信用中国(四川成都)): every publication
of the catalogue or of the object lists after a cursor, signed.

The body is signed with HMAC-SHA256 under a key derived from the app's SECRET_KEY; the receiver
that holds the shared key checks ``X-Signature`` against the exact bytes it received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from flask import current_app
from sqlalchemy.orm import joinedload

from models import Publication, db
from services import publication

LIMIT = 500


def signature(body: bytes) -> str:
    secret = str(current_app.config.get("SECRET_KEY") or "")
    key = hashlib.sha256(f"sanctions-feed:{secret}".encode()).digest()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def feed_body(subject_type: str, after_id: int, limit: int) -> bytes:
    limit = max(1, min(limit, LIMIT))
    rows = list(db.session.execute(
        publication.feed(subject_type, after_id=max(after_id, 0)).options(joinedload(Publication.department))
        .limit(limit + 1)
    ).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    body: dict[str, Any] = {
        "source": "智慧监管平台",
        "subject_type": subject_type,
        "after_id": after_id,
        "next_after_id": rows[-1].id if rows else after_id,
        "has_more": more,
        "count": len(rows),
        "records": [publication.feed_record(p) for p in rows],
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
