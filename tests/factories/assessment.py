"""考核 fixtures: records with chosen times, written directly (their own chapters have their
own tests).  Times are given as China wall-clock times and stored as UTC, as the platform does."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from models import ApprovalAuthority, LicenceItem, Message, db
from models.facts import FactSource
from models.notice import NoticeStatus, ScopeNotice
from models.sanctions import SanctionEntry, SanctionList, SanctionMeasure, SanctionObject, SanctionTask
from tests.factories.directories import make_entity

AS_OF = date(2026, 12, 15)
AFTER_CUTOFF = datetime(2026, 12, 20, 2, 0)  # UTC: the clock of the tests, past 12月15日
_N = [7000]


def cn(*parts: int) -> datetime:
    """A China wall-clock time as stored (naive UTC)."""
    return clock.from_china(datetime(*parts))  # type: ignore[arg-type,return-value]


def entity(org: Any) -> Any:
    _N[0] += 1
    return make_entity(org.clerk_a, _N[0])


def fact(model: Any, department: Any, received: datetime, kind: FactSource = FactSource.ONLINE, **fields: Any) -> Any:
    row = model(source_department_id=department.id, source_kind=kind, received_at=received, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def notice(org: Any, department: Any, sent: datetime, received: datetime | None = None, **fields: Any) -> ScopeNotice:
    item = db.session.execute(select(LicenceItem).order_by(LicenceItem.id).limit(1)).scalar_one()
    authority = db.session.execute(select(ApprovalAuthority).order_by(ApprovalAuthority.id).limit(1)).scalar_one()
    row = ScopeNotice(entity_id=entity(org).id, item_id=item.id, authority_id=authority.id, department_id=department.id,
                      created_at=sent, received_at=received, status=fields.pop("status", NoticeStatus.PENDING), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def sanction_task(org: Any, department: Any, sent: datetime, received: datetime | None = None) -> SanctionTask:
    entry = SanctionEntry(department_id=org.bureau_a.id, behaviour="严重违法失信", starts_on=date(2026, 1, 1))
    entry.measures.append(SanctionMeasure(department_id=department.id, content="限制参加政府采购"))
    listing = SanctionList(department_id=org.bureau_a.id, title="测试名单")
    db.session.add_all([entry, listing])
    db.session.flush()
    subject = entity(org)
    obj = SanctionObject(list_id=listing.id, entry_id=entry.id, entity_id=subject.id, name=subject.name, code=subject.uscc,
                         decided_on=date(2026, 1, 5))
    db.session.add(obj)
    db.session.flush()
    task = SanctionTask(object_id=obj.id, measure_id=entry.measures[0].id, department_id=department.id, created_at=sent,
                        received_at=received)
    db.session.add(task)
    db.session.flush()
    return task


def digest(user: Any, sent: datetime, read: datetime | None = None) -> Message:
    link = f"/risk/warnings?department={user.department_id}&since={clock.china_date(sent)}"
    row = Message(user_id=user.id, subject="风险预警汇总", link=link, created_at=sent, read_at=read)
    db.session.add(row)
    db.session.flush()
    return row
