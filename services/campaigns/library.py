"""建立专项整治对象库 (表23; seed 004 §4.1): the objects of a campaign.

Objects come from the registry of the initiator's area by any combination of: the credit-risk
grade (企业信用风险分类, ``market_entity.credit_grade`` — the grade the draws use, written by
services/credit; A is left out unless chosen), open warnings of chosen rules of the 风险库
(models/risk.py), the industry (code prefix), a word of the business scope and the division
(code prefix); or from an import (services/campaigns/import_kind.py, a kind of the import
framework).  A build is one ``INSERT … SELECT``: fifty thousand objects are one statement, and
an entity already in the library is not added twice.

Before publication the initiator adjusts freely; afterwards the initiator, or a party when
the plan allows it (``parties_may_adjust``), adds an object by its code or removes one.  An
object whose record was started is not deleted: it stays, marked 已移出对象库.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, and_, cast, delete, exists, func, insert, literal, or_, select, update

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Department, EntityStatus, MarketEntity, User, db, utcnow
from models.campaigns import Campaign, CampaignObject, CampaignStatus, ObjectStatus
from models.risk import RiskRule, RiskWarning
from persistence import audit
from persistence.org import region_root
from persistence.scope import subtree_ids
from services.campaigns import access
from services.entity_search import starts_with

GRADES = ("A", "B", "C", "D", "E")
DEFAULT_GRADES = ("B", "C", "D", "E")
MAX_OBJECTS = 200_000


@dataclass
class Criteria:
    grades: list[str] = field(default_factory=list)
    ungraded: bool = False
    rule_ids: list[int] = field(default_factory=list)
    industry: str = ""
    scope_word: str = ""
    division: str = ""

    def describe(self) -> str:
        parts = []
        if self.grades or self.ungraded:
            grades = [f"{g}类" for g in self.grades] + (["未分类"] if self.ungraded else [])
            parts.append("信用风险分类：" + "、".join(grades))
        if self.rule_ids:
            parts.append(f"风险库预警规则{len(self.rule_ids)}项")
        if self.industry:
            parts.append(f"行业{self.industry}")
        if self.scope_word:
            parts.append(f"经营范围含“{self.scope_word}”")
        if self.division:
            parts.append(f"行政区划{self.division}")
        return "；".join(parts)

    @property
    def source(self) -> str:
        if self.rule_ids:
            return "风险库"
        if self.grades or self.ungraded:
            return "信用风险分类"
        return "主体库筛选"


def code_prefix(data: Mapping[str, Any], key: str, title: str, limit: int) -> str:
    value = str(data.get(key) or "").strip().upper()
    if value and (len(value) > limit or not value.replace(" ", "").isalnum()):
        raise Invalid(f"{title}须为不超过{limit}位的代码", key)
    return value


def parse_criteria(data: Any) -> Criteria:
    getter = getattr(data, "getlist", None)
    grades = [g for g in (getter("grades") if getter else data.get("grades") or []) if g]
    if set(grades) - set(GRADES):
        raise Invalid("信用风险等级无效", "grades")
    try:
        rule_ids = [int(r) for r in (getter("rules") if getter else data.get("rules") or []) if str(r).strip()]
    except ValueError:
        raise Invalid("预警规则选择无效", "rules") from None
    crit = Criteria(grades=[g for g in GRADES if g in grades], ungraded=bool(data.get("ungraded")), rule_ids=rule_ids,
                    industry=code_prefix(data, "industry", "行业代码", 5),
                    scope_word=str(data.get("scope_word") or "").strip()[:50],
                    division=code_prefix(data, "division", "行政区划代码", 12))
    if not crit.describe():
        raise Invalid("请至少设置一个条件：信用风险分类、风险库预警规则、行业、经营范围或行政区划", "grades")
    return crit


def rule_choices() -> list[RiskRule]:
    return list(db.session.execute(select(RiskRule).order_by(RiskRule.id)).scalars())


def _where(campaign: Campaign, crit: Criteria) -> list[Any]:
    area = region_root(campaign.department)
    clauses: list[Any] = [MarketEntity.department_id.in_(subtree_ids(area)),
                          MarketEntity.status == EntityStatus.ACTIVE]
    if crit.grades or crit.ungraded:
        graded = [MarketEntity.credit_grade.in_(crit.grades)] if crit.grades else []
        clauses.append(or_(*graded, *([MarketEntity.credit_grade.is_(None)] if crit.ungraded else [])))
    if crit.rule_ids:
        clauses.append(exists().where(RiskWarning.entity_id == MarketEntity.id, RiskWarning.status == "open",
                                      RiskWarning.rule_id.in_(crit.rule_ids)))
    if crit.industry:
        clauses.append(starts_with(MarketEntity.industry_code, crit.industry))
    if crit.division:
        clauses.append(starts_with(MarketEntity.division_code, crit.division))
    if crit.scope_word:
        word = crit.scope_word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(MarketEntity.business_scope.like(f"%{word}%", escape="\\"))
    return clauses


def insert_statement(campaign_id: int, department_id: int, where: list[Any], source: str) -> Any:
    """INSERT INTO campaign_object … SELECT … FROM market_entity WHERE … (not already in)."""
    already = exists().where(CampaignObject.campaign_id == campaign_id, CampaignObject.entity_id == MarketEntity.id)
    now = utcnow()
    empty: Any = literal("{}")
    if db.session.get_bind().dialect.name == "postgresql":
        empty = cast(empty, JSON)  # SQLite would read CAST(… AS JSON) as a number
    chosen = select(
        literal(campaign_id), MarketEntity.id, literal(source), MarketEntity.credit_grade, MarketEntity.industry_name,
        literal(department_id), literal(ObjectStatus.PENDING), literal(""), literal(""), literal(""),
        empty, literal(""), literal(1), literal(now),
    ).where(*where, ~already)
    t = CampaignObject.__table__
    columns = [t.c.campaign_id, t.c.entity_id, t.c.source, t.c.grade, t.c.category, t.c.department_id, t.c.status,
               t.c.order_no, t.c.order_problem, t.c.case_no, t.c.answers, t.c.report_text, t.c.lock_version,
               t.c.updated_at]
    return insert(t).from_select(columns, chosen)


def _editable_library(user: User, campaign: Campaign) -> None:
    access.require_initiator(user, campaign)
    access.require_status(campaign, CampaignStatus.DRAFT)


def preview_count(campaign: Campaign, crit: Criteria) -> int:
    return int(db.session.execute(select(func.count()).select_from(MarketEntity).where(*_where(campaign, crit)))
               .scalar_one())


def build(user: User, campaign: Campaign, data: Any) -> int:
    """Add every entity matching the criteria (one statement); returns how many were added."""
    _editable_library(user, campaign)
    crit = parse_criteria(data)
    before = count(campaign)
    done = db.session.execute(insert_statement(campaign.id, campaign.department_id, _where(campaign, crit), crit.source))
    added = done.rowcount if done.rowcount is not None and done.rowcount >= 0 else count(campaign) - before
    if before + added > MAX_OBJECTS:  # the view rolls the insert back
        raise Conflict(f"对象库不能超过{MAX_OBJECTS}户（本次条件匹配{added}户），请收窄条件")
    note = crit.describe()
    campaign.library_note = "；".join(p for p in (campaign.library_note, note) if p)[:2000]
    audit.record("build_library", object_type="campaign", object_id=campaign.id,
                 summary={"条件": note, "新增对象": added}, user=user)
    return added


def count(campaign: Campaign) -> int:
    return int(db.session.execute(select(func.count()).select_from(CampaignObject).where(
        CampaignObject.campaign_id == campaign.id, CampaignObject.removed_at.is_(None))).scalar_one())


def may_adjust(user: User, campaign: Campaign) -> bool:
    if campaign.status == CampaignStatus.DRAFT:
        return access.is_initiator(user, campaign)
    if campaign.status != CampaignStatus.PUBLISHED:
        return False
    return access.is_initiator(user, campaign) or (
        campaign.parties_may_adjust and access.party_of(user, campaign) is not None)


def _adjuster_department(user: User, campaign: Campaign) -> Department:
    if not may_adjust(user, campaign):
        raise Forbidden("该专项整治不允许您调整对象库")
    party = access.party_of(user, campaign)
    return party.department if party is not None else campaign.department


def add_by_code(user: User, campaign: Campaign, code: str) -> CampaignObject:
    """An object added by its 统一社会信用代码/注册号 (to the adder's part)."""
    department = _adjuster_department(user, campaign)
    code = (code or "").strip().upper()
    if not code:
        raise Invalid("请填写统一社会信用代码或注册号", "code")
    area = region_root(campaign.department)
    entity = db.session.execute(select(MarketEntity).where(
        or_(MarketEntity.uscc == code, MarketEntity.reg_no == code),
        MarketEntity.department_id.in_(subtree_ids(area)))).scalar_one_or_none()
    if entity is None:
        raise Invalid(f"本区域市场主体库中没有统一社会信用代码或注册号为“{code}”的主体", "code")
    existing = db.session.execute(select(CampaignObject).where(
        CampaignObject.campaign_id == campaign.id, CampaignObject.entity_id == entity.id)).scalar_one_or_none()
    if existing is not None and existing.removed_at is None:
        raise Conflict(f"“{entity.name}”已在对象库中", "code")
    if existing is not None:
        existing.removed_at = None
        obj = existing
    else:
        obj = CampaignObject(campaign=campaign, entity=entity, source="手工添加", grade=entity.credit_grade,
                             category=entity.industry_name, department_id=department.id, answers={})
        db.session.add(obj)
    db.session.flush()
    audit.record("add_object", object_type="campaign", object_id=campaign.id,
                 summary={"对象": entity.name, "部门": department.name}, user=user)
    return obj


def remove(user: User, campaign: Campaign, obj: CampaignObject) -> bool:
    """Remove an object: deleted while untouched; once its record was started it is kept and
    marked 已移出对象库.  True when deleted."""
    department = _adjuster_department(user, campaign)
    if obj.campaign_id != campaign.id or (
            department.id != campaign.department_id and not obj.department.is_within(department)):
        raise Forbidden("只能调整本部门负责的对象")
    if obj.removed_at is not None:
        raise Conflict("该对象已移出对象库")
    name = obj.entity.name
    deleted = obj.started_at is None
    if deleted:
        db.session.delete(obj)
    else:
        obj.removed_at = utcnow()
        obj.lock_version += 1
    db.session.flush()
    audit.record("remove_object", object_type="campaign", object_id=campaign.id,
                 summary={"对象": name, "处理": "删除" if deleted else "已移出对象库（检查记录保留）"}, user=user)
    return deleted


def allocate(user: User, campaign: Campaign, data: Mapping[str, Any]) -> int:
    """分派对象: the initiator hands the objects of a division (code prefix, or all still its
    own) to a 参与部门 or back; a party passes its objects on to a unit below it.  One UPDATE."""
    target = str(data.get("target") or "")
    division = code_prefix(data, "division", "行政区划代码", 12)
    if access.is_initiator(user, campaign):
        source = campaign.department
        allowed = {campaign.department_id, *(p.department_id for p in campaign.parties)}
    else:
        party = access.require_party(user, campaign)
        source = party.department
        allowed = {d for d in db.session.execute(subtree_ids(party.department)).scalars()}
    if not target.isdigit() or int(target) not in allowed:
        raise Invalid("请选择接收对象的部门", "target")
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.PUBLISHED):
        raise Conflict("该专项整治已汇总，不能再分派对象")
    where = [CampaignObject.campaign_id == campaign.id, CampaignObject.department_id == source.id,
             CampaignObject.inspector_id.is_(None), CampaignObject.removed_at.is_(None)]
    if division:
        where.append(CampaignObject.entity_id.in_(
            select(MarketEntity.id).where(starts_with(MarketEntity.division_code, division))))
    moved = db.session.execute(update(CampaignObject).where(and_(*where)).values(
        department_id=int(target), lock_version=CampaignObject.lock_version + 1)).rowcount
    audit.record("allocate", object_type="campaign", object_id=campaign.id,
                 summary={"接收部门": db.session.get(Department, int(target)).name,  # type: ignore[union-attr]
                          "行政区划": division, "对象数": moved}, user=user)
    return int(moved or 0)


def clear(user: User, campaign: Campaign) -> None:
    """清空对象库 (a draft only)."""
    _editable_library(user, campaign)
    db.session.execute(delete(CampaignObject).where(CampaignObject.campaign_id == campaign.id))
    campaign.library_note = ""
    audit.record("clear_library", object_type="campaign", object_id=campaign.id, summary={}, user=user)
