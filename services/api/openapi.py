"""The OpenAPI 3.1 document of /api/v1, built from the resource registry: every operation,
its parameters, body and answers (problem details for the refusals), and the schemas each
resource declares.  Served at /api/v1/openapi.json; the tests validate the real answers
against it with openapi-core."""

from __future__ import annotations

from typing import Any

from services.api.problems import PROBLEMS
from services.api.registry import Operation, Resource
from services.api.resources import load

VERSION = "1.0.0"
COMMON_PROBLEMS = (401, 403, 429)
STATUS_TEXT = {200: "成功", 304: "未修改（If-None-Match 与 ETag 相同）", 400: "请求有误", 401: "未认证",
               403: "无权访问", 404: "不存在", 409: "冲突", 413: "请求体过大", 415: "请求体须为JSON",
               422: "幂等键已用于不同的请求", 429: "请求过于频繁", 500: "系统内部错误"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 问题详情（application/problem+json）",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "enum": sorted(f"urn:zhjg:api:problem:{slug}" for slug in PROBLEMS)},
        "title": {"type": "string", "description": "中文标题"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "object"},
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": STATUS_TEXT.get(status, "错误"),
                                "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "几秒后可以重试", "schema": {"type": "string"}}}
    return response


def _operation(resource: Resource, op: Operation) -> dict[str, Any]:
    scope = f"{resource.name}:{op.action}"
    if op.part:
        scope += f" 或 {resource.name}.{op.part}:{op.action}"
    elif op.part_param:
        scope += f" 或 {resource.name}.<{op.part_param}>:{op.action}"
    success: dict[str, Any] = {"description": STATUS_TEXT[200],
                               "content": {"application/json": {"schema": _ref(op.response)}}}
    out: dict[str, Any] = {
        "operationId": op.endpoint,
        "tags": [resource.name],
        "summary": op.summary,
        "description": f"授权范围：{scope}",
        "parameters": [
            {"name": p.name, "in": p.where, "description": p.description, "required": p.required or p.where == "path",
             "schema": p.schema}
            for p in op.params
        ],
        "responses": {"200": success},
    }
    if op.method == "GET":
        success["headers"] = {"ETag": {"schema": {"type": "string"}}}
        out["parameters"].append({"name": "If-None-Match", "in": "header", "required": False,
                                  "schema": {"type": "string"}, "description": "上次响应的 ETag"})
        out["responses"]["304"] = {"description": STATUS_TEXT[304]}
    else:
        out["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                  "schema": {"type": "string", "maxLength": 100},
                                  "description": "幂等键：同一键、同一请求体的重复提交返回第一次的结果"})
    if op.request:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.request)}}}
    for status in sorted({*COMMON_PROBLEMS, *op.problems}):
        out["responses"][str(status)] = _problem_response(status)
    return out


def document() -> dict[str, Any]:
    resources = load()
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for resource in resources.values():
        schemas.update(resource.schemas)
        for op in resource.operations:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(resource, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "智慧监管平台数据接口",
            "version": VERSION,
            "description": "以接口凭证（Bearer 令牌）调用；授权范围、限流、幂等和错误格式见 docs/api.md。",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [{"name": r.name, "description": r.tag_description or r.title} for r in resources.values()],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "接口凭证令牌（zhjg_…），由系统管理员签发，只显示一次"}},
        },
    }
