"""联合奖惩对象名单 by import (表29 形成本部门联合奖惩对象名单; seed 004 §5): the 发起部门's
clerk or leader uploads the objects of a list still being formed (``?list_id=``).  Each row is
checked as the form's object is (services/sanctions/lists.check_row): an unknown or another
district's 统一社会信用代码, an invalid 身份证号 (GB 11643 check character; a 15-digit old number
is taken as its 18-digit form), a behaviour not in the published catalogue, a 认定日期 in the
future, a validity ending before the 认定日期.  The natural key is the object's code and its
catalogue entry: a file may not repeat it, and a re-import updates the object already in the
list (认定依据, dates, name) instead of adding it again.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from infrastructure.errors import Conflict, Invalid, NotFound
from infrastructure.excel import Column, Row
from models import ImportBatch, SanctionList, User, db
from persistence import audit
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.sanctions import lists
from services.templates_catalogue import Template

SUBJECTS = {"市场主体": lists.ENTITY, "自然人": lists.PERSON}
TEMPLATE = Template(
    "联合奖惩对象名单导入模板", "联合奖惩对象名单", "平台模板（表29 形成本部门联合奖惩对象名单；seed 004 §5 惩戒对象管理）",
    (
        Column("序号", 6),
        Column("对象类型", 10, choices=tuple(SUBJECTS), required=True),
        Column("名称", 30, note="市场主体名称或自然人姓名（市场主体以库中名称为准）"),
        Column("统一社会信用代码/身份证号", 22, text=True, required=True,
               note="市场主体填写本地区市场主体库中的统一社会信用代码，自然人填写18位身份证号（15位旧号码自动转换）"),
        Column("失信/守信行为", 30, required=True, note="已发布的联合奖惩事项清单中的失信/守信行为名称"),
        Column("认定依据", 30, required=True),
        Column("认定日期", 12, kind="date", required=True, note="不能晚于今天"),
        Column("有效期至", 12, kind="date", note="空为长期；不能早于认定日期"),
    ),
)
FIELDS = {"entry": "失信/守信行为", "code": "统一社会信用代码/身份证号", "name": "名称", "basis": "认定依据",
          "decided_on": "认定日期", "valid_until": "有效期至", "subject": "对象类型"}


def _list(actor: User, context: dict[str, Any]) -> SanctionList:
    lst = db.session.get(SanctionList, int(context.get("list_id") or 0))
    if lst is None or not lists.can_view(actor, lst) or not lists.is_initiator(actor, lst):
        raise NotFound("联合奖惩对象名单不存在")
    if lst.status != lists.ListStatus.DRAFT:
        raise Conflict("名单已形成，不能再导入对象")
    return lst


def _values(row: Row) -> dict[str, Any]:
    return {"subject": SUBJECTS.get(str(row.get("对象类型") or "").strip(), ""), "code": row.get("统一社会信用代码/身份证号"),
            "name": row.get("名称"), "entry": row.get("失信/守信行为"), "basis": row.get("认定依据"),
            "decided_on": row.get("认定日期"), "valid_until": row.get("有效期至")}


class SanctionObjectImport(ImportKind):
    name = "sanction_objects"
    title = "导入联合奖惩对象"
    template = TEMPLATE
    max_rows = 10000
    job_rows = 2000
    name_column = "名称"
    key_column = "统一社会信用代码/身份证号"
    key_label = "（同一对象、同一失信/守信行为）"
    steps = ("各行按统一社会信用代码（本地区市场主体库）或身份证号（校验位须正确）核对；名单中已有的同一对象、同一失信/守信行为按文件更新认定依据和日期。",)

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return lists.is_initiator(actor)

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        raw = str(args.get("list_id", ""))
        if not raw.isdigit():
            raise NotFound("联合奖惩对象名单不存在")
        return {"list_id": _list(actor, {"list_id": raw}).id}

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        _list(actor, context)

    def context_note(self, context: dict[str, Any]) -> str:
        lst = db.session.get(SanctionList, int(context.get("list_id") or 0))
        return f"联合奖惩对象名单：{lst.title}" if lst else ""

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        values = [_values(r) for r in rows]
        entries, entities = lists.lookups(actor, [v for r, v in zip(rows, values, strict=True) if r.valid])
        out = []
        for row, value in zip(rows, values, strict=True):
            payload = None
            if row.valid:
                if not value["subject"]:
                    row.add_error("对象类型", "应为“市场主体”或“自然人”")
                else:
                    try:
                        payload = lists.check_row(actor, value, entries, entities)
                    except Invalid as exc:
                        row.add_error(FIELDS.get(exc.field or "", "统一社会信用代码/身份证号"), exc.message)
            out.append(ImportRow(row, payload if row.valid else None))
        return out

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return (item.payload["code"], item.payload["entry"].id) if item.payload else None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        lst = _list(actor, context)
        added, updated = lists.import_objects(actor, lst, [r.payload for r in rows])
        audit.record("import_objects", object_type=lists.SUBJECT, object_id=lst.id,
                     summary={"文件": batch.filename, "有效行": len(rows), "新增": added, "更新": updated}, user=actor)
        return {"新增": added, "更新": updated, "list_id": lst.id}

    def result_text(self, result: dict[str, Any]) -> str:
        return f"已导入联合奖惩对象：新增 {result.get('新增', 0)} 个，更新 {result.get('更新', 0)} 个"

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "联合奖惩对象名单", "sanctions.list_page", {"id": context.get("list_id")}


KIND = register(SanctionObjectImport())
