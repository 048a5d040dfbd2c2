"""A member's 全部确认 racing the leader's edit of one of the records, on PostgreSQL with real
connections: the edit always wins — either it comes second and drops the confirmation as any
change does, or it comes first and the bulk action, claiming each record's row lock, finds the
changed lock_version and skips that record, listing it."""

from __future__ import annotations

import threading
import time

import pytest

from infrastructure.errors import Conflict
from models import InspectionRecord, User, db
from services import inspection_review
from services import inspections as svc
from services import record_bulk as bulk
from tests.conftest import fresh_org as _org
from tests.factories.inspections import dispatched, open_all, record_form


@pytest.mark.parametrize("edit_holds_lock", [False, True])
def test_bulk_confirm_racing_an_edit(pg_app, edit_holds_lock):
    """``edit_holds_lock``: the edit has claimed the row (flushed, not committed) when the bulk
    action starts, so the bulk action waits on that row and must then skip it."""
    with pg_app.app_context():
        org = _org()
        ready = dispatched(org, objects=2)
        records = open_all(ready)
        leader_member = next(m for m in svc.confirmers(ready.task) if m.inspector.user_id == ready.leader.id)
        for r in records:
            svc.save_record(ready.leader, r, record_form(subject_name=r.subject_name), r.lock_version)
            svc.sign(ready.leader, r, r.lock_version, signer_name="张店长")
            inspection_review.confirm(leader_member.inspector.user, r, r.lock_version)
        shown = {r.id: r.lock_version for r in bulk.waiting_for(ready.member, ready.task)}
        assert len(shown) == 2
        task_id, edited_id, other_id = ready.task.id, records[0].id, records[1].id
        member_id = next(m.id for m in svc.confirmers(ready.task) if m.inspector.user_id == ready.member.id)
        leader_account, member_account = ready.leader.account, ready.member.account
        db.session.commit()

    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def edit() -> None:
        with pg_app.app_context():
            me = db.session.query(User).filter_by(account=leader_account).one()
            rec = db.session.get(InspectionRecord, edited_id)
            if not edit_holds_lock:
                barrier.wait()
            svc.save_record(me, rec, record_form(subject_name=rec.subject_name, findings="组长补充的记录情况"),
                            shown[edited_id])
            if edit_holds_lock:
                barrier.wait()
                time.sleep(0.5)  # the bulk action is now waiting on the row lock
            db.session.commit()
            results["edit"] = "ok"

    def confirm_all() -> None:
        from models import Task

        with pg_app.app_context():
            me = db.session.query(User).filter_by(account=member_account).one()
            task = db.session.get(Task, task_id)
            barrier.wait()
            try:
                result = bulk.confirm_all(me, task, shown)
                db.session.commit()
                results["bulk"] = ([r.id for r in result.done], [s.record_no for s in result.skipped])
            except Conflict as exc:
                db.session.rollback()
                results["bulk"] = exc.message

    threads = [threading.Thread(target=edit), threading.Thread(target=confirm_all)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results["edit"] == "ok"
    done, skipped = results["bulk"]  # type: ignore[misc]
    assert other_id in done
    with pg_app.app_context():
        edited = db.session.get(InspectionRecord, edited_id)
        other = db.session.get(InspectionRecord, other_id)
        assert edited.findings == "组长补充的记录情况" and edited.lock_version == shown[edited_id] + 1
        # the member's confirmation never stands on the edited content
        assert member_id not in inspection_review.confirmed_ids(edited)
        assert (edited_id in done) != bool(skipped)  # confirmed then dropped by the edit, or skipped
        if skipped or edit_holds_lock:
            assert skipped == [edited.record_no]
        assert member_id in inspection_review.confirmed_ids(other)
