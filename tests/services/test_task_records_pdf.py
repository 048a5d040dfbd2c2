"""infrastructure/pdf_batch.py and services/task_records_pdf.py: a task's records PDF is its records'
own PDFs merged; each is cached by the digest of its HTML (an unchanged record is never rendered
again, a changed one is), rendered in worker processes when many are missing (the same bytes as
in this process), and a task too large for the request is made by a background job."""

from __future__ import annotations

import io
import os
import time

import pytest
from pypdf import PdfReader

from infrastructure import pdf, pdf_batch
from models import Job, db
from persistence import jobs
from services import task_records_pdf as task_pdf
from tests.factories.inspections import complete, dispatched, open_all


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setattr(pdf_batch, "cache_root", lambda: root)
    return root


def _filled(org, objects: int = 1):
    ready = dispatched(org, joint=True, objects=objects)
    records = open_all(ready)
    for r in records:
        editor = ready.leader if r.department_id == ready.task.department_id else ready.health
        complete(ready, r, editor=editor, subject_name="成都市锦江区好味餐饮店", line_item=["食品经营许可"],
                 line_content=["许可证在有效期内"], line_outcome=["符合"])
    return ready, records


def _counting(monkeypatch) -> list[str]:
    """The HTML of every record rendered in this process from now on."""
    rendered: list[str] = []
    real = pdf.write_combined

    def counted(htmls, root=None):
        rendered.extend(htmls)
        return real(htmls, root)

    monkeypatch.setattr(pdf, "write_combined", counted)
    return rendered


def test_an_unchanged_record_is_never_rendered_twice(org, session, cache, monkeypatch):
    ready, records = _filled(org)
    rendered = _counting(monkeypatch)
    first = task_pdf.build(task_pdf.bundle(ready.task), workers=1)
    assert len(rendered) == len(records) == 2
    assert task_pdf.cached(task_pdf.bundle(ready.task)) == first  # the merged PDF is cached too
    rendered.clear()
    assert task_pdf.build(task_pdf.bundle(ready.task), workers=1) == first and rendered == []
    # one record changes: only it is rendered again, and the task's PDF differs
    records[0].findings = "复查：整改到位"
    db.session.flush()
    found = task_pdf.bundle(ready.task)
    assert task_pdf.cached(found) is None and task_pdf.uncached(found) == 1
    again = task_pdf.build(found, workers=1)
    assert len(rendered) == 1 and "复查：整改到位" in rendered[0] and again != first


def test_workers_render_the_chunks_as_this_process_would(org, session, cache, tmp_path):
    ready, records = _filled(org, objects=2)
    found = task_pdf.bundle(ready.task)
    seen: list[tuple[int, int]] = []
    places = pdf_batch.render_places(found.htmls, workers=2, progress=lambda d, t: seen.append((d, t)),
                                     root=tmp_path / "other")
    assert len({p.chunk for p in places}) == 4  # 4 records, 2 workers × 2 chunks wanted: one record a chunk
    assert seen[0] == (0, len(records)) and seen[-1] == (len(records), len(records))
    assert pdf_batch._POOL is not None  # kept for the next task: the workers stay warm
    # the chunk a worker wrote is byte for byte what this process writes for the same records
    for chunk in {p.chunk for p in places}:
        members = [html for html, p in zip(found.htmls, places, strict=True) if p.chunk == chunk]
        assert pdf_batch.read_cached(tmp_path / "other", chunk) == pdf.write_combined(members)[0]
    merged = pdf_batch.merge(tmp_path / "other", places, "任务")
    assert len(PdfReader(io.BytesIO(merged)).pages) == sum(p.count for p in places)


def test_one_font_subset_per_chunk_and_each_record_numbers_its_pages(org, session, cache):
    ready, records = _filled(org, objects=2)
    data = task_pdf.build(task_pdf.bundle(ready.task), workers=1)
    reader = PdfReader(io.BytesIO(data))
    fonts = {font.get_object()["/BaseFont"] for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert len(fonts) == 1, fonts  # one chunk in this process: one subset shared by every record
    text = ["".join(page.extract_text().split()) for page in reader.pages]
    assert sum(t.count("第1页共") for t in text) == len(records)


def test_prune_drops_the_least_recently_used(tmp_path):
    root = tmp_path / "c"
    for n, key in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        pdf_batch.write_cached(root, key, b"x" * 1000)
        os.utime(pdf_batch.cache_path(root, key), (time.time() - 100 + n, time.time() - 100 + n))
    assert pdf_batch.read_cached(root, "a" * 64) == b"x" * 1000  # a read makes it the newest
    assert pdf_batch.prune(root, 2000) == 1
    assert pdf_batch.read_cached(root, "b" * 64) is None
    assert pdf_batch.read_cached(root, "a" * 64) and pdf_batch.read_cached(root, "c" * 64)


def test_a_large_task_is_made_by_a_job_then_downloaded(app, client, login, org, session, cache, monkeypatch):
    ready, records = _filled(org)
    monkeypatch.setitem(app.config, "PDF_SYNC_RECORDS", 1)  # 2 records to render: too many for the request
    monkeypatch.setattr(jobs, "kick", lambda app=None: None)  # the test runs the job itself
    login(org.clerk_a)
    resp = client.get(f"/tasks/{ready.task.id}/records.pdf?form=f1")
    assert resp.status_code == 302 and "/jobs/" in resp.location
    job = db.session.execute(db.select(Job).order_by(Job.id.desc())).scalars().first()
    assert job.kind == task_pdf.JOB_KIND and job.subject_id == ready.task.id
    # asking again while it runs gives the same job, not a second one
    assert client.get(f"/tasks/{ready.task.id}/records.pdf?form=f1").location == resp.location
    jobs.claim_next()
    assert jobs.run_job(job.id).value == "done"
    page = client.get(resp.location).get_data(as_text=True)
    download = f"/tasks/{ready.task.id}/records.pdf?form=f1"
    assert "已生成2份检查情况记录表" in page and download in page.replace("&amp;", "&")
    monkeypatch.setattr(pdf, "write_combined", lambda *a, **k: pytest.fail("rendered again"))
    got = client.get(download)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.data == task_pdf.cached(task_pdf.bundle(ready.task, "f1"))
    assert len(PdfReader(io.BytesIO(got.data)).pages) >= len(records)
