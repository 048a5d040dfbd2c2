"""The annual cycle's first half (表24): 下发报送年度工作要点通知 → 上报年度工作计划 →
汇总年度工作计划 → 下发年度综合治理工作方案 → 制定专项整治方案 → 指派执法人员.

The notice and the scheme are official documents of the conference (services/documents.py:
published to every member unit, each signs for it); the office does them on the cycle's page,
the member units on their own unit's page.  Forms carry ``lock_version`` (409 when stale).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import User, UserRole, db, utcnow
from models.conference import Conference, OfficialDocument
from models.roles import Role
from models.unlicensed import UnlicensedAssignment, UnlicensedCycle, UnlicensedUnit
from persistence import audit, notifications
from persistence.scope import subtree_ids
from services import documents, inspector_draws
from services.conferences import is_office_staff
from services.plan_queries import today
from services.unlicensed import access
from workflows import engine
from workflows.lanes import MEMBER


def text(data: Mapping[str, Any], key: str, title: str, limit: int, *, required: bool = False) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise Invalid(f"请填写{title}", key)
    if len(value) > limit:
        raise Invalid(f"{title}不能超过{limit}个字", key)
    return value


def _year(raw: Any) -> int:
    value = str(raw or "").strip()
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise Invalid("年度须为四位数字的年份，如 2026", "year")
    return int(value)


def issue_document(user: User, conference: Conference, data: Mapping[str, Any], units: Iterable[int],
                   uploads: Iterable[documents.Upload | None] = ()) -> OfficialDocument:
    """A conference document written and published to ``units`` in one step (a 表33 round)."""
    document = documents.create_document(user, conference, data, uploads)
    return documents.publish_document(user, document, document.lock_version, list(units))


def start_cycle(user: User, conference: Conference, data: Mapping[str, Any],
                uploads: Iterable[documents.Upload | None] = ()) -> UnlicensedCycle:
    """下发报送年度工作要点通知: the year's cycle, the notice to every member unit, and each
    unit's 表24 instance, waiting at 上报年度工作计划."""
    if not is_office_staff(user, conference) or conference.office_id != user.department_id:
        raise Forbidden("只有该联席会议办公室的工作人员可以下发通知")
    year = _year(data.get("year"))
    members = conference.active_members
    if not members:
        raise Invalid("该联席会议尚无成员单位，请先添加成员单位")
    taken = db.session.execute(select(UnlicensedCycle.id).where(
        UnlicensedCycle.conference_id == conference.id, UnlicensedCycle.year == year)).first()
    if taken is not None:
        raise Conflict(f"{conference.name}{year}年度的无证无照经营综合治理已经下发通知", "year")
    notice = issue_document(user, conference, data, [m.department_id for m in members], uploads)
    cycle = UnlicensedCycle(conference=conference, office_id=conference.office_id, year=year, notice=notice,
                            created_by_id=user.id)
    cycle.units = [UnlicensedUnit(department_id=m.department_id) for m in members]
    db.session.add(cycle)
    db.session.flush()
    for unit in cycle.units:
        inst = engine.start(access.TABLE, user, title=f"{year}年度无证无照经营综合治理（{unit.department.name}）",
                            parties={MEMBER: [unit.department_id]}, subject_type=access.SUBJECT, subject_id=unit.id)
        unit.instance_id = inst.id
        engine.advance(user, inst, "notice", "next")
    audit.record("create", object_type="unlicensed_cycle", object_id=cycle.id,
                 summary={"年度": year, "联席会议": conference.name, "通知": f"{notice.doc_no}《{notice.title}》"},
                 user=user)
    return cycle


def report_plan(user: User, unit: UnlicensedUnit, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """上报年度工作计划 (成员单位)."""
    access.require_liaison(user, unit)
    content = text(data, "plan_content", "年度工作计划", 20000, required=True)
    access.check_lock(unit, lock_version, "本单位的年度工作计划")
    if unit.plan_reported_at is not None:
        raise Conflict("本单位的年度工作计划已上报，不能重复上报")
    access.advance(user, unit, "annual_plan")
    unit.plan_content, unit.plan_reported_at, unit.plan_reported_by_id = content, utcnow(), user.id
    notifications.notify(
        _office_staff(unit.cycle), f"{unit.department.name}已上报{unit.cycle.year}年度工作计划",
        "", f"/unlicensed/{unit.cycle_id}", channels=("inbox",))
    audit.record("report_plan", object_type="unlicensed_unit", object_id=unit.id,
                 summary={"年度": unit.cycle.year, "单位": unit.department.name}, user=user)


def _office_staff(cycle: UnlicensedCycle) -> list[User]:
    return list(db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id).where(User.department_id == cycle.office_id,
                                          UserRole.role == str(Role.CONFERENCE_OFFICE))
    ).scalars())


