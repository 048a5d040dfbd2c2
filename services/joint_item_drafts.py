"""A joint item's proposal (the fields and the parts a form sends, or a pending edit kept as JSON)
and its cleaning."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from infrastructure.errors import Invalid
from models import (
    CheckItem,
    CheckItemPart,
    ItemStatus,
    PartRole,
    utcnow,
)
from services.entity_fields import INDUSTRY_SECTIONS
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS

SEP = "、"


FIELD_TITLES = {
    "name": "联合抽查事项",
    "objects": "检查对象",
    "methods": "检查方式",
    "levels": "实施层级",
    "own_tasks": "发起部门抽查事项",
    "domain": "抽查领域",
    "industry_code": "行业",
    "basis": "检查依据",
    "note": "备注",
}


_LIMITS = {"name": 200, "domain": 100, "industry_code": 10, "objects": 2000, "own_tasks": 2000, "basis": 4000,
           "note": 2000}


@dataclass
class PartDraft:
    department_id: int
    role: str = PartRole.PARTICIPANT.value
    tasks: str = ""
    levels: list[str] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    declined: bool = False
    decline_reason: str = ""
    confirmed: bool = False

    @property
    def is_initiator(self) -> bool:
        return self.role == PartRole.INITIATOR.value


@dataclass
class Draft:
    """What the item will be once approved: its A.1.2 fields and each department's part."""

    name: str
    objects: str = ""
    methods: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    domain: str = ""
    industry_code: str = ""
    basis: str = ""
    note: str = ""
    parts: list[PartDraft] = field(default_factory=list)

    def part(self, department_id: int) -> PartDraft | None:
        return next((p for p in self.parts if p.department_id == department_id), None)

    @property
    def initiator_part(self) -> PartDraft | None:
        return next((p for p in self.parts if p.is_initiator), None)

    @property
    def participants(self) -> list[PartDraft]:
        return [p for p in self.parts if not p.is_initiator]

    @property
    def active_parts(self) -> list[PartDraft]:
        return [p for p in self.parts if not p.declined]


def split_values(text: str) -> list[str]:
    return [v for v in (text or "").replace("，", SEP).replace(",", SEP).split(SEP) if v]


def split_ids(text: str) -> list[int]:
    return [int(v) for v in (text or "").split(",") if v.strip().isdigit()]


def draft_of_live(item: CheckItem) -> Draft:
    return Draft(
        name=item.name,
        objects=item.objects,
        methods=split_values(item.methods),
        levels=split_values(item.levels),
        domain=item.domain,
        industry_code=item.industry_code,
        basis=item.basis,
        note=item.note,
        parts=[
            PartDraft(
                department_id=p.department_id,
                role=p.role.value,
                tasks=p.tasks,
                levels=split_values(p.levels),
                item_ids=split_ids(p.item_ids),
                declined=p.declined,
                decline_reason=p.decline_reason,
                confirmed=p.confirmed_at is not None,
            )
            for p in item.parts
        ],
    )


def load_draft(item: CheckItem) -> Draft:
    """The proposal under way: the pending edit of a published item, else the item itself."""
    if item.pending_edit:
        data = json.loads(item.pending_edit)
        parts = [PartDraft(**p) for p in data.pop("parts", [])]
        return Draft(**data, parts=parts)
    return draft_of_live(item)


def store_draft(item: CheckItem, draft: Draft) -> None:
    if item.status == ItemStatus.PUBLISHED:
        item.pending_edit = json.dumps(asdict(draft), ensure_ascii=False)
    else:
        apply_draft(item, draft)


def apply_draft(item: CheckItem, draft: Draft) -> None:
    """Write a draft onto the item and its parts (表12 at once; 表13 at 公布事项)."""
    item.name = draft.name
    item.objects = draft.objects
    item.methods = SEP.join(draft.methods)
    item.levels = SEP.join(draft.levels)
    item.domain = draft.domain
    item.industry_code = draft.industry_code
    item.basis = draft.basis
    item.note = draft.note
    existing = {p.department_id: p for p in item.parts}
    wanted = {p.department_id for p in draft.parts}
    for dept_id, part in existing.items():
        if dept_id not in wanted:
            item.parts.remove(part)
    for p in draft.parts:
        row = existing.get(p.department_id)
        if row is None:
            row = CheckItemPart(department_id=p.department_id)
            item.parts.append(row)
        row.role = PartRole(p.role)
        row.tasks = p.tasks
        row.levels = SEP.join(p.levels)
        row.item_ids = ",".join(str(i) for i in p.item_ids)
        row.declined = p.declined
        row.decline_reason = p.decline_reason
        if p.confirmed and row.confirmed_at is None:
            row.confirmed_at = utcnow()
        elif not p.confirmed:
            row.confirmed_at = None
    item.updated_at = utcnow()


def clean_text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if isinstance(value, (list, tuple)):
        value = SEP.join(str(v) for v in value)
    text = str(value or "").strip()
    if required and not text:
        raise Invalid(f"请填写{FIELD_TITLES[key]}", field=key)
    if len(text) > _LIMITS.get(key, 2000):
        raise Invalid(f"{FIELD_TITLES[key]}不能超过{_LIMITS.get(key, 2000)}个字符", field=key)
    return text


def clean_choices(values: Iterable[str] | str, allowed: Sequence[str], key: str, *, required: bool = True) -> list[str]:
    if isinstance(values, str):
        values = split_values(values)
    chosen = [v.strip() for v in values if v and v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise Invalid(f"{FIELD_TITLES.get(key, key)}只能是{SEP.join(allowed)}（“{SEP.join(unknown)}”无效）", field=key)
    if required and not chosen:
        raise Invalid(f"请选择{FIELD_TITLES.get(key, key)}", field=key)
    return [v for v in allowed if v in chosen]


def clean_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The A.1.2 fields of a form or an import row, checked; Invalid names the field."""
    industry = clean_text(data, "industry_code").upper()
    if industry and industry not in INDUSTRY_SECTIONS:
        raise Invalid("行业应为国民经济行业门类（A–T）", field="industry_code")
    return {
        "name": clean_text(data, "name", required=True),
        "objects": clean_text(data, "objects", required=True),
        "methods": clean_choices(data.get("methods") or [], INSPECTION_METHODS, "methods"),
        "levels": clean_choices(data.get("levels") or [], IMPLEMENTATION_LEVELS, "levels"),
        "own_tasks": clean_text(data, "own_tasks", required=True),
        "domain": clean_text(data, "domain"),
        "industry_code": industry,
        "basis": clean_text(data, "basis"),
        "note": clean_text(data, "note"),
    }


def industry_label(code: str) -> str:
    section = INDUSTRY_SECTIONS.get((code or "")[:1].upper())
    return f"{code} {section[0]}" if section else code


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写删除依据", field="reason")
    if len(reason) > 2000:
        raise Invalid("删除依据不能超过2000个字符", field="reason")
    return reason
