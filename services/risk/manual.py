"""手工预警 (seed 004 §6): a clerk records a warning about an entity, with the reason, from the
material the department holds; it stays open until a clerk closes it, with a reason.  The
evaluation never touches it.  The caller has checked that the actor may see the entity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Department, MarketEntity, RiskRule, RiskWarning, User
from models.roles import Role
from persistence import audit
from services.risk.catalogue import MANUAL
from services.risk.evaluate import close_warnings

MANUAL_ROLES = (Role.CLERK, Role.DEPT_LEADER)
MAX_REASON = 2000
AUDIT_TYPE = "risk_warning"


def _require(actor: User) -> None:
    if not actor.has_role(*MANUAL_ROLES):
        raise Forbidden("只有监管部门经办人或部门领导可以录入或关闭手工预警")


def _reason(text: str | None, what: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise Invalid(f"请填写{what}", field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(f"{what}不能超过{MAX_REASON}字", field="reason")
    return reason


def manual_rule(session: Session) -> RiskRule:
    return session.execute(select(RiskRule).where(RiskRule.code == MANUAL)).scalar_one()


def raise_manual(session: Session, actor: User, entity: MarketEntity, reason: str,
                 department: Department | None = None) -> RiskWarning:
    """A 手工预警 of ``entity`` by ``actor`` (responsible department: ``department``, else the
    actor's); one open manual warning per entity (409 when one is open)."""
    _require(actor)
    text = _reason(reason, "预警理由")
    rule = manual_rule(session)
    session.execute(select(RiskRule.id).where(RiskRule.id == rule.id).with_for_update())
    already = session.execute(select(RiskWarning.id).where(
        RiskWarning.entity_id == entity.id, RiskWarning.rule_id == rule.id, RiskWarning.status == "open")).first()
    if already is not None:
        raise Conflict("该主体已有未关闭的手工预警，请先关闭或在其中补充")
    now = clock.utcnow()
    warning = RiskWarning(entity_id=entity.id, rule_id=rule.id, status="open", first_seen_at=now, last_seen_at=now,
                          department_id=(department or actor.department).id, evidence=[], reason=text,
                          created_by_id=actor.id)
    session.add(warning)
    session.flush()
    audit.record("create", object_type=AUDIT_TYPE, object_id=warning.id,
                 summary={"预警类型": rule.name, "主体": entity.name, "理由": text}, user=actor)
    return warning


def close_manual(session: Session, actor: User, warning: RiskWarning, reason: str) -> RiskWarning:
    """Close a 手工预警 with the reason (kept on the warning: 关闭理由 follows the 预警理由)."""
    _require(actor)
    text = _reason(reason, "关闭理由")
    if warning.rule.code != MANUAL:
        raise Invalid("自动预警在条件不再满足时由平台关闭，不能手工关闭")
    if warning.status != "open":
        raise Conflict("该预警已关闭")
    opened_reason = warning.reason
    if close_warnings(session, [warning.id], clock.utcnow(), f"{opened_reason}\n关闭理由：{text}", actor.id) != 1:
        raise Conflict("该预警已被他人关闭")
    session.refresh(warning)
    audit.record("update", object_type=AUDIT_TYPE, object_id=warning.id,
                 summary={"操作": "关闭手工预警", "关闭理由": text}, user=actor)
    return warning
