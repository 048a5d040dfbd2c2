"""/imports/<kind>: one set of pages for every import kind (services/imports) — the template
download, the upload, the preview by row and column, the annotated copy, the confirmation
(全部导入 / 仅导入有效行) and 放弃.  A kind declared and registered gets these pages with no
route or template of its own."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.common import current_actor
from blueprints.web import error_response
from infrastructure.errors import Conflict, ServiceError
from infrastructure.excel import XLSX_MIME, ExcelError
from models import ImportBatch, db
from persistence import jobs
from services import import_batches
from services.imports import background, framework, kinds
from services.imports.framework import ImportKind

bp = Blueprint("imports", __name__, url_prefix="/imports")


def _kind(name: str) -> ImportKind:
    kind = kinds.get(name)
    if kind is None:
        abort(404)
    return kind


def _batch(kind: ImportKind, batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not kind.can_use(current_actor(), batch):
        abort(404)
    return batch


def _back(kind: ImportKind, context: dict[str, Any]) -> tuple[str, str]:
    label, endpoint, args = kind.back(context)
    return label, url_for(endpoint, **args)


def _page(kind: ImportKind, context: dict[str, Any], **values: Any) -> str:
    back_label, back_url = _back(kind, context)
    return render_template(
        "imports/import.html", kind=kind, context=context, back_label=back_label, back_url=back_url,
        upload_url=url_for("imports.upload", kind=kind.name, **context), **values,
    )


@bp.route("/<kind>/template.xlsx")
@login_required
def template(kind: str):
    """The kind's template, with its dropdowns and 填写说明."""
    k = _kind(kind)
    if not k.can_import(current_actor()):
        abort(403)
    data, name = k.template_file(current_actor(), request.args.get("variant", ""))
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=name)


@bp.route("/<kind>/", methods=["GET", "POST"])
@login_required
def upload(kind: str):
    """上传: the file is checked and kept for the preview; nothing is imported yet."""
    k = _kind(kind)
    if not k.can_import(current_actor()):
        abort(403)
    context = k.load_context(current_actor(), request.args.to_dict())
    if not k.can_import(current_actor(), context):
        abort(403)
    status, error, problems = 200, "", []
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            status, error = 400, "请选择要上传的文件"
        else:
            try:
                options = k.read_options(current_actor(), request.form.to_dict())
                batch, _check = framework.upload(k, current_actor(), file.filename, file.read(), {**context, **options})
            except ExcelError as exc:
                db.session.rollback()
                status, error = 400, str(exc)
                problems = [p for p in getattr(exc, "problems", []) if p != error]
            except ServiceError as exc:
                db.session.rollback()
                status, error = exc.status, exc.message
            else:
                db.session.commit()
                return redirect(url_for("imports.preview", kind=k.name, batch_id=batch.id))
    return _page(k, context, batch=None, error=error, problems=problems, form=request.form), status


@bp.route("/<kind>/<int:batch_id>")
@login_required
def preview(kind: str, batch_id: int):
    k = _kind(kind)
    batch = _batch(k, batch_id)
    state = import_batches.preview_state(batch)
    if k.job_threshold() is not None:
        state.update(background.job_state(batch))
    context = framework.context_of(batch)
    if state["result"]:
        endpoint, args = k.done(context, state["result"])
        state["done_url"] = url_for(endpoint, **args)
    return _page(k, context, **state)


@bp.route("/<kind>/<int:batch_id>/errors")
@login_required
def errors(kind: str, batch_id: int):
    k = _kind(kind)
    batch = _batch(k, batch_id)
    data, ext = framework.annotated_file(k, current_actor(), batch)
    db.session.commit()
    name = import_batches.annotated_name(batch).removesuffix(".xlsx") + "." + ext
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME if ext == "xlsx" else "text/csv", as_attachment=True,
                     download_name=name)


@bp.route("/<kind>/<int:batch_id>/confirm", methods=["POST"])
@login_required
def confirm(kind: str, batch_id: int):
    """全部导入 (mode=all) or 仅导入有效行 (mode=valid); then back with a message, or the kind's
    own result page (e.g. the initial passwords, shown once)."""
    k = _kind(kind)
    batch = _batch(k, batch_id)
    context = framework.context_of(batch)
    valid_only = request.form.get("mode") == "valid"
    if background.runs_as_job(k, batch):
        background.enqueue(k, current_actor(), batch, valid_only=valid_only)
        db.session.commit()
        jobs.kick()
        flash(background.QUEUED, "info")
        return redirect(url_for("imports.preview", kind=k.name, batch_id=batch.id))
    background.ensure_idle(batch)
    try:
        result = framework.confirm(k, current_actor(), batch, valid_only=valid_only)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("导入期间数据已被他人修改，请返回预览页重新校验后再导入") from None
    page = k.result_page(result)
    if page is not None:
        return render_template(page[0], kind=k, **page[1])
    flash(k.result_text(result), "success")
    endpoint, args = k.done(context, result)
    return redirect(url_for(endpoint, **args))


@bp.route("/<kind>/<int:batch_id>/discard", methods=["POST"])
@login_required
def discard(kind: str, batch_id: int):
    k = _kind(kind)
    batch = _batch(k, batch_id)
    context = framework.context_of(batch)
    background.ensure_idle(batch, "该批次正在导入，不能放弃")
    framework.discard(k, current_actor(), batch)
    db.session.commit()
    flash("已放弃该批次，上传的文件已删除", "info")
    return redirect(url_for("imports.upload", kind=k.name, **context))


# ------------------------------------------------------------------ a kind's own upload limit


def _upload_kind() -> ImportKind | None:
    if request.endpoint != "imports.upload" or request.method != "POST":
        return None
    return kinds.get((request.view_args or {}).get("kind", ""))


@bp.record_once
def _upload_limit(state: BlueprintSetupState) -> None:
    """A kind may take files larger than the app's limit (``max_bytes``, e.g. the registry's
    20 MB): raise it for that kind's upload only.  It must run before CSRFProtect reads the
    form, hence at the head of the app's hooks."""
    app: Flask = state.app

    def raise_limit() -> None:
        kind = _upload_kind()
        if kind is not None and kind.max_bytes > (request.max_content_length or 0):
            request.max_content_length = kind.max_bytes

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    db.session.rollback()
    limit = (request.max_content_length or 0) // 1024 // 1024
    return error_response(413, f"上传的文件过大（不能超过{limit}MB），请拆分后分批上传")
