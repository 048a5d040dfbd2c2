"""The demo district shows 联合奖惩 after ``flask demo`` (services/sanctions/demo.py): the catalogue
published, a list pushed, tasks generated, some received and recorded; loading again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from cli.demo import load_demo
from models import SanctionEntry, SanctionList, SanctionTask, User
from models.sanctions import EntryStatus, ListStatus
from models.sanctions import SanctionTaskStatus as TS
from services.sanctions import lists
from services.sanctions.demo import load_demo_sanctions
from workflows import engine


def test_the_demo_has_a_pushed_list_with_tasks(app, session):
    load_demo()
    session.commit()
    entries = session.execute(select(SanctionEntry)).scalars().all()
    assert {e.status for e in entries} == {EntryStatus.PUBLISHED} and len(entries) == 2
    [lst] = session.execute(select(SanctionList)).scalars().all()
    assert lst.status == ListStatus.PUBLISHED and len(lst.objects) == 3
    statuses = dict(session.execute(select(SanctionTask.status, func.count()).group_by(SanctionTask.status)).all())
    assert statuses[TS.RECORDED] == 1 and statuses[TS.ISSUED] > 0 and sum(statuses.values()) == 9
    inst = lists.instance_of(lst)
    safety = session.execute(select(User).where(User.account == "wul")).scalar_one()
    clerk = session.execute(select(User).where(User.account == "wangxy")).scalar_one()
    assert any(i.instance_id == inst.id for i in engine.inbox(safety))
    assert any(i.instance_id == inst.id for i in engine.inbox(clerk))  # the bureau's own tasks
    load_demo_sanctions()
    assert session.execute(select(func.count()).select_from(SanctionList)).scalar_one() == 1
