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
"""

from __future__ import annotations

import argparse
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


def _fact_row(kind: str, rnd: random.Random, entity_id: int, source: int, n: int) -> dict[str, Any]:
    day = date(2015, 1, 1) + timedelta(days=rnd.randint(0, 4000))
    common = {"entity_id": entity_id, "source_department_id": source, "source_kind": "批量导入",
              "received_at": datetime(2026, 1, 1), "current": True}
    extra: dict[str, Any] = {
        "permit": {"permit_no": f"P{n}", "name": "食品经营许可证", "kind": "食品经营许可", "issuing_department": "",
                   "scope": "", "valid_from": day, "valid_to": day + timedelta(days=1825), "status": "有效",
                   "change_note": ""},
        "penalty": {"decision_no": f"F{n}", "decided_on": day, "department": "", "violation": "超范围经营",
                    "basis": "", "kind": "罚款", "amount": Decimal(rnd.randint(1, 500) * 100), "status": ""},
        "supervision": {"inspected_on": day, "department": "卫生健康局", "kind": "日常检查", "result": "未发现问题",
                        "handling": ""},
        "complaint": {"received_on": day, "channel": "12315", "subject": "投诉事项", "outcome": ""},
        "abnormal": {"listed_on": day, "reason": "未按期公示年报", "deciding_department": "", "removed_on": None,
                     "removal_reason": ""},
    }[kind]
    return common | extra


def _fill_facts(count: int, entities: int, source: int) -> None:
    from models import AbnormalListing, Complaint, Penalty, Permit, SupervisionRecord
    from persistence.bulk import insert_rows

    models = {"permit": Permit, "penalty": Penalty, "supervision": SupervisionRecord, "complaint": Complaint,
              "abnormal": AbnormalListing}
    weights = ["permit"] * 4 + ["supervision"] * 3 + ["penalty"] * 1 + ["complaint"] * 1 + ["abnormal"] * 1
    rnd = random.Random(15)
    batches: dict[str, list[dict[str, Any]]] = {k: [] for k in models}

    def flush(kind: str) -> None:
        rows = batches[kind]
        if rows:
            columns = list(rows[0])
            insert_rows(models[kind].__table__, columns, [[r[c] for c in columns] for r in rows])
            batches[kind] = []

    for n in range(count):
        kind = rnd.choice(weights)
        batches[kind].append(_fact_row(kind, rnd, rnd.randint(1, entities), source, n))
        if len(batches[kind]) >= BATCH:
            flush(kind)
    for kind in models:
        flush(kind)


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


def bench(url: str, instance: Path, entities: int, facts: int, runs: int) -> None:
    from models import Department, MarketEntity, User, db
    from persistence import sessions
    from services import dossier

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        t0 = time.perf_counter()
        _fill_entities(entities)
        source = db.session.query(Department).filter(Department.region_code == HOME,
                                                     Department.level == "bureau").first().id
        _fill_facts(facts, entities, source)
        target = db.session.query(MarketEntity.id).filter(MarketEntity.division_code.startswith(HOME)).first()[0]
        _rich_entity(target, source)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                from sqlalchemy import text

                conn.execute(text("VACUUM ANALYZE"))
        else:
            from sqlalchemy import text

            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"data: {entities:,} entities, {facts:,} facts + 500 on entity {target} "
              f"({time.perf_counter() - t0:.1f} s)")
        clerk = db.session.get(User, ids["district_clerk"])
        entity = db.session.get(MarketEntity, target)
        times, found = timed(lambda: dossier.events(dossier.build(clerk, entity)), runs)
        print(f"service (build + events, {len(found)} events): p50 {pct(times, 50):.0f} ms, p95 {pct(times, 95):.0f} ms")
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
            times, _ = timed(lambda path=path, headers=headers: client.get(path, headers=headers), runs)
            print(f"{label} ({status}): p50 {pct(times, 50):.0f} ms, p95 {pct(times, 95):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--facts", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-dossier-"))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"bench/dossier.py on {backend}, districts {len(DISTRICTS)}")
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "dossier")
        else:
            url = f"sqlite:///{instance}/dossier.sqlite3"
        bench(url, instance, args.entities, args.facts, args.runs)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
