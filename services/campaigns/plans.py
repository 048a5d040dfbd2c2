"""专项整治计划制定 (seed 004 §4.1) and the first steps of 表23.

The 发起部门 drafts the 整治行动方案 (依据, 范围, 预期结果, 期间, 监管方式, joint or not and with
whom, whether the executing departments may adjust the object library), defines its 反馈内容
(services/campaigns/feedback.py) and builds the 专项整治对象库 (services/campaigns/library.py);
a leader approves (or returns it); 发布 starts the 表23 instance and completes, in the same
transaction, 确定风险分类结果 · 建立专项整治对象库 · 制定专项整治行动方案 · 判断是否联合执法 and,
for a joint campaign, 向参与部门发送整治方案 (the parties are notified).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_date
from models import Department, User, UserRole, db, utcnow
from models.campaigns import MODES, Campaign, CampaignObject, CampaignParty, CampaignStatus
from models.roles import Role
from persistence import audit, notifications
from persistence.org import partner_departments
from services.campaigns import access
from workflows import engine
from workflows.lanes import PARTICIPANT

S = CampaignStatus


def text(data: Mapping[str, Any], key: str, title: str, limit: int, *, required: bool = False) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise Invalid(f"请填写{title}", key)
    if len(value) > limit:
        raise Invalid(f"{title}不能超过{limit}个字", key)
    return value


def a_date(raw: Any, key: str, title: str) -> date:
    try:
        value = parse_date(raw)
    except ValueError as exc:
        raise Invalid(f"{title}：{exc}", key) from None
    if value is None:
        raise Invalid(f"请填写{title}", key)
    return value


def _checked(data: Any, key: str) -> bool:
    return str(data.get(key) or "") in ("1", "on", "yes", "true")


def _list(data: Any, key: str) -> list[str]:
    getter = getattr(data, "getlist", None)
    values = getter(key) if getter else data.get(key) or []
    return [str(v) for v in ([values] if isinstance(values, str) else values) if str(v).strip()]


def participant_choices(user: User) -> list[Department]:
    return partner_departments(user.department)


def _clean(user: User, data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": text(data, "title", "专项整治名称", 200, required=True),
        "basis": text(data, "basis", "整治依据", 5000, required=True),
        "scope": text(data, "scope", "整治范围", 5000, required=True),
        "expected": text(data, "expected", "预期结果", 5000),
        "starts_on": a_date(data.get("starts_on"), "starts_on", "开始日期"),
        "ends_on": a_date(data.get("ends_on"), "ends_on", "结束日期"),
    }
    if values["ends_on"] < values["starts_on"]:
        raise Invalid("结束日期不能早于开始日期", "ends_on")
    modes = _list(data, "modes")
    if not modes:
        raise Invalid("请至少选择一种监管方式", "modes")
    if set(modes) - set(MODES):
        raise Invalid("监管方式无效", "modes")
    values["modes"] = [m for m in MODES if m in modes]
    values["joint"] = _checked(data, "joint")
    values["parties_may_adjust"] = _checked(data, "parties_may_adjust")
    values["text_report"] = _checked(data, "text_report")
    return values


def _parties(user: User, data: Any, joint: bool) -> list[int]:
    try:
        chosen = list(dict.fromkeys(int(i) for i in _list(data, "participants")))
    except ValueError:
        raise Invalid("参与部门选择无效", "participants") from None
    if not joint:
        return []
    if not chosen:
        raise Invalid("联合执法的专项整治请至少选择一个参与部门", "participants")
    allowed = {d.id for d in participant_choices(user)}
    if set(chosen) - allowed:
        raise Invalid("所选参与部门不在本区域或已停用", "participants")
    return chosen


def create_campaign(user: User, data: Any) -> Campaign:
    """A draft 整治行动方案 of the user's department (发起部门)."""
    if not user.has_role(*access.STAFF_ROLES):
        raise Forbidden("只有监管部门的工作人员可以制定专项整治方案")
    values = _clean(user, data)
    parties = _parties(user, data, values["joint"])
    campaign = Campaign(**values, department_id=user.department_id, created_by_id=user.id)
    campaign.parties = [CampaignParty(department_id=i) for i in parties]
    db.session.add(campaign)
    db.session.flush()
    audit.record("create", object_type="campaign", object_id=campaign.id,
                 summary={"名称": campaign.title, "联合执法": campaign.joint}, user=user)
    return campaign


def update_campaign(user: User, campaign: Campaign, lock_version: int | None, data: Any) -> None:
    access.require_initiator(user, campaign)
    values = _clean(user, data)
    parties = _parties(user, data, values["joint"])
    access.check_lock(campaign, lock_version, "该专项整治方案")
    access.require_status(campaign, S.DRAFT)
    for key, value in values.items():
        setattr(campaign, key, value)
    keep = {p.department_id: p for p in campaign.parties}
    campaign.parties = [keep.get(i) or CampaignParty(department_id=i) for i in parties]
    db.session.flush()
    # Objects allocated to a party no longer taking part go back to the initiator.
    db.session.execute(CampaignObject.__table__.update().where(
        CampaignObject.campaign_id == campaign.id,
        CampaignObject.department_id.not_in([campaign.department_id, *parties]),
    ).values(department_id=campaign.department_id))
    audit.record("update", object_type="campaign", object_id=campaign.id, summary={"名称": campaign.title}, user=user)


