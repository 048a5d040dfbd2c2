"""发证验证 of a list (批量验证, seed 004 §1.1): the user uploads the entities to verify by
市场主体名称 or 统一社会信用代码; each row must name an entity of the user's area.  Confirming
records one verification per row (services/notice/verify.py) and leads to the results of the
batch, the failed ones (未发证, 不予发证) first.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from infrastructure.excel import Column, Row
from models import ImportBatch, User
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.notice import verify
from services.templates_catalogue import Template

TEMPLATE = Template(
    "发证验证导入模板", "发证验证清单", "平台模板（seed 004 §1.1 发证验证：单一/批量验证）",
    (Column("序号", 6), Column("市场主体名称", 30), Column("统一社会信用代码", 22, text=True, kind="uscc")),
    one_of=(("市场主体名称", "统一社会信用代码"),),
)


def _key(row: Row) -> str:
    return str(row.get("统一社会信用代码") or row.get("市场主体名称") or "").strip()


class NoticeVerifyImport(ImportKind):
    name = "notice_verify"
    title = "批量发证验证"
    template = TEMPLATE
    max_rows = 5000
    name_column = "市场主体名称"
    key_column = "统一社会信用代码"
    steps = ("按统一社会信用代码（未填时按市场主体名称）查找本辖区的市场主体，验证其是否已发证。",)
    denied = "只有上传该文件的人员可以验证"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return verify.can_verify(actor)

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        return batch.kind == self.name and batch.created_by_id == actor.id and verify.can_verify(actor)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        found = verify.find_entities(actor, [_key(r) for r in rows if r.valid])
        out = []
        for row in rows:
            key = _key(row)
            ident = found.get(key) or found.get(key.upper())
            if row.valid and ident is None:
                column = "统一社会信用代码" if row.get("统一社会信用代码") else "市场主体名称"
                row.add_error(column, f"本辖区未找到市场主体“{key}”")
            out.append(ImportRow(row, ident if row.valid else None))
        return out

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return _key(item.row) or None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        results = verify.verdicts([item.payload for item in rows])
        ordered = [results[item.payload] for item in rows if item.payload in results]
        verify.record(actor, ordered, batch)
        failed = sum(1 for v in ordered if v.outcome in verify.FAILED)
        return {"验证": len(ordered), "未通过": failed, "batch_id": batch.id}

    def result_text(self, result: dict[str, Any]) -> str:
        return f"已验证 {result.get('验证', 0)} 个市场主体，其中未通过验证 {result.get('未通过', 0)} 个"

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "发证验证", "notice.verify_page", {}

    def done(self, context: dict[str, Any], result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "notice.verify_page", {"batch": result.get("batch_id")}


KIND = register(NoticeVerifyImport())
