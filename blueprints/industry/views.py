"""/industry: 一业一评 (one industry's joint inspections of one plan year, page and PDF) and
一业一册 (the 合规经营指导手册 PDF for the entities), over the user's area
(services/industry; docs/industry.md).

The industry and the year are query parameters (``?industry=H&year=2025``): the pages read
aggregates of the area, never one department's object, so there is nothing to scope by id.
An industry or year with no joint inspection (or, for the handbook, no published item) answers
404 with the reason in Chinese, never an empty document.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.menu import may_open
from blueprints.web import roles_required
from infrastructure import clock
from infrastructure.errors import Invalid, NotFound
from models import db
from models.roles import Role
from persistence import audit
from services.entity_fields import INDUSTRY_SECTIONS
from services.industry import documents, evaluation, handbook

bp = Blueprint("industry", __name__, url_prefix="/industry")

# The 发起部门's clerks and leaders, and the joint-conference office (议事会商 通报行业监管整体情况).
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.CONFERENCE_OFFICE)


def _choices() -> dict[str, object]:
    return {"sections": INDUSTRY_SECTIONS, "this_year": clock.china_today().year}


def _pdf(data: bytes, name: str) -> Response:
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def index():
    me = current_actor()
    return render_template("industry/index.html", rows=evaluation.overview(me), area=evaluation.area_of(me),
                           chosen={}, **_choices())


@bp.route("/evaluation")
@login_required
@roles_required(*VIEW_ROLES)
def evaluation_page():
    me = current_actor()
    chosen = {"industry": request.args.get("industry", ""), "year": request.args.get("year", "")}
    try:
        key = evaluation.parse_key(chosen["industry"], chosen["year"])
        ev = evaluation.evaluate(me, key)
    except (Invalid, NotFound) as exc:
        db.session.rollback()
        return render_template("industry/index.html", rows=evaluation.overview(me), area=evaluation.area_of(me),
                               chosen=chosen, error=exc.message, **_choices()), exc.status
    # The task pages are the 监管部门's: the office reads the names without links.
    return render_template("industry/evaluation.html", ev=ev, task_links=may_open(me, "tasks.show"))


@bp.route("/evaluation.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def evaluation_pdf():
    me = current_actor()
    key = evaluation.parse_key(request.args.get("industry"), request.args.get("year"))
    ev = evaluation.evaluate(me, key)
    data = documents.evaluation_pdf(ev)
    audit.record("export", object_type="industry_evaluation", summary={"行业": key.label, "年度": key.year}, user=me)
    db.session.commit()
    return _pdf(data, documents.filename("一业一评", ev))


@bp.route("/handbook.pdf")
@login_required
@roles_required(*VIEW_ROLES)
def handbook_pdf():
    me = current_actor()
    key = evaluation.parse_key(request.args.get("industry"), request.args.get("year"))
    hb = handbook.compile_handbook(me, key)
    data = documents.handbook_pdf(hb)
    audit.record("export", object_type="industry_handbook", summary={"行业": key.label, "年度": key.year}, user=me)
    db.session.commit()
    return _pdf(data, documents.filename("合规经营指导手册", hb))
