"""The items that need human judgement (制度健全, 独立系统, 数据评估, 数据安全): the assessing
office scores each one per unit and year with a note and evidence files (the attachment checks
of services/documents: type sniffed, size capped).  A run takes the judgements as they are;
an item not judged yet deducts nothing and the card counts it as 待评定."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Invalid, NotFound
from models import Department, User, db, utcnow
from models.assessment import AssessmentEvidence, AssessmentJudgement
from persistence import audit
from services import documents
from services.assessment import access, runs
from services.assessment.items import HUMAN_ITEMS, ITEM_BY_CODE

MAX_EVIDENCE = 10
NOTE_LIMIT = 2000


def unit_for_office(user: User, department_id: int) -> Department:
    """A unit of the office's district (404 otherwise)."""
    for unit in runs.units_of(access.region_of(user)):
        if unit.id == department_id:
            return unit
    raise NotFound("没有找到该被考核单位")


def judgements_of(year: int, department_id: int) -> dict[str, AssessmentJudgement]:
    rows = db.session.execute(select(AssessmentJudgement).where(
        AssessmentJudgement.year == year, AssessmentJudgement.department_id == department_id)).scalars()
    return {j.item: j for j in rows}


def _points(item_code: str, raw: Any) -> int:
    item = ITEM_BY_CODE[item_code]
    text = str(raw or "").strip()
    if not text.isdigit() or int(text) not in item.choices:
        raise Invalid(f"“{item.standard}”的扣分须为0至{item.cap}分" + (f"、{item.per}分的倍数" if item.per > 1 else ""),
                      f"points_{item_code}")
    return int(text)


def save(user: User, year: int, unit: Department, data: Mapping[str, Any],
         uploads: Mapping[str, Iterable[documents.Upload | None]]) -> int:
    """Save the judged items the form filled in (points and note both given); returns how many."""
    runs.as_of_for(year)
    existing = judgements_of(year, unit.id)
    saved = 0
    for item in HUMAN_ITEMS:
        raw = str(data.get(f"points_{item.code}") or "").strip()
        note = str(data.get(f"note_{item.code}") or "").strip()
        files = [documents.clean_attachment(u) for u in uploads.get(item.code, ()) if u is not None and u.filename]
        if not raw and not note and not files:
            continue
        points = _points(item.code, raw)
        if not note:
            raise Invalid(f"请填写“{item.standard}”的评定依据", f"note_{item.code}")
        if len(note) > NOTE_LIMIT:
            raise Invalid(f"评定依据不能超过{NOTE_LIMIT}个字符", f"note_{item.code}")
        row = existing.get(item.code) or AssessmentJudgement(year=year, department_id=unit.id, item=item.code)
        if len(row.evidence) + len(files) > MAX_EVIDENCE:
            raise Invalid(f"每个评分项最多{MAX_EVIDENCE}个佐证材料", f"evidence_{item.code}")
        row.points, row.note, row.judged_by_id, row.judged_at = points, note, user.id, utcnow()
        for name, mime, content in files:
            row.evidence.append(AssessmentEvidence(filename=name, content_type=mime, size=len(content), content=content,
                                                   uploaded_by_id=user.id))
        db.session.add(row)
        saved += 1
        audit.record("assessment.judge", object_type="department", object_id=unit.id, user=user,
                     summary={"year": year, "item": item.code, "points": points, "evidence": len(files)})
    if not saved:
        raise Invalid("请至少评定一项（扣分和评定依据）", "points")
    db.session.flush()
    return saved
