"""A task's 检查情况记录表 as one PDF (docs/benchmarks.md, 检查情况记录表 PDF).

Each record is laid out on its own — its own 第 X 页 共 Y 页, its own QR code and digest — and
cached by the digest of its HTML (infrastructure/pdf_batch.py: records rendered together in chunks
that share one font subset), so a record that has not changed is never rendered again; the
task's PDF is those records' pages merged in 记录编号 order, and is cached too.  A task whose
records are all cached, or with at most ``PDF_SYNC_RECORDS`` not yet rendered, gets its PDF in
the request (rendered in the web process, one record after another); a larger one is rendered
by a background job (``JOB_KIND``) on every core, with progress, and the job's page links to
the download, which the cache then answers at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for

from infrastructure import pdf_batch
from infrastructure.errors import Invalid
from models import InspectionRecord, Job, Task, User, db
from persistence import jobs
from services import record_pdf

JOB_KIND = "task_records_pdf"
SUBJECT = "task_records_pdf"


@dataclass(frozen=True)
class Bundle:
    """What a task's records PDF is made of: one HTML per record, and the cache keys."""

    task_id: int
    form: str
    title: str
    htmls: tuple[str, ...]

    @property
    def keys(self) -> list[str]:
        return [pdf_batch.key_of(html) for html in self.htmls]

    @property
    def merged_key(self) -> str:
        text = "\n".join(["merged", self.title, *self.keys])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bundle(task: Task, form: str = "a31", records: Sequence[InspectionRecord] | None = None) -> Bundle:
    rows = list(records) if records is not None else record_pdf.records_of_task(task)
    if not rows:
        raise Invalid("该抽查任务还没有检查情况记录表")
    htmls = tuple(record_pdf.records_html([record_pdf.record_view(r)], form) for r in rows)
    return Bundle(task.id, form, f"{task.name} 检查情况记录表", htmls)


def cached(found: Bundle) -> bytes | None:
    """The merged PDF when it is in the cache (nothing of the task changed since)."""
    return pdf_batch.read_cached(pdf_batch.cache_root(), found.merged_key)


def uncached(found: Bundle) -> int:
    """How many of the records have no cached PDF yet."""
    root = pdf_batch.cache_root()
    return sum(1 for key in set(found.keys) if pdf_batch.read_place(root, key) is None)


def build(found: Bundle, *, workers: int | None = None, progress: pdf_batch.Progress | None = None) -> bytes:
    """Render what is missing, merge, cache the result and keep the cache within its size."""
    root = pdf_batch.cache_root()
    places = pdf_batch.render_places(found.htmls, workers=workers, progress=progress, root=root)
    data = pdf_batch.merge(root, places, found.title)
    pdf_batch.write_cached(root, found.merged_key, data)
    pdf_batch.prune(root, int(current_app.config.get("PDF_CACHE_MB") or 0) * 1024 * 1024)
    return data


def in_request(found: Bundle) -> bytes | None:
    """The PDF when the request may make it (cached, or few records to render), else None."""
    data = cached(found)
    if data is None and uncached(found) <= int(current_app.config.get("PDF_SYNC_RECORDS") or 0):
        data = build(found, workers=1)
    return data


def enqueue(actor: User, task: Task, form: str) -> Job:
    """The job that makes the PDF (the running one of the same task and form, if any)."""
    running = jobs.active_for(f"{SUBJECT}:{form}", task.id)
    if running is not None:
        return running
    return jobs.enqueue(JOB_KIND, actor, title=f"生成“{task.name}”检查情况记录表PDF",
                        payload={"task_id": task.id, "form": form}, subject_type=f"{SUBJECT}:{form}",
                        subject_id=task.id)


def _download(job: Job) -> str:
    form = job.subject_type.partition(":")[2] or "a31"
    return url_for("record_pdfs.task_records", task_id=job.subject_id, form=form)


@jobs.register(JOB_KIND, link=_download)
def _job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    payload = job.params
    task = db.session.get(Task, int(payload["task_id"]))
    if task is None:
        raise Invalid("该抽查任务已不存在")
    found = bundle(task, str(payload.get("form") or "a31"))
    total = len(found.htmls)

    def report(done: int, unique: int) -> None:
        progress(done, unique, f"生成记录表：{done}/{unique}")

    build(found, progress=report)
    return {"text": f"已生成{total}份检查情况记录表，点击“查看结果”下载", "records": total}
