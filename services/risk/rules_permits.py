"""Rules read from the permits: 行政许可失效预警 (表26), 许可证到期预警 and 吊证预警 (seed 004 §6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from models import AuditEvent, EntityStatus, MarketEntity, Permit
from services.risk.common import Builder, Context, dated, evidence

LAPSED_STATUSES = ("吊销", "撤销", "过期")
SCOPE_TITLE = "经营范围"  # the registry's audit summary names a changed field by its title
ENTITY_AUDIT_TYPE = "market_entity"


def _scope_changes() -> Any:
    """The last 经营范围 change of each entity recorded at the registration authority (the
    registry's own audit trail: services/entities.py and the registry import write it)."""
    return (
        select(AuditEvent.object_id.label("object_id"), func.max(AuditEvent.at).label("changed_at"))
        .where(AuditEvent.object_type == ENTITY_AUDIT_TYPE, AuditEvent.action == "update",
               AuditEvent.summary.like(f"%{SCOPE_TITLE}%"))
        .group_by(AuditEvent.object_id)
        .subquery("scope_changes")
    )


def permit_lapsed(ctx: Context) -> Select[Any]:
    """A permit revoked (吊销), withdrawn (撤销) or expired (过期, or 有效 past its 有效期止) and no
    经营范围 change at registration since it lapsed (since 有效期止, or since the platform
    received the revocation)."""
    permit = aliased(Permit)
    expired = (permit.status == "有效") & permit.valid_to.is_not(None) & (permit.valid_to < ctx.today)
    lapsed_since = case((permit.status.in_(("吊销", "撤销")), permit.received_at),
                        else_=func.coalesce(permit.valid_to, permit.received_at))
    changes = _scope_changes()
    return (
        select(*evidence(permit.entity_id, "permit", permit.id, permit.source_department_id, permit.valid_to,
                         permit.name + "（" + permit.permit_no + "）" + case((expired, "已过期"), else_=permit.status)))
        .outerjoin(changes, changes.c.object_id == cast(permit.entity_id, String))
        .where(permit.current.is_(True), permit.status.in_(LAPSED_STATUSES) | expired,
               changes.c.changed_at.is_(None) | (changes.c.changed_at < lapsed_since),
               ctx.limit(permit.entity_id))
    )


def permit_expiring(ctx: Context) -> Select[Any]:
    """A permit in force whose 有效期止 is today or within ``days_before`` days."""
    permit = aliased(Permit)
    last = ctx.today + timedelta(days=ctx.params["days_before"])
    return select(*evidence(permit.entity_id, "permit", permit.id, permit.source_department_id, permit.valid_to,
                            permit.name + "（" + permit.permit_no + "）")).where(
        permit.current.is_(True), permit.status == "有效", permit.valid_to >= ctx.today, permit.valid_to <= last,
        ctx.limit(permit.entity_id))


def licence_revoked(ctx: Context) -> Select[Any]:
    """A permit revoked (吊销), or the business licence revoked (登记状态 吊销)."""
    permit = aliased(Permit)
    permits = select(*evidence(permit.entity_id, "permit", permit.id, permit.source_department_id, None,
                               permit.name + "（" + permit.permit_no + "）已被吊销")).where(
        permit.current.is_(True), permit.status == "吊销", ctx.limit(permit.entity_id))
    entity = aliased(MarketEntity)
    licences = select(*evidence(entity.id, "entity", entity.id, None, None, entity.name + "营业执照已被吊销")).where(
        entity.status == EntityStatus.REVOKED, ctx.limit(entity.id))
    return permits.union_all(licences)  # type: ignore[return-value]


BUILDERS = {
    "permit_lapsed": Builder(permit_lapsed, dated("行政许可失效")),
    "permit_expiring": Builder(permit_expiring, dated("许可证即将到期")),
    "licence_revoked": Builder(licence_revoked, dated("吊证")),
}