def missing(cycle: UnlicensedCycle, attribute: str) -> list[str]:
    return [u.department.name for u in cycle.units if getattr(u, attribute) is None]


@dataclass(frozen=True)
class OfficeSummary:
    """One of the office's two 汇总: the 汇总意见's field, the unit's report it waits for, the step."""

    field: str  # the form's field and the cycle's column of the 汇总意见
    at: str
    by: str
    reported: str  # the unit's timestamp every unit must have
    step: str
    label: str


PLANS = OfficeSummary("plans_summary", "collected_at", "collected_by_id", "plan_reported_at", "collect", "年度工作计划")


def office_summary(user: User, cycle: UnlicensedCycle, lock_version: int | None, data: Mapping[str, Any],
                   kind: OfficeSummary) -> str:
    """汇总 once every member unit has reported; every unit's instance goes through ``kind.step``."""
    access.require_office(user, cycle)
    note = text(data, kind.field, "汇总意见", 20000, required=True)
    access.check_lock(cycle, lock_version, "该年度综合治理")
    if getattr(cycle, kind.at) is not None:
        raise Conflict(f"{kind.label}已汇总，不能重复汇总")
    late = missing(cycle, kind.reported)
    if late:
        raise Conflict(f"尚有成员单位未上报{kind.label}：{'、'.join(late)}")
    for unit in cycle.units:
        access.advance(user, unit, kind.step)
    setattr(cycle, kind.field, note)
    setattr(cycle, kind.at, utcnow())
    setattr(cycle, kind.by, user.id)
    audit.record(f"summarize_{kind.step}", object_type="unlicensed_cycle", object_id=cycle.id,
                 summary={"年度": cycle.year, "汇总": kind.label, "单位数": len(cycle.units)}, user=user)
    return note


def collect_plans(user: User, cycle: UnlicensedCycle, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """汇总年度工作计划: once every member unit has reported its plan."""
    office_summary(user, cycle, lock_version, data, PLANS)


@dataclass(frozen=True)
class OfficeDocument:
    """One of the office's documents to every member unit: which slot of the cycle holds it,
    the 表24 step it completes, what must be done before, the audit's names."""

    slot: str  # "scheme" / "bulletin"
    step: str
    label: str
    after: str  # the cycle's timestamp that must be set first
    first: str  # the refusal while it is not


SCHEME = OfficeDocument("scheme", "scheme", "年度综合治理工作方案", "collected_at", "请先汇总各成员单位的年度工作计划")


def issue_office_document(user: User, cycle: UnlicensedCycle, lock_version: int | None, data: Mapping[str, Any],
                          uploads: Iterable[documents.Upload | None], kind: OfficeDocument) -> OfficialDocument:
    """The office's document to every member unit (a 表33 round they sign for), once, after
    ``kind.after``; every unit's instance goes through ``kind.step``."""
    access.require_office(user, cycle)
    access.check_lock(cycle, lock_version, "该年度综合治理")
    if getattr(cycle, kind.after) is None:
        raise Conflict(kind.first)
    if getattr(cycle, f"{kind.slot}_id") is not None:
        raise Conflict(f"{kind.label}已下发，不能重复下发")
    document = issue_document(user, cycle.conference, data, [u.department_id for u in cycle.units], uploads)
    setattr(cycle, kind.slot, document)
    for unit in cycle.units:
        access.advance(user, unit, kind.step)
    audit.record(f"issue_{kind.slot}", object_type="unlicensed_cycle", object_id=cycle.id,
                 summary={"年度": cycle.year, kind.label: f"{document.doc_no}《{document.title}》"}, user=user)
    return document


def issue_scheme(user: User, cycle: UnlicensedCycle, lock_version: int | None, data: Mapping[str, Any],
                 uploads: Iterable[documents.Upload | None] = ()) -> OfficialDocument:
    """下发年度综合治理工作方案 to every member unit (a document they sign for)."""
    return issue_office_document(user, cycle, lock_version, data, uploads, SCHEME)


def make_campaign(user: User, unit: UnlicensedUnit, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """制定专项整治方案 (成员单位)."""
    access.require_liaison(user, unit)
    title = text(data, "campaign_title", "专项整治方案名称", 200, required=True)
    content = text(data, "campaign_content", "专项整治方案内容", 20000, required=True)
    access.check_lock(unit, lock_version, "本单位的专项整治方案")
    if unit.campaign_at is not None:
        raise Conflict("本单位的专项整治方案已制定，不能重复提交")
    access.advance(user, unit, "campaign")
    unit.campaign_title, unit.campaign_content, unit.campaign_at = title, content, utcnow()
    audit.record("make_campaign", object_type="unlicensed_unit", object_id=unit.id,
                 summary={"单位": unit.department.name, "方案": title}, user=user)


def candidates(unit: UnlicensedUnit) -> list[User]:
    """Active inspectors of the unit and the departments below it."""
    return list(db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id).where(
            UserRole.role == str(Role.INSPECTOR), User.department_id.in_(subtree_ids(unit.department)))
        .order_by(User.name, User.id)
    ).scalars().unique())


