"""/processes: the catalogue of the standard's 31 diagrams, and process instances."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.common import get_visible_or_404
from models import InstanceParty, ProcessInstance, WorkItem, db
from models.workflow import InstanceStatus
from persistence.org import partner_departments
from persistence.scope import scope_instances
from workflows import bindings, engine
from workflows.diagram_svg import print_tiles, render_svg
from workflows.errors import ProcessError
from workflows.lanes import RELATION_LABELS
from workflows.registry import PROCESSES, get_process

bp = Blueprint("processes", __name__, url_prefix="/processes")


@lru_cache(maxsize=64)
def _plain_svg(table: int) -> str:
    """The diagram without an instance drawn over it: derived from code, so cached per worker."""
    return render_svg(get_process(table))


def _process_or_404(table: int):
    try:
        return get_process(table)
    except LookupError:
        abort(404)


@bp.route("/")
@login_required
def catalogue():
    return render_template("processes/catalogue.html", processes=list(PROCESSES.values()))


@bp.route("/<int:table>")
@login_required
def detail(table: int):
    process = _process_or_404(table)
    return render_template(
        "processes/detail.html",
        process=process,
        svg=_plain_svg(table),
        tiles=print_tiles(_plain_svg(table)),
        can_start=engine.can_start(current_user, process),
        missing_guards=engine.missing_guards(process),
    )


@bp.route("/<int:table>.svg")
@login_required
def diagram_svg(table: int):
    process = _process_or_404(table)
    return Response(_plain_svg(process.table), mimetype="image/svg+xml")


@bp.route("/<int:table>/start", methods=["GET", "POST"])
@login_required
def start(table: int):
    process = _process_or_404(table)
    if engine.missing_guards(process):
        raise ProcessError("该业务流程依赖的业务数据尚未接入，暂不能发起")
    if not engine.can_start(current_user, process):
        abort(403)
    business_start = bindings.start_url(table)
    if business_start:  # this process starts on its chapter's page, with its data
        return redirect(business_start)
    candidates = partner_departments(current_user.department) if process.starter_relations else []
    status = 200
    if request.method == "POST":
        parties = {rel: request.form.getlist(rel, type=int) for rel in process.starter_relations}
        try:
            instance = engine.start(table, current_user, title=request.form.get("title", ""), parties=parties)
        except ProcessError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            status = exc.status
        else:
            db.session.commit()
            flash("已发起", "success")
            return redirect(url_for("processes.instance", instance_id=instance.id))
    return (
        render_template(
            "processes/start.html",
            process=process,
            candidates=candidates,
            relation_labels=RELATION_LABELS,
            form=request.form,
        ),
        status,
    )


@bp.route("/instances")
@login_required
def instances():
    query = scope_instances(select(ProcessInstance), current_user)
    state = request.args.get("status", "")
    if state in {s.value for s in InstanceStatus}:
        query = query.where(ProcessInstance.status == state)
    table = request.args.get("table", type=int)
    if table:
        query = query.where(ProcessInstance.process_table == table)
    page = db.paginate(query.order_by(ProcessInstance.id.desc()), per_page=30, error_out=False)
    return render_template(
        "processes/instances.html", page=page, processes=PROCESSES, state=state, table=table, statuses=InstanceStatus
    )


# What the instance page shows, loaded with the instance: the history, the work items and the
# parties with their departments: five statements instead of seven, one round trip each.
INSTANCE_PAGE_LOADS = (
    selectinload(ProcessInstance.history),
    selectinload(ProcessInstance.work_items).joinedload(WorkItem.department),
    selectinload(ProcessInstance.parties).joinedload(InstanceParty.department),
)


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int):
    inst = get_visible_or_404(ProcessInstance, instance_id, options=INSTANCE_PAGE_LOADS)
    process = get_process(inst.process_table)
    visited, taken = engine.path_of(inst)
    svg = render_svg(
        process,
        visited=visited,
        taken=taken,
        current=inst.current_step or None,
        ended=inst.status != InstanceStatus.ACTIVE,
    )
    mine = engine.actions_for(current_user, inst)  # asked once: it reads the work items and roles
    return render_template(
        "processes/instance.html",
        inst=inst,
        process=process,
        svg=svg,
        tiles=print_tiles(svg),
        actions=[a for a in mine if not bindings.is_business_step(inst.process_table, a.step.key)],
        business_items=[a.item for a in mine if bindings.is_business_step(inst.process_table, a.step.key)],
        subject=bindings.subject_link(inst.subject_type, inst.subject_id),
        can_withdraw=engine.can_withdraw(current_user, inst),
    )


@bp.route("/instances/<int:instance_id>/items/<int:item_id>", methods=["POST"])
@login_required
def act(instance_id: int, item_id: int):
    inst = get_visible_or_404(ProcessInstance, instance_id)
    item = next((i for i in inst.work_items if i.id == item_id), None)
    if item is None:
        abort(404)
    if bindings.is_business_step(inst.process_table, item.step_key):
        raise ProcessError("该环节须在业务页面填写后办理，请从“业务对象”链接进入")
    version = request.form.get("version", type=int)
    if version is None:
        raise ProcessError("表单缺少版本号，请刷新页面后重试")
    engine.complete(
        current_user,
        item_id,
        request.form.get("outcome", ""),
        version=version,
        comment=request.form.get("comment", ""),
    )
    db.session.commit()
    flash("已办理", "success")
    return redirect(url_for("processes.instance", instance_id=instance_id))


@bp.route("/instances/<int:instance_id>/withdraw", methods=["POST"])
@login_required
def withdraw(instance_id: int):
    inst = get_visible_or_404(ProcessInstance, instance_id)
    version = request.form.get("version", type=int)
    if version is None:
        raise ProcessError("表单缺少版本号，请刷新页面后重试")
    engine.withdraw(current_user, inst.id, version=version)
    db.session.commit()
    flash("已撤回", "success")
    return redirect(url_for("processes.instance", instance_id=instance_id))
