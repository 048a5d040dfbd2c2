"""Helpers for the plan tests: published items written directly, a small PDF, plan values."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from models import CheckItem, CheckItemPart, db
from models.items import ItemCategory, ItemKind, ItemStatus, PartRole

YEAR = 2026
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def single_item(department, name: str | None = None, *, cap: str | None = None) -> CheckItem:
    item = CheckItem(
        kind=ItemKind.SINGLE, status=ItemStatus.PUBLISHED, department_id=department.id,
        name=name or f"单部门事项{uuid.uuid4().hex[:6]}", objects="食品经营者", methods="实地核查", levels="区县级",
        category=ItemCategory.GENERAL if cap else ItemCategory.KEY, ratio_cap=Decimal(cap) if cap else None,
        version=1,
    )
    db.session.add(item)
    db.session.flush()
    return item


def joint_item(initiator, *participants, name: str | None = None) -> CheckItem:
    item = CheckItem(
        kind=ItemKind.JOINT, status=ItemStatus.PUBLISHED, department_id=initiator.id,
        name=name or f"联合事项{uuid.uuid4().hex[:6]}", objects="餐饮服务经营者", methods="实地核查、书面检查",
        levels="区县级", version=1,
    )
    item.parts.append(CheckItemPart(department_id=initiator.id, role=PartRole.INITIATOR, tasks="餐饮食品安全检查",
                                    levels="区县级"))
    for dept in participants:
        item.parts.append(CheckItemPart(department_id=dept.id, role=PartRole.PARTICIPANT,
                                        tasks=f"{dept.name}本部门检查", levels="区县级"))
    db.session.add(item)
    db.session.flush()
    return item


def elements(**over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "2026年度餐饮服务抽查计划", "year": str(YEAR), "plan_type": "annual", "objects": "餐饮服务经营者",
        "methods": ["实地核查"], "levels": ["区县级"], "ratio": "5", "sample_size": "30",
        "start_date": f"{YEAR}-04-01", "end_date": f"{YEAR}-10-31",
    }
    values.update(over)
    return values
