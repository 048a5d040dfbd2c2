"""Rules read from people and events: 任职异常预警, 投诉举报预警, 司法涉诉预警 (表26), 失联预警 and
立案查处预警 (seed 004 §6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from models import (
    AbnormalListing,
    CaseFiling,
    Complaint,
    InspectionRecord,
    Lawsuit,
    Officer,
    OtherFact,
    Penalty,
    Person,
    RecordStatus,
    ResultCategory,
    SupervisionRecord,
)
from services.risk.common import Builder, Context, dated, evidence, sanction_alias, sanction_in_force

EXECUTION_LIST = "失信被执行人"
LEGAL_REP = "法定代表人"
EXECUTIVES = ("董事", "监事", "经理", "执行董事")  # 高管
LOST_WORDS = ("无法联系", "联系不上", "失联")
CASE_CATEGORIES = ("正被立案", "立案查处", "立案")


def officer_dishonest(ctx: Context) -> Select[Any]:
    """A serving 法定代表人 is a 失信被执行人, or a serving 高管 is on any 失信 list (失信联合奖惩对象)."""
    officer, person, sanction = aliased(Officer), aliased(Person), sanction_alias()
    serving = and_(officer.current.is_(True), or_(officer.from_date.is_(None), officer.from_date <= ctx.today),
                   or_(officer.to_date.is_(None), officer.to_date >= ctx.today))
    listed = or_(and_(officer.role == LEGAL_REP, sanction.list_kind == EXECUTION_LIST), officer.role.in_(EXECUTIVES))
    text = officer.role + person.name + "：" + sanction.list_kind
    return (
        select(*evidence(officer.entity_id, "sanction", sanction.id, sanction.source_department_id,
                         sanction.decided_on, text))
        .join(sanction, sanction.person_id == officer.person_id)
        .join(person, person.id == officer.person_id)
        .where(serving, sanction_in_force(sanction, ctx.today), listed, ctx.limit(officer.entity_id))
    )


def _counted(model: Any, day_column: str, kind: str, ctx: Context, text: Any) -> Select[Any]:
    """Facts of ``model`` dated within the last ``window_days`` days (today included) of the
    entities that have ``min_count`` or more of them."""
    since = ctx.today - timedelta(days=ctx.params["window_days"] - 1)
    fact = aliased(model)
    day = getattr(fact, day_column)
    within = and_(fact.current.is_(True), day >= since, day <= ctx.today, ctx.limit(fact.entity_id))
    many = select(fact.entity_id).where(within).group_by(fact.entity_id).having(
        func.count() >= ctx.params["min_count"])
    shown = aliased(model)
    shown_day = getattr(shown, day_column)
    return select(*evidence(shown.entity_id, kind, shown.id, shown.source_department_id, shown_day,
                            text(shown))).where(
        shown.current.is_(True), shown_day >= since, shown_day <= ctx.today, shown.entity_id.in_(many))


def complaints(ctx: Context) -> Select[Any]:
    return _counted(Complaint, "received_on", "complaint", ctx, lambda c: c.subject)


def lawsuits(ctx: Context) -> Select[Any]:
    return _counted(Lawsuit, "filed_on", "lawsuit", ctx, lambda s: s.case_no + " " + s.role)


def _contact_failures(ctx: Context) -> Any:
    """Every failed contact: an own inspection record 通过登记的住所（经营场所）无法联系 (approved or
    published), another department's supervision record whose result says so, and an abnormal
    listing for that reason."""
    record, supervision, listing = aliased(InspectionRecord), aliased(SupervisionRecord), aliased(AbnormalListing)
    said = lambda column: or_(*(column.like(f"%{w}%") for w in LOST_WORDS))  # noqa: E731
    records = select(*evidence(record.entity_id, "inspection_record", record.id, record.department_id,
                               record.filled_on, record.record_no)).where(
        record.entity_id.is_not(None), record.result == ResultCategory.UNREACHABLE,
        record.status.in_((RecordStatus.APPROVED, RecordStatus.PUBLISHED)), ctx.limit(record.entity_id))
    reported = select(*evidence(supervision.entity_id, "supervision", supervision.id,
                                supervision.source_department_id, supervision.inspected_on, supervision.result)).where(
        supervision.current.is_(True), said(supervision.result), ctx.limit(supervision.entity_id))
    listed = select(*evidence(listing.entity_id, "abnormal", listing.id, listing.source_department_id,
                              listing.listed_on, listing.reason)).where(
        listing.current.is_(True), said(listing.reason), ctx.limit(listing.entity_id))
    return union_all(records, reported, listed).cte("failures")


def lost_contact(ctx: Context) -> Select[Any]:
    """``min_count`` or more failed contacts (多次联系不上)."""
    failures = _contact_failures(ctx)
    many = select(failures.c.entity_id).group_by(failures.c.entity_id).having(
        func.count() >= ctx.params["min_count"])
    return select(failures).where(failures.c.entity_id.in_(many))


def _no_penalty_since(entity_id: Any, since: Any) -> Any:
    penalty = aliased(Penalty)
    return ~exists(select(penalty.id).where(penalty.entity_id == entity_id, penalty.current.is_(True),
                                            or_(since.is_(None), penalty.decided_on >= since)))


def case_filed(ctx: Context) -> Select[Any]:
    """A case filed (立案) on an own inspection record's findings, or reported by another
    department (其他信息 正被立案 …), and no penalty decided since (the case is still open)."""
    filing, record, other = aliased(CaseFiling), aliased(InspectionRecord), aliased(OtherFact)
    own = (
        select(*evidence(record.entity_id, "case_filing", filing.id, record.department_id, filing.filed_on,
                         filing.case_no))
        .join(record, record.id == filing.record_id)
        .where(record.entity_id.is_not(None), _no_penalty_since(record.entity_id, filing.filed_on),
               ctx.limit(record.entity_id))
    )
    reported = select(*evidence(other.entity_id, "other", other.id, other.source_department_id, other.occurred_on,
                                other.title)).where(
        other.current.is_(True), other.category.in_(CASE_CATEGORIES), _no_penalty_since(other.entity_id, other.occurred_on),
        ctx.limit(other.entity_id))
    return own.union_all(reported)  # type: ignore[return-value]


BUILDERS = {
    "officer_dishonest": Builder(officer_dishonest, dated("任职人员被列入失信名单")),
    "complaints": Builder(complaints, dated("投诉举报")),
    "lawsuits": Builder(lawsuits, dated("司法涉诉")),
    "lost_contact": Builder(lost_contact, dated("联系不上")),
    "case_filed": Builder(case_filed, dated("立案查处")),
}
