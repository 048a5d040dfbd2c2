"""Home and 我的待办 (the inbox)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from workflows import bindings, engine
from workflows.registry import get_process

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    if current_user.is_admin_only:
        from models.roles import Role

        if current_user.has_role(Role.AUDITOR):
            return redirect(url_for("audit.index"))
        return redirect(url_for("admin.users"))
    return redirect(url_for("main.inbox"))


@bp.route("/inbox", endpoint="inbox")
@login_required
def inbox_page():
    items = engine.inbox(current_user)
    rows = [(item, get_process(item.process_table)) for item in items]
    from services.campaigns.overview import reminders as campaign_reminders
    from services.daily.escalation import todo as daily_todo
    from services.deadlines import reminders_for
    from services.efficiency.urges import todo as urges_todo
    from services.followup_rules import record_of
    from services.followups import waiting_for
    from services.notice.queries import waiting_for as notices_waiting
    from services.plan_queries import annual_plan_warning, today
    from services.reports.todo import todo as report_todo
    from services.risk.digest import open_digests

    return render_template(
        "main/inbox.html",
        rows=rows,
        business_url=_business_url,
        plan_warning=annual_plan_warning(current_user),
        followups=waiting_for(current_user),
        record_of=record_of,
        reminders=reminders_for(current_user),
        risk_digests=open_digests(current_user),
        campaign_reminders=campaign_reminders(current_user, today()),
        notices=notices_waiting(current_user),
        daily=daily_todo(current_user),
        reports=report_todo(current_user),
        urges=urges_todo(current_user),
    )


def _business_url(item) -> str | None:
    """A step done on its subject's page opens that page (workflows.bindings)."""
    page = bindings.step_link(item.process_table, item.step_key, item.instance.subject_id)
    if page is not None:
        return page
    if not bindings.is_business_step(item.process_table, item.step_key):
        return None
    link = bindings.subject_link(item.instance.subject_type, item.instance.subject_id)
    return link[1] if link else None



@bp.route("/inbox/count")
@login_required
def inbox_count():
    """The header badge, polled by htmx; does not renew the idle timer."""
    from services.todo_count import todo_count

    count = todo_count(current_user)
    return str(count) if count else ""
