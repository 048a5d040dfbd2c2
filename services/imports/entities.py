"""市场主体库导入 (the platform's 市场主体库导入模板, or a full-registry export of another system):
the rules are services/entity_import.py (reading, checking) and services/entity_import_write.py
(bulk writing); this kind puts them on the import framework.

What differs from the framework's defaults:

* the file is read by column titles and their aliases, in any order, .xlsx or CSV, up to
  200,000 rows and 20 MB; the reader checks as it reads (one pass over the rows) and gives the
  columns it found and ignored (``Rows.info``);
* the natural keys are 统一社会信用代码 and, without one, 注册号: a re-import updates the entity it
  names (blank cells keep the stored values, tags are added); the checker marks a code repeated
  in the file for both keys, so the framework's one-key ``natural_key`` is left unset;
* the annotated copy of a CSV is a CSV, and of a large workbook the problem rows only;
* a confirmation of more than IMPORT_JOB_ROWS rows runs as a background job with progress.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from infrastructure.config import default as config_default
from infrastructure.excel import Row, build_workbook, workbook_bytes
from models import EntityTag, ImportBatch, MarketEntity, User, utcnow
from persistence import audit
from persistence.bulk import refresh_statistics
from services import entity_import_write as write
from services.collection.pending import rematch_entities
from services.credit.hooks import after_registry_import
from services.entities import can_edit
from services.entity_fields import SUBJECT_TYPE, TITLE
from services.entity_import import TEMPLATE_COLUMNS, check_import, template_instructions
from services.entity_import_read import (
    MAX_IMPORT_ROWS,
    MAX_UPLOAD_BYTES,
    annotated_csv,
    problem_rows_workbook,
)
from services.entity_tags import add_tags_bulk
from services.imports import framework
from services.imports.framework import Check, ImportKind, ImportRow, Rows
from services.imports.registry import register
from services.notice.notices import notify_entities
from services.templates_catalogue import Template

# A confirmation of more rows than this runs as a background job (config IMPORT_JOB_ROWS).
IMPORT_JOB_ROWS: int = config_default("IMPORT_JOB_ROWS")
# Above this many rows the error report lists the problem rows only: re-writing a whole
# 100,000-row workbook with openpyxl takes about a minute.
FULL_COPY_ROWS = 5_000
ANALYZE_AFTER_ROWS = 5_000  # persistence.bulk.refresh_statistics
TEMPLATE = Template("市场主体库导入模板", "市场主体", "平台模板（市场主体库的全量登记信息）", TEMPLATE_COLUMNS)


def summary_text(result: dict[str, Any]) -> str:
    """The one-line outcome of an import, as the pages show it."""
    return (
        f"已导入：新增 {result.get('新增', 0)} 个、更新 {result.get('更新', 0)} 个市场主体"
        + (f"，{result['无变化']} 个没有变化" if result.get("无变化") else "")
        + (f"，新增标签 {result['新增标签']} 个" if result.get("新增标签") else "")
        + (f"，跳过问题行 {result['跳过问题行']} 行" if result.get("跳过问题行") else "")
        + (f"；双告知抄告 {result['抄告']} 条" if result.get("抄告") else "")
        + (f"，{result['经营范围未匹配']} 个经营范围未匹配先照后证事项（待核查）" if result.get("经营范围未匹配") else "")
        + (f"；待处理的归集信息中有 {result['归集信息匹配']} 条已匹配到市场主体" if result.get("归集信息匹配") else "")
    )


class EntityImport(ImportKind):
    name = "entities"
    title = "导入市场主体"
    template = TEMPLATE
    max_rows = MAX_IMPORT_ROWS
    max_bytes = MAX_UPLOAD_BYTES
    name_column = "主体名称"
    key_column = "统一社会信用代码"
    steps = (
        "其他系统导出的全量登记表也可直接上传，列名按名称识别、顺序不限。已登记的主体（按统一社会信用代码，"
        "其次注册号匹配）会被更新而不会重复登记：填写的单元格覆盖原值，留空的保持原值，标签为追加。",
    )
    denied = "只有上传该文件的经办人可以导入"
    job_rows = IMPORT_JOB_ROWS

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return can_edit(actor)

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        return batch.kind == self.name and batch.created_by_id == actor.id and can_edit(actor)

    def template_file(self, actor: User, variant: str) -> tuple[bytes, str]:
        wb = build_workbook(TEMPLATE.sheet, TEMPLATE_COLUMNS, instructions=template_instructions(), template_rows=500)
        return workbook_bytes(wb), "市场主体库导入模板.xlsx"

    def job_threshold(self) -> int | None:
        return int(current_app.config.get("IMPORT_JOB_ROWS", self.job_rows))

    # -- rows
    def read(self, actor: User, data: bytes, context: dict[str, Any]) -> list[Row]:
        check = check_import(actor, "", data, checked=True, report=framework.checked)
        info = {
            "file_kind": check.kind,
            "columns": [TITLE[k] for k in check.columns],
            "ignored": check.ignored,
            "formulas": {str(row): sorted(cols) for row, cols in check.formulas.items()},
        }
        return Rows(check.rows, info)  # EntityRows: they answer what the framework asks of a Row

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        return [ImportRow(r, r if r.valid else None) for r in rows]

    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        updates = sum(1 for r in rows if r.payload.target_id is not None)
        return {"create": len(rows) - updates, "update": updates}

    def check_note(self, check: dict[str, Any]) -> str:
        return f"（新登记 {check.get('create', 0)} 个，更新已登记的 {check.get('update', 0)} 个）"

    def check_notes(self, check: dict[str, Any]) -> list[str]:
        ignored = check.get("ignored") or []
        return ["识别的列：" + "、".join(check.get("columns") or [])
                + ("；未识别、将被忽略的列：" + "、".join(ignored) if ignored else "")]

    # -- writing
    def apply_units(self, rows: list[ImportRow]) -> int:
        return 2 * len(rows)  # each row written, then its audit row

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """Insert the new entities and update the registered ones in bulk, in the caller's one
        transaction (all or nothing)."""
        valid = [item.payload for item in rows]
        now = utcnow()
        creates = [r for r in valid if r.target_id is None]
        updates = [r for r in valid if r.target_id is not None]
        new_ids, created_audit, new_tags = write.insert_new(batch, creates, now, framework.applied)
        changes = write.update_existing(
            batch, updates, now, lambda n, what: framework.applied(len(creates) + n, what)
        )
        added = add_tags_bulk([*new_tags, *changes.tag_pairs], set(new_ids))
        updated_audit = write.update_audit(batch, added, changes)
        framework.applied(len(valid), "正在记录审计日志")
        if len(valid) >= ANALYZE_AFTER_ROWS:
            refresh_statistics(MarketEntity.__table__, EntityTag.__table__)
        audit.record_many("create", SUBJECT_TYPE, created_audit, user=actor)
        audit.record_many("update", SUBJECT_TYPE, updated_audit, user=actor)
        framework.applied(len(valid), "正在匹配先照后证事项（双告知）")
        told = notify_entities([*new_ids, *(r.target_id for r, shown in changes.changed if TITLE["business_scope"] in shown)],
                               actor.department_id)
        framework.applied(len(valid), "正在重新匹配待处理的归集信息")
        rematched = rematch_entities(
            [c for r in valid for c in (r.values.get("uscc"), r.values.get("reg_no")) if c],
            [r.values.get("name") or "" for r in valid],
        )
        after_registry_import(now)
        return {"新增": len(creates), "更新": len(updates) - changes.unchanged, "无变化": changes.unchanged,
                "新增标签": len(added), "归集信息匹配": rematched.filed, "抄告": told.created,
                "经营范围未匹配": told.unmatched}

    def result_text(self, result: dict[str, Any]) -> str:
        return summary_text(result)

    # -- the annotated copy
    def annotate(self, batch: ImportBatch, check: Check) -> tuple[bytes, str] | None:
        errors = check.errors.as_dict()
        if check.info.get("file_kind") == "csv":
            return annotated_csv(batch.content, errors), "csv"
        if len(check.rows) > FULL_COPY_ROWS:
            formulas = {int(row): set(cols) for row, cols in check.info.get("formulas", {}).items()}
            return problem_rows_workbook(batch.content, batch.filename, formulas, errors), "xlsx"
        return None

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "市场主体库", "entities.index", {}


KIND = register(EntityImport())
