"""反馈内容 (seed 004 §4.1 自定义反馈内容): the items each object's record answers — 选择项,
是非项, 数值项, 填空项 — defined on the draft, copied from an earlier campaign if wanted, and
the one reading of a record form's answers (the same definitions render every form).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Invalid
from models import User, db
from models.campaigns import Campaign, CampaignField, CampaignStatus, FieldKind
from persistence import audit
from services.campaigns import access
from services.campaigns.plans import text

MAX_FIELDS = 40


def _options(raw: Any) -> list[str]:
    parts = str(raw or "").replace("，", "\n").replace(",", "\n").replace("、", "\n").splitlines()
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _editable(user: User, campaign: Campaign) -> None:
    access.require_initiator(user, campaign)
    access.require_status(campaign, CampaignStatus.DRAFT)


def add_field(user: User, campaign: Campaign, data: Mapping[str, Any]) -> CampaignField:
    _editable(user, campaign)
    kind = str(data.get("kind") or "")
    if kind not in FieldKind.LABELS:
        raise Invalid("请选择反馈项类型（选择项、是非项、数值项或填空项）", "kind")
    label = text(data, "label", "反馈项名称", 100, required=True)
    options = _options(data.get("options")) if kind == FieldKind.CHOICE else []
    if kind == FieldKind.CHOICE and len(options) < 2:
        raise Invalid("选择项请至少填写两个选项（用逗号或换行分隔）", "options")
    if any(f.label == label for f in campaign.fields):
        raise Conflict(f"反馈项“{label}”已存在", "label")
    if len(campaign.fields) >= MAX_FIELDS:
        raise Conflict(f"反馈项不能超过{MAX_FIELDS}个")
    field = CampaignField(kind=kind, label=label, options=options, unit=text(data, "unit", "单位", 20),
                          required=str(data.get("required") or "") in ("1", "on"),
                          position=max((f.position for f in campaign.fields), default=0) + 1)
    campaign.fields.append(field)
    db.session.flush()
    audit.record("add_field", object_type="campaign", object_id=campaign.id,
                 summary={"反馈项": label, "类型": field.kind_label}, user=user)
    return field


def remove_field(user: User, campaign: Campaign, field_id: int) -> None:
    _editable(user, campaign)
    field = next((f for f in campaign.fields if f.id == field_id), None)
    if field is None:
        raise Conflict("该反馈项不存在或已删除")
    campaign.fields.remove(field)
    audit.record("remove_field", object_type="campaign", object_id=campaign.id, summary={"反馈项": field.label},
                 user=user)


def reusable(user: User, campaign: Campaign) -> list[Campaign]:
    """Earlier campaigns of the department with 反馈内容 to copy (供下次专项整治时直接复用)."""
    return list(db.session.execute(
        select(Campaign).where(Campaign.department_id == user.department_id, Campaign.id != campaign.id,
                               Campaign.fields.any()).order_by(Campaign.id.desc()).limit(50)
    ).scalars())


def copy_fields(user: User, campaign: Campaign, source_id: Any) -> int:
    _editable(user, campaign)
    source = next((c for c in reusable(user, campaign) if str(c.id) == str(source_id)), None)
    if source is None:
        raise Invalid("请选择要复用反馈内容的专项整治", "source")
    have = {f.label for f in campaign.fields}
    added = 0
    for f in source.fields:
        if f.label not in have:
            campaign.fields.append(CampaignField(kind=f.kind, label=f.label, options=list(f.options), unit=f.unit,
                                                 required=f.required, position=len(campaign.fields) + 1))
            added += 1
    db.session.flush()
    audit.record("copy_fields", object_type="campaign", object_id=campaign.id,
                 summary={"来源": source.title, "反馈项": added}, user=user)
    return added


def _number(field: CampaignField, raw: str) -> str:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise Invalid(f"“{field.label}”须填写数字（如 12 或 3.5），不能填写“{raw}”", field.key) from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise Invalid(f"“{field.label}”的数值超出范围", field.key)
    return format(value.normalize(), "f")


def read_answers(campaign: Campaign, data: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
    """The answers of a record form, by field id; 400 at the first bad one.  ``complete``: the
    required items must be answered (a record that comes to a result)."""
    answers: dict[str, Any] = {}
    for field in campaign.fields:
        raw = str(data.get(field.key) or "").strip()
        if not raw:
            if complete and field.required:
                raise Invalid(f"请填写反馈项“{field.label}”", field.key)
            continue
        if field.kind == FieldKind.NUMBER:
            answers[str(field.id)] = _number(field, raw)
        elif field.kind == FieldKind.CHOICE:
            if raw not in field.options:
                raise Invalid(f"“{field.label}”请从选项中选择", field.key)
            answers[str(field.id)] = raw
        elif field.kind == FieldKind.YES_NO:
            if raw not in ("是", "否"):
                raise Invalid(f"“{field.label}”请选择是或否", field.key)
            answers[str(field.id)] = raw
        else:
            if len(raw) > 500:
                raise Invalid(f"“{field.label}”不能超过500个字", field.key)
            answers[str(field.id)] = raw
    return answers


def form_values(campaign: Campaign, answers: Mapping[str, Any]) -> dict[str, str]:
    """A record's stored answers as form values (the field keys)."""
    return {f.key: str(answers.get(str(f.id), "")) for f in campaign.fields}
