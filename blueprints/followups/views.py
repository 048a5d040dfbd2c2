"""后续处理 of a published inspection result: /followups/records/<record_id> (更正 with the
department leader's approval, 问题线索移送, 立案查处, 停止公示申请) and /followups/clues (the clues
a department sent and received; 签收 with a 回执, 处理结果).

Views load (404 when absent or outside the user's scope), authorize (403), call
services/followups.py and commit once.  A refused action answers with its status (422 bad
input, 409 already decided or stale, 403) and the page with the message, nothing written.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from blueprints.common import current_actor, get_visible_or_404, holds
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import (
    ClueTransfer,
    CorrectionRequest,
    InspectionRecord,
    ResultCategory,
    StopPublicationRequest,
    db,
)
from models.roles import Role
from services import followup_clues, followup_rules
from services import followups as svc

bp = Blueprint("followups", __name__)

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)


def _record_or_404(record_id: int) -> InspectionRecord:
    return get_visible_or_404(InspectionRecord, record_id, followup_rules.can_view_record, allowed=holds(*VIEW_ROLES))


def _clue_or_404(clue_id: int) -> ClueTransfer:
    return get_visible_or_404(ClueTransfer, clue_id, followup_clues.can_view_clue, allowed=holds(*VIEW_ROLES))


def _public_url(record: InspectionRecord) -> str:
    return url_for("public.results.result", record_no=record.record_no)


def _context(record: InspectionRecord) -> dict[str, Any]:
    me = current_actor()
    pending = svc.pending_correction(record)
    pending_stop = svc.pending_stop(record)
    published = followup_rules.current_version(record) is not None and record.status.value == "published"
    stopped = svc.stopped(record)
    return {
        "record": record,
        "versions": followup_rules.versions(record),
        "current": followup_rules.current_version(record),
        "published": published,
        "stopped": stopped,
        "corrections": [(c, svc.proposed_changes(c)) for c in svc.corrections(record)],
        "pending": pending,
        "can_request": published and stopped is None and pending is None and svc.can_request_correction(me, record),
        "can_decide": pending is not None and svc.can_decide(me, pending),
        "results": list(ResultCategory),
        "clues": followup_clues.clues_of(record),
        "can_send": followup_clues.can_send_clue(me, record) and record.result is not None and record.result.is_problem,
        "targets": followup_clues.clue_targets(record) if followup_clues.can_send_clue(me, record) else [],
        "case": followup_clues.case_filing(record),
        "can_file": followup_rules.is_clerk_of(me, record.department) and record.result is not None
        and record.result.is_problem,
        "stops": svc.stop_requests(record),
        "pending_stop": pending_stop,
        "can_request_stop": published and stopped is None and pending_stop is None
        and followup_rules.is_clerk_of(me, record.department),
        "can_decide_stop": pending_stop is not None and svc.can_decide(me, pending_stop),
        "period_ends": svc.period_ends(record),
        "publicity_days": svc.publicity_days(),
        "public_url": _public_url(record),
        "today": followup_rules.today(),
        "is_problem": record.result is not None and record.result.is_problem,
    }


def _page(record: InspectionRecord, status: int = 200) -> Any:
    return render_template("followups/record.html", **_context(record)), status


def _act(page: Any, action: Any, success: str, target: str) -> Any:
    """Run a service action; commit and go back, or show the page with why not and its status."""
    try:
        action()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash("该事项已被他人处理，请刷新页面查看最新状态", "error")
        return page(409)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return page(exc.status)
    flash(success, "success")
    return redirect(target)


def _record_act(record: InspectionRecord, action: Any, success: str) -> Any:
    return _act(lambda status: _page(record, status), action, success,
                url_for("followups.record", record_id=record.id))


# ------------------------------------------------------------------ the record's follow-up page


@bp.route("/followups/records/<int:record_id>")
@login_required
def record(record_id: int):
    return _page(_record_or_404(record_id))


@bp.route("/followups/records/<int:record_id>/corrections", methods=["POST"])
@login_required
@roles_required(Role.CLERK, Role.INSPECTOR)
def request_correction(record_id: int):
    record = _record_or_404(record_id)
    values = {attr: request.form.get(attr, "") for attr, _label, _key in svc.CORRECTABLE if attr in request.form}

    def run() -> None:
        svc.request_correction(current_actor(), record, values=values, reason=request.form.get("reason", ""),
                               base_version=request.form.get("version", type=int))

    return _record_act(record, run, "已提交更正申请，待部门领导审批")


def _correction_or_404(record: InspectionRecord, correction_id: int) -> CorrectionRequest:
    return get_visible_or_404(CorrectionRequest, correction_id, lambda _actor, found: found.record_id == record.id)


@bp.route("/followups/records/<int:record_id>/corrections/<int:correction_id>/decide", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def decide_correction(record_id: int, correction_id: int):
    record = _record_or_404(record_id)
    correction = _correction_or_404(record, correction_id)
    approve = request.form.get("decision") == "approve"

    def run() -> None:
        svc.decide_correction(current_actor(), record, correction, approve=approve, comment=request.form.get("comment", ""))

    return _record_act(record, run, "已批准更正，新版本已公示" if approve else "已不批准该更正申请")


@bp.route("/followups/records/<int:record_id>/clues", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def send_clue(record_id: int):
    record = _record_or_404(record_id)

    def run() -> None:
        followup_clues.send_clue(current_actor(), record, to_department_id=request.form.get("to_department_id"),
                      content=request.form.get("content", ""))

    return _record_act(record, run, "问题线索已移送")


@bp.route("/followups/records/<int:record_id>/case", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def file_case(record_id: int):
    record = _record_or_404(record_id)

    def run() -> None:
        followup_clues.file_case(current_actor(), record, case_no=request.form.get("case_no", ""),
                      filed_on=request.form.get("filed_on", ""), note=request.form.get("note", ""))

    return _record_act(record, run, "已登记立案查处")


@bp.route("/followups/records/<int:record_id>/stop", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def request_stop(record_id: int):
    record = _record_or_404(record_id)

    def run() -> None:
        svc.request_stop(current_actor(), record, applicant=request.form.get("applicant", ""),
                         applied_on=request.form.get("applied_on", ""), reason=request.form.get("reason", ""))

    return _record_act(record, run, "已登记停止公示申请，待部门领导审核")


@bp.route("/followups/records/<int:record_id>/stop/<int:stop_id>/decide", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def decide_stop(record_id: int, stop_id: int):
    record = _record_or_404(record_id)
    found = get_visible_or_404(StopPublicationRequest, stop_id, lambda _actor, s: s.record_id == record.id)
    approve = request.form.get("decision") == "approve"

    def run() -> None:
        svc.decide_stop(current_actor(), record, found, approve=approve, comment=request.form.get("comment", ""))

    return _record_act(record, run, "已批准停止公示" if approve else "已不批准停止公示申请")


# ------------------------------------------------------------------ clues (线索移送)


@bp.route("/followups/clues")
@login_required
@roles_required(Role.CLERK, Role.DEPT_LEADER)
def clues():
    me = current_actor()
    return render_template(
        "followups/clues.html",
        incoming=followup_clues.incoming_clues(me, open_only=False) if me.has_role(Role.CLERK) else [],
        outgoing=followup_clues.outgoing_clues(me),
        record_of=followup_rules.record_of,
    )


def _clue_page(clue: ClueTransfer, status: int = 200) -> Any:
    me = current_actor()
    return render_template(
        "followups/clue.html",
        clue=clue,
        record=followup_rules.record_of(clue),
        is_receiver=followup_clues.is_receiver(me, clue),
        can_open_record=followup_rules.can_view_record(me, followup_rules.record_of(clue)),
    ), status


@bp.route("/followups/clues/<int:clue_id>")
@login_required
def clue(clue_id: int):
    return _clue_page(_clue_or_404(clue_id))


def _clue_act(clue: ClueTransfer, action: Any, success: str) -> Any:
    return _act(lambda status: _clue_page(clue, status), action, success,
                url_for("followups.clue", clue_id=clue.id))


@bp.route("/followups/clues/<int:clue_id>/receive", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def receive_clue(clue_id: int):
    found = _clue_or_404(clue_id)

    def run() -> None:
        followup_clues.receive_clue(current_actor(), found, receipt=request.form.get("receipt", ""),
                         lock_version=request.form.get("version", type=int))

    return _clue_act(found, run, "已签收线索")


@bp.route("/followups/clues/<int:clue_id>/outcome", methods=["POST"])
@login_required
@roles_required(Role.CLERK)
def clue_outcome(clue_id: int):
    found = _clue_or_404(clue_id)

    def run() -> None:
        followup_clues.record_outcome(current_actor(), found, outcome=request.form.get("outcome", ""),
                           lock_version=request.form.get("version", type=int))

    return _clue_act(found, run, "已录入处理结果")
