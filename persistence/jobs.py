"""Background jobs (后台任务): a small runner whose queue is the ``job`` table.

Enqueue, claim, run, report
    A service enqueues a job of a registered kind (``enqueue``) in the request's transaction;
    the view commits and calls ``kick()``.  A runner claims the oldest queued job with a
    conditional ``UPDATE … WHERE status = 'queued'`` (of two workers, processes or hosts, one
    wins; on PostgreSQL the job is picked with ``FOR UPDATE SKIP LOCKED``, so a runner passes
    over a job another is claiming instead of waiting for it), runs its handler in a session of its own, and on success marks the job done *in the
    handler's transaction*, so that the work and "done" are committed together.  A handler
    raises to fail: everything it wrote is rolled back, and the job is marked failed in a new
    short transaction with a Chinese message (a ServiceError's own message, or a generic one
    with the job's number; the traceback goes to the log, never to the page).

Progress
    A handler reports ``progress(done, total, message)``.  The report is written through a
    separate connection in its own short transaction (at most twice a second), so a page
    polling the job sees it while the handler's long transaction is still open and nothing of
    the work itself is committed.  SQLite admits one writer: once the handler's transaction
    has taken the write lock, a report would wait for it, so the reporter tries with a 50 ms
    timeout and, refused, stops writing and keeps the figures in this process's memory, where
    the job page of the same process still finds them (``live_progress``).

Runners
    ``JOBS_RUNNER=thread`` (the default): ``kick()`` starts a daemon thread in the web process
    that runs queued jobs with its own app context and session, and ends when the queue is
    empty.  ``JOBS_RUNNER=external``: web processes only enqueue, and ``flask jobs run`` (a
    worker process, any number of them) runs the jobs.  Both may be used together.

Restarts
    A job is ``running`` only while its worker lives.  ``recover_stale`` marks failed a
    running job whose worker is a dead process on this host, or whose heartbeat (every
    progress report) is older than ``JOB_STALE_SECONDS``; the work of such a job was never
    committed (all or nothing), so the user may simply start it again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from infrastructure.config import default as config_default
from infrastructure.errors import ServiceError
from models import Job, JobStatus, User, db, utcnow
from persistence import audit

log = logging.getLogger(__name__)

Handler = Callable[[Job, "Progress"], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
LINKS: dict[str, Callable[[Job], str]] = {}

DEFAULT_STALE_SECONDS: int = config_default("JOB_STALE_SECONDS")
PROGRESS_INTERVAL = 0.5  # seconds between two progress writes
IDLE_SECONDS = 2.0  # a runner thread waits this long for more work before it ends
INTERRUPTED = "任务执行中断（系统重启或处理进程退出），没有写入任何数据，请重新提交"
CONFLICT = "处理期间数据已被他人修改，没有写入任何数据，请重新校验后再提交"


def failure_text(job_id: int) -> str:
    return f"处理时发生系统错误，没有写入任何数据。请稍后重试，或将任务编号 {job_id} 告知系统管理员"


def register(kind: str, link: Callable[[Job], str] | None = None) -> Callable[[Handler], Handler]:
    """Declare the handler of a kind of job: ``handler(job, progress) -> result``.  The result
    (JSON-serialisable) is stored with the job; its "text" is what the page shows.  ``link``
    gives the URL of the page where the job's object shows its outcome."""

    def decorate(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        if link is not None:
            LINKS[kind] = link
        return handler

    return decorate


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


# ------------------------------------------------------------------ enqueue and look up


def enqueue(
    kind: str,
    actor: User,
    *,
    title: str,
    payload: dict[str, Any] | None = None,
    subject_type: str = "",
    subject_id: int | None = None,
) -> Job:
    """Queue a job in the caller's transaction (the view commits, then calls ``kick()``)."""
    if kind not in HANDLERS:
        raise ValueError(f"no job handler for {kind!r}")
    job = Job(
        kind=kind,
        title=title[:200],
        status=JobStatus.QUEUED.value,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=json.dumps(payload or {}, ensure_ascii=False),
        message="等待处理",
        created_by_id=actor.id,
        department_id=actor.department_id,
    )
    db.session.add(job)
    db.session.flush()
    audit.record(
        "create", object_type="job", object_id=job.id, summary={"任务": job.title, "类型": kind}, user=actor
    )
    return job


def latest_for(subject_type: str, subject_id: int) -> Job | None:
    """The newest job of one object (e.g. an import batch)."""
    return db.session.execute(
        select(Job)
        .where(Job.subject_type == subject_type, Job.subject_id == subject_id)
        .order_by(Job.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def link_of(job: Job) -> str | None:
    link = LINKS.get(job.kind)
    return link(job) if link is not None else None


def active_for(subject_type: str, subject_id: int) -> Job | None:
    job = latest_for(subject_type, subject_id)
    return job if job is not None and job.state.active else None


# ------------------------------------------------------------------ progress

_LIVE: dict[int, tuple[int, int, str]] = {}  # job id → the latest report made in this process
_ACTIVE: set[int] = set()  # jobs this process is running


def live_progress(job: Job) -> tuple[int, int, str]:
    """(done, total, message) of a running job: the stored figures, or the newer ones this
    process holds when the database could not take them (SQLite during the job's writes)."""
    live = _LIVE.get(job.id)
    if job.state == JobStatus.RUNNING and live is not None and live[0] >= job.done:
        return live
    return job.done, job.total, job.message


def panel(job: Job, *, link: bool = True) -> dict[str, Any]:
    """What the status panel (templates/jobs/_panel.html) shows of a job."""
    done, total, message = live_progress(job)
    percent = 100 if job.state == JobStatus.DONE else min(99, done * 100 // total) if total > 0 else 0
    return {
        "job": job,
        "done": done,
        "total": total,
        "message": message,
        "percent": percent,
        "link": link_of(job) if link else None,
    }


@dataclass
class Progress:
    """What a handler calls to report ``done`` of ``total`` with a short message."""

    job_id: int
    interval: float = PROGRESS_INTERVAL
    _last: float = field(default=0.0, init=False)
    _stage: str = field(default="", init=False)
    _to_database: bool = field(default=True, init=False)
    writes: int = field(default=0, init=False)

    def __call__(self, done: int, total: int, message: str = "") -> None:
        """Throttled to one write per ``interval``, except that a new stage (the text of the
        message before "：") is written at once."""
        _LIVE[self.job_id] = (done, total, message[:200])
        now = time.monotonic()
        stage = message.split("：", 1)[0]
        if now - self._last < self.interval and stage == self._stage:
            return
        self._stage = stage
        self._last = now
        self._write(done, total, message[:200])

    def _write(self, done: int, total: int, message: str) -> None:
        if not self._to_database:
            return
        try:
            with db.engine.connect() as conn:
                sqlite = conn.dialect.name == "sqlite"
                if sqlite:
                    old = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    conn.exec_driver_sql("PRAGMA busy_timeout = 50")
                else:  # never wait on a job row the handler's own transaction has locked
                    conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                try:
                    conn.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.status == JobStatus.RUNNING.value)
                        .values(done=done, total=total, message=message, heartbeat_at=utcnow())
                    )
                    conn.commit()
                    self.writes += 1
                finally:
                    if sqlite:
                        conn.rollback()
                        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(old or 0)}")
        except OperationalError:
            # SQLite: the job's own transaction holds the write lock until it commits (or,
            # anywhere, the handler's transaction has written to the job's row).
            self._to_database = False


# ------------------------------------------------------------------ claim, run, recover


def claim_next(worker: str | None = None) -> int | None:
    """Take the oldest queued job for this worker; None when there is none.

    On PostgreSQL the job is chosen with ``FOR UPDATE SKIP LOCKED``: a job another runner is
    claiming at this moment is passed over, never waited for.  SQLite has one writer at a
    time; there the conditional UPDATE decides between two runners."""
    worker = worker or worker_id()
    queued = select(Job.id).where(Job.status == JobStatus.QUEUED.value).order_by(Job.id)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = [db.session.execute(queued.limit(1).with_for_update(skip_locked=True)).scalar()]
    else:
        candidates = list(db.session.execute(queued.limit(5)).scalars())
    for ident in candidates:
        if ident is None:  # nothing queued, or every queued job being claimed by another runner
            break
        now = utcnow()
        claimed = db.session.execute(
            update(Job)
            .where(Job.id == ident, Job.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, worker=worker, started_at=now, heartbeat_at=now, message="开始处理")
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed == 1:
            _ACTIVE.add(ident)
            db.session.commit()
            return ident
        db.session.rollback()
    return None


def _failure_message(exc: BaseException, job_id: int) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, IntegrityError):
        return CONFLICT
    from infrastructure.excel import ExcelError

    if isinstance(exc, ExcelError):
        return str(exc)
    return failure_text(job_id)


def run_job(job_id: int) -> JobStatus:
    """Run one claimed job in the current app context's session; returns its final status."""
    try:
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or job.state != JobStatus.RUNNING:
            return job.state if job is not None else JobStatus.FAILED
        progress = Progress(job_id)
        try:
            handler = HANDLERS.get(job.kind)
            if handler is None:
                raise LookupError(f"no job handler for {job.kind!r}")
            result = handler(job, progress)
            text = str(result.get("text", "")) if isinstance(result, dict) else ""
            job.status = JobStatus.DONE.value
            job.result = json.dumps(result, ensure_ascii=False, default=str)
            job.done = job.total = max(job.total, _LIVE.get(job_id, (0, 0, ""))[1], 1)
            job.message = (text or "已完成")[:200]
            job.finished_at = utcnow()
            db.session.commit()  # the work and "done" together
            return JobStatus.DONE
        except Exception as exc:
            db.session.rollback()
            message = _failure_message(exc, job_id)
            if message == failure_text(job_id):
                log.exception("job %s (%s) failed", job_id, job.kind if job else "?")
            else:
                log.info("job %s refused: %s", job_id, message)
            done, total, _ = _LIVE.get(job_id, (0, 0, ""))
            db.session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    status=JobStatus.FAILED.value,
                    error=message[:500],
                    message="失败",
                    done=done,
                    total=total,
                    finished_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            return JobStatus.FAILED
    finally:
        _ACTIVE.discard(job_id)
        _LIVE.pop(job_id, None)


def _dead_here(worker: str) -> bool:
    """Whether ``worker`` ("host:pid") is a process of this host that no longer runs (or
    this process, which is not running that job)."""
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # the caller checks _ACTIVE first
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_stale(stale_seconds: int | None = None) -> int:
    """Mark failed every running job whose worker died (see the module docstring)."""
    if stale_seconds is None:
        stale_seconds = int(current_app.config.get("JOB_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    cutoff = utcnow() - timedelta(seconds=stale_seconds)
    running = db.session.execute(
        select(Job.id, Job.worker, Job.heartbeat_at).where(Job.status == JobStatus.RUNNING.value)
    ).all()
    recovered = 0
    for ident, worker, beat in running:
        if ident in _ACTIVE:
            continue
        if (beat is not None and beat >= cutoff) and not _dead_here(worker):
            continue
        recovered += db.session.execute(
            update(Job)
            .where(Job.id == ident, Job.status == JobStatus.RUNNING.value, Job.worker == worker)
            .values(status=JobStatus.FAILED.value, error=INTERRUPTED, message="失败", finished_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        log.warning("job %s of worker %s was interrupted; marked failed", ident, worker)
    db.session.commit()
    return recovered


def run_pending(limit: int | None = None, worker: str | None = None) -> int:
    """Recover stale jobs, then run queued jobs until none is left (or ``limit``); returns
    how many ran.  Runs in the current app context (tests call it directly)."""
    recover_stale()
    ran = 0
    while limit is None or ran < limit:
        job_id = claim_next(worker)
        if job_id is None:
            break
        run_job(job_id)
        ran += 1
    return ran


# ------------------------------------------------------------------ the runner thread


class _Runner:
    """One lazily started thread per app and process (JOBS_RUNNER=thread)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def kick(self) -> None:
        with self.lock:
            self.wake.set()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="zhjg-jobs", daemon=True)
                self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        thread = self.thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self.wake.clear()
            ran = 0
            try:
                with self.app.app_context():
                    try:
                        ran = run_pending()
                    finally:
                        db.session.remove()
            except Exception:  # the database went away: try again at the next kick
                log.exception("job runner failed")
            if ran:
                continue
            if self.wake.wait(IDLE_SECONDS):
                continue
            with self.lock:
                if self.wake.is_set():
                    continue
                self.thread = None
                return


def runner(app: Flask | None = None) -> _Runner:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    existing = app.extensions.get("zhjg_jobs")
    if existing is None:
        existing = app.extensions["zhjg_jobs"] = _Runner(app)
    return existing  # type: ignore[no-any-return]


def kick(app: Flask | None = None) -> None:
    """Have queued jobs run soon: start this process's runner thread unless the app leaves
    jobs to ``flask jobs run`` (JOBS_RUNNER=external)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("JOBS_RUNNER", config_default("JOBS_RUNNER")) == "thread":
        runner(app).kick()


def init_jobs(app: Flask) -> None:
    """With JOBS_RUNNER=thread, the first request a process serves wakes its runner once, so
    that after a restart the queued jobs run and the jobs the old process left running are
    marked failed without waiting for anyone to open their page."""
    started = threading.Event()

    @app.before_request
    def _wake_runner_once() -> None:
        if not started.is_set():
            started.set()
            kick(app)


def work_forever(poll: float = 2.0, once: bool = False) -> int:
    """The loop of ``flask jobs run``: run queued jobs, then look again every ``poll`` s."""
    total = 0
    while True:
        try:
            total += run_pending()
        finally:
            db.session.remove()
        if once:
            return total
        time.sleep(poll)
