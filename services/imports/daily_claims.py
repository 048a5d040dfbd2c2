"""监管认领 导入比对 (seed 004 §1.2): a list of entities, matched by 统一社会信用代码 (or 注册号)
and else by name, becomes the clerk's department's 监管对象 (source 导入) through
services.daily.claim.  A row that matches nothing, or an entity outside the department's area,
is refused on its own row."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import or_, select

from infrastructure.excel import Row
from models import ImportBatch, MarketEntity, User, db
from models.daily import ObjectSource
from services.daily import access
from services.daily.objects import claim
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.templates_catalogue import PLATFORM_TEMPLATES

NAME, CODE = "市场主体名称", "统一社会信用代码"


class DailyClaimImport(ImportKind):
    name = "daily_claims"
    title = "导入比对认领监管对象"
    template = PLATFORM_TEMPLATES["监管对象认领导入模板"]
    max_rows = 5000
    name_column = NAME
    key_column = CODE
    steps = ("匹配到的本辖区市场主体列为本部门的监管对象（来源：导入）。",)
    denied = "只有上传该文件的经办人可以导入"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return access.can_keep(actor)

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        return batch.kind == self.name and batch.created_by_id == actor.id and access.can_keep(actor)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        codes = {str(r.get(CODE) or "").strip().upper() for r in rows} - {""}
        names = {str(r.get(NAME) or "").strip() for r in rows if not str(r.get(CODE) or "").strip()} - {""}
        area = access.area_entities(actor.department)
        found = list(db.session.execute(select(MarketEntity).where(or_(
            MarketEntity.uscc.in_(codes), MarketEntity.reg_no.in_(codes), MarketEntity.name.in_(names)))).scalars())
        ids = {e.id for e in found}
        inside = set(db.session.execute(area.where(MarketEntity.id.in_(ids))).scalars()) if ids else set()
        by_code = {e.uscc: e for e in found if e.uscc} | {e.reg_no: e for e in found if e.reg_no}
        by_name: dict[str, list[MarketEntity]] = {}
        for e in found:
            by_name.setdefault(e.name, []).append(e)
        out = []
        for row in rows:
            code = str(row.get(CODE) or "").strip().upper()
            name = str(row.get(NAME) or "").strip()
            if not code and not name:
                row.add_error(NAME, "市场主体名称和统一社会信用代码至少填写一项")
                out.append(ImportRow(row))
                continue
            matches = [by_code[code]] if code in by_code else ([] if code else by_name.get(name, []))
            if len(matches) != 1:
                row.add_error(CODE if code else NAME, "未找到该市场主体" if not matches else "名称不唯一，请填写统一社会信用代码")
            elif matches[0].id not in inside:
                row.add_error(CODE if code else NAME, "该市场主体不在本部门辖区内，不能认领")
            out.append(ImportRow(row, matches[0].id) if row.valid else ImportRow(row))
        return out

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.payload if item.payload is not None else None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        ids = [item.payload for item in rows]
        added = claim(db.session, actor.department_id, ids, ObjectSource.IMPORT, actor)
        return {"列为监管对象": added, "已是监管对象": len(set(ids)) - added}

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "监管对象维护", "daily.objects_page", {}


KIND = register(DailyClaimImport())
