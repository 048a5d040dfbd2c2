"""Test fixtures.

The suite runs on SQLite and on PostgreSQL: the ``app`` fixture is parametrised over both
backends, each built from empty by the migrations.  Every test runs inside a transaction that
is rolled back (the app's commits become savepoints).  PostgreSQL tests skip when no server
answers, unless REQUIRE_POSTGRES=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FsaSession

from app import create_app
from infrastructure.passwords import hash_password
from models import Department, User, UserRole, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence.org import place_department

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "Passw0rd!2026"
_HASH = hash_password(PASSWORD)


def _backends() -> list[str]:
    wanted = os.environ.get("TEST_DATABASES", "sqlite,postgresql")
    return [b.strip() for b in wanted.split(",") if b.strip()]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """TEST_SHARD=postgresql keeps only the tests parametrised on PostgreSQL (`./dev test` runs them
    beside the SQLite half, which runs everything else)."""
    shard = os.environ.get("TEST_SHARD")
    if not shard:
        return
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        (kept if params.get("app") == shard else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _create_pg_database() -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"zhjg_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


@pytest.fixture(scope="session", params=_backends())
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if request.param == "postgresql":
        url, cleanup = _create_pg_database()
    else:
        url = f"sqlite:///{instance}/test.sqlite3"
    os.environ["ZHJG_INSTANCE"] = str(instance)
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
            "SECRET_KEY": "test-" + request.param,
            "SERVER_NAME": "localhost",
            # Tests run jobs themselves (persistence.jobs.run_pending), in the test's transaction.
            "JOBS_RUNNER": "external",
        }
    )
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()
    cleanup()


class _BoundSession(FsaSession):
    """A Flask-SQLAlchemy session that honours an explicit connection bind (test transactions)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@pytest.fixture()
