"""Scorecard runs: compute every unit's card of a district and a year, store it, check it.

``compute`` is pure reading: the automatic findings (services/assessment/rules.py) and the
office's judgements become deductions, capped per item in a stable order, and areas never go
below 0.  ``run`` stores the result with its SHA-256 digest; ``verify`` computes it again as of
the run's day and compares, which is how anyone checks that the deductions come from the
records they cite.  A unit without a single record in the year is not scored: its card says why
(``status`` no_data) instead of showing 100 or 0 by accident.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from infrastructure import clock
from infrastructure.errors import Invalid
from models import Department, User, db
from models.assessment import AssessmentCard, AssessmentDeduction, AssessmentJudgement, AssessmentRun
from models.org import DepartmentKind, DepartmentLevel
from persistence import audit
from services.assessment import rules
from services.assessment.items import AREAS, CUTOFF_DAY, CUTOFF_MONTH, FIRST_YEAR, HUMAN_ITEMS, ITEM_BY_CODE


@dataclass
class DeductionDraft:
    item: str
    points: int
    record_kind: str
    record_id: int
    on_date: date | None
    detail: str


@dataclass
class CardDraft:
    unit: Department
    status: str = "scored"
    reason: str = ""
    areas: dict[str, int] = field(default_factory=dict)
    total: int | None = None
    records: int = 0
    pending: int = 0
    deductions: list[DeductionDraft] = field(default_factory=list)

    def key(self) -> list[object]:
        return [self.unit.id, self.status, self.total,
                [[d.item, d.record_kind, d.record_id, d.points] for d in self.deductions]]


# ------------------------------------------------------------------ the units


def units_of(region: Department) -> list[Department]:
    """The assessed units (使用单位): the district's bureau-level supervision departments."""
    return list(db.session.execute(
        select(Department).where(Department.path.startswith(region.path), Department.level == DepartmentLevel.BUREAU,
                                 Department.kind == DepartmentKind.SUPERVISION, Department.active.is_(True))
        .order_by(Department.sort_order, Department.name, Department.id)).scalars())


def unit_map(units: list[Department]) -> dict[int, int]:
    """Every department id within a unit -> the unit's id (a section's records are its bureau's)."""
    found: dict[int, int] = {}
    for unit in units:
        for (ident,) in db.session.execute(select(Department.id).where(Department.path.startswith(unit.path))):
            found[ident] = unit.id
    return found


def as_of_for(year: int) -> date:
    """12月15日 of the year, or today while the year's cut-off is still ahead."""
    today = clock.china_today()
    if year < FIRST_YEAR:
        raise Invalid(f"考核办法自{FIRST_YEAR}年1月1日起施行，不能考核{year}年", "year")
    if year > today.year:
        raise Invalid(f"{year}年尚未开始，不能考核", "year")
    return min(date(year, CUTOFF_MONTH, CUTOFF_DAY), today)


# ------------------------------------------------------------------ compute


def _capped(drafts: list[DeductionDraft]) -> list[DeductionDraft]:
    used: dict[str, int] = defaultdict(int)
    for d in drafts:
        cap = ITEM_BY_CODE[d.item].cap
        d.points = max(0, min(d.points, cap - used[d.item]))
        used[d.item] += d.points
    return drafts


def _judgements(year: int, unit_ids: list[int]) -> dict[int, list[AssessmentJudgement]]:
    found: dict[int, list[AssessmentJudgement]] = defaultdict(list)
    rows = db.session.execute(select(AssessmentJudgement).where(
        AssessmentJudgement.year == year, AssessmentJudgement.department_id.in_(unit_ids))
        .order_by(AssessmentJudgement.item)).scalars()
    for j in rows:
        found[j.department_id].append(j)
    return found


