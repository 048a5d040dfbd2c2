"""/statistics: 抽查统计 (drawn, inspected, published, overdue; results by category; charts and
an Excel export) and /statistics/overdue (检查结果逾期未公示 and 即将到期, per 填报部门), for
clerks and leaders over their department subtree (services/statistics.py, services/deadlines.py).

A year missing from the holiday table does not fail the pages: the overdue figures show the
reason instead (persistence/workdays.CalendarNotCovered)."""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.web import roles_required, wants_fragment
from infrastructure.errors import Invalid
from infrastructure.excel import XLSX_MIME, Column, build_workbook, workbook_bytes
from models import Department, db
from models.roles import Role
from persistence import audit
from services import deadlines
from services import statistics as svc

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
ROW_LIMIT = 2000  # task × department rows on the overdue page


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def index():
    me = current_actor()
    filters = svc.parse_filters(request.args)
    rep = svc.report(me, filters)
    departments, plans = svc.filter_choices(me, filters)
    context = dict(rep=rep, filters=filters, groups=svc.GROUPS, columns=svc.COLUMNS, departments=departments,
                   plans=plans, chart=json.dumps(svc.chart_data(rep), ensure_ascii=False))
    if wants_fragment():
        from blueprints.web import render_block

        return render_block("statistics/index.html", "results", **context)
    return render_template("statistics/index.html", **context)


@bp.route("/export.xlsx")
@login_required
@roles_required(*VIEW_ROLES)
def export():
    me = current_actor()
    filters = svc.parse_filters(request.args)
    rep = svc.report(me, filters)
    title = svc.GROUPS[filters.group]
    columns = [Column(title, 36)] + [Column(c, 12) for c in svc.COLUMNS]
    wb = build_workbook("抽查统计", columns, svc.export_rows(rep), template_rows=0, required_mark="")
    if rep.categories:
        ws = wb.create_sheet("检查结果分类")
        ws.append(["检查结果", "数量"])
        for name, n in rep.categories:
            ws.append([name, n])
    if rep.calendar_error:
        wb.active.append([])
        wb.active.append([f"逾期未公示：{rep.calendar_error}"])
    audit.record("export", object_type="statistics", summary={"统计口径": title, **filters.args()}, user=me)
    db.session.commit()
    name = f"抽查统计（按{title}）.xlsx"
    resp = Response(workbook_bytes(wb), mimetype=XLSX_MIME)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/overdue")
@login_required
@roles_required(*VIEW_ROLES)
def overdue():
    me = current_actor()
    department = None
    raw = (request.args.get("department") or "").strip()
    if raw:
        if not raw.isdigit():
            raise Invalid("部门不正确")
        department = db.session.get(Department, int(raw))  # narrows the scoped rows
        if department is None:
            raise Invalid("所选部门不存在")
    show = request.args.get("show") or "overdue"
    if show not in ("overdue", "soon"):
        raise Invalid("筛选条件不正确")
    rows: list[deadlines.DueRow] = []
    error = ""
    try:
        b = deadlines.bounds()
        rows = deadlines.due_rows(b, user=me, department=department, overdue_only=show == "overdue", limit=ROW_LIMIT)
    except deadlines.CalendarNotCovered as exc:
        error = exc.message
    departments, _ = svc.filter_choices(me, svc.Filters())
    return render_template("statistics/overdue.html", rows=rows, error=error, department=department,
                           departments=departments, show=show, on=deadlines.today(), limit=ROW_LIMIT)
