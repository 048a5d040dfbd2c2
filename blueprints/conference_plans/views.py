"""/conference-plans: 联席会议计划及任务 and 工作台账 (表32, template A.6).

The office builds a plan and its tasks, issues it, follows the matrix of units × tasks, sends
reminders and downloads the aggregated ledgers (Excel, A3 PDF); a member unit's liaison signs
for the plan (password) and keeps and reports its ledger per task, by form or A.6 import.
Views load (404 when absent or not visible), authorize (403), call services/conference_plans.py
and services/ledgers.py, and commit once; a refused form shows its page again with the message
and the status (400 input, 403 not the user's, 409 stale or already done).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME, workbook_bytes
from models import ConferencePlan, ConferenceTask, Ledger, db
from models.roles import Role
from services import conference_plans as svc
from services import ledger_export, ledgers

bp = Blueprint("conference_plans", __name__, url_prefix="/conference-plans")


VIEW_ROLES = (Role.CONFERENCE_OFFICE, Role.MEMBER_LIAISON)
PDF_MIME = "application/pdf"


def _plan_or_404(plan_id: int) -> ConferencePlan:
    return get_visible_or_404(ConferencePlan, plan_id, svc.can_view)


def _task_or_404(task_id: int) -> ConferenceTask:
    return get_visible_or_404(ConferenceTask, task_id, lambda actor, task: svc.can_view(actor, task.plan))


def _version(name: str = "lock_version") -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


def _fail(exc: ServiceError) -> None:
    """A refused form: keep a wrong signing password's count (PasswordRejected.persist), drop the rest."""
    if getattr(exc, "persist", False):
        db.session.commit()
    else:
        db.session.rollback()


