"""Helpers shared by the administration tests (not a test module)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEvent, db
from tests.conftest import csrf_token


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST with a valid CSRF token (unless the test passes its own)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/inbox"))
    return client.post(url, data=data, **kwargs)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def audit_rows(action: str | None = None, object_type: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return list(db.session.execute(query).scalars())
