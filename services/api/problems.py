"""RFC 9457 problem details for /api/v1: every refusal is one ``ApiProblem`` with a Chinese
title; blueprints/api renders it as ``application/problem+json``."""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE = "urn:zhjg:api:problem:"

# slug → (status, title)
PROBLEMS: dict[str, tuple[int, str]] = {
    "token-missing": (401, "缺少访问令牌"),
    "token-malformed": (401, "访问令牌格式不正确"),
    "token-invalid": (401, "访问令牌无效"),
    "token-expired": (401, "访问令牌已过期"),
    "token-revoked": (401, "访问令牌已被吊销"),
    "scope": (403, "访问令牌无权访问该资源"),
    "ip-not-allowed": (403, "调用地址不在允许范围内"),
    "not-found": (404, "请求的资源不存在"),
    "entity-not-found": (404, "未找到该市场主体"),
    "method-not-allowed": (405, "不支持该请求方式"),
    "idempotency-in-progress": (409, "同一幂等键的请求正在处理"),
    "conflict": (409, "请求与当前数据冲突"),
    "body-too-large": (413, "请求体过大"),
    "unsupported-media-type": (415, "请求体须为JSON"),
    "malformed-json": (400, "请求体不是有效的JSON"),
    "invalid-request": (400, "请求内容不符合要求"),
    "idempotency-key-reused": (422, "幂等键已用于不同的请求"),
    "rate-limited": (429, "请求过于频繁"),
    "forbidden": (403, "无权执行该操作"),
    "server-error": (500, "系统内部错误"),
}

# The problem a plain HTTP status becomes (routing errors, services' refusals).
BY_STATUS = {401: "token-invalid", 403: "forbidden", 404: "not-found", 405: "method-not-allowed", 409: "conflict",
             413: "body-too-large", 415: "unsupported-media-type", 422: "invalid-request", 429: "rate-limited",
             400: "invalid-request"}


class ApiProblem(Exception):
    """A refusal of an /api/v1 call: ``slug`` names the problem type (PROBLEMS)."""

    def __init__(self, slug: str, detail: str = "", *, headers: dict[str, str] | None = None,
                 status: int | None = None, **extensions: Any) -> None:
        default_status, self.title = PROBLEMS[slug]
        super().__init__(f"{slug}: {detail}")
        self.slug = slug
        self.status = status or default_status
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions
        self.credential: Any = None  # the client, when the token named one (expired, revoked)
        self.wait = 0.0  # its rate limit's answer to this call (services/api/clients.authenticate)

    def body(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_TYPE + self.slug, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = instance
        body.update(self.extensions)
        return body


def for_status(status: int, detail: str = "") -> ApiProblem:
    """The problem of a bare HTTP status (an unknown path, a method not allowed, a 500)."""
    return ApiProblem(BY_STATUS.get(status, "server-error"), detail, status=status)
