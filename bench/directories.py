"""Object-directory benchmark: a 100,000-member directory built from a filter over a
1,000,000-entity registry (表15 筛选市场主体录入), then copied, read and deleted.

It makes its own data with bench/entities.py's generator: a temporary SQLite database by
default, or a scratch database it creates, migrates, fills and drops on the PostgreSQL server
named by --database-url (never the named database itself).  It prints figures, no assertions.

Timed, each in its own transaction as the pages do it (services.directories):
  count preview of the filter (the number shown before 入库);
  入库: directory + INSERT … SELECT of the members + audit + the 表15 instance, committed;
  the same filter again (every entity already in: nothing added);
  筛选库录入: a copy of the 100,000 members into another item's directory;
  population(): streaming the members with their grades, as a draw will;
  the members page (first, a deep keyset page, a name search);
  表16 删除 of the copy.

    .venv/bin/python bench/directories.py
    .venv/bin/python bench/directories.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import HOME, entity_rows, make_app, make_org, scratch_database  # noqa: E402


def fill_registry(entities: int) -> None:
    from models import Department, MarketEntity, db
    from persistence.bulk import insert_rows

    registries = {d.region_code: d.id for d in db.session.query(Department).filter(Department.level == "district")}
    columns = [c.name for c in MarketEntity.__table__.c if c.name != "id"]
    now = datetime.now()
    batch: list[list[Any]] = []
    for row in entity_rows(entities):
        row["department_id"] = registries[row["division_code"][:6]]
        row["created_at"] = row["updated_at"] = now
        batch.append([row[c] for c in columns])
        if len(batch) >= 20_000:
            insert_rows(MarketEntity.__table__, columns, batch)
            batch = []
    insert_rows(MarketEntity.__table__, columns, batch)
    db.session.commit()


def clock(label: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    print(f"    {label:<62}{(time.perf_counter() - t0) * 1000:>10.1f} ms")
    return result


def bench(url: str, instance: Path, entities: int, filter_args: dict[str, str]) -> None:
    from sqlalchemy import text

    from models import CheckItem, User, db
    from models.items import ItemCategory, ItemStatus
    from services import directories as svc
    from services import directory_members
    from services.entity_search import parse_filters

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        t0 = time.perf_counter()
        fill_registry(entities)
        print(f"generated {entities:,} entities in {time.perf_counter() - t0:.1f} s (not timed below)")
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
        clerk = db.session.get(User, ids["district_clerk"])
        items = []
        for name in ("餐饮服务食品安全监督检查", "食品经营许可事项监督检查"):
            item = CheckItem(department_id=clerk.department_id, name=name, status=ItemStatus.PUBLISHED,
                             category=ItemCategory.KEY, objects="市场主体")
            db.session.add(item)
            items.append(item)
        db.session.commit()
        filters = parse_filters(filter_args)
        print(f"filter {filter_args} as the 成华区 clerk:")

        count, capped = clock("count preview (筛选符合条件的市场主体)", lambda: svc.filter_count(clerk, filters))
        db.session.rollback()
        print(f"    -> {count:,}{'+' if capped else ''} entities")

        def store() -> Any:
            result = svc.add_from_filter(clerk, items[0], parse_filters(filter_args))
            db.session.commit()
            return result

        result = clock("入库: INSERT … SELECT + audit + 表15 instance, committed", store)
        directory_id = result.directory.id
        print(f"    -> added {result.added:,}; store note: "
              f"{[h.comment for h in result.instance.history if h.step_key == 'store'][0]}")
        again = clock("the same filter again (all already in)", store)
        print(f"    -> added {again.added:,}, already {again.already:,}")

        def copy() -> Any:
            source = db.session.get(svc.ObjectDirectory, directory_id)
            out = svc.add_from_directory(clerk, items[1], source)
            db.session.commit()
            return out

        copied = clock("筛选库录入: copy into another item's directory, committed", copy)
        print(f"    -> added {copied.added:,}")

        population = clock("population(): stream every member with its grade",
                           lambda: sum(1 for _ in svc.population(directory_id)))
        print(f"    -> {population:,} members")
        directory = db.session.get(svc.ObjectDirectory, directory_id)
        first = clock("members page 1 (with the total)", lambda: directory_members.members_page(directory))
        after = first.next_after
        for _ in range(200):
            after = directory_members.members_page(directory, after=after).next_after
        clock("members page 202 (keyset)", lambda: directory_members.members_page(directory, after=after))
        found = clock("members search 医药 (name contains)", lambda: directory_members.members_page(directory, search="医药"))
        print(f"    -> {found.total:,} found")
        db.session.rollback()

        def delete() -> None:
            target = db.session.get(svc.ObjectDirectory, copied.directory.id)
            svc.delete_directory(clerk, target, "direct")
            db.session.commit()

        clock("表16 删除 of the copy (100,000 memberships), committed", delete)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--division", default=HOME, help="the filter: a division prefix (default the whole district)")
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-directories-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/directories.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "directories")
        else:
            url = f"sqlite:///{instance}/directories.sqlite3"
        bench(url, instance, args.entities, {"division": args.division})
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
