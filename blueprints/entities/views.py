"""/entities: 市场主体库 — the list with its filters, an entity's page (the first version of the
dossier), 登记/修改/删除, tags, and the import of a full-registry workbook or CSV.

Views load (404 when absent or outside the user's area), authorize (403), call a service and
commit once; the rules are in services/entities.py and services/entity_import.py.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
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

from blueprints.entities.forms import EntityForm, ImportForm, TagsForm
from models import ImportBatch, ImportStatus, JobStatus, MarketEntity, User, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from models.org import DepartmentLevel
from services import entities as svc
from services import entity_fact_filters, entity_fields, entity_import, entity_search, jobs
from services.audit import action_label
from services.errors import Conflict, Invalid
from services.excel import XLSX_MIME, ExcelError, build_workbook, workbook_bytes
from services.scope import get_in_scope_or_404
from services.user_import import is_expired
from services.web import error_response, is_htmx, render_block, roles_required, wants_fragment

bp = Blueprint("entities", __name__, url_prefix="/entities")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES
UPLOAD_ENDPOINT = "entities.import_upload"


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.record_once
def _upload_limit(state: BlueprintSetupState) -> None:
    """Registry files are larger than the app's 10 MB: raise the limit for the upload only.
    It must run before CSRFProtect reads the form, hence at the head of the app's hooks."""
    app: Flask = state.app

    def raise_limit() -> None:
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = entity_import.MAX_UPLOAD_BYTES

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    db.session.rollback()
    limit = entity_import.MAX_UPLOAD_BYTES // 1024 // 1024
    return error_response(413, f"上传的文件过大（不能超过{limit}MB），请拆分后分批上传")


# ------------------------------------------------------------------ list


def _list_context() -> dict[str, Any]:
    me = _me()
    filters = entity_search.parse_filters(request.args)
    after = request.args.get("after", type=int)
    before = request.args.get("before", type=int)
    page = entity_search.search_entities(me, filters, after=after, before=before)
    registries = svc.Registries(me)
    return {
        "page": page,
        "filters": filters,
        "args": filters.as_args(),
        "types": list(EntityType),
        "statuses": list(EntityStatus),
        "grades": CREDIT_GRADES,
        "sections": entity_fields.INDUSTRY_SECTIONS,
        "divisions": registries.choices(),
        "permit_kinds": entity_fact_filters.permit_kinds(),
        "can_edit": svc.can_edit(me),
    }


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    context = _list_context()
    if wants_fragment():
        return render_block("entities/index.html", "results", **context)
    return render_template("entities/index.html", **context)


# ------------------------------------------------------------------ one entity


def _entity_or_404(entity_id: int) -> MarketEntity:
    return get_in_scope_or_404(MarketEntity, entity_id, _me())


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


@bp.route("/<int:entity_id>")
@login_required
@roles_required(*VIEWERS)
def detail(entity_id: int):
    me = _me()
    entity = _entity_or_404(entity_id)
    instances = list(db.session.execute(svc.linked_instances_query(me, entity)).scalars())
    events = [(e, action_label(e.action), _summary_items(e.summary)) for e in svc.history(entity)]
    from services.directories import directories_of_entity
    from services.libraries import libraries_of_entity
    from workflows.registry import PROCESSES

    return render_template(
        "entities/detail.html",
        entity=entity,
        libraries=libraries_of_entity(me, entity),
        instances=instances,
        directories=directories_of_entity(me, entity),
        processes=PROCESSES,
        events=events,
        can_edit=svc.can_edit(me),
        tags_form=TagsForm(tags="、".join(entity.tag_names)),
        refusal=svc.delete_refusal(entity),
    )


