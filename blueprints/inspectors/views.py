"""/inspectors: 执法检查人员名录库 — the list with its filters, an entry's page, 表17 新增 (the
form: 非模板导入; the A.5 upload: 按模板导入), 判断是否分配角色, 表18 修改/删除, and the
auxiliary pool (专家、检验检测机构、科研院所).

Views load (404 when absent, deleted or outside the user's subtree), authorize (403), call a
service and commit once; the rules are in services/inspectors.py and inspector_import.py.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from blueprints.inspectors.forms import AuxiliaryForm, DeleteForm, ImportForm, InspectorForm
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.errors import Conflict, Invalid
from infrastructure.excel import XLSX_MIME, ExcelError
from models import ImportBatch, ImportStatus, Inspector, User, db
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus
from persistence.audit import action_label
from persistence.scope import get_in_scope_or_404
from services import inspector_enrolment, inspector_import, inspector_search
from services import inspectors as svc
from services.templates_catalogue import INSPECTOR_CATEGORIES, TEMPLATES
from services.user_import import is_expired
from workflows.bindings import bind
from workflows.registry import PROCESSES

bp = Blueprint("inspectors", __name__, url_prefix="/inspectors")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES

bind(
    17,
    svc.SUBJECT_TYPE,
    "执法检查人员",
    "inspectors.subject",
    start_endpoint="inspectors.create",
    business_steps=("choose_mode", "download_template", "upload", "complete", "decide_role", "assign_role"),
)
bind(
    18,
    svc.SUBJECT_TYPE,
    "执法检查人员",
    "inspectors.subject",
    start_endpoint="inspectors.index",
    business_steps=("select", "choose", "confirm_delete", "delete", "edit"),
)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _entry_or_404(inspector_id: int) -> Inspector:
    inspector = get_in_scope_or_404(Inspector, inspector_id, _me())
    if not inspector.active:
        abort(404)
    return inspector


# ------------------------------------------------------------------ list


def _list_context() -> dict[str, Any]:
    me = _me()
    filters = inspector_search.parse_filters(me, request.args)
    page = inspector_search.search(me, filters, request.args.get("page", 1, type=int) or 1)
    return {
        "page": page,
        "filters": filters,
        "args": filters.as_args(),
        "departments": svc.departments_for(me),
        "duties": list(DutyStatus),
        "categories": INSPECTOR_CATEGORIES,
        "cert_states": inspector_search.CERT_STATES,
        "specialities": inspector_search.speciality_choices(me),
        "cert_state": inspector_search.cert_state,
        "can_edit": svc.can_edit(me),
    }


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    context = _list_context()
    if wants_fragment():
        return render_block("inspectors/index.html", "results", **context)
    return render_template("inspectors/index.html", **context)


@bp.route("/subject")
@login_required
@roles_required(*VIEWERS)
def subject():
    """A process instance's link to its subject (workflows.bindings calls it with ``id=``)."""
    ident = request.args.get("id", type=int)
    if ident is None:
        abort(404)
    inspector = get_in_scope_or_404(Inspector, ident, _me())
    if not inspector.active:
        flash("该执法检查人员已从名录库删除", "info")
        return redirect(url_for("inspectors.index"))
    return redirect(url_for("inspectors.detail", inspector_id=inspector.id))


# ------------------------------------------------------------------ one entry


def _summary_items(summary: str) -> list[tuple[str, str]]:
    """An audit summary as (key, text) pairs; a change [old, new] reads "old → new"."""
    try:
        data = json.loads(summary)
    except ValueError:
        return [("", summary)] if summary else []
    if not isinstance(data, dict):
        return [("", str(data))]
    items = []
    for key, value in data.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = (v if v not in (None, "") else "（空）" for v in value)
            items.append((key, f"{old} → {new}"))
        else:
            items.append((key, str(value)))
    return items


@bp.route("/<int:inspector_id>")
@login_required
@roles_required(*VIEWERS)
def detail(inspector_id: int):
    me = _me()
    inspector = _entry_or_404(inspector_id)
    events = [(e, action_label(e.action), _summary_items(e.summary)) for e in svc.history(inspector)]
    return render_template(
        "inspectors/detail.html",
        inspector=inspector,
        cert=inspector_search.cert_state(inspector),
        cert_states=inspector_search.CERT_STATES,
        instances=svc.instances_of(me, inspector),
        processes=PROCESSES,
        events=events,
        role_step=inspector_enrolment.role_step(me, inspector) if svc.can_edit(me) else None,
        can_edit=svc.can_edit(me),
    )


