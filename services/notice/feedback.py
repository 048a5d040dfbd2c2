"""接收回执 and 发证反馈 of a notice (seed 004 §1.1, docs/notice.md).

* Who sees a notice: the users of its receiving department's subtree and of the registering
  department's (``visible``); anybody else gets 404.
* Opening it as a user of the receiving department sends the 接收回执 once (time, person,
  audited); the registering side opening it sends nothing.
* 已发证: by hand (permit number, date) or automatically when a matching permit arrives
  through 信息归集 (``after_permits``, called by services/collection after permits are written);
  不予发证 with a reason, which is sent to the registering department's clerks.
* ``issued_entities``: the entities with 已发证 for one department (监管认领 lists them as the
  department's supervised objects).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel.cells import parse_date
from models import Department, Permit, ScopeNotice, User, db, utcnow
from models.notice import NoticeStatus
from models.roles import Role
from persistence import audit
from persistence.bulk import update_rows
from persistence.notifications import notify
from persistence.scope import subtree_ids

SUBJECT = "scope_notice"
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER)
CHUNK = 2_000


def visible_query(actor: User) -> Select[tuple[ScopeNotice]]:
    mine = subtree_ids(actor.department)
    return select(ScopeNotice).where(ScopeNotice.department_id.in_(mine) | ScopeNotice.from_department_id.in_(mine))


def visible(actor: User, notice: ScopeNotice) -> bool:
    if not actor.has_role(*VIEW_ROLES):
        return False
    return any(d is not None and d.is_within(actor.department) for d in (notice.department, notice.from_department))


def is_receiver(actor: User, notice: ScopeNotice) -> bool:
    return notice.department is not None and actor.department.is_within(notice.department)


def open_notice(actor: User, notice: ScopeNotice) -> bool:
    """The page was opened: the first opening by the receiving department is the 接收回执."""
    if notice.received_at is not None or not is_receiver(actor, notice):
        return False
    notice.received_at, notice.received_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record("receipt", object_type=SUBJECT, object_id=notice.id, user=actor,
                 summary={"接收回执": notice.item.name, "统一社会信用代码": notice.entity.uscc or "",
                          "市场主体": notice.entity.name})
    return True


def _require_feedback(actor: User, notice: ScopeNotice) -> None:
    if not (actor.has_role(Role.CLERK) and is_receiver(actor, notice)):
        raise Forbidden("只有接收抄告的审批部门经办人可以反馈发证情况")
    if notice.status != NoticeStatus.PENDING:
        raise Conflict(f"该抄告已反馈（{notice.status.label}），不能重复反馈")
    open_notice(actor, notice)  # feedback implies it was received


def mark_issued(actor: User, notice: ScopeNotice, permit_no: str, issued_on: str | date | None) -> None:
    """已发证 by hand: the permit number and date are required."""
    _require_feedback(actor, notice)
    permit_no = (permit_no or "").strip()
    if not permit_no:
        raise Invalid("请填写许可证号", field="permit_no")
    day = issued_on if isinstance(issued_on, date) else parse_date(issued_on)
    if day is None:
        raise Invalid("请填写正确的发证日期，如 2026-03-05", field="issued_on")
    notice.status, notice.permit_no, notice.issued_on = NoticeStatus.ISSUED, permit_no[:100], day
    notice.feedback_at, notice.feedback_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record("feedback", object_type=SUBJECT, object_id=notice.id, user=actor,
                 summary={"发证反馈": "已发证", "许可证号": permit_no, "发证日期": str(day),
                          "统一社会信用代码": notice.entity.uscc or ""})
    _tell_registrar(notice, f"已发证：{notice.entity.name}（{notice.item.name}）",
                    f"{notice.department.name if notice.department else ''}反馈已发证，许可证号 {permit_no}")


def refuse(actor: User, notice: ScopeNotice, reason: str) -> None:
    """不予发证 with a reason, sent back to the registering department."""
    _require_feedback(actor, notice)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写不予发证原因", field="reason")
    notice.status, notice.refusal_reason = NoticeStatus.REFUSED, reason
    notice.feedback_at, notice.feedback_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record("feedback", object_type=SUBJECT, object_id=notice.id, user=actor,
                 summary={"发证反馈": "不予发证", "不予发证原因": reason, "统一社会信用代码": notice.entity.uscc or ""})
    _tell_registrar(notice, f"不予发证：{notice.entity.name}（{notice.item.name}）",
                    f"{notice.department.name if notice.department else ''}不予发证，原因：{reason}")


def _tell_registrar(notice: ScopeNotice, subject: str, body: str) -> None:
    if notice.from_department_id is None:
        return
    clerks = db.session.execute(
        select(User).where(User.department_id == notice.from_department_id, User.roles.any(role=str(Role.CLERK)))
    ).scalars().all()
    notify(clerks, subject, body, link=f"/notice/{notice.id}")


def after_permits(entity_ids: Iterable[int]) -> int:
    """信息归集 wrote permits for these entities: every pending notice of the same entity whose
    receiving department reported a live permit (the permit's source department is the notice's
    department or lies under it), or whose permit names the department or the catalogue's name as
    its 发证机关, becomes 已发证 with that permit's number and date.  Set-based; returns how many."""
    wanted = sorted({i for i in entity_ids if i is not None})
    done = 0
    paths = {d.id: d.path for d in db.session.execute(select(Department)).scalars()} if wanted else {}
    now = utcnow()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        pending = db.session.execute(
            select(ScopeNotice.id, ScopeNotice.entity_id, ScopeNotice.department_id, ScopeNotice.authority_id)
            .where(ScopeNotice.entity_id.in_(chunk), ScopeNotice.status == NoticeStatus.PENDING,
                   ScopeNotice.department_id.is_not(None))
        ).all()
        if not pending:
            continue
        permits: dict[int, list[Permit]] = {}
        for permit in db.session.execute(
            select(Permit).where(Permit.entity_id.in_({p.entity_id for p in pending}), Permit.current.is_(True),
                                 Permit.status == "有效").order_by(Permit.id)
        ).scalars():
            permits.setdefault(permit.entity_id, []).append(permit)  # type: ignore[arg-type]
        names = _names()
        rows = []
        for p in pending:
            for permit in permits.get(p.entity_id, ()):
                source_path = paths.get(permit.source_department_id, "")
                by_source = source_path.startswith(paths.get(p.department_id, "\0"))
                named = permit.issuing_department.strip() in (names["dept"].get(p.department_id),
                                                              names["authority"].get(p.authority_id))
                if by_source or (named and permit.issuing_department.strip()):
                    rows.append([NoticeStatus.ISSUED, permit.permit_no[:100], permit.valid_from, now, permit.id, p.id])
                    break
        if rows:
            update_rows(ScopeNotice.__table__, "id",
                        ["status", "permit_no", "issued_on", "feedback_at", "permit_id"], rows)
            done += len(rows)
    return done


def _names() -> dict[str, dict[int, str]]:
    from models import ApprovalAuthority

    return {
        "dept": {i: n for i, n in db.session.execute(select(Department.id, Department.name))},
        "authority": {i: n for i, n in db.session.execute(select(ApprovalAuthority.id, ApprovalAuthority.name))},
    }


def issued_entities(session: Session, department_id: int) -> list[int]:
    """The ids of the entities with 已发证 for ``department_id`` (for 监管认领: an entity the
    department issued a permit to is its supervised object)."""
    return list(session.execute(
        select(ScopeNotice.entity_id).where(ScopeNotice.department_id == department_id,
                                            ScopeNotice.status == NoticeStatus.ISSUED)
        .distinct().order_by(ScopeNotice.entity_id)
    ).scalars())