def object_count(campaign: Campaign, *, include_removed: bool = False) -> int:
    query = select(func.count()).select_from(CampaignObject).where(CampaignObject.campaign_id == campaign.id)
    if not include_removed:
        query = query.where(CampaignObject.removed_at.is_(None))
    return int(db.session.execute(query).scalar_one())


def submit(user: User, campaign: Campaign, lock_version: int | None) -> None:
    """提交领导审批: the draft needs objects and its 反馈内容 (or the text report)."""
    access.require_initiator(user, campaign)
    access.check_lock(campaign, lock_version, "该专项整治方案")
    access.require_status(campaign, S.DRAFT)
    if object_count(campaign) == 0:
        raise Conflict("专项整治对象库为空，请先建立专项整治对象库")
    if not campaign.fields and not campaign.text_report:
        raise Conflict("请先定制反馈内容（文字形式或自定义反馈项）")
    campaign.status, campaign.submitted_at = S.PENDING, utcnow()
    notifications.notify(_leaders(campaign), f"专项整治方案待审批：{campaign.title}", "",
                         f"/campaigns/{campaign.id}", channels=("inbox",))
    audit.record("submit", object_type="campaign", object_id=campaign.id, summary={"名称": campaign.title}, user=user)


def _leaders(campaign: Campaign) -> list[User]:
    return list(db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id).where(
            User.department_id == campaign.department_id, UserRole.role == str(Role.DEPT_LEADER))
    ).scalars())


def decide(user: User, campaign: Campaign, lock_version: int | None, approve: bool, note: str) -> None:
    """领导审批: approve, or return to the draft with a reason."""
    if not access.is_leader(user, campaign):
        raise Forbidden("只有发起部门的领导可以审批专项整治方案")
    note = (note or "").strip()
    if not approve and not note:
        raise Invalid("退回须填写理由", "approval_note")
    if len(note) > 2000:
        raise Invalid("审批意见不能超过2000个字", "approval_note")
    access.check_lock(campaign, lock_version, "该专项整治方案")
    access.require_status(campaign, S.PENDING)
    campaign.status = S.APPROVED if approve else S.DRAFT
    campaign.approval_note = note
    campaign.approved_by_id, campaign.approved_at = (user.id, utcnow()) if approve else (None, None)
    audit.record("approve" if approve else "return", object_type="campaign", object_id=campaign.id,
                 summary={"名称": campaign.title, "意见": note}, user=user)


def publish(user: User, campaign: Campaign, lock_version: int | None) -> None:
    """发布: the 表23 instance, through the initiator's planning steps; a joint campaign is sent
    to its 参与部门 (向参与部门发送整治方案), each of which is notified."""
    access.require_initiator(user, campaign)
    access.check_lock(campaign, lock_version, "该专项整治方案")
    access.require_status(campaign, S.APPROVED)
    parties = [p.department_id for p in campaign.parties] if campaign.joint else []
    inst = engine.start(access.TABLE, user, title=campaign.title, parties={PARTICIPANT: parties},
                        subject_type=access.SUBJECT, subject_id=campaign.id)
    campaign.instance_id = inst.id
    grades = campaign.library_note or "对象库"
    engine.advance(user, inst, "risk", "next", comment=grades)
    engine.advance(user, inst, "objects", "next", comment=f"{object_count(campaign)}户")
    engine.advance(user, inst, "plan", "next", comment=campaign.title)
    engine.advance(user, inst, "joint", "yes" if parties else "no")
    if parties:
        engine.advance(user, inst, "send_plan", "next")
        staff = list(db.session.execute(
            select(User).join(UserRole, UserRole.user_id == User.id).where(
                User.department_id.in_(parties), UserRole.role.in_([str(r) for r in access.STAFF_ROLES]))
        ).scalars().unique())
        notifications.notify(staff, f"请接收专项整治方案：{campaign.title}", "", f"/campaigns/{campaign.id}",
                             channels=("inbox",))
    campaign.status, campaign.published_at = S.PUBLISHED, utcnow()
    audit.record("publish", object_type="campaign", object_id=campaign.id,
                 summary={"名称": campaign.title, "参与部门": len(parties)}, user=user)


def deploy(user: User, campaign: Campaign, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """开展专项整治执法 (a campaign the initiator runs alone): the deployment note."""
    access.require_initiator(user, campaign)
    note = text(data, "deploy_note", "部署情况", 5000, required=True)
    access.check_lock(campaign, lock_version, "该专项整治")
    access.require_published(campaign)
    if campaign.deployed_at is not None:
        raise Conflict("已部署专项整治执法，不能重复提交")
    access.advance(user, campaign, "enforce")
    campaign.deployed_at, campaign.deploy_note = utcnow(), note
    audit.record("deploy", object_type="campaign", object_id=campaign.id, summary={"部署": note[:100]}, user=user)


def receive(user: User, campaign: Campaign, lock_version: int | None, data: Mapping[str, Any]) -> CampaignParty:
    """接收 (开展专项整治联合执法): the party receives the plan and deploys its part."""
    party = access.require_party(user, campaign)
    note = text(data, "receive_note", "部署情况", 5000, required=True)
    access.check_lock(party, lock_version, "本部门的接收")
    access.require_published(campaign)
    if party.received_at is not None:
        raise Conflict("本部门已接收该专项整治方案")
    access.advance(user, campaign, "joint_enforce")
    party.received_at, party.receive_note = utcnow(), note
    audit.record("receive", object_type="campaign", object_id=campaign.id,
                 summary={"参与部门": party.department.name}, user=user)
    return party


def parties_named(parties: Iterable[CampaignParty]) -> str:
    return "、".join(p.department.name for p in parties)
