"""联合惩戒批量验证 (seed 004 §5.3): the rows of an uploaded list (名称, 统一社会信用代码 or 身份证号)
checked against the published object lists of the user's area, and the annotated workbook —
each row as uploaded with 验证结果 (in scope or not), the reasons (失信/守信行为) and the measures
with their implementing departments — kept (``SanctionBatchCheck``) for the uploader to download.

The import kind services/imports/sanction_verify.py reads and checks the file and, for a large
one, runs this in a background job with progress; ``verify.batch`` answers the codes in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from infrastructure.excel.stream import one_sheet
from infrastructure.validators import normalize_code
from models import Department, SanctionBatchCheck, User, db
from models.roles import Role
from persistence.org import region_root
from services.sanctions import verify

IN_SCOPE, OUT_OF_SCOPE = "在联合奖惩范围内", "不在联合奖惩范围内"
TITLES = ("序号", "名称", "统一社会信用代码/身份证号", "验证结果", "原因（失信/守信行为）", "措施（实施部门）")
WIDTHS = (8, 30, 22, 18, 30, 50)
SLICE = 10_000  # codes answered between two progress reports


ROLES = (Role.LEADING_DEPARTMENT, Role.CLERK, Role.DEPT_LEADER)


def can_check(user: User) -> bool:
    return user.is_active and user.has_role(*ROLES)


def answer(user: User, codes: Sequence[str], progress: Callable[[int], None] | None = None
           ) -> dict[str, list[tuple[str, str, str]]]:
    """code → [(behaviour, measure, department name)] in force in the user's area."""
    area = region_root(user.department)
    found: dict[str, list[tuple[str, str, str]]] = {}
    unique = sorted({normalize_code(c) for c in codes if c})
    for start in range(0, len(unique), SLICE):
        found.update(verify.batch(unique[start:start + SLICE], area=area))
        if progress is not None:
            progress(min(start + SLICE, len(unique)))
    ids = {int(d) for rows in found.values() for _, _, d in rows}
    names = dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all()) if ids else {}
    return {code: [(b, m, names.get(int(d), "")) for b, m, d in rows] for code, rows in found.items()}


def workbook(rows: Sequence[tuple[Any, str, str]], found: dict[str, list[tuple[str, str, str]]]) -> tuple[bytes, int]:
    """The annotated workbook (written as SpreadsheetML: 100,000 rows in a second or two) and
    how many rows are in scope; rows in scope are highlighted."""
    hits = 0

    def lines() -> Any:
        nonlocal hits
        for number, name, code in rows:
            matches = found.get(normalize_code(code), [])
            hits += bool(matches)
            yield ((number, name, code, IN_SCOPE if matches else OUT_OF_SCOPE,
                    "；".join(dict.fromkeys(b for b, _, _ in matches)),
                    "；".join(f"{m}（{d}）" for _, m, d in matches)), bool(matches))

    return one_sheet("批量验证结果", TITLES, lines(), WIDTHS), hits


def store(user: User, filename: str, rows: int, hits: int, content: bytes, import_batch_id: int | None) -> SanctionBatchCheck:
    kept = SanctionBatchCheck(department_id=user.department_id, created_by_id=user.id, filename=filename[:255], rows=rows,
                              hits=hits, content=content, import_batch_id=import_batch_id)
    db.session.add(kept)
    db.session.flush()
    return kept


def download_name(kept: SanctionBatchCheck) -> str:
    stem = kept.filename.rsplit(".", 1)[0] or "名单"
    return f"{stem}（批量验证结果）.xlsx"


def latest(user: User, limit: int = 10) -> list[SanctionBatchCheck]:
    return list(db.session.execute(
        select(SanctionBatchCheck).where(SanctionBatchCheck.created_by_id == user.id)
        .order_by(SanctionBatchCheck.id.desc()).limit(limit)).scalars())
