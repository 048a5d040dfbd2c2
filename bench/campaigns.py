"""专项整治 benchmark: building an object library of about 50,000 objects from a registry filter
(services/campaigns/library.build: one INSERT … SELECT) beside the bare statement, and the
梳理汇总 page's figures (services/campaigns/reports.summary: three GROUP BYs) beside the same
SQL on a raw connection, and the 情况通报 PDF of a campaign whose objects are handled by 200
departments (services/campaigns/reports.bulletin_pdf: the summary's queries, the template and
WeasyPrint) beside WeasyPrint alone on the same HTML.

It makes its own data: a temporary SQLite database by default, or a scratch database it creates,
migrates, fills and drops on the PostgreSQL server named by --database-url.  The registry comes
from bench/entities.py's generator (ten districts; grades 30 % A, 40 % B, 18 % C, 6 % D, 3 % E,
3 % none; 85 % active); the city bureau's clerk builds the library over the whole city with the
filter 信用风险分类 C, D, E and 未分类 (about 26 % of the registry: 51,000 of 200,000).  A third of
the objects are then given results set-based so that the summary has something to count.  Prints
figures and the load average, no assertions.

    .venv/bin/python bench/campaigns.py                        # 200,000 entities
    .venv/bin/python bench/campaigns.py --entities 1000000
    .venv/bin/python bench/campaigns.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/campaigns.py --entities 20000 --departments 200   # a quick check

Goals (issue 18): the library of about 50,000 objects from 1,000,000 entities ≤ 10 s, its summary
page ≤ 1 s, the 通报 PDF of a campaign with 200 departments ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.credit import analyze, clock  # noqa: E402
from bench.directories import fill_registry  # noqa: E402
from bench.entities import make_app, make_org, scratch_database  # noqa: E402

CRITERIA = {"grades": ["C", "D", "E"], "ungraded": "1"}  # 50,865 of 200,000 entities of bench/entities.py
CRITERIA_LARGE = {"grades": ["D"]}  # D only: about 50,000–60,000 of 1,000,000 (a campaign holds at most 200,000)


def criteria_for(entities: int) -> dict[str, Any]:
    """The filter giving about 50,000 objects (the issue's campaign) at this registry size."""
    return CRITERIA if entities <= 400_000 else CRITERIA_LARGE


def _replay(engine: Any, statements: list[tuple[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, parameters in statements:
            cur.execute(statement, parameters)
            if cur.description:
                cur.fetchall()
        raw.commit()
    finally:
        raw.close()


def _captured(engine: Any, fn: Callable[[], Any]) -> tuple[list[tuple[str, Any]], Any]:
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen, result


def _results(campaign_id: int) -> None:
    """A third lawful, a tenth ordered, a twentieth filed: set-based, untimed."""
    from sqlalchemy import text

    from models import db

    for status, pattern in (("lawful", "id % 3 = 0"), ("ordered", "id % 10 = 1"), ("case", "id % 20 = 2")):
        db.session.execute(text(f"UPDATE campaign_object SET status = :s, order_no = CASE WHEN :s = 'ordered' "
                                f"THEN 'x' ELSE order_no END WHERE campaign_id = :c AND {pattern}"),
                           {"s": status, "c": campaign_id})
    db.session.commit()


def _departments(campaign: Any, count: int) -> None:
    """``count`` 参与部门 under the campaign's department, each handling a share of the objects
    (set-based, untimed), most of them having signed for the bulletin; and the bulletin."""
    from sqlalchemy import text

    from models import CampaignBulletin, CampaignParty, Department, db, utcnow
    from models.org import DepartmentKind, DepartmentLevel
    from persistence.org import place_department

    parent = campaign.department
    ids = []
    for i in range(count):
        d = Department(name=f"压测参与部门{i + 1:03d}（第{i % 12 + 1}监管所）", parent=parent, level=DepartmentLevel.BUREAU,
                       kind=DepartmentKind.SUPERVISION, region_code=parent.region_code)
        db.session.add(d)
        db.session.flush()
        place_department(d, parent)
        ids.append(d.id)
        db.session.add(CampaignParty(campaign_id=campaign.id, department_id=d.id,
                                     received_bulletin_at=utcnow() if i % 7 else None))
    for i, department_id in enumerate(ids):
        db.session.execute(text(f"UPDATE campaign_object SET department_id = :d WHERE campaign_id = :c "
                                f"AND id % {count} = {i}"), {"d": department_id, "c": campaign.id})
    campaign.joint = True
    db.session.add(CampaignBulletin(campaign_id=campaign.id, doc_no="成市监通〔2026〕1号",
                                    title="关于压测专项整治情况的通报",
                                    body="各参与部门：\n现将专项整治开展情况通报如下。" + "各部门按方案完成检查。" * 40))
    db.session.commit()


def bench_bulletin(campaign: Any, departments: int) -> tuple[float, float]:
    """情况通报 PDF: the service beside WeasyPrint alone on the same HTML (same fonts)."""
    from weasyprint import HTML

    from infrastructure import pdf
    from services.campaigns import reports

    _departments(campaign, departments)
    analyze()
    print(f"情况通报 PDF ({departments} departments):")
    cpu = time.process_time()
    service_s, data = clock("reports.bulletin_pdf() (summary queries + template + WeasyPrint)",
                            lambda: reports.bulletin_pdf(campaign))
    service_cpu = time.process_time() - cpu
    html = reports.bulletin_html(campaign)
    cpu = time.process_time()
    bare_s, bare = clock("bare: WeasyPrint alone on the same HTML", lambda: HTML(
        string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.StaticFetcher()).write_pdf(font_config=pdf.font_config()))
    bare_cpu = time.process_time() - cpu
    print(f"    -> {len(data):,} bytes (bare {len(bare):,} bytes); CPU time {service_cpu:.2f} s vs bare {bare_cpu:.2f} s "
          "(the wall time on a loaded host is mostly waiting for a core)")
    return service_s, bare_s


def bench(url: str, instance: Path, entities: int, departments: int = 200) -> None:
    from sqlalchemy import delete, func, select

    from models import CampaignObject, User, db
    from services.campaigns import library, plans, reports

    app = make_app(url, instance)
    with app.app_context():
        ids = make_org()
        t0 = time.perf_counter()
        fill_registry(entities)
        analyze()
        print(f"generated {entities:,} entities in {time.perf_counter() - t0:.1f} s (not timed)")
        clerk = db.session.get(User, ids["city_clerk"])
        campaign = plans.create_campaign(clerk, {
            "title": "压测专项整治", "basis": "依据", "scope": "全市", "starts_on": "2026-10-01",
            "ends_on": "2026-12-31", "modes": ["信用监管"]})
        db.session.commit()
        chosen = criteria_for(entities)
        crit = library.parse_criteria(chosen)
        print(f"filter: {crit.describe()} -> {library.preview_count(campaign, crit):,} entities match")

        def build() -> int:
            added = library.build(clerk, campaign, chosen)
            db.session.commit()
            return added

        def empty() -> None:
            db.session.execute(delete(CampaignObject).where(CampaignObject.campaign_id == campaign.id))
            campaign.library_note = ""
            db.session.commit()
            analyze()

        print("建立专项整治对象库:")
        service_s, added = clock("library.build() + commit (checks, count, INSERT … SELECT, audit)", build)
        print(f"    -> {added:,} objects")
        empty()
        statements, _ = _captured(db.engine, build)
        inserts = [(s, p) for s, p in statements if s.lstrip().upper().startswith("INSERT INTO CAMPAIGN_OBJECT")]
        empty()
        bare_s, _ = clock("bare: the INSERT … SELECT alone on a raw connection + commit",
                          lambda: _replay(db.engine, inserts))
        count = db.session.execute(select(func.count()).select_from(CampaignObject)).scalar()
        print(f"    -> {count:,} objects")
        _results(campaign.id)
        analyze()

        print("梳理汇总 (by result, department, category):")
        summary_s, s = clock("reports.summary() (three GROUP BYs)", lambda: reports.summary(campaign))
        print(f"    -> total {s.total}, {len(s.by_category)} categories")
        statements, _ = _captured(db.engine, lambda: reports.summary(campaign))
        raw_s, _ = clock(f"bare: the same {len(statements)} statements on a raw connection",
                         lambda: _replay(db.engine, statements))
        pdf_s, pdf_bare_s = bench_bulletin(campaign, departments) if departments else (0.0, 0.0)
        print(f"summary: build {service_s:.2f} s vs bare INSERT {bare_s:.2f} s; summary {summary_s:.2f} s vs bare "
              f"{raw_s:.2f} s; 通报 PDF {pdf_s:.2f} s vs bare WeasyPrint {pdf_bare_s:.2f} s; "
              f"load average {os.getloadavg()}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--departments", type=int, default=200, help="参与部门 of the 通报 PDF (0: skip it)")
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; default a temporary SQLite file")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="zhjg-bench-campaigns-"))
    drop: Callable[[], None] = lambda: None  # noqa: E731
    print(f"bench/campaigns.py on {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()}")
    try:
        if args.database_url:
            url, drop = scratch_database(args.database_url, "campaigns")
        else:
            url = f"sqlite:///{instance}/campaigns.sqlite3"
        bench(url, instance, args.entities, args.departments)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
