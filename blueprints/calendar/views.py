"""/admin/calendar: 节假日 — the holiday table that working-day deadlines are counted on.

Every 系统管理员 may read it; the top department's administrators edit it (the arrangement is
national, persistence/workdays.can_edit_calendar).  Views load, authorize, call persistence/workdays
and commit once.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from blueprints.common import current_actor
from blueprints.web import roles_required
from infrastructure.errors import Invalid
from infrastructure.excel import parse_date
from models import DayKind, db
from models.roles import Role
from persistence import workdays
from services.plan_queries import today

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


def _year_arg(value: str | None, default: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 1949 <= int(value) <= 2200:
        raise Invalid("年份不正确")
    return int(value)


def _page(year: int, status: int = 200, form: dict[str, str] | None = None):
    overview = workdays.years_overview()
    covered = {y for y, c, _, _ in overview if c}
    return render_template(
        "calendar/index.html",
        year=year,
        days=workdays.year_days(year),
        overview=overview,
        covered=year in covered,
        can_edit=workdays.can_edit_calendar(current_actor()),
        kinds=list(DayKind),
        form=form or {},
    ), status


@bp.route("/")
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def index():
    return _page(_year_arg(request.args.get("year"), today().year))


@bp.route("/days", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def save_day():
    form = {k: (request.form.get(k) or "").strip() for k in ("day", "kind", "name")}
    me = current_actor()
    workdays.require_editor(me)
    try:
        day = parse_date(form["day"])
        if day is None:
            raise Invalid("请填写日期，如 2027-01-01", field="day")
        row = workdays.save_day(me, day, form["kind"], form["name"])
    except (Invalid, ValueError) as exc:
        db.session.rollback()
        flash(exc.message if isinstance(exc, Invalid) else f"日期：{exc}", "error")
        year = _year_arg(request.form.get("year"), today().year)
        return _page(year, 400, form)
    db.session.commit()
    flash(f"已保存 {row.day.isoformat()}（{DayKind(row.kind).label} {row.name}）", "success")
    return redirect(url_for("calendar.index", year=row.day.year))


@bp.route("/days/delete", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def delete_day():
    me = current_actor()
    workdays.require_editor(me)
    try:
        day = parse_date(request.form.get("day") or "")
    except ValueError:
        day = None
    if day is None:
        raise Invalid("日期格式不正确，如 2027-01-01")
    workdays.delete_day(me, day)
    db.session.commit()
    flash(f"已删除 {day.isoformat()}", "success")
    return redirect(url_for("calendar.index", year=day.year))


@bp.route("/years", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def set_year():
    year = _year_arg(request.form.get("year"), 0)
    covered = request.form.get("covered") == "1"
    workdays.set_year_covered(current_actor(), year, covered)
    db.session.commit()
    flash(f"{year}年节假日安排已" + ("标为录入完整，可按该年计算期限" if covered else "标为未录入完整"), "success")
    return redirect(url_for("calendar.index", year=year))
