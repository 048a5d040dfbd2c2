"""Rules read from the capital contributions: 认缴实缴预警 and 出资方式预警 (表26).

A shareholder's contributions are reported per 年度 (年报) or as 即时信息; the latest one counts
("以当前最近时间为准"): the greatest 年度 (a 即时信息 without one: the year it was received),
then the latest received, then the latest row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, extract, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from models import CapitalContribution, OtherFact
from services.risk.common import Builder, Context, dated, evidence

METHOD_FILING = "出资方式变更"  # an 其他信息 of this category (e.g. 出资方式变更备案) is the filed change


def _ranked(ctx: Context) -> Any:
    """Every live contribution with its rank among the shareholder's (1 = the latest), as a CTE
    (computed once where a rule reads it twice)."""
    cap = aliased(CapitalContribution)
    year = func.coalesce(cap.year, extract("year", cap.received_at))
    rank = func.row_number().over(
        partition_by=(cap.entity_id, cap.shareholder),
        order_by=(year.desc(), cap.received_at.desc(), cap.id.desc()),
    )
    return (
        select(cap.id, cap.entity_id, cap.shareholder, cap.method, cap.paid_amount, cap.subscribed_amount,
               cap.due_date, cap.year, cap.source_department_id, rank.label("rn"))
        .where(cap.current.is_(True), ctx.limit(cap.entity_id))
        .cte("ranked")
    )


def capital_unpaid(ctx: Context) -> Select[Any]:
    """The shareholder's latest contribution: paid (none counts as 0) below subscribed, and the
    subscription's due date has passed (due before today)."""
    r = _ranked(ctx)
    return select(*evidence(r.c.entity_id, "capital", r.c.id, r.c.source_department_id, r.c.due_date,
                            r.c.shareholder)).where(
        r.c.rn == 1, r.c.subscribed_amount.is_not(None),
        func.coalesce(r.c.paid_amount, 0) < r.c.subscribed_amount,
        r.c.due_date.is_not(None), r.c.due_date < ctx.today)


def capital_method(ctx: Context) -> Select[Any]:
    """The shareholder's latest contribution is 货币 where an earlier one was 非货币 (or the
    reverse), and no change of the method was filed (an 其他信息 whose category names it)."""
    ranked = _ranked(ctx)
    latest, earlier = ranked.alias("latest"), ranked.alias("earlier")
    filing = aliased(OtherFact)
    filed = exists(select(filing.id).where(filing.entity_id == latest.c.entity_id, filing.current.is_(True),
                                           filing.category.like(f"%{METHOD_FILING}%")))
    text = latest.c.shareholder + "：" + earlier.c.method + "→" + latest.c.method
    return (
        select(*evidence(latest.c.entity_id, "capital", latest.c.id, latest.c.source_department_id, None, text))
        .join(earlier, and_(earlier.c.entity_id == latest.c.entity_id, earlier.c.shareholder == latest.c.shareholder))
        .where(latest.c.rn == 1, earlier.c.rn > 1, earlier.c.method != latest.c.method, ~filed)
        .distinct()
    )


BUILDERS = {
    "capital_unpaid": Builder(capital_unpaid, dated("实缴金额小于认缴金额且认缴期限已到期，股东")),
    "capital_method": Builder(capital_method, dated("出资方式改变且未备案，股东")),
}
