"""The grade the draws use, per registry, and what staff see of an entity's grades.

Which grade a department's draws use — the national one (as imported), the local one (the
scorecard's) or the worse of the two — is set for the registry (区/市 node) the department
works in: the draws read one column, ``market_entity.credit_grade``, which holds for each entity
the grade its registry's setting selects (docs/credit.md explains why per registry).  Without a
setting the national grade is used, as before the scorecard existed.  Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Forbidden, Invalid
from models import Department, MarketEntity, User, db
from models.base import utcnow
from models.credit import BASES, GradeBasis, GradeChange, GradeRecord, ScoreItem
from persistence import audit
from persistence.org import region_root
from services.credit import cards as card_config
from services.credit import scoring
from services.dossier import sees_grade

BASIS_CHOICES = (
    ("national", "国家等级（国家“互联网+监管”系统导入）"),
    ("local", "本地评分等级（本平台评分卡）"),
    ("worse", "两者中较差者"),
)
KIND_LABELS = {"national": "国家等级", "local": "本地等级", "effective": "抽查使用等级"}


def registry_of(user: User) -> Department:
    return region_root(user.department)


def basis_of(user: User) -> str:
    row = db.session.get(GradeBasis, registry_of(user).id)
    return row.basis if row else "national"


def can_set_basis(user: User) -> bool:
    return user.has_role("dept_leader")


def set_basis(user: User, basis: str) -> int:
    """Set the basis of the user's registry and apply it at once (set-based); returns the
    number of entities whose draw grade changed."""
    if not can_set_basis(user):
        raise Forbidden("只有部门领导可以设置抽查使用的信用风险等级")
    if basis not in BASES:
        raise Invalid("请选择抽查使用的信用风险等级")
    registry = registry_of(user)
    row = db.session.get(GradeBasis, registry.id)
    old = row.basis if row else "national"
    if row is None:
        row = GradeBasis(department_id=registry.id)
        db.session.add(row)
    row.basis, row.updated_by_id, row.updated_at = basis, user.id, utcnow()
    db.session.flush()
    ids = select(MarketEntity.id).where(MarketEntity.department_id == registry.id)
    scoring.sync_national(ids, user)  # entities never scored get their record at the next run
    changed = scoring.apply_basis(ids, user)
    audit.record("update", object_type="credit_grade_basis", object_id=registry.id,
                 summary={"主体库": registry.name, "抽查使用等级": f"{scoring.BASIS_LABELS[old]}→"
                          f"{scoring.BASIS_LABELS[basis]}", "等级变化主体数": changed}, user=user)
    db.session.expire_all()
    return changed


def changes(entity_id: int, limit: int = 50) -> list[GradeChange]:
    return list(db.session.execute(
        select(GradeChange).where(GradeChange.entity_id == entity_id)
        .order_by(GradeChange.changed_at.desc(), GradeChange.id.desc()).limit(limit)
    ).scalars())


@dataclass
class BreakdownRow:
    group: str
    label: str
    hits: int
    points: Any


@dataclass
class Panel:
    record: GradeRecord | None
    card_name: str = ""
    breakdown: list[BreakdownRow] = field(default_factory=list)
    history: list[GradeChange] = field(default_factory=list)
    basis_label: str = ""


def panel(user: User, entity: MarketEntity) -> Panel | None:
    """The grades of ``entity`` with the breakdown and history, or None for a user who may not
    see grades (services/dossier.sees_grade)."""
    if not sees_grade(user):
        return None
    record = db.session.get(GradeRecord, entity.id)
    out = Panel(record, history=changes(entity.id))
    if record is None:
        return out
    configs = card_config.load_cards()
    out.card_name = configs.get(record.local_card, {}).get("name", "")
    out.basis_label = scoring.BASIS_LABELS.get(record.basis, "")
    items = db.session.execute(select(ScoreItem).where(ScoreItem.entity_id == entity.id)).scalars()
    for item in sorted(items, key=lambda i: list(card_config.BY_KEY).index(i.indicator)
                       if i.indicator in card_config.BY_KEY else 99):
        ind = card_config.BY_KEY.get(item.indicator)
        out.breakdown.append(BreakdownRow(card_config.GROUPS.get(item.group_key, item.group_key),
                                          ind.label if ind else item.indicator, item.hits, item.points))
    return out
