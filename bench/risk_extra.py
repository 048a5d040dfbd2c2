"""The parts of bench/risk.py besides the rule runs: the scorecard over the same registry, the
风险库 page's first page through the Flask test client, and the query plans (--explain).
Each timed figure is printed beside its bare baseline, measured in the same run."""

from __future__ import annotations

import os
import time
from typing import Any

from bench.entities import pct, timed


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _run_raw(statements: list[tuple[str, Any]]) -> float:
    """The statements on a raw DBAPI connection of the app's engine, rows fetched, committed."""
    from models import db

    raw = db.engine.raw_connection()
    try:
        t0 = time.perf_counter()
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def scorecard() -> None:
    """services.credit.scoring.recompute over the registry (+ commit), first run; then from the
    same state the statements it sent replayed on a raw connection (bare) and the service again."""
    from sqlalchemy import delete, event

    from models import db
    from models.credit import GradeChange, GradeRecord, ScoreItem
    from services.credit import scoring

    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        captured.append((statement, parameters))

    def run() -> Any:
        result = scoring.recompute()
        db.session.commit()
        return result

    def reset() -> None:
        for model in (GradeChange, ScoreItem, GradeRecord):
            db.session.execute(delete(model))
        db.session.commit()

    event.listen(db.engine, "before_cursor_execute", capture)
    t0 = time.perf_counter()
    result = run()
    first = time.perf_counter() - t0
    event.remove(db.engine, "before_cursor_execute", capture)
    reset()
    bare = _run_raw([(s, p) for s, p in captured if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])
    reset()
    t0 = time.perf_counter()
    run()
    again = time.perf_counter() - t0
    print(f"  scorecard (credit.scoring.recompute + commit): first {first:6.2f} s, from the same state {again:6.2f} s"
          f"   bare SQL ({len(captured)} statements replayed) {bare:6.2f} s   ratio {again / bare:5.2f}×"
          f"   {result.entities:,} entities   load average {_load()}")


def _login(app: Any, user: Any) -> Any:
    from models import db
    from persistence import sessions

    token = sessions.start(user)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess.update({"_user_id": user.get_id(), "sid": token, "_fresh": True, "last_seen": time.time(),
                     "must_change_password": False})
    return client


def _page_statements(user: Any) -> list[tuple[str, Any]]:
    """The 风险库 first page's three queries (ids, rows, capped count) with their values inlined."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import joinedload

    from models import RiskWarning, db
    from services.risk import library

    query = library.warning_query(user, library.parse_filters({}))
    ids = query.with_only_columns(RiskWarning.id).order_by(RiskWarning.first_seen_at.desc(),
                                                           RiskWarning.id.desc()).limit(library.PER_PAGE + 1)
    id_list = list(db.session.execute(ids).scalars())[:library.PER_PAGE]
    rows = (select(RiskWarning).where(RiskWarning.id.in_(id_list or [0]))
            .options(joinedload(RiskWarning.entity), joinedload(RiskWarning.rule), joinedload(RiskWarning.department)))
    count = select(func.count()).select_from(query.with_only_columns(RiskWarning.id)
                                             .limit(library.COUNT_CAP + 1).subquery())
    dialect = db.session.get_bind().dialect
    return [(str(q.compile(dialect=dialect, compile_kwargs={"literal_binds": True})), ()) for q in (ids, rows, count)]


def library_page(app: Any, user_ids: dict[str, int], runs: int) -> None:
    """GET /risk/warnings (the first page, no filter) as the district's and the city's clerk,
    p50/p95, beside the bare SQL of the page's three queries on a raw connection."""
    from models import User, db

    for label, key in (("district clerk", "district_clerk"), ("city clerk", "city_clerk")):
        user = db.session.get(User, user_ids[key])
        client = _login(app, user)
        status = client.get("/risk/warnings").status_code  # warm-up (templates, statement cache)
        page, _ = timed(lambda client=client: client.get("/risk/warnings"), runs)
        statements = _page_statements(user)
        bare, _ = timed(lambda statements=statements: _run_raw(statements), runs)
        print(f"  风险库 page /risk/warnings, {label} ({status}): p50 {pct(page, 50):6.1f} ms, p95 {pct(page, 95):6.1f} ms"
              f"   bare SQL p50 {pct(bare, 50):6.1f} ms, p95 {pct(bare, 95):6.1f} ms   load average {_load()}")


def explain(user_ids: dict[str, int]) -> None:
    """The plan of every rule's statement (full run) and of the 风险库 page's queries: SQLite's
    EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN (estimates only, nothing run)."""
    from infrastructure import clock
    from models import RiskRule, User, db
    from services.risk.builders import BUILDERS
    from services.risk.common import Context
    from services.risk.evaluate import params_of

    dialect = db.session.get_bind().dialect
    prefix = "EXPLAIN " if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    raw = db.session.connection().connection.dbapi_connection
    today = clock.china_today()
    plans: list[tuple[str, str]] = []
    for rule in db.session.query(RiskRule).filter(RiskRule.code.in_(list(BUILDERS))).order_by(RiskRule.code):
        query = BUILDERS[rule.code].query(Context(today, params_of(rule), None))
        plans.append((f"rule {rule.code}", str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))))
    user = db.session.get(User, user_ids["district_clerk"])
    for n, (sql, _) in enumerate(_page_statements(user)):
        plans.append((f"风险库 page query {n + 1} (ids, rows, count)", sql))
    for label, sql in plans:
        cursor = raw.cursor()  # type: ignore[union-attr]
        cursor.execute(prefix + sql)
        rows = cursor.fetchall()
        cursor.close()
        print(f"--- plan: {label}")
        for row in rows:
            print("    " + (row[0] if dialect.name == "postgresql" else f"{row[1]:>4} {row[3]}"))
