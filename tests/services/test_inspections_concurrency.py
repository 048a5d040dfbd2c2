"""Two team members save the same 检查情况记录表 at once, on PostgreSQL with real connections:
one wins, the other is told 409 with nothing of theirs written and nothing of the winner's lost."""

from __future__ import annotations

import threading

from infrastructure.errors import Conflict
from models import InspectionRecord, User, db
from services import inspections as svc
from tests.conftest import fresh_org as _org
from tests.factories.inspections import dispatched, open_all, record_form


def test_two_members_save_at_once(pg_app):
    with pg_app.app_context():
        org = _org()
        ready = dispatched(org, objects=1)
        (record,) = open_all(ready)
        record_id, seen = record.id, record.lock_version
        accounts = {ready.leader.account: "组长的记录", ready.member.account: "组员的记录"}
        db.session.commit()

    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def run(account: str) -> None:
        with pg_app.app_context():
            me = db.session.query(User).filter_by(account=account).one()
            rec = db.session.get(InspectionRecord, record_id)
            barrier.wait()
            try:
                svc.save_record(me, rec, record_form(findings=accounts[account]), seen)
                db.session.commit()
                results[account] = "ok"
            except Conflict as exc:
                db.session.rollback()
                results[account] = exc.message

    threads = [threading.Thread(target=run, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == sorted(["ok", svc.STALE])
    winner = next(a for a, r in results.items() if r == "ok")
    with pg_app.app_context():
        rec = db.session.get(InspectionRecord, record_id)
        assert rec.findings == accounts[winner] and rec.lock_version == seen + 1
        assert len(rec.lines) == 2
