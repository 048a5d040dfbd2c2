"""双告知 benchmark: matching the 经营范围 of newly registered entities against the 先照后证
catalogue and writing the notices (docs/notice.md).  Goal: 100,000 entities in ≤ 60 s.

It makes its own data: a temporary SQLite database by default, or a scratch database it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url.  The registry gets
--entities entities (bench/entities.py's generator) whose scopes are two to four phrases of
ordinary business, a third of them with one or two catalogue phrases among them (食品生产,
餐饮服务, 娱乐场所(歌舞娱乐场所) …, sometimes written with full-width parentheses); every catalogue
name is mapped to one department.  It prints figures, no assertions.

Timed, on the same rows in the same run:
  the bare baseline: one SELECT of (id, scope), a plain ``phrase in scope`` loop over the raw
  catalogue phrases, and the (entity, item, department name) rows written with
  persistence.bulk.insert_rows (COPY on PostgreSQL, executemany on SQLite), then removed again;
  services.notice.notices.notify_entities over every id (what the registry import calls):
  normalisation, the matcher, the mapping, the existing notices, the notices and the checks;
  then the same call again (a re-import: no notice is written twice).

    .venv/bin/python bench/notice.py                      # 100,000 entities
    .venv/bin/python bench/notice.py --database-url postgresql://postgres@127.0.0.1:5432/test
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

from bench.entities import entity_rows, make_app, make_org, scratch_database  # noqa: E402

PLAIN = ("日用百货销售", "服装销售", "五金交电销售", "计算机软硬件技术开发", "企业管理咨询", "广告设计、制作",
         "货物进出口", "家具销售", "建筑材料销售", "会议及展览服务", "文具用品零售", "房地产经纪")
LICENSED = ("食品生产", "餐饮服务", "娱乐场所（歌舞娱乐场所）", "危险废物经营", "道路货物运输", "旅馆", "药品生产",
            "出版物经营", "电信业务", "机动车维修", "打印复印", "燃气经营")


def scope(rnd: random.Random) -> str:
    parts = rnd.sample(PLAIN, rnd.randint(2, 4))
    if rnd.random() < 0.33:
        parts[rnd.randrange(len(parts))] = rnd.choice(LICENSED)
        if rnd.random() < 0.3:
            parts.append(rnd.choice(LICENSED))
    return "；".join(parts) + "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"


def fill(entities: int) -> list[int]:
    from models import Department, MarketEntity, db
    from persistence.bulk import insert_rows

    registries = {d.region_code: d.id for d in db.session.query(Department).filter(Department.level == "district")}
    columns = [c.name for c in MarketEntity.__table__.c if c.name != "id"]
    now = datetime.now()
    rnd = random.Random(20261207)
    rows = []
    for row in entity_rows(entities):
        row.update(department_id=registries[row["division_code"][:6]], created_at=now, updated_at=now,
                   business_scope=scope(rnd))
        rows.append([row[c] for c in columns])
    insert_rows(MarketEntity.__table__, columns, rows)
    db.session.commit()
    return list(db.session.execute(db.select(MarketEntity.id).order_by(MarketEntity.id)).scalars())


def map_everything(department_id: int) -> None:
    from models import ApprovalAuthority, AuthorityMapping, Department, db
    from models.org import DepartmentLevel

    city = db.session.query(Department).filter(Department.level == DepartmentLevel.CITY).one()
    for authority in db.session.query(ApprovalAuthority):
        db.session.add(AuthorityMapping(authority_id=authority.id, region_id=city.id, department_id=department_id))
    db.session.commit()


def bare(department_id: int) -> tuple[float, int]:
    from sqlalchemy import delete, select

    from models import LicenceItem, LicenceItemAuthority, MarketEntity, ScopeNotice, db, utcnow
    from persistence.bulk import insert_rows

    phrases = [(i, p) for i, text in db.session.execute(select(LicenceItem.id, LicenceItem.phrases))
               for p in text.splitlines() if p]
    names: dict[int, list[int]] = {}
    for item_id, authority_id in db.session.execute(select(LicenceItemAuthority.item_id,
                                                           LicenceItemAuthority.authority_id)):
        names.setdefault(item_id, []).append(authority_id)
    start = time.perf_counter()
    now = utcnow()
    rows = []
    for ident, text in db.session.execute(select(MarketEntity.id, MarketEntity.business_scope)):
        seen = set()
        for item_id, phrase in phrases:
            if phrase in text and item_id not in seen:
                seen.add(item_id)
                rows.extend([ident, item_id, a, department_id, now, "pending", "", "", ""] for a in names.get(item_id, ()))
    insert_rows(ScopeNotice.__table__, ["entity_id", "item_id", "authority_id", "department_id", "created_at",
                                        "status", "permit_no", "refusal_reason", "phrase"], rows)
    db.session.flush()
    elapsed = time.perf_counter() - start
    db.session.execute(delete(ScopeNotice))
    db.session.commit()
    return elapsed, len(rows)


def bench(url: str, instance: Path, entities: int) -> None:
    app = make_app(url, instance)
    with app.app_context():
        from models import Department, ScopeCheck, db
        from services.notice.notices import notify_entities

        make_org()
        department_id = db.session.query(Department.id).filter(Department.name.like("%市场监督管理局")).first()[0]
        start = time.perf_counter()
        ids = fill(entities)
        print(f"registry: {len(ids):,} entities written in {time.perf_counter() - start:.1f} s")
        map_everything(department_id)
        seconds, written = bare(department_id)
        print(f"bare SELECT + `in` loop + bulk insert: {seconds:6.2f} s  ({written:,} notices)")
        start = time.perf_counter()
        result = notify_entities(ids, department_id)
        db.session.commit()
        seconds = time.perf_counter() - start
        print(f"notify_entities (first registration): {seconds:6.2f} s  ({result.created:,} notices; "
              f"{result.matched:,} entities matched, {result.unmatched:,} listed for review)  "
              f"{len(ids) / seconds:,.0f} entities/s  goal ≤ 60 s for 100,000")
        start = time.perf_counter()
        again = notify_entities(ids, department_id)
        db.session.commit()
        print(f"notify_entities (re-import, nothing new): {time.perf_counter() - start:6.2f} s  "
              f"({again.created} notices)")
        assert db.session.query(ScopeCheck).count() == len(ids)
    print(f"load average: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-notice-"))
    drop: Any = None
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "notice")
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; load average: {os.getloadavg()}")
        bench(url, instance, args.entities)
    finally:
        if drop is not None:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
