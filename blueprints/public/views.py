"""/public: 一公开 — what the platform has published, for anyone, without signing in.

Every endpoint here is named ``public.*``, which the gatekeeper (blueprints/web.py) lets through
without a session.  The pages read only ``Publication`` rows (services/publication.py), never
the working tables: an unpublished draft cannot leak and the credit-risk grade, which no
snapshot may contain, can never reach the public.

- /public/items: the inspection items currently on the public list (单部门 and 部门联合),
  filterable by 清单类型, department and 抽查类别, paged;
- /public/items/<subject_id>: one item's public page with every published version;
- /public/plans, /public/plans/<subject_id> and /public/plans.json: the published 抽查计划
  (表19 / 表21 公开抽查计划), the same way;
- /public/items.json and /public/items.csv: the feed, the stand-in for the push to 信用中国
  (四川成都) and 国家企业信用信息公示系统 (四川): every publication and withdrawal after the cursor
  ``after_id``, oldest first, ``limit`` at a time.  The CSV starts with a UTF-8 BOM so that
  Excel opens it in the right encoding.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Department, Publication, PublicationAction, db
from services import draw_disclosure as disclosure
from services import publication as pub
from services.joint_item_queries import like_pattern
from services.publication import department_name, feed_record

bp = Blueprint("public", __name__, url_prefix="/public")

SUBJECT_TYPE = "check_item"
PLAN_SUBJECT = "plan"
LIST_TYPES = ("单部门", "部门联合")
FEED_LIMIT = 500
FEED_MAX = 5000
CSV_COLUMNS = ("id", "subject_id", "version", "action", "list_type", "department", "title", "published_at", "payload")


@bp.app_template_global("public_department")
def _public_department(department: Department) -> str:
    return department_name(department)


def _filters() -> dict[str, Any]:
    args = request.args
    list_type = args.get("list_type", "")
    domain = args.get("domain", "").strip()[:100]
    q = args.get("q", "").strip()[:100]
    return {
        "list_type": list_type if list_type in LIST_TYPES else "",
        "department_id": args.get("department_id", type=int),
        "domain": domain,
        "q": q,
    }


@bp.route("/items")
def items():
    filters = _filters()
    query = pub.current(SUBJECT_TYPE)
    if filters["list_type"]:
        query = query.where(Publication.list_type == filters["list_type"])
    if filters["department_id"]:
        query = query.where(Publication.department_id == filters["department_id"])
    if filters["domain"]:
        query = query.where(Publication.domain == filters["domain"])
    if filters["q"]:
        query = query.where(Publication.title.like(like_pattern(filters["q"]), escape="\\"))
    query = query.options(joinedload(Publication.department)).order_by(
        Publication.list_type, Publication.department_id, Publication.domain, Publication.title, Publication.id
    )
    page = db.paginate(query, per_page=50, error_out=False)
    current = pub.current(SUBJECT_TYPE).subquery()
    departments = db.session.execute(
        select(Department).where(Department.id.in_(select(current.c.department_id))).order_by(Department.path)
    ).scalars().all()
    domains = db.session.execute(
        select(current.c.domain).where(current.c.domain != "").distinct().order_by(current.c.domain)
    ).scalars().all()
    args = {k: v for k, v in filters.items() if v}
    return render_template(
        "public/items.html",
        page=page,
        rows=[(p, pub.payload_of(p)) for p in page.items],
        filters=filters,
        args=args,
        list_types=LIST_TYPES,
        departments=departments,
        domains=domains,
    )


@bp.route("/items/<int:subject_id>")
def item(subject_id: int):
    versions = pub.history(SUBJECT_TYPE, subject_id)
    if not versions:
        abort(404)
    latest = versions[-1]
    return render_template(
        "public/item.html",
        latest=latest,
        payload=pub.payload_of(latest),
        versions=[(p, pub.payload_of(p)) for p in reversed(versions)],
        withdrawn=latest.action == PublicationAction.WITHDRAW,
    )


def feed_rows(subject_type: str = SUBJECT_TYPE) -> tuple[list[Publication], int, int, bool]:
    after_id = max(request.args.get("after_id", 0, type=int) or 0, 0)
    limit = request.args.get("limit", FEED_LIMIT, type=int) or FEED_LIMIT
    limit = min(max(limit, 1), FEED_MAX)
    rows = list(
        db.session.execute(
            pub.feed(subject_type, after_id=after_id).options(joinedload(Publication.department)).limit(limit + 1)
        ).scalars()
    )
    return rows[:limit], after_id, limit, len(rows) > limit


@bp.route("/items.json")
def feed_json():
    rows, after_id, limit, more = feed_rows()
    records = [feed_record(p) for p in rows]
    next_after = rows[-1].id if rows else after_id
    body = {
        "source": "智慧监管平台",
        "subject_type": SUBJECT_TYPE,
        "after_id": after_id,
        "next_after_id": next_after,
        "has_more": more,
        "next": url_for("public.feed_json", after_id=next_after, limit=limit) if more else None,
        "count": len(records),
        "records": records,
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@bp.route("/items.csv")
def feed_csv():
    rows, _after_id, _limit, _more = feed_rows()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["记录编号", "事项编号", "版本", "操作", "清单类型", "部门", "事项名称", "公布时间", "公布内容"])
    for p in rows:
        record = feed_record(p)
        writer.writerow([
            _cell(record[c]) if c != "payload" else json.dumps(record["payload"], ensure_ascii=False)
            for c in CSV_COLUMNS
        ])
    resp = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename*=UTF-8''%E6%8A%BD%E6%9F%A5%E4%BA%8B%E9%A1%B9.csv"
    return resp


def _cell(value: Any) -> Any:
    """A cell that starts with = + - @ would be a formula in a spreadsheet: quote it."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


