"""Render an ApiProblem as application/problem+json (RFC 9457), and the JSON answers of /api/v1."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from services.api.problems import ApiProblem, for_status

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
CACHE_CONTROL = "private, no-cache"


def json_response(body: Any, status: int = 200) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, mimetype=JSON)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def problem_response(problem: ApiProblem) -> Response:
    response = Response(json.dumps(problem.body(request.path), ensure_ascii=False), problem.status,
                        mimetype=PROBLEM_JSON)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = "zh-CN"
    for name, value in problem.headers.items():
        response.headers[name] = value
    if problem.status == 401:
        error = "" if problem.slug == "token-missing" else ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = f'Bearer realm="zhjg-api"{error}'
    return response


def render_status(status: int, message: str | None) -> Response:
    """The app's error handlers on an /api/ path (blueprints.web.register_error_renderer): an
    unknown path, a method not allowed, an unexpected error — never an HTML page or a trace."""
    detail = "" if status >= 500 else (message or "")
    if status == 404 and not message:
        detail = "没有该接口，接口列表见 /api/v1/openapi.json"
    return problem_response(for_status(status, detail))
