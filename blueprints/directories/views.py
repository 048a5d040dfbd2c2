"""/directories: 检查对象名录库 — the list, a directory with its members paged on the server,
the 表15 wizard (选择抽查事项 → 选择新增方式 → 下载模板 / 筛选市场主体 / 筛选名录库 → 入库) and
the 表16 deletion (选择删除方式 → 抽查事项 or 名录库 → 确认是否删除 → 删除).

Views load (404 when absent or outside the user's scope), authorize (403), call
services/directories.py and commit once.  Each addition or deletion is one request: the
service stores the data and walks the process instance in the same transaction.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.directories.forms import UploadForm
from blueprints.web import error_response, roles_required, wants_fragment
from infrastructure.errors import Conflict
from infrastructure.excel import XLSX_MIME, ExcelError
from models import CheckItem, ImportBatch, ImportStatus, MemberKind, ObjectDirectory, User, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from persistence.scope import get_in_scope_or_404
from services import directories as svc
from services import directory_import, directory_members
from services.entities import Registries
from services.entity_fields import INDUSTRY_SECTIONS
from services.entity_search import parse_filters
from services.templates_catalogue import TEMPLATES, template_workbook
from services.user_import import is_expired
from workflows.bindings import bind

bp = Blueprint("directories", __name__, url_prefix="/directories")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES
UPLOAD_ENDPOINT = "directories.template_upload"

bind(
    svc.ADD_TABLE,
    svc.SUBJECT_TYPE,
    "检查对象名录库",
    "directories.subject",
    start_endpoint="directories.new",
    business_steps=("select_item", "choose_mode", "download_template", "filter_entities", "filter_directories"),
)
bind(
    svc.DELETE_TABLE,
    svc.SUBJECT_TYPE,
    "检查对象名录库",
    "directories.subject",
    start_endpoint="directories.delete_start",
    business_steps=("choose_mode", "select_item", "select_directory", "confirm", "delete"),
)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.record_once
def _upload_limit(state: BlueprintSetupState) -> None:
    """Directory files may exceed the app's 10 MB: raise the limit for the upload only (before
    CSRFProtect reads the form, hence at the head of the app's hooks)."""
    app: Flask = state.app

    def raise_limit() -> None:
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = directory_import.MAX_UPLOAD_BYTES

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    db.session.rollback()
    return error_response(413, f"上传的文件过大（不能超过{directory_import.MAX_UPLOAD_BYTES // 1024 // 1024}MB），请拆分后分批上传")


def _directory_or_404(directory_id: int) -> ObjectDirectory:
    return get_in_scope_or_404(ObjectDirectory, directory_id, _me())


def _item_arg(name: str = "item") -> CheckItem:
    value = request.values.get(name, type=int)
    return svc.item_for(_me(), value)  # NotFound → 404 page


# ------------------------------------------------------------------ list and detail


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    me = _me()
    search = request.args.get("q", "").strip()[:100]
    page = db.paginate(svc.directories_query(me, search), per_page=20, error_out=False)
    return render_template(
        "directories/index.html",
        page=page,
        counts=svc.counts([d.id for d in page.items]),
        search=search,
        can_edit=svc.can_edit(me),
    )


@bp.route("/subject")
@login_required
@roles_required(*VIEWERS)
def subject():
    """The subject page of a 表15 instance (workflows.bindings calls it with ``id=``)."""
    ident = request.args.get("id", type=int)
    if ident is None:
        abort(404)
    return redirect(url_for("directories.detail", directory_id=_directory_or_404(ident).id))


def _kind_arg() -> MemberKind | None:
    value = request.args.get("kind", "")
    return MemberKind(value) if value in {k.value for k in MemberKind} else None


@bp.route("/<int:directory_id>")
@login_required
@roles_required(*VIEWERS)
def detail(directory_id: int):
    me = _me()
    directory = _directory_or_404(directory_id)
    kind = _kind_arg()
    search = request.args.get("q", "").strip()[:100]
    page = directory_members.members_page(
        directory,
        kind=kind,
        search=search,
        after=request.args.get("after", type=int),
        before=request.args.get("before", type=int),
    )
    args = {k: v for k, v in {"kind": kind.value if kind else "", "q": search}.items() if v}
    context: dict[str, Any] = {
        "directory": directory,
        "page": page,
        "kind": kind,
        "kinds": list(MemberKind),
        "search": search,
        "args": args,
        "by_kind": svc.counts([directory.id])[directory.id],
        "can_edit": svc.can_edit(me),
    }
    if wants_fragment():
        from blueprints.web import render_block

        return render_block("directories/detail.html", "members", **context)
    from models import ProcessInstance

    context["instances"] = list(
        db.session.execute(
            db.select(ProcessInstance)
            .where(ProcessInstance.subject_type == svc.SUBJECT_TYPE, ProcessInstance.subject_id == directory.id)
            .order_by(ProcessInstance.id.desc())
            .limit(20)
        ).scalars()
    )
    return render_template("directories/detail.html", **context)


