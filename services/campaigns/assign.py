"""指派执法人员 (表23; seed 004 §4.1 分派): the department that handles objects (the initiator,
a 参与部门, or a unit below a party that passed its objects on) gives them to its inspectors,
by hand (one inspector for the chosen objects) or by draw: services/inspector_draws.draw_people
draws ``draw_count`` (default: all) of the chosen inspectors in a random rank order, kept as a
re-computable ``Draw`` row of the campaign, and the chosen objects, in id order, go to the drawn
inspectors in turn (so the record alone gives who got which object).

The party's (or initiator's) 指派执法人员 work item is completed by its first assignment, or by
passing its objects on to a unit below it (that unit then assigns its own inspectors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select, update

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import MarketEntity, User, UserRole, db, utcnow
from models.campaigns import Campaign, CampaignObject
from models.org import UserStatus
from models.roles import Role
from persistence import audit, notifications
from persistence.scope import subtree_ids
from services import inspector_draws
from services.campaigns import access
from services.campaigns.library import code_prefix
from services.entity_search import starts_with

MODES = {"manual": "人工指派", "draw": "随机抽取"}


def handling_department_ids(campaign: Campaign) -> set[int]:
    return set(db.session.execute(select(CampaignObject.department_id).where(
        CampaignObject.campaign_id == campaign.id).distinct()).scalars())


def unit_of(user: User, campaign: Campaign) -> int | None:
    """The department whose objects the user may assign: their own, if it handles any."""
    if not user.is_active or not user.has_role(*access.STAFF_ROLES):
        return None
    return user.department_id if user.department_id in handling_department_ids(campaign) else None


def candidates(user: User) -> list[User]:
    """Active inspectors of the user's department and below."""
    return list(db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id).where(
            UserRole.role == str(Role.INSPECTOR), User.department_id.in_(subtree_ids(user.department)),
            User.status == UserStatus.ACTIVE).order_by(User.name, User.id)
    ).scalars().unique())


def _ids(raw: Any) -> list[int]:
    try:
        return list(dict.fromkeys(int(i) for i in raw))
    except (TypeError, ValueError):
        raise Invalid("执法人员选择无效", "inspectors") from None


def _selected(campaign: Campaign, unit_id: int, data: Mapping[str, Any]) -> list[int]:
    where = [CampaignObject.campaign_id == campaign.id, CampaignObject.department_id == unit_id,
             CampaignObject.removed_at.is_(None), CampaignObject.started_at.is_(None)]
    if str(data.get("only_unassigned") or "") in ("1", "on"):
        where.append(CampaignObject.inspector_id.is_(None))
    division = code_prefix(data, "division", "行政区划代码", 12)
    if division:
        where.append(CampaignObject.entity_id.in_(
            select(MarketEntity.id).where(starts_with(MarketEntity.division_code, division))))
    return list(db.session.execute(select(CampaignObject.id).where(*where).order_by(CampaignObject.id)).scalars())


