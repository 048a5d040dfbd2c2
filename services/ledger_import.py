"""Import of a 工作台账 from template A.6 (联席会议工作台账模板), in the batch pattern of
services/joint_import.py: the upload is checked (services.excel.check_upload, read_table: a file
that lacks a column is refused naming each missing one) and kept as an ImportBatch (kind
"conference_ledger", the task in its summary); the preview lists the problems by row and column;
an annotated copy marks them in the file; the confirmation appends every row (全部导入, only when
none has a problem) or the valid rows only (仅导入有效行) to the unit's ledger of that task, in
the request's one transaction.  The rows are checked by services.ledgers.check_values, the same
rules as the form's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models import ConferenceTask, ImportBatch, User, db
from services import import_batches
from services import ledgers as svc
from services.errors import Forbidden, Invalid, NotFound
from services.excel import Row, RowErrors, check_upload, read_table

IMPORT_KIND = "conference_ledger"
MAX_ROWS = svc.MAX_ROWS_PER_LEDGER
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PREVIEW_PROBLEMS = 200
TEMPLATE = svc.A6


@dataclass
class CheckedRow:
    row: Row
    fields: dict[str, Any]

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def valid(self) -> bool:
        return self.row.valid


@dataclass
class LedgerCheck(import_batches.CheckedFile):
    rows: list[CheckedRow]
    errors: RowErrors = field(default_factory=RowErrors)

    def summary(self, task_id: int) -> dict[str, Any]:
        errors = self.errors.as_dict()
        return {
            **self.counts(),
            "task_id": task_id,
            "problems": [
                {"row": r.number, "name": r.row.get("经营者/名称") or "", "errors": errors.get(r.number, [])}
                for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }


def check_import(content: bytes) -> LedgerCheck:
    """Read and check an A.6 upload (nothing is written); ExcelError when the file as a whole
    cannot be used (not an xlsx/csv, missing or extra columns, formulas, no data rows)."""
    rows = read_table(content, TEMPLATE, csv_ok=True, max_rows=MAX_ROWS)
    checked: list[CheckedRow] = []
    for row in rows:
        # Cells read_table already refused keep its message; the rest get the ledger's rules.
        bad = {title for title, _ in row.errors}
        values = {t: (row.raw[t] if t in bad else row.values[t]) for t in svc.COLUMNS}
        fields, problems = svc.check_values(values)
        for title, message in problems:
            if title not in bad:
                row.add_error(title, message)
        checked.append(CheckedRow(row, fields))
    result = LedgerCheck(checked)
    result.errors.add_rows(rows)
    return result


def batch_task(batch: ImportBatch) -> ConferenceTask:
    summary = import_batches.batch_summary(batch).get("check") or {}
    task = db.session.get(ConferenceTask, summary.get("task_id") or 0)
    if task is None:
        raise NotFound("该批次对应的任务不存在")
    return task


def can_use_batch(user: User, batch: ImportBatch) -> bool:
    """A batch belongs to the liaison who uploaded it, while they stay in that unit."""
    return (
        batch.kind == IMPORT_KIND
        and batch.created_by_id == user.id
        and batch.department_id == user.department_id
    )


def store_import(user: User, task: ConferenceTask, filename: str, content: bytes) -> tuple[ImportBatch, LedgerCheck]:
    """上传: check the file and keep it for the preview (the ledger must still be open)."""
    ledger = svc.open_ledger(user, task)
    svc.check_editable(user, ledger, None)
    check_upload(content, filename, csv_ok=True, max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS)
    check = check_import(content)
    batch = import_batches.open_batch(
        user, IMPORT_KIND, filename, content, template=TEMPLATE.code, summary=check.summary(task.id)
    )
    return batch, check


def annotated_copy(user: User, batch: ImportBatch) -> bytes:
    """The upload with an error column beside each problem row."""
    import_batches.ensure_pending(batch)
    return import_batches.annotated(user, batch, check_import(batch.content).errors, sheet=TEMPLATE.sheet)


def import_rows(user: User, batch: ImportBatch, *, valid_only: bool) -> int:
    """全部导入 (nothing when any row has a problem) or 仅导入有效行, appended to the ledger."""
    if not can_use_batch(user, batch):
        raise Forbidden("只有上传该文件的联络员可以导入")
    import_batches.ensure_pending(batch)
    task = batch_task(batch)
    ledger = svc.open_ledger(user, task)
    svc.check_editable(user, ledger, None)
    check = check_import(batch.content)
    if check.invalid_rows and not valid_only:
        raise Invalid(
            f"文件中有{len(check.invalid_rows)}行有问题，未导入任何记录：请修改后重新上传，或选择“仅导入有效行”"
        )
    if not check.valid_rows:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    import_batches.claim(batch)
    added = svc.add_rows(ledger, [r.fields for r in check.valid_rows], source="import")
    ledger.lock_version += 1
    import_batches.close_batch(
        user, batch,
        {"文件": batch.filename, "任务": task.title, "新增": added, "跳过问题行": len(check.invalid_rows),
         "task_id": task.id},
    )
    return added


def discard_import(user: User, batch: ImportBatch) -> None:
    if not can_use_batch(user, batch):
        raise Forbidden("只有上传该文件的联络员可以放弃该批次")
    import_batches.discard_batch(user, batch)