def _form(inspector: Inspector | None = None) -> InspectorForm:
    form = InspectorForm()
    form.set_departments(svc.departments_for(_me()))
    if request.method == "GET" and inspector is not None:
        form.fill(inspector)
    return form


def _check(form: InspectorForm, inspector: Inspector | None = None) -> bool:
    """Field rules shown under their fields before the service runs (an entry imported from
    C.1 without ID number may stay without one)."""
    dept = svc.pick_department(_me(), form.department_id.data)
    id_required = inspector is None or inspector.id_number is not None
    _values, errors = svc.check_values(form.raw(), dept, id_required=id_required)
    form.attach(errors)
    return not errors


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def create():
    """表17 非模板导入: the form; the platform then matches or opens the account."""
    form = _form()
    if request.method == "GET":
        form.department_id.data = str(_me().department_id)
        form.duty.data = DutyStatus.ON.value
    status = 200
    if form.validate_on_submit() and _check(form):
        try:
            result = inspector_enrolment.create_inspector(_me(), form.raw())
        except Invalid as exc:
            db.session.rollback()
            form.attach({exc.field or "name": exc.message})
            status = 400
        else:
            db.session.commit()
            return render_template("inspectors/added.html", results=[result], issued=result.issued, summary=None)
    elif request.method == "POST":
        status = 400
    return render_template("inspectors/form.html", form=form, inspector=None), status


