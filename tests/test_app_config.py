"""Engine options chosen by the database."""

from __future__ import annotations

from sqlalchemy import text

from app import engine_options
from models import db


def test_postgresql_plans_with_actual_values():
    assert engine_options("postgresql+psycopg://x/y")["connect_args"] == {
        "options": "-c plan_cache_mode=force_custom_plan"
    }
    assert "connect_args" not in engine_options("sqlite:///x")


def test_the_running_engine_uses_them(app, session):
    if db.engine.dialect.name != "postgresql":
        return
    assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
