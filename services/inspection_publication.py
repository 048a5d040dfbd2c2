"""公示 of an inspection's results: the public snapshot of its records, its digest and the published
versions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select

from infrastructure import clock
from models import (
    InspectionRecord,
    InspectionResultVersion,
    RecordStatus,
    User,
    db,
)
from services import publication

SUBJECT = "inspection_result"  # Publication.subject_type


def public_snapshot(record: InspectionRecord) -> dict[str, Any]:
    """The public fields, in display order: no credit grade, no ID number, no person's phone."""
    task = record.task
    return {
        "记录编号": record.record_no,
        "主体名称": record.subject_name,
        "统一社会信用代码": record.uscc or record.license_no,
        "所属区县": record.district,
        "抽查任务": task.name,
        "抽查计划": task.plan.name,
        "抽查类型": "部门联合" if task.plan.kind.value == "joint" else "单部门",
        "检查事项": record.items_text,
        "检查方式": record.method,
        "检查部门": record.department.name,
        "检查日期": clock.china_date(record.inspected_at).isoformat() if record.inspected_at else "",
        "检查结果": record.result_label,
        "结果说明": record.result_note,
    }


def digest_of(snapshot_json: str) -> str:
    return hashlib.sha256(snapshot_json.encode("utf-8")).hexdigest()


def publish_version(record: InspectionRecord, *, user: User | None = None, corrected_from: int | None = None,
                    reason: str = "", instance_id: int | None = None) -> InspectionResultVersion:
    """Write the record's next immutable published version (1 at 公示检查结果; a correction
    passes ``corrected_from`` and ``reason``) and its Publication row for the feed."""
    last = db.session.execute(
        select(func.max(InspectionResultVersion.version)).where(InspectionResultVersion.record_id == record.id)
    ).scalar() or 0
    snapshot = public_snapshot(record)
    snapshot["版本"] = last + 1
    if corrected_from is not None:
        snapshot["更正"] = f"更正第{corrected_from}版：{reason}"
    text = json.dumps(snapshot, ensure_ascii=False, sort_keys=False)
    pub = publication.publish(SUBJECT, record.id, title=record.subject_name or record.record_no, payload=snapshot,
                              department_id=record.department_id, instance_id=instance_id, user=user)
    version = InspectionResultVersion(record_id=record.id, version=last + 1, snapshot=text, digest=digest_of(text),
                                      published_by_id=user.id if user else None, corrected_from=corrected_from,
                                      reason=reason, publication_id=pub.id, published_at=pub.published_at)
    db.session.add(version)
    record.version = last + 1
    record.status = RecordStatus.PUBLISHED
    record.published_at = pub.published_at
    db.session.flush()
    return version


def latest_version(record: InspectionRecord) -> InspectionResultVersion | None:
    return db.session.execute(
        select(InspectionResultVersion).where(InspectionResultVersion.record_id == record.id)
        .order_by(InspectionResultVersion.version.desc()).limit(1)
    ).scalar_one_or_none()
