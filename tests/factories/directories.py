"""Helpers shared by the object-directory tests: items, entities, workbooks."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from infrastructure.validators import uscc_check_char
from models import CheckItem, db
from models.items import ItemCategory, ItemKind, ItemStatus
from services import entities
from services.templates_catalogue import TEMPLATES


def uscc(body: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    assert len(body) == 17
    return body + uscc_check_char(body)


def make_item(department: Any, name: str = "餐饮服务食品安全监督检查", **values: Any) -> CheckItem:
    """An inspection item written directly (the items chapter has its own pages)."""
    item = CheckItem(
        kind=values.pop("kind", ItemKind.SINGLE),
        status=values.pop("status", ItemStatus.PUBLISHED),
        department_id=department.id,
        domain=values.pop("domain", "食品安全"),
        name=name,
        objects=values.pop("objects", "餐饮服务提供者"),
        category=values.pop("category", ItemCategory.KEY),
        methods="实地核查",
        inspecting_body=department.name,
        basis="《中华人民共和国食品安全法》",
        **values,
    )
    db.session.add(item)
    db.session.flush()
    return item


def make_entity(actor: Any, n: int, **overrides: Any) -> Any:
    """Entity number ``n`` of district A (division 510108…)."""
    values = {
        "name": f"甲区测试{n:04d}餐饮有限公司",
        "uscc": uscc(f"91510108MA6D{n:05d}"),
        "entity_type": "enterprise",
        "division_code": "510108001000",
        "industry_code": "H6210",
        "status": "active",
    }
    values.update(overrides)
    return entities.create_entity(actor, values)


def workbook(code: str, rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    """An upload of template ``code`` with the given data rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES[code].sheet
    ws.append(header or list(TEMPLATES[code].titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
