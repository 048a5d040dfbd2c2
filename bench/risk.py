"""风险预警 benchmark: every automatic rule over a large registry (docs/risk.md).

It makes its own data: a temporary SQLite database by default, or a scratch database it
creates, migrates, fills and drops on the PostgreSQL server named by --database-url (never the
named database itself).  The registry gets --entities entities (bench/entities.py's generator,
about five per registered address at 1,000,000) and five facts per entity of every kind the
rules read, bulk-written (not timed): 许可 22 %, 投诉举报 24 %, 出资 15 %, 人员 12 %, 司法 10 %,
监管 8 %, 经营异常 3 %, 其他 2 %, 惩戒 0.5 % (of persons), 集群注册地址 0.5 %.  It prints figures, no
assertions.

Timed, each beside its bare baseline (the very SQL of every rule, compiled once and run
through the DBAPI cursor with its rows fetched: no ORM, no 风险库 writes):
  the full run (services.risk.evaluate.evaluate over every entity, committed), first into an
  empty 风险库 and again (every warning refreshed);
  the incremental run after --increment new facts (complaints and abnormal listings) were
  bulk-written: services.risk.affected.after_facts per kind, as an import calls it (the entities
  the facts touch, the rules that read the kind), committed;
  the 风险库 page (GET /risk/warnings through the Flask test client, first page, no filter) as
  the district's and the city's clerk, p50/p95 over --runs requests, beside the bare SQL of the
  page's three queries (ids, rows, capped count) on a raw connection (bench/risk_extra.py);
  the scorecard (services.credit.scoring.recompute + commit) over the same registry, beside the
  statements it sent replayed on a raw connection from the same state.
--explain prints the plan of every rule's statement and of the page's queries.

    .venv/bin/python bench/risk.py                        # 100,000 entities, 500,000 facts
    .venv/bin/python bench/risk.py --entities 1000000
    .venv/bin/python bench/risk.py --entities 100000 --explain
    .venv/bin/python bench/risk.py --database-url postgresql://postgres@127.0.0.1:5432/test
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

from bench import risk_extra  # noqa: E402
from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database  # noqa: E402

SHARES = (("permit", 22), ("complaint", 24), ("capital", 15), ("officer", 12), ("lawsuit", 10),
          ("supervision", 8), ("abnormal", 3), ("sanction", 0.5), ("other", 2), ("cluster_address", 0.5))
TODAY = date.today()


def _day(rng: random.Random, back: int, ahead: int = 0) -> date:
    return TODAY + timedelta(days=rng.randint(-back, ahead))


def _fields(kind: str, n: int, rng: random.Random, ctx: dict[str, Any]) -> dict[str, Any]:
    """One fact of ``kind`` (its own columns, subject included)."""
    entity = rng.randrange(ctx["entities"]) + 1
    person = rng.randrange(ctx["persons"]) + 1
    if kind == "permit":
        valid_to = _day(rng, 100, 1800)
        return {"entity_id": entity, "permit_no": f"JY{n:014d}", "name": "食品经营许可证", "kind": "食品经营",
                "issuing_department": "", "scope": "", "valid_from": valid_to - timedelta(days=1825),
                "valid_to": valid_to, "status": rng.choice(("有效",) * 95 + ("吊销", "撤销", "注销", "注销", "注销")),
                "change_note": ""}
    if kind == "complaint":
        return {"entity_id": entity, "received_on": _day(rng, 1000), "channel": "12315", "subject": f"投诉{n}",
                "outcome": ""}
    if kind == "capital":
        paid = rng.choice((0, 50) + (100,) * 18)
        return {"entity_id": entity, "shareholder": f"股东{n % 7}", "shareholder_id_no": None, "person_id": None,
                "subscribed_amount": Decimal(100), "paid_amount": Decimal(paid), "due_date": _day(rng, 1000, 2000),
                "method": rng.choice(("货币",) * 9 + ("非货币",)), "year": 2020 + rng.randrange(6), "origin": "年报"}
    if kind == "officer":
        return {"entity_id": entity, "person_id": person, "role": rng.choice(("法定代表人", "董事", "监事", "经理", "执行董事")),
                "from_date": _day(rng, 3000, -400), "to_date": None if rng.random() < 0.8 else _day(rng, 300)}
    if kind == "lawsuit":
        return {"entity_id": entity, "case_no": f"（2026）川0108民初{n}号", "filed_on": _day(rng, 1000), "court": "",
                "role": "被告", "cause": "", "status": ""}
    if kind == "supervision":
        return {"entity_id": entity, "inspected_on": _day(rng, 1000), "department": "", "kind": "日常检查",
                "result": rng.choice(("未发现问题",) * 9 + ("无法联系经营者",)), "handling": ""}
    if kind == "abnormal":
        listed = _day(rng, 1500, -30)
        removed = listed + timedelta(days=20) if rng.random() < 0.5 else None
        return {"entity_id": entity, "listed_on": listed, "reason": "未按规定报送年度报告", "deciding_department": "",
                "removed_on": removed, "removal_reason": ""}
    if kind == "sanction":
        return {"entity_id": None, "person_id": person, "list_kind": rng.choice(("严重违法失信名单", "失信被执行人", "其他失信名单")),
                "decided_on": _day(rng, 1000, -1), "reason": "", "deciding_department": "", "valid_until": None,
                "removed_on": None}
    if kind == "other":
        return {"entity_id": entity, "category": rng.choice(("股权冻结",) * 9 + ("正被立案",)), "title": f"事项{n}", "content": "",
                "occurred_on": _day(rng, 700)}
    address = ctx["addresses"][rng.randrange(len(ctx["addresses"]))]
    return {"entity_id": entity if rng.random() < 0.7 else None, "address": address,
            "agent_name": f"秘书公司{n % 50}", "agent_code": ctx["agents"][n % len(ctx["agents"])]}


def write_facts(counts: dict[str, int], ctx: dict[str, Any], department_id: int, seed: int, start: int = 0) -> int:
    """Bulk-write ``counts`` facts per kind (persistence.bulk.insert_rows: COPY / executemany)."""
    from models import db
    from models.facts import FACT_MODELS
    from persistence.bulk import insert_rows
    from services.risk.evidence import FACT_KINDS

    tables = {k: m.__table__ for k, m in zip(FACT_KINDS, FACT_MODELS, strict=True)}
    rng = random.Random(seed)
    now = datetime.utcnow()
    written = 0
    for kind, count in counts.items():
        rows: list[list[Any]] = []
        columns: list[str] = []
        for n in range(start, start + count):
            values = _fields(kind, n, rng, ctx)
            values.update(source_department_id=department_id, source_kind="数据交换", received_at=now, current=True)
            columns = list(values)
            rows.append(list(values.values()))
            if len(rows) >= 50_000:
                written += insert_rows(tables[kind], columns, rows)
                rows = []
        if rows:
            written += insert_rows(tables[kind], columns, rows)
    db.session.commit()
    return written


def fill(entities: int, department_id: int) -> dict[str, Any]:
    from sqlalchemy import select

    from models import MarketEntity, Person, db
    from persistence.bulk import insert_rows

    persons = max(entities // 5, 10)
    insert_rows(Person.__table__, ["name", "id_number", "created_at"],
                ([f"自然人{i}", f"P{i:017d}", datetime.utcnow()] for i in range(persons)))
    db.session.commit()
    sample = db.session.execute(select(MarketEntity.domicile, MarketEntity.uscc).limit(2000)).all()
    ctx = {"entities": entities, "persons": persons, "addresses": [d for d, _ in sample[:1000]],
           "agents": [u for _, u in sample[1000:1050]]}
    total = 5 * entities
    counts = {kind: int(total * share // 100) for kind, share in SHARES}
    return {"ctx": ctx, "written": write_facts(counts, ctx, department_id, seed=7)}


def bare(entity_ids: list[int] | None = None, codes: list[str] | None = None) -> float:
    """Every rule's SQL, compiled with its values inlined and run through the DBAPI cursor (rows fetched)."""
    from infrastructure import clock
    from models import RiskRule, db
    from services.risk.builders import BUILDERS
    from services.risk.common import Context
    from services.risk.evaluate import params_of

    today = clock.china_today()
    rules = db.session.query(RiskRule).filter(RiskRule.code.in_(codes or list(BUILDERS))).all()
    connection = db.session.connection()
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    t0 = time.perf_counter()
    parts: list[list[int] | None] = [entity_ids]  # one statement per rule, as evaluate runs it
    for rule in rules:
        for part in parts:
            query = BUILDERS[rule.code].query(Context(today, params_of(rule), part))
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            cursor = raw.cursor()
            cursor.execute(sql)
            cursor.fetchall()
            cursor.close()
    return time.perf_counter() - t0


