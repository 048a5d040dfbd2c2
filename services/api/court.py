"""Resource ``court``: 企业送达信息共享 (表34) — the 市法院's two calls (docs/court.md).

- ``GET /court/entity?code=…`` (``court:read``): 获取市场主体基本信息.  The fields are those the
  credential's ``entities`` scopes grant (``entities.address:read`` the addresses,
  ``entities.legal_rep:read`` the legal representative …; identity only without them), from
  the client's area as for ``GET /entities/{code}``.  Each call answered with the record is
  recorded with its 表34 instance (services/court/sharing.py); a 304 Not Modified is not
  (docs/court.md: the API audit row records it).
- ``POST /court/feedback`` (``court:write``): 反馈案件信息及送达信息 — the case and the delivery
  result.  An 未送达 case puts the entity in the 风险库 (司法送达失败预警); a later 送达 takes it out.
  The same feedback twice creates nothing (with or without an ``Idempotency-Key``).
"""

from __future__ import annotations

from typing import Any

from services.api import entities as entity_api
from services.api.problems import ApiProblem
from services.api.registry import READ, WRITE, Call, Operation, Param, Reply, Resource, register
from services.court import sharing

PART_FIELDS = {"address": "注册地址和经营地址", "legal_rep": "法定代表人", "detail": "详细信息"}


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


SCHEMAS: dict[str, Any] = {
    "CourtParty": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": _text("当事人名称", maxLength=100), "role": _text("诉讼地位（原告、被告……）", maxLength=30)},
    },
    "CourtFeedback": {
        "type": "object",
        "description": "反馈案件信息及送达信息",
        "required": ["entity_code", "case", "delivery"],
        "properties": {
            "entity_code": _text("受送达市场主体的统一社会信用代码或注册号", maxLength=30),
            "case": {
                "type": "object",
                "required": ["case_no", "court", "kind"],
                "properties": {
                    "case_no": _text("案号", maxLength=60),
                    "court": _text("法院", maxLength=100),
                    "kind": _text("案件类型（民事、行政、执行……）", maxLength=30),
                    "parties": {"type": "array", "maxItems": sharing.MAX_PARTIES,
                                "items": {"$ref": "#/components/schemas/CourtParty"}},
                },
            },
            "delivery": {
                "type": "object",
                "required": ["result", "date", "address"],
                "properties": {
                    "result": {"type": "string", "enum": list(sharing.RESULTS), "description": "送达结果"},
                    "date": {"type": "string", "format": "date", "description": "送达日期（不晚于今天）"},
                    "address": _text("送达地址", maxLength=300),
                    "note": _text("备注", maxLength=500),
                },
            },
        },
    },
    "CourtFeedbackResult": {
        "type": "object",
        "required": ["case_id", "delivery_id", "entity_code", "case_no", "result", "date", "created", "case_status",
                     "in_risk_library"],
        "additionalProperties": False,
        "properties": {
            "case_id": {"type": "integer"},
            "delivery_id": {"type": "integer"},
            "entity_code": _text("受送达市场主体的代码"),
            "case_no": _text("案号"),
            "result": {"type": "string", "enum": list(sharing.RESULTS)},
            "date": {"type": "string", "format": "date"},
            "created": {"type": "boolean", "description": "false：与已收到的反馈相同，未重复记录"},
            "case_status": {"type": "string", "enum": list(sharing.RESULTS),
                            "description": "案件送达状态：未送达且其后未送达成功为“未送达”"},
            "in_risk_library": {"type": "boolean", "description": "该市场主体是否因案件未送达列入风险库"},
        },
    },
}


def _entity(call: Call, code: str) -> Any:
    entity = entity_api.find_entities(call, [code]).get(code)
    if entity is None:
        raise ApiProblem("entity-not-found", f"本区域市场主体库中未找到统一社会信用代码或注册号为“{code[:30]}”的市场主体")
    call.touched.append(entity.uscc or entity.reg_no or str(entity.id))
    return entity


def lookup(call: Call) -> Reply:
    code = entity_api.normalise(call.query.get("code", ""))
    if not code:
        raise ApiProblem("invalid-request", "请用 code 参数给出统一社会信用代码或注册号")
    entity = _entity(call, code)
    granted = frozenset(call.credential.scope_list)
    parts = _entity_parts(granted)
    fields = [PART_FIELDS[p] for p in sorted(parts)]
    # Recorded (court_lookup, 表34 获取) only when the record is sent: a 304 Not Modified gave the
    # court nothing new, so it neither counts as a lookup nor starts or advances a 表34 pass.
    return Reply(entity_api.entity_record(entity, parts),
                 on_sent=lambda: sharing.record_lookup(call.user, call.credential.id, entity, code, fields))


def _entity_parts(granted: frozenset[str]) -> frozenset[str]:
    """The parts of ``entities`` the credential's scopes grant (services/api/scopes.parts)."""
    return frozenset(p for p in entity_api.PARTS if f"entities.{p}:read" in granted)


def feedback(call: Call) -> Reply:
    try:
        fb = sharing.read_feedback(call.body)
    except sharing.FeedbackInvalid as exc:
        raise ApiProblem("invalid-request", exc.message, errors=exc.errors) from None
    entity = _entity(call, fb.entity_code)
    outcome = sharing.record_feedback(call.user, call.credential.id, entity, fb)
    call.counts = {"新增": int(outcome.created), "重复": int(not outcome.created)}
    labels = {v: k for k, v in sharing.RESULTS.items()}
    return Reply({
        "case_id": outcome.case.id, "delivery_id": outcome.delivery.id, "entity_code": fb.entity_code,
        "case_no": outcome.case.case_no, "result": labels[outcome.delivery.result],
        "date": outcome.delivery.served_on.isoformat(), "created": outcome.created,
        "case_status": labels[outcome.case.status], "in_risk_library": outcome.in_risk_library,
    })


RESOURCE = register(Resource(
    name="court",
    title="企业送达信息共享",
    tag_description="市法院获取市场主体基本信息、反馈案件信息及送达信息（表34）",
    schemas=SCHEMAS,
    operations=(
        Operation("GET", "/court/entity", READ, "获取市场主体基本信息（用于案件送达）", lookup, "Entity",
                  params=(Param("code", "query", "统一社会信用代码或注册号", required=True),), problems=(400, 404)),
        Operation("POST", "/court/feedback", WRITE, "反馈案件信息及送达信息", feedback, "CourtFeedbackResult",
                  request="CourtFeedback", problems=(400, 404, 409, 413, 415, 422)),
    ),
))
