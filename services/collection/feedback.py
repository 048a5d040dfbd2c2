"""归集反馈 (seed 004 §5): what goes back to the providing department.

* 问题数据反馈: its facts waiting in the pending pool (未匹配, 重复, 冲突) with the reason, as a
  page and an Excel workbook of the problem rows (one sheet per kind, the fields as sent);
* 归集成果反馈: the facts filed under an entity, e.g. the table 许可证号 ↔ 统一社会信用代码;
* 撤回: the department withdraws a waiting fact it no longer stands by (closed without a fact).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, select

from models import MarketEntity, User, db, utcnow
from models.facts import PendingFact, PendingReason, Person
from services import audit
from services.clock import to_china
from services.collection.fields import FactKind
from services.collection.kinds import FACT_KINDS
from services.errors import Conflict
from services.excel import Column, escape_cell, stream_workbook

REASONS = tuple(r.value for r in PendingReason)
_PROBLEM_TITLES = ("问题类型", "问题说明", "报送方式", "报送时间", "导入批次")


def pending_query(actor: User, *, kind: str = "", reason: str = "", include_closed: bool = False) -> Select[Any]:
    """The department's pending facts (open ones unless ``include_closed``), newest first."""
    query = select(PendingFact).where(PendingFact.source_department_id == actor.department_id)
    if not include_closed:
        query = query.where(PendingFact.resolved_at.is_(None))
    if kind in FACT_KINDS:
        query = query.where(PendingFact.kind == kind)
    if reason in REASONS:
        query = query.where(PendingFact.reason == reason)
    return query.order_by(PendingFact.received_at.desc(), PendingFact.id.desc())


def own_pending(actor: User, pending_id: int) -> PendingFact | None:
    pending = db.session.get(PendingFact, pending_id)
    if pending is None or pending.source_department_id != actor.department_id:
        return None
    return pending


def describe(pending: PendingFact) -> str:
    """The waiting record in one line: its subject and identifying field."""
    kind = FACT_KINDS.get(pending.kind)
    payload = pending.payload or {}
    subject = payload.get("entity_name") or payload.get("uscc") or payload.get("reg_no") or payload.get(
        "person_name") or ""
    title = payload.get(kind.title_field) if kind else ""
    return "，".join(str(v) for v in (subject, title) if v)


def withdraw(actor: User, pending: PendingFact) -> None:
    """撤回: the provider closes a waiting fact without filing it."""
    if pending.resolved_at is not None:
        raise Conflict("该信息已处理")
    pending.resolved_at = utcnow()
    db.session.flush()
    audit.record("delete", object_type="pending_fact", object_id=pending.id,
                 summary={"信息类别": pending.kind, "问题类型": pending.reason, "内容": describe(pending)}, user=actor)


def problem_workbook(actor: User) -> bytes:
    """The open problem rows of the department, one sheet per kind: the problem, then the fields as sent."""
    rows_by_kind: dict[str, list[PendingFact]] = {}
    for pending in db.session.execute(pending_query(actor)).scalars():
        rows_by_kind.setdefault(pending.kind, []).append(pending)
    wb = Workbook()
    wb.remove(wb.active)
    for name, kind in FACT_KINDS.items():
        if name in rows_by_kind:
            _problem_sheet(wb, kind, rows_by_kind[name])
    if not wb.worksheets:
        ws = wb.create_sheet("归集反馈")
        ws.append(["本部门没有待处理的归集信息"])
    buf = io.BytesIO()
    wb.save(buf)
    audit.record("export", object_type="pending_fact", summary={"内容": "归集反馈问题数据",
                                                                "条数": sum(map(len, rows_by_kind.values()))}, user=actor)
    return buf.getvalue()


def _problem_sheet(wb: Workbook, kind: FactKind, rows: list[PendingFact]) -> None:
    ws = wb.create_sheet(kind.label[:31])
    fields = kind.all_fields
    titles = [*_PROBLEM_TITLES, *(f.label for f in fields)]
    ws.append(titles)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, title in enumerate(titles, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 30 if title == "问题说明" else 16
    for p in rows:
        received = f"{to_china(p.received_at):%Y-%m-%d %H:%M}"
        head = [p.reason, p.detail, p.source_kind.value, received, p.batch_id or ""]
        ws.append([escape_cell(v) for v in head] + [escape_cell(_cell(p.payload.get(f.key))) for f in fields])
    ws.freeze_panes = "A2"


def _cell(value: Any) -> Any:
    return "" if value is None else value


# ------------------------------------------------------------------ 归集成果


def results_page_query(kind: FactKind, actor: User) -> Select[Any]:
    """The department's live facts of ``kind`` (the page shows each with its subject)."""
    model = kind.model
    return (
        select(model)
        .where(model.source_department_id == actor.department_id, model.current.is_(True))  # type: ignore[attr-defined]
        .order_by(getattr(model, kind.title_field), model.id)  # type: ignore[attr-defined]
    )


def results_query(kind: FactKind, actor: User) -> Select[Any]:
    """The department's live facts of ``kind`` with the subject they were filed under."""
    model = kind.model
    query = (
        select(model, MarketEntity.name, MarketEntity.uscc, MarketEntity.reg_no)
        .outerjoin(MarketEntity, MarketEntity.id == model.entity_id)  # type: ignore[attr-defined]
        .where(model.source_department_id == actor.department_id, model.current.is_(True))  # type: ignore[attr-defined]
        .order_by(getattr(model, kind.title_field), model.id)  # type: ignore[attr-defined]
    )
    if hasattr(model, "person_id"):
        query = query.add_columns(Person.name).outerjoin(Person, Person.id == model.person_id)  # type: ignore[attr-defined]
    return query


def result_columns(kind: FactKind) -> tuple[Column, ...]:
    return (Column(kind.field(kind.title_field).label, 26, text=True), Column("市场主体名称", 30),
            Column("统一社会信用代码", 22, text=True), Column("注册号", 20, text=True), Column("自然人姓名", 12),
            Column("报送时间", 18))


def result_rows(kind: FactKind, actor: User) -> Iterator[list[Any]]:
    for row in db.session.execute(results_query(kind, actor).execution_options(yield_per=1000)):
        fact, name, uscc, reg_no = row[0], row[1], row[2], row[3]
        person = row[4] if len(row) > 4 else ""
        yield [getattr(fact, kind.title_field), name or "", uscc or "", reg_no or "", person or "",
               to_china(fact.received_at)]


def results_workbook(kind: FactKind, actor: User) -> Any:
    """归集成果 as an Excel file (streamed): e.g. 许可证编号 ↔ 统一社会信用代码."""
    audit.record("export", object_type=kind.table, summary={"内容": f"{kind.label}归集成果"}, user=actor)
    return stream_workbook(f"{kind.label}归集成果", result_columns(kind), result_rows(kind, actor))