def _card(unit: Department, year: int, findings: list[rules.Finding], judged: list[AssessmentJudgement],
          records: int) -> CardDraft:
    card = CardDraft(unit, records=records)
    if records == 0:
        card.status = "no_data"
        card.reason = (f"{year}年1月1日至考核截止日，该单位在平台没有归集信息、双告知抄告、联合惩戒任务或预警信息记录，"
                       "无法按记录计分，不予评分；请考核工作小组办公室核实该单位是否使用平台")
    drafts = [DeductionDraft(f.item, ITEM_BY_CODE[f.item].per, f.record_kind, f.record_id, f.on_date, f.detail)
              for f in findings]
    judged_items = {j.item for j in judged}
    card.pending = sum(1 for i in HUMAN_ITEMS if i.code not in judged_items)
    drafts += [DeductionDraft(j.item, j.points, "judgement", j.id, None, j.note) for j in judged if j.points]
    card.deductions = _capped(sorted(drafts, key=lambda d: (d.item, d.on_date or date.min, d.record_kind,
                                                             d.record_id)))
    if card.status == "scored":
        for area in AREAS:
            lost = sum(d.points for d in card.deductions if ITEM_BY_CODE[d.item].area == area.code)
            card.areas[area.code] = max(0, area.weight - lost)
        card.total = sum(card.areas.values())
    return card


def compute(region: Department, year: int, as_of: date) -> list[CardDraft]:
    units = units_of(region)
    window = rules.Window(year, as_of, unit_map(units))
    window.calendar.add_workdays(as_of, 0)  # 422 at once when the year's holidays are not in the table
    findings, activity = rules.evaluate(window)
    judged = _judgements(year, [u.id for u in units])
    return [_card(u, year, findings.get(u.id, []), judged.get(u.id, []), activity.get(u.id, 0)) for u in units]


def digest_of(cards: list[CardDraft]) -> str:
    text = json.dumps([c.key() for c in cards], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------ store, verify


def run(actor: User, region: Department, year: int) -> AssessmentRun:
    """计算考核结果: every unit's card as of 12月15日 (or today), stored with its deductions."""
    as_of = as_of_for(year)
    cards = compute(region, year, as_of)
    stored = AssessmentRun(region_id=region.id, year=year, as_of=as_of, digest=digest_of(cards),
                           created_by_id=actor.id)
    for n, c in enumerate(cards):
        card = AssessmentCard(department_id=c.unit.id, position=n, status=c.status, reason=c.reason, areas=c.areas,
                              total=c.total, records=c.records, pending=c.pending)
        card.deductions = [AssessmentDeduction(position=k, item=d.item, points=d.points, record_kind=d.record_kind,
                                               record_id=d.record_id, on_date=d.on_date, detail=d.detail)
                           for k, d in enumerate(c.deductions)]
        stored.cards.append(card)
    db.session.add(stored)
    db.session.flush()
    audit.record("assessment.run", object_type="assessment_run", object_id=stored.id, user=actor,
                 summary={"year": year, "as_of": as_of.isoformat(), "units": len(cards), "digest": stored.digest})
    return stored


@dataclass(frozen=True)
class Verification:
    same: bool
    digest: str
    changed: list[str]  # the units whose card differs


def verify(run_row: AssessmentRun) -> Verification:
    """复核: the same computation as of the run's day, compared card by card."""
    cards = compute(run_row.region, run_row.year, run_row.as_of)
    digest = digest_of(cards)
    stored = {c.department_id: c for c in run_row.cards}
    changed = []
    for c in cards:
        old = stored.get(c.unit.id)
        keys = None if old is None else [old.department_id, old.status, old.total,
                                         [[d.item, d.record_kind, d.record_id, d.points] for d in old.deductions]]
        if keys != c.key():
            changed.append(c.unit.name)
    return Verification(digest == run_row.digest, digest, changed)


def latest_run(region: Department, year: int) -> AssessmentRun | None:
    return db.session.execute(select(AssessmentRun).where(AssessmentRun.region_id == region.id,
                                                          AssessmentRun.year == year)
                              .order_by(AssessmentRun.id.desc()).limit(1)).scalar_one_or_none()


def runs_of(region: Department) -> list[AssessmentRun]:
    return list(db.session.execute(select(AssessmentRun).where(AssessmentRun.region_id == region.id)
                                   .order_by(AssessmentRun.year.desc(), AssessmentRun.id.desc()).limit(50)).scalars())
