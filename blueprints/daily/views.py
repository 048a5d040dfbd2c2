"""/daily: 监管认领, 对象维护 (seed 004 §1.2–§1.3; docs/daily.md).

The clerk (or leader) of a department keeps its 监管对象 here: 单体认领 by name or code, 批量认领
from a filtered list, the 认领规则 and their suggestions, 导入比对 (the import kind
``daily_claims``), 管理对象核查 and 移出管理, and 分配管理责任者.  A row of another department
answers 404.  The category and task pages are in categories.py and tasks.py (same blueprint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import Invalid, ServiceError
from models import db
from models.daily import ClaimRule, ObjectSource, OfficerRule, RuleKind, SupervisedObject
from models.entity import EntityType
from services.daily import access, objects, officers
from services.daily.objects import claim

bp = Blueprint("daily", __name__, url_prefix="/daily")

KEEPERS = access.KEEPERS
PAGE_SIZE = 200


def act(action: Callable[[], Any], done: str, target: str) -> Any:
    """Run a service verb; commit and go to ``target``, or roll back and answer the refusal's
    status with its message and a way back."""
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        return render_template("daily/refused.html", message=exc.message, back=target), exc.status
    db.session.commit()
    flash(done.format(result=result), "success")
    return redirect(target)


def own(model: Any, ident: int) -> Any:
    """A row of the actor's own department (404 otherwise)."""
    me = current_actor()
    return get_visible_or_404(model, ident, lambda actor, row: row.department_id == me.department_id)


def selected_ids(name: str = "ids") -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


@bp.route("/objects")
@login_required
@roles_required(*KEEPERS)
def objects_page():
    me = current_actor()
    officer = request.args.get("officer", "")
    query = objects.objects_query(me, pending=request.args.get("pending") == "1",
                                  officer_id=int(officer) if officer.isdigit() else None,
                                  text=request.args.get("q", ""))
    rows = db.session.execute(query.limit(PAGE_SIZE)).scalars().all()
    return render_template("daily/objects.html", rows=rows, me=me, args=request.args,
                           officers=access.officer_candidates(me.department))


@bp.route("/objects/claim-one", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def claim_one():
    me = current_actor()

    def run() -> str:
        entity = objects.find_entity(me, request.form.get("query", ""))
        if not claim(db.session, me.department_id, [entity.id], ObjectSource.CLAIM, me):
            raise Invalid(f"“{entity.name}”已是本部门的监管对象")
        return entity.name

    return act(run, "已将“{result}”列为监管对象", url_for("daily.objects_page"))


@bp.route("/objects/check", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def check():
    me = current_actor()
    return act(lambda: objects.check_removals(db.session, me.department), "管理对象核查完成：待移出 {result} 户",
               url_for("daily.objects_page", pending=1))


@bp.route("/objects/<int:id>/remove", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def remove_object(id: int):
    obj = own(SupervisedObject, id)
    me = current_actor()
    return act(lambda: objects.remove(me, obj, request.form.get("reason", "")), "已移出管理对象",
               url_for("daily.objects_page", pending=1))


@bp.route("/objects/assign", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def assign_objects():
    me = current_actor()
    rows = list(db.session.execute(select(SupervisedObject).where(
        SupervisedObject.id.in_(selected_ids()), SupervisedObject.department_id == me.department_id)).scalars())
    officer = request.form.get("officer_id", "")
    return act(lambda: officers.assign(me, rows, int(officer) if officer.isdigit() else None),
               "已为 {result} 户指定管理责任者", url_for("daily.objects_page"))


@bp.route("/objects/auto-assign", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def auto_assign():
    me = current_actor()
    return act(lambda: officers.auto_assign(db.session, me.department, me), "按规则分配管理责任者 {result} 户",
               url_for("daily.objects_page"))


@bp.route("/claim", methods=["GET", "POST"])
@login_required
@roles_required(*KEEPERS)
def claim_page():
    """批量认领 from a filtered list, and the rule suggestions (列为监管对象)."""
    me = current_actor()
    if request.method == "POST":
        source = ObjectSource.RULE if request.form.get("source") == "rule" else ObjectSource.CLAIM
        ids = selected_ids()

        def run() -> int:
            if not ids:
                raise Invalid("请选择要认领的市场主体")
            return claim(db.session, me.department_id, ids, source, me)

        return act(run, "已列为监管对象 {result} 户", url_for("daily.claim_page"))
    args = request.args
    condition = objects.filter_condition(args.get("name", ""), args.get("industry", ""), args.get("scope", ""),
                                         args.get("type", ""))
    found = objects.candidates(me, condition) if condition is not None else []
    return render_template("daily/claim.html", found=found, suggestions=objects.suggestions(me), args=args,
                           types=list(EntityType))


@bp.route("/rules", methods=["GET", "POST"])
@login_required
@roles_required(*KEEPERS)
def rules():
    """认领规则 and 管理责任者分配规则 of the department."""
    me = current_actor()
    if request.method == "POST":
        form = request.form
        if form.get("which") == "officer":
            officer = form.get("officer_id", "")
            return act(lambda: officers.add_rule(me, form.get("kind", ""), form.get("value", ""),
                                                 int(officer) if officer.isdigit() else None, form.get("area", "")),
                       "已添加管理责任者分配规则", url_for("daily.rules"))
        return act(lambda: objects.add_rule(me, form.get("kind", ""), form.get("value", "")), "已添加认领规则",
                   url_for("daily.rules"))
    return render_template("daily/rules.html", claim_rules=objects.rules_of(me.department_id),
                           officer_rules=officers.rules_of(me.department_id), kinds=list(RuleKind),
                           claim_kinds=[RuleKind.NAME, RuleKind.INDUSTRY, RuleKind.SCOPE, RuleKind.TYPE],
                           officers=access.officer_candidates(me.department))


@bp.route("/rules/<int:id>/delete", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def delete_rule(id: int):
    rule = own(ClaimRule, id)
    me = current_actor()
    return act(lambda: objects.delete_rule(me, rule), "已删除认领规则", url_for("daily.rules"))


@bp.route("/officer-rules/<int:id>/delete", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def delete_officer_rule(id: int):
    rule = own(OfficerRule, id)
    me = current_actor()
    return act(lambda: officers.delete_rule(me, rule), "已删除管理责任者分配规则", url_for("daily.rules"))
