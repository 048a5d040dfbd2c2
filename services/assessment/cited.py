"""What a deduction cites, read again from its record: the times and days the rule compared,
so that a reader checks the deduction without the record's own page (which the assessing
office may not be allowed to open: the collected facts are the entering departments')."""

from __future__ import annotations

from typing import Any

from infrastructure import clock
from models import Department, MarketEntity, Message, db
from models.assessment import AssessmentDeduction, AssessmentJudgement
from models.facts import AbnormalListing, Penalty, Permit, Sanction, SupervisionRecord
from models.notice import ScopeNotice
from models.sanctions import SanctionTask

FACTS: dict[str, tuple[Any, str, str]] = {
    "fact_permit": (Permit, "valid_from", "许可有效期起"),
    "fact_penalty": (Penalty, "decided_on", "处罚决定日期"),
    "fact_supervision": (SupervisionRecord, "inspected_on", "检查日期"),
    "fact_sanction": (Sanction, "decided_on", "认定日期"),
    "fact_abnormal": (AbnormalListing, "listed_on", "列入日期"),
}


def _name(model: Any, ident: int | None) -> str:
    row = db.session.get(model, ident) if ident else None
    return getattr(row, "name", "") if row is not None else ""


def _when(value: Any) -> str:
    return clock.format_china(value) if value is not None else "（无）"


def _fact(kind: str, ident: int) -> list[tuple[str, str]]:
    model, produced, title = FACTS[kind]
    row = db.session.get(model, ident)
    if row is None:
        return []
    return [("信息来源部门", _name(Department, row.source_department_id)), ("市场主体", _name(MarketEntity, row.entity_id)),
            ("归集方式", str(row.source_kind.label)), (title, _when(getattr(row, produced))),
            ("归集时间", _when(row.received_at))]


def _notice(ident: int) -> list[tuple[str, str]]:
    row = db.session.get(ScopeNotice, ident)
    if row is None:
        return []
    return [("审批部门", _name(Department, row.department_id)), ("市场主体", _name(MarketEntity, row.entity_id)),
            ("抄告时间", _when(row.created_at)), ("接收时间", _when(row.received_at)),
            ("发证反馈", row.status.label), ("发证日期", _when(row.issued_on)), ("反馈时间", _when(row.feedback_at))]


def _task(ident: int) -> list[tuple[str, str]]:
    row = db.session.get(SanctionTask, ident)
    if row is None:
        return []
    return [("实施部门", _name(Department, row.department_id)), ("惩戒对象", row.object.name),
            ("下发时间", _when(row.created_at)), ("接收时间", _when(row.received_at))]


def _digest(ident: int) -> list[tuple[str, str]]:
    row = db.session.get(Message, ident)
    if row is None:
        return []
    return [("消息", row.subject), ("接收人", row.user.name), ("发送时间", _when(row.created_at)),
            ("首次阅读时间（本单位任一经办人）", "见计算：同一汇总取最早的阅读时间")]


def _judgement(ident: int) -> list[tuple[str, str]]:
    row = db.session.get(AssessmentJudgement, ident)
    if row is None:
        return []
    return [("评定人", row.judged_by.name if row.judged_by else ""), ("评定时间", _when(row.judged_at)),
            ("扣分", str(row.points)), ("评定依据", row.note), ("佐证材料", "、".join(e.filename for e in row.evidence))]


def fields(deduction: AssessmentDeduction) -> list[tuple[str, str]]:
    """The cited record's fields the rule read; empty when the record is gone."""
    kind, ident = deduction.record_kind, deduction.record_id
    if kind in FACTS:
        return _fact(kind, ident)
    readers = {"scope_notice": _notice, "sanction_task": _task, "risk_digest": _digest, "judgement": _judgement}
    reader = readers.get(kind)
    return reader(ident) if reader else []