# ------------------------------------------------------------------ 表15 新增


@bp.route("/new")
@login_required
@roles_required(*EDITORS)
def new():
    """选择拟新增检查对象名录库的抽查事项."""
    me = _me()
    search = request.args.get("q", "").strip()[:100]
    page = db.paginate(svc.items_query(me, search), per_page=20, error_out=False)
    existing = {
        d.item_id: d
        for d in db.session.execute(
            db.select(ObjectDirectory).where(
                ObjectDirectory.department_id == me.department_id,
                ObjectDirectory.item_id.in_([i.id for i in page.items]),
            )
        ).scalars()
    }
    return render_template("directories/new.html", page=page, existing=existing, search=search)


@bp.route("/new/mode")
@login_required
@roles_required(*EDITORS)
def choose_mode():
    """选择监管对象名录库新增方式."""
    item = _item_arg()
    return render_template("directories/mode.html", item=item, directory=svc.directory_of(_me(), item))


@bp.route("/template")
@login_required
@roles_required(*EDITORS)
def template_download():
    """下载模板: one of A.4.2, A.4.1, B.1, B.2, B.3 with dropdowns and 填写说明."""
    code = request.args.get("code", "")
    if code not in svc.IMPORT_TEMPLATES:
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
def template_upload():
    """下载模板, then the filled template is uploaded (表15 has no separate upload row)."""
    item = _item_arg()
    form = UploadForm()
    if request.method == "GET":
        form.item.data = str(item.id)
        if request.args.get("template") in svc.IMPORT_TEMPLATES:
            form.template.data = request.args["template"]
    status, error, problems = 200, "", []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch, _check = directory_import.store_import(_me(), item, form.template.data, upload.filename or "", upload.read())
        except ExcelError as exc:
            db.session.rollback()
            error, status = str(exc), 400
            problems = [p for p in exc.problems if p != error]
        else:
            db.session.commit()
            return redirect(url_for("directories.import_preview", batch_id=batch.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "directories/template.html",
        item=item,
        form=form,
        templates=svc.IMPORT_TEMPLATES,
        error=error,
        problems=problems,
        max_rows=directory_import.MAX_IMPORT_ROWS,
        max_mb=directory_import.MAX_UPLOAD_BYTES // 1024 // 1024,
    ), status


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not directory_import.can_use_batch(_me(), batch):
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>")
@login_required
@roles_required(*EDITORS)
def import_preview(batch_id: int):
    batch = _batch_or_404(batch_id)
    item = directory_import.batch_item(_me(), batch)
    summary = directory_import.batch_summary(batch)
    expired = is_expired(batch)
    pending = batch.status == ImportStatus.PENDING and not expired
    code = summary.get("template", "")
    return render_template(
        "directories/import_preview.html",
        batch=batch,
        item=item,
        template=TEMPLATES.get(code),
        kind=svc.IMPORT_TEMPLATES[code].kind if code in svc.IMPORT_TEMPLATES else None,
        check=summary.get("check") if pending else None,
        result=summary.get("imported") if batch.status == ImportStatus.IMPORTED else None,
        directory_id=summary.get("directory_id"),
        expired=expired,
    )


@bp.route("/import/<int:batch_id>/errors")
@login_required
@roles_required(*EDITORS)
def import_errors(batch_id: int):
    batch = _batch_or_404(batch_id)
    data = directory_import.annotated_copy(_me(), batch)
    db.session.commit()
    stem = batch.filename.rsplit(".", 1)[0] or "导入文件"
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=f"{stem}_问题标注.xlsx")


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_confirm(batch_id: int):
    batch = _batch_or_404(batch_id)
    try:
        result = directory_import.import_batch(_me(), batch)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("入库期间数据已被他人修改，请返回预览页重新校验后再入库") from None
    _flash_added(result)
    return redirect(url_for("directories.detail", directory_id=result.directory.id))


