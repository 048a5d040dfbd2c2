"""China time in what leaves the platform, with the clock frozen at 23:30 UTC (07:30 the next
morning in China): a record PDF's dates (signature blocks: the date only), an Excel export, a
notification's text, and the "today" of result deadlines and reminders."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from infrastructure.excel import stream_workbook
from models import AdvanceNotice, Message, Reminder
from models.inspections import NoticeMethod
from services import audit_query, deadlines, documents, ledger_export, ledgers
from services import conference_plans as plans_svc
from services import record_pdf as rp
from tests.conftest import PASSWORD
from tests.factories.clock import CHINA_DAY, CHINA_TEXT, PAPER_DATE, freeze
from tests.factories.conference import make_conference, published
from tests.factories.deadlines import dispatched_task
from tests.factories.inspections import HEALTH_NAME, complete, dispatched, open_all
from tests.factories.ledgers import Setup, row


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_record_pdf_prints_china_dates_and_signature_blocks_show_the_date_only(org, session, monkeypatch, tmp_path):
    freeze(monkeypatch)
    ready = dispatched(org, joint=True, objects=1)
    records = open_all(ready)
    record = next(r for r in records if r.department_id == org.health_a.id)
    # signed and confirmed now (23:30 UTC); the inspection typed as 07:00 China time
    complete(ready, record, editor=ready.health, inspected_at="2026-11-04T07:00")
    assert record.signed_at == datetime(2026, 11, 3, 23, 30)  # stored UTC
    assert record.inspected_at == datetime(2026, 11, 3, 23, 0)
    view = rp.record_view(record)
    assert view.signed_at == PAPER_DATE and view.inspected_at == "2026年11月4日 07:00"
    assert {c.confirmed for c in view.confirmations} == {PAPER_DATE}
    for form in ("a31", "f1"):
        text = _pdf_text(rp.record_pdf(record, form), tmp_path)
        assert f"张店长日期：{PAPER_DATE}" in text, form  # 被检查单位（人）签字（盖章） … 日期
        assert f"{HEALTH_NAME}甲区卫生健康局{PAPER_DATE}" in text, form  # 检查组成员签字确认: one line per member
        assert "检查时间：2026年11月4日07:00" in text, form
        assert "11月3日" not in text and "23:30" not in text and "07:30" not in text, form
    # 检查通知书: the written notice given at 07:00 China time (stored 23:00 UTC the day before)
    session.add(AdvanceNotice(task_id=ready.task.id, task_object_id=record.task_object_id, method=NoticeMethod.WRITTEN,
                              notified_at=datetime(2026, 11, 3, 23, 0), recipient="张店长"))
    session.flush()
    notice = rp.notice_view(ready.task, record.task_object)
    assert notice.issued_on == PAPER_DATE
    assert PAPER_DATE in _pdf_text(rp.notice_pdf(ready.task, record.task_object), tmp_path)


def test_excel_exports_write_china_dates_and_times(org, make_user, session, monkeypatch):
    freeze(monkeypatch)
    setup = Setup(org, make_user)
    plan = setup.plan()
    liaison = setup.liaisons[0]
    plans_svc.sign(liaison, plan, PASSWORD, version=1)
    ledger = ledgers.open_ledger(liaison, plan.tasks[0])
    ledgers.add_row(liaison, ledger, row(), version=None)  # 填报日期: today, the China date
    plans_svc.report_ledger(liaison, ledger, version=None)
    session.commit()
    agg = ledgers.aggregate(plan.tasks, title=plan.title)
    ws = load_workbook(io.BytesIO(ledger_export.xlsx(agg))).active
    header, first = list(ws.values)[:2]  # no subtitle: the header is the first row
    assert first[header.index("填报日期")] == datetime(2026, 11, 4)
    # the audit trail's export: the rows written just now, at 07:30 China time
    flt = audit_query.AuditFilter(date_from=CHINA_DAY, date_to=CHINA_DAY)
    rows = list(audit_query.export_rows(org.auditor, flt, up_to_id=audit_query.last_id()))
    assert rows and {r[0] for r in rows} == {datetime(2026, 11, 4, 7, 30)}
    book = load_workbook(stream_workbook("审计日志", audit_query.EXPORT_COLUMNS, rows))
    assert book.active.cell(row=2, column=1).value == datetime(2026, 11, 4, 7, 30)


def test_a_notification_tells_the_time_in_china(org, make_user, session, monkeypatch):
    freeze(monkeypatch)
    setup = make_conference(org, make_user, session)
    document = published(org, setup)
    documents.sign_document(setup.health_liaison, document, PASSWORD, 1)
    body = session.execute(
        select(Message.body).where(Message.user_id == org.office_user.id, Message.subject.like("%已签收公文%"))
    ).scalar_one()
    assert f"于{CHINA_TEXT}签收" in body


def test_result_deadlines_and_reminders_count_from_the_china_date(org, session, monkeypatch):
    freeze(monkeypatch)
    task = dispatched_task(org, objects=1, end=date(2026, 9, 30))  # due 3 November 2026
    assert deadlines.bounds().on == CHINA_DAY
    assert deadlines.deadline_of(task).label == "已逾期 1 个工作日"  # 4 November in China, not 3 November
    assert deadlines.remind().opened == 1
    reminder = session.execute(select(Reminder).where(Reminder.task_id == task.id)).scalar_one()
    assert reminder.kind == "overdue"
