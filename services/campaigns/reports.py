"""上报检查结果 → 梳理汇总 → 情况通报 → 接收通报 (表23; seed 004 §4.4).

A campaign has parts: the initiator's own objects and each 参与部门's (with the units below it
it passed objects to).  The inspectors of a part report it when every object of the part
(those removed after their record was started included) has come to a result; a 参与部门 then
reports to the 发起部门.  The initiator sums up (by result, handling department and object
category: a page, an Excel workbook, an A4/A3 PDF) once every part has reported, issues the
通报 and each 参与部门 signs for it (接收通报, services/receipts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from infrastructure import pdf
from infrastructure.clock import cn_date
from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel.workbooks import Column, build_workbook, workbook_bytes
from models import Department, User, UserRole, db, utcnow
from models.campaigns import Campaign, CampaignBulletin, CampaignObject, CampaignParty, CampaignStatus
from models.campaigns import ObjectStatus as S
from models.receipts import Receipt
from models.roles import Role
from persistence import audit, notifications
from persistence.scope import subtree_ids
from services import receipts
from services.campaigns import access
from services.campaigns.plans import text

RESULT_COLUMNS = ("对象数", "已检查", "符合法定条件", "责令改正", "已改正", "责令改正中", "立案查处", "待检查",
                  "已移出对象库")


@dataclass
class Part:
    department: Department
    party: CampaignParty | None  # None: the initiator's own part
    objects: int = 0
    unfinished: list[str] = field(default_factory=list)
    inspectors_reported_at: Any = None

    @property
    def inspectors_reported(self) -> bool:
        return self.inspectors_reported_at is not None or self.objects == 0

    @property
    def reported(self) -> bool:
        if self.party is None:
            return True
        return self.party.reported_at is not None


def part_objects(campaign: Campaign, party: CampaignParty | None) -> Any:
    where = [CampaignObject.campaign_id == campaign.id]
    if party is not None:
        where.append(CampaignObject.department_id.in_(subtree_ids(party.department)))
    else:
        where.extend(CampaignObject.department_id.not_in(subtree_ids(p.department)) for p in campaign.parties)
    # a removed object counts only once its record was started (it was kept)
    where.append((CampaignObject.removed_at.is_(None)) | CampaignObject.started_at.is_not(None))
    return where


def part(campaign: Campaign, party: CampaignParty | None) -> Part:
    where = part_objects(campaign, party)
    total = db.session.execute(select(func.count()).select_from(CampaignObject).where(*where)).scalar_one()
    waiting = db.session.execute(
        select(CampaignObject).where(*where, CampaignObject.status.not_in(S.DONE)).order_by(CampaignObject.id).limit(10)
    ).scalars().all()
    holder: Campaign | CampaignParty = party if party is not None else campaign
    return Part(party.department if party else campaign.department, party, int(total),
                [o.entity.name for o in waiting], holder.inspectors_reported_at)


def parts(campaign: Campaign) -> list[Part]:
    return [part(campaign, None), *(part(campaign, p) for p in campaign.parties)]


def _own_part(user: User, campaign: Campaign) -> CampaignParty | None:
    """The part an inspector reports: the party whose subtree holds the user, else the initiator's."""
    return next((p for p in campaign.parties if user.department.is_within(p.department)), None)


def inspectors_report(user: User, campaign: Campaign, data: Mapping[str, Any]) -> Part:
    """上报检查结果 (执法人员): the inspectors' part, every object come to a result."""
    if not user.has_role(Role.INSPECTOR):
        raise Forbidden("只有执法人员可以上报检查结果")
    access.require_published(campaign)
    party = _own_part(user, campaign)
    own = part(campaign, party)
    assigned = db.session.execute(select(func.count()).select_from(CampaignObject).where(
        *part_objects(campaign, party), CampaignObject.inspector_id == user.id)).scalar_one()
    if not assigned:
        raise Forbidden("您没有被指派本部门的专项整治对象")
    note = text(data, "report_note", "检查情况说明", 5000)
    holder: Campaign | CampaignParty = party if party is not None else campaign
    access.check_lock(holder, _int(data.get("lock_version")), "本部门的检查结果")
    if holder.inspectors_reported_at is not None:
        raise Conflict("本部门的检查结果已由执法人员上报，不能重复上报")
    if own.unfinished:
        raise Conflict(f"以下对象尚未办结（符合法定条件、已改正或立案查处）：{'、'.join(own.unfinished)}")
    holder.inspectors_reported_at = utcnow()
    if party is not None:
        party.report_note = note
    db.session.execute(CampaignObject.__table__.update().where(*part_objects(campaign, party))
                       .values(reported_at=utcnow()))
    if all(p.inspectors_reported for p in parts(campaign)):
        access.follow(user, campaign, "report", comment="执法人员上报检查结果")
    audit.record("inspectors_report", object_type="campaign", object_id=campaign.id,
                 summary={"部门": own.department.name, "对象数": own.objects}, user=user)
    return own


