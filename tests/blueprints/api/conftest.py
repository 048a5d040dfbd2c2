"""The /api/v1 tests: an API client whose every answer is validated against the OpenAPI document
the app serves (openapi-core), and the credentials the tests use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from tests.factories.api import api_user, bearer, issue_token

ALL_SCOPES = ["entities:read", "entities.address:read", "entities.legal_rep:read", "entities.detail:read",
              "facts:write", "published:read"]


class _Request(WerkzeugOpenAPIRequest):
    """The request as sent: the test client's copy of it has its body stream already read."""

    def __init__(self, request: Any, body: bytes) -> None:
        super().__init__(request)
        self._body = body

    @property
    def body(self) -> bytes:
        return self._body


@pytest.fixture(autouse=True)
def fresh_limiter(app: Any) -> None:
    """Each test counts its own requests (credential ids repeat after a rollback)."""
    from services.api.ratelimit import MemoryLimiter

    app.extensions["zhjg_api_limiter"] = MemoryLimiter()


class Api:
    """Calls /api/v1 with a token and checks each answer against the OpenAPI document."""

    def __init__(self, client: Any, spec: OpenAPI, token: str | None = None) -> None:
        self.client, self.spec, self.token = client, spec, token
        self.validated = 0

    def call(self, method: str, path: str, token: str | None = "", validate: bool = True, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        token = self.token if token == "" else token
        if token is not None and "Authorization" not in headers:
            headers.update(bearer(token))
        response = self.client.open("/api/v1" + path, method=method, headers=headers, **kw)
        if validate:
            sent = kw.get("data") or (json.dumps(kw["json"]) if "json" in kw else b"")
            self.check(response, sent.encode() if isinstance(sent, str) else sent)
        return response

    def check(self, response: Any, body: bytes = b"") -> None:
        request = _Request(response.request, body)
        self.spec.validate_response(request, WerkzeugOpenAPIResponse(response))
        self.validated += 1

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.call("POST", path, **kw)


@pytest.fixture()
def spec(client: Any) -> OpenAPI:
    document = client.get("/api/v1/openapi.json").get_json()
    # openapi-core reads application/json itself; problem details are JSON too.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(document, config=config)


@pytest.fixture()
def court(org: Any, make_user: Any) -> Any:
    """An interface client of district A's 卫生健康局 (it sees district A's registry)."""
    return api_user(make_user, org.health_a)


@pytest.fixture()
def api(client: Any, spec: OpenAPI, org: Any, court: Any) -> Api:
    token, _credential = issue_token(org.sysadmin, court, ALL_SCOPES)
    return Api(client, spec, token)
