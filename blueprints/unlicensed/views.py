"""/unlicensed: 无证无照经营综合治理 (表24, docs/unlicensed.md).

The office (联席会议办公室) starts a year with the 年度工作要点通知 and does its steps on the
cycle's page; a member unit's liaison and its assigned inspectors do theirs on the unit's page
and the operator's page.  Views load (404 when absent or not visible: another unit's page is
indistinguishable from a missing one), call services/unlicensed and commit once; a refused
form shows its page again with the message, what was typed and the status (400 input, 403
not the user's, 409 stale or already done).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME
from models import UnlicensedCycle, UnlicensedOperator, UnlicensedUnit, db
from models.roles import Role
from models.unlicensed import OperatorStatus
from services import documents, ledgers
from services.plan_queries import today
from services.unlicensed import access, cycles, operators, reports

bp = Blueprint("unlicensed", __name__, url_prefix="/unlicensed")

VIEW_ROLES = (Role.CONFERENCE_OFFICE, Role.MEMBER_LIAISON, Role.INSPECTOR)
UNIT_ROLES = (Role.MEMBER_LIAISON, Role.INSPECTOR)


def _cycle(cycle_id: int) -> UnlicensedCycle:
    return get_visible_or_404(UnlicensedCycle, cycle_id, access.can_view_cycle)


def _office_cycle(cycle_id: int) -> UnlicensedCycle:
    return get_visible_or_404(UnlicensedCycle, cycle_id, access.is_office)


def _unit(unit_id: int) -> UnlicensedUnit:
    return get_visible_or_404(UnlicensedUnit, unit_id, access.can_view_unit)


def _operator(op_id: int) -> UnlicensedOperator:
    return get_visible_or_404(UnlicensedOperator, op_id, access.can_view_operator)


def _version(name: str = "lock_version") -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


def _uploads() -> list[documents.Upload]:
    return [documents.Upload(f.filename or "", f.read()) for f in request.files.getlist("attachments") if f.filename]


def _act(action: Callable[[], Any], done: str, target: str, page: Callable[..., Any]) -> Any:
    """Run a service verb: commit and go to ``target``, or roll back (keeping a wrong signing
    password's count) and show the page again with the message and the form as typed."""
    try:
        action()
    except ServiceError as exc:
        if getattr(exc, "persist", False):
            db.session.commit()
        else:
            db.session.rollback()
        return page(error=exc.message, status=exc.status, form=request.form)
    db.session.commit()
    flash(done, "success")
    return redirect(target)


# ------------------------------------------------------------------ the office


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def index():
    me = current_actor()
    rows = db.session.execute(access.list_query(me)).scalars().all()
    return render_template("unlicensed/index.html", cycles=rows, me=me, access=access,
                           can_start=bool(access.office_conferences(me)))


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def new():
    me = current_actor()
    conferences = access.office_conferences(me)

    def page(error: str = "", status: int = 200, form: Any = None) -> Any:
        return render_template("unlicensed/new.html", conferences=conferences, error=error, form=form or {},
                               year=today().year), status

    if not conferences:
        flash("本联席会议办公室尚未设立联席会议（成员单位），请先在“联席会议”中设立", "warning")
        return redirect(url_for("unlicensed.index"))
    if request.method == "GET":
        return page()
    conference = next((c for c in conferences if str(c.id) == request.form.get("conference_id", "")), None)
    if conference is None:
        return page("请选择联席会议", 400, request.form)
    try:
        made = cycles.start_cycle(me, conference, request.form, _uploads())
    except ServiceError as exc:
        db.session.rollback()
        return page(exc.message, exc.status, request.form)
    db.session.commit()
    flash("已下发报送年度工作要点通知", "success")
    return redirect(url_for("unlicensed.cycle", id=made.id))


def _cycle_page(cycle: UnlicensedCycle, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    return render_template(
        "unlicensed/cycle.html", cycle=cycle, me=me, error=error, form=form or {}, access=access,
        office=access.is_office(me, cycle), agg=reports.aggregate(cycle), counts=reports.by_status(cycle),
        flags=ledgers.FLAGS, amount=ledgers.amount,
        plans_missing=cycles.missing(cycle, "plan_reported_at"), reports_missing=cycles.missing(cycle, "reported_at"),
    ), status


@bp.route("/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def cycle(id: int):
    c = _cycle(id)
    me = current_actor()
    if not access.is_office(me, c):
        unit = access.unit_of(me, c)
        return redirect(url_for("unlicensed.unit", id=unit.id)) if unit else abort(404)
    return _cycle_page(c)


@bp.route("/units/<int:id>/office")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def office_page(id: int):
    """我的待办 of an office step of a unit's instance: the cycle's page."""
    unit = get_visible_or_404(UnlicensedUnit, id, lambda me, u: access.is_office(me, u.cycle))
    return redirect(url_for("unlicensed.cycle", id=unit.cycle_id))


def _office_post(id: int, verb: Callable[..., Any], done: str, *, uploads: bool = False) -> Any:
    c = _office_cycle(id)
    me = current_actor()
    extra = (_uploads(),) if uploads else ()
    return _act(lambda: verb(me, c, _version(), request.form, *extra), done, url_for("unlicensed.cycle", id=c.id),
                lambda **kw: _cycle_page(c, **kw))


@bp.route("/<int:id>/collect", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def collect(id: int):
    return _office_post(id, cycles.collect_plans, "已汇总年度工作计划")


@bp.route("/<int:id>/scheme", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def scheme(id: int):
    return _office_post(id, cycles.issue_scheme, "已下发年度综合治理工作方案", uploads=True)


@bp.route("/<int:id>/summary", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def summarize(id: int):
    return _office_post(id, reports.summarize, "已汇总查处结果")


@bp.route("/<int:id>/bulletin", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def bulletin(id: int):
    return _office_post(id, reports.issue_bulletin, "已下发情况通报", uploads=True)


@bp.route("/<int:id>/summary.xlsx")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def summary_xlsx(id: int):
    c = _office_cycle(id)
    return send_file(io.BytesIO(reports.xlsx(c)), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"{c.year}年度无证无照经营查处结果汇总.xlsx")


@bp.route("/<int:id>/summary.pdf")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def summary_pdf(id: int):
    c = _office_cycle(id)
    try:
        data = reports.summary_pdf(c, request.args.get("paper", "A4"))
    except ServiceError as exc:
        abort(exc.status, exc.message)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{c.year}年度无证无照经营查处结果汇总.pdf")


# ------------------------------------------------------------------ a member unit


def _unit_page(unit: UnlicensedUnit, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    bulletin = unit.cycle.bulletin
    return render_template(
        "unlicensed/unit.html", unit=unit, cycle=unit.cycle, me=me, error=error, form=form or {}, access=access,
        liaison=access.is_liaison(me, unit), inspector=access.is_assigned(me, unit),
        office=access.is_office(me, unit.cycle), step=access.current_step(unit),
        open=lambda key: access.step_open(me, unit, key),
        candidates=cycles.candidates(unit) if access.is_liaison(me, unit) else [], assign_modes=cycles.MODES,
        inspector_draws=cycles.unit_draws(unit) if access.is_liaison(me, unit) else [],
        unfinished=reports.unfinished(unit), today=today(),
        bulletin_signed=bool(bulletin and access.unit_signed(bulletin, unit)),
    ), status


@bp.route("/units/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def unit(id: int):
    return _unit_page(_unit(id))


def _unit_post(id: int, verb: Callable[..., Any], done: str) -> Any:
    u = _unit(id)
    me = current_actor()
    return _act(lambda: verb(me, u), done, url_for("unlicensed.unit", id=u.id), lambda **kw: _unit_page(u, **kw))


@bp.route("/units/<int:id>/plan", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def plan(id: int):
    return _unit_post(id, lambda me, u: cycles.report_plan(me, u, _version(), request.form), "已上报年度工作计划")


@bp.route("/units/<int:id>/campaign", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def campaign(id: int):
    return _unit_post(id, lambda me, u: cycles.make_campaign(me, u, _version(), request.form), "已制定专项整治方案")


@bp.route("/units/<int:id>/assign", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def assign(id: int):
    return _unit_post(id, lambda me, u: cycles.assign_inspectors(
        me, u, _version(), request.form.getlist("inspectors"), mode=request.form.get("mode") or "manual",
        count=request.form.get("draw_count")), "已指派执法人员")


@bp.route("/units/<int:id>/operators", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def add_operator(id: int):
    return _unit_post(id, lambda me, u: operators.record_operator(me, u, request.form), "已录入无证无照经营者")


@bp.route("/units/<int:id>/inspectors-report", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def inspectors_report(id: int):
    return _unit_post(id, lambda me, u: reports.inspectors_report(me, u, _version(), request.form), "已上报查处结果")


@bp.route("/units/<int:id>/report", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def report(id: int):
    return _unit_post(id, lambda me, u: reports.unit_report(me, u, _version()), "已向联席会议办公室上报查处结果")


@bp.route("/units/<int:id>/receive", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def receive(id: int):
    return _unit_post(id, lambda me, u: reports.receive_bulletin(me, u, request.form.get("password", ""),
                                                                 _version("version")), "已接收通报")


# ------------------------------------------------------------------ an operator


def _operator_page(op: UnlicensedOperator, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    return render_template(
        "unlicensed/operator.html", op=op, unit=op.unit, me=me, error=error, form=form or {}, S=OperatorStatus,
        inspector=access.is_assigned(me, op.unit) and op.unit.inspectors_reported_at is None,
        tracker=access.is_assigned(me, op.unit), outcomes=operators.OUTCOMES, kinds=operators.LICENCE_KINDS,
        amount=ledgers.amount, today=today(),
    ), status


@bp.route("/operators/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def operator(id: int):
    return _operator_page(_operator(id))


def _op_post(id: int, verb: Callable[..., Any], done: str) -> Any:
    op = _operator(id)
    me = current_actor()
    return _act(lambda: verb(me, op), done, url_for("unlicensed.operator", id=op.id),
                lambda **kw: _operator_page(op, **kw))


@bp.route("/operators/<int:id>/eligible", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def eligible(id: int):
    return _op_post(id, lambda me, op: operators.judge_eligible(me, op, _version(), request.form.get("eligible", "")),
                    "已判断是否符合办理证照条件")


@bp.route("/operators/<int:id>/case", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def case(id: int):
    return _op_post(id, lambda me, op: operators.file_case(me, op, _version(), request.form), "已立案查处")


@bp.route("/operators/<int:id>/willing", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def willing(id: int):
    return _op_post(id, lambda me, op: operators.judge_willing(me, op, _version(), request.form.get("willing", ""),
                                                               request.form.get("outcome", "")),
                    "已判断是否有经营意愿")


@bp.route("/operators/<int:id>/guide", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def guide(id: int):
    return _op_post(id, lambda me, op: operators.guide(me, op, _version(), request.form), "已引导办证/办照")


@bp.route("/operators/<int:id>/licence", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def licence(id: int):
    return _op_post(id, lambda me, op: operators.record_licence(me, op, _version(), request.form), "已登记办理证照结果")


@bp.route("/operators/<int:id>/columns", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def columns(id: int):
    return _op_post(id, lambda me, op: operators.update_columns(me, op, _version(), request.form), "已保存")
