"""The annual cycle's second half (表24): 上报查处结果 (the unit's inspectors, then the unit) →
汇总查处结果 (the office: a page and an Excel workbook of A.6's columns, printed by
services/ledger_export.py) → 情况通报 (an official document to every member unit) → 接收通报
(each unit signs for it).  A second submission of the same report is refused (409).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infrastructure import pdf
from infrastructure.clock import cn_date
from infrastructure.errors import Conflict, Invalid
from models import User, utcnow
from models.conference import OfficialDocument
from models.receipts import Receipt
from models.unlicensed import OperatorStatus, UnlicensedCycle, UnlicensedUnit
from persistence import audit
from services import documents, ledger_export, ledgers, receipts
from services.unlicensed import access
from services.unlicensed.cycles import (
    OfficeDocument,
    OfficeSummary,
    issue_office_document,
    office_summary,
    text,
)


def unfinished(unit: UnlicensedUnit) -> list[str]:
    return [o.operator for o in unit.operators if o.status not in OperatorStatus.DONE]


def inspectors_report(user: User, unit: UnlicensedUnit, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """上报查处结果 (执法人员): every operator found has come to a result."""
    access.require_inspector(user, unit)
    note = text(data, "report_note", "查处情况说明", 5000)
    access.check_lock(unit, lock_version, "本单位的查处结果")
    if unit.inspectors_reported_at is not None:
        raise Conflict("执法人员已上报本单位的查处结果，不能重复上报")
    if not unit.operators:
        raise Conflict("尚未录入任何无证无照经营者，不能上报查处结果")
    waiting = unfinished(unit)
    if waiting:
        raise Conflict(f"以下经营者尚未办结（立案查处、引导办证/办照或停业、关闭）：{'、'.join(waiting[:10])}")
    access.advance(user, unit, "report")
    unit.inspectors_reported_at, unit.inspectors_reported_by_id, unit.report_note = utcnow(), user.id, note
    audit.record("inspectors_report", object_type="unlicensed_unit", object_id=unit.id,
                 summary={"单位": unit.department.name, "经营者": len(unit.operators)}, user=user)


def unit_report(user: User, unit: UnlicensedUnit, lock_version: int | None) -> None:
    """上报查处结果 (成员单位) to the office, after its inspectors."""
    access.require_liaison(user, unit)
    access.check_lock(unit, lock_version, "本单位的查处结果")
    if unit.reported_at is not None:
        raise Conflict("本单位的查处结果已上报，不能重复上报")
    if unit.inspectors_reported_at is None:
        raise Conflict("执法人员尚未上报查处结果")
    access.advance(user, unit, "report")
    unit.reported_at, unit.reported_by_id = utcnow(), user.id
    audit.record("report", object_type="unlicensed_unit", object_id=unit.id,
                 summary={"单位": unit.department.name, "经营者": len(unit.operators)}, user=user)


# ------------------------------------------------------------------ 汇总


@dataclass(frozen=True)
class _Campaign:
    """What ledger_export reads of a 表32 task: one cycle is one "task"."""

    id: int
    title: str


@dataclass(frozen=True)
class _Rows:
    rows: list[Any]


def aggregate(cycle: UnlicensedCycle) -> ledgers.Aggregate:
    """The reported units' operators as A.6 rows, unit by unit with subtotals, and the total."""
    campaign = _Campaign(cycle.id, f"{cycle.year}年度无证无照经营综合治理")
    units: list[ledgers.UnitLedger] = []
    grand = ledgers.Totals()
    for unit in cycle.units:
        if unit.reported_at is None:
            continue
        totals = ledgers.Totals()
        for op in unit.operators:
            totals.add(op)  # type: ignore[arg-type]
        grand.merge(totals)
        units.append(ledgers.UnitLedger(unit.department, campaign, _Rows(list(unit.operators)), totals))  # type: ignore[arg-type]
    return ledgers.Aggregate(campaign.title, units, grand)


def by_status(cycle: UnlicensedCycle) -> dict[str, int]:
    counts = dict.fromkeys(OperatorStatus.LABELS.values(), 0)
    for unit in cycle.units:
        if unit.reported_at is not None:
            for op in unit.operators:
                counts[op.status_label] += 1
    return counts


def summary_pdf(cycle: UnlicensedCycle, paper: str) -> bytes:
    """The office's 汇总 on A4 or A3 landscape (as the 专项整治 summary): the reported member
    units with their A.6 counts and fines, the 合计, the operators by outcome and the 汇总意见."""
    if paper not in ("A4", "A3"):
        raise Invalid("纸张只能是 A4 或 A3", "paper")
    return pdf.render("unlicensed/summary_pdf.html", cycle=cycle, agg=aggregate(cycle), flags=ledgers.FLAGS,
                      counts=by_status(cycle), amount=ledgers.amount, paper=paper,
                      missing=[u.department.name for u in cycle.units if u.reported_at is None],
                      title=f"{cycle.conference.name}{cycle.year}年度无证无照经营查处结果汇总表",
                      printed_on=cn_date(utcnow()))


def xlsx(cycle: UnlicensedCycle) -> bytes:
    return ledger_export.xlsx(aggregate(cycle), f"{cycle.conference.name} {cycle.year}年度无证无照经营查处结果")


RESULTS = OfficeSummary("results_summary", "summarized_at", "summarized_by_id", "reported_at", "summary", "查处结果")


def summarize(user: User, cycle: UnlicensedCycle, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """汇总查处结果, once every member unit has reported."""
    office_summary(user, cycle, lock_version, data, RESULTS)


BULLETIN = OfficeDocument("bulletin", "notify", "情况通报", "summarized_at", "请先汇总查处结果")


def issue_bulletin(user: User, cycle: UnlicensedCycle, lock_version: int | None, data: Mapping[str, Any],
                   uploads: Iterable[documents.Upload | None] = ()) -> OfficialDocument:
    """情况通报: a document to every member unit, which each signs for (接收通报)."""
    return issue_office_document(user, cycle, lock_version, data, uploads, BULLETIN)


def receive_bulletin(user: User, unit: UnlicensedUnit, password: str, version: int | None) -> Receipt | None:
    """接收通报: the unit signs for the 通报 (password, services/receipts) unless it already has
    on the document's own page; the unit's 表24 instance ends."""
    access.require_liaison(user, unit)
    bulletin = unit.cycle.bulletin
    if bulletin is None:
        raise Conflict("情况通报尚未下发")
    if unit.received_at is not None or not access.step_open(user, unit, "receive"):
        raise Conflict("本单位已接收通报")
    receipt = receipts.signed_by_unit(bulletin, unit.department)
    if receipt is None:
        if version is None:
            raise Invalid("请刷新页面后重新签收", "version")
        receipt = documents.sign_document(user, bulletin, password, version)
    access.advance(user, unit, "receive")
    unit.received_at = utcnow()
    return receipt
