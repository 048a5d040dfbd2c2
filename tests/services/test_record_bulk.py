"""services/record_bulk.py: 全部确认, 提交审核 and 审核通过 of several records, each with its own
history and audit entry, the records changed since the page was shown skipped and listed; and
检查完成 refused while records are unfilled unless marked 无法检查 with a reason."""

from __future__ import annotations

import pytest

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import AuditEvent, RecordStatus, ResultCategory, db
from services import inspection_review
from services import inspections as svc
from services import record_bulk as bulk
from tests.factories.inspections import complete, dispatched, open_all, record_form


def _filled_by_leader(ready, records):
    """Filled and signed by the leader, who confirms; the member's confirmation is waiting."""
    leader_member = next(m for m in svc.confirmers(ready.task) if m.inspector.user_id == ready.leader.id)
    for r in records:
        svc.save_record(ready.leader, r, record_form(subject_name=r.subject_name), r.lock_version)
        svc.sign(ready.leader, r, r.lock_version, signer_name="张店长")
        inspection_review.confirm(leader_member.inspector.user, r, r.lock_version)
    db.session.commit()


def _shown(records):
    return {r.id: r.lock_version for r in records}


def _audits(action, records):
    ids = {str(r.id) for r in records}
    return [e for e in db.session.query(AuditEvent).filter_by(action=action) if e.object_id in ids]


def test_confirm_all_gives_each_record_its_confirmation_and_audit(org, session):
    ready = dispatched(org, objects=3)
    records = open_all(ready)
    _filled_by_leader(ready, records)
    waiting = bulk.waiting_for(ready.member, ready.task)
    assert [r.id for r in waiting] == sorted(r.id for r in records)
    assert bulk.waiting_for(ready.leader, ready.task) == []  # the leader has confirmed them all
    shown = _shown(waiting)
    result = bulk.confirm_all(ready.member, ready.task, shown)
    db.session.commit()
    assert {r.id for r in result.done} == set(shown) and result.skipped == []
    assert all(r.record_no in result.done_text() for r in records)
    member_id = next(m.id for m in svc.confirmers(ready.task) if m.inspector.user_id == ready.member.id)
    for r in records:
        assert member_id in inspection_review.confirmed_ids(r) and inspection_review.form_problems(r) == []
    events = _audits("record_confirm", records)
    assert len([e for e in events if e.user_id == ready.member.id]) == 3
    assert bulk.waiting_for(ready.member, ready.task) == []
    # the same form sent again: 409, saying why, nothing written
    with pytest.raises(Conflict) as exc:
        bulk.confirm_all(ready.member, ready.task, shown)
    assert "您已确认过" in exc.value.message and records[0].record_no in exc.value.message
    assert len([e for e in _audits("record_confirm", records) if e.user_id == ready.member.id]) == 3


def test_confirm_all_skips_and_lists_a_record_changed_since_the_page_was_shown(org, session):
    ready = dispatched(org, objects=2)
    records = open_all(ready)
    _filled_by_leader(ready, records)
    shown = _shown(bulk.waiting_for(ready.member, ready.task))
    changed = records[0]
    svc.save_record(ready.leader, changed, record_form(findings="复查后补充：灭火器已更换"), changed.lock_version)
    db.session.commit()
    result = bulk.confirm_all(ready.member, ready.task, shown)
    db.session.commit()
    assert [r.id for r in result.done] == [records[1].id]
    assert len(result.skipped) == 1 and result.skipped[0].record_no == changed.record_no
    assert svc.STALE in result.skipped_text()
    assert changed.confirmations == []  # the edit won: nothing of the member's on it
    assert not [e for e in _audits("record_confirm", [changed]) if e.user_id == ready.member.id]


def test_submit_many_and_approve_many_then_publish(org, session):
    ready = dispatched(org, objects=3)
    records = open_all(ready)
    for r in records:
        complete(ready, r)
    inspection_review.finish_inspection(ready.leader, ready.task)
    db.session.commit()
    assert {r.id for r in bulk.submittable(ready.leader, ready.task)} == {r.id for r in records}
    before = _shown(records)
    result = bulk.submit_many(ready.leader, ready.task, before)
    db.session.commit()
    assert len(result.done) == 3 and all(r.status == RecordStatus.SUBMITTED for r in records)
    assert len(_audits("record_submit", records)) == 3
    assert ready.instance.current_step == "review_results"
    # a member is not the reviewing leader; the old page's lock versions are stale
    with pytest.raises(Forbidden):
        bulk.approve_many(ready.member, ready.task, _shown(records))
    assert bulk.approvable(ready.member, ready.task) == []
    with pytest.raises(Conflict) as exc:
        bulk.approve_many(ready.leader, ready.task, before)
    assert svc.STALE in exc.value.message and all(r.status == RecordStatus.SUBMITTED for r in records)
    assert {r.id for r in bulk.approvable(ready.leader, ready.task)} == {r.id for r in records}
    result = bulk.approve_many(ready.leader, ready.task, _shown(records))
    db.session.commit()
    assert len(result.done) == 3
    assert len(_audits("record_approve", records)) == 3
    assert all(r.status == RecordStatus.PUBLISHED and r.reviewed_by_id == ready.leader.id for r in records)
    assert ready.instance.current_step == "finish"


def test_selection_is_checked(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    with pytest.raises(Invalid):
        bulk.parse_selection({"record": []})
    with pytest.raises(Invalid):
        bulk.parse_selection({"record": ["x"]})
    with pytest.raises(Invalid):
        bulk.parse_selection({"record": [str(record.id)], f"lock_{record.id}": "abc"})
    assert bulk.parse_selection({"record": [str(record.id)], f"lock_{record.id}": "3"}) == {record.id: 3}
    with pytest.raises(Conflict):
        bulk.confirm_all(ready.member, ready.task, {record.id + 100000: 1})
    with pytest.raises(Forbidden):
        bulk.confirm_all(org.inspector_a, ready.task, {record.id: record.lock_version})


def test_inspection_done_refused_while_records_are_unfilled(org, session):
    ready = dispatched(org, objects=2)
    done, empty = open_all(ready)
    complete(ready, done)
    with pytest.raises(svc.Unprocessable) as exc:
        inspection_review.finish_inspection(ready.leader, ready.task)
    assert empty.record_no in exc.value.message and "无法检查" in exc.value.message
    assert done.record_no not in exc.value.message
    assert ready.instance.current_step == "inspect"
    # 无法检查 needs its reason; then neither check rows nor the entity's signature are required
    no_rows = {"line_item": [], "line_content": [], "line_outcome": []}
    with pytest.raises(Invalid) as exc:
        svc.save_record(ready.leader, empty, record_form(result="not_inspected", result_note="", **no_rows),
                        empty.lock_version)
    assert "原因" in exc.value.message
    svc.save_record(ready.leader, empty, record_form(result="not_inspected", result_note="经营场所已关闭，无人",
                                                     **no_rows), empty.lock_version)
    assert empty.result == ResultCategory.NOT_INSPECTED and empty.result_label == "无法检查"
    assert inspection_review.fill_problems(empty) == [] and empty.lines == [] and not empty.signed_at
    inspection_review.finish_inspection(ready.leader, ready.task)
    db.session.commit()
    assert ready.instance.current_step == "record"
