"""``flask trigger build``: 监测并生成触发式对象库 for every department (nightly, after
``flask risk run``; docs/trigger.md), and the same build as a background job."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask

from models import Job, User, db
from persistence import jobs
from services.trigger.library import build

JOB_KIND = "trigger_build"


def enqueue_build(actor: User) -> Job:
    """Queue a build of the actor's department's library (the running one is returned if any)."""
    running = jobs.active_for("trigger_library", actor.department_id)
    if running is not None:
        return running
    return jobs.enqueue(JOB_KIND, actor, title="生成触发式对象库", payload={"department_id": actor.department_id},
                        subject_type="trigger_library", subject_id=actor.department_id)


@jobs.register(JOB_KIND)
def _job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    progress(0, 1, "正在生成触发式对象库")
    department = job.params.get("department_id")
    result = build(db.session, department_ids=[department] if department else None)
    progress(1, 1, "生成完成")
    return {"text": result.summary(), "opened": result.opened, "closed": result.closed}


def register_trigger_cli(app: Flask) -> None:
    @app.cli.group("trigger")
    def trigger_group() -> None:
        """触发式双随机监管。"""

    @trigger_group.command("build")
    @click.option("--department", "department_id", type=int, default=None, help="只生成该监管部门（编号）的对象库")
    def build_command(department_id: int | None) -> None:
        """按触发式规则监测并生成触发式对象库（每日在风险预警运行后定时运行；可重复运行）。"""
        result = build(db.session, department_ids=[department_id] if department_id else None)
        db.session.commit()
        click.echo(f"{result.summary()}，用时 {result.seconds:.2f} 秒")
