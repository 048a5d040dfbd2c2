"""/sanctions/objects: 联合惩戒分类查询, 单体验证 and 在线解除 (seed 004 §5.2–§5.3); /sanctions/batch-checks:
批量验证 (the upload is the import framework's /imports/sanction_verify/, the results are here)."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for

from blueprints.common import current_actor, get_visible_or_404
from blueprints.sanctions import bp
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import SanctionBatchCheck, SanctionObject, db
from models.roles import Role
from persistence import audit
from services.sanctions import batch_check, catalogue, verify
from services.sanctions import statistics as sanction_statistics
from services.sanctions.catalogue import NATURES

VIEW_ROLES = (Role.LEADING_DEPARTMENT, Role.CLERK, Role.DEPT_LEADER)


def _visible(user: Any, obj: SanctionObject) -> bool:
    return db.session.execute(verify.query(user).where(SanctionObject.id == obj.id)).first() is not None


@bp.route("/objects")
@roles_required(*VIEW_ROLES)
def objects(error: str = "", status: int = 200) -> Any:
    me = current_actor()
    a = request.args
    filters = {"entity_name": a.get("entity_name", "").strip()[:100], "person_name": a.get("person_name", "").strip()[:50],
               "code": a.get("code", "").strip()[:18], "nature": a.get("nature", ""),
               "measure": a.get("measure", "").strip()[:100], "entering_id": a.get("entering_id", type=int),
               "implementing_id": a.get("implementing_id", type=int)}
    page = db.paginate(verify.query(me, **filters), per_page=50, error_out=False)
    check, found = a.get("q", "").strip(), None
    if check:
        try:
            found = verify.single(me, check, a.get("department_id", type=int))
        except ServiceError as exc:
            error, status = exc.message, exc.status
    return render_template("sanctions/objects.html", page=page, filters=filters, natures=NATURES,
                           departments=catalogue.implementing_choices(me), check=check, found=found,
                           can_release=lambda o: verify.can_release(me, o), error=error), status


@bp.post("/objects/<int:id>/release")
@roles_required(Role.CLERK, Role.DEPT_LEADER)
def object_release(id: int) -> Any:
    obj = get_visible_or_404(SanctionObject, id, _visible)
    try:
        verify.release(current_actor(), obj, request.form.get("reason", ""))
    except ServiceError as exc:
        db.session.rollback()
        return objects(error=exc.message, status=exc.status)
    db.session.commit()
    flash("已解除，立即生效", "success")
    return redirect(url_for("sanctions.objects", code=obj.code))


@bp.route("/statistics")
@roles_required(*VIEW_ROLES)
def statistics() -> Any:
    return render_template("sanctions/statistics.html", rows=sanction_statistics.by_department(current_actor()))


@bp.route("/batch-checks")
@roles_required(*VIEW_ROLES)
def batch_checks() -> Any:
    """联合惩戒批量验证: the upload (the import framework's page) and the user's results."""
    return render_template("sanctions/batch_checks.html", rows=batch_check.latest(current_actor()),
                           chosen=request.args.get("check", type=int))


@bp.route("/batch-checks/<int:id>.xlsx")
@roles_required(*VIEW_ROLES)
def batch_check_file(id: int) -> Any:
    me = current_actor()
    kept = db.session.get(SanctionBatchCheck, id)
    if kept is None or kept.created_by_id != me.id:
        abort(404)
    audit.record("export", object_type="sanction_batch_check", object_id=kept.id,
                 summary={"文件": batch_check.download_name(kept)}, user=me)
    db.session.commit()
    return send_file(io.BytesIO(kept.content), as_attachment=True, download_name=batch_check.download_name(kept),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
