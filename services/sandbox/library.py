"""建立信用沙盒主体库 and 建立信用沙盒事项清单 (表27's first two steps; docs/sandbox.md).

A department's 监管部门 (its clerks and leaders) keeps its own library and item list: entities
are added from a search (chosen one by one), from a filter (every entity the filter finds, one
INSERT … SELECT), or from an imported list of codes; an entity is removed with a reason and
the row stays (the monitor then closes its open clues).  Items are triggers as data
(services/sandbox/conditions.py).  Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, insert, literal, or_, select, update

from infrastructure.errors import Conflict, Forbidden, Invalid, NotFound
from models import MarketEntity, RiskRule, SandboxEntity, SandboxItem, User, db, utcnow
from models.roles import Role
from models.sandbox import LEVELS
from persistence import audit
from persistence.scope import scope_entities
from services.sandbox.conditions import CONDITIONS, validate

MANAGER_ROLES = (Role.CLERK, Role.DEPT_LEADER)
MAX_LIST = 5000
MAX_FILTER = 200_000


def may_manage(user: User) -> bool:
    return user.is_active and user.has_role(*MANAGER_ROLES)


def _manager(user: User) -> None:
    if not may_manage(user):
        raise Forbidden("只有监管部门的经办人或部门领导可以维护信用沙盒")


def can_view(user: User, row: Any) -> bool:
    """A library row, an item or a clue: the owning department's 监管部门 and those above it."""
    return may_manage(user) and row.department.is_within(user.department)


# ------------------------------------------------------------------ the library


@dataclass
class Added:
    added: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = [f"加入{self.added}户"]
        if self.already:
            parts.append(f"{self.already}户已在主体库中")
        if self.unknown:
            parts.append(f"{len(self.unknown)}个代码未找到（{'、'.join(self.unknown[:5])}{'等' if len(self.unknown) > 5 else ''}）")
        return "，".join(parts)


def members(user: User) -> Select[tuple[SandboxEntity]]:
    return (select(SandboxEntity).where(SandboxEntity.department_id == user.department_id)
            .order_by(SandboxEntity.active.desc(), SandboxEntity.id.desc()))


def _visible_entities(user: User, ids: Iterable[int]) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    return list(db.session.execute(
        scope_entities(select(MarketEntity.id).where(MarketEntity.id.in_(wanted)), user)).scalars())


def _add(user: User, entity_ids: list[int], source: str) -> Added:
    result = Added()
    existing = {row.entity_id: row for row in db.session.execute(
        select(SandboxEntity).where(SandboxEntity.department_id == user.department_id,
                                    SandboxEntity.entity_id.in_(entity_ids))).scalars()}
    for entity_id in entity_ids:
        row = existing.get(entity_id)
        if row is not None and row.active:
            result.already += 1
            continue
        if row is None:
            row = SandboxEntity(department_id=user.department_id, entity_id=entity_id)
            db.session.add(row)
        row.active, row.source, row.added_at, row.added_by_id = True, source, utcnow(), user.id
        row.removed_at, row.removed_by_id, row.removal_reason = None, None, ""
        result.added += 1
    return result


def add_entities(user: User, entity_ids: Iterable[int], source: str = "检索") -> Added:
    """Add the chosen entities (of the user's area) to the department's library."""
    _manager(user)
    ids = _visible_entities(user, entity_ids)
    if not ids:
        raise Invalid("请至少选择一户本辖区的市场主体", field="entity_ids")
    result = _add(user, ids, source)
    audit.record("sandbox_entities_added", object_type="department", object_id=user.department_id,
                 summary={"方式": source, "加入": result.added, "已在库": result.already}, user=user)
    return result


def add_filtered(user: User, *, division: str = "", industry: str = "", grade: str = "") -> Added:
    """Add every entity of the user's area the filter finds, in one statement."""
    _manager(user)
    division, industry, grade = division.strip(), industry.strip().upper(), grade.strip().upper()
    if not (division or industry or grade):
        raise Invalid("请至少填写一个筛选条件（行政区划、行业或信用风险等级）", field="division")
    if grade and grade not in ("A", "B", "C", "D", "E"):
        raise Invalid("信用风险等级应为A至E", field="grade")
    conds: list[Any] = []
    if division:
        conds.append(MarketEntity.division_code.startswith(division))
    if industry:
        conds.append(MarketEntity.industry_code.startswith(industry))
    if grade:
        conds.append(MarketEntity.credit_grade == grade)
    found = scope_entities(select(MarketEntity.id).where(and_(*conds)), user)
    total = db.session.execute(select(func.count()).select_from(found.subquery())).scalar_one()
    if total > MAX_FILTER:
        raise Invalid(f"筛选结果有{total}户，超过{MAX_FILTER}户，请增加筛选条件", field="division")
    in_library = exists().where(SandboxEntity.department_id == user.department_id,
                                SandboxEntity.entity_id == MarketEntity.id)
    already = db.session.execute(select(func.count()).select_from(found.where(in_library).subquery())).scalar_one()
    # Rows removed earlier come back; new ones are inserted set-based.
    reactivated = db.session.execute(
        update(SandboxEntity).where(SandboxEntity.department_id == user.department_id,
                                    SandboxEntity.active.is_(False), SandboxEntity.entity_id.in_(found))
        .values(active=True, source="筛选", added_at=utcnow(), added_by_id=user.id, removed_at=None,
                removed_by_id=None, removal_reason="").execution_options(synchronize_session=False)).rowcount
    new = found.where(~in_library).with_only_columns(
        literal(user.department_id), MarketEntity.id, literal(True), literal("筛选"), literal(utcnow()),
        literal(user.id), literal(""))
    # psycopg reports no row count for an INSERT … SELECT: count what RETURNING gives.
    inserted = len(db.session.execute(insert(SandboxEntity).from_select(
        ["department_id", "entity_id", "active", "source", "added_at", "added_by_id", "removal_reason"], new)
        .returning(SandboxEntity.id)).all())
    result = Added(added=inserted + reactivated, already=already - reactivated)
    audit.record("sandbox_entities_added", object_type="department", object_id=user.department_id,
                 summary={"方式": "筛选", "行政区划": division, "行业": industry, "等级": grade,
                          "加入": result.added, "已在库": result.already}, user=user)
    return result


