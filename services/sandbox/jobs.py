"""The monitor and the pushes as background jobs (persistence/jobs.py) and as one call for
``flask sandbox monitor`` (docs/sandbox.md, docs/deploy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import Job, User, db
from persistence import jobs
from services.sandbox import clues, monitor, webhooks

MONITOR_JOB = "sandbox_monitor"
DELIVER_JOB = "sandbox_deliver"
SUBJECT = "sandbox"


@dataclass
class DailyResult:
    monitor: monitor.MonitorResult
    started: int
    delivery: webhooks.DeliveryResult

    def summary(self) -> str:
        return f"{self.monitor.summary()}；推送{self.started}条线索；{self.delivery.summary()}"


def daily(*, force: bool = False, transport: webhooks.Transport | None = None) -> DailyResult:
    """监测 (once a China day unless forced), start the new clues' instances (推送信息, 短信),
    then send the webhooks that are due.  Nothing committed here."""
    result = monitor.run(db.session, force=force)
    started = clues.dispatch()
    delivered = webhooks.deliver_due(clues.record, transport=transport)
    return DailyResult(result, started, delivered)


def enqueue_monitor(actor: User) -> Job:
    running = jobs.active_for(SUBJECT, 0)
    if running is not None:
        return running
    return jobs.enqueue(MONITOR_JOB, actor, title="信用沙盒监测", subject_type=SUBJECT, subject_id=0)


@jobs.register(MONITOR_JOB)
def _monitor_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    progress(0, 1, "正在监测信用沙盒事项")
    result = daily(force=True)
    progress(1, 1, "监测完成")
    return {"text": result.summary(), "opened": result.monitor.opened, "closed": result.monitor.closed}


@jobs.register(DELIVER_JOB)
def _deliver_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    result = webhooks.deliver_due(clues.record)
    return {"text": result.summary()}
