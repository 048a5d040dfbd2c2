"""/court: 企业送达信息共享 (表34; docs/court.md) as the 监管部门 read it — the court's calls with
filters, one entity's calls and cases, one case's delivery history, the statistics, their Excel
exports, and the section of the entity dossier (``court_panel``, templates/court/_dossier.html).

The court itself works through /api/v1 (services/api/court.py).  Every page is limited to the
entities of the reader's area: another district's entity or case answers 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure import clock
from infrastructure.excel import XLSX_MIME, workbook_bytes
from models import CourtCase, MarketEntity, db
from persistence import audit
from services.court import export, queries
from services.court.sharing import SUBJECT, TABLE
from workflows import subjects

bp = Blueprint("court", __name__, url_prefix="/court")


@bp.app_template_global()
def court_panel(entity: MarketEntity) -> Any:
    """The court's calls and cases about ``entity`` for the dossier; None for a reader who is not
    of the 监管部门 (the dossier's other readers)."""
    me = current_actor()
    if not me.has_role(*queries.VIEW_ROLES):
        return None
    return queries.entity_court(entity, lookups=10)


def _xlsx(wb: Any, name: str) -> Response:
    resp = Response(workbook_bytes(wb), mimetype=XLSX_MIME)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/calls")
@login_required
@roles_required(*queries.VIEW_ROLES)
def calls():
    """法院调用记录: every call of the court about the area's entities, newest first."""
    flt = queries.parse_call_filters(request.args)
    page = queries.calls(current_actor(), flt)
    return render_template("court/calls.html", page=page, flt=flt, kinds=queries.KIND_LABELS,
                           results=queries.RESULT_CHOICES, page_size=queries.PAGE_SIZE)


@bp.route("/calls.xlsx")
@login_required
@roles_required(*queries.VIEW_ROLES)
def calls_export():
    me = current_actor()
    flt = queries.parse_call_filters(request.args)
    wb, count = export.calls_workbook(me, flt)
    audit.record("export", object_type="court_call", summary={"导出": "法院调用记录", "条数": count, **flt.args()}, user=me)
    db.session.commit()
    return _xlsx(wb, f"法院调用记录（{clock.china_today().isoformat()}）.xlsx")


@bp.route("/entities/<int:id>")
@login_required
@roles_required(*queries.VIEW_ROLES)
def entity(id: int):
    """One entity: the court's lookups and cases (the subject page of its 表34 instances)."""
    found = get_visible_or_404(MarketEntity, id)
    court = queries.entity_court(found, lookups=200)
    instances = subjects.instances(SUBJECT, found.id, tables=(TABLE,), newest_first=True)[:50]
    return render_template("court/entity.html", e=found, court=court, instances=instances)


@bp.route("/cases/<int:case_id>")
@login_required
@roles_required(*queries.VIEW_ROLES)
def case(case_id: int):
    """One case and its deliveries, oldest first (the evidence of 司法送达失败预警)."""
    found = get_visible_or_404(CourtCase, case_id, queries.case_visible)
    return render_template("court/case.html", case=found, e=found.entity)


def _stats() -> queries.Stats:
    return queries.statistics(current_actor(), queries.parse_stat_filters(request.args))


@bp.route("/statistics")
@login_required
@roles_required(*queries.VIEW_ROLES)
def statistics():
    """送达信息统计: calls per day or month, 送达/未送达, the entities with unserved cases."""
    return render_template("court/statistics.html", stats=_stats())


@bp.route("/statistics.xlsx")
@login_required
@roles_required(*queries.VIEW_ROLES)
def statistics_export():
    me = current_actor()
    stats = _stats()
    audit.record("export", object_type="court_statistics", summary={"导出": "送达信息统计", **stats.flt.args()}, user=me)
    db.session.commit()
    return _xlsx(export.statistics_workbook(stats), f"送达信息统计（{stats.flt.since}至{stats.flt.until}）.xlsx")
