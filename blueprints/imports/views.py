"""/imports/<kind>: one set of pages for every import kind (services/imports) — the template
download, the upload, the preview by row and column, the annotated copy, the confirmation
(全部导入 / 仅导入有效行) and 放弃.  A kind declared and registered gets these pages with no
route or template of its own."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME, ExcelError, workbook_bytes
from models import ImportBatch, User, db
from services import import_batches
from services.imports import framework, kinds
from services.imports.framework import ImportKind

bp = Blueprint("imports", __name__, url_prefix="/imports")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _kind(name: str) -> ImportKind:
    kind = kinds.get(name)
    if kind is None:
        abort(404)
    return kind


def _batch(kind: ImportKind, batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not kind.can_use(_me(), batch):
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
    if not k.can_import(_me()):
        abort(403)
    chosen = k.template_for(request.args.get("variant", ""))
    return send_file(io.BytesIO(workbook_bytes(chosen.workbook())), mimetype=XLSX_MIME,
                     as_attachment=True, download_name=chosen.download_name)


@bp.route("/<kind>/", methods=["GET", "POST"])
@login_required
def upload(kind: str):
    """上传: the file is checked and kept for the preview; nothing is imported yet."""
    k = _kind(kind)
    if not k.can_import(_me()):
        abort(403)
    context = k.load_context(_me(), request.args.to_dict())
    if not k.can_import(_me(), context):
        abort(403)
    status, error, problems = 200, "", []
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            status, error = 400, "请选择要上传的文件"
        else:
            try:
                options = k.read_options(_me(), request.form.to_dict())
                batch, _check = framework.upload(k, _me(), file.filename, file.read(), {**context, **options})
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
    return _page(k, framework.context_of(batch), **import_batches.preview_state(batch))


@bp.route("/<kind>/<int:batch_id>/errors")
@login_required
def errors(kind: str, batch_id: int):
    k = _kind(kind)
    batch = _batch(k, batch_id)
    data = framework.annotated_copy(k, _me(), batch)
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=import_batches.annotated_name(batch))


@bp.route("/<kind>/<int:batch_id>/confirm", methods=["POST"])
@login_required
def confirm(kind: str, batch_id: int):
    """全部导入 (mode=all) or 仅导入有效行 (mode=valid)."""
    k = _kind(kind)
    batch = _batch(k, batch_id)
    context = framework.context_of(batch)
    result = framework.confirm(k, _me(), batch, valid_only=request.form.get("mode") == "valid")
    db.session.commit()
    flash(k.result_text(result), "success")
    return redirect(_back(k, context)[1])


@bp.route("/<kind>/<int:batch_id>/discard", methods=["POST"])
@login_required
def discard(kind: str, batch_id: int):
    k = _kind(kind)
    batch = _batch(k, batch_id)
    context = framework.context_of(batch)
    framework.discard(k, _me(), batch)
    db.session.commit()
    flash("已放弃该批次，上传的文件已删除", "info")
    return redirect(url_for("imports.upload", kind=k.name, **context))
