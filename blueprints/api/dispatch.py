"""One pipeline for every call of /api/v1: token → IP allow-list → rate limit → scope → body →
idempotency → the resource's handler → audit row → commit.  Refusals are problem details
(services/api/problems.py); nothing of a refused write is kept.

The audit row (action ``api_call``: the client, the operation, the status, the entities
touched) is written last, just before the commit, into the audit outbox (persistence/
audit_outbox.py): one INSERT without the chain's lock, so that calls do not queue on each
other's commits; `flask audit seal` chains it within the minute.  A call refused before its client is known (no token, a malformed
or unknown one) and a call refused by the rate limit leave no row: they would let anyone fill
the trail (the web server's access log has them).  An expired or revoked token names its
client: those calls are audited (and counted against its limit).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from blueprints.api.problems import JSON, json_response, problem_response
from infrastructure.errors import ServiceError
from models import db
from persistence import audit_outbox
from services.api import clients, idempotency, ratelimit, scopes, tokens
from services.api.clients import Client
from services.api.problems import ApiProblem, for_status
from services.api.registry import Call, Operation, Resource

AUDIT_CODES = 50


def limiter() -> ratelimit.Limiter:
    return ratelimit.for_app(current_app)


def _authenticate() -> tuple[Client, float]:
    """The caller (a snapshot, services/api/clients.py), this call counted against its limit."""
    digest = tokens.digest_of(request.headers.get("Authorization"))
    return clients.authenticate(digest, current_app.config["API_TOKEN_CACHE_SECONDS"], limiter())


def _admit(credential: Client, wait: float, resource: Resource, op: Operation, params: dict[str, str]) -> Call:
    tokens.check_ip(credential, request.remote_addr or "")
    if wait:
        raise ApiProblem("rate-limited", f"该凭证每分钟最多{credential.rate_limit}次请求，请稍后重试",
                         headers={"Retry-After": ratelimit.retry_after_header(wait)})
    part = op.part or (params.get(op.part_param) if op.part_param else None)
    if op.part_param and part not in resource.parts:
        raise ApiProblem("not-found", f"没有“{str(part)[:40]}”这一类别，可用：{'、'.join(resource.parts)}")
    granted = frozenset(credential.scope_list)
    if not scopes.allows(granted, resource, op, part):
        needed = f"{resource.name}:{op.action}" + (f" 或 {resource.name}.{part}:{op.action}" if part else "")
        raise ApiProblem("scope", f"该凭证的授权范围不包括 {needed}")
    return Call(credential, params, request.args, parts=scopes.parts(granted, resource, op.action))


def _read(op: Operation, call: Call) -> Response:
    reply = op.handler(call)
    response = json_response(reply.body, reply.status)
    if reply.status == 200:
        response.add_etag()
        response.make_conditional(request)
    if reply.on_sent is not None and response.status_code != 304:
        reply.on_sent()
    return response


def _body() -> tuple[bytes, Any]:
    mimetype = request.mimetype or ""
    if mimetype != JSON and not mimetype.endswith("+json"):
        raise ApiProblem("unsupported-media-type", "请以 Content-Type: application/json 提交JSON请求体")
    raw = request.get_data(cache=True)  # RequestEntityTooLarge past API_MAX_BODY_BYTES
    try:
        return raw, json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiProblem("malformed-json", f"无法解析请求体：{str(exc)[:100]}") from None


def _write(op: Operation, call: Call) -> Response:
    key = request.headers.get("Idempotency-Key")
    raw, body = _body()
    digest = ""
    if key is not None:
        idempotency.check_key(key)
        digest = idempotency.request_hash(request.method, request.path, raw)
        stored = idempotency.replay(call.credential, key, digest)
        if stored is not None:
            response = Response(stored.body, stored.status, mimetype=JSON)
            response.headers["Idempotent-Replayed"] = "true"
            return response
    call.body = body
    reply = op.handler(call)
    response = json_response(reply.body, reply.status)
    if key is not None:
        idempotency.remember(call.credential, key, digest, reply.status, response.get_data(as_text=True))
    return response


def _audit(credential: Client, op: Operation, call: Call | None, status: int) -> None:
    summary: dict[str, Any] = {"接口": f"{op.method} /api/v1{op.path}", "状态": status}
    if call is not None and call.touched:
        summary["主体"] = call.touched[:AUDIT_CODES]
        summary["主体数"] = len(call.touched)
    if call is not None and call.counts:
        summary["计数"] = call.counts
    clients.touch(credential)
    audit_outbox.defer_as("api_call", object_type="api_credential", object_id=credential.id, summary=summary,
                          user_id=credential.user_id, account=credential.account, name=credential.user_name,
                          department_id=credential.department_id, department_name=credential.department_name)


def _refusal(exc: Exception) -> Response:
    """The problem detail of an exception raised while answering (after a rollback)."""
    db.session.rollback()
    if isinstance(exc, ApiProblem):
        return problem_response(exc)
    if isinstance(exc, ServiceError):
        return problem_response(for_status(exc.status, exc.message))
    if isinstance(exc, IntegrityError):  # a concurrent call wrote the same row first
        return problem_response(ApiProblem("conflict", "数据已被同时提交的其他请求修改，请重试"))
    assert isinstance(exc, HTTPException)  # 413 while reading the body
    limit = current_app.config["API_MAX_BODY_BYTES"] // 1024 // 1024
    return problem_response(for_status(exc.code or 400, f"请求体不能超过{limit}MB" if exc.code == 413 else ""))


def _without_transaction() -> None:
    """A pure read (``Operation.pure``) on PostgreSQL: its connection in autocommit, so no BEGIN
    and no COMMIT round trip; the audit row is then one INSERT committing by itself.  Not when
    the session is bound to a connection already in a transaction (the tests' rollback)."""
    bind = db.session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def handle(resource: Resource, op: Operation, params: dict[str, str]) -> Response:
    credential: Client | None = None
    call: Call | None = None
    if op.pure:
        _without_transaction()
    try:
        credential, wait = _authenticate()
        call = _admit(credential, wait, resource, op, params)
        response = _write(op, call) if op.method == "POST" else _read(op, call)
    except (ApiProblem, ServiceError, IntegrityError, HTTPException) as exc:
        response = _refusal(exc)
        if op.pure:
            _without_transaction()  # the rollback gave the connection back
        known = getattr(exc, "credential", None)  # an expired or revoked token: its client is known
        if credential is None and known is not None and not getattr(exc, "wait", 0):
            credential = known
    if credential is None or response.status_code == 429:
        db.session.rollback()
        return response
    _audit(credential, op, call, response.status_code)
    try:
        db.session.commit()
    except IntegrityError:  # the same new Idempotency-Key committed by a concurrent call
        db.session.rollback()
        response = problem_response(ApiProblem("idempotency-in-progress",
                                               "同一 Idempotency-Key 的请求正在处理或刚处理完，请稍后重试"))
        _audit(credential, op, None, response.status_code)
        db.session.commit()
    return response
