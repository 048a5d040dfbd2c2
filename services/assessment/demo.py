"""The demo district's 考核 (``flask demo``, cli/demo.py): a few records entered or answered late
in the demo year, the office's judgements of two units (one with an evidence file), and the
year's scorecard computed by 郑红 of the 联席会议办公室.  Units without any record show the
no-data reason.  Idempotent: skipped once the district has a run."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from infrastructure import clock
from models import ApprovalAuthority, Department, LicenceItem, MarketEntity, User, db
from models.assessment import AssessmentEvidence, AssessmentJudgement, AssessmentRun
from models.facts import AbnormalListing, FactSource, Sanction
from models.notice import NoticeStatus, ScopeNotice
from services.assessment import runs

DISTRICT = "成华区"
OFFICE = "zhengh"
# A one-page PDF: the evidence of the demo judgement.
EVIDENCE = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
            b"3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _cn(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return clock.from_china(datetime(year, month, day, hour))  # type: ignore[return-value]


def _dept(name: str) -> Department | None:
    return db.session.execute(select(Department).where(Department.name == name)).scalar_one_or_none()


def _late_records(year: int, bureau: Department, health: Department, entities: list[int]) -> None:
    for n, (decided, received) in enumerate(((date(year, 3, 2), (3, 20)), (date(year, 5, 11), (5, 29)))):
        db.session.add(Sanction(source_department_id=bureau.id, source_kind=FactSource.ONLINE, entity_id=entities[n],
                                list_kind="严重违法失信名单", decided_on=decided, reason="演示：逾期录入的惩戒信息",
                                received_at=_cn(year, *received)))
    db.session.add(AbnormalListing(source_department_id=health.id, source_kind=FactSource.IMPORT, entity_id=entities[2],
                                   listed_on=date(year, 4, 1), reason="演示：通过登记的住所无法联系",
                                   received_at=_cn(year, 4, 20)))
    item = db.session.execute(select(LicenceItem).order_by(LicenceItem.id).limit(1)).scalar_one_or_none()
    authority = db.session.execute(select(ApprovalAuthority).order_by(ApprovalAuthority.id).limit(1)).scalar_one_or_none()
    if item is None or authority is None:
        return
    db.session.add_all([
        ScopeNotice(entity_id=entities[3], item_id=item.id, authority_id=authority.id, department_id=health.id,
                    created_at=_cn(year, 4, 1), received_at=_cn(year, 4, 7), status=NoticeStatus.ISSUED,
                    issued_on=date(year, 4, 15), feedback_at=_cn(year, 4, 16)),
        ScopeNotice(entity_id=entities[4], item_id=item.id, authority_id=authority.id, department_id=health.id,
                    created_at=_cn(year, 6, 1), received_at=_cn(year, 6, 1, 15), status=NoticeStatus.ISSUED,
                    issued_on=date(year, 6, 10), feedback_at=_cn(year, 6, 30)),
    ])


def load_demo_assessment() -> None:
    district, office = _dept(DISTRICT), db.session.execute(select(User).where(User.account == OFFICE)).scalar_one_or_none()
    bureau, health, safety = (_dept(n) for n in ("成华区市场监督管理局", "成华区卫生健康局", "成华区应急管理局"))
    if None in (district, office, bureau, health, safety) or db.session.execute(
            select(AssessmentRun.id).where(AssessmentRun.region_id == district.id)).first():  # type: ignore[union-attr]
        return
    entities = list(db.session.execute(select(MarketEntity.id).order_by(MarketEntity.id).limit(5)).scalars())
    if len(entities) < 5:
        return
    year = clock.china_today().year
    _late_records(year, bureau, health, entities)  # type: ignore[arg-type]
    judged = AssessmentJudgement(year=year, department_id=bureau.id, item="S1", points=0,  # type: ignore[union-attr]
                                 note="已建立平台使用管理制度和联络员制度（见附件）", judged_by_id=office.id)  # type: ignore[union-attr]
    judged.evidence.append(AssessmentEvidence(filename="平台使用管理制度.pdf", content_type="application/pdf",
                                              size=len(EVIDENCE), content=EVIDENCE, uploaded_by_id=office.id))  # type: ignore[union-attr]
    db.session.add_all([judged, AssessmentJudgement(
        year=year, department_id=safety.id, item="S2", points=5,  # type: ignore[union-attr]
        note="未明确单位系统管理员", judged_by_id=office.id)])  # type: ignore[union-attr]
    db.session.flush()
    runs.run(office, district, year)  # type: ignore[arg-type]
