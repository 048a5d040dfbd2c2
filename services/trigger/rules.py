"""建立触发式规则 (表28): a 监管部门's trigger rules, checked and with their history
(docs/trigger.md).

A 监管部门 clerk creates and edits the rules of their own department; clerks and leaders of
the department (and of the departments above it) read them.  Every save bumps ``version`` (an
edit posted against an older version is refused, 409) and leaves a ``TriggerRuleChange`` with
the rule before and after.  Creating a rule, or saving one whose 表28 instance has ended,
starts a 表28 instance (services/trigger/flow.py).  Services never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid
from models import User, db, utcnow
from models.org import DepartmentKind
from models.roles import Role
from models.trigger import TriggerRule, TriggerRuleChange
from persistence import audit
from persistence.scope import subtree_ids
from services.trigger import flow, sources

MAX_WEIGHT = 100
STALE = "该规则已被他人修改，请刷新页面后按最新规则重新填写"


def is_clerk(user: User) -> bool:
    """A 监管部门 clerk: creates and edits the department's trigger rules and extracts objects."""
    return user.is_active and user.has_role(Role.CLERK) and user.department.kind == DepartmentKind.SUPERVISION


def is_reader(user: User) -> bool:
    return user.is_active and (user.has_role(Role.CLERK) or user.has_role(Role.DEPT_LEADER)) \
        and user.department.kind == DepartmentKind.SUPERVISION


def can_view(user: User, rule: TriggerRule) -> bool:
    return is_reader(user) and rule.department.is_within(user.department)


def may_edit(user: User, rule: TriggerRule) -> bool:
    return is_clerk(user) and rule.department_id == user.department_id


def rules_of(user: User) -> list[TriggerRule]:
    return list(db.session.execute(
        select(TriggerRule).where(TriggerRule.department_id.in_(subtree_ids(user.department)))
        .order_by(TriggerRule.department_id, TriggerRule.id)
    ).scalars())


def history(rule: TriggerRule) -> list[TriggerRuleChange]:
    return list(db.session.execute(
        select(TriggerRuleChange).where(TriggerRuleChange.rule_id == rule.id)
        .order_by(TriggerRuleChange.changed_at.desc(), TriggerRuleChange.id.desc())
    ).scalars())


def in_force(rule: TriggerRule, today: date | None = None) -> bool:
    today = today or clock.china_today()
    return rule.active and rule.valid_from <= today and (rule.valid_until is None or today <= rule.valid_until)


def describe(rule: TriggerRule | Mapping[str, Any]) -> str:
    source = rule.source if isinstance(rule, TriggerRule) else rule.get("source", "")
    params = rule.params if isinstance(rule, TriggerRule) else rule.get("params", {})
    kind = sources.SOURCES.get(source)
    return kind.describe(params or {}) if kind else f"（来源“{source}”尚未接入）"


# ------------------------------------------------------------------ the form


@dataclass
class RuleForm:
    name: str
    source: str
    params: dict[str, Any]
    weight: int
    valid_from: date
    valid_until: date | None
    active: bool

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "params": self.params, "weight": self.weight,
                "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None, "active": self.active}


def snapshot(rule: TriggerRule) -> dict[str, Any]:
    return RuleForm(rule.name, rule.source, dict(rule.params or {}), rule.weight, rule.valid_from,
                    rule.valid_until, rule.active).snapshot()


def parse_weight(raw: Any) -> int:
    text = str(raw if raw is not None else "").strip()
    try:
        weight = int(text)
    except ValueError:
        raise Invalid("权重应为大于0的整数（命中一次计作几次）", "weight") from None
    if weight <= 0:
        raise Invalid("权重应为大于0的整数（命中一次计作几次）", "weight")
    if weight > MAX_WEIGHT:
        raise Invalid(f"权重不能超过{MAX_WEIGHT}", "weight")
    return weight


