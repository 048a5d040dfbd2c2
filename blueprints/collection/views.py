"""/collection: 信息归集 — online entry and correction per kind, 归集反馈, 归集成果, 归集监控
(seed 004 信息归集范围及规则 §3.2, §4.2, §5; docs/collection.md).

One set of pages serves every kind of FACT_KINDS (services/collection/kinds.py): the form is
drawn from the kind's fields and posts through the same ``ingest`` as the imports and the data
exchange.  A 监管部门经办人 sees and corrects only the submissions of their own department; another
department's fact (another district's above all) is answered 404.  Views load, authorize, call
services/collection and commit once.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.web import roles_required
from infrastructure.excel import XLSX_MIME
from infrastructure.masking import mask_id_number
from models import Person, db
from models.facts import FactSource
from models.roles import Role
from services.collection import feedback, monitor, queries
from services.collection.fields import FactKind, is_id_number
from services.collection.ingest import CREATED, ERROR, PENDING, SAME, UPDATED, correct, ingest
from services.collection.kinds import FACT_KINDS

bp = Blueprint("collection", __name__, url_prefix="/collection")

ENTRY_ROLES = (Role.CLERK,)
MONITOR_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.CONFERENCE_OFFICE)



def _kind_or_404(fact_kind: str) -> FactKind:
    kind = FACT_KINDS.get(fact_kind)
    if kind is None or not kind.visible_to(current_actor()):
        abort(404)
    return kind


def _fact_or_404(kind: FactKind, fact_id: int) -> Any:
    fact = queries.own_fact(kind, current_actor(), fact_id)
    if fact is None:
        abort(404)
    return fact


def _raw(kind: FactKind) -> dict[str, str]:
    return {f.key: request.form.get(f.key, "") for f in kind.all_fields}


# ------------------------------------------------------------------ entry


@bp.route("/")
@login_required
@roles_required(*ENTRY_ROLES)
def index():
    """归集信息填报: every kind with this department's live and waiting facts."""
    kinds = [k for k in FACT_KINDS.values() if k.visible_to(current_actor())]
    return render_template("collection/index.html", kinds=kinds, counts=queries.counts_by_kind(current_actor(), kinds))


@bp.route("/<fact_kind>/")
@login_required
@roles_required(*ENTRY_ROLES)
def facts(fact_kind: str):
    kind = _kind_or_404(fact_kind)
    q = request.args.get("q", "")[:100]
    page = db.paginate(queries.own_facts(kind, current_actor(), q), per_page=30, error_out=False)
    return render_template("collection/facts.html", kind=kind, page=page, q=q,
                           args={"fact_kind": kind.name, **({"q": q} if q else {})})


def _form(kind: FactKind, values: dict[str, Any], errors: dict[str, str], fact: Any = None, status: int = 200):
    return render_template("collection/form.html", kind=kind, values=values, errors=errors, fact=fact), status


@bp.route("/<fact_kind>/new", methods=["GET", "POST"])
@login_required
@roles_required(*ENTRY_ROLES)
def new(fact_kind: str):
    """在线填报: one fact, checked and filed like an imported one."""
    kind = _kind_or_404(fact_kind)
    if request.method == "GET":
        return _form(kind, {}, {})
    raw = _raw(kind)
    outcome = ingest(kind, [raw], source_kind=FactSource.ONLINE, department=current_actor().department, actor=current_actor()).outcomes[0]
    if outcome.status == ERROR:
        db.session.rollback()
        return _form(kind, raw, outcome.errors, status=422)
    db.session.commit()
    if outcome.status == PENDING:
        assert outcome.pending is not None
        flash(f"已报送，但未能归集到市场主体名下（{outcome.pending.reason}：{outcome.pending.detail}），"
              "已列入待处理信息，见归集反馈", "warning")
        return redirect(url_for("collection.feedback_page"))
    message = {CREATED: "已保存", UPDATED: "本部门已报送过该信息，已保存为新版本", SAME: "本部门已报送过相同的信息，未重复保存"}
    flash(message[outcome.status], "success" if outcome.status != SAME else "info")
    return redirect(url_for("collection.detail", fact_kind=kind.name, fact_id=outcome.fact.id))


@bp.route("/<fact_kind>/<int:fact_id>")
@login_required
@roles_required(*ENTRY_ROLES)
def detail(fact_kind: str, fact_id: int):
    kind = _kind_or_404(fact_kind)
    fact = _fact_or_404(kind, fact_id)
    return render_template("collection/detail.html", kind=kind, fact=fact, versions=queries.versions(kind, fact),
                           values=queries.form_values(kind, fact))


