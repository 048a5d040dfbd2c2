"""What a draw's record shows to whom (docs/draws.md, 抽取记录的公开与等级保密).

Credit-risk grades are never public (seed 002 五(二)).  A draw is stratified by grade, so a
record that lists the strata, the quotas per stratum or the seed, beside the drawn names, tells
which named business is in which grade: with the seed anyone computes each drawn key's rank
value, and a key drawn with a large one can only come from a stratum drawn at a high ratio
(E at 100 %).  Hence two records:

- the public record (``public_record``): the algorithm, the population's size, the number
  drawn, the drawn keys in key order (not in rank order, which would sort E last) and salted
  commitments (HMAC-SHA256 keyed with the draw's secret salt) to the seed, the population
  digest and every stratum — A–E and 未分级, empty or not, so that not even which grades occur
  is told.  It lets anyone see that the record was fixed when it was published, and check the
  list against the objects actually inspected;
- the full record (``full_record``): the stored record (seed, quotas and population with their
  grades, result) with the salt and the commitments.  For signed-in 审计员 and the clerks and
  leaders of the task's departments (``may_download_full``), or whoever they hand it to: the
  published draw_algorithm.py re-runs it and prints the commitments, to compare with the
  public page.
"""

from __future__ import annotations

import json
from typing import Any

from models import Draw, User
from models.roles import Role
from persistence import audit
from services import draw as draw_service
from services import object_draws as draws
from services.schemes import PUBLIC_RATIO_TEXT
from services.task_access import sees_grades

PUBLIC_FORMAT = "zhjg-draw-public-1"
FULL_FORMAT = "zhjg-draw-full-1"
STRATA = draw_service.COMMITTED_STRATA


def public_scheme_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A published scheme as the public pages show it: schemes published before the ratios per
    grade were withdrawn from 公示方案 carry them in their stored snapshot; shown without."""
    if "抽查比例" in payload:
        return {**payload, "抽查比例": PUBLIC_RATIO_TEXT}
    return payload


def commitments_of(draw: Draw) -> dict[str, str]:
    return json.loads(draw.commitments) if draw.commitments else {}


def is_legacy(draw: Draw) -> bool:
    """Committed after the fact: the draw predates commitments (migration 0021 added them).  A
    draw commits in the same instant it is drawn: run_draw stores one time in both columns."""
    return draw.committed_at is None or draw.committed_at != draw.drawn_at


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def drawn_keys(draw: Draw) -> list[str]:
    """The drawn keys without their strata, in key order."""
    return sorted(key for keys in json.loads(draw.result).values() for key in keys)


def public_record(draw: Draw) -> dict[str, Any]:
    """The record anyone may download: no seed, no stratum, no quota."""
    found = commitments_of(draw)
    return {
        "format": PUBLIC_FORMAT,
        "algorithm": draw.algorithm,
        "domain": draw.domain.value,
        "attempt": draw.attempt,
        "drawn_at": _iso(draw.drawn_at),
        "committed_at": _iso(draw.committed_at),
        "committed_after_draw": is_legacy(draw),
        "population_size": draw.population_size,
        "drawn": draw.result_size,
        "drawn_keys": drawn_keys(draw),
        "commitments": {
            "seed": found.get("seed"),
            "population": found.get("population"),
            "strata": [found.get(s) for s in STRATA],  # in the order A, B, C, D, E, 未分级
        },
    }


def may_download_full(user: User, draw: Draw) -> bool:
    """审计员 whose scope (their department's subtree, as for the audit log) holds the drawing
    department, and the clerks and leaders of the task's departments (who see grades anyway)."""
    if user.has_role(Role.AUDITOR) and draw.department.is_within(user.department):
        return True
    return sees_grades(user, draw.task)


def full_record(user: User, draw: Draw) -> dict[str, Any]:
    """The record with seed, strata and salt; the download is audited (the caller commits)."""
    record = draws.stored_record(draw)
    record.update(
        {
            "format": FULL_FORMAT,
            "attempt": draw.attempt,
            "drawn_at": _iso(draw.drawn_at),
            "committed_at": _iso(draw.committed_at),
            "salt": draw.salt,
            "commitments": commitments_of(draw),
        }
    )
    record["population"] = [list(m) for m in record["population"]]
    audit.record("download_full_record", object_type=draws.AUDIT_TYPE, object_id=draw.id,
                 summary={"任务": draw.task.name, "第几次": draw.attempt}, user=user)
    return record
