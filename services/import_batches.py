"""The life of an upload kept for its preview (ImportBatch): open it with the check's summary,
hand out the annotated copy, claim it for its import (of two concurrent confirmations one
wins), close it once imported, discard it, and purge the ones left unconfirmed.

The import kinds own their rows' rules (services/imports); these are the batch steps every
importer shares (docs/architecture.md, "How to add an import kind").  An upload holds
personal data: a batch not confirmed within ``RETENTION`` expires and its file is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from infrastructure.errors import Conflict
from infrastructure.excel import RowErrors
from models import ImportBatch, ImportStatus, User, db, utcnow
from persistence import audit

RETENTION = timedelta(hours=24)


class CheckedFile:
    """The rows of a checked upload and their problems; a subclass (a dataclass) gives ``rows``
    (each with ``valid``) and ``errors``."""

    rows: Sequence[Any]
    errors: RowErrors

    @property
    def valid_rows(self) -> list[Any]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[Any]:
        return [r for r in self.rows if not r.valid]

    def counts(self) -> dict[str, int]:
        return {"rows": len(self.rows), "valid": len(self.valid_rows), "invalid": len(self.invalid_rows)}


def open_batch(actor: User, kind: str, filename: str, data: bytes, *, template: str,
               summary: dict[str, Any]) -> ImportBatch:
    """Keep an upload and its check summary (``result`` = {"check": summary}) for the preview."""
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=kind,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"check": summary}, ensure_ascii=False, default=str),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "模板": template, "有效行": summary.get("valid", 0),
                 "问题行": summary.get("invalid", 0)},
        user=actor,
    )
    return batch


def is_expired(batch: ImportBatch) -> bool:
    return batch.status == ImportStatus.PENDING.value and batch.created_at < utcnow() - RETENTION


def purge_stale_imports(actor: User) -> int:
    """Discard every pending upload older than RETENTION and drop its file."""
    stale = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.status == ImportStatus.PENDING.value, ImportBatch.created_at < utcnow() - RETENTION)
        .values(status=ImportStatus.DISCARDED.value, content=b"")
        .execution_options(synchronize_session=False)
    ).rowcount
    if stale:
        audit.record("delete", object_type="import_batch", summary={"过期未确认的导入批次": stale}, user=actor)
    return stale


def ensure_pending(batch: ImportBatch) -> None:
    """Conflict unless the batch still waits for its confirmation (not imported, discarded or expired)."""
    if batch.status == ImportStatus.IMPORTED.value:
        raise Conflict("该批次已导入")
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已放弃，请重新上传")
    if is_expired(batch):
        raise Conflict("该批次上传已超过24小时未确认，已失效，请重新上传")


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def preview_state(batch: ImportBatch) -> dict[str, Any]:
    """What the preview page shows: the check while the batch waits, the result once imported,
    or that it expired (else it was discarded)."""
    expired = is_expired(batch)
    summary = batch_summary(batch)
    pending = batch.status == ImportStatus.PENDING.value and not expired
    return {
        "batch": batch,
        "check": summary.get("check") if pending else None,
        "result": summary if batch.status == ImportStatus.IMPORTED.value else None,
        "expired": expired,
    }


def annotated_name(batch: ImportBatch) -> str:
    """Download name of the annotated copy: 原文件名_问题标注.xlsx."""
    return f"{batch.filename.rsplit('.', 1)[0] or '导入文件'}_问题标注.xlsx"


def record_export(actor: User, batch: ImportBatch) -> None:
    """The download of a batch's annotated copy is an export (audited)."""
    audit.record(
        "export",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"},
        user=actor,
    )


def annotated(actor: User, batch: ImportBatch, errors: RowErrors, *, sheet: str) -> bytes:
    """The upload (a CSV as a workbook) with an error column; the download is an export."""
    ensure_pending(batch)
    record_export(actor, batch)
    return errors.annotated(batch.content, sheet=sheet if batch.content.startswith(b"PK") else None)


def claim(batch: ImportBatch, status: ImportStatus = ImportStatus.IMPORTED) -> None:
    """Move a pending batch to ``status`` (its import, or 放弃) atomically: of two concurrent
    requests one wins, the other gets a Conflict."""
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.PENDING.value)
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    if claimed != 1:
        ensure_pending(batch)
        raise Conflict("该批次已被处理")


def close_batch(actor: User, batch: ImportBatch, summary: dict[str, Any]) -> None:
    """Record what the confirmation imported and drop the file."""
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)


def discard_batch(actor: User, batch: ImportBatch) -> None:
    """放弃: drop a pending batch and its file."""
    ensure_pending(batch)
    claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record("delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename},
                 user=actor)