def _attach(form: EntityForm, exc: Invalid) -> None:
    """Show a service's message under the field it concerns (or as a flash)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def create():
    form = EntityForm()
    if request.method == "GET":
        form.status.data = EntityStatus.ACTIVE.value
        root = svc.Registries(_me()).root
        form.division_code.data = root.region_code if root.level == DepartmentLevel.DISTRICT else ""
    status = 200
    if form.validate_on_submit():
        try:
            entity = svc.create_entity(_me(), form.raw())
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(f"已登记市场主体“{entity.name}”", "success")
            return redirect(url_for("entities.detail", entity_id=entity.id))
    elif request.method == "POST":
        status = 400
    return render_template("entities/form.html", form=form, entity=None), status


@bp.route("/<int:entity_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def edit(entity_id: int):
    entity = _entity_or_404(entity_id)
    form = EntityForm()
    if request.method == "GET":
        form.fill(entity)
    status = 200
    if form.validate_on_submit():
        try:
            changes = svc.update_entity(_me(), entity, form.raw())
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash("已保存" if changes else "没有修改", "success" if changes else "info")
            return redirect(url_for("entities.detail", entity_id=entity.id))
    elif request.method == "POST":
        status = 400
    return render_template("entities/form.html", form=form, entity=entity), status


@bp.route("/<int:entity_id>/tags", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def tags(entity_id: int):
    entity = _entity_or_404(entity_id)
    form = TagsForm()
    status, error = 200, ""
    if form.validate_on_submit():
        try:
            svc.set_tags(_me(), entity, form.tags.data)
        except Invalid as exc:
            db.session.rollback()
            db.session.refresh(entity)
            error, status = exc.message, 400
        else:
            db.session.commit()
    else:
        status, error = 400, "请求有误，请刷新页面后重试"
    if is_htmx():
        return render_template(
            "entities/_tags.html", entity=entity, can_edit=True, tags_form=form, error=error
        ), status
    if error:
        flash(error, "error")
    else:
        flash("已保存标签", "success")
    return redirect(url_for("entities.detail", entity_id=entity.id))


@bp.route("/<int:entity_id>/delete", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def delete(entity_id: int):
    entity = _entity_or_404(entity_id)
    refusal = svc.delete_refusal(entity)
    if request.method == "POST":  # CSRFProtect has checked the token
        name = entity.name
        svc.delete_entity(_me(), entity)  # a Conflict becomes the 409 page
        db.session.commit()
        flash(f"已删除市场主体“{name}”", "success")
        return redirect(url_for("entities.index"))
    return render_template("entities/delete.html", entity=entity, refusal=refusal)


# ------------------------------------------------------------------ import


@bp.route("/import/template.xlsx")
@login_required
@roles_required(*EDITORS)
def import_template():
    wb = build_workbook(
        "市场主体",
        entity_import.TEMPLATE_COLUMNS,
        instructions=entity_import.template_instructions(),
        template_rows=500,
    )
    return send_file(
        io.BytesIO(workbook_bytes(wb)), mimetype=XLSX_MIME, as_attachment=True, download_name="市场主体库导入模板.xlsx"
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
@roles_required(*EDITORS)
def import_upload():
    form = ImportForm()
    status, error, problems = 200, "", []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch, _check = entity_import.store_import(_me(), upload.filename or "", upload.read())
        except ExcelError as exc:
            db.session.rollback()
            error, status = str(exc), 400
            problems = [p for p in getattr(exc, "problems", []) if p != error]
        else:
            db.session.commit()
            return redirect(url_for("entities.import_preview", batch_id=batch.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "entities/import.html",
        form=form,
        error=error,
        problems=problems,
        max_rows=entity_import.MAX_IMPORT_ROWS,
        max_mb=entity_import.MAX_UPLOAD_BYTES // 1024 // 1024,
    ), status


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not entity_import.can_use_batch(_me(), batch):
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>")
@login_required
@roles_required(*EDITORS)
def import_preview(batch_id: int):
    batch = _batch_or_404(batch_id)
    expired = is_expired(batch)
    summary = entity_import.batch_summary(batch)
    pending = batch.status == ImportStatus.PENDING and not expired
    job = jobs.latest_for(entity_import.BATCH_SUBJECT, batch.id)
    if job is not None and job.state == JobStatus.QUEUED:
        jobs.kick()  # a queued job left by a restart starts again when its page is open
    return render_template(
        "entities/import_preview.html",
        batch=batch,
        check=summary.get("check") if pending else None,
        result=summary if batch.status == ImportStatus.IMPORTED else None,
        expired=expired,
        job=job,
        panel=jobs.panel(job, link=False) if job is not None and job.state.active and pending else None,
        failed=job if job is not None and job.state == JobStatus.FAILED and pending else None,
    )


@bp.route("/import/<int:batch_id>/errors")
@login_required
@roles_required(*EDITORS)
def import_errors(batch_id: int):
    batch = _batch_or_404(batch_id)
    data, ext = entity_import.annotated_copy(_me(), batch)
    db.session.commit()
    stem = batch.filename.rsplit(".", 1)[0] or "导入文件"
    mimetype = XLSX_MIME if ext == "xlsx" else "text/csv"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=f"{stem}_问题标注.{ext}")


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_confirm(batch_id: int):
    batch = _batch_or_404(batch_id)
    threshold = int(current_app.config.get("IMPORT_JOB_ROWS", entity_import.IMPORT_JOB_ROWS))
    if entity_import.runs_as_job(batch, threshold):
        entity_import.enqueue_import(_me(), batch)
        db.session.commit()
        jobs.kick()
        flash("文件较大，已转入后台导入，完成前可离开本页，稍后回到本页查看结果", "info")
        return redirect(url_for("entities.import_preview", batch_id=batch.id))
    try:
        summary = entity_import.import_entities(_me(), batch)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("导入期间数据已被他人修改，请返回预览页重新校验后再导入") from None
    flash(entity_import.summary_text(summary), "success")
    return redirect(url_for("entities.import_preview", batch_id=batch.id))


@bp.route("/import/<int:batch_id>/discard", methods=["POST"])
@login_required
@roles_required(*EDITORS)
def import_discard(batch_id: int):
    batch = _batch_or_404(batch_id)
    if jobs.active_for(entity_import.BATCH_SUBJECT, batch.id) is not None:
        raise Conflict("该批次正在导入，不能放弃")
    entity_import.discard_import(_me(), batch)
    db.session.commit()
    flash("已放弃该批次，上传的文件已删除", "info")
    return redirect(url_for("entities.import_upload"))