def _int(raw: Any) -> int | None:
    value = str(raw or "")
    return int(value) if value.isdigit() else None


def party_report(user: User, campaign: Campaign, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """上报检查结果 (参与部门) to the 发起部门, after its inspectors."""
    party = access.require_party(user, campaign)
    note = text(data, "report_note", "上报说明", 5000)
    access.check_lock(party, lock_version, "本部门的检查结果")
    if party.reported_at is not None:
        raise Conflict("本部门的检查结果已上报，不能重复上报")
    if not part(campaign, party).inspectors_reported:
        raise Conflict("本部门的执法人员尚未上报检查结果")
    access.advance(user, campaign, "report")
    party.reported_at = utcnow()
    party.report_note = "\n".join(p for p in (party.report_note, note) if p)
    notifications.notify(_staff(campaign.department_id), f"{party.department.name}已上报专项整治检查结果",
                         campaign.title, f"/campaigns/{campaign.id}", channels=("inbox",))
    audit.record("party_report", object_type="campaign", object_id=campaign.id,
                 summary={"参与部门": party.department.name}, user=user)


def summarize(user: User, campaign: Campaign, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """梳理汇总 (发起部门) once every part has reported."""
    access.require_initiator(user, campaign)
    note = text(data, "summary_note", "汇总意见", 20000, required=True)
    access.check_lock(campaign, lock_version, "该专项整治")
    access.require_published(campaign)
    late = [p.department.name for p in parts(campaign) if not (p.inspectors_reported and p.reported)]
    if late:
        raise Conflict(f"尚有部门未上报检查结果：{'、'.join(late)}")
    access.advance(user, campaign, "summary")
    campaign.summary_note, campaign.summarized_at, campaign.status = note, utcnow(), CampaignStatus.SUMMARIZED
    audit.record("summarize", object_type="campaign", object_id=campaign.id, summary={"名称": campaign.title},
                 user=user)


def issue_bulletin(user: User, campaign: Campaign, lock_version: int | None, data: Mapping[str, Any]) -> CampaignBulletin:
    """情况通报 to the member units (the 参与部门), which each sign for it."""
    access.require_initiator(user, campaign)
    values = {k: text(data, k, t, n, required=True) for k, t, n in
              (("doc_no", "文号", 60), ("title", "标题", 200), ("body", "正文", 50000))}
    access.check_lock(campaign, lock_version, "该专项整治")
    access.require_status(campaign, CampaignStatus.SUMMARIZED)
    bulletin = CampaignBulletin(campaign=campaign, issued_by_id=user.id, **values)
    db.session.add(bulletin)
    db.session.flush()
    access.advance(user, campaign, "notify")
    campaign.status = CampaignStatus.NOTIFIED
    staff = [u for p in campaign.parties for u in _staff(p.department_id)]
    notifications.notify(staff, f"专项整治情况通报：{bulletin.title}", "", f"/campaigns/{campaign.id}",
                         channels=("inbox",))
    audit.record("bulletin", object_type="campaign", object_id=campaign.id,
                 summary={"通报": f"{bulletin.doc_no}《{bulletin.title}》"}, user=user)
    return bulletin


def _staff(department_id: int) -> list[User]:
    return list(db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.department_id == department_id, UserRole.role.in_([str(r) for r in access.STAFF_ROLES]))
    ).scalars().unique())


