"""无证无照经营者 by import (表24 执行无证无照经营查处): the operators an assigned inspector
found, often not in the registry (经营者/名称, 经营地址, 经营者（负责人）, 经营项目, …), recorded in
bulk on the member unit's page (``?unit_id=``).  Each row is checked exactly as the unit's
form checks one operator (services/unlicensed/operators.operator_values); confirmed rows are
recorded one by one as the form records them.  The natural key is name and address.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from infrastructure.errors import Conflict, NotFound, ServiceError
from infrastructure.excel import Row
from models import ImportBatch, User, db
from models.roles import Role
from models.unlicensed import UnlicensedUnit
from persistence import audit
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.templates_catalogue import PLATFORM_TEMPLATES
from services.unlicensed import access, operators

# Form field -> the template's column.
COLUMNS = {"operator": "经营者/名称", "address": "经营地址", "person": "经营者（负责人）", "business": "经营项目",
           "phone": "联系电话", "code": "统一社会信用代码/注册号", "found_on": "发现日期"}


def _unit(actor: User, context: dict[str, Any]) -> UnlicensedUnit:
    unit = db.session.get(UnlicensedUnit, int(context.get("unit_id") or 0))
    if unit is None or not access.is_assigned(actor, unit):
        raise NotFound("无证无照经营综合治理成员单位不存在")
    if unit.assigned_at is None:
        raise Conflict("本单位尚未指派执法人员")
    if unit.inspectors_reported_at is not None:
        raise Conflict("本单位的查处结果已上报，不能再导入")
    return unit


def _data(row: Row) -> dict[str, Any]:
    return {key: row.get(title) for key, title in COLUMNS.items()}


class UnlicensedOperatorImport(ImportKind):
    name = "unlicensed_operators"
    title = "导入无证无照经营者"
    template = PLATFORM_TEMPLATES["无证无照经营者导入模板"]
    max_rows = 2000
    name_column = "经营者/名称"
    key_column = "经营者/名称"
    key_label = "（经营者/名称和经营地址相同）"
    steps = ("各行按单个录入的规则检查，确认后逐一录入本单位的无证无照经营者，再逐户判断是否符合办理证照条件。",)
    denied = "只有上传该文件的执法人员可以导入"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return actor.has_role(Role.INSPECTOR)

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        return batch.kind == self.name and batch.created_by_id == actor.id and actor.has_role(Role.INSPECTOR)

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        raw = str(args.get("unit_id", ""))
        if not raw.isdigit():
            raise NotFound("无证无照经营综合治理成员单位不存在")
        return {"unit_id": _unit(actor, {"unit_id": raw}).id}

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        _unit(actor, context)

    def context_note(self, context: dict[str, Any]) -> str:
        unit = db.session.get(UnlicensedUnit, int(context.get("unit_id") or 0))
        return f"{unit.cycle.year}年度无证无照经营综合治理（{unit.department.name}）" if unit else ""

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        unit = _unit(actor, context)
        out = []
        for row in rows:
            if not row.valid:
                out.append(ImportRow(row))
                continue
            try:
                values = operators.operator_values(unit, _data(row))
            except ServiceError as exc:
                row.add_error(COLUMNS.get(exc.field or "", "经营者/名称"), exc.message)
                out.append(ImportRow(row))
                continue
            out.append(ImportRow(row, (values["operator"], values["address"])))
        return out

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.payload

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        unit = _unit(actor, context)
        for item in rows:
            operators.record_operator(actor, unit, _data(item.row))
        audit.record("import_operators", object_type="unlicensed_unit", object_id=unit.id,
                     summary={"文件": batch.filename, "录入经营者": len(rows)}, user=actor)
        return {"录入经营者": len(rows), "unit_id": unit.id}

    def result_text(self, result: dict[str, Any]) -> str:
        return f"已录入无证无照经营者 {result.get('录入经营者', 0)} 户"

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "无证无照经营综合治理", "unlicensed.unit", {"id": context.get("unit_id")}


KIND = register(UnlicensedOperatorImport())