MODES = {"manual": "人工指派", "draw": "随机抽取"}


def _drawn(user: User, unit: UnlicensedUnit, pool: list[int], count: Any) -> tuple[list[int], Any]:
    """随机抽取: ``count`` of ``pool`` by the shared inspector draw (services/inspector_draws),
    kept as a re-computable ``Draw`` row of the unit; answers the drawn ids in rank order."""
    raw = str(count or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= len(pool):
        raise Invalid(f"抽取人数须为1至{len(pool)}之间的整数", "draw_count")
    params = {"inspectors": int(raw), "subject": "无证无照经营综合治理", "year": unit.cycle.year,
              "campaign": unit.campaign_title}
    drawn, _ = inspector_draws.draw_people(
        user, inspector_draws.Subject(inspector_draws.UNLICENSED_UNIT, unit.id), unit.department_id,
        [f"user:{i}" for i in sorted(pool)], int(raw), params=params)
    return inspector_draws.drawn_ids(drawn, "user"), drawn


def assign_inspectors(user: User, unit: UnlicensedUnit, lock_version: int | None, raw_ids: Iterable[Any], *,
                      mode: str = "manual", count: Any = None) -> None:
    """指派执法人员, by hand (the ticked inspectors) or 随机抽取 (``count`` drawn among the ticked
    ones, or among all the unit's inspectors when none is ticked): the first assignment
    completes the step; later ones replace the list."""
    access.require_liaison(user, unit)
    if mode not in MODES:
        raise Invalid("请选择指派方式", "mode")
    try:
        chosen = list(dict.fromkeys(int(i) for i in raw_ids))
    except (TypeError, ValueError):
        raise Invalid("执法人员选择无效", "inspectors") from None
    allowed = {u.id: u for u in candidates(unit) if u.is_active}
    if mode == "draw" and not chosen:
        chosen = list(allowed)
    if not chosen:
        raise Invalid("请至少指派一名执法人员", "inspectors")
    if set(chosen) - set(allowed):
        raise Invalid("所选人员不是本单位的执法人员", "inspectors")
    access.check_lock(unit, lock_version, "本单位的执法人员指派")
    if unit.campaign_at is None:
        raise Conflict("请先制定专项整治方案")
    drawn = None
    if mode == "draw":
        chosen, drawn = _drawn(user, unit, chosen, count)
    if unit.assigned_at is None:
        access.advance(user, unit, "assign")
        unit.assigned_at = utcnow()
    unit.assignments.clear()
    db.session.flush()
    unit.assignments.extend(UnlicensedAssignment(user_id=i) for i in chosen)
    db.session.flush()
    notifications.notify([allowed[i] for i in chosen], f"您已被指派参加{unit.cycle.year}年度无证无照经营查处",
                         unit.campaign_title, f"/unlicensed/units/{unit.id}", channels=("inbox",))
    audit.record("assign", object_type="unlicensed_unit", object_id=unit.id,
                 summary={"单位": unit.department.name, "方式": MODES[mode], "抽取记录": drawn.id if drawn else "",
                          "执法人员": "、".join(allowed[i].name for i in chosen)}, user=user)


def unit_draws(unit: UnlicensedUnit) -> list[tuple[Any, bool]]:
    """The unit's inspector draws with their re-computation (shown on the unit's page)."""
    rows = inspector_draws.draws_of(inspector_draws.Subject(inspector_draws.UNLICENSED_UNIT, unit.id))
    return [(d, inspector_draws.verify(d)) for d in rows]


def today_year() -> int:
    return today().year
