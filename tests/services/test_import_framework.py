"""The import framework's shared policies, for every registered kind: a formula cell refuses
its row only; a key repeated in the file refuses every row carrying it, with one message each;
the template's title row above the header is accepted.  A kind with ``job_rows`` runs a
large file as a background job with progress, all or nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import FORMULA_CELL, Column
from models import AuditEvent, ImportStatus, JobStatus
from persistence import audit, jobs
from services.imports import background, framework, kinds
from services.imports.framework import ImportKind, ImportRow
from services.templates_catalogue import Template
from tests.factories.import_kinds import ROWS, SETUP, workbook

kinds.get("")  # load the platform's kinds
NAMES = sorted(ROWS)


def test_every_registered_kind_has_a_sample_row():
    # a kind whose file is a form in its own layout (not tabular) has its own tests
    untested = {n for n, k in kinds.KINDS.items() if n.startswith("test_") or not k.tabular}
    assert set(ROWS) == set(kinds.KINDS) - untested


def _context(name: str, setup: Any) -> dict[str, Any]:
    """What the kind's rows refer to (SETUP), and the upload's context."""
    return SETUP[name](setup) if name in SETUP else {}


@pytest.mark.parametrize("name", NAMES)
def test_a_formula_cell_refuses_its_row_not_the_file(name, org, session):
    kind = kinds.KINDS[name]
    data = workbook(kind, [ROWS[name](1), ROWS[name](2)])
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    column = kind.template.titles.index(kind.name_column) + 1
    ws.cell(row=3, column=column, value='="专家"&"二"')
    buf = io.BytesIO()
    wb.save(buf)
    check = framework.run_check(kind, org.clerk_a, buf.getvalue(), _context(name, org))
    assert [r.valid for r in check.rows] == [True, False]
    assert check.errors.as_dict()[3] == [f"{kind.name_column}：{FORMULA_CELL}"]


@pytest.mark.parametrize("name", [n for n in NAMES if kinds.KINDS[n].key_column])
def test_a_repeated_key_refuses_both_rows_once_each(name, org, session):
    kind = kinds.KINDS[name]
    row = ROWS[name](1)
    data = workbook(kind, [row, ROWS[name](2), row])
    check = framework.run_check(kind, org.clerk_a, data, _context(name, org))
    assert [r.valid for r in check.rows] == [False, True, False]
    errors = check.errors.as_dict()
    assert len(errors[2]) == 1 and errors[2][0].startswith(f"{kind.key_column}：与第4行重复")
    assert len(errors[4]) == 1 and errors[4][0].startswith(f"{kind.key_column}：与第2行重复")


@pytest.mark.parametrize("name", NAMES)
def test_the_templates_title_row_above_the_header_is_accepted(name, org, session):
    kind = kinds.KINDS[name]
    data = workbook(kind, [ROWS[name](1)], title=f"{kind.template.code} {kind.template.title}")
    check = framework.run_check(kind, org.clerk_a, data, _context(name, org))
    assert [(r.number, r.valid) for r in check.rows] == [(3, True)]


# ------------------------------------------------------------------ large files: the background job


class CountedImport(ImportKind):
    """A kind whose files of more than two rows run as a background job; 坏 fails the import
    after the rows before it were written."""

    name = "test_counted"
    title = "导入测试计数"
    template = Template("T.2", "测试计数模板", "测试", (Column("名称", required=True),))
    name_column = key_column = "名称"
    job_rows = 2

    def can_import(self, actor, context=None) -> bool:
        return actor.department_id is not None

    def check(self, actor, rows, context):
        items = []
        for n, row in enumerate(rows, start=1):
            framework.checked(n, f"正在校验：已校验 {n} 行")
            items.append(ImportRow(row, row["名称"] if row.valid else None))
        return items

    def natural_key(self, item):
        return item.row.get("名称") or None

    def apply(self, actor, batch, rows, context):
        for n, item in enumerate(rows, start=1):
            if item.payload == "坏":
                raise Invalid(f"第{item.number}行无法导入")
            audit.record("create", object_type="test_counted", object_id=n, summary={"名称": item.payload}, user=actor)
            framework.applied(n, f"正在写入：{n} / {len(rows)}")
        return {"新增": len(rows)}

    def back(self, context):
        return "首页", "main.index", {}


@pytest.fixture
def counted():
    kind = kinds.register(CountedImport())
    yield kind
    kinds.unregister(kind.name)


def _written(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "test_counted"))


def test_a_kind_with_job_rows_runs_a_large_file_as_a_job_with_progress(org, session, counted, monkeypatch):
    seen: list[tuple[int, int, str]] = []
    report = jobs.Progress.__call__

    def spy(self, done, total, message=""):
        seen.append((done, total, message))
        report(self, done, total, message)

    monkeypatch.setattr(jobs.Progress, "__call__", spy)
    small, _ = framework.upload(counted, org.clerk_a, "小.xlsx", workbook(counted, [["甲"], ["乙"]]), {})
    batch, _ = framework.upload(counted, org.clerk_a, "大.xlsx", workbook(counted, [["甲"], ["乙"], ["丙"]]), {})
    session.commit()
    assert not background.runs_as_job(counted, small) and background.runs_as_job(counted, batch)
    job = background.enqueue(counted, org.clerk_a, batch, valid_only=False)
    session.commit()
    assert job.kind == background.JOB_KIND and job.title == "导入测试计数：大.xlsx" and _written(session) == 0
    with pytest.raises(Conflict):  # a second confirmation while the job waits
        background.enqueue(counted, org.clerk_a, batch, valid_only=False)
    with pytest.raises(Forbidden):
        background.enqueue(counted, org.clerk_b, batch, valid_only=False)

    assert jobs.run_pending() == 1
    session.refresh(job)
    session.refresh(batch)
    assert job.state == JobStatus.DONE and job.outcome["text"] == "已导入：新增 3，跳过问题行 0"
    assert batch.status == ImportStatus.IMPORTED and batch.content == b"" and _written(session) == 3
    # the check counts one step per row, then apply its own: 3 + 3, in order, to the end
    assert seen[0] == (0, 6, "正在校验") and (3, 6, "正在校验：已校验 3 行") in seen
    assert (3, 6, "正在写入：共 3 行") in seen and seen[-1] == (6, 6, "正在写入：3 / 3")
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)


def test_a_failed_import_job_writes_nothing_and_the_batch_waits(org, session, counted):
    batch, _ = framework.upload(counted, org.clerk_a, "坏.xlsx", workbook(counted, [["甲"], ["坏"], ["丙"], ["丙"]]), {})
    session.commit()
    with pytest.raises(Invalid, match="2行有问题"):  # 全部导入 while rows have problems: refused at once
        background.enqueue(counted, org.clerk_a, batch, valid_only=False)
    none_valid, _ = framework.upload(counted, org.clerk_a, "重复.xlsx", workbook(counted, [["丁"]] * 3), {})
    with pytest.raises(Invalid, match="没有可导入的有效行"):
        background.enqueue(counted, org.clerk_a, none_valid, valid_only=True)
    job = background.enqueue(counted, org.clerk_a, batch, valid_only=True)
    session.commit()
    assert jobs.run_pending() == 1
    session.refresh(job)
    session.refresh(batch)
    assert job.state == JobStatus.FAILED and job.error == "第3行无法导入"
    assert _written(session) == 0  # the first row's write was rolled back with the rest
    assert batch.status == ImportStatus.PENDING and batch.content
    assert background.job_state(batch)["failed"] == job  # the batch page says so, and may confirm again
    assert background.enqueue(counted, org.clerk_a, batch, valid_only=True).id != job.id
