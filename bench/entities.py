"""Entity registry benchmark: the filtered list at 1,000,000 entities and a 100,000-row import.

It makes its own data: a temporary SQLite database by default, or scratch databases it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url (never the named
database itself).  Nothing here is a pass/fail assertion; it prints figures.

(a) Generates --entities entities (bulk insert, timed), then times the list page the clerks use
    most, division + industry + grade, first page, through services.entity_search.search_entities
    (p50/p95 over --runs runs), and the capped count on its own; a few other filters follow.
    On SQLite once without planner statistics (a file nobody ran ANALYZE on) and once after
    ANALYZE; on PostgreSQL after VACUUM ANALYZE (what autovacuum does to a filled table).
(b) Builds a --import-rows row workbook with openpyxl write_only (not timed), then times the
    real import (services.imports.entities on the import framework: upload check, and the
    confirmation = check again + bulk insert + audit rows) into a fresh registry, a re-import of the same file (every row an
    update), and, in the same run, bare python-calamine parsing plus a bare Core bulk insert of
    the same rows into a copy of the table.

    .venv/bin/python bench/entities.py
    .venv/bin/python bench/entities.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DISTRICTS = [
    ("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区"),
    ("510108", "成华区"), ("510112", "龙泉驿区"), ("510113", "青白江区"), ("510114", "新都区"),
    ("510115", "温江区"), ("510116", "双流区"),
]
HOME = "510108"  # the district of the clerk whose list is timed
INDUSTRIES = [
    "A0111", "A0312", "C1391", "C1431", "C1761", "C2110", "C3360", "C3990", "E4710", "E5010",
    "F5111", "F5123", "F5211", "F5212", "F5213", "F5221", "F5225", "F5231", "F5261", "F5271",
    "F5281", "F5292", "G5411", "G5437", "G5990", "H6110", "H6121", "H6210", "H6231", "H6241",
    "I6410", "I6513", "I6591", "K7010", "K7020", "L7212", "L7281", "M7320", "M7484", "N7820",
    "O8010", "O8051", "O8062", "O8111", "O8122", "P8392", "Q8491", "R8710", "R9011", "S9221",
]
GRADES = ["A"] * 30 + ["B"] * 40 + ["C"] * 18 + ["D"] * 6 + ["E"] * 3 + [None] * 3
WORDS = ["锦城", "蓉华", "天府", "金沙", "西岭", "青城", "峨眉", "芙蓉", "银杏", "锦绣", "和美", "恒信", "博达", "鑫源", "启航", "福瑞", "德盛", "宏图", "同心", "新禾"]
KINDS = ["餐饮管理", "商贸", "科技", "建筑工程", "食品", "医药连锁", "文化传播", "物业管理", "汽车服务", "教育咨询"]
SUFFIXES = ["有限公司", "有限责任公司", "店", "经营部", "合作社"]
SCOPES = [
    "餐饮服务；食品销售（仅销售预包装食品）。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发。",
    "许可项目：药品零售；第二类医疗器械销售；保健食品销售。",
    "建设工程施工；建筑劳务分包；住宅室内装饰装修。",
    "日用百货销售；五金产品零售；文具用品零售；办公用品销售。",
]
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _check(first17: str) -> str:
    from infrastructure.validators import uscc_check_char

    return uscc_check_char(first17)


def uscc_for(n: int, division: str) -> str:
    body = ""
    for _ in range(7):
        n, r = divmod(n, 31)
        body = CHARSET[r] + body
    first17 = "91" + division[:6] + "MA" + body
    return first17 + _check(first17)


def entity_rows(count: int, start: int = 0, seed: int = 1, districts: list[tuple[str, str]] = DISTRICTS
                ) -> Iterator[dict[str, Any]]:
    """Deterministic, realistic-looking entities; uscc unique by ``start + i``."""
    from models.entity import EntityStatus, EntityType

    rnd = random.Random(seed)
    types = [EntityType.ENTERPRISE] * 6 + [EntityType.INDIVIDUAL] * 3 + [EntityType.COOPERATIVE]
    statuses = [EntityStatus.ACTIVE] * 17 + [EntityStatus.REVOKED, EntityStatus.CANCELLED, EntityStatus.MOVED_OUT]
    for i in range(start, start + count):
        code, dname = districts[i % len(districts)]
        division = f"{code}{rnd.randint(1, 20):03d}{rnd.randint(1, 30):03d}"
        etype = rnd.choice(types)
        word = rnd.choice(WORDS) + rnd.choice(WORDS)
        row = {
            "name": f"成都{word}{rnd.choice(KINDS)}{SUFFIXES[i % 5]}{i}",
            "uscc": uscc_for(i, code),
            "reg_no": f"{code}{i:09d}" if etype.value == "individual" else None,
            "entity_type": etype,
            "legal_rep": rnd.choice("张王李赵刘陈杨黄周吴") + rnd.choice(["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"]),
            "domicile": f"成都市{dname}{rnd.choice(WORDS)}路{rnd.randint(1, 999)}号",
            "business_address": f"成都市{dname}{rnd.choice(WORDS)}街{rnd.randint(1, 999)}号附{rnd.randint(1, 20)}号",
            "division_code": division,
            "division_name": dname,
            "industry_code": rnd.choice(INDUSTRIES),
            "industry_name": "",
            "business_scope": rnd.choice(SCOPES),
            "status": rnd.choice(statuses),
            "established_on": date(2000, 1, 1) + timedelta(days=rnd.randint(0, 8800)),
            "registered_capital": Decimal(rnd.randint(1, 50000)) / 10,
            "phone": f"13{rnd.randint(0, 9)}{rnd.randint(10000000, 99999999)}",
            "credit_grade": rnd.choice(GRADES),
            "credit_grade_source": "国家“互联网+监管”系统",
            "credit_grade_on": None,
        }
        if row["credit_grade"]:
            row["credit_grade_on"] = date(2024, 6, 30)
        yield row


def scratch_database(server_url: str, suffix: str) -> tuple[str, Callable[[], None]]:
    """Create zhjg_bench_<pid>_<suffix> on the server of ``server_url``; return URL and a dropper."""
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"zhjg_bench_{os.getpid()}_{suffix}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return plain.rsplit("/", 1)[0] + "/" + name, drop


def make_app(url: str, instance: Path) -> Any:
    from flask_migrate import upgrade

    from app import create_app

    os.environ["ZHJG_INSTANCE"] = str(instance)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url.replace(
        "postgresql://", "postgresql+psycopg://")})
    with app.app_context():
        upgrade()
    return app


def make_org() -> dict[str, Any]:
    """A city, its ten districts each with a 市场监督管理局, a clerk in 成华区 and one in the city."""
    from models import Department, User, UserRole, db
    from models.org import DepartmentKind, DepartmentLevel
    from models.roles import Role
    from persistence.org import place_department

    def dept(name: str, parent: Any, level: DepartmentLevel, code: str, kind: DepartmentKind) -> Any:
        d = Department(name=name, parent=parent, level=level, kind=kind, region_code=code)
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        return d

    city = dept("成都市", None, DepartmentLevel.CITY, "510100", DepartmentKind.GOVERNMENT)
    city_bureau = dept("成都市市场监督管理局", city, DepartmentLevel.BUREAU, "510100", DepartmentKind.SUPERVISION)
    bureaus = {}
    for code, name in DISTRICTS:
        district = dept(name, city, DepartmentLevel.DISTRICT, code, DepartmentKind.GOVERNMENT)
        bureaus[code] = dept(name + "市场监督管理局", district, DepartmentLevel.BUREAU, code,
                             DepartmentKind.SUPERVISION)
    users = {}
    for key, department in (("district", bureaus[HOME]), ("city", city_bureau)):
        u = User(account=f"bench_{key}", name=f"压测经办人{key}", department=department, password_hash="x",
                 must_change_password=False)
        u.roles = [UserRole(role=str(Role.CLERK))]
        db.session.add(u)
        users[key] = u
    db.session.commit()
    return {"district_clerk": users["district"].id, "city_clerk": users["city"].id}


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    out, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, result


# ------------------------------------------------------------------ (a) the list at 1M rows


def bench_list(url: str, instance: Path, entities: int, runs: int) -> None:
    from sqlalchemy import text

    from models import EntityTag, MarketEntity, User, db
    from persistence.bulk import insert_rows
    from services.entity_search import (
        SCAN_LIMIT,
        count_entities,
        entity_query,
        parse_filters,
        search_entities,
    )

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        registries = {code: None for code, _ in DISTRICTS}
        from models import Department

        for d in db.session.query(Department).filter(Department.level == "district"):
            registries[d.region_code] = d.id
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
        insert_rows(MarketEntity.__table__, columns, batch)
        insert_rows(EntityTag.__table__, ["entity_id", "tag"], tags)
        db.session.commit()
        generated = time.perf_counter() - t0
        print(f"(a) generated {entities:,} entities (+{len(tags):,} tags) in {generated:.1f} s "
              f"({entities / generated:,.0f} rows/s)")
        clerk = db.session.get(User, ids["district_clerk"])
        city = db.session.get(User, ids["city_clerk"])
        scenarios = [
            ("division+industry+grade (成华区 clerk)", clerk, {"division": HOME, "industry": "F52", "grade": "C"}),
            ("division+industry+grade (city clerk)", city, {"division": HOME, "industry": "F52", "grade": "C"}),
            ("street+industry+grade (city clerk)", city, {"division": HOME + "003", "industry": "H", "grade": "B"}),
            ("industry+grade (成华区 clerk)", clerk, {"industry": "F52", "grade": "C"}),
            ("no filter (成华区 clerk)", clerk, {}),
            ("no filter (city clerk)", city, {}),
            ("division only (city clerk)", city, {"division": HOME}),
            ("grade E only (city clerk)", city, {"grade": "E"}),
            ("status 吊销 (成华区 clerk)", clerk, {"status": "revoked"}),
            ("name prefix 成都锦城 (city clerk)", city, {"name": "成都锦城"}),
            ("name prefix 成都 (city clerk, every name)", city, {"name": "成都"}),
            ("name prefix 成都锦城天府 + district (成华区)", clerk, {"name": "成都锦城天府", "division": HOME}),
            ("uscc exact (city clerk)", city, {"code": uscc_for(777_774, HOME)}),
            ("tag 重点 (city clerk)", city, {"tag": "重点"}),
            ("name contains + street (成华区 clerk)", clerk, {"name": "医药", "contains": "1", "division": HOME + "003"}),
            ("name contains + district (成华区 clerk)*", clerk, {"name": "医药", "contains": "1", "division": HOME}),
            ("scope keyword + street+industry (city)", city, {"scope": "药品零售", "division": HOME + "003",
                                                               "industry": "F52"}),
        ]
        # PostgreSQL's autovacuum analyzes a freshly filled table within minutes: only SQLite
        # is also measured as it usually runs, without statistics.
        postgres = db.engine.dialect.name == "postgresql"
        for stats in (True,) if postgres else (False, True):
            if stats:
                # What autovacuum does to a freshly filled table on PostgreSQL (statistics and
                # the visibility map that index-only scans need); what ANALYZE does on SQLite.
                statement = "VACUUM ANALYZE" if postgres else "ANALYZE"
                t0 = time.perf_counter()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text(statement))
                print(f"    {statement}: {time.perf_counter() - t0:.1f} s")
            print(f"    list, first page of 20 + capped count, {runs} runs each (ms), "
                  f"{'with planner statistics' if stats else 'no planner statistics'}:")
            print(f"    {'filter':<44}{'p50 page':>10}{'p95 page':>10}{'p50 count':>11}{'p50 both':>10}"
                  f"{'p95 both':>10}{'total':>9}")
            for label, user, args in scenarios:
                filters = parse_filters(args)
                page_ms, page = timed(lambda u=user, f=filters: search_entities(u, f, count=False), runs)
                count_ms, counted = timed(
                    lambda u=user, f=filters: count_entities(entity_query(u, f, for_count=True)), runs
                )
                both_ms, _ = timed(lambda u=user, a=args: search_entities(u, parse_filters(a)), runs)
                total = f"{counted[0]}{'+' if counted[1] else ''}"
                print(f"    {label:<44}{pct(page_ms, 50):>10.1f}{pct(page_ms, 95):>10.1f}"
                      f"{pct(count_ms, 50):>11.1f}{pct(both_ms, 50):>10.1f}{pct(both_ms, 95):>10.1f}{total:>9}")
                db.session.rollback()
            # a deep keyset page: follow 'next' 50 times, then time the 51st
            filters = parse_filters({"division": HOME, "industry": "F52", "grade": "C"})
            after = None
            for _ in range(50):
                page = search_entities(city, filters, after=after, count=False)
                after = page.next_after
            deep_ms, _ = timed(lambda f=filters, a=after: search_entities(city, f, after=a, count=False), runs)
            print(f"    {'page 51 of the first filter (keyset)':<44}{pct(deep_ms, 50):>10.1f}{pct(deep_ms, 95):>10.1f}")
        print(f"    * more than {SCAN_LIMIT:,} candidates: the contains search falls back to a name prefix (as the page"
              " says)")
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------ (b) a 100k-row import

HEADER = ["主体名称", "统一社会信用代码", "注册号", "主体类型", "法定代表人（负责人）", "住所", "经营场所", "行政区划编码",
          "行政区划名称", "行业代码", "行业名称", "经营范围", "登记状态", "成立日期", "注册资本（万元）", "联系电话", "标签",
          "信用风险等级", "等级来源", "评定日期"]


def build_workbook(rows: int, path: Path, variant: int = 0) -> list[dict[str, Any]]:
    """The import file; ``variant`` 1 changes every row's phone and grade (a re-import that
    updates every entity)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("市场主体")
    ws.append(HEADER)
    data = list(entity_rows(rows, start=2_000_000, seed=7, districts=[(HOME, "成华区")]))
    for r in data:
        ws.append([
            r["name"], r["uscc"], r["reg_no"], r["entity_type"].label, r["legal_rep"], r["domicile"],
            r["business_address"], r["division_code"], r["division_name"], r["industry_code"], r["industry_name"],
            r["business_scope"], r["status"].label, r["established_on"], float(r["registered_capital"]),
            r["phone"] if not variant else "028-8" + r["phone"][-7:],
            "餐饮、重点" if r["industry_code"].startswith("H") else None,
            r["credit_grade"] if not variant else "D", r["credit_grade_source"],
            r["credit_grade_on"],
        ])
    wb.save(path)
    return data


