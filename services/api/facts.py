"""Resource ``facts``: 数据交换 — batches of collected facts (permits, penalties, sanctions …)
posted by other systems, filed through the collection service's one ``ingest``
(services/collection/ingest.py) with the source kind 数据交换 and the client's department as the
providing department.

Scopes: ``facts:write`` (every kind) or ``facts.<kind>:write``.  The answer has one result per
record, in order: ``matched`` (filed under its entity: 新增, 更新 or 无变化), ``pending`` (in the
pending pool, with the reason: 未匹配, 重复, 冲突) or ``error`` (the field errors, in Chinese).
A batch is all of one kind and at most 1,000 records.
"""

from __future__ import annotations

from typing import Any

from models import FactSource
from services.api.problems import ApiProblem
from services.api.registry import WRITE, Call, Operation, Param, Reply, Resource, register
from services.collection import ingest as ing
from services.collection.kinds import FACT_KINDS

MAX_RECORDS = 1000
STATUS = {ing.CREATED: "matched", ing.UPDATED: "matched", ing.SAME: "matched", ing.PENDING: "pending",
          ing.ERROR: "error"}


def _record_schema() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for kind in FACT_KINDS.values():
        for f in kind.all_fields:
            fields.setdefault(f.key, {"description": f.label})
    return {
        "type": "object",
        "description": "一条归集信息，键为字段名（如 uscc、permit_no）或其中文标题；各类别的字段见 docs/collection.md",
        "properties": fields,
        "additionalProperties": True,
    }


SCHEMAS = {
    "FactRecord": _record_schema(),
    "FactBatch": {
        "type": "object",
        "required": ["records"],
        "properties": {"records": {"type": "array", "minItems": 1, "maxItems": MAX_RECORDS,
                                   "items": {"$ref": "#/components/schemas/FactRecord"}}},
    },
    "FactResult": {
        "type": "object",
        "required": ["index", "status", "outcome"],
        "additionalProperties": False,
        "properties": {
            "index": {"type": "integer", "description": "记录在批次中的序号（从0起）"},
            "status": {"type": "string", "enum": ["matched", "pending", "error"]},
            "outcome": {"type": "string", "enum": list(STATUS), "description": "新增、更新、无变化、待处理或有误"},
            "fact_id": {"type": "integer"},
            "entity_code": {"type": ["string", "null"]},
            "reason": {"type": "string", "description": "待处理原因：未匹配、重复、冲突"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "字段名 → 错误说明"},
        },
    },
    "FactBatchResult": {
        "type": "object",
        "required": ["kind", "counts", "results"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/FactResult"}},
        },
    },
}


def _result(outcome: ing.Outcome, code: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"index": outcome.index, "status": STATUS[outcome.status], "outcome": outcome.status}
    # The ids and the reason ride on the outcome: a batch's facts are written as plain rows, not
    # loaded back as ORM objects (docs/collection.md, "How a batch is written").
    if outcome.fact_id is not None:
        out["fact_id"] = outcome.fact_id
        out["entity_code"] = code
    if outcome.pending_id is not None:
        out["reason"] = outcome.reason
        out["detail"] = outcome.detail
    if outcome.errors:
        out["errors"] = outcome.errors
    return out


def post_batch(call: Call) -> Reply:
    kind = FACT_KINDS[call.params["kind"]]
    body = call.body
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list) or not records:
        raise ApiProblem("invalid-request", "请求体应为 {\"records\": [ … ]}，至少一条记录")
    if len(records) > MAX_RECORDS:
        raise ApiProblem("invalid-request", f"一批最多{MAX_RECORDS}条记录，请分批提交")
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise ApiProblem("invalid-request", f"第{bad[0]}条记录不是JSON对象")
    result = ing.ingest(kind, records, source_kind=FactSource.EXCHANGE, department=call.user.department)
    codes = {r.get("uscc") or r.get("统一社会信用代码") or r.get("reg_no") or r.get("注册号") for r in records}
    call.touched.extend(sorted(str(c) for c in codes if c))
    call.counts.update({k: v for k, v in result.counts.items() if v})
    results = []
    for outcome in result.outcomes:
        record = records[outcome.index]
        code = record.get("uscc") or record.get("统一社会信用代码") or record.get("reg_no") or record.get("注册号")
        results.append(_result(outcome, str(code).upper() if code else None))
    return Reply({"kind": kind.name, "counts": result.counts, "results": results})


RESOURCE = register(Resource(
    name="facts",
    title="归集信息报送",
    tag_description="数据交换：按类别批量报送归集信息（行政许可、行政处罚、惩戒信息等），逐条返回处理结果",
    parts={k.name: k.label for k in FACT_KINDS.values()},
    whole_covers_parts=True,
    schemas=SCHEMAS,
    operations=(
        Operation("POST", "/facts/{kind}", WRITE, "批量报送一类归集信息（最多1000条）", post_batch, "FactBatchResult",
                  params=(Param("kind", "path", "信息类别：" + "、".join(f"{k.name}（{k.label}）"
                                                                    for k in FACT_KINDS.values()),
                                {"type": "string", "enum": list(FACT_KINDS)}, required=True),),
                  request="FactBatch", part_param="kind", problems=(400, 404, 409, 413, 415, 422)),
    ),
))
