"""Scorecards as data (seed 002 §四(三)2 and §四(二)1): indicator groups with weights summing to
100, points per indicator, per industry where seed 002 asks for it (食品, 药品, 特种设备).

A card deducts from 100: each indicator that holds takes its points (times the facts counted,
for a counted indicator) from its group, a group losing at most its weight; the score gives the
grade by the card's thresholds.  The indicators' conditions are code
(services/credit/indicators.py); everything a department tunes — weights, points, the
industries and tags a card applies to, the thresholds — is data, edited on /credit/cards with
every version kept.  Nothing here commits.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import User, db
from models.base import utcnow
from models.credit import Scorecard, ScorecardChange
from models.org import DepartmentLevel
from persistence import audit
from persistence.org import region_root


class CardInvalid(ServiceError):
    status = 422


# The groups of seed 002 §四(三)2, in its order.
GROUPS: dict[str, str] = {
    "basic": "基础信息",
    "permit": "行政许可",
    "supervision": "监管行为",
    "penalty": "行政处罚",
    "complaint": "投诉举报",
    "random": "双随机抽查结果",
    "judicial": "司法涉诉与失信",
    "annual": "年报与经营异常",
}


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    label: str
    counted: bool = False  # points per fact counted, not once


INDICATORS: tuple[Indicator, ...] = (
    Indicator("young", "basic", "成立不满一年"),
    Indicator("no_address", "basic", "未登记经营场所"),
    Indicator("revoked", "basic", "登记状态为吊销"),
    Indicator("permit_revoked", "permit", "行政许可被吊销或撤销"),
    Indicator("permit_expired", "permit", "行政许可已过期"),
    Indicator("supervision_problem", "supervision", "近三年其他部门检查发现问题（每次）", True),
    Indicator("penalty", "penalty", "近三年受到行政处罚（每次）", True),
    Indicator("penalty_heavy", "penalty", "近三年罚没金额1万元及以上（每次）", True),
    Indicator("complaint", "complaint", "近一年被投诉举报（每件）", True),
    Indicator("random_unqualified", "random", "本平台公示的抽查结果为不合格（每次）", True),
    Indicator("random_problem", "random", "本平台公示的抽查结果为发现问题（每次）", True),
    Indicator("sanction", "judicial", "列入失信名单（未移出）"),
    Indicator("lawsuit", "judicial", "近一年作为被告或被执行人涉诉（每件）", True),
    Indicator("abnormal", "annual", "列入经营异常名录（未移出）"),
    Indicator("capital_overdue", "annual", "认缴出资到期未实缴"),
)
BY_KEY = {i.key: i for i in INDICATORS}
GRADE_LETTERS = ("A", "B", "C", "D")  # E: below D's threshold

_POINTS = {
    "young": 5, "no_address": 3, "revoked": 10, "permit_revoked": 10, "permit_expired": 5,
    "supervision_problem": 5, "penalty": 5, "penalty_heavy": 10, "complaint": 2,
    "random_unqualified": 10, "random_problem": 5, "sanction": 10, "lawsuit": 3, "abnormal": 10,
    "capital_overdue": 5,
}
_THRESHOLDS = {"A": 95, "B": 85, "C": 70, "D": 55}


def _card(name: str, weights: dict[str, int], industries: list[str], tags: list[str]) -> dict[str, Any]:
    points = {k: min(p, weights[BY_KEY[k].group]) for k, p in _POINTS.items()}
    return {"name": name, "industries": industries, "tags": tags, "weights": weights, "points": points,
            "thresholds": dict(_THRESHOLDS)}


# Matched in this order (the first card whose industry prefix or tag fits); ``default`` last.
DEFAULTS: dict[str, dict[str, Any]] = {
    "special_equipment": _card(
        "特种设备评分卡",
        {"basic": 5, "permit": 15, "supervision": 25, "penalty": 15, "complaint": 10, "random": 20,
         "judicial": 5, "annual": 5},
        ["C341", "C343"], ["特种设备使用单位"]),
    "drug": _card(
        "药品评分卡",
        {"basic": 5, "permit": 20, "supervision": 20, "penalty": 20, "complaint": 10, "random": 15,
         "judicial": 5, "annual": 5},
        ["C27", "F515", "F525"], []),
    "food": _card(
        "食品评分卡",
        {"basic": 5, "permit": 15, "supervision": 20, "penalty": 20, "complaint": 10, "random": 20,
         "judicial": 5, "annual": 5},
        ["C13", "C14", "C15", "F512", "F522", "H62"], []),
    "default": _card(
        "通用评分卡",
        {"basic": 10, "permit": 10, "supervision": 15, "penalty": 20, "complaint": 10, "random": 15,
         "judicial": 10, "annual": 10},
        [], []),
}
ORDER = tuple(DEFAULTS)


def load_cards() -> dict[str, dict[str, Any]]:
    """Every card's configuration, in matching order: the stored one, else the default."""
    stored = {c.key: c.config for c in db.session.execute(select(Scorecard)).scalars()}
    return {key: copy.deepcopy(stored.get(key, DEFAULTS[key])) for key in ORDER}


def card_version(key: str) -> int:
    row = db.session.get(Scorecard, key)
    return row.version if row else 0


# ------------------------------------------------------------------ validation


