"""create_app(): configuration, extensions, blueprints and CLI.  Nothing else."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from infrastructure import config as settings
from models import db

ROOT = Path(__file__).resolve().parent
migrate = Migrate(compare_type=True)


def database_url(instance_path: str) -> str:
    """DATABASE_URL when set (postgresql:// is routed to psycopg 3), else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "zhjg.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def engine_options(url: str, *, pre_ping: bool = False) -> dict[str, Any]:
    """Pool options; on PostgreSQL every statement is planned with its actual values.

    psycopg prepares a statement it has run five times, and PostgreSQL may then switch to a
    generic plan that cannot see how selective ``division_code >= $1`` or a department
    subtree is: the registry search got twenty times slower that way (bench/entities.py).
    Planning these short statements afresh costs far less than one bad plan; the option is
    sent once, when the connection starts.

    ``pre_ping`` (DATABASE_PRE_PING) tests a pooled connection with a round trip each time a
    request takes it.  Off by default: it is one of the about seven round trips of an average
    page of bench/load.py, each of which waits for a busy machine to schedule the server.
    Without it, a connection broken by a database restart fails one request, after which
    SQLAlchemy discards the whole pool."""
    options: dict[str, Any] = {"pool_pre_ping": pre_ping}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c plan_cache_mode=force_custom_plan"}
    return options


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/secret_key."""
    configured = os.environ.get("SECRET_KEY", "").strip()
    if configured:
        return configured
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


# A writer waits this long for SQLite's one write lock (a large import holds it for seconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on; writers queue for the write lock instead of failing at once; WAL, so
    that pages (and a job's progress) are read while a long import writes."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("ZHJG_INSTANCE", str(ROOT / "instance")))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.load(os.environ), SQLALCHEMY_DATABASE_URI=database_url(app.instance_path))
    if config:
        app.config.update(config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(app.config["SQLALCHEMY_DATABASE_URI"], pre_ping=app.config["DATABASE_PRE_PING"]),
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from infrastructure.audit_key import check_environment

    check_environment()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))

    from blueprints import register_blueprints
    from blueprints.web import init_web
    from services.process_wiring import wire

    wire()  # each process's pages, guards and automatic steps (docs/architecture.md)
    init_web(app)
    register_blueprints(app)

    from persistence.jobs import init_jobs

    init_jobs(app)

    from cli.commands import register_cli

    register_cli(app)
    return app
