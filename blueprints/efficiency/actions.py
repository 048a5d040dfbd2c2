"""/efficiency: 在线督办 and 效能规则 (seed 004 §7.2, §7.4; docs/efficiency.md).

A 督办 is sent from 办理详情 on one open work item by 部门领导, 效能监察 or 联席会议办公室 of the
work's scope; its recipients (the assignee and their 部门领导) open it from 我的待办 and answer
on its page, whatever their role.  The rules of an area are kept by 效能监察 and the
联席会议办公室; leaders read them.  Another area's rule or 督办 answers 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.efficiency.views import VIEW_ROLES, bp, refused
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import EfficiencyRule, Urge, WorkItem, db
from persistence.workdays import CalendarNotCovered
from services.efficiency import access, overdue, rules, urges
from services.efficiency.work import process_name, step_name


@bp.route("/items/<int:item_id>/urge", methods=["POST"])
@login_required
@roles_required(*VIEW_ROLES)
def urge_send(item_id: int):
    item = get_visible_or_404(WorkItem, item_id, access.can_view_item)
    back = url_for("efficiency.instance", instance_id=item.instance_id)
    try:
        urges.send(current_actor(), item, request.form.get("message", ""))
    except ServiceError as exc:
        db.session.rollback()
        return refused(exc, back)
    db.session.commit()
    flash("已发出督办，办理人员及其部门领导将收到通知", "success")
    return redirect(back)


@bp.route("/urges")
@login_required
@roles_required(*VIEW_ROLES)
def urges_page():
    status = request.args.get("status", "")
    return render_template("efficiency/urges.html", rows=urges.sent_and_received(current_actor(), status=status),
                           status=status, step_name=step_name)


@bp.route("/urges/<int:id>", methods=["GET", "POST"])
@login_required
def urge(id: int):
    row = get_visible_or_404(Urge, id, urges.can_view_urge)
    me = current_actor()
    if request.method == "POST":
        version = request.form.get("version", "")
        try:
            urges.answer(me, row, request.form.get("response", ""), int(version) if version.isdigit() else None)
        except ServiceError as exc:
            db.session.rollback()
            return refused(exc, url_for("efficiency.urge", id=id))
        db.session.commit()
        flash("已回复督办", "success")
        return redirect(url_for("efficiency.urge", id=id))
    return render_template("efficiency/urge.html", urge=row, can_answer=urges.is_recipient(me, row),
                           can_view_detail=me.has_role(*VIEW_ROLES) and access.can_view_item(me, row.work_item),
                           step=step_name(row.work_item.process_table, row.work_item.step_key),
                           process=process_name(row.work_item.process_table))


@bp.route("/rules", methods=["GET", "POST"])
@login_required
@roles_required(*VIEW_ROLES)
def rules_page():
    me = current_actor()
    if request.method == "POST":
        try:
            rules.save_rule(me, None, request.form)
        except ServiceError as exc:
            db.session.rollback()
            return refused(exc, url_for("efficiency.rules_page"))
        db.session.commit()
        flash("已添加效能规则", "success")
        return redirect(url_for("efficiency.rules_page"))
    error = ""
    try:
        warnings = overdue.rule_warnings(me)
    except CalendarNotCovered as exc:
        warnings, error = {}, exc.message
    return render_template("efficiency/rules.html", rows=rules.rules_of(me), warnings=warnings, error=error,
                           processes=rules.process_choices(), process_name=process_name,
                           can_edit=me.has_role(*access.RULE_EDITORS))


@bp.route("/rules/<int:id>", methods=["GET", "POST"])
@login_required
@roles_required(*VIEW_ROLES)
def rule(id: int):
    row = get_visible_or_404(EfficiencyRule, id, rules.can_view_rule)
    me = current_actor()
    if request.method == "POST":
        try:
            rules.save_rule(me, row, request.form)
        except ServiceError as exc:
            db.session.rollback()
            return refused(exc, url_for("efficiency.rule", id=id))
        db.session.commit()
        flash("已保存效能规则", "success")
        return redirect(url_for("efficiency.rules_page"))
    return render_template("efficiency/rule.html", rule=row, processes=rules.process_choices(),
                           can_edit=me.has_role(*access.RULE_EDITORS))


@bp.route("/rules/<int:id>/delete", methods=["POST"])
@login_required
@roles_required(*VIEW_ROLES)
def rule_delete(id: int):
    row = get_visible_or_404(EfficiencyRule, id, rules.can_view_rule)
    try:
        rules.delete_rule(current_actor(), row)
    except ServiceError as exc:
        db.session.rollback()
        return refused(exc, url_for("efficiency.rules_page"))
    db.session.commit()
    flash("已删除效能规则", "success")
    return redirect(url_for("efficiency.rules_page"))