# ------------------------------------------------------------------ list and new


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def index():
    me = current_actor()
    page = db.paginate(svc.list_query(me), per_page=svc.PER_PAGE, error_out=False)
    return render_template(
        "conference_plans/index.html", page=page, conferences=svc.office_conferences(me), svc=svc, me=me
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def new():
    me = current_actor()
    conferences = svc.office_conferences(me)
    if not conferences:
        flash("本联席会议办公室尚未设立联席会议（成员单位），请先在“联席会议”中设立", "warning")
        return redirect(url_for("conference_plans.index"))
    error, status, form = "", 200, request.form
    if request.method == "POST":
        conference = next((c for c in conferences if str(c.id) == form.get("conference_id", "")), None)
        if conference is None:
            error, status = "请选择联席会议", 400
        else:
            try:
                plan = svc.create_plan(me, conference, form)
            except ServiceError as exc:
                _fail(exc)
                error, status = exc.message, exc.status
            else:
                db.session.commit()
                flash("已建立联席会议计划，请建立任务后下发", "success")
                return redirect(url_for("conference_plans.show", id=plan.id))
    return render_template(
        "conference_plans/new.html", conferences=conferences, error=error, form=form, year=svc.today().year
    ), status


# ------------------------------------------------------------------ the plan's page


def _show(plan: ConferencePlan, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    unit = svc.unit_of(me, plan)
    office = svc.is_office(me, plan)
    context: dict[str, Any] = {
        "plan": plan,
        "me": me,
        "office": office,
        "unit": unit,
        "error": error,
        "form": form or {},
        "ledger_types": svc.LEDGER_TYPES,
        "members": svc.member_units(plan.conference) if office and not plan.issued else [],
        "unit_tasks": svc.unit_tasks(plan, unit.department_id) if unit else [],
        "ledger_required": svc.ledger_required(plan, unit.department_id) if unit else False,
        "ledgers": {
            lg.task_id: lg for lg in db.session.query(Ledger).filter(
                Ledger.department_id == me.department_id, Ledger.task_id.in_([t.id for t in plan.tasks])
            )
        } if unit else {},
        "can_sign": unit is not None and unit.signed_at is None and me.has_role(Role.MEMBER_LIAISON),
        "today": svc.today(),
    }
    return render_template("conference_plans/show.html", **context), status


@bp.route("/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def show(id: int):
    return _show(_plan_or_404(id))


def _act(plan_id: int, action: Any, done: Any, category: str = "success") -> Any:
    """One step on the plan's page: ``action(plan)``, commit, flash ``done`` (text, or a
    function of the plan); a refused form shows the page again with its message and status."""
    plan = _plan_or_404(plan_id)
    try:
        action(plan)
    except ServiceError as exc:
        _fail(exc)
        return _show(_plan_or_404(plan_id), error=exc.message, status=exc.status, form=request.form)
    db.session.commit()
    flash(done(plan) if callable(done) else done, category)
    return redirect(url_for("conference_plans.show", id=plan_id))


@bp.route("/<int:id>/tasks", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def add_task(id: int):
    return _act(id, lambda plan: svc.add_task(current_actor(), plan, request.form, request.form.getlist("units"),
                                              lock_version=_version()), "已建立任务")


@bp.route("/<int:id>/tasks/<int:task_id>/delete", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def delete_task(id: int, task_id: int):
    return _act(id, lambda plan: svc.delete_task(current_actor(), plan, task_id, lock_version=_version()), "已删除任务", "info")


@bp.route("/<int:id>/issue", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def issue(id: int):
    return _act(id, lambda plan: svc.issue(current_actor(), plan, lock_version=_version()),
                lambda plan: f"计划已下发至 {len(plan.units)} 个成员单位，待各单位签收")


@bp.route("/<int:id>/sign", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def sign(id: int):
    return _act(id, lambda plan: svc.sign(current_actor(), plan, request.form.get("password", ""), version=_version("version")),
                "已签收计划及任务")


@bp.route("/<int:id>/no-ledger", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def no_ledger(id: int):
    return _act(id, lambda plan: svc.declare_no_ledger(current_actor(), plan), "已判断为无台账，本单位的业务流程结束", "info")


# ------------------------------------------------------------------ the office: matrix, reminders, aggregation


def _office_plan_or_404(plan_id: int) -> ConferencePlan:
    return get_visible_or_404(ConferencePlan, plan_id, svc.can_view, allowed=svc.is_office)


@bp.route("/<int:id>/matrix")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def matrix(id: int, *, error: str = "", status: int = 200):
    plan = _office_plan_or_404(id)
    rows = svc.matrix(plan)
    return render_template(
        "conference_plans/matrix.html", plan=plan, rows=rows, counts=svc.counts(rows), error=error,
        remind=[r.unit.department_id for r in svc.units_to_remind(plan)],
    ), status


@bp.route("/<int:id>/remind", methods=["POST"])
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def remind(id: int):
    plan = _office_plan_or_404(id)
    wanted = request.form.getlist("units")
    try:
        count = svc.remind(current_actor(), plan, [int(u) for u in wanted if u.isdigit()] if wanted else None)
    except ServiceError as exc:
        _fail(exc)
        return matrix(id, error=exc.message, status=exc.status)
    db.session.commit()
    flash(f"已向 {count} 个成员单位发送提醒（站内消息，并按联络员登记的手机、邮箱发送短信和邮件）", "success")
    return redirect(url_for("conference_plans.matrix", id=id))


def _aggregate(plan: ConferencePlan) -> tuple[ledgers.Aggregate, str]:
    task_id = request.args.get("task", "")
    if task_id:
        task = next((t for t in plan.tasks if str(t.id) == task_id), None)
        if task is None:
            abort(404)
        subtitle = f"{plan.title} · {task.title}"
        return ledgers.aggregate([task], title=subtitle), subtitle
    return ledgers.aggregate(plan.tasks, title=plan.title), plan.title


@bp.route("/<int:id>/ledgers")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def aggregate(id: int):
    plan = _office_plan_or_404(id)
    agg, subtitle = _aggregate(plan)
    return render_template(
        "conference_plans/aggregate.html", plan=plan, agg=agg, subtitle=subtitle,
        columns=ledger_export.columns(agg), table=ledger_export.text_table(agg),
        fine=ledgers.amount(agg.totals.fine) or "0", task=request.args.get("task", ""),
    )


def _export(plan_id: int, ext: str) -> Any:
    """The aggregated ledgers as Excel or A3 PDF (an audited export)."""
    from persistence import audit

    plan = _office_plan_or_404(plan_id)
    agg, subtitle = _aggregate(plan)
    if ext == "xlsx":
        data, mimetype, label = ledger_export.xlsx(agg, subtitle), XLSX_MIME, "Excel"
    else:
        data, mimetype, label = ledger_export.pdf_bytes(agg, subtitle, preparer=current_actor().name), PDF_MIME, "PDF"
    audit.record("export", object_type=svc.SUBJECT, object_id=plan.id,
                 summary={"导出": f"工作台账汇总（{label}）", "行数": agg.row_count}, user=current_actor())
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"工作台账汇总_{plan.title.replace('/', '／')[:60]}.{ext}")


@bp.route("/<int:id>/ledgers.xlsx")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def aggregate_xlsx(id: int):
    return _export(id, "xlsx")


@bp.route("/<int:id>/ledgers.pdf")
@login_required
@roles_required(Role.CONFERENCE_OFFICE)
def aggregate_pdf(id: int):
    return _export(id, "pdf")


# ------------------------------------------------------------------ a unit's ledger of one task


@bp.route("/ledger-template.xlsx")
@login_required
@roles_required(*VIEW_ROLES)
def ledger_template():
    return send_file(io.BytesIO(workbook_bytes(ledgers.A6.workbook())), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=ledgers.A6.download_name)


def _ledger_page(task: ConferenceTask, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    office = svc.is_office(me, task.plan)
    department_id = me.department_id
    if office:
        wanted = request.args.get("unit", "")
        if not wanted.isdigit() or not ledgers.is_concerned(task, int(wanted)):
            abort(404)
        department_id = int(wanted)
    elif not ledgers.is_concerned(task, me.department_id):
        abort(403)
    ledger = ledgers.ledger_for(task, department_id)
    if office and (ledger is None or not ledger.reported):
        ledger = None  # the office sees reported ledgers only
    unit = next((u for u in task.plan.units if u.department_id == department_id), None)
    return render_template(
        "conference_plans/ledger.html", task=task, plan=task.plan, ledger=ledger, office=office, unit=unit,
        editable=not office and unit is not None and unit.signed_at is not None and unit.has_ledger is not False
        and (ledger is None or not ledger.reported),
        columns=ledgers.COLUMNS, flags=ledgers.FLAGS, row_values=ledgers.row_values, error=error,
        form=form or {}, today=svc.today(),
    ), status


@bp.route("/tasks/<int:task_id>/ledger")
@login_required
@roles_required(*VIEW_ROLES)
def ledger(task_id: int):
    return _ledger_page(_task_or_404(task_id))


def _edit(task_id: int, action: Any, done: str) -> Any:
    task = _task_or_404(task_id)
    try:
        action(task)
    except ServiceError as exc:
        _fail(exc)
        if exc.status in (403, 404):
            raise  # the error page with its message: there is no ledger page to show this user
        return _ledger_page(_task_or_404(task_id), error=exc.message, status=exc.status, form=request.form)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("conference_plans.ledger", task_id=task_id))


@bp.route("/tasks/<int:task_id>/ledger/rows", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def add_row(task_id: int):
    def act(task: ConferenceTask) -> None:
        ledger = ledgers.open_ledger(current_actor(), task)
        ledgers.add_row(current_actor(), ledger, request.form, version=_version())

    return _edit(task_id, act, "已添加一行")


@bp.route("/tasks/<int:task_id>/ledger/rows/<int:row_id>/delete", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def delete_row(task_id: int, row_id: int):
    def act(task: ConferenceTask) -> None:
        ledger = ledgers.open_ledger(current_actor(), task)
        ledgers.delete_row(current_actor(), ledger, row_id, version=_version())

    return _edit(task_id, act, "已删除该行")


@bp.route("/tasks/<int:task_id>/ledger/report", methods=["POST"])
@login_required
@roles_required(Role.MEMBER_LIAISON)
def report(task_id: int):
    def act(task: ConferenceTask) -> None:
        ledger = ledgers.open_ledger(current_actor(), task)
        svc.report_ledger(current_actor(), ledger, version=_version())

    return _edit(task_id, act, "已上报工作台账")


