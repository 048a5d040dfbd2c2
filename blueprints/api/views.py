"""/api/v1: the authenticated data interface (docs/api.md).

Every operation of the resource registry (services/api/registry.py) gets its route here and runs
through blueprints/api/dispatch.py.  Token authentication, so no session and no CSRF token; a
JSON body of at most API_MAX_BODY_BYTES; every error a problem detail, including those the
app's handlers answer for an unknown path or an unexpected failure (blueprints.web's
``register_error_renderer``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from blueprints.api import dispatch
from blueprints.api.problems import json_response, render_status
from blueprints.web import csrf, register_error_renderer
from services.api import openapi
from services.api.registry import Operation, Resource
from services.api.resources import load

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
register_error_renderer("/api/", render_status)


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]


@bp.route("/openapi.json")
def openapi_json() -> Response:
    response = json_response(openapi.document())
    response.add_etag()
    return response.make_conditional(request)


def _view(resource: Resource, op: Operation) -> Any:
    def view(**params: str) -> Response:
        return dispatch.handle(resource, op, params)

    view.__name__ = op.endpoint
    return view


for _resource in load().values():
    for _op in _resource.operations:
        bp.add_url_rule(_op.rule, endpoint=_op.endpoint, view_func=_view(_resource, _op), methods=[_op.method])
