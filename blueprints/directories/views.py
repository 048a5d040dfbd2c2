"""/directories: 检查对象名录库 — the list, a directory with its members paged on the server,
the 表15 wizard (选择抽查事项 → 选择新增方式 → 下载模板 / 筛选市场主体 / 筛选名录库 → 入库) and
the 表16 deletion (选择删除方式 → 抽查事项 or 名录库 → 确认是否删除 → 删除).

Views load (404 when absent or outside the user's scope), authorize (403), call
services/directories.py and commit once.  Each addition or deletion is one request: the
service stores the data and walks the process instance in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required, wants_fragment
from infrastructure.errors import Conflict
from models import CheckItem, MemberKind, ObjectDirectory, db
from models.entity import CREDIT_GRADES, EntityStatus, EntityType
from services import directories as svc
from services import directory_members
from services.entities import Registries
from services.entity_fields import INDUSTRY_SECTIONS
from services.entity_search import parse_filters
from services.imports import directory_entities, directory_objects

bp = Blueprint("directories", __name__, url_prefix="/directories")
# 按模板导入: one import kind per template (/imports/<kind>/?item_id=…).
IMPORT_KINDS = sorted((*directory_entities.KINDS, *directory_objects.KINDS),
                      key=lambda k: [*svc.IMPORT_TEMPLATES].index(k.code))

VIEWERS = svc.VIEW_ROLES
EDITORS = svc.EDIT_ROLES


def _directory_or_404(directory_id: int) -> ObjectDirectory:
    return get_visible_or_404(ObjectDirectory, directory_id)


def _item_arg(name: str = "item") -> CheckItem:
    value = request.values.get(name, type=int)
    return svc.item_for(current_actor(), value)  # NotFound → 404 page


# ------------------------------------------------------------------ list and detail


@bp.route("/")
@login_required
@roles_required(*VIEWERS)
def index():
    me = current_actor()
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
    me = current_actor()
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
    me = current_actor()
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
    return render_template("directories/mode.html", item=item, directory=svc.directory_of(current_actor(), item),
                           kinds=IMPORT_KINDS)


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
    me = current_actor()
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
        result = _stored(lambda: svc.add_from_filter(current_actor(), item, parse_filters(request.form)))
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
    me = current_actor()
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
    me = current_actor()
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
        svc.delete_directory(current_actor(), directory, mode)
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
