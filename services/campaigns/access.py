"""Who sees and does what in a 专项整治 campaign, and its 表23 instance.

- 发起部门: the clerks and leaders of the initiating department (drafts are theirs only); its
  leaders approve.
- 参与部门: the clerks and leaders of a party department of a published joint campaign.
- a handling unit: the department an object is allocated to (the initiator, a party, or a unit
  below a party the party passed its objects to): its clerks and leaders assign inspectors.
- 执法人员: the inspector an object is assigned to records it.

Everyone working in (or below) the initiator or a party department sees the campaign once it
is published; anyone else gets 404.  One 表23 instance per campaign, started at 发布: the
inspector steps follow the objects (``follow``): an object's step moves the instance when that
step is the one open, so the history shows the first object through each decision and never a
step no object took (as services/unlicensed/access does for 表24).
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from infrastructure.errors import Conflict, Forbidden
from models import Department, ProcessInstance, User, db
from models.campaigns import Campaign, CampaignObject, CampaignParty, CampaignStatus
from models.roles import Role
from models.workflow import InstanceStatus
from persistence.scope import subtree_ids
from workflows import engine

TABLE = 23
SUBJECT = "campaign"
STAFF_ROLES = (Role.CLERK, Role.DEPT_LEADER)
# Done on the campaign's page, by the role 表23 names.
BUSINESS_STEPS = ("risk", "objects", "plan", "joint", "send_plan", "enforce", "joint_enforce", "assign", "report",
                  "summary", "notify", "receive")
# Done on an object's page (执法人员).
OBJECT_STEPS = ("inspect", "lawful", "order_needed", "order", "corrected", "case")
NOT_YOUR_STEP = "该环节当前不由您办理，或已办理完毕，请刷新页面查看最新状态"


def is_staff_of(user: User, department_id: int) -> bool:
    return user.is_active and user.has_role(*STAFF_ROLES) and user.department_id == department_id


def is_initiator(user: User, campaign: Campaign) -> bool:
    return is_staff_of(user, campaign.department_id)


def is_leader(user: User, campaign: Campaign) -> bool:
    return (user.is_active and user.has_role(Role.DEPT_LEADER)
            and campaign.department.is_within(user.department))


def party_of(user: User, campaign: Campaign) -> CampaignParty | None:
    """The party department the user is staff of."""
    return next((p for p in campaign.parties if is_staff_of(user, p.department_id)), None)


def published(campaign: Campaign) -> bool:
    return campaign.published_at is not None


def _within(user: User, department: Department) -> bool:
    return user.is_active and user.department.is_within(department)


def can_view(user: User, campaign: Campaign) -> bool:
    if _within(user, campaign.department) or is_leader(user, campaign):
        return published(campaign) or user.has_role(*STAFF_ROLES)
    return published(campaign) and campaign.joint and any(_within(user, p.department) for p in campaign.parties)


def can_view_object(user: User, obj: CampaignObject) -> bool:
    campaign = obj.campaign
    if not can_view(user, campaign):
        return False
    if _within(user, campaign.department):
        return True
    return _within(user, obj.department) or any(
        _within(user, p.department) and obj.department.is_within(p.department) for p in campaign.parties)


def part_department(campaign: Campaign, obj: CampaignObject) -> Department:
    """The initiator or the party whose part ``obj`` is (a unit below a party counts as the party)."""
    for p in campaign.parties:
        if obj.department.is_within(p.department):
            return p.department
    return campaign.department


def can_assign(user: User, obj: CampaignObject) -> bool:
    """The handling unit's staff, or the staff of the part (party or initiator) it belongs to."""
    return is_staff_of(user, obj.department_id) or is_staff_of(user, part_department(obj.campaign, obj).id)


def is_inspector(user: User, obj: CampaignObject) -> bool:
    return user.is_active and user.has_role(Role.INSPECTOR) and obj.inspector_id == user.id


def list_query(user: User) -> Select[tuple[Campaign]]:
    """Campaigns of the user's department and above it within the district, and joint ones
    the user's department (or one above it) takes part in."""
    ancestors = user.department.ancestors()
    mine = select(CampaignParty.campaign_id).where(CampaignParty.department_id.in_(ancestors))
    own = Campaign.department_id.in_(subtree_ids(user.department)) | Campaign.department_id.in_(ancestors)
    return select(Campaign).where(or_(
        own & (Campaign.published_at.is_not(None) | (Campaign.department_id == user.department_id)),
        Campaign.id.in_(mine) & Campaign.published_at.is_not(None),
    )).order_by(Campaign.starts_on.desc(), Campaign.id.desc())


def instance_of(campaign: Campaign) -> ProcessInstance | None:
    return db.session.get(ProcessInstance, campaign.instance_id) if campaign.instance_id else None


def current_step(campaign: Campaign) -> str:
    inst = instance_of(campaign)
    return inst.current_step if inst is not None and inst.status == InstanceStatus.ACTIVE else ""


def step_open(user: User, campaign: Campaign, key: str) -> bool:
    inst = instance_of(campaign)
    return inst is not None and engine.open_item(user, inst, key) is not None


def advance(user: User, campaign: Campaign, key: str, outcome: str = "next", comment: str = "") -> None:
    """Complete the user's open item at ``key``; 409 when it is not open."""
    inst = instance_of(campaign)
    if inst is None or engine.open_item(user, inst, key) is None:
        raise Conflict(NOT_YOUR_STEP)
    engine.advance(user, inst, key, outcome, comment=comment)


def follow(user: User, campaign: Campaign, key: str, outcome: str = "next", comment: str = "") -> bool:
    """Move the instance through ``key`` when it is the step open for the user (an object's
    step); otherwise the object's own record is the only trace.  True if moved."""
    if not step_open(user, campaign, key):
        return False
    engine.advance(user, instance_of(campaign), key, outcome, comment=comment)  # type: ignore[arg-type]
    return True


def require_initiator(user: User, campaign: Campaign) -> None:
    if not is_initiator(user, campaign):
        raise Forbidden("只有发起部门的工作人员可以办理")


def require_party(user: User, campaign: Campaign) -> CampaignParty:
    party = party_of(user, campaign)
    if party is None:
        raise Forbidden("只有参与部门的工作人员可以办理")
    return party


def require_status(campaign: Campaign, *statuses: str) -> None:
    if campaign.status not in statuses:
        raise Conflict(f"该专项整治当前为“{campaign.status_label}”，不能办理此操作，请刷新页面")


def require_published(campaign: Campaign) -> None:
    require_status(campaign, CampaignStatus.PUBLISHED)


def check_lock(row: Campaign | CampaignParty | CampaignObject, lock_version: int | None,
               what: str = "该记录") -> None:
    """Optimistic lock: the form's version must be the row's; the row's version moves on."""
    db.session.refresh(row, ["lock_version"], with_for_update=True)
    if lock_version is None or lock_version != row.lock_version:
        raise Conflict(f"{what}已被他人修改，请刷新页面后重试（您填写的内容已保留）")
    row.lock_version += 1
