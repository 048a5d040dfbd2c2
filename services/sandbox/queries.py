"""The sandbox pages' lists (clues with filters, the partners and their webhooks)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from infrastructure.errors import Forbidden, Invalid
from models import MarketEntity, SandboxClue, SandboxPartner, User, UserRole, db
from models.org import UserStatus
from models.roles import Role
from models.sandbox import CLUE_STATES, LEVELS
from persistence import audit
from services.sandbox import webhooks
from services.sandbox.library import may_manage

PAGE_SIZE = 50


@dataclass
class ClueFilters:
    level: str = ""
    state: str = ""
    item_id: int | None = None
    open: str = "open"
    since: date | None = None
    q: str = ""


def read_filters(args: Mapping[str, str]) -> tuple[ClueFilters, list[str]]:
    problems: list[str] = []
    f = ClueFilters()
    f.level = args.get("level", "") if args.get("level", "") in LEVELS else ""
    f.state = args.get("state", "") if args.get("state", "") in CLUE_STATES else ""
    f.open = args.get("open", "open") if args.get("open", "open") in ("open", "closed", "") else "open"
    raw = args.get("item", "")
    f.item_id = int(raw) if raw.isdigit() else None
    f.q = (args.get("q") or "").strip()[:100]
    since = args.get("since", "")
    if since:
        try:
            f.since = date.fromisoformat(since)
        except ValueError:
            problems.append("形成日期格式应为年-月-日，已忽略")
    return f, problems


def clue_query(user: User, f: ClueFilters) -> Select[tuple[SandboxClue]]:
    query = select(SandboxClue).where(SandboxClue.department_id == user.department_id)
    if f.level:
        query = query.where(SandboxClue.level == f.level)
    if f.state:
        query = query.where(SandboxClue.state == f.state)
    if f.item_id:
        query = query.where(SandboxClue.item_id == f.item_id)
    if f.open == "open":
        query = query.where(SandboxClue.closed_at.is_(None))
    elif f.open == "closed":
        query = query.where(SandboxClue.closed_at.is_not(None))
    if f.since:
        query = query.where(SandboxClue.formed_on >= f.since)
    if f.q:
        query = query.join(MarketEntity, MarketEntity.id == SandboxClue.entity_id).where(
            (MarketEntity.name.contains(f.q)) | (MarketEntity.uscc == f.q.upper()))
    return query


def clue_page(user: User, f: ClueFilters, page: int) -> tuple[list[SandboxClue], int]:
    query = clue_query(user, f)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.options(joinedload(SandboxClue.entity), joinedload(SandboxClue.item))
        .order_by(SandboxClue.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).scalars().all()
    return list(rows), int(total)


def partner_accounts(user: User) -> list[tuple[User, SandboxPartner | None]]:
    """The department's 第三方合作机构 accounts (interface clients) and their webhooks."""
    users = db.session.execute(
        select(User).where(User.department_id == user.department_id, User.status == UserStatus.ACTIVE,
                           User.roles.any(UserRole.role == str(Role.PARTNER)),
                           User.roles.any(UserRole.role == str(Role.API_CLIENT))).order_by(User.id)).scalars().all()
    hooks = {p.user_id: p for p in db.session.execute(
        select(SandboxPartner).where(SandboxPartner.user_id.in_([u.id for u in users]))).scalars()}
    return [(u, hooks.get(u.id)) for u in users]


def set_webhook(actor: User, user_id: int, url: str) -> tuple[SandboxPartner, str]:
    """Set (or clear) a partner's webhook address; a new signing key is made and returned once."""
    if not may_manage(actor):
        raise Forbidden("只有监管部门的经办人或部门领导可以设置推送地址")
    account = next((u for u, _ in partner_accounts(actor) if u.id == user_id), None)
    if account is None:
        raise Invalid("请选择本部门的第三方合作机构账号", field="user_id")
    url = (url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")) or len(url) > 500:
        raise Invalid("接收地址应以 http:// 或 https:// 开头，不超过500个字符", field="webhook_url")
    if url:
        webhooks.check_address(url)
    partner = db.session.execute(select(SandboxPartner).where(SandboxPartner.user_id == user_id)).scalar_one_or_none()
    secret = secrets.token_hex(32)
    if partner is None:
        partner = SandboxPartner(user_id=user_id, department_id=account.department_id, created_by_id=actor.id,
                                 secret=secret)
        db.session.add(partner)
    partner.webhook_url, partner.secret, partner.active = url, secret, bool(url)
    db.session.flush()
    audit.record("sandbox_webhook_set", object_type="sandbox_partner", object_id=partner.id,
                 summary={"合作机构": account.name, "接收地址": url or "（不推送，仅接口拉取）"}, user=actor)
    return partner, secret


def counts(user: User) -> dict[str, Any]:
    rows = db.session.execute(select(SandboxClue.state, func.count()).where(
        SandboxClue.department_id == user.department_id, SandboxClue.closed_at.is_(None))
        .group_by(SandboxClue.state)).all()
    return {state: n for state, n in rows}
