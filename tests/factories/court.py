"""The 市法院 of 表34 (services/court): its account, its credential, its feedback."""

from __future__ import annotations

from datetime import date
from typing import Any

from models import db
from services.court import sharing
from tests.factories.api import api_user, issue_token

COURT_SCOPES = ["court:read", "court:write", "entities.address:read", "entities.legal_rep:read"]


def court_client(make_user: Any, org: Any) -> Any:
    """The court's 接口调用方 account, in district A's 卫生健康局 (it sees district A's registry)."""
    return api_user(make_user, org.health_a, account=None)


def court_token(org: Any, user: Any, scopes: list[str] | None = None) -> tuple[str, Any]:
    return issue_token(org.sysadmin, user, scopes or COURT_SCOPES)


def body(entity: Any, *, case_no: str = "(2026)川0108民初100号", result: str = "未送达",
         on: date | str = "2026-11-01", address: str = "成都市甲区一路1号", **case: Any) -> dict[str, Any]:
    """A feedback body (the API's JSON)."""
    return {
        "entity_code": entity.uscc or entity.reg_no,
        "case": {"case_no": case_no, "court": case.pop("court", "成都市锦江区人民法院"), "kind": case.pop("kind", "民事"),
                 "parties": case.pop("parties", [{"name": "张三", "role": "原告"}, {"name": entity.name, "role": "被告"}])},
        "delivery": {"result": result, "date": on if isinstance(on, str) else on.isoformat(), "address": address},
    }


def feed(client_user: Any, entity: Any, **kw: Any) -> sharing.FeedbackOutcome:
    """Record a feedback through the service, as the API call does."""
    outcome = sharing.record_feedback(client_user, None, entity, sharing.read_feedback(body(entity, **kw)))
    db.session.flush()
    return outcome
