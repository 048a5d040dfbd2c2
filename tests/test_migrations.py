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
