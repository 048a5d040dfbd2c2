"""A stored run: the same records as of the same day give the same deductions and digest
(复核), a changed record is detected, and the PDF and Excel carry the deductions."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from models import AuditEvent, db
from models.facts import Sanction
from services.assessment import exports, runs
from tests.factories import assessment as f


def _records(org):
    f.fact(Sanction, org.bureau_a, f.cn(2026, 6, 12, 9), list_kind="严重违法失信名单", decided_on=date(2026, 6, 1),
           entity_id=f.entity(org).id)
    f.notice(org, org.health_a, f.cn(2026, 6, 1, 10), f.cn(2026, 6, 4, 9))


def _deductions(run):
    return [(c.department_id, d.item, d.record_kind, d.record_id, d.points) for c in run.cards for d in c.deductions]


def test_a_rerun_over_the_same_records_gives_the_same_numbers(org, session):
    _records(org)
    first = runs.run(org.office_user, org.district_a, 2026)
    second = runs.run(org.office_user, org.district_a, 2026)
    assert first.id != second.id and first.as_of == date(2026, 12, 15)
    assert first.digest == second.digest and _deductions(first) == _deductions(second)
    assert [c.total for c in first.cards] == [c.total for c in second.cards]
    assert runs.verify(first).same
    audit = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "assessment.run")).scalars().all()
    assert len(audit) == 2


def test_every_deduction_is_reproduced_from_the_record_it_cites(org, session):
    _records(org)
    run = runs.run(org.office_user, org.district_a, 2026)
    cited = sorted((d.item, d.record_kind) for c in run.cards for d in c.deductions)
    # the late sanction (D3); the notice received late (R1) and never answered (R2)
    assert cited == [("D3", "fact_sanction"), ("R1", "scope_notice"), ("R2", "scope_notice")]
    late = next(d for c in run.cards for d in c.deductions if d.record_kind == "fact_sanction")
    fact = db.session.get(Sanction, late.record_id)
    fact.received_at = f.cn(2026, 6, 5, 9)  # entered in time after all: the deduction goes
    db.session.flush()
    check = runs.verify(run)
    assert not check.same and check.changed == ["甲区市场监督管理局"]


def test_pdf_and_excel_of_the_scorecard(org, session):
    _records(org)
    run = runs.run(org.office_user, org.district_a, 2026)
    data = exports.pdf_bytes(run, run.cards)
    assert data.startswith(b"%PDF") and len(data) > 5000
    wb = load_workbook(io.BytesIO(exports.xlsx(run, run.cards)))
    summary = [[c.value for c in row] for row in wb["考核得分"].iter_rows()]
    assert summary[0][2] == "制度健全（20）"
    names = {row[1]: row for row in summary[1:]}
    assert names["甲区应急管理局"][7] == "不予评分"
    assert names["甲区市场监督管理局"][7] == 95
    details = [[c.value for c in row] for row in wb["扣分明细"].iter_rows()]
    assert any(row[4].startswith("归集信息·惩戒信息 #") and row[3] == 5 for row in details[1:])
