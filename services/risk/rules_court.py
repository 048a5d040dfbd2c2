"""司法送达失败预警 (表34: 将案件未送达企业列入风险库): set-based SQL over the court's feedback
(models/court.py, services/court/).

An entity is hit by each of its cases that has a 未送达 delivery with no 送达 delivery of the
same case dated on or after it ("未送达 and not later 送达"; a 送达 on the same day counts as
later: the court served it that day).  The evidence is the case (kind ``court_case``, its id),
dated by the latest such 未送达; the responsible department is the entity's registry department.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from models import CourtCase, CourtDelivery, MarketEntity
from models.court import SERVED, UNSERVED
from services.risk.common import Builder, Context, dated, evidence

CODE = "court_unserved"
EVIDENCE_KIND = "court_case"


def court_unserved(ctx: Context) -> Select[Any]:
    """The entities with a case whose 未送达 was not followed by a 送达 (see the module)."""
    failed, served = aliased(CourtDelivery), aliased(CourtDelivery)
    later_served = exists(select(served.id).where(served.case_id == failed.case_id, served.result == SERVED,
                                                  served.served_on >= failed.served_on))
    open_cases = (
        select(failed.case_id.label("case_id"), func.max(failed.served_on).label("day"))
        .where(failed.result == UNSERVED, ~later_served, ctx.limit(failed.entity_id))
        .group_by(failed.case_id)
        .subquery("unserved")
    )
    case, entity = aliased(CourtCase), aliased(MarketEntity)
    text = case.case_no + "，" + case.court_name + "，未送达"
    return (
        select(*evidence(case.entity_id, EVIDENCE_KIND, case.id, entity.department_id, open_cases.c.day, text))
        .select_from(open_cases)
        .join(case, case.id == open_cases.c.case_id)
        .join(entity, entity.id == case.entity_id)
    )


BUILDERS = {CODE: Builder(court_unserved, dated("法院案件未送达"))}