@bp.route("/import/<int:batch_id>/discard", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_discard(batch_id: int):
    batch = _batch_or_404(batch_id)
    item_id = directory_import.batch_summary(batch).get("item_id")
    directory_import.discard_import(_me(), batch)
    db.session.commit()
    flash("已放弃该批次，上传的文件已删除", "info")
    return redirect(url_for("directories.template_upload", item=item_id))


def _stored(add: Callable[[], svc.AddResult]) -> svc.AddResult:
    """Run an addition and commit it.  Another clerk adding to the same directory at the same
    moment makes one of the two fail on a unique constraint: 409, nothing written.  A
    ServiceError (Invalid: 400) goes to the app's handler, which rolls back."""
    try:
        result = add()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该名录库正由他人同时新增检查对象，请刷新后重试") from None
    return result


def _flash_added(result: svc.AddResult) -> None:
    text = f"已入库：新增 {result.added} 个检查对象"
    if result.already:
        text += f"，{result.already} 个已在名录库中"
    for key, value in result.details.items():
        if isinstance(value, int):
            text += f"，{key} {value} 个"
    flash(text, "success")


def _filter_context(item: CheckItem) -> dict[str, Any]:
    me = _me()
    filters = parse_filters(request.values)
    count, capped = svc.filter_count(me, filters)
    return {
        "item": item,
        "filters": filters,
        "args": filters.as_args(),
        "count": count,
        "capped": capped,
        "max_add": svc.MAX_ADD,
        "description": svc.filter_description(filters),
        "types": list(EntityType),
        "statuses": list(EntityStatus),
        "grades": CREDIT_GRADES,
        "sections": INDUSTRY_SECTIONS,
        "divisions": Registries(me).choices(),
        "directory": svc.directory_of(me, item),
    }


@bp.route("/new/entities", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def filter_entities():
    """筛选符合条件的市场主体: the registry's filters, with the count before anything is stored;
    the POST stores them (入库)."""
    item = _item_arg()
    if request.method == "POST":
        result = _stored(lambda: svc.add_from_filter(_me(), item, parse_filters(request.form)))
        _flash_added(result)
        return redirect(url_for("directories.detail", directory_id=result.directory.id))
    context = _filter_context(item)
    if wants_fragment():
        from blueprints.web import render_block

        return render_block("directories/filter.html", "preview", **context)
    return render_template("directories/filter.html", **context)


@bp.route("/new/copy", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def filter_directories():
    """筛选符合条件的名录库: copy every object of another directory of the department."""
    me = _me()
    item = _item_arg()
    if request.method == "POST":
        source = _directory_or_404(request.form.get("source", type=int) or 0)
        result = _stored(lambda: svc.add_from_directory(me, item, source))
        _flash_added(result)
        return redirect(url_for("directories.detail", directory_id=result.directory.id))
    search = request.args.get("q", "").strip()[:100]
    sources = svc.copy_sources(me, item, search)
    return render_template(
        "directories/copy.html",
        item=item,
        sources=sources,
        counts=svc.counts([d.id for d in sources]),
        search=search,
    )


# ------------------------------------------------------------------ 表16 删除


@bp.route("/delete")
@login_required
@roles_required(*EDITORS)
def delete_start():
    """选择删除方式, then 选择拟删除检查对象名录库的抽查事项 or 选择拟删除的对象名录库."""
    me = _me()
    mode = request.args.get("mode", "")
    search = request.args.get("q", "").strip()[:100]
    context: dict[str, Any] = {"mode": mode, "modes": svc.DELETE_MODES, "search": search}
    if mode in svc.DELETE_MODES:
        query = svc.directories_query(me, search)
        page = db.paginate(query, per_page=20, error_out=False)
        context.update(page=page, counts=svc.counts([d.id for d in page.items]))
    return render_template("directories/delete_start.html", **context)


@bp.route("/<int:directory_id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete(directory_id: int):
    """确认是否删除: the directory, its objects and what refers to it; 确认删除 deletes."""
    directory = _directory_or_404(directory_id)
    mode = request.values.get("mode", "direct")
    if mode not in svc.DELETE_MODES:
        mode = "direct"
    if request.method == "POST":  # CSRFProtect has checked the token
        name = directory.name
        svc.delete_directory(_me(), directory, mode)
        db.session.commit()
        flash(f"已删除检查对象名录库“{name}”", "success")
        return redirect(url_for("directories.index"))
    return render_template(
        "directories/delete.html",
        directory=directory,
        mode=mode,
        mode_label=svc.DELETE_MODES[mode],
        by_kind=svc.counts([directory.id])[directory.id],
        references=svc.references(directory),
    )
