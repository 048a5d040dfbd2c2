"""灵活报表 按模板填报 (seed 004 §8.2; docs/reports.md): a unit uploads its report's template
filled in, for one period (the upload's context ``?submission_id=``).  The file is a form in
the report's own layout, not a table: each marked cell is one "row" of the preview (its
spreadsheet row, the 填报项目 and the cell), checked like the online form (a number cell takes
numbers only; a formula refuses its cell).  The confirmation writes every cell and 上报 the
filling — after the deadline it is accepted as 延迟报.  Only 全部导入: a report is not reported
with some of its cells left out.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from infrastructure.errors import Invalid, NotFound
from infrastructure.excel import FORMULA_CELL, Column, Row, workbook_bytes
from models import ImportBatch, User, db
from models.reports import ReportSubmission
from persistence import audit
from services.imports.framework import Check, ImportKind, ImportRow, Rows
from services.imports.registry import register
from services.reports import access, filling, layout
from services.templates_catalogue import Template

ITEM, CELL, VALUE = "填报项目", "单元格", "填报值"
TEMPLATE = Template("灵活报表", "灵活报表填报", "seed 004 §8.2", (Column(ITEM), Column(CELL), Column(VALUE)))
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")


def _submission(actor: User, context: dict[str, Any]) -> ReportSubmission:
    submission = db.session.get(ReportSubmission, int(context.get("submission_id") or 0))
    if submission is None or submission.department_id != actor.department_id:
        raise NotFound("报表不存在")
    return submission


class ReportFillImport(ImportKind):
    name = "report_fill"
    title = "上传填报模板（灵活报表）"
    template = TEMPLATE
    tabular = False
    csv_ok = False
    max_rows = 5000
    max_bytes = layout.MAX_TEMPLATE_BYTES
    name_column = ITEM
    steps = ("确认导入即上报本期报表；截止日期后上报的记为延迟报。",)
    denied = "只有上传该文件的经办人可以导入"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        if not actor.has_role(*access.ACT_ROLES):
            return False
        return not context or _submission(actor, context).department_id == actor.department_id

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        raw = str(args.get("submission_id", ""))
        if not raw.isdigit():
            raise NotFound("报表不存在")
        return {"submission_id": _submission(actor, {"submission_id": int(raw)}).id}

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        filling.require_fillable(actor, _submission(actor, context))

    def read(self, actor: User, data: bytes, context: dict[str, Any]) -> list[Row]:
        fields = _submission(actor, context).report.fields
        cells = layout.read_cells(data, fields)
        rows = []
        for field in fields:
            value, formula = cells[field.id]
            row_number = int("".join(c for c in field.cell if c.isdigit()))
            where = f"{field.sheet}!{field.cell}"
            row = Row(row_number, {ITEM: field.name, CELL: where, VALUE: value, "field": field},
                      {ITEM: field.name, CELL: where, VALUE: value})
            if formula:
                row.add_error(where, FORMULA_CELL)
            rows.append(row)
        return Rows(rows)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        items = []
        for row in rows:
            field = row.values["field"]
            if row.valid:
                parsed, errors = filling.check_values([field], {field.id: row.values[VALUE]})
                if errors:
                    row.add_error(row.values[CELL], errors[field.id])
            items.append(ImportRow(row, (field.id, parsed.get(field.id)) if row.valid else None))
        return items

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        submission = _submission(actor, context)
        if len(rows) != len(submission.report.fields):
            raise Invalid("模板中有填写有误的单元格，报表不能只上报其中一部分：请修改后重新上传")
        filling.store(actor, submission, dict(r.payload for r in rows), submit=True, source="upload")
        audit.record("submit", object_type="flex_report_submission", object_id=submission.id, user=actor,
                     summary={"报表名称": submission.report.name, "填报期": submission.period_label,
                              "状态": submission.state_label, "方式": "上传模板"})
        return {"报表": submission.report.name, "填报期": submission.period_label, "单元格": len(rows),
                "上报": submission.state_label}

    def result_text(self, result: dict[str, Any]) -> str:
        return f"已上报“{result.get('报表', '')}”{result.get('填报期', '')}（{result.get('上报', '')}）"

    def annotate(self, batch: ImportBatch, check: Check) -> tuple[bytes, str] | None:
        """The upload with each wrong cell shaded red and its problem as the cell's comment."""


        wb = load_workbook(io.BytesIO(batch.content))
        for item in check.invalid_rows:
            field = item.row.values["field"]
            cell = wb[field.sheet][field.cell]
            cell.fill = ERROR_FILL
            cell.comment = Comment("；".join(m for _c, m in item.row.errors), "智慧监管平台")
        return workbook_bytes(wb), "xlsx"

    def template_file(self, actor: User, variant: str) -> tuple[bytes, str]:
        raise NotFound("请在报表的填报页下载本单位本期的填报模板")

    def template_link(self, context: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        return "reports.fill_template", {"sid": context.get("submission_id")}

    def context_note(self, context: dict[str, Any]) -> str:
        submission = db.session.get(ReportSubmission, int(context.get("submission_id") or 0))
        if submission is None:
            return ""
        return (f"报表：{submission.report.name}，填报期：{submission.period_label}，"
                f"截止日期：{submission.due_on.isoformat()}。只读取标记的填报单元格，其余内容不变。")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "返回填报页", "reports.submission", {"sid": context.get("submission_id")}


KIND = register(ReportFillImport())


