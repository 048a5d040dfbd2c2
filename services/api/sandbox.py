"""Resource ``sandbox``: 信用沙盒 clues for the 第三方合作机构 (表27; docs/sandbox.md).

A partner's account holds the 接口调用方 and 第三方合作机构 roles in the department whose sandbox it
serves; it sees that department's clues once pushed, and no other.  ``sandbox:read`` pulls them
after an opaque keyset cursor (oldest first; ``state`` and ``level`` filters) and reads one with
its history; ``sandbox:write`` reports 告知市场主体 (POST …/told) and the entity's 整改
(POST …/feedback, ``rectified`` true or false).  Both writes are idempotent: the same report
again changes nothing (and an ``Idempotency-Key`` replays the first answer).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import joinedload

from infrastructure.errors import ServiceError
from models import SandboxClue, db
from models.sandbox import CLUE_STATES, LEVELS
from services.api.problems import ApiProblem
from services.api.published import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from services.api.registry import READ, WRITE, Call, Operation, Param, Reply, Resource, register
from services.sandbox import clues

_STR = {"type": "string"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "SandboxClue": {
        "type": "object",
        "required": ["id", "level", "state", "entity", "item", "formed_on", "formed_at", "open", "feedback"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "level": {"type": "string", "enum": list(LEVELS), "description": "提示线索或预警线索"},
            "state": {"type": "string", "enum": list(CLUE_STATES)},
            "entity": {"type": "object", "required": ["name"], "properties": {
                "name": _STR, "uscc": {"type": ["string", "null"]}, "reg_no": {"type": ["string", "null"]}}},
            "item": {"type": "object", "required": ["id", "name", "condition"], "properties": {
                "id": {"type": "integer"}, "name": _STR, "condition": _STR}},
            "formed_on": {"type": "string", "description": "形成日期（北京时间）"},
            "formed_at": {"type": "string", "description": "形成时间，北京时间 ISO 8601"},
            "open": {"type": "boolean", "description": "触发条件是否仍然满足"},
            "feedback": {"type": "string", "description": "最近一次整改反馈"},
            "history": {"type": "array", "items": {"type": "object", "required": ["at", "state", "note", "actor"],
                                                   "properties": {"at": _STR, "state": _STR, "note": _STR,
                                                                  "actor": _STR}}},
        },
    },
    "SandboxCluePage": {
        "type": "object",
        "required": ["items", "next_cursor", "has_more"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/SandboxClue"}},
            "next_cursor": {"type": "string"},
            "has_more": {"type": "boolean"},
        },
    },
    "SandboxTold": {"type": "object", "properties": {"note": {"type": "string", "maxLength": 1000}}},
    "SandboxFeedback": {
        "type": "object",
        "required": ["rectified"],
        "properties": {"rectified": {"type": "boolean", "description": "市场主体是否已整改"},
                       "note": {"type": "string", "maxLength": 1000, "description": "整改情况"}},
    },
    "SandboxAnswer": {
        "type": "object",
        "required": ["changed", "clue"],
        "additionalProperties": False,
        "properties": {"changed": {"type": "boolean", "description": "false：与此前的反馈相同，未作变更"},
                       "clue": {"$ref": "#/components/schemas/SandboxClue"}},
    },
}


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiProblem("invalid-request", f"limit 应为1至{MAX_LIMIT}之间的整数")
    return int(raw)


def _partner_query(call: Call) -> Any:
    try:
        return clues.partner_clues(call.user)
    except ServiceError as exc:
        raise ApiProblem("forbidden", exc.message) from None


def _clue(call: Call) -> SandboxClue:
    raw = call.params.get("id", "")
    if not raw.isdigit():
        raise ApiProblem("not-found", "未找到该线索")
    _partner_query(call)
    try:
        clue = clues.partner_clue(call.user, int(raw))
    except ServiceError:
        raise ApiProblem("not-found", "未找到该线索") from None
    call.touched.append(clue.entity.uscc or clue.entity.reg_no or "")
    return clue


def list_clues(call: Call) -> Reply:
    after = decode_cursor(call.query.get("cursor", ""))
    limit = _limit(call.query.get("limit"))
    query = _partner_query(call).where(SandboxClue.id > after)
    state, level = call.query.get("state", ""), call.query.get("level", "")
    if state:
        if state not in CLUE_STATES:
            raise ApiProblem("invalid-request", f"state 应为：{'、'.join(CLUE_STATES)}")
        query = query.where(SandboxClue.state == state)
    if level:
        if level not in LEVELS:
            raise ApiProblem("invalid-request", "level 应为：提示、预警")
        query = query.where(SandboxClue.level == level)
    rows = list(db.session.execute(
        query.options(joinedload(SandboxClue.entity), joinedload(SandboxClue.item))
        .order_by(SandboxClue.id).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    call.counts["条数"] = len(rows)
    return Reply({"items": [clues.record(c) for c in rows], "next_cursor": encode_cursor(rows[-1].id if rows else after),
                  "has_more": more})


def get_clue(call: Call) -> Reply:
    return Reply(clues.record(_clue(call), history=True))


def _note(call: Call, required: bool = False) -> str:
    body = call.body if isinstance(call.body, dict) else None
    if body is None:
        raise ApiProblem("invalid-request", "请求体应为JSON对象")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 1000:
        raise ApiProblem("invalid-request", "note 应为不超过1000字的文字")
    return note.strip()


def _act(call: Call, action: Any) -> Reply:
    clue = _clue(call)
    try:
        changed = action(clue)
    except ServiceError as exc:
        raise ApiProblem("conflict" if exc.status == 409 else "forbidden", exc.message) from None
    db.session.flush()
    db.session.refresh(clue)
    return Reply({"changed": bool(changed), "clue": clues.record(clue, history=True)})


def post_told(call: Call) -> Reply:
    note = _note(call)
    return _act(call, lambda clue: clues.tell(call.user, clue, note))


def post_feedback(call: Call) -> Reply:
    note = _note(call)
    rectified = call.body.get("rectified")
    if not isinstance(rectified, bool):
        raise ApiProblem("invalid-request", "rectified 应为 true（已整改）或 false（未整改）")
    if rectified and not note:
        raise ApiProblem("invalid-request", "请在 note 中填写整改情况")
    return _act(call, lambda clue: clues.feedback(call.user, clue, rectified, note))


_ID = Param("id", "path", "线索编号", {"type": "string", "pattern": "^[0-9]+$"}, required=True)
RESOURCE = register(Resource(
    name="sandbox",
    title="信用沙盒线索",
    tag_description="第三方合作机构拉取本部门信用沙盒的提示/预警线索，反馈告知和整改情况（表27）",
    schemas=SCHEMAS,
    operations=(
        Operation("GET", "/sandbox/clues", READ, "按游标增量拉取已推送的线索", list_clues, "SandboxCluePage",
                  params=(Param("cursor", "query", "上一次返回的 next_cursor；不填从头开始"),
                          Param("limit", "query", "每页条数，1至500，默认100", {"type": "string", "pattern": "^[0-9]+$"}),
                          Param("state", "query", "线索状态：" + "、".join(CLUE_STATES)),
                          Param("level", "query", "线索级别：提示、预警")), problems=(400,)),
        Operation("GET", "/sandbox/clues/{id}", READ, "读取一条线索及其处理历史", get_clue, "SandboxClue",
                  params=(_ID,), problems=(404,)),
        Operation("POST", "/sandbox/clues/{id}/told", WRITE, "告知市场主体", post_told, "SandboxAnswer",
                  params=(_ID,), request="SandboxTold", problems=(400, 404, 409, 413, 415, 422)),
        Operation("POST", "/sandbox/clues/{id}/feedback", WRITE, "反馈市场主体的整改情况", post_feedback, "SandboxAnswer",
                  params=(_ID,), request="SandboxFeedback", problems=(400, 404, 409, 413, 415, 422)),
    ),
))
