"""/sandbox: 信用沙盒触发式监管 (表27, docs/sandbox.md).

The 监管部门 (clerks and leaders) keeps its 信用沙盒主体库 (/sandbox/) and 事项清单
(/sandbox/items), reads the clues the monitor formed (/sandbox/clues, one clue's history on its
page) and the pushes that failed (/sandbox/deliveries, where the partners' webhooks are set).
Another department's library, item or clue answers 404.  Views call services/sandbox and commit
once; a refused form shows its page again with the message (400, 403, 409).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import MarketEntity, SandboxClue, SandboxDelivery, SandboxEntity, SandboxItem, SandboxSms, db
from persistence import jobs
from persistence.scope import scope_entities
from services.sandbox import library, queries, sms, webhooks
from services.sandbox.conditions import CONDITIONS
from services.sandbox.jobs import enqueue_monitor

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
ROLES = library.MANAGER_ROLES
SEARCH_LIMIT = 50


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() else 1


def _library_page(error: str = "", status: int = 200, **extra: Any) -> Any:
    actor = current_actor()
    rows = db.session.execute(library.members(actor).options(joinedload(SandboxEntity.entity)).limit(500)).scalars().all()
    q = (request.args.get("q") or "").strip()[:100]
    found: list[MarketEntity] = []
    if q:
        found = list(db.session.execute(scope_entities(
            select(MarketEntity).where(or_(MarketEntity.name.contains(q), MarketEntity.uscc == q.upper(),
                                           MarketEntity.reg_no == q.upper())), actor)
            .order_by(MarketEntity.name).limit(SEARCH_LIMIT)).scalars())
    return render_template("sandbox/library.html", rows=rows, q=q, found=found, error=error,
                           active=sum(1 for r in rows if r.active), **extra), status


@bp.route("/", endpoint="library")
@login_required
@roles_required(*ROLES)
def library_page() -> Any:
    return _library_page()


def _act(action: Any, done: Any, target: str, page: Any) -> Any:
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        return page(error=exc.message, status=exc.status)
    db.session.commit()
    flash(done(result) if callable(done) else done, "success")
    return redirect(target)


@bp.route("/entities", methods=["POST"])
@login_required
@roles_required(*ROLES)
def add_entities() -> Any:
    actor = current_actor()
    ids = [int(i) for i in request.form.getlist("entity_ids") if i.isdigit()]
    return _act(lambda: library.add_entities(actor, ids), lambda r: r.text(), url_for("sandbox.library"),
                _library_page)


@bp.route("/entities/filter", methods=["POST"])
@login_required
@roles_required(*ROLES)
def add_filtered() -> Any:
    actor = current_actor()
    form = request.form
    return _act(lambda: library.add_filtered(actor, division=form.get("division", ""), industry=form.get("industry", ""),
                                             grade=form.get("grade", "")),
                lambda r: r.text(), url_for("sandbox.library"), _library_page)


@bp.route("/entities/import", methods=["POST"])
@login_required
@roles_required(*ROLES)
def import_list() -> Any:
    actor = current_actor()
    text = request.form.get("codes", "")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(2 * 1024 * 1024 + 1)
        if len(raw) > 2 * 1024 * 1024:
            return _library_page(error="清单文件不能超过2MB", status=400)
        try:
            text += "\n" + raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _library_page(error="请上传UTF-8编码的文本或CSV文件（每行一个代码）", status=400)
    return _act(lambda: library.add_list(actor, text), lambda r: r.text(), url_for("sandbox.library"), _library_page)


@bp.route("/entities/<int:id>/remove", methods=["POST"])
@login_required
@roles_required(*ROLES)
def remove_entity(id: int) -> Any:
    actor = current_actor()
    row = get_visible_or_404(SandboxEntity, id, library.can_view)
    return _act(lambda: library.remove_entity(actor, row, request.form.get("reason", "")),
                f"已将{row.entity.name}移出主体库", url_for("sandbox.library"), _library_page)


# ------------------------------------------------------------------ items


def _item_form(item: SandboxItem | None, error: str = "", status: int = 200, form: Any = None) -> Any:
    return render_template("sandbox/item.html", item=item, conditions=CONDITIONS, rules=library.known_rules(),
                           error=error, form=form), status


@bp.route("/items")
@login_required
@roles_required(*ROLES)
def items() -> Any:
    rows = db.session.execute(library.items(current_actor())).scalars().all()
    return render_template("sandbox/items.html", rows=rows, conditions=CONDITIONS)


def _save(item: SandboxItem | None) -> Any:
    actor = current_actor()
    raw = request.form.get("version", "")
    form = request.form.to_dict()
    form["rule_codes"] = request.form.getlist("rule_codes")
    form["enabled"] = "1" if "1" in request.form.getlist("enabled") else "0"
    try:
        saved = library.save_item(actor, item, form, version=int(raw) if raw.isdigit() else None)
    except ServiceError as exc:
        db.session.rollback()
        return _item_form(item, exc.message, exc.status, request.form)
    db.session.commit()
    flash(f"已保存信用沙盒事项“{saved.name}”", "success")
    return redirect(url_for("sandbox.items"))


@bp.route("/items/new", methods=["GET", "POST"])
@login_required
@roles_required(*ROLES)
def new_item() -> Any:
    return _save(None) if request.method == "POST" else _item_form(None)


@bp.route("/items/<int:id>", methods=["GET", "POST"])
@login_required
@roles_required(*ROLES)
def item(id: int) -> Any:
    found = get_visible_or_404(SandboxItem, id, library.can_view)
    return _save(found) if request.method == "POST" else _item_form(found)


# ------------------------------------------------------------------ clues


@bp.route("/clues")
@login_required
@roles_required(*ROLES)
def clues() -> Any:
    actor = current_actor()
    filters, problems = queries.read_filters(request.args)
    page = _page_number()
    rows, total = queries.clue_page(actor, filters, page)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("sandbox/clues.html", rows=rows, total=total, page=page, size=queries.PAGE_SIZE,
                           filters=filters, problems=problems, items=db.session.execute(library.items(actor)).scalars().all(),
                           counts=queries.counts(actor), args=args, job=_own_job(actor))


def _own_job(actor: Any) -> Any:
    job = jobs.latest_for("sandbox", 0)
    return jobs.panel(job) if job is not None and job.department_id == actor.department_id else None


@bp.route("/monitor", methods=["POST"])
@login_required
@roles_required(*ROLES)
def run_monitor() -> Any:
    enqueue_monitor(current_actor())
    db.session.commit()
    jobs.kick()
    flash("已开始监测，完成后线索列表将更新", "success")
    return redirect(url_for("sandbox.clues"))


@bp.route("/clues/<int:id>")
@login_required
@roles_required(*ROLES)
def clue(id: int) -> Any:
    found = get_visible_or_404(SandboxClue, id, library.can_view,
                               options=(joinedload(SandboxClue.entity), joinedload(SandboxClue.item)))
    messages = db.session.execute(select(SandboxSms).where(SandboxSms.clue_id == found.id).order_by(SandboxSms.id)).scalars().all()
    deliveries = db.session.execute(select(SandboxDelivery).where(SandboxDelivery.clue_id == found.id)
                                    .options(joinedload(SandboxDelivery.partner))
                                    .order_by(SandboxDelivery.id)).scalars().all()
    return render_template("sandbox/clue.html", clue=found, messages=messages, deliveries=deliveries,
                           condition=CONDITIONS[found.item.condition].describe(found.item.params or {}))


# ------------------------------------------------------------------ deliveries, partners, opt-out


def _deliveries_page(error: str = "", status: int = 200, secret: str = "", partner_name: str = "") -> Any:
    actor = current_actor()
    failed = db.session.execute(webhooks.failures(actor).limit(200)).scalars().all()
    return render_template("sandbox/deliveries.html", failed=failed, partners=queries.partner_accounts(actor),
                           error=error, secret=secret, partner_name=partner_name), status


@bp.route("/deliveries")
@login_required
@roles_required(*ROLES)
def deliveries() -> Any:
    return _deliveries_page()


@bp.route("/deliveries/<int:id>/retry", methods=["POST"])
@login_required
@roles_required(*ROLES)
def retry_delivery(id: int) -> Any:
    actor = current_actor()
    delivery = get_visible_or_404(SandboxDelivery, id, library.can_view)
    return _act(lambda: webhooks.retry(actor, delivery), "已重新加入推送队列", url_for("sandbox.deliveries"),
                _deliveries_page)


@bp.route("/partners", methods=["POST"])
@login_required
@roles_required(*ROLES)
def set_webhook() -> Any:
    actor = current_actor()
    raw = request.form.get("user_id", "")
    try:
        partner, secret = queries.set_webhook(actor, int(raw) if raw.isdigit() else 0, request.form.get("webhook_url", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _deliveries_page(exc.message, exc.status)
    name = partner.user.name
    db.session.commit()
    # The signing key is shown on this answer only.
    return _deliveries_page(secret=secret if partner.webhook_url else "", partner_name=name)


@bp.route("/opt-out", methods=["POST"])
@login_required
@roles_required(*ROLES)
def opt_out() -> Any:
    return _act(lambda: sms.opt_out(request.form.get("phone", ""), request.form.get("note", "")),
                "已登记退订，该号码不再接收信用沙盒短信", url_for("sandbox.deliveries"), _deliveries_page)
