"""Large imports run as a background job (persistence/jobs.py), for any kind that declares
``job_rows``: confirming a file of more rows queues one job of the kind "import", which
checks the file again and applies it in its own transaction, all or nothing, reporting its
progress (framework.checked/applied); the batch's page shows the job's status panel
(templates/jobs/_panel.html) and, once done, the result.

A kind with ``shown_once`` values (initial passwords) cannot run as a job: a job's result
is stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import ImportBatch, ImportStatus, Job, JobStatus, User, db
from persistence import jobs
from services import import_batches
from services.imports import framework
from services.imports.framework import ImportKind
from services.imports.registry import KINDS

JOB_KIND = "import"
SUBJECT = "import_batch"
QUEUED = "文件较大，已转入后台导入，完成前可离开本页，稍后回到本页查看结果"


def file_rows(batch: ImportBatch) -> int:
    """The data rows the upload's check found."""
    return int((import_batches.batch_summary(batch).get("check") or {}).get("rows") or 0)


def runs_as_job(kind: ImportKind, batch: ImportBatch) -> bool:
    threshold = kind.job_threshold()
    return threshold is not None and not kind.shown_once and file_rows(batch) > threshold


def ensure_idle(batch: ImportBatch, message: str = "该批次正在导入，请稍候查看结果") -> None:
    """Conflict while a job imports the batch (a second confirmation, or 放弃)."""
    if jobs.active_for(SUBJECT, batch.id) is not None:
        raise Conflict(message)


def _lock(batch: ImportBatch) -> None:
    """Serialise two confirmations of one batch: PostgreSQL locks the row, SQLite takes its
    write lock, until the transaction ends."""
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(status=ImportBatch.status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(batch)


def enqueue(kind: ImportKind, actor: User, batch: ImportBatch, *, valid_only: bool) -> Job:
    """全部导入 / 仅导入有效行 of a large file, queued in the caller's transaction (the view
    commits, then calls jobs.kick)."""
    if not kind.can_use(actor, batch):
        raise Forbidden(kind.denied)
    _lock(batch)
    import_batches.ensure_pending(batch)
    ensure_idle(batch)
    check = import_batches.batch_summary(batch).get("check") or {}
    if check.get("invalid") and not valid_only:
        raise Invalid(f"文件中有{check['invalid']}行有问题，未导入任何数据：请修改后重新上传，或选择“仅导入有效行”")
    if not check.get("valid"):
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    return jobs.enqueue(
        JOB_KIND,
        actor,
        title=f"{kind.title}：{batch.filename}",
        payload={"kind": kind.name, "batch_id": batch.id, "valid_only": valid_only},
        subject_type=SUBJECT,
        subject_id=batch.id,
    )


def job_state(batch: ImportBatch) -> dict[str, Any]:
    """What the batch's page shows of its job: the status panel while it runs, the failure
    while the batch still waits; a job queued before a restart starts again."""
    job = jobs.latest_for(SUBJECT, batch.id)
    if job is None:
        return {"panel": None, "failed": None}
    if job.state == JobStatus.QUEUED:
        jobs.kick()
    pending = batch.status == ImportStatus.PENDING.value and not import_batches.is_expired(batch)
    return {
        "panel": jobs.panel(job, link=False) if job.state.active and pending else None,
        "failed": job if job.state == JobStatus.FAILED and pending else None,
    }


def _batch_page(job: Job) -> str:
    from flask import url_for

    return url_for("imports.preview", kind=job.params.get("kind"), batch_id=job.subject_id)


@jobs.register(JOB_KIND, link=_batch_page)
def _run(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    kind = KINDS.get(job.params.get("kind", ""))
    batch = db.session.get(ImportBatch, job.params.get("batch_id"))
    if kind is None or batch is None:
        raise Conflict("导入批次不存在或已被删除")
    with framework.reporting(progress, file_rows(batch)):
        result = framework.confirm(kind, job.created_by, batch, valid_only=bool(job.params.get("valid_only")))
    return {"text": kind.result_text(result), "summary": result, "batch_id": batch.id}
