"""A full run of the risk rules as a background job (persistence/jobs.py), e.g. after a rule's
parameters were changed: ``enqueue_run(actor)`` queues it (the view commits and kicks the
runner); the nightly run is ``flask risk run`` from cron (docs/deploy.md)."""

from __future__ import annotations

from typing import Any

from infrastructure.errors import Invalid
from models import Job, User, db
from persistence import jobs
from services.risk.catalogue import AUTOMATIC_CODES, definition
from services.risk.evaluate import evaluate

JOB_KIND = "risk_run"
SUBJECT = "risk_rule"


def enqueue_run(actor: User, code: str | None = None) -> Job:
    """Queue a full run of every rule (or of ``code``); the running one is returned if any."""
    if code is not None and code not in AUTOMATIC_CODES:
        raise Invalid(f"没有可自动运行的预警规则“{code}”")
    running = jobs.active_for(SUBJECT, 0)
    if running is not None:
        return running
    title = f"运行{definition(code).name}规则" if code else "运行全部风险预警规则"
    return jobs.enqueue(JOB_KIND, actor, title=title, payload={"code": code}, subject_type=SUBJECT, subject_id=0)


@jobs.register(JOB_KIND)
def _job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    code = job.params.get("code")
    progress(0, 1, "正在运行风险预警规则")
    result = evaluate(db.session, codes=[code] if code else None)
    progress(1, 1, "运行完成")
    return {"text": result.summary(), "opened": result.opened, "closed": result.closed,
            "refreshed": result.refreshed}