def receive_bulletin(user: User, campaign: Campaign, password: str, version: int | None) -> Receipt:
    """接收通报 (参与部门): signed with the password (services/receipts)."""
    party = access.require_party(user, campaign)
    bulletin = campaign.bulletin
    if bulletin is None:
        raise Conflict("情况通报尚未下发")
    if party.received_bulletin_at is not None:
        raise Conflict("本部门已接收通报")
    if version is None:
        raise Invalid("请刷新页面后重新签收", "version")
    receipt = receipts.sign(user, bulletin, password, version=version, label=f"{bulletin.doc_no}《{bulletin.title}》",
                            signer_roles=access.STAFF_ROLES)
    access.advance(user, campaign, "receive")
    party.received_bulletin_at = utcnow()
    return receipt


# ------------------------------------------------------------------ 梳理汇总


def _figures() -> list[Any]:
    live = CampaignObject.removed_at.is_(None)
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    return [
        one(live), one(CampaignObject.status != S.PENDING), one(CampaignObject.status == S.LAWFUL),
        one(CampaignObject.order_no != ""), one(CampaignObject.status == S.CORRECTED),
        one(CampaignObject.status == S.ORDERED), one(CampaignObject.status == S.CASE),
        one(live & (CampaignObject.status == S.PENDING)), one(CampaignObject.removed_at.is_not(None)),
    ]


@dataclass
class Summary:
    total: list[int]
    by_department: list[tuple[str, list[int]]]
    by_category: list[tuple[str, list[int]]]
    by_result: list[tuple[str, int]]


def summary(campaign: Campaign) -> Summary:
    """Three GROUP BYs over the campaign's objects (no query per row)."""
    base = CampaignObject.campaign_id == campaign.id
    total = db.session.execute(select(*_figures()).where(base)).one()
    deps = db.session.execute(
        select(Department.name, *_figures()).join(Department, Department.id == CampaignObject.department_id)
        .where(base).group_by(Department.id, Department.name).order_by(Department.name)).all()
    cats = db.session.execute(
        select(CampaignObject.category, *_figures()).where(base).group_by(CampaignObject.category)
        .order_by(func.count().desc()).limit(200)).all()
    results = db.session.execute(select(CampaignObject.status, func.count()).where(
        base, CampaignObject.removed_at.is_(None)).group_by(CampaignObject.status)).all()
    ints = lambda row: [int(v or 0) for v in row]  # noqa: E731
    return Summary(ints(total), [(r[0], ints(r[1:])) for r in deps], [(r[0] or "未分类", ints(r[1:])) for r in cats],
                   [(S.LABELS.get(s, s), int(n)) for s, n in results])


def summary_xlsx(campaign: Campaign) -> bytes:
    data = summary(campaign)
    columns = [Column("处理部门", 30), *(Column(c, 12) for c in RESULT_COLUMNS)]
    rows = [[name, *v] for name, v in data.by_department] + [["合计", *data.total]]
    wb = build_workbook("按部门", columns, rows, template_rows=0, required_mark="")
    ws = wb.create_sheet("按对象分类")
    ws.append(["对象分类", *RESULT_COLUMNS])
    for name, v in data.by_category:
        ws.append([name, *v])
    ws = wb.create_sheet("按检查结果")
    ws.append(["检查结果", "对象数"])
    for name, n in data.by_result:
        ws.append([name, n])
    return workbook_bytes(wb)


def summary_pdf(campaign: Campaign, paper: str) -> bytes:
    if paper not in ("A4", "A3"):
        raise Invalid("纸张只能是 A4 或 A3", "paper")
    return pdf.render("campaigns/summary_pdf.html", campaign=campaign, s=summary(campaign), columns=RESULT_COLUMNS,
                      paper=paper, title=f"{campaign.title}汇总表", printed_on=cn_date(utcnow()))


def bulletin_html(campaign: Campaign) -> str:
    """The 情况通报 as printed (A4): the document, then the results by department and whether each
    参与部门 has signed for it.  The HTML alone, so the bench can time WeasyPrint on it."""
    bulletin = campaign.bulletin
    if bulletin is None:
        raise Conflict("情况通报尚未下发")
    return pdf.render_html("campaigns/bulletin_pdf.html", campaign=campaign, bulletin=bulletin, s=summary(campaign),
                           columns=RESULT_COLUMNS, title=f"{bulletin.doc_no}《{bulletin.title}》",
                           issued_on=cn_date(bulletin.issued_at))


def bulletin_pdf(campaign: Campaign) -> bytes:
    return pdf.write_html(bulletin_html(campaign))