def bench(url: str, instance: Path, entities: int, increment: int, runs: int = 20, explain: bool = False) -> None:
    from sqlalchemy import func, select

    from models import RiskWarning, User, db
    from services.risk.affected import after_facts, touched_entities
    from services.risk.catalogue import rules_reading
    from services.risk.evaluate import evaluate

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        clerk = db.session.get(User, ids["district_clerk"])
        t = time.perf_counter()
        fill_registry(entities)
        made = fill(entities, clerk.department_id)
        print(f"registry of {entities:,} entities and {made['written']:,} facts written in"
              f" {time.perf_counter() - t:.1f} s (not timed)")
        analyse()
        base = bare()
        t0 = time.perf_counter()
        first = evaluate(db.session)
        db.session.commit()
        full = time.perf_counter() - t0
        print(f"  full run, empty 风险库: {full:8.2f} s   bare SQL {base:6.2f} s   ratio {full / base:5.2f}×"
              f"   {first.summary()}")
        for run in first.rules:
            print(f"      {run.code:<22}{run.seconds:8.2f} s  hits {run.hits:>9,}")
        t0 = time.perf_counter()
        second = evaluate(db.session)
        db.session.commit()
        again = time.perf_counter() - t0
        print(f"  full run again:         {again:8.2f} s   bare SQL {base:6.2f} s   ratio {again / base:5.2f}×"
              f"   {second.summary()}")
        before = db.session.scalar(select(func.max(RiskWarning.id)))
        counts = {"complaint": increment // 2, "abnormal": increment - increment // 2}
        write_facts(counts, made["ctx"], clerk.department_id, seed=11, start=10 * entities)
        from models import AbnormalListing, Complaint

        new = []
        for model, n in ((Complaint, counts["complaint"]), (AbnormalListing, counts["abnormal"])):
            new += [(model, r) for r in db.session.execute(select(model).order_by(model.id.desc()).limit(n)).scalars()]
        t0 = time.perf_counter()
        results = [after_facts(db.session, kind, [r for m, r in new if m is model])
                   for model, kind in ((Complaint, "complaint"), (AbnormalListing, "abnormal"))]
        db.session.commit()
        inc = time.perf_counter() - t0
        inc_base, touched = 0.0, 0
        for model, kind in ((Complaint, "complaint"), (AbnormalListing, "abnormal")):
            entities_of = touched_entities(db.session, kind, [r for m, r in new if m is model])
            touched += len(entities_of)
            inc_base += bare(sorted(entities_of), rules_reading(kind))
        incremental = results[0]
        incremental.rules += results[1].rules
        print(f"  incremental after {increment:,} facts ({touched:,} entities touched): {inc:6.2f} s"
              f"   bare SQL {inc_base:6.2f} s   ratio {inc / inc_base:5.2f}×   {incremental.summary()}"
              f"   (warnings before: {before:,})   load average {_load()}")
        for run in incremental.rules:
            print(f"      {run.code:<22}{run.seconds:8.2f} s  hits {run.hits:>9,}")
        analyse()
        risk_extra.library_page(app, ids, runs)
        risk_extra.scorecard()
        if explain:
            risk_extra.explain(ids)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def analyse() -> None:
    from sqlalchemy import text

    from models import db

    db.session.execute(text("ANALYZE"))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--increment", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    parser.add_argument("--runs", type=int, default=20, help="requests of the 风险库 page timed (p50/p95)")
    parser.add_argument("--explain", action="store_true", help="print the query plans of the rules and the page")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-risk-"))
    drop = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "risk")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        bench(url, instance, args.entities, args.increment, args.runs, args.explain)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
