"""联合奖惩 benchmark (docs/sanctions.md): task generation and batch verification, each beside
the bare SQL on the same data in the same run.

It makes its own data on a scratch database (a temporary SQLite file, or a database it creates
and drops on the PostgreSQL server of --database-url): one 牵头部门 entry with --measures
measures (each its own implementing department), one published list of --objects natural
persons, and --codes codes to verify (a tenth of them listed).  Then:

  task generation: services.sanctions.lists.insert_tasks (object × measure × department, one
  INSERT … SELECT), beside the same INSERT … SELECT written out in SQL on the raw connection;
  batch verification: services.sanctions.verify.batch over --codes codes, beside a bare
  SELECT … WHERE code IN (…) in the same chunks;
  batch verification through the upload path (/imports/sanction_verify/: upload and check the
  workbook, then the confirmation the background job runs, which writes the annotated
  workbook), beside openpyxl reading the file, the bare SQL and openpyxl writing the result.

It prints figures and the host's load average, no assertions.

    .venv/bin/python bench/sanctions.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.entities import make_app, make_org, scratch_database  # noqa: E402

BARE_TASKS = (
    "INSERT INTO sanction_task (object_id, measure_id, department_id, status, due_on, created_at, result, channel) "
    "SELECT o.id, m.id, m.department_id, 'issued', :due, :now, '', '' FROM sanction_object o "
    "JOIN sanction_measure m ON m.entry_id = o.entry_id WHERE o.list_id = :list AND o.released_at IS NULL"
)
BARE_CHECK = (
    "SELECT o.code, m.content FROM sanction_object o JOIN sanction_measure m ON m.entry_id = o.entry_id "
    "WHERE o.code IN ({}) AND o.released_at IS NULL"
)


def _id_number(n: int) -> str:
    from datetime import timedelta

    from infrastructure.validators import id_number_check_char

    born = date(1950, 1, 1) + timedelta(days=n // 1000)  # a real birth date: the 批量验证 check reads it
    first17 = f"510108{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def _uscc(n: int) -> str:
    from infrastructure.validators import uscc_check_char

    first17 = f"9151{n:013d}"
    return first17 + uscc_check_char(first17)


def _upload_file(codes: list[str]) -> bytes:
    """The 批量验证 template filled with ``codes`` (written once, not timed)."""
    import io

    from openpyxl import Workbook

    from services.imports.sanction_verify import TEMPLATE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(TEMPLATE.sheet)
    ws.append(list(TEMPLATE.titles))
    for n, code in enumerate(codes, start=1):
        ws.append([n, f"对象{n}", code])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def through_path(user_id: int, codes: list[str]) -> None:
    """批量验证 as the user does it: upload (read and check the file, in the request), then the
    confirmation the background job runs (read and check again, answer, write the annotated
    workbook, keep it); beside openpyxl reading the file, the bare SQL answering and openpyxl
    writing the same columns."""
    import io

    from openpyxl import Workbook, load_workbook
    from sqlalchemy import text

    from models import User, db
    from services.imports import framework, kinds
    from services.sanctions import verify

    kind = kinds.get("sanction_verify")
    assert kind is not None
    data = _upload_file(codes)
    user = db.session.get(User, user_id)
    t0 = time.perf_counter()
    batch, _check = framework.upload(kind, user, "批量验证.xlsx", data, {})
    db.session.commit()
    upload = time.perf_counter() - t0
    t0 = time.perf_counter()
    with framework.reporting(lambda done, total, message: None, len(codes)):
        result = framework.confirm(kind, user, batch, valid_only=True)
    db.session.commit()
    job = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = [(r[0], r[1], str(r[2])) for r in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(
        min_row=2, values_only=True)]
    answers: dict[str, list[str]] = {}
    conn = db.session.connection()
    wanted = sorted({r[2] for r in rows})
    for start in range(0, len(wanted), verify.BATCH_CHUNK):
        chunk = wanted[start:start + verify.BATCH_CHUNK]
        marks = ", ".join(f":c{i}" for i in range(len(chunk)))
        for code, content in conn.execute(text(BARE_CHECK.format(marks)), {f"c{i}": c for i, c in enumerate(chunk)}):
            answers.setdefault(code, []).append(content)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("结果")
    for n, name, code in rows:
        ws.append([n, name, code, "在" if code in answers else "不在", "；".join(answers.get(code, []))])
    wb.save(io.BytesIO())
    bare = time.perf_counter() - t0
    print(f"batch verification through the upload path, {len(codes):,} rows ({result['在范围内']:,} in scope): "
          f"platform {upload + job:.2f} s (upload check {upload:.2f} s + job {job:.2f} s), "
          f"bare openpyxl + SQL {bare:.2f} s")


def fill(objects: int, measures: int) -> tuple[int, list[str]]:
    """An entry with ``measures`` measures and a published list of ``objects`` persons."""
    from sqlalchemy import insert, select

    from models import (
        Department,
        Person,
        SanctionEntry,
        SanctionList,
        SanctionMeasure,
        SanctionObject,
        db,
        utcnow,
    )
    from models.sanctions import EntryStatus, ListStatus

    departments = db.session.execute(select(Department.id)).scalars().all()
    entry = SanctionEntry(department_id=departments[0], behaviour="严重违法失信", nature="严重违法失信名单",
                          source_agency="法院", legal_basis="备忘录", starts_on=date(2026, 1, 1),
                          status=EntryStatus.PUBLISHED, version=1)
    entry.measures = [SanctionMeasure(department_id=departments[i % len(departments)], content=f"措施{i}", position=i)
                      for i in range(measures)]
    lst = SanctionList(department_id=departments[0], title="基准名单", status=ListStatus.PUBLISHED,
                       published_at=utcnow())
    db.session.add_all([entry, lst])
    db.session.flush()
    codes = [_id_number(n) for n in range(objects)]
    db.session.execute(insert(Person), [{"name": f"人{n}", "id_number": c, "created_at": utcnow()}
                                        for n, c in enumerate(codes)])
    ids = dict(db.session.execute(select(Person.id_number, Person.id)).all())
    db.session.execute(insert(SanctionObject), [
        {"list_id": lst.id, "entry_id": entry.id, "person_id": ids[c], "name": "x", "code": c, "basis": "判决",
         "decided_on": date(2026, 3, 1), "release_reason": ""} for c in codes])
    db.session.commit()
    return lst.id, codes


def run(url: str, objects: int, measures: int, n_codes: int) -> None:
    from sqlalchemy import text

    from models import db, utcnow
    from services.sanctions import lists, verify

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url or f"sqlite:///{tmp}/bench.sqlite3", Path(tmp))
        with app.app_context():
            users = make_org()
            db.session.commit()
            list_id, listed = fill(objects, measures)
            t0 = time.perf_counter()
            count = lists.insert_tasks(list_id)
            db.session.commit()
            platform = time.perf_counter() - t0
            db.session.execute(text("DELETE FROM sanction_task"))
            db.session.commit()
            conn = db.session.connection()
            t0 = time.perf_counter()
            conn.execute(text(BARE_TASKS), {"due": date(2026, 12, 31), "now": utcnow(), "list": list_id})
            db.session.commit()
            bare = time.perf_counter() - t0
            print(f"task generation {objects:,} objects × {measures} measures = {count:,} tasks: "
                  f"platform {platform:.2f} s, bare SQL {bare:.2f} s")

            codes = [_uscc(n) for n in range(n_codes - len(listed) // 10)] + listed[:len(listed) // 10]
            t0 = time.perf_counter()
            found = verify.batch(codes)
            platform = time.perf_counter() - t0
            t0 = time.perf_counter()
            hits = 0
            conn = db.session.connection()
            for start in range(0, len(codes), verify.BATCH_CHUNK):
                chunk = codes[start:start + verify.BATCH_CHUNK]
                marks = ", ".join(f":c{i}" for i in range(len(chunk)))
                hits += len(conn.execute(text(BARE_CHECK.format(marks)), {f"c{i}": c for i, c in enumerate(chunk)}).all())
            bare = time.perf_counter() - t0
            print(f"batch verification of {len(codes):,} codes ({len(found):,} listed, {hits:,} measure rows): "
                  f"platform {platform:.2f} s, bare SQL {bare:.2f} s")
            through_path(users["city_clerk"], codes)
        print(f"load average {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--measures", type=int, default=20)
    parser.add_argument("--codes", type=int, default=100_000)
    args = parser.parse_args()
    if args.database_url:
        url, drop = scratch_database(args.database_url, "sanctions")
        try:
            run(url, args.objects, args.measures, args.codes)
        finally:
            drop()
    else:
        run("", args.objects, args.measures, args.codes)


if __name__ == "__main__":
    main()
