"""The demo data of the chapters after the registers and the random check, loaded by
``flask demo`` (cli/demo.py) in the order of ``CHAPTERS``; each loader adds nothing when run
again.  A new chapter appends its loader here (docs/demo.md)."""

from __future__ import annotations

from collections.abc import Callable

from models import db
from services.assessment.demo import load_demo_assessment
from services.campaigns.demo import load_demo_campaign
from services.credit.scoring import recompute
from services.daily.demo import load_demo_daily
from services.demo_facts import load_demo_facts
from services.demo_notice import load_demo_notice
from services.demo_risk import load_demo_risk
from services.efficiency.demo import load_demo_efficiency
from services.industry.demo import load_demo as load_demo_industry
from services.reports.demo import load_demo_reports
from services.risk.evaluate import evaluate
from services.sanctions.demo import load_demo_sanctions

__all__ = ["CHAPTERS", "load_demo_facts"]


def run_risk_rules() -> None:
    """The nightly 风险预警 run (``flask risk run``) over what the later chapters recorded: the
    考核 demo's late 经营异常名录 entry, say, is a warning too."""
    evaluate(db.session)


def load_demo_grades() -> None:
    """The credit-risk scorecard over the whole registry, after the risk demo (which adds
    entities of its own)."""
    recompute()


CHAPTERS: tuple[Callable[[], object], ...] = (
    load_demo_risk,  # 风险预警: the facts every rule needs, a 手工预警, a full run
    load_demo_notice,  # 双告知: names mapped, entities registered that trigger notices
    load_demo_grades,  # 信用风险分类
    load_demo_daily,  # 日常监管: objects, rules, categories, tasks in every escalation state
    load_demo_campaign,  # 专项整治: a published campaign, objects drawn and checked, one 责令改正 pending
    load_demo_industry,  # 一业一评, 一业一册: last year's 住宿和餐饮业 joint inspection
    load_demo_sanctions,  # 联合奖惩: catalogue published, a list pushed, tasks with results
    load_demo_efficiency,  # 效能管理: rules, stalled work moved back in time, one 督办
    load_demo_reports,  # 灵活报表: a monthly report passed down two levels, partly reported
    load_demo_assessment,  # 考核: late records, judgements, the demo year's scorecard (reads the others)
    run_risk_rules,  # last: what the chapters above recorded is judged by the rules, as the nightly run would
)
