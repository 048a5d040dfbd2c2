"""/sanctions/catalogue: 联合奖惩事项清单 (表30 新增, 表31 维护; docs/sanctions.md).

The 牵头部门 adds, publishes, selects, suspends, edits or deletes an entry on the entry's own
pages; everybody of the area reads the published catalogue and downloads it (Excel, PDF).
Views load (404 when absent or not visible), call services/sanctions/catalogue and commit once;
a refused form shows its page again with the message and what was typed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Response, flash, redirect, render_template, request, send_file, url_for

from blueprints.common import current_actor, get_visible_or_404
from blueprints.sanctions import bp
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from infrastructure.excel import XLSX_MIME
from models import SanctionEntry, db
from models.roles import Role
from models.sanctions import EntryKind, EntryStatus
from services.sanctions import catalogue, exports

VIEW_ROLES = (Role.LEADING_DEPARTMENT, Role.CLERK, Role.DEPT_LEADER)
LEAD = (Role.LEADING_DEPARTMENT,)


def _entry(entry_id: int) -> SanctionEntry:
    return get_visible_or_404(SanctionEntry, entry_id, catalogue.can_view)


def _version() -> int | None:
    raw = request.form.get("lock_version", "")
    return int(raw) if raw.isdigit() else None


def _fields() -> dict[str, Any]:
    return catalogue.read_form(current_actor(), request.form, request.form.getlist("measure_department"),
                               request.form.getlist("measure_content"))


def _act(action: Callable[[], Any], done: str, target: Callable[[], str], page: Callable[..., Any]) -> Any:
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        return page(error=exc.message, status=exc.status)
    db.session.commit()
    flash(done, "success")
    return redirect(target())


@bp.route("/catalogue")
@roles_required(*VIEW_ROLES)
def catalogue_index() -> Any:
    me = current_actor()
    args = request.args
    filters = {"q": args.get("q", "").strip()[:100], "status": args.get("status", ""),
               "agency": args.get("agency", "").strip()[:100], "department_id": args.get("department_id", type=int)}
    entries = db.session.execute(catalogue.list_query(me, **filters).limit(500)).scalars().all()
    return render_template("sanctions/catalogue.html", entries=entries, filters=filters, statuses=EntryStatus,
                           departments=catalogue.implementing_choices(me), can_add=catalogue.is_leading(me))


def _form_page(entry: SanctionEntry | None, *, error: str = "", status: int = 200, title: str = "新增联合奖惩清单") -> Any:
    me = current_actor()
    form: Any = request.form if request.method == "POST" else None
    measures: list[tuple[str, str]]
    if form is not None:
        measures = list(zip(form.getlist("measure_department"), form.getlist("measure_content"), strict=False))
    elif entry is not None:
        measures = [(str(m.department_id), m.content) for m in entry.measures]
    else:
        measures = []
    measures += [("", "")] * max(3 - len(measures), 1)
    return render_template("sanctions/entry_form.html", entry=entry, form=form, error=error, title=title,
                           measures=measures, kinds=EntryKind, natures=catalogue.NATURES,
                           departments=catalogue.implementing_choices(me)), status


@bp.route("/catalogue/new", methods=["GET", "POST"])
@roles_required(*LEAD)
def catalogue_new() -> Any:
    if request.method == "GET":
        return _form_page(None)
    created: list[SanctionEntry] = []
    return _act(lambda: created.append(catalogue.create_entry(current_actor(), _fields())),
                "已保存，请核对后发布", lambda: url_for("sanctions.entry", id=created[0].id),
                lambda **kw: _form_page(None, **kw))


@bp.route("/catalogue/<int:id>")
@roles_required(*VIEW_ROLES)
def entry(id: int, error: str = "", status: int = 200) -> Any:
    item = _entry(id)
    me = current_actor()
    return render_template("sanctions/entry.html", entry=item, step=catalogue.open_step(me, item),
                           lead=catalogue.is_leading(me, item), versions=catalogue.versions(item),
                           payload_of=catalogue.publication.payload_of, open_tasks=catalogue.open_tasks(item),
                           error=error), status


@bp.route("/catalogue/<int:id>/edit", methods=["GET", "POST"])
@roles_required(*LEAD)
def entry_edit(id: int) -> Any:
    item = _entry(id)
    me = current_actor()
    step = catalogue.open_step(me, item)
    if step not in ("publish", "choose") or item.status == EntryStatus.DELETED:
        flash("该事项当前不能修改：已发布的事项请先选择维护并停用", "error")
        return redirect(url_for("sanctions.entry", id=item.id))
    title = "修改联合奖惩清单"
    if request.method == "GET":
        return _form_page(item, title=title)

    def save() -> None:
        fields = _fields()
        if step == "choose":
            catalogue.edit(me, item, _version(), fields)
        else:
            catalogue.update_draft(me, item, _version(), fields)

    return _act(save, "已保存修改，请发布", lambda: url_for("sanctions.entry", id=item.id),
                lambda **kw: _form_page(item, title=title, **kw))


def _verb(entry_id: int, verb: Callable[..., None], done: str) -> Any:
    item = _entry(entry_id)
    return _act(lambda: verb(current_actor(), item), done, lambda: url_for("sanctions.entry", id=item.id),
                lambda **kw: entry(item.id, **kw))


@bp.post("/catalogue/<int:id>/publish")
@roles_required(*LEAD)
def entry_publish(id: int) -> Any:
    return _verb(id, catalogue.publish, "已发布")


@bp.post("/catalogue/<int:id>/select")
@roles_required(*LEAD)
def entry_select(id: int) -> Any:
    return _verb(id, catalogue.select_for_maintenance, "已选择该事项进行维护，请先停用")


@bp.post("/catalogue/<int:id>/suspend")
@roles_required(*LEAD)
def entry_suspend(id: int) -> Any:
    return _verb(id, catalogue.suspend, "已停用，请选择修改或删除")


@bp.post("/catalogue/<int:id>/delete")
@roles_required(*LEAD)
def entry_delete(id: int) -> Any:
    return _verb(id, catalogue.delete, "已删除，请发布删除结果")


def _published() -> list[SanctionEntry]:
    query = catalogue.list_query(current_actor(), status=EntryStatus.PUBLISHED).order_by(None).order_by(SanctionEntry.id)
    return list(db.session.execute(query).scalars())


def _download(data: bytes, mime: str, name: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)


@bp.route("/catalogue.xlsx")
@roles_required(*VIEW_ROLES)
def catalogue_xlsx() -> Response:
    return _download(exports.xlsx(_published()), XLSX_MIME, "联合奖惩事项清单.xlsx")


@bp.route("/catalogue.pdf")
@roles_required(*VIEW_ROLES)
def catalogue_pdf() -> Response:
    return _download(exports.pdf_bytes(_published()), "application/pdf", "联合奖惩事项清单.pdf")