# ------------------------------------------------------------------ 抽查计划


@bp.route("/plans")
def plans():
    q = request.args.get("q", "").strip()[:100]
    year = request.args.get("year", "").strip()[:4]
    list_type = request.args.get("list_type", "")
    list_type = list_type if list_type in LIST_TYPES else ""
    query = pub.current(PLAN_SUBJECT)
    if q:
        query = query.where(Publication.title.like(like_pattern(q), escape="\\"))
    if year.isdigit():
        query = query.where(Publication.payload.like(like_pattern(f'"计划年度": "{year}"'), escape="\\"))
    else:
        year = ""
    if list_type:
        query = query.where(Publication.payload.like(like_pattern(f'"计划类别": "{list_type}"'), escape="\\"))
    query = query.options(joinedload(Publication.department)).order_by(Publication.published_at.desc(),
                                                                       Publication.id.desc())
    page = db.paginate(query, per_page=50, error_out=False)
    args = {k: v for k, v in {"q": q, "year": year, "list_type": list_type}.items() if v}
    return render_template(
        "public/plans.html", page=page, rows=[(p, pub.payload_of(p)) for p in page.items], q=q, year=year,
        list_type=list_type, list_types=LIST_TYPES, args=args,
    )


@bp.route("/plans/<int:subject_id>")
def plan(subject_id: int):
    versions = pub.history(PLAN_SUBJECT, subject_id)
    if not versions:
        abort(404)
    latest = versions[-1]
    return render_template(
        "public/plan.html",
        latest=latest,
        payload=pub.payload_of(latest),
        versions=[(p, pub.payload_of(p)) for p in reversed(versions)],
        withdrawn=latest.action == PublicationAction.WITHDRAW,
    )


@bp.route("/plans.json")
def plans_json():
    rows, after_id, limit, more = feed_rows(PLAN_SUBJECT)
    next_after = rows[-1].id if rows else after_id
    body = {
        "source": "智慧监管平台",
        "subject_type": PLAN_SUBJECT,
        "after_id": after_id,
        "next_after_id": next_after,
        "has_more": more,
        "next": url_for("public.plans_json", after_id=next_after, limit=limit) if more else None,
        "count": len(rows),
        "records": [feed_record(p) for p in rows],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


# ------------------------------------------------------------------ 抽查方案 (表22 公示方案)

SCHEME_SUBJECT = "scheme"  # services/schemes.PUBLIC_SUBJECT


def _scheme_payload(p: Publication) -> dict[str, Any]:
    return disclosure.public_scheme_payload(pub.payload_of(p))


@bp.route("/schemes")
def schemes():
    """The joint schemes 公示方案 published; a sensitive one shows only what it published."""
    q = request.args.get("q", "").strip()[:100]
    query = pub.current(SCHEME_SUBJECT)
    if q:
        query = query.where(Publication.title.like(like_pattern(q), escape="\\"))
    query = query.options(joinedload(Publication.department)).order_by(Publication.published_at.desc(),
                                                                       Publication.id.desc())
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template(
        "public/schemes.html", page=page, rows=[(p, _scheme_payload(p)) for p in page.items], q=q,
        args={"q": q} if q else {},
    )


@bp.route("/schemes/<int:subject_id>")
def scheme(subject_id: int):
    versions = pub.history(SCHEME_SUBJECT, subject_id)
    if not versions:
        abort(404)
    latest = versions[-1]
    return render_template(
        "public/scheme.html",
        latest=latest,
        payload=_scheme_payload(latest),
        versions=[(p, _scheme_payload(p)) for p in reversed(versions)],
        withdrawn=latest.action == PublicationAction.WITHDRAW,
    )
