"""监管分类 (seed 004 §2.1 按监管分类设置): a department's categories, their cycle, the
keywords that place objects automatically, manual placement, and the feedback form of their
tasks (选择项, 是非项, 数值项, 填空项).

The form is typed one field a line: ``名称|类型|选项1,选项2`` — e.g. ``检查结论|选择项|合格,不合格``,
``是否亮证经营|是非项``, ``从业人员数|数值项``, ``其他情况|填空项``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.orm import Session

from infrastructure.clock import china_today
from infrastructure.errors import Invalid
from models import MarketEntity, User, db, utcnow
from models.daily import FIELD_TYPES, CategoryKind, CategoryMember, SupervisedObject, SupervisionCategory
from persistence import audit
from services.daily.access import keyword_condition, require_keeper

TYPE_BY_LABEL = {v: k for k, v in FIELD_TYPES.items()}
YES_NO = ("是", "否")


def parse_form(text: str) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for n, line in enumerate((x.strip() for x in text.splitlines()), start=1):
        if not line:
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        label = parts[0]
        kind = TYPE_BY_LABEL.get(parts[1] if len(parts) > 1 else "填空项")
        if not label or kind is None:
            raise Invalid(f"反馈表第{n}行应为“名称|类型”，类型为选择项、是非项、数值项或填空项", field="form")
        options = [o.strip() for o in (parts[2] if len(parts) > 2 else "").replace("，", ",").split(",") if o.strip()]
        if kind == "choice" and len(options) < 2:
            raise Invalid(f"反馈表第{n}行的选择项至少需要两个选项（用逗号分隔）", field="form")
        if any(f["label"] == label for f in fields):
            raise Invalid(f"反馈表第{n}行的名称“{label}”重复", field="form")
        fields.append({"label": label[:50], "type": kind, "options": options if kind == "choice" else []})
    return fields


def form_text(fields: list[dict[str, Any]]) -> str:
    lines = []
    for f in fields:
        line = f"{f['label']}|{FIELD_TYPES[f['type']]}"
        if f.get("options"):
            line += "|" + ",".join(f["options"])
        lines.append(line)
    return "\n".join(lines)


def _int(value: Any, field: str, label: str, minimum: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(f"{label}应为整数", field=field) from None
    if number < minimum:
        raise Invalid(f"{label}不能小于{minimum}" if minimum else f"{label}不能为负数", field=field)
    return number


def save(actor: User, data: dict[str, Any], category: SupervisionCategory | None = None) -> SupervisionCategory:
    require_keeper(actor)
    name = str(data.get("name", "")).strip()
    if not name:
        raise Invalid("请填写分类名称", field="name")
    try:
        kind = CategoryKind(data.get("kind", ""))
    except ValueError:
        raise Invalid("请选择分类类型", field="kind") from None
    cycle = _int(data.get("cycle_days", ""), "cycle_days", "监管周期（天）", 1)
    lead = _int(data.get("lead_days", "7"), "lead_days", "提前量（天）", 0)
    remind = _int(data.get("remind_days", "5"), "remind_days", "提醒时间（工作日）", 0)
    warn = _int(data.get("warn_days", "10"), "warn_days", "警示时间（工作日）", 0)
    due = _int(data.get("due_days", "15"), "due_days", "截止时间（工作日）", 1)
    if not remind <= warn <= due:
        raise Invalid("提醒时间、警示时间、截止时间应依次不早于前一项", field="warn_days")
    if lead >= cycle:
        raise Invalid("提前量应小于监管周期", field="lead_days")
    duplicate = select(SupervisionCategory.id).where(SupervisionCategory.department_id == actor.department_id,
                                                     SupervisionCategory.name == name)
    if category is not None:
        duplicate = duplicate.where(SupervisionCategory.id != category.id)
    if db.session.execute(duplicate).first():
        raise Invalid("本部门已有同名的监管分类", field="name")
    form = parse_form(str(data.get("form", "")))
    if category is None:
        category = SupervisionCategory(department_id=actor.department_id, created_by_id=actor.id,
                                       starts_on=china_today())
        db.session.add(category)
    category.name, category.kind, category.cycle_days, category.lead_days = name[:100], kind, cycle, lead
    category.remind_days, category.warn_days, category.due_days = remind, warn, due
    category.keywords, category.form = str(data.get("keywords", "")).strip(), form
    db.session.flush()
    audit.record("daily.category_save", object_type="supervision_category", object_id=category.id,
                 summary={"名称": name, "周期": cycle})
    return category


def categories_of(department_id: int) -> list[SupervisionCategory]:
    return list(db.session.execute(select(SupervisionCategory).where(
        SupervisionCategory.department_id == department_id).order_by(SupervisionCategory.id)).scalars())


def _matching(category: SupervisionCategory) -> Any:
    words = category.keyword_list
    if category.kind is CategoryKind.CREDIT:
        return MarketEntity.credit_grade.in_(words) if words else None
    columns: tuple[Any, ...]
    if category.kind is CategoryKind.AREA:
        columns = (MarketEntity.business_address, MarketEntity.domicile, MarketEntity.division_name)
    else:
        columns = (MarketEntity.industry_name, MarketEntity.business_scope, MarketEntity.name)
    return keyword_condition(columns, words) if words else None


def classify(session: Session, category: SupervisionCategory) -> int:
    """Place the department's objects matching the keywords; drop automatic members that no
    longer match (a manual placement stays).  Returns the members now."""
    condition = _matching(category)
    matching = select(MarketEntity.id).where(condition) if condition is not None else None
    stale = delete(CategoryMember).where(CategoryMember.category_id == category.id, CategoryMember.manual.is_(False))
    if matching is not None:
        stale = stale.where(CategoryMember.object_id.not_in(
            select(SupervisedObject.id).where(SupervisedObject.entity_id.in_(matching))))
    session.execute(stale.execution_options(synchronize_session=False))
    if matching is not None:
        present = select(CategoryMember.object_id).where(CategoryMember.category_id == category.id)
        rows = select(literal(category.id), SupervisedObject.id, literal(False), literal(utcnow())).where(
            SupervisedObject.department_id == category.department_id, SupervisedObject.active.is_(True),
            SupervisedObject.entity_id.in_(matching), SupervisedObject.id.not_in(present))
        session.execute(insert(CategoryMember.__table__).from_select(["category_id", "object_id", "manual", "created_at"], rows))
    return member_count(session, category.id)


def member_count(session: Session, category_id: int) -> int:
    from sqlalchemy import func

    return session.execute(select(func.count()).select_from(CategoryMember)
                           .where(CategoryMember.category_id == category_id)).scalar_one()


def place(actor: User, category: SupervisionCategory, objects: list[SupervisedObject], manual_on: bool = True) -> int:
    """Put objects in a category by hand (or take them out)."""
    require_keeper(actor)
    if not objects:
        raise Invalid("请选择监管对象")
    ids = [o.id for o in objects if o.department_id == category.department_id and o.active]
    if len(ids) != len(objects):
        raise Invalid("只能将本部门的监管对象加入监管分类")
    existing = {m.object_id: m for m in db.session.execute(select(CategoryMember).where(
        CategoryMember.category_id == category.id, CategoryMember.object_id.in_(ids))).scalars()}
    for object_id in ids:
        member = existing.get(object_id)
        if not manual_on:
            if member is not None:
                db.session.delete(member)
        elif member is None:
            db.session.add(CategoryMember(category_id=category.id, object_id=object_id, manual=True))
        else:
            member.manual = True
    db.session.flush()
    audit.record("daily.category_place", object_type="supervision_category", object_id=category.id,
                 summary={"操作": "加入" if manual_on else "移出", "数量": len(ids)})
    return len(ids)


def check_result(fields: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """The answers to a feedback form, each checked against its type; every field is required."""
    answers: dict[str, Any] = {}
    for i, f in enumerate(fields):
        raw = str(data.get(f"f{i}", "")).strip()
        label = f["label"]
        if not raw:
            raise Invalid(f"请填写“{label}”", field=f"f{i}")
        if f["type"] == "choice" and raw not in f["options"]:
            raise Invalid(f"“{label}”应为：" + "、".join(f["options"]), field=f"f{i}")
        if f["type"] == "yesno" and raw not in YES_NO:
            raise Invalid(f"“{label}”应为“是”或“否”", field=f"f{i}")
        if f["type"] == "number":
            try:
                Decimal(raw)
            except InvalidOperation:
                raise Invalid(f"“{label}”应为数值", field=f"f{i}") from None
        answers[label] = raw[:2000]
    return answers


def period_of(category: SupervisionCategory, on: date) -> date:
    """The first day of the category's period that contains ``on``."""
    offset = (on - category.starts_on).days
    if offset < 0:
        return category.starts_on
    return category.starts_on + timedelta(days=(offset // category.cycle_days) * category.cycle_days)
