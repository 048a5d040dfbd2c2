"""表15 按模板导入 of places (B.2 场地场所) and products (B.3 产品) into an object directory.

Each row is a place or product of the clerk's department: a row naming a known one (the
natural key: 场地场所 and 检查地址 of a place, 生产许可证编号 of a product) updates it — filled
cells replace the stored values, blank cells keep them — and a new one is created.  A row's
统一社会信用代码 links the object to a registry entity when the registry has it (whose credit
grade then counts in the draws).  What the directory kinds share is
services/imports/directories.py.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from sqlalchemy import select

from infrastructure.excel import Row
from models import MarketEntity, Place, Product, User, db, utcnow
from persistence.bulk import allocate_ids, insert_rows, update_rows
from services.imports.directories import DirectoryImport, Target, chunks, entities_by
from services.imports.framework import ImportRow
from services.imports.registry import register
from services.templates_catalogue import TEMPLATES

Fields = tuple[tuple[str, str, int], ...]  # (column title, attribute, maximum length; 0: not text)

PLACE_FIELDS: Fields = (
    ("场地场所", "name", 200), ("所在地区", "area", 100), ("行政区划", "division_name", 100),
    ("责任单位", "responsible_unit", 200), ("责任单位统一社会信用代码", "responsible_uscc", 18),
    ("责任人", "responsible_person", 100), ("责任人证件类型", "id_type", 30), ("责任人证件编码", "id_code", 40),
    ("场所用途", "purpose", 100), ("场所规模", "scale", 100), ("投入使用开始时间", "in_use_since", 0),
    ("使用寿命", "service_life", 50), ("检查地址", "address", 255), ("检查联系电话", "phone", 60),
    ("所属区县", "county", 100), ("行政相对人性质", "nature", 50), ("行政区划代码", "division_code", 12),
)
PRODUCT_FIELDS: Fields = (
    ("生产许可证编号", "licence_no", 40), ("企业名称", "company_name", 200), ("统一社会信用代码", "uscc", 18),
    ("发证日期", "issued_on", 0), ("有效期至", "valid_until", 0), ("检查地址", "address", 255),
    ("检查联系电话", "phone", 60), ("所属区县", "county", 100), ("行政相对人性质", "nature", 50),
    ("行政区划代码", "division_code", 12),
)


def _values(row: Row, fields: Fields) -> dict[str, Any]:
    return {attr: ("" if limit else None) if row.values.get(title) == "" else row.values.get(title)
            for title, attr, limit in fields}


class ObjectImport(DirectoryImport):
    """A place or product template: ``model`` and ``fields``, the key's columns and the column
    of the entity a row links to."""

    model: ClassVar[Any]
    fields: ClassVar[Fields]
    key_columns: ClassVar[tuple[str, ...]]
    link_column: ClassVar[str]

    def natural_key(self, item: ImportRow) -> Hashable | None:
        key = tuple(item.row.values.get(c) for c in self.key_columns)
        return key if all(key) else None

    def targets(self, actor: User, rows: list[Row]) -> dict[int, Target]:
        for row in rows:
            for title, _attr, limit in self.fields:
                value = row.values.get(title)
                if limit and isinstance(value, str) and len(value) > limit:
                    row.add_error(title, f"不能超过{limit}个字（现有{len(value)}个）")
        columns = [getattr(self.model, attr) for title, attr, _l in self.fields if title in self.key_columns]
        existing: dict[tuple[Any, ...], int] = {}
        firsts = sorted({r.values[self.key_columns[0]] for r in rows if r.values.get(self.key_columns[0])})
        for chunk in chunks(firsts):
            for *key, ident in db.session.execute(
                select(*columns, self.model.id).where(self.model.department_id == actor.department_id,
                                                      columns[0].in_(chunk))
            ):
                existing[tuple(key)] = ident
        links = entities_by(actor, MarketEntity.uscc, (r.values.get(self.link_column, "") for r in rows))
        return {
            r.number: Target(existing.get(tuple(r.values.get(c, "") for c in self.key_columns)),
                             links.get(r.values.get(self.link_column, "")))
            for r in rows if r.valid
        }

    def object_ids(self, actor: User, rows: list[ImportRow]) -> list[int]:
        """Create the new objects and update the known ones; every row's object id, in row order."""
        table, now = self.model.__table__, utcnow()
        attrs = [attr for _t, attr, _l in self.fields]
        creates = [r for r in rows if r.payload.object_id is None]
        updates = [r for r in rows if r.payload.object_id is not None]
        new_ids = allocate_ids(table, len(creates))
        insert_rows(table, ["id", "department_id", *attrs, "entity_id", "created_at", "updated_at"], [
            [ident, actor.department_id, *_values(r.row, self.fields).values(), r.payload.link, now, now]
            for r, ident in zip(creates, new_ids, strict=True)
        ])
        for r, ident in zip(creates, new_ids, strict=True):
            r.payload.object_id = ident
        by_keys: dict[tuple[str, ...], list[list[Any]]] = {}
        for r in updates:
            filled = {a: v for a, v in _values(r.row, self.fields).items() if v not in ("", None)}
            if r.payload.link:
                filled["entity_id"] = r.payload.link
            filled["updated_at"] = now
            by_keys.setdefault(tuple(filled), []).append([*filled.values(), r.payload.object_id])
        for keys, group in by_keys.items():
            update_rows(table, "id", keys, group)
        return [r.payload.object_id for r in rows]


class PlaceImport(ObjectImport):
    name = "directory_b2"
    code = "B.2"
    title = "检查对象名录库按模板导入（B.2 场地场所）"
    template = TEMPLATES["B.2"]
    name_column = key_column = "场地场所"
    key_label = "（场地场所和检查地址相同）"
    model = Place
    fields = PLACE_FIELDS
    key_columns = ("场地场所", "检查地址")
    link_column = "责任单位统一社会信用代码"
    steps = ("场地场所和检查地址与本部门已有场地场所相同的行更新其信息（空白单元格保留原值），其余新建；确认后加入该抽查事项的名录库。",)


class ProductImport(ObjectImport):
    name = "directory_b3"
    code = "B.3"
    title = "检查对象名录库按模板导入（B.3 产品）"
    template = TEMPLATES["B.3"]
    name_column = "企业名称"
    key_column = "生产许可证编号"
    model = Product
    fields = PRODUCT_FIELDS
    key_columns = ("生产许可证编号",)
    link_column = "统一社会信用代码"
    steps = ("生产许可证编号与本部门已有产品相同的行更新其信息（空白单元格保留原值），其余新建；确认后加入该抽查事项的名录库。",)


PLACES = register(PlaceImport())
PRODUCTS = register(ProductImport())
KINDS: Sequence[ObjectImport] = (PLACES, PRODUCTS)
