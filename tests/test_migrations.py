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


def test_draw_commitments_migration_is_frozen_and_matches_the_published_script():
    """0021 commits the draws made before it with its own copy of the script's commitments
    (a migration must not import live code that may change later); the copy agrees with the
    published script (infrastructure/draw_algorithm.py) on a draw with every stratum."""
    import importlib.util
    from pathlib import Path

    from infrastructure.draw_algorithm import commitments, draw

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0021_draw_commitments.py"
    source = path.read_text(encoding="utf-8")
    assert "from services" not in source and "import services" not in source
    spec = importlib.util.spec_from_file_location("m0021", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    population = [(f"entity:{n}", "ABCDE-"[n % 6], 1.0 + (n % 3)) for n in range(40)]
    quotas = {"A": 2, "B": 1, "C": 0, "D": 3, "E": 1, "-": 2}
    seed, salt = "ab" * 32, "cd" * 32
    result = draw(seed, "object", quotas, population)
    assert module._commitments(salt, seed, quotas, population, result) == commitments(
        salt, seed, quotas, population, result, module.STRATA)
