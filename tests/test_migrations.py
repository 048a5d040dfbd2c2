"""The migrations build exactly the models' schema, and they go down and up again."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import db


def test_models_and_migrations_agree(app, session):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected on SQLite
        diff = compare_metadata(MigrationContext.configure(session.connection()), db.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app

    scratch = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/scratch.sqlite3", "SECRET_KEY": "x", "TESTING": True}
    )
    with scratch.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"user_account", "audit_event", "process_instance", "import_batch"} <= set(
            inspect(db.engine).get_table_names()
        )
        db.engine.dispose()


def test_typed_times_move_to_utc_and_back(tmp_path):
    """0022: 告知时间/检查时间 typed in China wall-clock time become the same instant in UTC."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app import create_app

    scratch = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/typed.sqlite3", "SECRET_KEY": "x", "TESTING": True}
    )
    with scratch.app_context():
        upgrade(revision="0021")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.execute(text(
                "INSERT INTO advance_notice (id, task_id, task_object_id, method, notified_at, recipient, content,"
                " created_at) VALUES (1, 1, 1, 'phone', '2026-11-04 07:30:00.000000', '张三', '', "
                "'2026-11-03 23:40:00.000000')"
            ))

        def notified() -> str:
            with db.engine.connect() as conn:
                return str(conn.execute(text("SELECT notified_at FROM advance_notice")).scalar_one())

        upgrade(revision="0022")
        assert notified().startswith("2026-11-03 23:30:00")
        downgrade(revision="0021")
        assert notified().startswith("2026-11-04 07:30:00")
        db.engine.dispose()