def session(app: Flask, tmp_path: Any) -> Iterator[Any]:
    """Everything a test does is rolled back at its end.

    The app context stays pushed for the whole test, so test-client requests share this
    session (Flask reuses a pushed context of the same app).  The app's commits release
    savepoints; a request that rolls back undoes only what is not yet committed, so tests
    commit their setup before making requests, as a real earlier request would have.
    """
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        if connection.dialect.name == "sqlite":
            # pysqlite opens its transaction lazily, before the first DML statement.  The
            # session's SAVEPOINT would come first and become the outermost transaction, and
            # its RELEASE (the app's commit) would commit for good.  Open it now.
            connection.exec_driver_sql("BEGIN")
        original = db.session
        # Audit checkpoints live outside the database: each test starts without any, as its
        # rolled-back transaction starts without the audit rows of other tests.
        saved_checkpoints = app.config.get("AUDIT_CHECKPOINT_FILE")
        app.config["AUDIT_CHECKPOINT_FILE"] = str(tmp_path / "audit_checkpoints.log")
        db.session = db._make_scoped_session(
            {"class_": _BoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            app.config["AUDIT_CHECKPOINT_FILE"] = saved_checkpoints
            transaction.rollback()
            connection.close()


class _FreshRequestClient(FlaskClient):
    """Clears ``g`` before each request: the test's pushed app context is shared by the
    requests, and ``g`` (Flask-Login's cached user among others) must not leak between them."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask, session: Any) -> FlaskClient:
    app.test_client_class = _FreshRequestClient
    return app.test_client()


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The SQL statements run on the session's connection inside the block (round-trip and
    N+1 checks: each one is a round trip to PostgreSQL)."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", record)


# ------------------------------------------------------------------ factories


@pytest.fixture()
def make_department(session: Any) -> Callable[..., Department]:
    def make(
        name: str | None = None,
        parent: Department | None = None,
        level: DepartmentLevel = DepartmentLevel.BUREAU,
        kind: DepartmentKind = DepartmentKind.SUPERVISION,
        region_code: str = "510108",
    ) -> Department:
        dept = Department(
            name=name or f"部门{uuid.uuid4().hex[:6]}", parent=parent, level=level, kind=kind, region_code=region_code
        )
        session.add(dept)
        session.flush()
        place_department(dept, parent)
        session.commit()  # a savepoint release: the test's outer transaction still rolls back
        return dept

    return make


@pytest.fixture()
def make_user(session: Any) -> Callable[..., User]:
    def make(
        department: Department,
        *roles: Role,
        account: str | None = None,
        name: str = "测试用户",
        must_change: bool = False,
        **fields: Any,
    ) -> User:
        user = User(
            account=account or f"u{uuid.uuid4().hex[:10]}",
            name=name,
            department=department,
            password_hash=_HASH,
            must_change_password=must_change,
            password_changed_at=utcnow(),
            **fields,
        )
        user.roles = [UserRole(role=str(r)) for r in roles]
        session.add(user)
        session.commit()
        return user

    return make


class Org:
    """Two districts: A (with participants and a conference office) and B (another district)."""

    def __init__(self, make_department: Callable[..., Department], make_user: Callable[..., User]) -> None:
        d, u = make_department, make_user
        self.city = d("测试市", level=DepartmentLevel.CITY, kind=DepartmentKind.GOVERNMENT, region_code="510100")
        self.district_a = d("甲区", self.city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT)
        self.bureau_a = d("甲区市场监督管理局", self.district_a)
        self.section_a = d("甲区信用监督管理科", self.bureau_a, DepartmentLevel.SECTION)
        self.station_a = d("甲区第一市场监管所", self.bureau_a, DepartmentLevel.STATION)
        self.health_a = d("甲区卫生健康局", self.district_a)
        self.safety_a = d("甲区应急管理局", self.district_a)
        self.office_a = d("甲区联席会议办公室", self.district_a, kind=DepartmentKind.CONFERENCE_OFFICE)
        self.district_b = d("乙区", self.city, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT, "510109")
        self.bureau_b = d("乙区市场监督管理局", self.district_b, region_code="510109")
        self.office_b = d("乙区联席会议办公室", self.district_b, kind=DepartmentKind.CONFERENCE_OFFICE)

        self.clerk_a = u(self.bureau_a, Role.CLERK, name="王晓燕")
        self.leader_a = u(self.bureau_a, Role.DEPT_LEADER, name="李建国")
        self.leader_a2 = u(self.bureau_a, Role.DEPT_LEADER, name="赵副局长")
        self.section_clerk_a = u(self.section_a, Role.CLERK, name="张磊")
        self.inspector_a = u(self.station_a, Role.INSPECTOR, name="陈志强")
        self.health_clerk = u(self.health_a, Role.CLERK, name="赵敏")
        self.safety_clerk = u(self.safety_a, Role.CLERK, name="吴磊")
        self.office_user = u(self.office_a, Role.CONFERENCE_OFFICE, name="郑红")
        self.clerk_b = u(self.bureau_b, Role.CLERK, name="乙区经办人")
        self.leader_b = u(self.bureau_b, Role.DEPT_LEADER, name="乙区领导")
        self.office_b_user = u(self.office_b, Role.CONFERENCE_OFFICE, name="乙区联席办")
        self.sysadmin = u(self.city, Role.SYSTEM_ADMIN, name="冯志刚")
        self.secadmin = u(self.city, Role.SECURITY_ADMIN, name="蒋丽华")
        self.auditor = u(self.city, Role.AUDITOR, name="彭建军")
        self.sysadmin_b = u(self.district_b, Role.SYSTEM_ADMIN, name="乙区系统管理员")
        self.secadmin_b = u(self.district_b, Role.SECURITY_ADMIN, name="乙区安全管理员")
        self.auditor_b = u(self.district_b, Role.AUDITOR, name="乙区审计员")


@pytest.fixture()
def org(make_department: Callable[..., Department], make_user: Callable[..., User]) -> Org:
    return Org(make_department, make_user)


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    """Put a signed-in session in the client without the cost of an argon2 check."""
    import time

    from persistence import sessions

    token = sessions.start(user)
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["sid"] = token
        sess["_fresh"] = True
        sess["last_seen"] = time.time()
        sess["must_change_password"] = False
    return client


@pytest.fixture()
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    return lambda user: sign_in(client, user)


def csrf_token(client: FlaskClient, url: str = "/inbox") -> str:
    """Fetch a page and read the CSRF token the app put in it."""
    import re

    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@pytest.fixture()
def pg_app(tmp_path):
    url, drop = _create_pg_database()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
            "SECRET_KEY": "concurrency",
            "TESTING": True,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


NEW_PASSWORD = "Neu-Kennwort#2026"


def post_login(client: FlaskClient, account: str, password: str, next_: str | None = None) -> Any:
    token = csrf_token(client, "/login")
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"csrf_token": token, "account": account, "password": password})


def fresh_org() -> Org:
    """An Org whose departments and users get unique names (for tests that commit for real)."""
    def dept(name=None, parent=None, level=DepartmentLevel.BUREAU, kind=DepartmentKind.SUPERVISION,
             region_code="510108"):
        d = Department(name=name or uuid.uuid4().hex[:6], parent=parent, level=level, kind=kind,
                       region_code=region_code)
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        return d

    def user(department, *roles, account=None, name="测试用户", **fields):
        u = User(account=account or f"u{uuid.uuid4().hex[:10]}", name=name, department=department,
                 password_hash=_HASH, must_change_password=False, password_changed_at=utcnow(), **fields)
        u.roles = [UserRole(role=str(r)) for r in roles]
        db.session.add(u)
        db.session.flush()
        return u

    return Org(dept, user)