def _number(value: Any, label: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CardInvalid(f"{label}应为0到100之间的数字") from None
    if not number.is_finite() or number < 0 or number > 100 or number != round(number, 2):
        raise CardInvalid(f"{label}应为0到100之间的数字，最多两位小数")
    return number


def _prefixes(text: Any, label: str) -> list[str]:
    items = [p.strip().upper() for p in str(text or "").replace("，", ",").replace("、", ",").split(",")]
    items = [p for p in items if p]
    for p in items:
        if len(p) > 5 or not p.isalnum():
            raise CardInvalid(f"{label}“{p}”不正确，应为国民经济行业代码或其前缀，如H62")
    return items


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def parse_card(key: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A card's configuration from the editor's form, or CardInvalid with a Chinese message."""
    if key not in DEFAULTS:
        raise CardInvalid("评分卡不存在")
    name = str(values.get("name", "") or "").strip()
    if not name or len(name) > 50:
        raise CardInvalid("请填写评分卡名称（不超过50个字）")
    weights = {g: _number(values.get(f"weight_{g}", ""), f"“{label}”权重") for g, label in GROUPS.items()}
    total = sum(weights.values())
    if total != 100:
        raise CardInvalid(f"各指标组权重之和应为100，当前为{_plain(total)}")
    points = {}
    for ind in INDICATORS:
        p = _number(values.get(f"points_{ind.key}", ""), f"“{ind.label}”分值")
        if p > weights[ind.group]:
            raise CardInvalid(f"“{ind.label}”分值{_plain(p)}超过所属指标组“{GROUPS[ind.group]}”的权重"
                              f"{_plain(weights[ind.group])}")
        points[ind.key] = _plain(p)
    thresholds = {g: _number(values.get(f"threshold_{g}", ""), f"{g}级分数线") for g in GRADE_LETTERS}
    for higher, lower in zip(GRADE_LETTERS, GRADE_LETTERS[1:], strict=False):
        if thresholds[higher] <= thresholds[lower]:
            raise CardInvalid(f"{higher}级分数线应高于{lower}级分数线")
    industries = _prefixes(values.get("industries", ""), "行业代码")
    tags = [t.strip() for t in str(values.get("tags", "") or "").replace("，", ",").split(",") if t.strip()]
    if key == "default" and (industries or tags):
        raise CardInvalid("通用评分卡适用于其他评分卡未覆盖的全部主体，不能指定行业或标签")
    if key != "default" and not industries and not tags:
        raise CardInvalid("请填写该评分卡适用的行业代码或主体标签")
    return {"name": name, "industries": industries, "tags": tags,
            "weights": {g: _plain(w) for g, w in weights.items()}, "points": points,
            "thresholds": {g: _plain(t) for g, t in thresholds.items()}}


def form_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the editor shows for a configuration."""
    out: dict[str, Any] = {"name": config["name"], "industries": "、".join(config["industries"]),
                           "tags": "、".join(config["tags"])}
    out |= {f"weight_{g}": config["weights"][g] for g in GROUPS}
    out |= {f"points_{k}": config["points"][k] for k in BY_KEY}
    out |= {f"threshold_{g}": config["thresholds"][g] for g in GRADE_LETTERS}
    return out


# ------------------------------------------------------------------ editing


def can_edit(user: User) -> bool:
    """The cards are the city's: 部门领导 of a city-level department (信用监管科 and the like)."""
    return user.has_role("dept_leader") and region_root(user.department).level == DepartmentLevel.CITY


def _summary(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    parts = []
    for g, label in GROUPS.items():
        if old["weights"].get(g) != new["weights"][g]:
            parts.append(f"{label}权重 {old['weights'].get(g)}→{new['weights'][g]}")
    for ind in INDICATORS:
        if old["points"].get(ind.key) != new["points"][ind.key]:
            parts.append(f"{ind.label} {old['points'].get(ind.key)}→{new['points'][ind.key]}分")
    for g in GRADE_LETTERS:
        if old["thresholds"].get(g) != new["thresholds"][g]:
            parts.append(f"{g}级分数线 {old['thresholds'].get(g)}→{new['thresholds'][g]}")
    for field, label in (("name", "名称"), ("industries", "适用行业"), ("tags", "适用标签")):
        if old.get(field) != new[field]:
            parts.append(f"{label}已修改")
    return "；".join(parts) or "未修改"


def save_card(user: User, key: str, values: Mapping[str, Any], *, version: int | None) -> Scorecard:
    """Save a card (the editor's form) with a new version in its history; 409 when the form
    was made from an older version."""
    if not can_edit(user):
        raise Forbidden("只有市级部门的部门领导可以修改信用风险评分卡")
    config = parse_card(key, values)
    row = db.session.get(Scorecard, key, with_for_update=True)
    if (row.version if row else 0) != version:
        raise Conflict("评分卡已被他人修改，请刷新页面后重新填写")
    old = row.config if row else DEFAULTS[key]
    if row is None:
        row = Scorecard(key=key, config=config, version=1, updated_by_id=user.id, updated_at=utcnow())
        db.session.add(row)
    else:
        row.config, row.version, row.updated_by_id, row.updated_at = config, row.version + 1, user.id, utcnow()
    summary = _summary(old, config)
    db.session.add(ScorecardChange(card_key=key, version=row.version, config=config, summary=summary,
                                   changed_by_id=user.id, changed_at=utcnow()))
    audit.record("update", object_type="credit_scorecard", object_id=key,
                 summary={"评分卡": config["name"], "版本": row.version, "修改": summary}, user=user)
    db.session.flush()
    return row


def history(key: str, limit: int = 50) -> list[ScorecardChange]:
    return list(db.session.execute(
        select(ScorecardChange).where(ScorecardChange.card_key == key)
        .order_by(ScorecardChange.version.desc()).limit(limit)
    ).scalars())
