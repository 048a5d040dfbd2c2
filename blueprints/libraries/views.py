"""/libraries: 监管对象库 — the list, a library's page with its members and tags, 表3 新增
(选择监管对象库新增方式: 按模板导入 or 筛选录入), 表4 删除, 表5 新增标签, 表6 标签维护.

Views load (404 when absent or outside the user's department subtree), authorize (403), call
services/libraries.py, which drives the process engine in the same transaction, and commit
once.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.web import error_response, render_block, roles_required, wants_fragment
from infrastructure.errors import Conflict, Invalid
from infrastructure.excel import XLSX_MIME, ExcelError
from models import ImportBatch, ImportStatus, ObjectLibrary, User, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from persistence.scope import get_in_scope_or_404
from services import entities as entity_svc
from services import entity_fields, entity_search, library_import
from services import libraries as svc
from services.templates_catalogue import TEMPLATES, template_workbook
from services.user_import import is_expired
from workflows.bindings import bind

bp = Blueprint("libraries", __name__, url_prefix="/libraries")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES
UPLOAD_ENDPOINT = "libraries.create_template"
_ALL_STEPS = {
    3: ("choose_mode", "download_template", "upload", "filter", "store"),
    4: ("select", "confirm", "delete"),
    5: ("select", "add_tag"),
    6: ("select", "choose", "confirm_delete", "delete_tag", "edit_tag"),
}

# 表3 starts on the page that chooses how to add a library; 表4–表6 start from a library's
# page.  Every step is done on these pages, in the request that performs it.
bind(3, svc.SUBJECT_TYPE, "监管对象库", "libraries.detail", start_endpoint="libraries.create",
     business_steps=_ALL_STEPS[3])
for _table in (4, 5, 6):
    bind(_table, svc.SUBJECT_TYPE, "监管对象库", "libraries.detail", start_endpoint="libraries.index",
         business_steps=_ALL_STEPS[_table])


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.record_once
def _upload_limit(state: BlueprintSetupState) -> None:
    """Library workbooks may exceed the app's 10 MB: raise the limit for the upload only."""
    app: Flask = state.app

    def raise_limit() -> None:
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = library_import.MAX_UPLOAD_BYTES

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    db.session.rollback()
    return error_response(413, f"上传的文件过大（不能超过{library_import.MAX_UPLOAD_BYTES // 1024 // 1024}MB），请拆分后分批上传")


def _library_or_404(ident: int) -> ObjectLibrary:
    return get_in_scope_or_404(ObjectLibrary, ident, _me())


# ------------------------------------------------------------------ list and page


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    keyword = (request.args.get("q") or "").strip()[:100]
    page = svc.list_libraries(_me(), keyword, request.args.get("page", 1, type=int))
    return render_template(
        "libraries/index.html",
        page=page,
        keyword=keyword,
        args={"q": keyword} if keyword else {},
        tags=svc.tags_by_library(lib.id for lib in page.items),
        can_edit=svc.can_edit(_me()),
    )


def _detail_context(library: ObjectLibrary, **extra: Any) -> dict[str, Any]:
    keyword = (request.args.get("q") or "").strip()[:100]
    members = svc.members_page(
        library, keyword, after=request.args.get("after", type=int), before=request.args.get("before", type=int)
    )
    saved = svc.filter_args(library)
    return {
        "library": library,
        "members": members,
        "keyword": keyword,
        "args": {"q": keyword} if keyword else {},
        "filter_items": svc.describe_filter(saved),
        "filter_args": saved,
        "can_edit": svc.can_edit(_me()),
        "tag_error": "",
        "tag_value": "",
        **extra,
    }


@bp.route("/<int:id>")
@login_required
@roles_required(*VIEWERS)
def detail(id: int):
    library = _library_or_404(id)
    context = _detail_context(library)
    if wants_fragment():
        return render_block("libraries/detail.html", "members", **context)
    return render_template("libraries/detail.html", **context)


# ------------------------------------------------------------------ 表3 新增


@bp.route("/new")
@login_required
@roles_required(*EDITORS)
def create():
    """选择监管对象库新增方式."""
    return render_template("libraries/new.html", templates=[TEMPLATES[c] for c in library_import.TEMPLATE_CODES])


