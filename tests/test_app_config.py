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


def test_pre_ping_only_when_asked(monkeypatch, tmp_path):
    from app import create_app

    assert engine_options("postgresql+psycopg://x/y")["pool_pre_ping"] is False
    assert engine_options("postgresql+psycopg://x/y", pre_ping=True)["pool_pre_ping"] is True
    monkeypatch.setenv("ZHJG_INSTANCE", str(tmp_path))
    monkeypatch.setenv("DATABASE_PRE_PING", "1")
    assert create_app({"SECRET_KEY": "x"}).config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    monkeypatch.delenv("DATABASE_PRE_PING")
    assert create_app({"SECRET_KEY": "x"}).config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
