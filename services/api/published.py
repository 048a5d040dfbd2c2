"""Resource ``published``: what the platform has published (一公开), as the public feeds give it
(/public/items.json, /public/plans.json, /public/results.json: services/publication.feed and
``feed_record``), for systems that pull with a token: the published inspection items, plans
and results, every publication and withdrawal after an opaque keyset cursor, oldest first.

Scopes: ``published:read`` (every feed) or ``published.items|plans|results:read``.  Each answer
carries an ETag (blueprints/api): a poll with If-None-Match is answered 304 when nothing is new.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sqlalchemy.orm import joinedload

from models import Publication, db
from services import inspection_publication
from services import publication as pub
from services.api.problems import ApiProblem
from services.api.registry import READ, Call, Operation, Param, Reply, Resource, register

FEEDS = {"items": "check_item", "plans": "plan", "results": inspection_publication.SUBJECT}
TITLES = {"items": "抽查事项清单", "plans": "抽查计划", "results": "抽查检查结果"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 500


def encode_cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"a": after_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["a"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiProblem("invalid-request", "cursor 参数无效：请使用上一次返回的 next_cursor") from None
    if not isinstance(after, int) or after < 0:
        raise ApiProblem("invalid-request", "cursor 参数无效：请使用上一次返回的 next_cursor")
    return after


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiProblem("invalid-request", f"limit 应为1至{MAX_LIMIT}之间的整数")
    return int(raw)


def page(feed: str, call: Call) -> Reply:
    after = decode_cursor(call.query.get("cursor", ""))
    limit = _limit(call.query.get("limit"))
    rows = list(db.session.execute(
        pub.feed(FEEDS[feed], after_id=after).options(joinedload(Publication.department)).limit(limit + 1)
    ).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].id if rows else after
    call.counts["条数"] = len(rows)
    return Reply({"items": [pub.feed_record(p) for p in rows], "next_cursor": encode_cursor(last), "has_more": more})


def _handler(feed: str) -> Any:
    def handle(call: Call) -> Reply:
        return page(feed, call)

    handle.__name__ = f"published_{feed}"
    return handle


SCHEMAS = {
    "Publication": {
        "type": "object",
        "required": ["id", "subject_type", "subject_id", "version", "action", "title", "published_at", "payload"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "subject_type": {"type": "string"},
            "subject_id": {"type": "integer"},
            "version": {"type": "integer"},
            "action": {"type": "string", "description": "公布或撤下"},
            "list_type": {"type": "string"},
            "department": {"type": "string"},
            "title": {"type": "string"},
            "published_at": {"type": "string", "description": "北京时间，ISO 8601"},
            "payload": {"type": "object", "description": "公布的内容（中文字段名）"},
        },
    },
    "PublicationPage": {
        "type": "object",
        "required": ["items", "next_cursor", "has_more"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Publication"}},
            "next_cursor": {"type": "string", "description": "下一次请求的 cursor（没有新记录时不变）"},
            "has_more": {"type": "boolean"},
        },
    },
}

_PARAMS = (
    Param("cursor", "query", "上一次返回的 next_cursor；不填从头开始"),
    Param("limit", "query", f"每页条数，1至{MAX_LIMIT}，默认{DEFAULT_LIMIT}", {"type": "string", "pattern": "^[0-9]+$"}),
)

RESOURCE = register(Resource(
    name="published",
    title="公开信息",
    tag_description="已公布的抽查事项、抽查计划和抽查检查结果（含撤下），按游标增量拉取，支持 ETag",
    parts=TITLES,
    whole_covers_parts=True,
    schemas=SCHEMAS,
    operations=tuple(
        Operation("GET", f"/published/{feed}", READ, f"增量拉取已公布的{title}", _handler(feed), "PublicationPage",
                  params=_PARAMS, part=feed, problems=(400,))
        for feed, title in TITLES.items()
    ),
))
