"""A.1.2 部门联合“双随机、一公开”抽查事项清单 按模板导入.

Each imported row becomes a joint item that has done 新增部门联合抽查事项 (表12) and waits at
征求参与部门意见 for the initiator, who checks it and sends it: a file cannot consult other
departments on its own.  发起部门 must be the importing user's own department; 参与部门 (and the
departments named in 参与部门抽查事项及实施层级) are matched by name to the other 监管部门 of the
area.  The natural key is 联合抽查事项 (a file may not repeat it).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from infrastructure.errors import ServiceError
from infrastructure.excel import Row
from models import ImportBatch, User
from services import joint_item_drafts
from services import joint_items as svc
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.templates_catalogue import IMPLEMENTATION_LEVELS, TEMPLATES

_PART = re.compile(r"^(?P<dept>[^：:]+)[：:](?P<tasks>.*?)(?:[（(](?P<levels>[^（）()]*)[)）])?$")


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[、,，;；\s]+", text or "") if n.strip()]


def _parse_parts(text: str) -> tuple[dict[str, tuple[str, list[str]]], list[str]]:
    """"区卫生健康局：公共场所卫生监督检查（区县级）；…" → {name: (tasks, levels)}, problems."""
    found: dict[str, tuple[str, list[str]]] = {}
    problems: list[str] = []
    for chunk in [c.strip() for c in re.split(r"[；;\n]+", text or "") if c.strip()]:
        match = _PART.match(chunk)
        if match is None:
            problems.append(f"“{chunk}”应写作“部门：抽查事项（实施层级）”")
            continue
        levels = _names((match.group("levels") or "").replace("、", " "))
        bad = [lv for lv in levels if lv not in IMPLEMENTATION_LEVELS]
        if bad:
            problems.append(f"“{chunk}”的实施层级应为{'、'.join(IMPLEMENTATION_LEVELS)}")
            continue
        found[match.group("dept").strip()] = (match.group("tasks").strip(), levels)
    return found, problems


def _row_data(user: User, row: Row, by_name: dict[str, int]) -> tuple[dict[str, Any], list[int], dict[int, Any]]:
    if row["发起部门"] and row["发起部门"] != user.department.name:
        row.add_error("发起部门", f"发起部门应为本部门“{user.department.name}”（只能发起本部门的联合抽查事项）")
    participants: list[int] = []
    for name in _names(row["参与部门"]):
        ident = by_name.get(name)
        if ident is None:
            row.add_error("参与部门", f"未找到参与部门“{name}”（应为本区域其他监管部门的全称）")
        elif ident not in participants:
            participants.append(ident)
    parts, problems = _parse_parts(row.get("参与部门抽查事项及实施层级", ""))
    for problem in problems:
        row.add_error("参与部门抽查事项及实施层级", problem)
    own_parts: dict[int, Any] = {}
    for name, value in parts.items():
        ident = by_name.get(name)
        if ident is None or ident not in participants:
            row.add_error("参与部门抽查事项及实施层级", f"“{name}”不在本行的参与部门中")
        else:
            own_parts[ident] = value
    data = {
        "name": row["联合抽查事项"],
        "objects": row["检查对象"],
        "methods": row["检查方式"],
        "levels": row["实施层级"],
        "own_tasks": row["发起部门抽查事项"],
    }
    return data, participants, own_parts


class JointItemImport(ImportKind):
    name = "joint_items"
    title = "导入部门联合抽查事项"
    template = TEMPLATES["A.1.2"]
    max_rows = 500
    name_column = key_column = "联合抽查事项"
    steps = ("导入的事项待征求参与部门意见，由发起部门核对后发送。",)
    denied = "只有上传该文件的经办人可以导入"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return actor.has_role(*svc.EDIT_ROLES)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        by_name = {d.name: d.id for d in svc.participant_choices(actor)}
        items = []
        for row in rows:
            data, participants, own_parts = _row_data(actor, row, by_name)
            if row.valid:
                try:
                    svc.clean_fields(data)
                except ServiceError as exc:
                    row.add_error(joint_item_drafts.FIELD_TITLES.get(exc.field or "", "联合抽查事项"), exc.message)
            items.append(ImportRow(row, (data, participants, own_parts) if row.valid else None))
        return items

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.row.get("联合抽查事项") or None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """Each row runs 表12's 新增 and waits at 征求参与部门意见."""
        for r in rows:
            data, participants, own_parts = r.payload
            item = svc.create(actor, data, participants)
            for part in item.parts:
                if part.department_id in own_parts:
                    tasks, levels = own_parts[part.department_id]
                    part.tasks, part.levels = tasks, "、".join(levels)
        return {"新增": len(rows)}

    def result_text(self, result: dict[str, Any]) -> str:
        return (f"已导入：新增 {result.get('新增', 0)} 个部门联合抽查事项，跳过问题行 {result.get('跳过问题行', 0)} 行，"
                "均待征求参与部门意见")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "部门联合抽查事项", "joint_items.index", {}


KIND = register(JointItemImport())
