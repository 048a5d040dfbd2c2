"""信息归集 批量导入: one import kind per fact kind (facts_permit, facts_penalty …), generated
from FACT_KINDS (services/collection/kinds.py).

A row is checked by the kind's own rules (the same as the online form and the data exchange)
and, once confirmed, goes through services.collection.ingest.ingest_checked as 批量导入 of the
uploader's department: matched rows are filed (新增, 更新 as a new version, 无变化), the rest wait
in the pending pool with the batch's id, reported on 归集反馈.  A key repeated within the file
refuses its rows (the framework); the same key again in a later file updates the fact.

Large files: a file of more than ``job_rows`` rows is confirmed by a background job
(services/imports/background.py) whose progress counts the rows filed (``framework.applied``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from infrastructure.excel import Row
from models import ImportBatch, User
from models.facts import FactSource
from models.roles import Role
from services.collection.fields import FactKind
from services.collection.ingest import CREATED, PENDING, SAME, UPDATED, ingest_checked
from services.collection.kinds import FACT_KINDS
from services.collection.templates import FACT_TEMPLATES
from services.credit.hooks import after_facts_import
from services.imports import framework
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register

MAX_ROWS = 100_000
_SUBJECT_KEYS = ("uscc", "reg_no", "entity_name", "id_number")


class FactImport(ImportKind):
    """The import of one fact kind; ``fact_kind`` says which."""

    csv_ok = True
    max_rows = MAX_ROWS
    job_rows = 5_000
    max_bytes = 40 * 1024 * 1024
    denied = "只有上传该文件的经办人可以导入"

    def __init__(self, fact_kind: FactKind) -> None:
        self.fact_kind = fact_kind
        self.name = f"facts_{fact_kind.name}"  # type: ignore[misc]
        self.title = f"{fact_kind.label}信息批量导入"  # type: ignore[misc]
        self.template = FACT_TEMPLATES[fact_kind.name]  # type: ignore[misc]
        first = next((k for k in fact_kind.natural_key if not k.startswith("@")), None)
        self.key_column = fact_kind.field(first).label if first else "统一社会信用代码"  # type: ignore[misc]
        self.name_column = fact_kind.field(fact_kind.title_field).label  # type: ignore[misc]
        self.steps = (  # type: ignore[misc]
            "确认导入后按统一社会信用代码、注册号、市场主体名称依次匹配市场主体；未匹配到的列入待处理信息，"
            "在“归集反馈”中列出，市场主体登记后自动重新匹配。",
            "本部门已报送过的信息再次导入时：内容相同的不重复保存，内容不同的保存为新版本。",
        )

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return actor.has_role(Role.CLERK)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        kind = self.fact_kind
        items: list[ImportRow] = []
        for row in rows:
            checked = kind.check(row.raw)
            seen = {column for column, _ in row.errors}
            for key, message in checked.errors.items():
                column = kind.field(key).label if key else self.key_column
                if column not in seen:
                    row.add_error(column, message)
                    seen.add(column)
            items.append(ImportRow(row, checked if row.valid else None))
        return items

    def natural_key(self, item: ImportRow) -> Hashable | None:
        if item.payload is None:
            return None
        values = item.payload.values
        parts: list[Hashable] = []
        for key in self.fact_kind.natural_key:
            if key.startswith("@"):
                parts.append(tuple(values.get(k) or "" for k in _SUBJECT_KEYS))
            else:
                value = values.get(key)
                parts.append(str(value) if value not in (None, "") else "")
        return tuple(parts)

    def check_note(self, check: dict[str, Any]) -> str:
        return "（确认导入时匹配市场主体）"

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        result = ingest_checked(self.fact_kind, [r.payload for r in rows], source_kind=FactSource.IMPORT,
                                department=actor.department, actor=actor, batch=batch, progress=framework.applied)
        counts = result.counts
        after_facts_import(self.fact_kind.model, batch)
        return {"新增": counts[CREATED], "更新": counts[UPDATED], "无变化": counts[SAME], "待处理": counts[PENDING]}

    def result_text(self, result: dict[str, Any]) -> str:
        text = (f"已导入：新增 {result.get('新增', 0)} 条，更新 {result.get('更新', 0)} 条（保存为新版本），"
                f"没有变化 {result.get('无变化', 0)} 条，跳过问题行 {result.get('跳过问题行', 0)} 行")
        if result.get("待处理"):
            text += f"；{result['待处理']} 条未匹配到市场主体或与其他部门报送的信息重复、冲突，已列入待处理信息，见“归集反馈”"
        return text

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return f"{self.fact_kind.label}信息", "collection.facts", {"fact_kind": self.fact_kind.name}


KINDS = {name: register(FactImport(kind)) for name, kind in FACT_KINDS.items()}
