"""一户一档: everything the platform holds about one market entity on one screen, and its
全生命周期 timeline (seed 004 共享应用规则 1.1 监管档案 / 一屏式档案展示, 1.2 全生命周期时序分析;
docs/dossier.md).

Sections follow services/dossier_kinds.py: 许可, 处罚, 监管 (other departments' supervision
records and this platform's own published inspection results, read from the inspection
tables, never copied), 惩戒 (the entity's and its serving officers'), 经营异常, 出资, 人员,
投诉举报, 司法, 其他 and 预警 (the 风险库's open and closed warnings, services/risk/).  Only current versions of
facts are shown.  Confidential kinds (惩戒, 投诉举报, 司法, and 预警) and the credit-risk grade are for
staff only (``sees_confidential``): other roles see the section's title and a note, no count,
and the timeline leaves those kinds out.

Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

import models
from infrastructure import clock
from models import AuditEvent, Department, InspectionRecord, MarketEntity, Person, RecordStatus, User, db
from models.roles import Role
from services.campaigns.overview import EntityRecord, entity_records
from services.collection.fields import STAFF_ROLES as FACT_STAFF_ROLES
from services.dossier_kinds import (
    BY_KEY,
    KINDS,
    OFFICER,
    REGISTRATION,
    SANCTION,
    SUPERVISION,
    TIMELINE_KINDS,
    KindSpec,
)
from services.risk.queries import entity_warnings

# The credit-risk grade: the roles of the entity registry (services/entities.VIEW_ROLES), who see
# it on the entity page.  The confidential kinds (惩戒、投诉举报、司法涉诉) follow their kinds' own
# rule (services/collection/fields.STAFF_ROLES: every government department's staff, the joint
# conference's roles included — they run 联合惩戒), one rule for the collection pages and here.
GRADE_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
# The dossier is shared with the joint-supervision roles too (seed 004: 为各监管部门履行各自监管
# 职责提供信息服务).
DOSSIER_ROLES = (*GRADE_ROLES, Role.CONFERENCE_OFFICE, Role.LEADING_DEPARTMENT, Role.MEMBER_LIAISON)
WARNING_KEY = "warning"
OWN_RESULTS = "本平台抽查检查结果"
ENTITY_AUDIT_TYPE = "market_entity"
MAX_CHANGES = 200


def sees_confidential(user: User) -> bool:
    """Whether ``user`` may see the confidential kinds (the kinds' own rule)."""
    return user.has_role(*FACT_STAFF_ROLES)


def sees_grade(user: User) -> bool:
    """Whether ``user`` may see the credit-risk grade (as on the entity page)."""
    return user.has_role(*GRADE_ROLES)


@dataclass
class FactRow:
    cells: tuple[str, ...]
    source: str  # 来源部门 · 归集方式
    person_id: int | None = None
    person_name: str = ""
    record_id: int | None = None  # an own inspection record
    fact: Any = None
    warning: Any = None  # a RiskWarning (预警信息)


@dataclass
class Section:
    key: str
    label: str
    titles: tuple[str, ...]
    rows: list[FactRow] = field(default_factory=list)
    hidden: bool = False  # confidential and the viewer is not staff

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Event:
    on: date
    kind: str
    kind_label: str
    title: str
    detail: str = ""
    department_id: int | None = None
    department: str = ""
    person_id: int | None = None
    record_id: int | None = None


@dataclass
class Dossier:
    entity: MarketEntity
    sections: list[Section]
    confidential: bool  # the viewer sees the confidential kinds
    grade: bool = False  # the viewer sees the credit-risk grade
    cluster: list[Any] = field(default_factory=list)  # ClusterAddress rows of its address / agent
    records: list[InspectionRecord] = field(default_factory=list)  # own published results
    campaigns: list[EntityRecord] = field(default_factory=list)  # 专项整治 records (services/campaigns)
    today: date = field(default_factory=clock.china_today)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


# ------------------------------------------------------------------ reading the facts


def current_facts(spec: KindSpec, entity_id: int) -> list[Any]:
    model = spec.model
    date_column = getattr(model, spec.date_attr)
    return list(db.session.execute(
        select(model).where(model.entity_id == entity_id, model.current.is_(True))
        .order_by(date_column.desc().nulls_last(), model.id.desc())
    ).scalars())


def serving_officers(entity_id: int, today: date | None = None) -> list[Any]:
    """The entity's officers in office today (current versions)."""
    model = OFFICER.model
    today = today or clock.china_today()
    return list(db.session.execute(
        select(model).where(model.entity_id == entity_id, model.current.is_(True),
                            or_(model.to_date.is_(None), model.to_date >= today))
        .order_by(model.id)
    ).scalars())


def sanctions_of(entity_id: int, person_ids: list[int]) -> list[Any]:
    """Current 惩戒 facts of the entity and of the given persons."""
    model = SANCTION.model
    subject = model.entity_id == entity_id
    if person_ids:
        subject = or_(subject, model.person_id.in_(person_ids))
    return list(db.session.execute(
        select(model).where(subject, model.current.is_(True))
        .order_by(model.decided_on.desc(), model.id.desc())
    ).scalars())


def own_results(entity_id: int) -> list[InspectionRecord]:
    """This platform's published inspection results about the entity (newest first)."""
    return list(db.session.execute(
        select(InspectionRecord)
        .where(InspectionRecord.entity_id == entity_id, InspectionRecord.status == RecordStatus.PUBLISHED)
        .options(selectinload(InspectionRecord.department), selectinload(InspectionRecord.task))
        .order_by(InspectionRecord.published_at.desc(), InspectionRecord.id.desc())
    ).scalars())


def _department_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())


