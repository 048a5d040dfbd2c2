"""一户一档 benchmark: the dossier page of an entity with 500 facts in a large registry.

Issue 15 asks for the dossier page of an entity with 500 facts at 1,000,000 entities and
10,000,000 facts within 300 ms.  This script makes its own data (a temporary SQLite file, or a
scratch database on the PostgreSQL server named by --database-url, created, migrated, filled and
dropped): --entities entities (bench/entities.py's generator) and --facts facts spread over them
(permits, penalties, supervision records, complaints, abnormal listings), then one entity with
500 facts of every kind (officers and their 失信 listings included) and one of its published-
looking neighbours.  It times, p50/p95 over --runs runs: the whole page through the test client
as a signed-in clerk (/entities/<id>/dossier), the timeline partial with a filter, and the
service alone (services.dossier.build + events).  Figures only; no assertion.

    .venv/bin/python bench/dossier.py --entities 100000 --facts 1000000
    .venv/bin/python bench/dossier.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/dossier.py --entities 100000 --facts 1000000 --explain   # the plans too
    .venv/bin/python bench/dossier.py --keep   # make the data once (INSERT … SELECT in the database), reuse it next time
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import (  # noqa: E402
    DISTRICTS,
    HOME,
    entity_rows,
    make_app,
    make_org,
    pct,
    scratch_database,
    timed,
)

BATCH = 20_000


def _fill_entities(count: int) -> None:
    from models import Department, MarketEntity, db
    from persistence.bulk import insert_rows

    registries = {d.region_code: d.id for d in db.session.query(Department).filter(Department.level == "district")}
    columns = [c.name for c in MarketEntity.__table__.c if c.name != "id"]
    now = datetime.now()
    batch: list[list[Any]] = []
    for row in entity_rows(count):
        row["department_id"] = registries[row["division_code"][:6]]
        row["created_at"] = row["updated_at"] = now
        batch.append([row[c] for c in columns])
        if len(batch) >= BATCH:
            insert_rows(MarketEntity.__table__, columns, batch)
            batch = []
    insert_rows(MarketEntity.__table__, columns, batch)
    db.session.commit()


# Each kind's columns as SQL expressions of the row number n (deterministic, spread over the
# registry's ids): the facts are made by the database itself (INSERT … SELECT over a series),
# not in Python, so that 10,000,000 rows take minutes, not an hour.
KINDS = (  # kind, table, share of the facts (out of 10), own columns
    ("permit", "fact_permit", 4, {"permit_no": "'P' || n", "name": "'食品经营许可证'", "kind": "'食品经营许可'",
                                  "issuing_department": "''", "scope": "''", "valid_from": "@day",
                                  "valid_to": "@day5", "status": "'有效'", "change_note": "''"}),
    ("supervision", "fact_supervision", 3, {"inspected_on": "@day", "department": "'卫生健康局'", "kind": "'日常检查'",
                                            "result": "'未发现问题'", "handling": "''"}),
    ("penalty", "fact_penalty", 1, {"decision_no": "'F' || n", "decided_on": "@day", "department": "''",
                                    "violation": "'超范围经营'", "basis": "''", "kind": "'罚款'",
                                    "amount": "(n % 500 + 1) * 100", "status": "''"}),
    ("complaint", "fact_complaint", 1, {"received_on": "@day", "channel": "'12315'", "subject": "'投诉事项'",
                                        "outcome": "''"}),
    ("abnormal", "fact_abnormal", 1, {"listed_on": "@day", "reason": "'未按期公示年报'", "deciding_department": "''",
                                      "removed_on": "NULL", "removal_reason": "''"}),
)


def _series(postgres: bool, first: int, last: int) -> str:
    if postgres:
        return f"generate_series({first}::bigint, {last}::bigint) AS g(n)"  # n * 7919 passes 2^31
    return (f"(WITH RECURSIVE g(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM g WHERE n < {last}) "
            "SELECT n FROM g) AS g")


def _day_sql(postgres: bool, offset: str) -> str:
    days = f"((n * 7919 + {offset}) % 4000)"
    if postgres:
        return f"(DATE '2015-01-01' + {days}::int)"
    return f"date('2015-01-01', '+' || {days} || ' days')"


def _fill_facts(count: int, entities: int, source: int) -> None:
    """``count`` facts over the entities, made by INSERT … SELECT per kind, the fact tables'
    secondary indexes dropped during the fill and built after (as a bulk load would)."""
    from sqlalchemy import Table, func, select, text

    from models import MarketEntity, db

    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    low = db.session.scalar(select(func.min(MarketEntity.id)))
    received = "TIMESTAMP '2026-01-01 00:00:00'" if postgres else "'2026-01-01 00:00:00.000000'"
    true = "true" if postgres else "1"
    done = 0
    for position, (_kind, name, share, own) in enumerate(KINDS):
        table: Table = db.metadata.tables[name]
        rows = count * share // 10 if position < len(KINDS) - 1 else count - done
        if db.session.scalar(select(func.count()).select_from(table)) >= rows:  # made by an interrupted run
            done += rows
            continue
        connection.execute(table.delete())
        indexes = list(table.indexes)
        for index in indexes:
            connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
        columns = {"entity_id": f"{low} + (n * 2654435761) % {entities}", "source_department_id": str(source),
                   "source_kind": "'批量导入'", "received_at": received, "current": true}
        for key, expr in own.items():
            columns[key] = (expr.replace("@day5", _day_sql(postgres, "0") + (" + 1825" if postgres else ""))
                            .replace("@day", _day_sql(postgres, "0")))
        if not postgres and "valid_to" in own:
            columns["valid_to"] = "date('2015-01-01', '+' || (((n * 7919) % 4000) + 1825) || ' days')"
        if postgres:
            columns = {k: v.replace("'P' || n", "'P' || n::text").replace("'F' || n", "'F' || n::text")
                       for k, v in columns.items()}
        for first in range(done + 1, done + rows + 1, 2_000_000):
            last = min(first + 2_000_000 - 1, done + rows)
            connection.execute(text(
                f"INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(columns.values())} "
                f"FROM {_series(postgres, first, last)}"))
            db.session.commit()
            connection = db.session.connection()
        for index in indexes:
            index.create(connection, checkfirst=True)
        db.session.commit()
        connection = db.session.connection()
        done += rows


def _rich_entity(entity_id: int, source: int) -> None:
    """500 facts of every kind on one entity (the one the page is timed on)."""
    from infrastructure.validators import id_number_check_char
    from models import (
        CapitalContribution,
        Complaint,
        Lawsuit,
        Officer,
        OtherFact,
        Penalty,
        Permit,
        Person,
        Sanction,
        SupervisionRecord,
        db,
    )

    rnd = random.Random(500)
    day = date(2016, 1, 1)
    common = {"entity_id": entity_id, "source_department_id": source, "source_kind": "在线填报"}
    for i in range(60):
        first17 = f"510108198001{i:05d}"
        person = Person(name=f"人员{i}", id_number=first17 + id_number_check_char(first17))
        db.session.add(person)
        db.session.flush()
        db.session.add(Officer(person_id=person.id, role="董事", from_date=day, **common))
        db.session.add(Sanction(person_id=person.id, list_kind="失信被执行人", decided_on=day,
                                source_department_id=source, source_kind="在线填报"))
    for i in range(380):
        when = day + timedelta(days=rnd.randint(0, 3600))
        db.session.add([
            Permit(permit_no=f"R{i}", name="许可证", kind="食品经营许可", valid_from=when,
                   valid_to=when + timedelta(days=900), **common),
            Penalty(decision_no=f"RF{i}", decided_on=when, violation="违法行为", **common),
            SupervisionRecord(inspected_on=when, department="应急管理局", result="未发现问题", **common),
            CapitalContribution(shareholder=f"股东{i}", subscribed_amount=Decimal(100), paid_amount=Decimal(10),
                                due_date=when, **common),
            Complaint(received_on=when, subject="投诉", **common),
            Lawsuit(case_no=f"（2025）川0108民初{i}号", filed_on=when, role="被告", **common),
            OtherFact(category="股权冻结", title=f"冻结{i}", occurred_on=when, **common),
        ][i % 7])
    db.session.commit()


def _make_data(entities: int, facts: int) -> tuple[int, int]:
    """Fill the registry and the facts; the district clerk's id and the timed entity's."""
    from sqlalchemy import func, select, text

    from models import Department, MarketEntity, User, db

    t0 = time.perf_counter()
    if db.session.scalar(select(func.count()).select_from(MarketEntity)) >= entities:  # an interrupted --keep run
        ids = {"district_clerk": db.session.scalar(select(User.id).where(User.account == "bench_district"))}
    else:
        ids = make_org()
        _fill_entities(entities)
    print(f"  {entities:,} entities ({time.perf_counter() - t0:.0f} s)", flush=True)
    source = db.session.query(Department).filter(Department.region_code == HOME,
                                                 Department.level == "bureau").first().id
    _fill_facts(facts, entities, source)
    print(f"  + {facts:,} facts ({time.perf_counter() - t0:.0f} s)", flush=True)
    target = db.session.query(MarketEntity.id).filter(MarketEntity.division_code.startswith(HOME)).first()[0]
    _rich_entity(target, source)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.execute(text("CREATE TABLE bench_dossier_made (clerk_id INTEGER, target_id INTEGER)"))
    db.session.execute(text("INSERT INTO bench_dossier_made VALUES (:c, :t)"), {"c": ids["district_clerk"], "t": target})
    db.session.commit()
    print(f"data: {entities:,} entities, {facts:,} facts + 500 on entity {target} "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    return ids["district_clerk"], target


def _kept_data() -> tuple[int, int] | None:
    """The clerk and the entity of data made by an earlier run with --keep, if any."""
    from sqlalchemy import inspect, text

    from models import db

    if not inspect(db.engine).has_table("bench_dossier_made"):
        return None
    row = db.session.execute(text("SELECT clerk_id, target_id FROM bench_dossier_made")).first()
    return (row[0], row[1]) if row else None


def bench(url: str, instance: Path, entities: int, facts: int, runs: int, explain: bool = False) -> None:
    from models import MarketEntity, User, db
    from persistence import sessions
    from services import dossier

    app = make_app(url, instance)
    with app.app_context():
        kept = _kept_data()
        if kept is not None:
            print("data: kept from an earlier run (--keep)")
        clerk_id, target = kept or _make_data(entities, facts)
        clerk = db.session.get(User, clerk_id)
        entity = db.session.get(MarketEntity, target)
        if explain:
            from bench.plans import explain_calls

            explain_calls(lambda: dossier.events(dossier.build(clerk, entity)), "dossier.build + events")
        cpu0 = time.process_time()
        times, found = timed(lambda: dossier.events(dossier.build(clerk, entity)), runs)
        cpu = (time.process_time() - cpu0) * 1000 / runs
        print(f"service (build + events, {len(found)} events): p50 {pct(times, 50):.0f} ms, p95 {pct(times, 95):.0f} ms"
              f" (this process's CPU {cpu:.0f} ms a run)   load average {_load()}")
        token = sessions.start(clerk)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess.update({"_user_id": clerk.get_id(), "sid": token, "_fresh": True, "last_seen": time.time(),
                         "must_change_password": False})
        for label, path in (("page", f"/entities/{target}/dossier"),
                            ("timeline partial", f"/entities/{target}/dossier/timeline?kind=permit")):
            headers = {"HX-Request": "true"} if "timeline" in path else {}
            status = client.get(path, headers=headers).status_code  # warm-up
            cpu0 = time.process_time()
            times, _ = timed(lambda path=path, headers=headers: client.get(path, headers=headers), runs)
            cpu = (time.process_time() - cpu0) * 1000 / runs
            print(f"{label} ({status}): p50 {pct(times, 50):.0f} ms, p95 {pct(times, 95):.0f} ms"
                  f" (this process's CPU {cpu:.0f} ms a run)   load average {_load()}")


def _kept_postgres(server_url: str, entities: int, facts: int) -> str:
    """The database of --keep on the server: zhjg_bench_dossier_<entities>_<facts>, created if missing."""
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"zhjg_bench_dossier_{entities}_{facts}"
    with psycopg.connect(plain, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return plain.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--facts", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the data for the next run and reuse the kept data if there is some "
                             "(zhjg_bench_dossier_<entities>_<facts> on the server, or that file in the temp dir; "
                             "drop or delete it yourself)")
    parser.add_argument("--explain", action="store_true", help="print the plan of every query of the dossier")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-dossier-"))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"bench/dossier.py on {backend}, districts {len(DISTRICTS)}, load average {_load()}")
    drop = None
    try:
        if args.database_url and args.keep:
            url = _kept_postgres(args.database_url, args.entities, args.facts)
        elif args.database_url:
            url, drop = scratch_database(args.database_url, "dossier")
        elif args.keep:
            url = f"sqlite:///{tempfile.gettempdir()}/zhjg_bench_dossier_{args.entities}_{args.facts}.sqlite3"
        else:
            url = f"sqlite:///{instance}/dossier.sqlite3"
        bench(url, instance, args.entities, args.facts, args.runs, args.explain)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)
    print(f"load average at the end: {_load()}")


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