def bench_import(url: str, instance: Path, rows: int) -> None:
    from python_calamine import CalamineWorkbook
    from sqlalchemy import Column, Index, MetaData, Table, insert

    from models import MarketEntity, User, db
    from services.imports import framework
    from services.imports.entities import KIND

    path = instance / "import.xlsx"
    t0 = time.perf_counter()
    build_workbook(rows, path)
    data = path.read_bytes()
    print(f"(b) built a {rows:,}-row workbook ({len(data) / 1024 / 1024:.1f} MB) in {time.perf_counter() - t0:.1f} s"
          " (not timed below)")
    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        clerk = db.session.get(User, ids["district_clerk"])

        t0 = time.perf_counter()
        batch, check = framework.upload(KIND, clerk, "import.xlsx", data, {})
        db.session.commit()
        upload = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = framework.confirm(KIND, clerk, batch, valid_only=True)
        db.session.commit()
        confirm = time.perf_counter() - t0
        print(f"    upload check (read + validate + store the batch): {upload:.2f} s; "
              f"{len(check.valid_rows):,} valid, {len(check.invalid_rows):,} with problems")
        print(f"    confirm (read + validate again + insert + tags + audit rows): {confirm:.2f} s -> {summary}")

        for label, variant in (("the same file again", 0), ("a file that changes every row", 1)):
            if variant:
                build_workbook(rows, path, variant)
            again = path.read_bytes()
            t0 = time.perf_counter()
            batch2, _ = framework.upload(KIND, clerk, "import.xlsx", again, {})
            db.session.commit()
            upload2 = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary2 = framework.confirm(KIND, clerk, batch2, valid_only=True)
            db.session.commit()
            reimport = time.perf_counter() - t0
            print(f"    re-import, {label}: upload {upload2:.2f} s, confirm {reimport:.2f} s -> {summary2}")

        # bare: parse with python-calamine, insert the same rows with Core, nothing else
        meta = MetaData()
        source = MarketEntity.__table__
        bare = Table(
            "bare_entity", meta,
            *[Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, unique=c.unique) for c in source.c],
        )
        for ix in source.indexes:  # the same indexes, so that the comparison is fair
            Index(str(ix.name).replace("market_entity", "bare_entity"), *[bare.c[c.name] for c in ix.columns])
        meta.create_all(db.engine)
        dept = clerk.department.parent_id
        t0 = time.perf_counter()
        table = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        parsed = time.perf_counter() - t0
        keys = ["name", "uscc", "reg_no", "entity_type", "legal_rep", "domicile", "business_address", "division_code",
                "division_name", "industry_code", "industry_name", "business_scope", "status", "established_on",
                "registered_capital", "phone"]
        types = {"企业": "enterprise", "个体工商户": "individual", "农民专业合作社": "cooperative"}
        statuses = {"存续": "active", "吊销": "revoked", "注销": "cancelled", "迁出": "moved_out"}
        now = datetime.now()
        t1 = time.perf_counter()
        with db.engine.begin() as conn:
            batch_rows = []
            for cells in table[1:]:
                row = dict(zip(keys, cells, strict=False))
                row["reg_no"] = row["reg_no"] or None
                row["entity_type"] = types[row["entity_type"]]
                row["status"] = statuses[row["status"]]
                row["credit_grade"] = cells[17] or None
                row["credit_grade_source"] = cells[18]
                row["credit_grade_on"] = cells[19] or None
                row["registered_capital"] = Decimal(repr(row["registered_capital"]))
                row["department_id"] = dept
                row["created_at"] = row["updated_at"] = now
                batch_rows.append(row)
                if len(batch_rows) >= 10_000:
                    conn.execute(insert(bare), batch_rows)
                    batch_rows = []
            if batch_rows:
                conn.execute(insert(bare), batch_rows)
        inserted = time.perf_counter() - t1
        base = parsed + inserted
        print(f"    bare python-calamine parse {parsed:.2f} s + bare Core insert {inserted:.2f} s = {base:.2f} s")
        print(f"    confirm / bare = {confirm / base:.2f}x; upload + confirm / bare = {(upload + confirm) / base:.2f}x")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default temporary SQLite files")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-entities-"))
    drops: list[Callable[[], None]] = []
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"bench/entities.py on {backend}, {os.cpu_count()} CPUs")
    try:
        if not args.skip_list:
            if args.database_url:
                url, drop = scratch_database(args.database_url, "list")
                drops.append(drop)
            else:
                url = f"sqlite:///{instance}/list.sqlite3"
            bench_list(url, instance, args.entities, args.runs)
        if not args.skip_import:
            if args.database_url:
                url, drop = scratch_database(args.database_url, "import")
                drops.append(drop)
            else:
                url = f"sqlite:///{instance}/import.sqlite3"
            bench_import(url, instance, args.import_rows)
    finally:
        for drop in drops:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
