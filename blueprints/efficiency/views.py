"""/efficiency: 效能管理 (seed 004 §7; docs/efficiency.md) for 部门领导, 效能监察 and 联席会议办公室.

业务办理总览 (by department or by process; 今日, 上周, 上月, 自定义周期; trend and distribution
charts), the work list behind every figure, 办理详情 (one instance's timeline), 超期业务统计,
业务工作量 and the Excel of each.  The 督办 and 效能规则 pages are in actions.py (same blueprint).
A leader sees the work of their department and below, the other two roles their whole area; an
instance or item outside that answers 404.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME, workbook_bytes
from models import ProcessInstance, db
from persistence import audit
from persistence.workdays import CalendarNotCovered
from services.efficiency import access, export, overdue, overview, work, workload
from services.efficiency.periods import custom_period
from services.efficiency.rules import process_choices
from workflows.registry import PROCESSES

bp = Blueprint("efficiency", __name__, url_prefix="/efficiency")

VIEW_ROLES = access.VIEW_ROLES


def refused(exc: ServiceError, back: str) -> tuple[str, int]:
    return render_template("efficiency/refused.html", message=exc.message, back=back), exc.status


def _choices() -> dict[str, Any]:
    me = current_actor()
    return {"departments": access.departments_of(me), "processes": process_choices()}


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def overview_page():
    me = current_actor()
    group = request.args.get("group", "department")
    try:
        custom = custom_period(request.args)
    except ServiceError as exc:
        return refused(exc, "/efficiency/")
    rep = overview.overview(me, group, custom)
    return render_template("efficiency/overview.html", rep=rep, groups=overview.GROUPS, custom=custom,
                           chart=json.dumps(overview.chart_data(rep), ensure_ascii=False))


@bp.route("/items")
@login_required
@roles_required(*VIEW_ROLES)
def items():
    me = current_actor()
    try:
        filters = work.parse_filters(request.args)
        found = work.listing(me, filters)
    except (ServiceError, CalendarNotCovered) as exc:
        return refused(exc, "/efficiency/items")
    return render_template("efficiency/items.html", found=found, filters=filters, states=work.STATES,
                           step_name=work.step_name, process_name=work.process_name, **_choices())


@bp.route("/instances/<int:instance_id>")
@login_required
@roles_required(*VIEW_ROLES)
def instance(instance_id: int):
    inst = get_visible_or_404(ProcessInstance, instance_id, access.can_view_instance)
    process = PROCESSES.get(inst.process_table)
    return render_template("efficiency/instance.html", inst=inst, process=process, events=work.timeline(inst),
                           items=work.instance_items(inst), urges=work.urges_of(inst), step_name=work.step_name,
                           has_open_urge=work.has_open_urge)


@bp.route("/overdue")
@login_required
@roles_required(*VIEW_ROLES)
def overdue_page():
    me = current_actor()
    try:
        cells = overdue.by_department_and_process(me)
    except CalendarNotCovered as exc:
        return refused(exc, "/efficiency/")
    return render_template("efficiency/overdue.html", cells=cells, total=sum(c.count for c in cells))


@bp.route("/workload")
@login_required
@roles_required(*VIEW_ROLES)
def workload_page():
    me = current_actor()
    try:
        period = custom_period(request.args)
    except ServiceError as exc:
        return refused(exc, "/efficiency/workload")
    rep = workload.workload(me, request.args.get("by", "department"), period)
    return render_template("efficiency/workload.html", rep=rep, dimensions=workload.DIMENSIONS,
                           columns=workload.COLUMNS, chart=json.dumps(workload.chart_data(rep), ensure_ascii=False))


@bp.route("/export.xlsx")
@login_required
@roles_required(*VIEW_ROLES)
def export_xlsx():
    me = current_actor()
    view = request.args.get("view", "overview")
    try:
        if view == "workload":
            period = custom_period(request.args)
            wb = export.workload_workbook(workload.workload(me, request.args.get("by", "department"), period))
            name = "业务工作量统计"
        elif view == "overdue":
            wb, name = export.overdue_workbook(overdue.by_department_and_process(me)), "超期业务统计"
        else:
            rep = overview.overview(me, request.args.get("group", "department"), custom_period(request.args))
            wb, name = export.overview_workbook(rep), "业务办理总览"
    except (ServiceError, CalendarNotCovered) as exc:
        return refused(exc, "/efficiency/")
    audit.record("export", object_type="efficiency", summary={"报表": name, **request.args.to_dict()}, user=me)
    db.session.commit()
    resp = Response(workbook_bytes(wb), mimetype=XLSX_MIME)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name + '.xlsx')}"
    return resp
