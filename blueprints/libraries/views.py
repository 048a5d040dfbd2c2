"""/libraries: 监管对象库 — the list, a library's page with its members and tags, 表3 新增
(选择监管对象库新增方式: 按模板导入 or 筛选录入), 表4 删除, 表5 新增标签, 表6 标签维护.

Views load (404 when absent or outside the user's department subtree), authorize (403), call
services/libraries.py, which drives the process engine in the same transaction, and commit
once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import render_block, roles_required, wants_fragment
from infrastructure.errors import Conflict, Invalid
from models import ObjectLibrary, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from services import entities as entity_svc
from services import entity_fields, entity_search
from services import libraries as svc
from services.imports import libraries as library_kinds

bp = Blueprint("libraries", __name__, url_prefix="/libraries")

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES



def _library_or_404(ident: int) -> ObjectLibrary:
    return get_visible_or_404(ObjectLibrary, ident)


# ------------------------------------------------------------------ list and page


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    keyword = (request.args.get("q") or "").strip()[:100]
    page = svc.list_libraries(current_actor(), keyword, request.args.get("page", 1, type=int))
    return render_template(
        "libraries/index.html",
        page=page,
        keyword=keyword,
        args={"q": keyword} if keyword else {},
        tags=svc.tags_by_library(lib.id for lib in page.items),
        can_edit=svc.can_edit(current_actor()),
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
        "can_edit": svc.can_edit(current_actor()),
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
    return render_template("libraries/new.html", kinds=library_kinds.KINDS)


def _filter_context(form: dict[str, str], preview: svc.FilterPreview | None, **extra: Any) -> dict[str, Any]:
    registries = entity_svc.Registries(current_actor())
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
                current_actor(), form["library_name"], form, tags=form["tags"], description=form["description"]
            )
        except Invalid as exc:
            db.session.rollback()
            context = _filter_context(form, svc.preview_filter(current_actor(), form), error=exc.message,
                                      error_field=exc.field or "")
            return render_template("libraries/filter.html", **context), 400
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise Conflict("本部门已有同名的监管对象库，请换一个名称") from None
        flash(f"已入库：监管对象库“{library.name}”，共 {library.member_count} 个市场主体", "success")
        return redirect(url_for("libraries.detail", id=library.id))
    preview = svc.preview_filter(current_actor(), form) if request.args.get("preview") else None
    context = _filter_context(form, preview)
    if wants_fragment():
        return render_block("libraries/filter.html", "preview", **context)
    return render_template("libraries/filter.html", **context)


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
    deleted = svc.delete_library(current_actor(), library, confirmed=confirmed)
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
        svc.add_tag(current_actor(), library, value)
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
            svc.edit_tag(current_actor(), library, tag_id, value)
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
    deleted = svc.delete_tag(current_actor(), library, tag_id, confirmed=request.form.get("outcome") == "yes")
    db.session.commit()
    flash(f"已删除标签“{tag}”" if deleted else "已取消删除标签", "success" if deleted else "info")
    return redirect(url_for("libraries.detail", id=id))
