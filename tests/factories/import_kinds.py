"""A valid data row of each registered import kind, for the tests of the framework's shared
policies (tests/services/test_import_framework.py)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from services.imports.framework import ImportKind
from services.validators import uscc_check_char
from tests.factories.ledgers import a6_row


def workbook(kind: ImportKind, rows: list[list[Any]], *, title: str | None = None) -> bytes:
    """A file of the kind's template: an optional title row, the header, then ``rows``."""
    wb = Workbook()
    ws = wb.active
    ws.title = kind.template.sheet
    if title is not None:
        ws.append([title])
    ws.append(list(kind.template.titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _auxiliary(n: int) -> list[Any]:
    return [n, "专家学者", f"专家{n}", "四川大学", "", "", "食品安全", ""]


def _joint(n: int) -> list[Any]:
    return [n, f"联合事项{n}", "对象", "甲区市场监督管理局", "甲区卫生健康局", "实地核查", "区县级", "本局事项", ""]


def _check_item(n: int) -> list[Any]:
    return [n, "食品安全", f"抽查事项{n}", "食品生产经营者", "重点检查事项", "书面检查", "甲区市场监督管理局",
            "《食品安全法》", "食品科", "", "区县级", "H", ""]


def _user(n: int) -> list[Any]:
    return [f"import{n:03d}", f"用户{n}", "甲区市场监督管理局", f"137{n:08d}", ""]


def _entity(n: int) -> list[Any]:
    body = f"91510108MA6KJ{n:04d}"
    return [f"甲区导入商行{n}", body + uscc_check_char(body), "", "个体工商户", "", "", "", "510108", "", "", "", "",
            "存续", "", "", "", "", "", "", ""]


ROWS: dict[str, Callable[[int], list[Any]]] = {
    "users": _user,
    "entities": _entity,
    "auxiliary_inspectors": _auxiliary,
    "joint_items": _joint,
    "check_items": _check_item,
    "conference_ledger": lambda n: a6_row(f"经营者{n}"),
}