def _source(fact: Any, names: dict[int, str]) -> str:
    kind = getattr(fact, "source_kind", None)
    how = getattr(kind, "value", kind) or ""
    return " · ".join(p for p in (names.get(fact.source_department_id, ""), str(how)) if p)


def _person_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


# ------------------------------------------------------------------ sections


def _fact_section(spec: KindSpec, facts: list[Any], names: dict[int, str], persons: dict[int, str]) -> Section:
    section = Section(spec.key, spec.label, tuple(c.title for c in spec.columns))
    for fact in facts:
        person_id = getattr(fact, "person_id", None)
        section.rows.append(FactRow(spec.cells(fact), _source(fact, names), person_id=person_id,
                                    person_name=persons.get(person_id, "") if person_id else "", fact=fact))
    return section


def _supervision_section(facts: list[Any], records: list[InspectionRecord], names: dict[int, str],
                         campaigns: list[EntityRecord] | None = None) -> Section:
    section = _fact_section(SUPERVISION, facts, names, {})
    for r in records:
        day = clock.china_date(r.inspected_at or r.published_at)
        cells = (day.isoformat() if day else "", r.department.name, "双随机抽查", r.result_label, r.result_note)
        section.rows.append(FactRow(cells, OWN_RESULTS, record_id=r.id))
    for c in campaigns or []:
        cells = (c.on.isoformat() if c.on else "", c.department, f"专项整治：{c.campaign}", c.result, c.note)
        section.rows.append(FactRow(cells, OWN_RESULTS))
    section.rows.sort(key=lambda row: row.cells[0], reverse=True)
    return section


