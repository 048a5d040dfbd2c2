"""建立风险预警规则 (表25): changing a warning rule's parameters, with the department leader's
approval (docs/risk_pages.md).

A 监管部门 clerk edits a rule (parameters, 启用/停用).  Saving first shows the dry run — how many
entities the new parameters would add to and remove from the 风险库 — and then files a
``RiskRuleChange`` waiting for a leader (部门领导) of the clerk's department.  Filing it starts a
表25 instance (subject: the change) whose 建立风险预警规则 waits in the department's 我的待办; the
leader's 批准 applies the parameters (the rule's ``version`` goes up), runs the rule again over
the registry (判断是否符合规则) and stores the hits (纳入风险库), completing the three steps in
the same transaction: 符合规则 when the rule holds for at least one entity, else
不符合规则，不入库.  不予批准 ends the instance with the leader's reason; the rule is unchanged.

Two overlapping edits of one rule are refused (409): a change is filed against the version the
editor showed (``base_version``), one change per rule waits at a time, and a change whose rule
moved on since it was filed cannot be approved.  Services never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import ProcessInstance, User, db, utcnow
from models.org import DepartmentKind
from models.risk import RiskRule, RiskRuleChange, RiskWarning
from models.roles import Role
from models.workflow import InstanceStatus
from persistence import audit
from persistence.org import region_root
from services.risk import engine_api
from workflows import engine

TABLE = 25
SUBJECT = "risk_rule_change"
BUSINESS_STEPS = ("rules", "check", "store")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUS_LABELS = {PENDING: "待审批", APPROVED: "已批准", REJECTED: "不予批准"}
STALE_RULE = "该规则已被他人修改，请刷新页面后按最新规则重新填写"
PENDING_EXISTS = "该规则已有一项修改等待部门领导审批，请待审批后再修改"
MAX_TEXT = 500


# ------------------------------------------------------------------ who


def is_rule_clerk(user: User) -> bool:
    """A 监管部门 clerk: proposes rule changes."""
    return user.is_active and user.has_role(Role.CLERK) and user.department.kind == DepartmentKind.SUPERVISION


def is_rule_leader(user: User) -> bool:
    return user.is_active and user.has_role(Role.DEPT_LEADER) and user.department.kind == DepartmentKind.SUPERVISION


def may_decide(user: User, change: RiskRuleChange) -> bool:
    """A leader of the proposer's department decides a pending change."""
    return (
        change.status == PENDING
        and is_rule_leader(user)
        and user.department_id == change.proposed_by.department_id
    )


def in_area(user: User, change: RiskRuleChange) -> bool:
    """Proposed by a department of the user's area (district, or the whole city)."""
    return change.proposed_by.department.is_within(region_root(user.department))


def can_view_change(user: User, change: RiskRuleChange) -> bool:
    """A change's page is for the 监管部门 clerks and leaders of the proposer's area; the rules
    are the platform's, so the rule's history lists every change, naming only the area's."""
    return (is_rule_clerk(user) or is_rule_leader(user)) and in_area(user, change)


# ------------------------------------------------------------------ reading


def rules() -> list[RiskRule]:
    return list(db.session.execute(select(RiskRule).order_by(RiskRule.source, RiskRule.id)).scalars())


def open_counts() -> dict[int, int]:
    """Open warnings per rule (the rule list's 在库数)."""
    rows = db.session.execute(
        select(RiskWarning.rule_id, func.count()).where(RiskWarning.status == "open").group_by(RiskWarning.rule_id)
    )
    return {rule_id: n for rule_id, n in rows}


def pending_change(rule: RiskRule) -> RiskRuleChange | None:
    return db.session.execute(
        select(RiskRuleChange).where(RiskRuleChange.rule_id == rule.id, RiskRuleChange.status == PENDING)
    ).scalars().first()


