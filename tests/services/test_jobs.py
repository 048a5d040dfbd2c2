"""The background job runner (persistence/jobs.py): enqueue, claim, progress, done, failure,
recovery of jobs a dead worker left running, and the runner thread.

Most tests run jobs synchronously in the test's transaction (``run_pending``/``run_job``);
the last two commit for real, because they check what another connection sees while a job's
transaction is open, and a thread that runs a job on its own."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from infrastructure.errors import Invalid
from models import Department, Job, JobStatus, User, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from persistence import jobs
from persistence.org import place_department

SEEN: dict[str, list] = {}


@jobs.register("test.steps")
def _steps(job: Job, progress: jobs.Progress) -> dict:
    n = job.params["steps"]
    seen = SEEN.setdefault("steps", [])
    for i in range(1, n + 1):
        progress(i, n, f"第{i}步")
        seen.append(jobs.live_progress(job))
    return {"text": f"完成{n}步", "steps": n}


@jobs.register("test.refuse")
def _refuse(job: Job, progress: jobs.Progress) -> dict:
    progress(1, 10, "写了一半")
    db.session.add(_department("任务中途新建的部门"))
    db.session.flush()
    raise Invalid("第3行：统一社会信用代码不正确")


@jobs.register("test.crash")
def _crash(job: Job, progress: jobs.Progress) -> dict:
    raise RuntimeError("secret internal detail")


def _department(name: str, parent: Department | None = None) -> Department:
    return Department(
        name=name, parent=parent, level=DepartmentLevel.BUREAU, kind=DepartmentKind.SUPERVISION, region_code="510108"
    )


def _job(org, status: JobStatus, **fields) -> Job:
    job = Job(kind="test.steps", title="t", status=status.value, created_by_id=org.clerk_a.id,
              department_id=org.bureau_a.id, payload='{"steps": 1}', **fields)
    db.session.add(job)
    db.session.flush()
    return job


def test_enqueue_claim_progress_done(org, session):
    SEEN.clear()
    job = jobs.enqueue("test.steps", org.clerk_a, title="测试任务", payload={"steps": 3},
                       subject_type="thing", subject_id=7)
    session.commit()
    assert job.state == JobStatus.QUEUED and job.department_id == org.bureau_a.id
    assert jobs.active_for("thing", 7) is job and jobs.latest_for("thing", 8) is None
    assert jobs.panel(job)["percent"] == 0

    assert jobs.claim_next("host-a:1") == job.id
    assert jobs.claim_next("host-b:2") is None  # a claimed job is never handed out twice
    session.refresh(job)
    assert job.state == JobStatus.RUNNING and job.worker == "host-a:1" and job.started_at is not None

    assert jobs.run_job(job.id) == JobStatus.DONE
    session.refresh(job)
    assert job.state == JobStatus.DONE and job.finished_at is not None
    assert job.outcome == {"text": "完成3步", "steps": 3} and job.message == "完成3步"
    assert (job.done, job.total) == (3, 3) and jobs.panel(job)["percent"] == 100
    # the handler saw its own reports as the page of this process would
    assert SEEN["steps"] == [(1, 3, "第1步"), (2, 3, "第2步"), (3, 3, "第3步")]
    assert jobs.active_for("thing", 7) is None
    with pytest.raises(ValueError):
        jobs.enqueue("no.such.kind", org.clerk_a, title="x")


def test_jobs_are_claimed_oldest_first(org, session):
    first, second = _job(org, JobStatus.QUEUED), _job(org, JobStatus.QUEUED)
    session.commit()
    assert jobs.claim_next() == first.id
    assert jobs.claim_next() == second.id
    assert jobs.claim_next() is None
    for j in (first, second):
        jobs.run_job(j.id)
    assert jobs.run_pending() == 0


def test_a_refusal_fails_the_job_with_its_message_and_writes_nothing(org, session):
    job = jobs.enqueue("test.refuse", org.clerk_a, title="会失败的任务")
    session.commit()
    assert jobs.run_pending() == 1
    session.refresh(job)
    assert job.state == JobStatus.FAILED and job.error == "第3行：统一社会信用代码不正确"
    assert job.finished_at is not None and (job.done, job.total) == (1, 10)
    assert session.scalar(select(Department).where(Department.name == "任务中途新建的部门")) is None


def test_a_crash_shows_a_chinese_message_and_logs_the_traceback(org, session, caplog):
    job = jobs.enqueue("test.crash", org.clerk_a, title="会出错的任务")
    session.commit()
    with caplog.at_level(logging.ERROR, logger="persistence.jobs"):
        jobs.run_pending()
    session.refresh(job)
    assert job.state == JobStatus.FAILED
    assert job.error == jobs.failure_text(job.id) and "secret" not in job.error and str(job.id) in job.error
    assert "RuntimeError: secret internal detail" in caplog.text  # the traceback is in the log


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_jobs_left_running_by_a_dead_worker_are_recovered(org, session):
    here = socket.gethostname()
    now = utcnow()
    dead_here = _job(org, JobStatus.RUNNING, worker=f"{here}:{_dead_pid()}", heartbeat_at=now)
    silent = _job(org, JobStatus.RUNNING, worker="elsewhere:1", heartbeat_at=now - timedelta(hours=2))
    alive_elsewhere = _job(org, JobStatus.RUNNING, worker="elsewhere:2", heartbeat_at=now)
    mine = _job(org, JobStatus.RUNNING, worker=jobs.worker_id(), heartbeat_at=now)
    orphan = _job(org, JobStatus.RUNNING, worker=jobs.worker_id(), heartbeat_at=now)  # not run by this process
    queued = _job(org, JobStatus.QUEUED)
    session.commit()
    jobs._ACTIVE.add(mine.id)
    try:
        assert jobs.recover_stale(stale_seconds=600) == 3
    finally:
        jobs._ACTIVE.discard(mine.id)
    for job in (dead_here, silent, alive_elsewhere, mine, orphan, queued):
        session.refresh(job)
    for job in (dead_here, silent, orphan):
        assert job.state == JobStatus.FAILED and job.error == jobs.INTERRUPTED
    assert alive_elsewhere.state == mine.state == JobStatus.RUNNING
    assert queued.state == JobStatus.QUEUED


# ------------------------------------------------------------------ with real commits


@pytest.fixture()
def committed_user(app):
    """A department and a user committed for real (the runner's connections must see them),
    removed afterwards with their jobs."""
    with app.app_context():
        dept = _department(f"任务测试局{os.getpid()}")
        db.session.add(dept)
        db.session.flush()
        place_department(dept, None)
        user = User(account=f"jobs{os.getpid()}", name="任务测试", department=dept, password_hash="x",
                    password_changed_at=utcnow())
        db.session.add(user)
        db.session.commit()
        ids = (dept.id, user.id)
    yield ids
    with app.app_context():
        db.session.execute(delete(Job).where(Job.created_by_id == ids[1]))
        db.session.execute(delete(User).where(User.id == ids[1]))
        db.session.execute(delete(Department).where(Department.id == ids[0]))
        db.session.commit()
        db.session.remove()


def _queue(committed_user: tuple[int, int], kind: str, title: str, payload: str = "{}") -> int:
    """Commit a queued job of the committed user (inside an app context); returns its id."""
    dept_id, user_id = committed_user
    job = Job(kind=kind, title=title, payload=payload, created_by_id=user_id, department_id=dept_id)
    db.session.add(job)
    db.session.commit()
    return job.id


def _reloaded(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _observed(job_id: int) -> tuple[int, int, str]:
    """The job's progress as another connection (another request) reads it."""
    with db.engine.connect() as conn:
        row = conn.execute(select(Job.done, Job.total, Job.message).where(Job.id == job_id)).one()
    return tuple(row)  # type: ignore[return-value]


@jobs.register("test.observe")
def _observe(job: Job, progress: jobs.Progress) -> dict:
    progress.interval = 0
    progress(1, 4, "校验中")
    seen = [_observed(job.id)]
    # the work itself writes in the job's transaction (uncommitted) …
    db.session.execute(update(Department).where(Department.id == job.department_id).values(name=job.title))
    progress(2, 4, "写入中")
    seen.append(_observed(job.id))
    seen.append(jobs.live_progress(db.session.get(Job, job.id)))
    return {"text": "ok", "seen": seen}


def test_progress_is_visible_to_other_connections_while_the_job_runs(app, committed_user):
    with app.app_context():
        job_id = _queue(committed_user, "test.observe", "改名后的局")
        assert jobs.run_pending() == 1
        job = _reloaded(job_id)
        first, second, live = job.outcome["seen"]
        assert tuple(first) == (1, 4, "校验中")  # committed while the job's transaction was open
        if db.engine.dialect.name == "postgresql":
            assert tuple(second) == (2, 4, "写入中")
        else:  # SQLite: the job holds the one write lock; this process still knows the figures
            assert tuple(second) == (1, 4, "校验中")
        assert tuple(live) == (2, 4, "写入中")
        assert job.state == JobStatus.DONE
        assert db.session.get(Department, committed_user[0]).name == "改名后的局"  # the work, committed with "done"
        db.session.remove()


def test_the_runner_thread_runs_queued_jobs(app, committed_user, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_RUNNER", "thread")
    monkeypatch.setattr(jobs, "IDLE_SECONDS", 0.05)
    with app.app_context():
        job_id = _queue(committed_user, "test.steps", "线程任务", '{"steps": 2}')
        jobs.kick(app)
        jobs.runner(app).join(timeout=60)
        job = _reloaded(job_id)
        assert job.state == JobStatus.DONE and job.outcome["text"] == "完成2步"
        assert job.worker == jobs.worker_id()
        db.session.remove()


def test_flask_jobs_run_once(app, org, session):
    job = jobs.enqueue("test.steps", org.clerk_a, title="命令行任务", payload={"steps": 2})
    session.commit()
    job_id = job.id
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "已处理 1 个任务" in result.output
    job = db.session.get(Job, job_id)  # the command ends by removing the context's session
    assert job.state == JobStatus.DONE and job.outcome["text"] == "完成2步"


@jobs.register("test.own_row")
def _own_row(job: Job, progress: jobs.Progress) -> dict:
    job.message = "处理者自己改了任务行"
    db.session.flush()  # the handler's transaction now holds the job's row
    progress(1, 2, "一")  # must not wait for it
    return {"text": "ok", "writes": progress.writes}


def test_a_progress_report_never_waits_on_the_jobs_own_transaction(app, committed_user):
    with app.app_context():
        job_id = _queue(committed_user, "test.own_row", "t")
        assert jobs.run_pending() == 1
        job = _reloaded(job_id)
        assert job.state == JobStatus.DONE and job.outcome["writes"] == 0
        db.session.remove()


def test_two_claimers_on_postgresql_pass_over_each_others_job(app, committed_user):
    """On PostgreSQL a runner skips the job another is claiming (FOR UPDATE SKIP LOCKED)
    instead of waiting for it, and two runners never take the same job."""
    import threading

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite one writer decides")
        mine = [_queue(committed_user, "test.steps", f"并发领取{n}") for n in range(8)]
        db.session.remove()
        other = db.engine.connect()  # another runner, in the middle of claiming the oldest job
        other.execute(select(Job.id).where(Job.id == mine[0]).with_for_update())
        taken: list[tuple[str, int]] = []

        def claim(name: str) -> None:
            with app.app_context():
                while (ident := jobs.claim_next(name)) is not None:
                    taken.append((name, ident))
                db.session.remove()

        try:
            runners = [threading.Thread(target=claim, args=(f"runner-{n}",)) for n in range(2)]
            for runner in runners:
                runner.start()
            for runner in runners:
                runner.join(timeout=30)
            assert not any(r.is_alive() for r in runners), "a runner waited for the locked job"
        finally:
            other.rollback()
            other.close()
        ids = [ident for _, ident in taken if ident in mine]
        assert sorted(ids) == mine[1:]  # each job once, the locked one passed over
        assert jobs.claim_next("runner-late") == mine[0]  # free again: the next runner takes it
        db.session.remove()
