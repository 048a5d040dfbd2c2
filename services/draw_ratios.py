"""The overall ratio a draw's quotas give, against the ratio its plan set for the task.

Quotas are set per credit-risk grade and rounded up (services/draw.quotas_by_stratum), so the
share of the population drawn can exceed the task's 抽查比例 from its plan — 50 % per grade
draws 54 % under a 5 % plan, and rounding alone can tip a small population over.  The preview
says so, and a draw that does needs the clerk's explicit confirmation
(services/object_draws.run_draw).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from models import Task
from services.schemes import fmt_ratio


def plan_ratio(task: Task) -> Decimal | None:
    """The task's 抽查比例 (at most its plan's), else the plan's; None when neither is set."""
    if task.ratio is not None:
        return Decimal(task.ratio)
    return Decimal(task.plan.ratio) if task.plan.ratio is not None else None


def percent_text(part: int, whole: int) -> str:
    """part / whole as a percentage with up to two decimals: "54", "16.67"."""
    if whole <= 0:
        return "0"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return fmt_ratio(value)


def over_plan_message(total: int, population: int, ratio: Decimal | None) -> str:
    """The warning when drawing ``total`` of ``population`` exceeds ``ratio`` percent, else ""."""
    if ratio is None or population <= 0 or Decimal(total) * 100 <= ratio * population:
        return ""
    return (f"按各信用风险分类的抽查比例合计抽取{total}户，占抽取范围{population}户的"
            f"{percent_text(total, population)}%，高于抽查计划确定的抽查比例{fmt_ratio(ratio)}%")