def history(rule: RiskRule) -> list[RiskRuleChange]:
    """Every change filed for the rule, newest first (the approved ones are its history)."""
    return list(db.session.execute(
        select(RiskRuleChange).where(RiskRuleChange.rule_id == rule.id)
        .order_by(RiskRuleChange.proposed_at.desc(), RiskRuleChange.id.desc())
    ).scalars())


def instance_of(change: RiskRuleChange) -> ProcessInstance | None:
    return db.session.execute(
        select(ProcessInstance).where(ProcessInstance.subject_type == SUBJECT, ProcessInstance.subject_id == change.id)
        .order_by(ProcessInstance.id.desc())
    ).scalars().first()


# ------------------------------------------------------------------ the form


@dataclass
class Proposal:
    """The checked form: the parameters and 启用 the rule would have, and the dry run."""

    rule: RiskRule
    params: dict[str, Any]
    enabled: bool
    base_version: int
    would_add: int = 0
    would_remove: int = 0

    @property
    def changed(self) -> bool:
        return self.params != dict(self.rule.params or {}) or self.enabled != self.rule.enabled


def parse_version(raw: Any) -> int:
    text = str(raw or "").strip()
    if not text.isdigit():
        raise Invalid("缺少规则版本号，请刷新页面后重试", "base_version")
    return int(text)


def _parse_one(current: Any, raw: Any, title: str, key: str) -> Any:
    """One parameter from its form text: numbers as typed (the catalogue checks and types them),
    lists and texts as such."""
    if isinstance(current, bool):
        return str(raw or "") in ("1", "on", "true", "是")
    text = str(raw if raw is not None else "").strip()
    if isinstance(current, list):
        items = [p.strip() for p in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(",")]
        items = [p for p in items if p]
        if any(len(p) > 200 for p in items):
            raise Invalid(f"{title}的每一项不能超过200个字", key)
        return items
    if isinstance(current, int | float):
        return text  # numbers are the catalogue's to check (services/risk/catalogue.py)
    if not text:
        raise Invalid(f"请填写{title}", key)
    if len(text) > MAX_TEXT:
        raise Invalid(f"{title}不能超过{MAX_TEXT}个字", key)
    return text


def parse_form(rule: RiskRule, form: Mapping[str, Any]) -> Proposal:
    """The parameters typed in the editor (fields ``p_<name>``), checked one by one and then by
    the rule's own checks (the catalogue's); 400 with the first problem."""
    base_version = parse_version(form.get("base_version"))
    params: dict[str, Any] = {}
    labels = engine_api.param_labels(rule)
    for key, current in (rule.params or {}).items():
        params[key] = _parse_one(current, form.get(f"p_{key}"), labels.get(key, key), f"p_{key}")
    params = engine_api.validate(rule, params)
    enabled = str(form.get("enabled") or "") in ("1", "on", "true")
    return Proposal(rule, params, enabled, base_version)


def _check_version(rule: RiskRule, base_version: int) -> None:
    if base_version != rule.version:
        raise Conflict(STALE_RULE)


def dry_run(proposal: Proposal) -> Proposal:
    """How many entities the proposal would add to and remove from the rule's open warnings."""
    added, removed = engine_api.dry_run(proposal.rule, proposal.params, proposal.enabled)
    proposal.would_add, proposal.would_remove = len(added), len(removed)
    return proposal


def preview(user: User, rule: RiskRule, form: Mapping[str, Any]) -> Proposal:
    """The editor's 保存: checked, and the dry run, nothing written."""
    if not is_rule_clerk(user):
        raise Forbidden("只有监管部门经办人可以修改风险预警规则")
    proposal = parse_form(rule, form)
    _check_version(rule, proposal.base_version)
    if pending_change(rule) is not None:
        raise Conflict(PENDING_EXISTS)
    if not proposal.changed:
        raise Invalid("规则参数和启用状态均未改变，无需保存")
    return dry_run(proposal)