@bp.route("/<int:inspector_id>/role", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def role(inspector_id: int):
    """判断是否分配角色 → 分配角色 or end."""
    inspector = _entry_or_404(inspector_id)
    assign = request.form.get("assign") == "yes"
    inspector_enrolment.decide_role(_me(), inspector, assign=assign)  # an Invalid becomes the 400 page
    db.session.commit()
    flash("已分配执法人员角色" if assign else "已结束：不分配角色", "success")
    return redirect(url_for("inspectors.detail", inspector_id=inspector.id))


@bp.route("/<int:inspector_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def edit(inspector_id: int):
    """表18 修改执法检查人员: everything but role and permission."""
    inspector = _entry_or_404(inspector_id)
    form = _form(inspector)
    status = 200
    if request.method == "POST":
        form.keep_personal_data(inspector)
    if form.validate_on_submit() and _check(form, inspector):
        try:
            changes = svc.update_inspector(_me(), inspector, form.raw())
        except Invalid as exc:
            db.session.rollback()
            form.attach({exc.field or "name": exc.message})
            status = 400
        else:
            db.session.commit()
            flash("已保存修改" if changes else "没有修改", "success" if changes else "info")
            return redirect(url_for("inspectors.detail", inspector_id=inspector.id))
    elif request.method == "POST":
        status = 400
    if status != 200 or request.method == "GET":
        form.id_number.data = "" if form.id_number.data == inspector.id_number else form.id_number.data
        form.mobile.data = "" if form.mobile.data == inspector.mobile else form.mobile.data
    return render_template("inspectors/form.html", form=form, inspector=inspector), status


@bp.route("/<int:inspector_id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete(inspector_id: int):
    """确认是否删除 → 删除执法检查人员, choosing what goes with the entry."""
    inspector = _entry_or_404(inspector_id)
    form = DeleteForm()
    status = 200
    if form.validate_on_submit():
        try:
            svc.delete_inspector(_me(), inspector, form.scope.data or "")
        except Invalid as exc:
            db.session.rollback()
            form.scope.errors = [exc.message]
            status = 400
        else:
            name = inspector.name
            db.session.commit()
            flash(f"已删除执法检查人员“{name}”（{svc.DELETE_SCOPES[form.scope.data]}）", "success")
            return redirect(url_for("inspectors.index"))
    elif request.method == "POST":
        status = 400
    refusals = {scope: svc.delete_refusal(_me(), inspector, scope) for scope in svc.DELETE_SCOPES}
    return render_template("inspectors/delete.html", inspector=inspector, form=form, refusals=refusals), status


# ------------------------------------------------------------------ 按模板导入 (A.5, 渝 C.1)


@bp.route("/import/template.xlsx")
@login_required
@roles_required(*EDITORS)
def import_template():
    """下载模板: A.5 (or ?template=C.1) as the standard writes it, with dropdowns and 填写说明."""
    code = request.args.get("template", "A.5")
    template = TEMPLATES[code if code in inspector_import.IMPORT_TEMPLATES else "A.5"]
    from infrastructure.excel import workbook_bytes

    return send_file(
        io.BytesIO(workbook_bytes(template.workbook())),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=template.download_name,
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def import_upload():
    """根据模板填充数据并上传."""
    form = ImportForm()
    status, error, problems = 200, "", []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            code = form.template.data if form.template.data in inspector_import.IMPORT_TEMPLATES else ""
            batch, _check = inspector_import.store_import(_me(), upload.filename or "", upload.read(), code)
        except ExcelError as exc:
            db.session.rollback()
            error, status = str(exc), 400
            problems = [p for p in getattr(exc, "problems", []) if p != error]
        else:
            db.session.commit()
            return redirect(url_for("inspectors.import_preview", batch_id=batch.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "inspectors/import.html",
        form=form,
        error=error,
        problems=problems,
        max_rows=inspector_import.MAX_IMPORT_ROWS,
        max_accounts=inspector_import.MAX_NEW_ACCOUNTS,
    ), status


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not inspector_import.can_use_batch(_me(), batch):
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>")
@login_required
@roles_required(*EDITORS)
def import_preview(batch_id: int):
    batch = _batch_or_404(batch_id)
    expired = is_expired(batch)
    summary = inspector_import.batch_summary(batch)
    pending = batch.status == ImportStatus.PENDING and not expired
    return render_template(
        "inspectors/import_preview.html",
        batch=batch,
        check=summary.get("check") if pending else None,
        result=summary if batch.status == ImportStatus.IMPORTED else None,
        expired=expired,
    )


@bp.route("/import/<int:batch_id>/errors")
@login_required
@roles_required(*EDITORS)
def import_errors(batch_id: int):
    batch = _batch_or_404(batch_id)
    data = inspector_import.annotated_copy(_me(), batch)
    db.session.commit()
    stem = batch.filename.rsplit(".", 1)[0] or "导入文件"
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=f"{stem}_问题标注.xlsx")


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_confirm(batch_id: int):
    """完成新增操作: 全部导入 (mode=all) or 仅导入有效行 (mode=valid)."""
    batch = _batch_or_404(batch_id)
    try:
        result = inspector_import.import_inspectors(_me(), batch, valid_only=request.form.get("mode") == "valid")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("导入期间名录库已被他人修改，请返回预览页重新校验后再导入") from None
    return render_template("inspectors/added.html", results=result.added, issued=result.issued, summary=result.summary)


@bp.route("/import/<int:batch_id>/discard", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_discard(batch_id: int):
    batch = _batch_or_404(batch_id)
    inspector_import.discard_import(_me(), batch)
    db.session.commit()
    flash("已放弃该批次，上传的文件已删除", "info")
    return redirect(url_for("inspectors.import_upload"))


# ------------------------------------------------------------------ 辅助检查人员库


@bp.route("/auxiliary")
@login_required
@roles_required(*VIEWERS)
def auxiliary():
    kind = request.args.get("kind", "")
    rows = list(db.session.execute(svc.aux_query(_me(), kind)).scalars())
    return render_template(
        "inspectors/auxiliary.html", rows=rows, kinds=list(AuxiliaryKind), kind=kind, can_edit=svc.can_edit(_me())
    )


def _aux_or_404(aux_id: int) -> AuxiliaryInspector:
    entry = get_in_scope_or_404(AuxiliaryInspector, aux_id, _me())
    if not entry.active:
        abort(404)
    return entry


def _save_aux(entry: AuxiliaryInspector | None):
    form = AuxiliaryForm()
    if request.method == "GET" and entry is not None:
        form.fill(entry)
    status = 200
    if form.validate_on_submit():
        try:
            svc.save_auxiliary(_me(), form.raw(), entry)
        except Invalid as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "name", form.name)
            field.errors = [*field.errors, exc.message]
            status = 400
        else:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("inspectors.auxiliary"))
    elif request.method == "POST":
        status = 400
    return render_template("inspectors/auxiliary_form.html", form=form, entry=entry), status


@bp.route("/auxiliary/new", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def auxiliary_new():
    return _save_aux(None)


@bp.route("/auxiliary/<int:aux_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def auxiliary_edit(aux_id: int):
    return _save_aux(_aux_or_404(aux_id))


@bp.route("/auxiliary/<int:aux_id>/delete", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def auxiliary_delete(aux_id: int):
    entry = _aux_or_404(aux_id)
    svc.delete_auxiliary(_me(), entry)
    db.session.commit()
    flash(f"已删除“{entry.name}”", "success")
    return redirect(url_for("inspectors.auxiliary"))