CODE_SPLIT = re.compile(r"[\s,，;；]+")


def add_list(user: User, text: str) -> Added:
    """Add the entities named by a list of 统一社会信用代码 or 注册号 (pasted or from a file)."""
    _manager(user)
    codes = list(dict.fromkeys(c.strip().upper() for c in CODE_SPLIT.split(text or "") if c.strip()))
    codes = [c for c in codes if c not in ("统一社会信用代码", "注册号")]
    if not codes:
        raise Invalid("请填写或上传统一社会信用代码/注册号清单", field="codes")
    if len(codes) > MAX_LIST:
        raise Invalid(f"一次最多导入{MAX_LIST}个代码", field="codes")
    rows = db.session.execute(scope_entities(
        select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no)
        .where(or_(MarketEntity.uscc.in_(codes), MarketEntity.reg_no.in_(codes))), user)).all()
    known = {code for _, uscc, reg in rows for code in (uscc, reg) if code}
    result = _add(user, [r[0] for r in rows], "导入") if rows else Added()
    result.unknown = [c for c in codes if c not in known]
    audit.record("sandbox_entities_added", object_type="department", object_id=user.department_id,
                 summary={"方式": "导入", "代码数": len(codes), "加入": result.added, "未找到": len(result.unknown)},
                 user=user)
    return result


def remove_entity(user: User, row: SandboxEntity, reason: str) -> SandboxEntity:
    _manager(user)
    if row.department_id != user.department_id:
        raise Forbidden("只能移出本部门主体库中的市场主体")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写移出原因", field="reason")
    if len(reason) > 500:
        raise Invalid("移出原因不能超过500字", field="reason")
    if not row.active:
        raise Conflict("该市场主体已移出主体库")
    row.active, row.removed_at, row.removed_by_id, row.removal_reason = False, utcnow(), user.id, reason
    audit.record("sandbox_entity_removed", object_type="sandbox_entity", object_id=row.id,
                 summary={"市场主体": row.entity.name, "原因": reason}, user=user)
    return row


# ------------------------------------------------------------------ the item list


def known_rules() -> dict[str, str]:
    return dict(db.session.execute(select(RiskRule.code, RiskRule.name).order_by(RiskRule.id)).all())


def items(user: User) -> Select[tuple[SandboxItem]]:
    return select(SandboxItem).where(SandboxItem.department_id == user.department_id).order_by(SandboxItem.id)


def save_item(user: User, item: SandboxItem | None, form: Mapping[str, Any], *, version: int | None = None) -> SandboxItem:
    """Create (``item`` None) or change an item; refused as a whole when anything is wrong."""
    _manager(user)
    name = str(form.get("name") or "").strip()
    if not name:
        raise Invalid("请填写事项名称", field="name")
    if len(name) > 100:
        raise Invalid("事项名称不能超过100字", field="name")
    level = str(form.get("level") or "")
    if level not in LEVELS:
        raise Invalid("请选择线索级别（提示或预警）", field="level")
    condition = str(form.get("condition") or "")
    params = validate(condition, form, known_rules())
    if item is None:
        item = SandboxItem(department_id=user.department_id, created_by_id=user.id, version=1)
        db.session.add(item)
        action = "sandbox_item_created"
    else:
        if item.department_id != user.department_id:
            raise Forbidden("只能修改本部门的信用沙盒事项")
        if version is not None and version != item.version:
            raise Conflict("该事项已被他人修改，请刷新页面后重试")
        item.version += 1
        action = "sandbox_item_changed"
    item.name, item.level, item.condition, item.params = name, level, condition, params
    item.enabled = str(form.get("enabled", "1")) in ("1", "on", "true", "y")
    item.updated_by_id, item.updated_at = user.id, utcnow()
    db.session.flush()
    audit.record(action, object_type="sandbox_item", object_id=item.id,
                 summary={"事项": name, "级别": level, "条件": CONDITIONS[condition].describe(params),
                          "启用": item.enabled}, user=user)
    return item


def get_item(user: User, item_id: int) -> SandboxItem:
    item = db.session.get(SandboxItem, item_id)
    if item is None or not can_view(user, item):
        raise NotFound("未找到该信用沙盒事项")
    return item