def _id_numbers(fact: Any) -> dict[str, str]:
    """The fact's personal ID numbers by form field: the form shows them masked."""
    found: dict[str, str] = {}
    person_id = getattr(fact, "person_id", None)
    person = db.session.get(Person, person_id) if person_id else None
    if person is not None:
        found["id_number"] = person.id_number
    if is_id_number(getattr(fact, "shareholder_id_no", None)):
        found["shareholder_id_no"] = fact.shareholder_id_no
    return found


def _unmask(fact: Any, raw: dict[str, str]) -> None:
    """A masked number left as shown means the same number."""
    for key, number in _id_numbers(fact).items():
        if raw.get(key) == mask_id_number(number):
            raw[key] = number


@bp.route("/<fact_kind>/<int:fact_id>/correct", methods=["GET", "POST"])
@login_required
@roles_required(*ENTRY_ROLES)
def correction(fact_kind: str, fact_id: int):
    """更正: a new version of the fact (the old one is kept)."""
    kind = _kind_or_404(fact_kind)
    fact = _fact_or_404(kind, fact_id)
    if not fact.current:
        abort(409, "该记录已被更正，请更正其最新版本")
    if request.method == "GET":
        values = queries.form_values(kind, fact)
        for key, number in _id_numbers(fact).items():
            if values.get(key) == number:
                values[key] = mask_id_number(number)
        return _form(kind, values, {}, fact)
    raw = _raw(kind)
    _unmask(fact, raw)
    outcome = correct(kind, fact, raw, actor=current_actor())
    if outcome.status == ERROR:
        db.session.rollback()
        return _form(kind, raw, outcome.errors, fact, status=422)
    db.session.commit()
    if outcome.status == SAME:
        flash("没有修改任何内容", "info")
    else:
        flash("已更正：保存为新版本，原版本保留备查", "success")
    return redirect(url_for("collection.detail", fact_kind=kind.name, fact_id=outcome.fact.id))


# ------------------------------------------------------------------ 归集反馈


@bp.route("/feedback")
@login_required
@roles_required(*ENTRY_ROLES)
def feedback_page():
    """问题数据反馈: this department's facts waiting in the pending pool."""
    kind, reason = request.args.get("kind", ""), request.args.get("reason", "")
    closed = request.args.get("closed") == "1"
    query = feedback.pending_query(current_actor(), kind=kind, reason=reason, include_closed=closed)
    page = db.paginate(query, per_page=30, error_out=False)
    args = {k: v for k, v in (("kind", kind), ("reason", reason), ("closed", "1" if closed else "")) if v}
    return render_template("collection/feedback.html", page=page, kinds=FACT_KINDS, reasons=feedback.REASONS,
                           filters={"kind": kind, "reason": reason, "closed": closed}, args=args,
                           describe=feedback.describe)


@bp.route("/feedback.xlsx")
@login_required
@roles_required(*ENTRY_ROLES)
def feedback_download():
    data = feedback.problem_workbook(current_actor())
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                     download_name="归集反馈（问题数据）.xlsx")


@bp.route("/feedback/<int:pending_id>/withdraw", methods=["POST"])
@login_required
@roles_required(*ENTRY_ROLES)
def withdraw(pending_id: int):
    pending = feedback.own_pending(current_actor(), pending_id)
    if pending is None:
        abort(404)
    feedback.withdraw(current_actor(), pending)
    db.session.commit()
    flash("已撤回该条信息", "success")
    return redirect(url_for("collection.feedback_page"))


# ------------------------------------------------------------------ 归集成果, 归集监控


@bp.route("/results")
@login_required
@roles_required(*ENTRY_ROLES)
def results():
    """归集成果反馈: e.g. 许可证编号 ↔ 统一社会信用代码."""
    kind = _kind_or_404(request.args.get("kind", "permit"))
    page = db.paginate(feedback.results_page_query(kind, current_actor()), per_page=50, error_out=False)
    return render_template("collection/results.html", kind=kind, kinds=FACT_KINDS, page=page,
                           columns=feedback.result_columns(kind), args={"kind": kind.name})


@bp.route("/results.xlsx")
@login_required
@roles_required(*ENTRY_ROLES)
def results_download():
    kind = _kind_or_404(request.args.get("kind", "permit"))
    stream = feedback.results_workbook(kind, current_actor())
    db.session.commit()
    return send_file(stream, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{kind.label}归集成果.xlsx")


@bp.route("/monitor")
@login_required
@roles_required(*MONITOR_ROLES)
def monitor_page():
    """归集监控: per providing department and kind of this area."""
    return render_template("collection/monitor.html", rows=monitor.monitor(current_actor()), reasons=feedback.REASONS)
