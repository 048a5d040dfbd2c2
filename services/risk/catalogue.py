"""The warning rules as data: the eight indicators of 表26 and the seven warnings of seed 004 §6.

Each ``RuleDef`` names its code (``RiskRule.code``), the standard's name, where it comes from,
its condition in the standard's words, and its parameters (``ParamDef``: key, Chinese label,
unit, default, the smallest accepted value).  ``validate_params`` is the one check of a rule's
parameters (the rule editor, the dry run and the evaluation use it): an unknown rule, a
missing, non-integer, zero or negative parameter and a window of 0 days are refused with a
Chinese message.  ``seed_rules`` adds the rules missing from ``risk_rule`` (migration 0024
seeds them; the demo and the tests call it again, which changes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from infrastructure.errors import Invalid, NotFound
from models import RiskRule, utcnow

TABLE26, SEED004, TABLE34 = "表26", "seed004", "表34"
MANUAL = "manual"
MAX_PARAM = 100_000


@dataclass(frozen=True)
class ParamDef:
    key: str
    label: str
    unit: str
    default: int
    minimum: int = 1


@dataclass(frozen=True)
class RuleDef:
    code: str
    name: str
    source: str
    condition: str  # the condition in the standard's words (表26 预警条件, seed 004 §6)
    params: tuple[ParamDef, ...] = field(default_factory=tuple)
    automatic: bool = True

    @property
    def defaults(self) -> dict[str, int]:
        return {p.key: p.default for p in self.params}


MIN_ENTITIES = ParamDef("min_entities", "同一地址被列入经营异常名录的企业数（户及以上）", "户", 3)
WINDOW = ParamDef("window_days", "统计期间（近N天）", "天", 90)

CATALOGUE: tuple[RuleDef, ...] = (
    RuleDef("address_abnormal", "地址异常预警", TABLE26,
            "多户企业登记于同一登记注册地址（集群企业除外），其中3户及以上被列入经营异常名录的，"
            "该地址登记注册的其他企业列入风险预警名单", (MIN_ENTITIES,)),
    RuleDef("cluster_registration", "集群注册预警", TABLE26,
            "托管机构被列入经营异常名录的、吊销的，在该托管机构注册的企业列入风险预警名单"),
    RuleDef("capital_unpaid", "认缴实缴预警", TABLE26, "实缴金额小于认缴金额，且承诺认缴期限到期（两个条件同时满足）"),
    RuleDef("capital_method", "出资方式预警", TABLE26,
            "股东实缴出资方式（货币、非货币）与历年出资方式发生改变，且没有进行出资方式变更备案（年报或即时信息以最近时间为准）"),
    RuleDef("officer_dishonest", "任职异常预警", TABLE26,
            "法定代表人被列为失信被执行人，或高管（董事、监事、经理、执行董事）被列入失信联合奖惩对象的，任职企业列入风险预警名单"),
    RuleDef("permit_lapsed", "行政许可失效预警", TABLE26,
            "行政许可证书被吊销、撤销、过期，且没有在登记机关做经营范围变更（两个条件同时满足）"),
    RuleDef("complaints", "投诉举报预警", TABLE26, "近三个月有3次以上投诉举报信息",
            (ParamDef("min_count", "投诉举报次数（次及以上）", "次", 3), WINDOW)),
    RuleDef("lawsuits", "司法涉诉预警", TABLE26, "近三个月有2次以上司法涉诉信息",
            (ParamDef("min_count", "司法涉诉次数（次及以上）", "次", 2), WINDOW)),
    RuleDef("permit_expiring", "许可证到期预警", SEED004, "许可证到期前N天提醒监管人员实施行政指导、提醒续办",
            (ParamDef("days_before", "到期前天数", "天", 30),)),
    RuleDef("deregistered", "注销预警", SEED004, "营业执照办理注销登记后跟踪监管"),
    RuleDef("licence_revoked", "吊证预警", SEED004, "许可证（或营业执照）被吊销后跟踪监管"),
    RuleDef("lost_contact", "失联预警", SEED004, "不在法定场所经营，多次联系不上",
            (ParamDef("min_count", "联系不上次数（次及以上）", "次", 2),)),
    RuleDef("abnormal_list", "经营异常预警", SEED004, "被列入经营异常名录（未移出）"),
    RuleDef("case_filed", "立案查处预警", SEED004, "正被立案查处（立案后尚无处罚决定）"),
    # 表34 反馈案件信息及送达信息: 智慧监管平台……将案件未送达企业列入风险库 (the standard names no rule).
    RuleDef("court_unserved", "司法送达失败预警", TABLE34, "将案件未送达企业列入风险库：法院反馈案件未送达，且其后未反馈送达"),
    RuleDef(MANUAL, "手工预警", SEED004, "监管人员根据收集和掌握的材料主动记录预警，并说明理由", automatic=False),
)
BY_CODE: dict[str, RuleDef] = {r.code: r for r in CATALOGUE}
# The fact kinds each automatic rule reads (services/collection/kinds.py): an import of a kind
# re-runs only these rules (the registry's own columns are read by the nightly full run).
READS: dict[str, tuple[str, ...]] = {
    "address_abnormal": ("abnormal", "cluster_address"),
    "cluster_registration": ("abnormal", "cluster_address"),
    "capital_unpaid": ("capital",),
    "capital_method": ("capital", "other"),
    "officer_dishonest": ("officer", "sanction"),
    "permit_lapsed": ("permit",),
    "complaints": ("complaint",),
    "lawsuits": ("lawsuit",),
    "permit_expiring": ("permit",),
    "deregistered": (),
    "licence_revoked": ("permit",),
    "lost_contact": ("supervision", "abnormal"),
    "abnormal_list": ("abnormal",),
    "case_filed": ("other", "penalty"),
    "court_unserved": (),  # the court's feedback, not a fact kind: services/court runs it after each
}
AUTOMATIC_CODES: tuple[str, ...] = tuple(r.code for r in CATALOGUE if r.automatic)


def rules_reading(kind: str) -> list[str]:
    """The automatic rules that read facts of ``kind``."""
    return [code for code in AUTOMATIC_CODES if kind in READS[code]]


def definition(code: str) -> RuleDef:
    try:
        return BY_CODE[code]
    except KeyError:
        raise NotFound(f"没有预警规则“{code}”") from None


def validate_params(code: str, params: Mapping[str, Any]) -> dict[str, int]:
    """The rule's parameters as integers, or ``Invalid`` with a Chinese message (``field`` = key)."""
    rule = definition(code)
    unknown = sorted(set(params) - {p.key for p in rule.params})
    if unknown:
        raise Invalid(f"{rule.name}没有参数“{unknown[0]}”", field=unknown[0])
    out: dict[str, int] = {}
    for p in rule.params:
        raw = params.get(p.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise Invalid(f"请填写{p.label}", field=p.key)
        if isinstance(raw, bool):
            raise Invalid(f"{p.label}应为整数", field=p.key)
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise Invalid(f"{p.label}应为整数", field=p.key) from None
        if isinstance(raw, float) and raw != value:
            raise Invalid(f"{p.label}应为整数", field=p.key)
        if value < p.minimum:
            what = "统计期间不能为0天" if p.key == "window_days" and value == 0 else f"{p.label}应不小于{p.minimum}{p.unit}"
            raise Invalid(what, field=p.key)
        if value > MAX_PARAM:
            raise Invalid(f"{p.label}不能超过{MAX_PARAM}{p.unit}", field=p.key)
        out[p.key] = value
    return out


def seed_rules(session: Session) -> int:
    """Add the catalogue's rules missing from ``risk_rule``, with their defaults; returns how many."""
    have = set(session.execute(select(RiskRule.code)).scalars())
    added = 0
    for rule in CATALOGUE:
        if rule.code not in have:
            session.add(RiskRule(code=rule.code, name=rule.name, source=rule.source, params=rule.defaults,
                                 enabled=True, version=1, updated_at=utcnow()))
            added += 1
    session.flush()
    return added


def rules_by_code(session: Session) -> dict[str, RiskRule]:
    return {r.code: r for r in session.execute(select(RiskRule)).scalars()}
