"""Helpers shared by the audit tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def allow_tampering(session: Any) -> None:
    """Lift the append-only triggers inside the test transaction (rolled back with it).

    DDL is transactional on both backends; on SQLite the transaction must already be open
    (a DML statement ran first), which the callers guarantee by recording rows beforehand.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))


def allow_result_tampering(session: Any) -> None:
    """Lift the triggers that keep published result versions immutable, as someone with
    database access would, inside the test transaction (rolled back with it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("ALTER TABLE inspection_result_version DISABLE TRIGGER inspection_result_version_immutable")
        )
    else:
        session.execute(text("DROP TRIGGER inspection_result_version_no_update"))
        session.execute(text("DROP TRIGGER inspection_result_version_no_delete"))
