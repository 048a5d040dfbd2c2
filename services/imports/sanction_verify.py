"""联合惩戒批量验证 by upload (seed 004 §5.3 惩戒对象验证: 批量验证): the user uploads a list in the
template (序号, 名称, 统一社会信用代码/身份证号; up to 100,000 rows); a row whose code is neither a
valid 统一社会信用代码 nor a valid 身份证号 is a problem of the preview.  Confirming checks every
valid row against the published object lists of the user's area (services/sanctions/batch_check)
— a background job with progress above ``job_rows`` — and keeps the annotated workbook (the
result per row: in scope or not, the reasons, the measures), which the confirmation leads to.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from infrastructure.excel import Column, Row
from infrastructure.validators import normalize_code, valid_id_number, valid_uscc
from models import ImportBatch, User
from persistence import audit
from services.imports import framework
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.sanctions import batch_check
from services.templates_catalogue import Template

CODE = "统一社会信用代码/身份证号"
TEMPLATE = Template(
    "联合惩戒批量验证模板", "联合惩戒批量验证名单", "平台模板（seed 004 §5.3 惩戒对象验证：批量验证）",
    (Column("序号", 6), Column("名称", 30, note="市场主体名称或自然人姓名（仅供对照）"),
     Column(CODE, 22, text=True, required=True, note="18位统一社会信用代码或身份证号（15位旧身份证号自动转换）")),
    notes=("验证结果为带批注的Excel：每行注明是否在联合奖惩范围内、原因（失信/守信行为）和措施（实施部门）。",),
)


class SanctionVerifyImport(ImportKind):
    name = "sanction_verify"
    title = "联合惩戒批量验证"
    template = TEMPLATE
    max_rows = 100_000
    job_rows = 2_000
    name_column = "名称"
    key_column = ""  # no natural key: a list may name one code twice, each row gets its answer
    steps = ("按统一社会信用代码或身份证号验证各行是否在本地区已公示的联合奖惩对象名单中（未解除、未过期），"
             "确认后生成带验证结果的Excel供下载。",)
    denied = "只有上传该文件的人员可以验证"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return batch_check.can_check(actor)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        out = []
        for row in rows:
            code = normalize_code(row.get(CODE))
            if row.valid and not (valid_uscc(code) or valid_id_number(code)):
                row.add_error(CODE, "不是有效的统一社会信用代码或身份证号（校验位不符）")
            out.append(ImportRow(row, code if row.valid else None))
        return out

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return None  # a list may name one code twice; each row gets its answer

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        codes = [r.payload for r in rows]

        def report(done: int) -> None:
            framework.applied(done, f"正在验证：{done}/{len(set(codes))}")

        found = batch_check.answer(actor, codes, report)
        table = [(r.row.get("序号"), str(r.row.get("名称") or ""), r.payload) for r in rows]
        content, hits = batch_check.workbook(table, found)
        kept = batch_check.store(actor, batch.filename, len(rows), hits, content, batch.id)
        audit.record("sanction_batch_check", object_type="sanction_batch_check", object_id=kept.id,
                     summary={"文件": batch.filename, "验证": len(rows), "在范围内": hits}, user=actor)
        return {"验证": len(rows), "在范围内": hits, "check_id": kept.id}

    def apply_units(self, rows: list[ImportRow]) -> int:
        return len({r.payload for r in rows})

    def result_text(self, result: dict[str, Any]) -> str:
        return f"已验证 {result.get('验证', 0)} 行，其中在联合奖惩范围内 {result.get('在范围内', 0)} 行"

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "联合惩戒分类查询", "sanctions.objects", {}

    def done(self, context: dict[str, Any], result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "sanctions.batch_checks", {"check": result.get("check_id")}


KIND = register(SanctionVerifyImport())