def build(actor: User, entity: MarketEntity) -> Dossier:
    """The dossier of ``entity`` as ``actor`` may see it (the caller has checked the scope)."""
    confidential = sees_confidential(actor)
    officers = serving_officers(entity.id)
    facts: dict[str, list[Any]] = {}
    for spec in KINDS:
        if spec.confidential and not confidential:
            facts[spec.key] = []
        elif spec is SANCTION:
            facts[spec.key] = sanctions_of(entity.id, sorted({o.person_id for o in officers}))
        else:
            facts[spec.key] = current_facts(spec, entity.id)
    names = _department_names({f.source_department_id for rows in facts.values() for f in rows})
    person_ids = {f.person_id for rows in facts.values() for f in rows if getattr(f, "person_id", None)}
    persons = _person_names(person_ids)
    records = own_results(entity.id)
    campaigns = entity_records(entity.id)
    sections = []
    for spec in KINDS:
        if spec is SUPERVISION:
            section = _supervision_section(facts[spec.key], records, names, campaigns)
        else:
            section = _fact_section(spec, facts[spec.key], names, persons)
        section.hidden = spec.confidential and not confidential
        sections.append(section)
    sections.append(warning_section(entity.id, confidential))
    sections.append(joint_sanction_section(entity.id, confidential))
    return Dossier(entity, sections, confidential, grade=sees_grade(actor), cluster=cluster_rows(entity),
                   records=records, campaigns=campaigns)


def warning_section(entity_id: int, confidential: bool) -> Section:
    """预警信息: the entity's warnings of the 风险库, open ones first (staff only, as the
    confidential kinds: a warning names its evidence)."""
    section = Section(WARNING_KEY, "预警信息", ("预警类型", "状态", "预警日期", "说明"), hidden=not confidential)
    if not confidential:
        return section
    for w in entity_warnings(db.session, entity_id):
        since = clock.china_date(w.first_seen_at)
        until = clock.china_date(w.closed_at) if w.closed_at else None
        days = f"{since} 至 {until}" if until else f"{since}"
        detail = "；".join(e.get("label", "") for e in w.evidence or []) or w.reason
        how = "手工预警" if w.created_by_id else "自动预警"
        source = " · ".join(p for p in (w.department.name if w.department else "", how) if p)
        section.rows.append(FactRow((w.rule.name, "预警中" if w.is_open else "已关闭", days, detail), source,
                                    warning=w))
    return section


def joint_sanction_section(entity_id: int, confidential: bool) -> Section:
    """联合奖惩实施情况: the tasks of the entity's 联合奖惩 objects and their results (表29 归集)."""
    from services.sanctions.tasks import results_rows

    titles = ("失信/守信行为", "措施", "实施部门", "状态", "结果", "录入时间")
    section = Section("joint_sanction", "联合奖惩实施情况", titles, hidden=not confidential)
    if confidential:
        section.rows = [FactRow(cells, source) for cells, source in results_rows(entity_id=entity_id)]
    return section


def cluster_rows(entity: MarketEntity) -> list[Any]:
    """集群注册: the entity's own 托管机构 rows and the cluster-registration addresses that are its
    domicile or business address (current versions)."""
    model = models.ClusterAddress
    addresses = [a for a in (entity.domicile, entity.business_address) if a]
    subject = model.entity_id == entity.id
    if addresses:
        subject = or_(subject, model.address.in_(addresses))
    return list(db.session.execute(
        select(model).where(subject, model.current.is_(True)).order_by(model.id)
    ).scalars())


# ------------------------------------------------------------------ the timeline


@dataclass(frozen=True)
class TimelineFilter:
    kind: str = ""
    department_id: int | None = None


def parse_filter(args: Any) -> TimelineFilter:
    kind = (args.get("kind") or "").strip()
    if kind not in dict(TIMELINE_KINDS):
        kind = ""
    raw = (args.get("department") or "").strip()
    return TimelineFilter(kind, int(raw) if raw.isdigit() else None)


def _fact_events(spec: KindSpec, fact: Any, today: date, names: dict[int, str], persons: dict[int, str]) -> list[Event]:
    person_id = getattr(fact, "person_id", None)
    who = persons.get(person_id, "") if person_id else ""
    title = spec.title(fact)
    if who:
        title = f"{who}：{title}" if title else who
    common = {"kind": spec.key, "kind_label": spec.label, "department_id": fact.source_department_id,
              "department": names.get(fact.source_department_id, ""), "person_id": person_id}
    events = []
    start = getattr(fact, spec.date_attr, None)
    if start is not None and start <= today:
        events.append(Event(on=start, title=f"{spec.event}：{title}" if title else spec.event, **common))
    end = getattr(fact, spec.end_attr, None) if spec.end_attr else None
    if end is not None and end <= today:
        events.append(Event(on=end, title=f"{spec.end_event}：{title}" if title else spec.end_event, **common))
    return events