def assign(user: User, campaign: Campaign, data: Any) -> int:
    """Assign the chosen objects of the user's department; returns how many."""
    access.require_published(campaign)
    unit_id = unit_of(user, campaign)
    if unit_id is None:
        raise Forbidden("本部门没有需要指派执法人员的对象")
    if user.department_id == campaign.department_id and not campaign.joint and campaign.deployed_at is None:
        raise Conflict("请先部署开展专项整治执法")
    party = access.party_of(user, campaign)
    if party is not None and party.received_at is None:
        raise Conflict("请先接收专项整治方案")
    mode = str(data.get("mode") or "manual")
    if mode not in MODES:
        raise Invalid("请选择指派方式", "mode")
    getter = getattr(data, "getlist", None)
    chosen = _ids(getter("inspectors") if getter else data.get("inspectors") or [])
    if not chosen:
        raise Invalid("请至少选择一名执法人员", "inspectors")
    if mode == "manual" and len(chosen) != 1:
        raise Invalid("人工指派请选择一名执法人员；多名执法人员请用随机抽取", "inspectors")
    allowed = {u.id: u for u in candidates(user)}
    if set(chosen) - set(allowed):
        raise Invalid("所选人员不是本部门的执法人员", "inspectors")
    objects = _selected(campaign, unit_id, data)
    if not objects:
        raise Conflict("没有符合条件、可以指派的对象（已开始检查的对象不再改派）")
    drawn = None
    if mode == "draw":
        drawn = draw(user, campaign, unit_id, chosen, data, len(objects))
        chosen = inspector_draws.drawn_ids(drawn, "user")
        pairs = [{"oid": oid, "uid": chosen[i % len(chosen)]} for i, oid in enumerate(objects)]
    else:
        pairs = [{"oid": oid, "uid": chosen[0]} for oid in objects]
    t = CampaignObject.__table__
    db.session.execute(update(t).where(t.c.id == bindparam("oid"))
                       .values(inspector_id=bindparam("uid"), lock_version=t.c.lock_version + 1), pairs)
    for row in [o for o in db.session.identity_map.values() if isinstance(o, CampaignObject)]:
        db.session.expire(row)
    _complete_step(user, campaign)
    notifications.notify([allowed[i] for i in chosen], f"您已被指派参加专项整治：{campaign.title}", "",
                         f"/campaigns/{campaign.id}/mine", channels=("inbox",))
    audit.record("assign", object_type="campaign", object_id=campaign.id,
                 summary={"方式": MODES[mode], "对象数": len(objects), "抽取记录": drawn.id if drawn else "",
                          "随机种子": drawn.seed if drawn else "",
                          "执法人员": "、".join(allowed[i].name for i in chosen)}, user=user)
    return len(objects)


def draw_count(data: Mapping[str, Any], pool: int) -> int:
    """抽取人数: blank for every chosen inspector; a whole number from 1 to the pool."""
    raw = str(data.get("draw_count") or "").strip()
    if not raw:
        return pool
    if not raw.isdigit() or not 1 <= int(raw) <= pool:
        raise Invalid(f"抽取人数须为1至{pool}之间的整数（已选择{pool}名执法人员）", "draw_count")
    return int(raw)


def draw(user: User, campaign: Campaign, unit_id: int, chosen: list[int], data: Mapping[str, Any],
         objects: int) -> Any:
    """The campaign's inspector draw for one handling department (services/inspector_draws)."""
    wanted = draw_count(data, len(chosen))
    params = {"inspectors": wanted, "objects": objects, "subject": "专项整治", "campaign": campaign.title}
    drawn, _ = inspector_draws.draw_people(
        user, inspector_draws.Subject(inspector_draws.CAMPAIGN, campaign.id), unit_id,
        [f"user:{i}" for i in sorted(chosen)], wanted, params=params)
    return drawn


def draws(user: User, campaign: Campaign) -> list[Any]:
    """The campaign's inspector draws the user's department made, with their re-computation."""
    unit_id = unit_of(user, campaign)
    rows = inspector_draws.draws_of(inspector_draws.Subject(inspector_draws.CAMPAIGN, campaign.id))
    return [(d, inspector_draws.verify(d)) for d in rows if d.department_id == unit_id]


def _complete_step(user: User, campaign: Campaign) -> None:
    """The first assignment (or passing on) of a part completes its 指派执法人员 item."""
    if access.follow(user, campaign, "assign", comment=user.department.name):
        party = access.party_of(user, campaign)
        if party is not None:
            party.assigned_at = utcnow()
        elif access.is_initiator(user, campaign):
            campaign.assigned_at = utcnow()


def passed_on(user: User, campaign: Campaign) -> None:
    """A party passed objects on to a unit below it (services/campaigns/library.allocate)."""
    if access.party_of(user, campaign) is not None:
        _complete_step(user, campaign)


INSPECTION_OPEN_AFTER = ("risk", "objects", "plan", "joint", "send_plan", "enforce", "joint_enforce", "assign")


def require_inspection_open(campaign: Campaign) -> None:
    """Records wait until every department has assigned its inspectors (表23: 执行执法检查
    follows 指派执法人员)."""
    step = access.current_step(campaign)
    if step in INSPECTION_OPEN_AFTER:
        raise Conflict("尚有部门未完成接收或指派执法人员，暂不能录入检查结果")
