"""A district-A credit sandbox for the 表27 tests (services/sandbox): entities with mobile
numbers in the library, items, facts that trigger them, and the partner institutions' accounts
(interface clients with the 第三方合作机构 role) of both districts."""

from __future__ import annotations

import itertools
from typing import Any

from models import Complaint, Permit, SandboxItem, db
from models.roles import Role
from services.sandbox import library
from tests.factories import risk
from tests.factories.dossier import fact

_phones = itertools.count(1)


class Sandbox:
    def __init__(self, org: Any, make_user: Any) -> None:
        self.org = org
        self.partner = make_user(org.bureau_a, Role.API_CLIENT, Role.PARTNER, name="甲区信用服务机构")
        self.partner_b = make_user(org.bureau_b, Role.API_CLIENT, Role.PARTNER, name="乙区信用服务机构")

    def entity(self, phone: str | None = None, **overrides: Any) -> Any:
        found = risk.entity(self.org, **overrides)
        found.phone = phone if phone is not None else f"139{next(_phones):08d}"
        db.session.flush()
        return found

    def members(self, *entities: Any, user: Any = None) -> None:
        library.add_entities(user or self.org.clerk_a, [e.id for e in entities])
        db.session.flush()

    def item(self, condition: str = "complaints", level: str = "预警", name: str | None = None, user: Any = None,
             **params: Any) -> SandboxItem:
        form = {"name": name or f"{condition}{level}", "level": level, "condition": condition, "enabled": "1"}
        defaults = {"complaints": {"count": 2, "days": 30}, "permit_expiring": {"days": 30}}.get(condition, {})
        form.update({k: str(v) for k, v in {**defaults, **params}.items() if k != "rule_codes"})
        if "rule_codes" in params:
            form["rule_codes"] = params["rule_codes"]
        item = library.save_item(user or self.org.clerk_a, None, form)
        db.session.flush()
        return item

    def complaint(self, target: Any, days_ago: int = 1) -> Complaint:
        return fact(Complaint, self.org.bureau_a, entity_id=target.id, received_on=risk.day(-days_ago),
                    subject="投诉食品质量")

    def permit(self, target: Any, expires_in: int) -> Permit:
        return fact(Permit, self.org.bureau_a, entity_id=target.id, permit_no=f"JY{target.id:08d}", name="食品经营许可证",
                    valid_from=risk.day(-300), valid_to=risk.day(expires_in))

    def triggered(self, n: int = 1, **entity_fields: Any) -> list[Any]:
        """``n`` library entities each with two complaints yesterday, and a complaints item."""
        entities = [self.entity(**entity_fields) for _ in range(n)]
        self.members(*entities)
        for e in entities:
            self.complaint(e)
            self.complaint(e)
        return entities


# Names the sandbox tests use, resolved without DNS (services/sandbox/webhooks.resolve_host).
PUBLIC_DNS: dict[str, list[str]] = {"partner.invalid": ["93.184.216.34"], "p.example": ["93.184.216.34"]}


def fake_dns(monkeypatch: Any, table: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Resolve host names from ``table`` (and PUBLIC_DNS); any other name does not resolve."""
    import socket

    from services.sandbox import webhooks

    names = {**PUBLIC_DNS, **(table or {})}

    def resolver(host: str, port: int) -> list[str]:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return names[host]

    monkeypatch.setattr(webhooks, "resolve_host", resolver)
    return names