def _registration_events(entity: MarketEntity) -> list[Event]:
    registry = entity.department
    events = []
    if entity.established_on is not None:
        events.append(Event(entity.established_on, REGISTRATION, "登记", f"成立：{entity.name}",
                            department_id=registry.id, department=registry.name))
    changes = db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == ENTITY_AUDIT_TYPE, AuditEvent.object_id == str(entity.id),
                                 AuditEvent.action == "update")
        .order_by(AuditEvent.id.desc()).limit(MAX_CHANGES)
    ).scalars()
    for change in changes:
        day = clock.china_date(change.at)
        if day is not None:
            events.append(Event(day, REGISTRATION, "登记", "登记信息变更", detail=_change_keys(change.summary),
                                department_id=registry.id, department=registry.name))
    return events


def _change_keys(summary: str) -> str:
    import json

    try:
        data = json.loads(summary)
    except ValueError:
        return ""
    return "、".join(data) if isinstance(data, dict) else ""


def events(dossier: Dossier) -> list[Event]:
    """全生命周期: every event from 成立 to today (China date), oldest first (成立 first on its day)."""
    today, entity = dossier.today, dossier.entity
    found = _registration_events(entity)
    facts = [(BY_KEY[s.key], row.fact) for s in dossier.sections if s.key in BY_KEY for row in s.rows
             if row.fact is not None]
    names = _department_names({f.source_department_id for _spec, f in facts})
    persons = _person_names({f.person_id for _spec, f in facts if getattr(f, "person_id", None)})
    for spec, fact in facts:
        found += _fact_events(spec, fact, today, names, persons)
    for record in dossier.records:
        day = clock.china_date(record.inspected_at or record.published_at)
        if day is not None and day <= today:
            found.append(Event(day, SUPERVISION.key, SUPERVISION.label, f"双随机抽查：{record.task.name}",
                               detail=record.result_label, department_id=record.department_id,
                               department=record.department.name, record_id=record.id))
    found += _campaign_events(dossier.campaigns, today)
    found.sort(key=lambda e: (e.on, e.kind != REGISTRATION, e.kind, e.title))
    return found


def _campaign_events(records: list[EntityRecord], today: date) -> list[Event]:
    """专项整治 under 监管: the check, and the case when one was filed."""
    found = []
    for c in records:
        if c.on is not None and c.on <= today:
            found.append(Event(c.on, SUPERVISION.key, SUPERVISION.label, f"专项整治：{c.campaign}", detail=c.result,
                               department_id=c.department_id, department=c.department))
        if c.case_date is not None and c.case_date <= today:
            found.append(Event(c.case_date, SUPERVISION.key, SUPERVISION.label, f"专项整治立案查处：{c.campaign}",
                               detail=f"案件编号{c.case_no}", department_id=c.department_id, department=c.department))
    return found


def apply_filter(found: list[Event], flt: TimelineFilter | None) -> list[Event]:
    if flt is None:
        return found
    return [e for e in found if (not flt.kind or e.kind == flt.kind)
            and (flt.department_id is None or e.department_id == flt.department_id)]


def timeline(dossier: Dossier, flt: TimelineFilter | None = None) -> list[Event]:
    """The timeline, filtered by kind and department."""
    return apply_filter(events(dossier), flt)


def departments_of(found: list[Event]) -> list[tuple[int, str]]:
    """The departments the events name, for the timeline's filter."""
    seen = {e.department_id: e.department for e in found if e.department_id is not None}
    return sorted(seen.items(), key=lambda t: t[1])


def timeline_departments(dossier: Dossier) -> list[tuple[int, str]]:
    return departments_of(events(dossier))