def _filter_context(form: dict[str, str], preview: svc.FilterPreview | None, **extra: Any) -> dict[str, Any]:
    registries = entity_svc.Registries(_me())
    filters = preview.filters if preview else entity_search.parse_filters(form)
    return {
        "form": form,
        "filters": filters,
        "preview": preview,
        "max_members": svc.MAX_MEMBERS,
        "types": list(EntityType),
        "statuses": list(EntityStatus),
        "grades": CREDIT_GRADES,
        "sections": entity_fields.INDUSTRY_SECTIONS,
        "divisions": registries.choices(),
        "error": "",
        "error_field": "",
        **extra,
    }


_FORM_KEYS = ("library_name", "tags", "description", *svc.FILTER_LABELS)


@bp.route("/new/filter", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def create_filter():
    """筛选符合规则的数据 (a count preview), then 入库."""
    source = request.form if request.method == "POST" else request.args
    form = {k: (source.get(k) or "").strip() for k in _FORM_KEYS}
    if request.method == "POST":
        try:
            library = svc.create_from_filter(
                _me(), form["library_name"], form, tags=form["tags"], description=form["description"]
            )
        except Invalid as exc:
            db.session.rollback()
            context = _filter_context(form, svc.preview_filter(_me(), form), error=exc.message,
                                      error_field=exc.field or "")
            return render_template("libraries/filter.html", **context), 400
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise Conflict("本部门已有同名的监管对象库，请换一个名称") from None
        flash(f"已入库：监管对象库“{library.name}”，共 {library.member_count} 个市场主体", "success")
        return redirect(url_for("libraries.detail", id=library.id))
    preview = svc.preview_filter(_me(), form) if request.args.get("preview") else None
    context = _filter_context(form, preview)
    if wants_fragment():
        return render_block("libraries/filter.html", "preview", **context)
    return render_template("libraries/filter.html", **context)


@bp.route("/new/template.xlsx")
@login_required
@roles_required(*EDITORS)
def template_download():
    """下载模板 (A.4.1 or A.4.2)."""
    code = request.args.get("code", "")
    if code not in library_import.TEMPLATE_CODES:
        abort(404)
    return send_file(
        io.BytesIO(template_workbook(code)),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=TEMPLATES[code].download_name,
    )


@bp.route("/new/template", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def create_template():
    """根据模板填充数据并上传."""
    form = {k: (request.form.get(k) or "").strip() for k in ("name", "tags", "description", "template")}
    if request.method == "GET":
        form["template"] = request.args.get("code") if request.args.get("code") in library_import.TEMPLATE_CODES else "A.4.2"
    status, error, error_field, problems = 200, "", "", []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            status, error, error_field = 400, "请选择要上传的文件", "file"
        else:
            try:
                batch, _check = library_import.store_import(
                    _me(), form["template"], upload.filename, upload.read(),
                    name=form["name"], tags=form["tags"], description=form["description"],
                )
            except ExcelError as exc:
                db.session.rollback()
                status, error, error_field = 400, str(exc), "file"
                problems = [p for p in getattr(exc, "problems", []) if p != error]
            except Invalid as exc:
                db.session.rollback()
                status, error, error_field = 400, exc.message, exc.field or ""
            else:
                db.session.commit()
                return redirect(url_for("libraries.import_preview", batch_id=batch.id))
    return render_template(
        "libraries/template.html",
        form=form,
        templates=[TEMPLATES[c] for c in library_import.TEMPLATE_CODES],
        error=error,
        error_field=error_field,
        problems=problems,
        max_rows=library_import.MAX_IMPORT_ROWS,
        max_mb=library_import.MAX_UPLOAD_BYTES // 1024 // 1024,
    ), status


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not library_import.can_use_batch(_me(), batch):
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>")
@login_required
@roles_required(*EDITORS)
def import_preview(batch_id: int):
    batch = _batch_or_404(batch_id)
    expired = is_expired(batch)
    stored = library_import.batch_summary(batch)
    pending = batch.status == ImportStatus.PENDING and not expired
    library = db.session.get(ObjectLibrary, stored.get("library_id") or 0)
    return render_template(
        "libraries/import_preview.html",
        batch=batch,
        stored=stored,
        check=stored.get("check") if pending else None,
        template=TEMPLATES.get(stored.get("check", {}).get("template", "")),
        result=stored.get("result") if batch.status == ImportStatus.IMPORTED else None,
        library=library,
        expired=expired,
    )


@bp.route("/import/<int:batch_id>/errors")
@login_required
@roles_required(*EDITORS)
def import_errors(batch_id: int):
    batch = _batch_or_404(batch_id)
    data = library_import.annotated_copy(_me(), batch)
    db.session.commit()
    stem = batch.filename.rsplit(".", 1)[0] or "导入文件"
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=f"{stem}_问题标注.xlsx")


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_confirm(batch_id: int):
    """入库 (仅导入有效行)."""
    batch = _batch_or_404(batch_id)
    try:
        library = library_import.import_library(_me(), batch)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("入库期间数据已被他人修改（如同名对象库），请返回预览页重新校验") from None
    flash(f"已入库：监管对象库“{library.name}”，共 {library.member_count} 个市场主体", "success")
    return redirect(url_for("libraries.detail", id=library.id))


@bp.route("/import/<int:batch_id>/discard", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_discard(batch_id: int):
    batch = _batch_or_404(batch_id)
    library_import.discard_import(_me(), batch)
    db.session.commit()
    flash("已放弃该批次，上传的文件已删除", "info")
    return redirect(url_for("libraries.create_template"))


# ------------------------------------------------------------------ 表4 删除


@bp.route("/<int:id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete(id: int):
    """选择拟删除的对象库 (the 删除 button) → 确认是否删除 (this page): 确认删除 / 取消删除."""
    library = _library_or_404(id)
    if request.method == "GET":
        return render_template("libraries/delete.html", library=library)
    confirmed = request.form.get("outcome") == "yes"
    name = library.name
    deleted = svc.delete_library(_me(), library, confirmed=confirmed)
    db.session.commit()
    if deleted:
        flash(f"已删除监管对象库“{name}”", "success")
        return redirect(url_for("libraries.index"))
    flash("已取消删除", "info")
    return redirect(url_for("libraries.detail", id=id))


# ------------------------------------------------------------------ 表5 / 表6 标签


def _tags_response(library: ObjectLibrary, error: str = "", value: str = "", status: int = 200) -> Any:
    if error:
        db.session.rollback()
        library = _library_or_404(library.id)
    else:
        db.session.commit()
    if wants_fragment():
        context = _detail_context(library, tag_error=error, tag_value=value)
        return render_block("libraries/detail.html", "tags", **context), status
    if error:
        flash(error, "error")
    return redirect(url_for("libraries.detail", id=library.id))


@bp.route("/<int:id>/tags", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def add_tag(id: int):
    """表5 新增标签."""
    library = _library_or_404(id)
    value = (request.form.get("tag") or "").strip()
    try:
        svc.add_tag(_me(), library, value)
    except Invalid as exc:
        return _tags_response(library, exc.message, value, 400)
    if not wants_fragment():
        flash(f"已新增标签“{value}”", "success")
    return _tags_response(library)


@bp.route("/<int:id>/tags/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def edit_tag(id: int):
    """表6 修改标签."""
    library = _library_or_404(id)
    tag_id = request.values.get("tag_id", type=int)
    found = next((t for t in library.tags if t.id == tag_id), None)
    if found is None:
        abort(404)
    error, value, status = "", found.tag, 200
    if request.method == "POST":
        value = (request.form.get("tag") or "").strip()
        try:
            svc.edit_tag(_me(), library, tag_id, value)
        except Invalid as exc:
            db.session.rollback()
            library = _library_or_404(id)
            found = next(t for t in library.tags if t.id == tag_id)
            error, status = exc.message, 400
        else:
            db.session.commit()
            flash(f"已修改标签为“{value}”", "success")
            return redirect(url_for("libraries.detail", id=id))
    return render_template("libraries/tag_edit.html", library=library, tag=found, value=value, error=error), status


@bp.route("/<int:id>/tags/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete_tag(id: int):
    """表6 删除标签: 确认是否删除 → 确认删除 / 取消删除."""
    library = _library_or_404(id)
    tag_id = request.values.get("tag_id", type=int)
    found = next((t for t in library.tags if t.id == tag_id), None)
    if found is None:
        abort(404)
    if request.method == "GET":
        return render_template("libraries/tag_delete.html", library=library, tag=found)
    tag = found.tag
    deleted = svc.delete_tag(_me(), library, tag_id, confirmed=request.form.get("outcome") == "yes")
    db.session.commit()
    flash(f"已删除标签“{tag}”" if deleted else "已取消删除标签", "success" if deleted else "info")
    return redirect(url_for("libraries.detail", id=id))
