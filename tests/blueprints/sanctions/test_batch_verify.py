"""联合惩戒批量验证 (seed 004 §5.3): upload a list in the template (/imports/sanction_verify/) →
the annotated workbook with the result per row (in scope or not, reasons, measures), kept on
/sanctions/batch-checks for its uploader; a large file runs as a background job with progress."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from models import JobStatus, SanctionBatchCheck, db
from persistence import jobs
from services.imports import background, framework, kinds
from services.sanctions import batch_check
from tests.conftest import csrf_token, sign_in
from tests.factories.directories import uscc
from tests.factories.import_kinds import workbook
from tests.factories.sanctions import Setup

KIND = kinds.KINDS["sanction_verify"]


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def _rows(lst):
    entity, person = lst.objects
    return [[1, "甲", entity.code.lower()], [2, "张三", " " + person.code + " "], [3, "路人", uscc("91510108MA6CX9999")],
            [4, "错号", "12345"], [5, "乙", entity.code]]


def _result(data):
    ws = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]


def test_upload_confirm_download(client, sx, org):
    lst = sx.listed()
    sign_in(client, org.clerk_a)
    page = client.get("/sanctions/batch-checks").get_data(as_text=True)
    assert "上传名单" in page and "下载模板" in page
    assert client.get("/imports/sanction_verify/template.xlsx").status_code == 200
    token = csrf_token(client, "/imports/sanction_verify/")
    resp = client.post("/imports/sanction_verify/", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(workbook(KIND, _rows(lst))), "待验证名单.xlsx")})
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    assert "不是有效的统一社会信用代码或身份证号" in client.get(preview).get_data(as_text=True)
    batch_id = int(preview.rstrip("/").rsplit("/", 1)[-1])
    resp = client.post(f"/imports/sanction_verify/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 302 and "/sanctions/batch-checks?check=" in resp.headers["Location"]
    kept = db.session.query(SanctionBatchCheck).one()
    assert (kept.rows, kept.hits) == (4, 3)
    download = client.get(f"/sanctions/batch-checks/{kept.id}.xlsx")
    assert download.status_code == 200
    rows = _result(download.data)
    assert [r[3] for r in rows] == [batch_check.IN_SCOPE, batch_check.IN_SCOPE, batch_check.OUT_OF_SCOPE,
                                    batch_check.IN_SCOPE]
    assert rows[0][4] == "严重违法失信企业"
    assert "限制参加政府采购（甲区卫生健康局）" in rows[0][5] and rows[2][4] in (None, "")
    sign_in(client, org.clerk_b)  # another user: not theirs
    assert client.get(f"/sanctions/batch-checks/{kept.id}.xlsx").status_code == 404
    sign_in(client, org.health_clerk)
    assert client.get(f"/sanctions/batch-checks/{kept.id}.xlsx").status_code == 404


def test_another_district_is_out_of_scope(sx, org):
    lst = sx.listed()
    batch, check = framework.upload(KIND, org.clerk_b, "名单.xlsx", workbook(KIND, _rows(lst)), {})
    framework.confirm(KIND, org.clerk_b, batch, valid_only=True)
    kept = db.session.query(SanctionBatchCheck).one()
    assert kept.hits == 0


def test_a_large_file_runs_as_a_job_with_progress(sx, org, session, monkeypatch):
    lst = sx.listed()
    monkeypatch.setattr(type(KIND), "job_rows", 3)
    seen: list[tuple[int, int, str]] = []
    report = jobs.Progress.__call__

    def spy(self, done, total, message=""):
        seen.append((done, total, message))
        report(self, done, total, message)

    monkeypatch.setattr(jobs.Progress, "__call__", spy)
    batch, _ = framework.upload(KIND, org.clerk_a, "大名单.xlsx", workbook(KIND, _rows(lst)), {})
    session.commit()
    assert background.runs_as_job(KIND, batch)
    job = background.enqueue(KIND, org.clerk_a, batch, valid_only=True)
    session.commit()
    assert jobs.run_pending() == 1
    session.refresh(job)
    assert job.state == JobStatus.DONE and "在联合奖惩范围内 3 行" in job.outcome["text"]
    assert any(m.startswith("正在验证") for _, _, m in seen) and seen[-1][0] == seen[-1][1]
    assert session.query(SanctionBatchCheck).one().rows == 4


def test_only_department_staff(client, org):
    sign_in(client, org.inspector_a)
    assert client.get("/sanctions/batch-checks").status_code == 403
    assert client.get("/imports/sanction_verify/").status_code in (403, 404)


def test_the_streamed_workbook_reads_back():
    from infrastructure.excel.stream import one_sheet

    data = one_sheet("结果", ("序号", "名称"), [((1, "=HYPERLINK(1)"), True), ((2, "a\x01<b>&"), False), ((None, ""), False)],
                     (8, 20))
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "结果" and ws["A1"].value == "序号" and ws["A1"].font.b
    assert [c.value for c in ws[2]] == [1, "'=HYPERLINK(1)"] and ws["B2"].fill.fgColor.rgb == "FFFDE2E1"
    assert [c.value for c in ws[3]] == [2, "a<b>&"] and ws.freeze_panes == "A2"
