"""表15 按模板导入 of registry entities into an object directory: A.4.2 (matched by
社会信用代码 or 注册号), B.1 (by 行政相对人编码, a 统一社会信用代码 or a 注册号) and A.4.1 (no code
column: by 其他名称, the entity's name, among the non-profit and non-market entities of the
row's division).  Only entities of the clerk's registries are found; the natural key is the
matched entity, so two rows naming one entity refuse each other.  What the directory kinds
share is services/imports/directories.py.
"""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy import select

from infrastructure.excel import Row
from models import MarketEntity, User, db
from models.entity import EntityType
from persistence.scope import scope_entities
from services.entities import region_prefix
from services.imports.directories import DirectoryImport, Target, chunks, entities_by
from services.imports.framework import ImportRow
from services.imports.registry import register
from services.templates_catalogue import TEMPLATES

OTHER_NAME = "其他名称（关联主体名称，如主办方等）"
NOT_REGISTERED = "本辖区市场主体库中没有该主体，请先在市场主体库登记或导入后再加入名录库"


class EntityImport(DirectoryImport):
    key_label = "（市场主体库中的同一主体）"

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.payload.object_id if item.payload else None


class A42Import(EntityImport):
    name = "directory_a42"
    code = "A.4.2"
    title = "检查对象名录库按模板导入（A.4.2 营利性市场主体）"
    template = TEMPLATES["A.4.2"]
    name_column = "企业名称"
    key_column = "社会信用代码"
    steps = ("各行按社会信用代码（没有时按注册号）匹配市场主体库中的主体，确认后加入该抽查事项的名录库。",)

    def targets(self, actor: User, rows: list[Row]) -> dict[int, Target]:
        by_uscc = entities_by(actor, MarketEntity.uscc, (r.values.get("社会信用代码", "") for r in rows))
        by_reg = entities_by(actor, MarketEntity.reg_no, (r.values.get("注册号", "") for r in rows))
        found: dict[int, Target] = {}
        for r in rows:
            if not r.valid:
                continue
            uscc, reg_no = r.values.get("社会信用代码", ""), r.values.get("注册号", "")
            a, b = by_uscc.get(uscc) if uscc else None, by_reg.get(reg_no) if reg_no else None
            if a and b and a != b:
                r.add_error("注册号", "社会信用代码和注册号分别属于市场主体库中的两个不同主体")
            elif a or b:
                found[r.number] = Target(a or b)
            else:
                r.add_error("社会信用代码" if uscc else "注册号", NOT_REGISTERED)
        return found


class B1Import(EntityImport):
    name = "directory_b1"
    code = "B.1"
    title = "检查对象名录库按模板导入（B.1 行政相对人）"
    template = TEMPLATES["B.1"]
    name_column = "行政相对人名称"
    key_column = "行政相对人编码"
    steps = ("各行按行政相对人编码（统一社会信用代码或注册号）匹配市场主体库中的主体，确认后加入该抽查事项的名录库。",)

    def targets(self, actor: User, rows: list[Row]) -> dict[int, Target]:
        keys = [r.values.get("行政相对人编码", "") for r in rows]
        by_uscc = entities_by(actor, MarketEntity.uscc, keys)
        by_reg = entities_by(actor, MarketEntity.reg_no, keys)
        found: dict[int, Target] = {}
        for r in rows:
            if not r.valid:
                continue
            target = by_uscc.get(r.values["行政相对人编码"]) or by_reg.get(r.values["行政相对人编码"])
            if target:
                found[r.number] = Target(target)
            else:
                r.add_error("行政相对人编码", NOT_REGISTERED)
        return found


class A41Import(EntityImport):
    name = "directory_a41"
    code = "A.4.1"
    title = "检查对象名录库按模板导入（A.4.1 非营利性市场主体、非市场主体）"
    template = TEMPLATES["A.4.1"]
    name_column = key_column = OTHER_NAME
    steps = ("各行按“其他名称”匹配市场主体库中该行政区划内同名的非营利性市场主体、非市场主体，确认后加入该抽查事项的名录库。",)

    def targets(self, actor: User, rows: list[Row]) -> dict[int, Target]:
        names = sorted({r.values.get(OTHER_NAME, "") for r in rows if r.values.get(OTHER_NAME)})
        candidates: dict[str, list[tuple[int, str]]] = {}
        for chunk in chunks(names):
            query = select(MarketEntity.name, MarketEntity.id, MarketEntity.division_code).where(
                MarketEntity.name.in_(chunk),
                MarketEntity.entity_type.in_((EntityType.NON_PROFIT, EntityType.NON_MARKET)),
            )
            for name, ident, division in db.session.execute(scope_entities(query, actor)):
                candidates.setdefault(name, []).append((ident, division))
        found: dict[int, Target] = {}
        for r in rows:
            if not r.valid:
                continue
            name = r.values.get(OTHER_NAME, "")
            if not name:
                r.add_error(OTHER_NAME, "请填写主体名称：A.4.1 按名称匹配市场主体库中的非营利性市场主体、非市场主体")
                continue
            prefix = region_prefix(r.values.get("行政区划编码", ""))
            same = [i for i, division in candidates.get(name, []) if division.startswith(prefix)]
            if not same:
                r.add_error(OTHER_NAME, NOT_REGISTERED)
            elif len(same) > 1:
                r.add_error(OTHER_NAME, f"市场主体库中该行政区划内有{len(same)}个同名主体，请改用A.4.2按代码导入")
            else:
                found[r.number] = Target(same[0])
        return found


A42 = register(A42Import())
A41 = register(A41Import())
B1 = register(B1Import())
KINDS = (A42, A41, B1)