def _date(raw: Any, label: str, field: str, *, required: bool) -> date | None:
    text = str(raw or "").strip()
    if not text:
        if required:
            raise Invalid(f"请填写{label}", field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label}格式不正确，应为2026-01-05", field) from None


def clean(form: Mapping[str, Any], params: Mapping[str, Any]) -> RuleForm:
    """The typed rule checked; ``params`` are the source's own fields (codes, count, days)."""
    name = str(form.get("name") or "").strip()
    if not name:
        raise Invalid("请填写规则名称", "name")
    if len(name) > 50:
        raise Invalid("规则名称不能超过50个字", "name")
    kind = sources.get(str(form.get("source") or ""))
    try:
        cleaned = kind.clean(params)
    except Invalid as exc:
        raise Invalid(exc.message, "params") from None
    weight = parse_weight(form.get("weight"))
    valid_from = _date(form.get("valid_from"), "生效日期", "valid_from", required=True)
    valid_until = _date(form.get("valid_until"), "失效日期", "valid_until", required=False)
    assert valid_from is not None
    if valid_until is not None and valid_until < valid_from:
        raise Invalid("失效日期不能早于生效日期", "valid_until")
    active = str(form.get("active") or "") in ("1", "on", "true")
    return RuleForm(name, kind.key, cleaned, weight, valid_from, valid_until, active)


# ------------------------------------------------------------------ saving


def create(user: User, form: Mapping[str, Any], params: Mapping[str, Any]) -> TriggerRule:
    """建立触发式规则: the rule, its first history row, and a 表28 instance."""
    if not is_clerk(user):
        raise Forbidden("只有监管部门的业务人员可以建立触发式规则")
    cleaned = clean(form, params)
    now = utcnow()
    rule = TriggerRule(department_id=user.department_id, name=cleaned.name, source=cleaned.source,
                       params=cleaned.params, weight=cleaned.weight, valid_from=cleaned.valid_from,
                       valid_until=cleaned.valid_until, active=cleaned.active, version=1, created_by_id=user.id,
                       created_at=now, updated_at=now)
    db.session.add(rule)
    db.session.flush()
    db.session.add(TriggerRuleChange(rule_id=rule.id, action="create", before={}, after=cleaned.snapshot(),
                                     changed_by_id=user.id, changed_at=now))
    audit.record("create", object_type=flow.SUBJECT, object_id=rule.id,
                 summary={"规则": rule.name, "条件": describe(rule), "权重": rule.weight}, user=user)
    flow.rule_saved(user, rule, "建立触发式规则")
    return rule


def edit(user: User, rule: TriggerRule, form: Mapping[str, Any], params: Mapping[str, Any],
         version: Any) -> TriggerRule:
    """修改: the rule as typed, if nobody saved it since ``version``."""
    if not may_edit(user, rule):
        raise Forbidden("只有规则所属监管部门的业务人员可以修改该规则")
    rule = db.session.execute(
        select(TriggerRule).where(TriggerRule.id == rule.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if str(version) != str(rule.version):
        raise Conflict(STALE)
    cleaned = clean(form, params)
    before = snapshot(rule)
    if before == cleaned.snapshot():
        raise Invalid("规则没有变化")
    now = utcnow()
    rule.name, rule.source, rule.params, rule.weight = cleaned.name, cleaned.source, cleaned.params, cleaned.weight
    rule.valid_from, rule.valid_until, rule.active = cleaned.valid_from, cleaned.valid_until, cleaned.active
    rule.version += 1
    rule.updated_at = now
    db.session.add(TriggerRuleChange(rule_id=rule.id, action="edit", before=before, after=cleaned.snapshot(),
                                     changed_by_id=user.id, changed_at=now))
    db.session.flush()
    audit.record("update", object_type=flow.SUBJECT, object_id=rule.id,
                 summary={"规则": rule.name, "版本": rule.version, "修改前": before, "修改后": cleaned.snapshot()},
                 user=user)
    flow.rule_saved(user, rule, "修改触发式规则")
    return rule
