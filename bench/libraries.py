"""Supervised-object library benchmark: a library of 100,000 entities built from a filter.

It makes its own registry with bench/entities.py's generator (--entities, default 1,000,000,
spread over ten districts, so the home district 成华区 holds a tenth of them) in a temporary
SQLite file, or in a scratch database it creates, migrates, fills and drops on the PostgreSQL
server named by --database-url, then runs ANALYZE (SQLite) or VACUUM ANALYZE (PostgreSQL, what
autovacuum does to a freshly filled table).  Then, as a clerk of 成华区, it times:

* the count preview of the filter "行政区划 510108" (every entity of the district);
* 入库 through services.libraries.create_from_filter: the whole verb (name check, 表3
  instance and its steps, ``INSERT … SELECT`` of the members, audit row) plus the commit;
* the first page of the library's members and an entity page's "所属监管对象库" lookup;
* for comparison, the same members selected into Python and written with persistence.bulk
  insert_rows (the path an import uses);
* 表4 删除 of the library (confirmed) with its members.

Nothing is a pass/fail assertion; it prints figures.

    .venv/bin/python bench/libraries.py
    .venv/bin/python bench/libraries.py --entities 200000
    .venv/bin/python bench/libraries.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from entities import DISTRICTS, HOME, entity_rows, make_app, make_org, scratch_database  # noqa: E402


def fill_registry(entities: int) -> float:
    from models import Department, EntityTag, MarketEntity, db
    from models.org import DepartmentLevel
    from persistence.bulk import insert_rows, refresh_statistics

    registries = {
        d.region_code: d.id for d in db.session.query(Department).filter(Department.level == DepartmentLevel.DISTRICT)
    }
    t0 = time.perf_counter()
    columns = [c.name for c in MarketEntity.__table__.c if c.name != "id"]
    now = datetime.now()
    batch: list[list[Any]] = []
    tags: list[tuple[int, str]] = []
    for n, row in enumerate(entity_rows(entities), start=1):
        row["department_id"] = registries[row["division_code"][:6]]
        row["created_at"] = row["updated_at"] = now
        batch.append([row[c] for c in columns])
        if n % 20 == 0:
            tags.append((n, random.Random(n).choice(["重点", "餐饮", "食品", "特种设备"])))
        if len(batch) >= 20_000:
            insert_rows(MarketEntity.__table__, columns, batch)
            batch = []
    if batch:
        insert_rows(MarketEntity.__table__, columns, batch)
    insert_rows(EntityTag.__table__, ["entity_id", "tag"], tags)
    refresh_statistics(MarketEntity.__table__, EntityTag.__table__)
    db.session.commit()
    return time.perf_counter() - t0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def run(url: str, instance: Path, entities: int) -> None:
    from sqlalchemy import Integer, func, literal, select, text

    from models import LibraryMember, MarketEntity, ObjectLibrary, ProcessInstance, User, db
    from persistence.bulk import insert_rows
    from services import libraries as svc
    from services.entity_search import entity_query, parse_filters

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        took = fill_registry(entities)
        backend = db.engine.dialect.name
        print(f"[{backend}] registry: {entities:,} entities in {len(DISTRICTS)} districts, generated and inserted in {took:.1f} s")
        # What autovacuum does to a freshly filled table on PostgreSQL (statistics, hint bits
        # and the visibility map that index-only scans need); what ANALYZE does on SQLite.
        statement = "VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"
        t0 = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(statement))
        print(f"  {statement}: {time.perf_counter() - t0:.1f} s")
        clerk = db.session.get(User, ids["district_clerk"])
        args = {"division": HOME}

        t0 = time.perf_counter()
        preview = svc.preview_filter(clerk, args)
        t_preview = time.perf_counter() - t0
        db.session.rollback()
        print(f"  count preview (division {HOME}): {preview.count:,} entities in {ms(t_preview)}")

        clerk = db.session.get(User, ids["district_clerk"])
        t0 = time.perf_counter()
        library = svc.create_from_filter(clerk, "压测对象库", args, tags="压测")
        db.session.commit()
        t_build = time.perf_counter() - t0
        lib_id = library.id
        print(f"  入库 (create_from_filter + commit): {library.member_count:,} members in {t_build:.2f} s")
        inst = db.session.execute(
            select(ProcessInstance).where(ProcessInstance.subject_id == lib_id, ProcessInstance.process_table == 3)
        ).scalar_one()
        print(f"    表3 history: {' → '.join(h.step_name for h in inst.history)} ({inst.status.label})")

        library = db.session.get(ObjectLibrary, lib_id)
        t0 = time.perf_counter()
        page = svc.members_page(library)
        t_page = time.perf_counter() - t0
        t0 = time.perf_counter()
        page2 = svc.members_page(library, after=page.next_after)
        t_page2 = time.perf_counter() - t0
        entity = db.session.get(MarketEntity, page.items[0].id)
        t0 = time.perf_counter()
        found = svc.libraries_of_entity(clerk, entity)
        t_entity = time.perf_counter() - t0
        print(f"  members, first page: {len(page.items)} rows in {ms(t_page)}; second page {ms(t_page2)}"
              f" ({len(page2.items)} rows)")
        print(f"  entity page's libraries: {len(found)} in {ms(t_entity)}")

        # The Python-side path, for comparison: select the ids, then insert_rows.
        t0 = time.perf_counter()
        other = ObjectLibrary(name="对照库", department_id=clerk.department_id, source="filter",
                              created_by_id=clerk.id)
        db.session.add(other)
        db.session.flush()
        filters = parse_filters(args)
        member_ids = db.session.execute(entity_query(clerk, filters).with_only_columns(MarketEntity.id)).scalars().all()
        t_select = time.perf_counter() - t0
        n = insert_rows(LibraryMember.__table__, ("library_id", "entity_id"), ((other.id, e) for e in member_ids))
        db.session.commit()
        t_rows = time.perf_counter() - t0
        print(f"  comparison, ids into Python + insert_rows + commit: {n:,} members in {t_rows:.2f} s"
              f" (of which selecting the ids {t_select:.2f} s)")
        t0 = time.perf_counter()
        sel = entity_query(clerk, filters).with_only_columns(literal(0, Integer), MarketEntity.id).order_by(None)
        bare = db.session.execute(select(func.count()).select_from(sel.subquery())).scalar_one()
        t_bare = time.perf_counter() - t0
        db.session.rollback()
        print(f"  the filter's query alone (count of {bare:,} rows): {ms(t_bare)}")

        clerk = db.session.get(User, ids["district_clerk"])
        library = db.session.get(ObjectLibrary, lib_id)
        t0 = time.perf_counter()
        svc.delete_library(clerk, library, confirmed=True)
        db.session.commit()
        t_delete = time.perf_counter() - t0
        print(f"  表4 删除 (confirmed) of the {preview.count:,}-member library + commit: {t_delete:.2f} s")
        verdict = "under" if t_build < 10 else "OVER"
        print(f"  => a {preview.count:,}-member library built from a filter in {t_build:.2f} s ({verdict} 10 s)")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000, help="registry size (default 1,000,000)")
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-lib-"))
    print(f"bench/libraries.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "lib")
            try:
                run(url, instance, args.entities)
            finally:
                drop()
        else:
            run(f"sqlite:///{instance}/bench.sqlite3", instance, args.entities)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
