"""``flask risk run`` (the nightly full run), ``flask risk seed`` and the full run as a job."""

from __future__ import annotations

from sqlalchemy import select

from models import Job, RiskWarning
from persistence import jobs
from services.risk.jobs import enqueue_run
from tests.factories.risk import entity, listed, rule


def test_risk_run_for_one_rule_and_all(app, session, org):
    e = entity(org)
    listed(org, e)
    result = app.test_cli_runner().invoke(args=["risk", "run", "--rule", "abnormal_list"])
    assert result.exit_code == 0, result.output
    assert "经营异常预警\t命中 1\t新增 1" in result.output
    again = app.test_cli_runner().invoke(args=["risk", "run"])
    assert again.exit_code == 0 and "新增预警 0 条，仍在预警 1 条" in again.output
    wrong = app.test_cli_runner().invoke(args=["risk", "run", "--rule", "manual"])
    assert wrong.exit_code != 0 and "没有可自动运行的预警规则“manual”" in wrong.output
    seeded = app.test_cli_runner().invoke(args=["risk", "seed"])
    assert "新增预警规则 0 条" in seeded.output


def test_a_full_run_as_a_background_job(session, org):
    e = entity(org)
    listed(org, e)
    job = enqueue_run(org.clerk_a)
    assert enqueue_run(org.clerk_a).id == job.id  # one at a time
    assert jobs.run_pending() == 1
    session.refresh(job)
    assert job.status == "done" and "新增预警 1 条" in job.outcome["text"]
    found = session.execute(select(RiskWarning).where(RiskWarning.rule_id == rule("abnormal_list").id)).scalars()
    assert [w.entity_id for w in found] == [e.id]
    assert session.get(Job, job.id).kind == "risk_run"
