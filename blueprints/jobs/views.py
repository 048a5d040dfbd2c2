"""/jobs/<id>: the status panel of a background job (persistence/jobs.py).

The panel polls itself with htmx (``hx-trigger="every 1s"``, ``hx-target="this"``,
``hx-swap="outerHTML"``) while the job is queued or running; the answer of its last poll
has no trigger, so polling stops once the job is done or has failed.  A job is visible to
users of its department and the departments above it; anyone else gets 404.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from blueprints.common import get_visible_or_404
from blueprints.web import wants_fragment
from models import Job, JobStatus
from persistence import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/<int:job_id>")
@login_required
def detail(job_id: int):
    job = get_visible_or_404(Job, job_id)
    if job.state == JobStatus.QUEUED:
        jobs.kick()  # e.g. queued before a restart: whichever process shows it runs it
    elif job.state == JobStatus.RUNNING and jobs.recover_stale():
        job = get_visible_or_404(Job, job_id)
    context = {"panel": jobs.panel(job)}
    if wants_fragment():
        return render_template("jobs/_panel.html", **context)
    return render_template("jobs/detail.html", **context)
