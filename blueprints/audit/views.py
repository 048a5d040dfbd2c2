"""/audit: the audit trail for the 审计员 only (三员分立: administrators have no access).

The list is filtered and paged on the server; its filter form swaps only the results block
through htmx.  The export streams the same filtered events into an Excel file and is itself
audited, as is a run of the hash-chain check.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.audit_key import AuditKeyError
from infrastructure.excel import XLSX_MIME, stream_workbook
from models import AuditEvent, db, utcnow
from models.roles import Role
from persistence import audit, audit_outbox
from services import audit_checkpoints
from services import audit_query as aq

bp = Blueprint("audit", __name__, url_prefix="/audit")

VERIFY_SHOWN = 200  # problems listed on the page (all are counted)
VERIFY_RECORDED = 50  # problem ids kept in the verify run's own audit row


def _helpers() -> dict[str, Any]:
    """Formatting helpers the audit templates use."""
    return {
        "action_label": audit.action_label,
        "object_type_label": aq.object_type_label,
        "summary_pairs": aq.summary_pairs,
        "export_limit": aq.EXPORT_LIMIT,
    }


def _seal() -> None:
    """The data interface's calls waiting in the audit outbox join the chain before it is read."""
    if audit_outbox.seal():
        db.session.commit()


@bp.route("/")
@login_required
@roles_required(Role.AUDITOR)
def index() -> Any:
    """The filtered, paged list; an htmx request gets the results block alone."""
    _seal()
    flt = aq.AuditFilter.from_args(request.args)
    page = None
    if not flt.errors:
        page = db.paginate(aq.search(current_user, flt), per_page=aq.PER_PAGE, error_out=False, count=True)
    context = {"flt": flt, "page": page, "args": flt.query_args(), **_helpers()}
    if wants_fragment():
        resp = Response(render_block("audit/index.html", "rows", **context).strip())
    else:
        resp = Response(
            render_template(
                "audit/index.html",
                departments=aq.scope_departments_for(current_user),
                actions=aq.action_choices(),
                object_types=aq.OBJECT_TYPE_LABELS,
                **context,
            )
        )
    resp.vary.add("HX-Request")
    if flt.errors and not wants_fragment():
        resp.status_code = 400  # htmx would not swap a 4xx answer in: its fragment says 200
    return resp


@bp.route("/<int:event_id>")
@login_required
@roles_required(Role.AUDITOR)
def detail(event_id: int) -> Any:
    """One event with its hashes; 404 outside the auditor's scope."""
    event = get_visible_or_404(AuditEvent, event_id, aq.scoped_events(current_actor()))
    previous = db.session.execute(
        select(AuditEvent.hash).where(AuditEvent.id < event.id).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    return render_template(
        "audit/detail.html",
        event=event,
        content_ok=_content_ok(event),
        link_ok=event.prev_hash == (previous or audit.GENESIS),
        **_helpers(),
    )


def _content_ok(event: AuditEvent) -> bool:
    """Whether the row still matches its hash; a row whose key is missing does not verify."""
    try:
        return audit.compute_hash(event) == event.hash
    except AuditKeyError:
        return False


@bp.route("/export.xlsx")
@login_required
@roles_required(Role.AUDITOR)
def export() -> Any:
    """The filtered events as an Excel file (at most EXPORT_LIMIT, newest first); audited."""
    flt = aq.AuditFilter.from_args(request.args)
    if flt.errors:  # the list page shows what is wrong with the filter
        return redirect(url_for("audit.index", **request.args))
    _seal()
    up_to = aq.last_id()  # a fixed snapshot: later events (this export's own row) stay out
    total = aq.count(current_user, flt, up_to_id=up_to)
    written = 0

    def counted() -> Any:
        nonlocal written
        for row in aq.export_rows(current_user, flt, up_to_id=up_to):
            written += 1
            yield row

    fh = stream_workbook("审计日志", aq.EXPORT_COLUMNS, counted())
    summary: dict[str, Any] = {"筛选条件": flt.describe(), "导出条数": written}
    if total > aq.EXPORT_LIMIT:
        summary["说明"] = f"符合条件 {total} 条，超过单次导出上限，仅导出最新的 {aq.EXPORT_LIMIT} 条"
    audit.record("export", object_type="audit_event", summary=summary)
    db.session.commit()
    stamp = aq.to_china(utcnow()).strftime("%Y%m%d_%H%M%S")
    resp = send_file(fh, mimetype=XLSX_MIME, as_attachment=True, download_name=f"审计日志_{stamp}.xlsx")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/verify", methods=["GET", "POST"])
@login_required
@roles_required(Role.AUDITOR)
def verify() -> Any:
    """Recompute the whole chain against the last signed checkpoint and every published
    result digest on request (POST); a clean run writes a checkpoint; the run is audited."""
    result = None
    if request.method == "POST":
        report = audit_checkpoints.verify_all()
        problems = report.problems
        summary: dict[str, Any] = {"已校验条数": report.checked, "异常数": len(problems)}
        if problems:
            ids = sorted({p.event_id for p in problems if p.event_id})
            summary["异常记录"] = ids[:VERIFY_RECORDED]
        if report.result_problems:
            summary["公示结果摘要不符"] = [f"{r.record_no} 第{r.version}版" for r in report.result_problems][:VERIFY_RECORDED]
        if report.written:
            summary["检查点"] = {"条数": report.written.count, "至": report.written.last_id}
        audit.record("verify", object_type="audit_event", summary=summary)
        db.session.commit()
        result = {"checked": report.checked, "problems": problems[:VERIFY_SHOWN], "total": len(problems),
                  "report": report}
    return render_template("audit/verify.html", result=result)


@bp.route("/checkpoints")
@login_required
@roles_required(Role.AUDITOR)
def checkpoints() -> Any:
    """The signed checkpoints kept outside the database, newest first, for printing."""
    rows = list(reversed(audit_checkpoints.read_all()))
    return render_template("audit/checkpoints.html", rows=rows, printed_at=utcnow())
