"""A registry import of more than IMPORT_JOB_ROWS rows runs as a background job: the
confirmation queues it and returns to the batch page, whose status panel polls /jobs/<id>
until the job is done and then shows the result.  The tests run the job themselves
(JOBS_RUNNER=external), in the test's transaction."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from infrastructure.validators import uscc_check_char
from models import ImportBatch, ImportStatus, Job, JobStatus, MarketEntity, UserRole
from models.roles import Role
from persistence import jobs
from tests.conftest import csrf_token

HEADER = "主体名称,统一社会信用代码,主体类型,行政区划编码,登记状态"


def _csv(n: int, bad: int = 0) -> bytes:
    lines = [HEADER]
    for i in range(n):
        body = f"91510108MA6JB{i:04d}"
        lines.append(f"甲区任务测试商行{i},{body + uscc_check_char(body)},个体工商户,510108,存续")
    lines += [f"坏行{i},不是代码,个体工商户,510108,存续" for i in range(bad)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _post(client, url, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/entities/"))
    return client.post(url, data=data, **kwargs)


def _upload(client, data: bytes) -> int:
    resp = _post(client, "/imports/entities/", {"file": (io.BytesIO(data), "名录.csv", "text/csv")},
                 content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return int(re.search(r"/imports/entities/(\d+)", resp.headers["Location"]).group(1))


@pytest.fixture()
def small_threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 3)


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(MarketEntity))


def test_a_large_import_runs_as_a_job_with_a_polling_progress_panel(client, org, login, session, small_threshold):
    login(org.clerk_a)
    batch_id = _upload(client, _csv(4, bad=1))
    resp = _post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/imports/entities/{batch_id}")
    job = session.scalars(select(Job).where(Job.subject_id == batch_id)).one()
    assert job.state == JobStatus.QUEUED and job.created_by_id == org.clerk_a.id
    assert _count(session) == 0 and session.get(ImportBatch, batch_id).status == ImportStatus.PENDING

    page = client.get(f"/imports/entities/{batch_id}").get_data(as_text=True)
    assert "已转入后台导入" in page
    assert f'hx-get="/jobs/{job.id}"' in page and 'hx-trigger="every 1s"' in page
    assert 'hx-target="this"' in page and 'hx-swap="outerHTML"' in page and "<progress" in page
    assert "仅导入有效行" not in page and "放弃" not in page.split("job-panel", 1)[1]
    # a second confirmation (another tab) is refused while the job waits, and so is a discard
    assert _post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"}).status_code == 409
    assert _post(client, f"/imports/entities/{batch_id}/discard").status_code == 409

    fragment = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert "排队中" in html and 'hx-trigger="every 1s"' in html and 'value="0"' in html

    assert jobs.run_pending() == 1
    html = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已完成" in html and "100%" in html and "hx-trigger" not in html  # polling stops
    assert "已导入：新增 4 个" in html and "跳过问题行 1 行" in html
    assert f'href="/imports/entities/{batch_id}"' in html
    assert _count(session) == 4 and session.get(ImportBatch, batch_id).status == ImportStatus.IMPORTED
    page = client.get(f"/imports/entities/{batch_id}").get_data(as_text=True)
    assert "该批次已导入：新增 4 个" in page and "every 1s" not in page
    # the full page of the job, without htmx
    full = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "<html" in full and "后台任务" in full and "已完成" in full


def test_a_small_import_still_runs_in_the_request(client, org, login, session, small_threshold):
    login(org.clerk_a)
    batch_id = _upload(client, _csv(3))
    assert _post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"}).status_code == 302
    assert _count(session) == 3 and session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_failed_job_writes_nothing_and_the_clerk_may_confirm_again(client, org, login, session, small_threshold):
    login(org.clerk_a)
    batch_id = _upload(client, _csv(4))
    _post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"})
    # meanwhile the clerk loses the role: the job refuses with the service's own message
    job = session.scalars(select(Job).where(Job.subject_id == batch_id)).one()
    org.clerk_a.roles = []
    session.commit()
    jobs.run_pending()
    session.refresh(job)
    assert job.state == JobStatus.FAILED and job.error == "只有上传该文件的经办人可以导入"
    assert _count(session) == 0 and session.get(ImportBatch, batch_id).status == ImportStatus.PENDING
    html = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "失败" in html and "只有上传该文件的经办人可以导入" in html and "hx-trigger" not in html
    org.clerk_a.roles = [UserRole(role=str(Role.CLERK))]
    session.commit()
    page = client.get(f"/imports/entities/{batch_id}").get_data(as_text=True)
    assert "上次导入未完成" in page and "全部导入（4）" in page
    assert _post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"}).status_code == 302
    assert jobs.run_pending() == 1 and _count(session) == 4


def test_the_job_panel_is_closed_to_another_district(client, org, login, session, small_threshold):
    login(org.clerk_a)
    batch_id = _upload(client, _csv(4))
    _post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"})
    job = session.scalars(select(Job).where(Job.subject_id == batch_id)).one()
    login(org.leader_a)  # the same bureau sees it
    assert client.get(f"/jobs/{job.id}").status_code == 200
    for user in (org.clerk_b, org.leader_b, org.sysadmin_b):
        login(user)
        assert client.get(f"/jobs/{job.id}").status_code == 404
        assert client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).status_code == 404
    login(org.clerk_a)
    assert client.get(f"/jobs/{job.id + 1000}").status_code == 404
