"""A.1.1 单部门“双随机、一公开”抽查事项清单 按模板导入.

Each new item goes through 表7 (新增 → 公布事项); a row naming an item the department already
has (the natural key: the same 抽查事项) goes through 表8 when it changes something, so a
re-import updates instead of duplicating.

The standard's A.1.1 has no ratio cap, implementation level, industry or note.  The platform
accepts the template as the standard prints it, or with four optional columns appended
(``EXTRA_COLUMNS``); a general item without a cap in the file takes the cap given on the
upload page (an upload option, kept in the batch's context).
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from typing import Any

from infrastructure.errors import Conflict, Invalid
from infrastructure.excel import Column, ExcelError, Row, parse_decimal, read_table
from models import ImportBatch, ItemCategory, User
from services import items as svc
from services.imports.framework import ImportKind, ImportRow, UploadOption
from services.imports.registry import register
from services.templates_catalogue import IMPLEMENTATION_LEVELS, TEMPLATES, Template

STANDARD: Template = TEMPLATES["A.1.1"]
EXTRA_COLUMNS = (
    Column("抽查比例上限（%）", 14, note="一般检查事项必填，如 5 表示5%；重点检查事项不设上限，不填"),
    Column("实施层级", 12, choices=IMPLEMENTATION_LEVELS, multiple=True),
    Column("行业代码", 10, text=True, note="国民经济行业分类门类字母，可加代码，如 F、F52（一业一单）"),
    Column("备注", 24),
)
EXTENDED = Template(
    STANDARD.code, STANDARD.title, STANDARD.source, (*STANDARD.columns, *EXTRA_COLUMNS),
    notes=(
        *STANDARD.notes,
        "抽查比例上限（%）、实施层级、行业代码、备注为本平台补充列（可删除这四列，按标准模板上传）。"
        "一般检查事项未填写抽查比例上限的，按上传页面填写的默认上限导入。",
        "本部门清单中已有同名抽查事项的行将更新该事项（并重新公布），不会重复新增。",
    ),
)
_KEYS = {  # column title → service field key
    "抽查类别": "domain", "抽查事项": "name", "检查对象": "objects", "事项类别": "category", "检查方式": "methods",
    "检查主体": "inspecting_body", "检查依据": "basis", "牵头处室": "lead_office", "抽查比例上限（%）": "ratio_cap",
    "实施层级": "levels", "行业代码": "industry_code", "备注": "note",
}
_COLUMN_OF = {key: title for title, key in _KEYS.items()}
_NO_CAP = "一般检查事项须有抽查比例上限：请在上传页面填写默认上限，或增加“抽查比例上限（%）”列"


def parse_default_cap(text: str) -> Decimal | None:
    text = (text or "").strip().rstrip("%％")
    if not text:
        return None
    try:
        cap = parse_decimal(text)
    except ValueError:
        raise Invalid("默认抽查比例上限应为数字（百分比），如 5", "default_cap") from None
    if cap is None or not Decimal(0) < cap <= Decimal(100):
        raise Invalid("默认抽查比例上限应大于0且不超过100", "default_cap")
    return cap


class CheckItemImport(ImportKind):
    name = "check_items"
    title = "抽查事项清单批量导入（A.1.1）"
    template = EXTENDED
    max_rows = 2_000
    max_bytes = 5 * 1024 * 1024
    csv_ok = False
    name_column = key_column = "抽查事项"
    steps = ("新增的事项按表7新增并公布；本部门清单中已有同名抽查事项的行按表8更新并重新公布，不会重复新增。",)
    denied = "只有上传该文件的经办人可以导入"
    variants = (("standard", "标准模板（无平台补充列）"),)
    options = (UploadOption("default_cap", "一般检查事项默认抽查比例上限（%）",
                            "文件中一般检查事项未填写抽查比例上限时使用；标准模板没有该列", 8),)

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return svc.can_edit(actor)

    def template_for(self, variant: str) -> Template:
        return STANDARD if variant == "standard" else EXTENDED

    def read_options(self, actor: User, form: dict[str, Any]) -> dict[str, Any]:
        cap = parse_default_cap(form.get("default_cap", ""))
        return {"default_cap": str(cap) if cap else ""}

    def read(self, actor: User, data: bytes, context: dict[str, Any]) -> list[Row]:
        """Read as the extended template or, failing that, the standard one."""
        try:
            return read_table(data, EXTENDED, max_rows=self.max_rows, formula_rows=True)
        except ExcelError as extended_error:
            try:
                return read_table(data, STANDARD, max_rows=self.max_rows, formula_rows=True)
            except ExcelError as standard_error:
                if any("缺少列" in p for p in standard_error.problems) and not any(
                    "缺少列" in p for p in extended_error.problems
                ):
                    raise extended_error from None
                raise

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        cap = context.get("default_cap") or None
        return [self._check_row(actor, row, cap) for row in rows]

    def _check_row(self, actor: User, row: Row, default_cap: str | None) -> ImportRow:
        extended = "抽查比例上限（%）" in row.raw
        raw = {_KEYS[title]: value for title, value in row.values.items() if title in _KEYS}
        raw["methods"] = row.get("检查方式") or row.raw.get("检查方式")
        name = str(row.get("抽查事项") or "").strip()
        existing = svc.find_by_name(actor.department_id, name) if name else None
        if existing is not None and not extended:
            # The standard template leaves the platform's own fields as they are.
            current = svc.form_values(existing)
            raw.update({k: current[k] for k in ("ratio_cap", "levels", "industry_code", "note")})
        general = svc.category_of(raw.get("category")) == ItemCategory.GENERAL
        if general and default_cap and not str(raw.get("ratio_cap") or "").strip():
            raw["ratio_cap"] = default_cap
        values, errors = svc.parse_item(raw)
        seen = {column for column, _ in row.errors}
        for key, message in errors.items():
            column = _COLUMN_OF[key]
            if column == "抽查比例上限（%）" and not extended:
                column, message = "事项类别", _NO_CAP
            if column not in seen:
                row.add_error(column, message)
                seen.add(column)
        if not row.valid:
            return ImportRow(row)
        if existing is None:
            action = "create"
        else:
            action = "same" if all(getattr(existing, k) == v for k, v in values.items()) else "update"
        return ImportRow(row, (action, name, raw))

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return str(item.row.get("抽查事项") or "").strip() or None

    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        actions = [r.payload[0] for r in rows]
        return {a: actions.count(a) for a in ("create", "update", "same")}

    def check_note(self, check: dict[str, Any]) -> str:
        return (f"（新增 {check.get('create', 0)} 个，更新已有的 {check.get('update', 0)} 个，"
                f"没有变化 {check.get('same', 0)} 个）")

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """New rows through 表7, changed rows through 表8."""
        counts = {"create": 0, "update": 0, "same": 0}
        for item in rows:
            action, name, raw = item.payload
            if action == "create":
                svc.create_item(actor, raw, source=f"批量导入（批次{batch.id}第{item.number}行）")
            elif action == "update":
                target = svc.find_by_name(actor.department_id, name)
                if target is None:
                    raise Conflict("导入期间数据已被他人修改，请重新上传")
                svc.edit_item(actor, target, raw, version=target.version)
            counts[action] += 1
        return {"新增": counts["create"], "更新": counts["update"], "无变化": counts["same"]}

    def result_text(self, result: dict[str, Any]) -> str:
        return (f"已导入：新增并公布 {result.get('新增', 0)} 个，更新并重新公布 {result.get('更新', 0)} 个，"
                f"没有变化 {result.get('无变化', 0)} 个，跳过问题行 {result.get('跳过问题行', 0)} 行")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "抽查事项清单", "items.index", {}


KIND = register(CheckItemImport())
