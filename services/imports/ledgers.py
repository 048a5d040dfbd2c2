"""A.6 工作台账 按模板导入 (联席会议工作台账模板): the rows are appended to the liaison's unit's
ledger of one task (the upload's context), checked by services.ledgers.check_values, the form's
rules.  Ledger rows have no natural key: a re-import appends again.
"""

from __future__ import annotations

from typing import Any

from infrastructure.errors import NotFound
from infrastructure.excel import Row
from models import ConferenceTask, ImportBatch, User, db
from models.roles import Role
from services import conference_plans
from services import ledgers as svc
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register


def _task(context: dict[str, Any]) -> ConferenceTask:
    task = db.session.get(ConferenceTask, context.get("task_id") or 0)
    if task is None:
        raise NotFound("该批次对应的任务不存在")
    return task


class LedgerImport(ImportKind):
    name = "conference_ledger"
    title = "导入工作台账"
    template = svc.A6
    max_rows = svc.MAX_ROWS_PER_LEDGER
    max_bytes = 5 * 1024 * 1024
    name_column = "经营者/名称"
    steps = ("导入的记录追加到本单位该任务的工作台账，核对后上报。",)
    denied = "只有上传该文件的联络员可以导入"

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        if not actor.has_role(Role.MEMBER_LIAISON):
            return False
        return not context or svc.is_concerned(_task(context), actor.department_id)

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        raw = str(args.get("task_id", ""))
        task = conference_plans.get_task(actor, int(raw)) if raw.isdigit() else None
        if task is None:
            raise NotFound("任务不存在")
        return {"task_id": task.id}

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        svc.check_editable(actor, svc.open_ledger(actor, _task(context)), None)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        items = []
        for row in rows:
            # Cells read_table already refused keep its message; the rest get the ledger's rules.
            bad = {title for title, _ in row.errors}
            values = {t: (row.raw[t] if t in bad else row.values[t]) for t in svc.COLUMNS}
            fields, problems = svc.check_values(values)
            for title, message in problems:
                if title not in bad:
                    row.add_error(title, message)
            items.append(ImportRow(row, fields if row.valid else None))
        return items

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        task = _task(context)
        ledger = svc.open_ledger(actor, task)
        added = svc.add_rows(ledger, [r.payload for r in rows], source="import")
        ledger.lock_version += 1
        return {"任务": task.title, "新增": added}

    def result_text(self, result: dict[str, Any]) -> str:
        return (f"已导入 {result.get('新增', 0)} 行（跳过问题行 {result.get('跳过问题行', 0)} 行），"
                "请核对后上报")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "返回工作台账", "conference_plans.ledger", {"task_id": context.get("task_id")}


KIND = register(LedgerImport())
