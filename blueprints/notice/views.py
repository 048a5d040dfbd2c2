"""/notice: 双告知 (seed 004 §1.1, docs/notice.md).

告知查询 and a notice's page (opening it is the 接收回执; 已发证 / 不予发证 there), the scopes that
matched nothing (for review), 发证验证 (single here, a list through /imports/notice_verify/) and
the 未通过验证清单 with its Excel export — for 监管部门经办人 and 部门领导; the 先照后证 catalogue and
the 审批部门对照 for the 系统管理员.  Views load (404 outside the user's scope), call
services/notice and commit once; a refused form shows its page again with the message (400,
403, 404 or 409).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.clock import china_now
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME, stream_workbook
from models import ScopeNotice, db
from models.notice import NoticeStatus
from models.roles import Role
from persistence import audit
from services.notice import catalogue, feedback, mapping, queries, verify

bp = Blueprint("notice", __name__, url_prefix="/notice")

USER_ROLES = (Role.CLERK, Role.DEPT_LEADER)
FILTER_KEYS = ("q", "status", "item", "received", "from", "to")


def _filters() -> dict[str, str]:
    return {k: request.args.get(k, "").strip() for k in FILTER_KEYS}


@bp.route("/")
@roles_required(*USER_ROLES)
def index() -> Any:
    """告知查询."""
    filters = _filters()
    return render_template("notice/index.html", notices=queries.notices(current_actor(), filters), filters=filters,
                           items=queries.items(), statuses=list(NoticeStatus), limit=queries.LIMIT)


def _notice(notice_id: int) -> ScopeNotice:
    return get_visible_or_404(ScopeNotice, notice_id, feedback.visible)


def _detail(notice: ScopeNotice, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    return render_template(
        "notice/detail.html", notice=notice, error=error, form=form or {},
        may_feedback=me.has_role(Role.CLERK) and feedback.is_receiver(me, notice)
        and notice.status == NoticeStatus.PENDING,
    ), status


@bp.route("/<int:notice_id>")
@roles_required(*USER_ROLES)
def detail(notice_id: int) -> Any:
    notice = _notice(notice_id)
    if feedback.open_notice(current_actor(), notice):
        db.session.commit()  # 接收回执
    return _detail(notice)


@bp.route("/<int:notice_id>/issued", methods=["POST"])
@roles_required(Role.CLERK)
def issued(notice_id: int) -> Any:
    notice = _notice(notice_id)
    try:
        feedback.mark_issued(current_actor(), notice, request.form.get("permit_no", ""),
                             request.form.get("issued_on", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _detail(_notice(notice_id), exc.message, exc.status, request.form)
    db.session.commit()
    flash("已反馈：已发证", "success")
    return redirect(url_for("notice.detail", notice_id=notice_id))


@bp.route("/<int:notice_id>/refuse", methods=["POST"])
@roles_required(Role.CLERK)
def refuse(notice_id: int) -> Any:
    notice = _notice(notice_id)
    try:
        feedback.refuse(current_actor(), notice, request.form.get("reason", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _detail(_notice(notice_id), exc.message, exc.status, request.form)
    db.session.commit()
    flash("已反馈：不予发证，已通知登记部门", "success")
    return redirect(url_for("notice.detail", notice_id=notice_id))


@bp.route("/unmatched")
@roles_required(*USER_ROLES)
def unmatched() -> Any:
    """经营范围未匹配先照后证事项的市场主体 (listed for review; no notice was sent)."""
    q = request.args.get("q", "").strip()
    return render_template("notice/unmatched.html", checks=queries.unmatched(current_actor(), q), q=q,
                           limit=queries.LIMIT)


@bp.route("/verify", methods=["GET", "POST"])
@roles_required(*USER_ROLES)
def verify_page() -> Any:
    """发证验证: one entity by name or code; a list through the import framework."""
    me = current_actor()
    result, error, status = None, "", 200
    if request.method == "POST":
        try:
            result = verify.verify_one(me, request.form.get("key", ""))
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
    batch = request.args.get("batch", "")
    batch_rows = verify.batch_results(me, int(batch)) if batch.isdigit() else []
    return render_template("notice/verify.html", result=result, error=error, key=request.form.get("key", ""),
                           batch_rows=batch_rows, batch=batch, failed=verify.FAILED), status


@bp.route("/failed")
@roles_required(*USER_ROLES)
def failed() -> Any:
    """未通过验证清单: the notices 未发证 or 不予发证."""
    filters = _filters()
    return render_template("notice/failed.html", notices=queries.notices(current_actor(), filters, failed=True),
                           filters=filters, items=queries.items(), limit=queries.LIMIT)


@bp.route("/failed.xlsx")
@roles_required(*USER_ROLES)
def failed_export() -> Any:
    me = current_actor()
    filters = _filters()
    fh = stream_workbook("未通过验证清单", queries.EXPORT_COLUMNS, queries.export_rows(me, filters))
    audit.record("export", object_type="scope_notice", user=me,
                 summary={"导出": "未通过验证清单", **{k: v for k, v in filters.items() if v}})
    db.session.commit()
    stamp = china_now().strftime("%Y%m%d%H%M")
    return send_file(fh, mimetype=XLSX_MIME, as_attachment=True, download_name=f"未通过验证清单_{stamp}.xlsx")


# ------------------------------------------------------------------ the 系统管理员


@bp.route("/catalogue")
@roles_required(Role.SYSTEM_ADMIN)
def catalogue_index() -> Any:
    """先照后证事项目录, by 门类."""
    section = request.args.get("section", "")
    q = request.args.get("q", "").strip()
    rows = catalogue.items(int(section) if section.isdigit() else None, q)
    return render_template("notice/catalogue.html", rows=rows, section=section, q=q,
                           sections=[(i, catalogue.section_label(i)) for i in range(1, len(catalogue.SECTIONS) + 1)],
                           may_edit=catalogue.can_edit(current_actor()))


def _item_form(item: Any, error: str = "", status: int = 200, form: Any = None) -> Any:
    if form is None and item is not None:
        form = {"seq": item.seq, "section_no": item.section_no, "name": item.name,
                "departments": "、".join(a.name for a in item.authorities), "phrases": item.phrases,
                "active": "1" if item.active else ""}
    return render_template("notice/item_form.html", item=item, form=form or {"active": "1"}, error=error,
                           sections=[(i, catalogue.section_label(i)) for i in range(1, len(catalogue.SECTIONS) + 1)]
                           ), status


@bp.route("/catalogue/new", methods=["GET", "POST"])
@roles_required(Role.SYSTEM_ADMIN)
def catalogue_new() -> Any:
    return _save_item(None)


@bp.route("/catalogue/<int:licence_item_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SYSTEM_ADMIN)
def catalogue_edit(licence_item_id: int) -> Any:
    try:
        item = catalogue.get_item(licence_item_id)
    except ServiceError:
        abort(404)
    return _save_item(item)


def _save_item(item: Any) -> Any:
    if not catalogue.can_edit(current_actor()):
        abort(403)
    if request.method == "GET":
        return _item_form(item)
    form = request.form.to_dict()
    form.setdefault("active", "")
    try:
        saved = catalogue.save_item(current_actor(), form, item)
    except ServiceError as exc:
        db.session.rollback()
        return _item_form(catalogue.get_item(item.id) if item else None, exc.message, exc.status, request.form)
    db.session.commit()
    flash(f"已保存先照后证事项 {saved.seq}", "success")
    return redirect(url_for("notice.catalogue_index", section=saved.section_no))


@bp.route("/authorities")
@roles_required(Role.SYSTEM_ADMIN)
def authorities() -> Any:
    """审批部门对照: the catalogue's names and their org units in the admin's area; unmapped first."""
    me = current_actor()
    return render_template("notice/authorities.html", rows=mapping.mapping_rows(me),
                           choices=mapping.department_choices(me), error="")


@bp.route("/authorities/<int:authority_id>", methods=["POST"])
@roles_required(Role.SYSTEM_ADMIN)
def map_authority(authority_id: int) -> Any:
    me = current_actor()
    raw = request.form.get("department_id", "")
    try:
        authority = mapping.find_authority(authority_id)
        routed = mapping.set_mapping(me, authority, int(raw) if raw.isdigit() else None)
    except ServiceError as exc:
        db.session.rollback()
        return render_template("notice/authorities.html", rows=mapping.mapping_rows(me),
                               choices=mapping.department_choices(me), error=exc.message), exc.status
    db.session.commit()
    flash(f"已对应审批部门“{authority.name}”" + (f"，转交抄告 {routed} 条" if routed else ""), "success")
    return redirect(url_for("notice.authorities"))