def _lock(rule: RiskRule) -> RiskRule:
    """The rule row locked for the rest of the transaction (PostgreSQL), fresh from the database."""
    return db.session.execute(
        select(RiskRule).where(RiskRule.id == rule.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def propose(user: User, rule: RiskRule, form: Mapping[str, Any]) -> RiskRuleChange:
    """提交审批: the change is filed with its dry run, a 表25 instance waits for the leader."""
    proposal = preview(user, _lock(rule), form)
    change = RiskRuleChange(
        rule_id=rule.id,
        params_before=dict(rule.params or {}),
        params_after=proposal.params,
        enabled_before=rule.enabled,
        enabled_after=proposal.enabled,
        proposed_by_id=user.id,
        proposed_at=utcnow(),
        status=PENDING,
        would_add=proposal.would_add,
        would_remove=proposal.would_remove,
        base_version=proposal.base_version,
    )
    db.session.add(change)
    db.session.flush()
    engine.start(TABLE, user, title=f"修改风险预警规则：{rule.name}"[:200], subject_type=SUBJECT, subject_id=change.id)
    audit.record("propose", object_type=SUBJECT, object_id=change.id,
                 summary={"规则": rule.name, "修改前": change.params_before, "修改后": change.params_after,
                          "启用": proposal.enabled, "预计新增": proposal.would_add, "预计移出": proposal.would_remove},
                 user=user)
    return change


def _check_pending(user: User, change: RiskRuleChange) -> ProcessInstance | None:
    if change.status != PENDING:
        raise Conflict("该修改已审批，请勿重复操作")
    if not may_decide(user, change):
        raise Forbidden("只有提出修改的监管部门的部门领导可以审批规则修改")
    instance = instance_of(change)
    if instance is not None and instance.status != InstanceStatus.ACTIVE:
        raise Conflict("该事项已被他人处理")
    return instance


def approve(user: User, change: RiskRuleChange, note: str = "") -> int:
    """批准: the rule takes the new parameters, is evaluated again, and its hits are stored.
    Returns the rule's open warnings after the run."""
    rule = _lock(change.rule)
    instance = _check_pending(user, change)
    note = _note(note, required=False)
    if change.base_version != rule.version:
        raise Conflict(STALE_RULE)
    rule.params = dict(change.params_after)
    rule.enabled = change.enabled_after
    rule.version += 1
    rule.updated_at = utcnow()
    rule.updated_by_id = user.id
    change.status, change.decided_by_id, change.decided_at, change.decision_note = APPROVED, user.id, utcnow(), note
    db.session.flush()
    engine_api.evaluate(rule)
    hits = open_counts().get(rule.id, 0)
    if instance is not None:
        engine.advance(user, instance, "rules", "next", comment=note)
        engine.advance(user, instance, "check", "yes" if hits else "no")
        if hits:
            engine.advance(user, instance, "store", "next")
    audit.record("approve", object_type=SUBJECT, object_id=change.id,
                 summary={"规则": rule.name, "版本": rule.version, "在库预警": hits, "意见": note}, user=user)
    return hits


def reject(user: User, change: RiskRuleChange, note: str) -> None:
    """不予批准 (with the reason): the rule stays as it was; the instance ends."""
    instance = _check_pending(user, change)
    note = _note(note, required=True)
    change.status, change.decided_by_id, change.decided_at, change.decision_note = REJECTED, user.id, utcnow(), note
    if instance is not None:
        engine.terminate(user, instance, note, label="不予批准")
    db.session.flush()
    audit.record("reject", object_type=SUBJECT, object_id=change.id,
                 summary={"规则": change.rule.name, "理由": note}, user=user)


def _note(raw: str, *, required: bool) -> str:
    note = (raw or "").strip()
    if required and not note:
        raise Invalid("不予批准须填写理由", "note")
    if len(note) > 1000:
        raise Invalid("审批意见不能超过1000个字", "note")
    return note
