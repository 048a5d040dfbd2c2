"""What the 一户一档 shows of each collected fact kind (docs/dossier.md): the section's columns,
the date a fact takes on the life-cycle timeline (and the date it ends, when its ending is an
event of its own: a permit lapses, a listing is removed, an officer leaves), the one-line
title of its timeline event, and whether the kind is confidential (staff only).

The models are the fact tables of models/facts (信息归集); this module only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import models


def text(value: Any) -> str:
    """A cell: enums by their label, dates as 2026-03-05, amounts without trailing zeros."""
    if value is None:
        return ""
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        formatted = f"{value:,.6f}".rstrip("0").rstrip(".")
        return formatted
    return str(getattr(value, "value", value))


@dataclass(frozen=True)
class Column:
    attr: str
    title: str


@dataclass(frozen=True)
class KindSpec:
    key: str  # the timeline's kind filter and the section anchor
    label: str  # the section's title
    model_name: str  # a class of models (models/facts)
    date_attr: str  # the date the fact takes on the timeline
    event: str  # the timeline event's verb, e.g. 取得行政许可
    headline: tuple[str, ...]  # attributes joined into the event's title
    columns: tuple[Column, ...]
    confidential: bool = False  # shown to staff only (docs/dossier.md)
    end_attr: str = ""  # a second event: the fact's end
    end_event: str = ""

    @property
    def model(self) -> Any:
        return getattr(models, self.model_name)

    def cells(self, fact: Any) -> tuple[str, ...]:
        return tuple(text(getattr(fact, c.attr, None)) for c in self.columns)

    def title(self, fact: Any) -> str:
        parts = [text(getattr(fact, a, None)) for a in self.headline]
        return "，".join(p for p in parts if p)


def _cols(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(a, t) for a, t in pairs)


PERMIT = KindSpec(
    "permit", "行政许可", "Permit", "valid_from", "取得行政许可", ("name", "permit_no"),
    _cols(("permit_no", "许可证编号"), ("name", "许可名称"), ("kind", "许可类别"),
          ("issuing_department", "许可机关"), ("valid_from", "有效期自"), ("valid_to", "有效期至"),
          ("status", "状态")),
    end_attr="valid_to", end_event="行政许可有效期届满",
)
PENALTY = KindSpec(
    "penalty", "行政处罚", "Penalty", "decided_on", "受到行政处罚", ("violation", "decision_no"),
    _cols(("decision_no", "决定书文号"), ("decided_on", "处罚决定日期"), ("department", "处罚机关"),
          ("violation", "违法行为"), ("kind", "处罚种类"), ("amount", "罚没金额（元）"), ("status", "状态")),
)
SUPERVISION = KindSpec(
    "supervision", "监管信息", "SupervisionRecord", "inspected_on", "接受监督检查", ("department", "kind", "result"),
    _cols(("inspected_on", "检查日期"), ("department", "检查部门"), ("kind", "检查类型"), ("result", "检查结果"),
          ("handling", "处理情况")),
)
SANCTION = KindSpec(
    "sanction", "惩戒信息", "Sanction", "decided_on", "列入失信名单", ("list_kind", "reason"),
    _cols(("list_kind", "名单类别"), ("decided_on", "认定日期"), ("reason", "列入原因"),
          ("deciding_department", "认定部门"), ("valid_until", "有效期至"), ("removed_on", "移出日期")),
    confidential=True, end_attr="removed_on", end_event="移出失信名单",
)
ABNORMAL = KindSpec(
    "abnormal", "经营异常名录", "AbnormalListing", "listed_on", "列入经营异常名录", ("reason",),
    _cols(("listed_on", "列入日期"), ("reason", "列入原因"), ("deciding_department", "作出决定机关"),
          ("removed_on", "移出日期"), ("removal_reason", "移出原因")),
    end_attr="removed_on", end_event="移出经营异常名录",
)
CAPITAL = KindSpec(
    "capital", "出资信息", "CapitalContribution", "due_date", "认缴出资到期", ("shareholder", "subscribed_amount"),
    _cols(("shareholder", "股东（发起人）"), ("subscribed_amount", "认缴出资额（万元）"),
          ("paid_amount", "实缴出资额（万元）"), ("due_date", "认缴出资期限"), ("method", "出资方式"),
          ("year", "年度"), ("origin", "信息来源")),
)
OFFICER = KindSpec(
    "officer", "人员信息", "Officer", "from_date", "人员任职", ("role",),
    _cols(("role", "职务"), ("from_date", "任职起"), ("to_date", "任职止")),
    end_attr="to_date", end_event="人员离任",
)
COMPLAINT = KindSpec(
    "complaint", "投诉举报", "Complaint", "received_on", "收到投诉举报", ("channel", "subject"),
    _cols(("received_on", "受理日期"), ("channel", "渠道"), ("subject", "事项"), ("outcome", "处理结果")),
    confidential=True,
)
LAWSUIT = KindSpec(
    "lawsuit", "司法涉诉", "Lawsuit", "filed_on", "涉诉立案", ("court", "cause", "role"),
    _cols(("case_no", "案号"), ("filed_on", "立案日期"), ("court", "法院"), ("role", "诉讼地位"),
          ("cause", "案由"), ("status", "状态")),
    confidential=True,
)
OTHER = KindSpec(
    "other", "其他信息", "OtherFact", "occurred_on", "其他信息", ("category", "title"),
    _cols(("category", "类别"), ("title", "标题"), ("content", "内容"), ("occurred_on", "日期")),
)

# The dossier's order (issue 15 §5; seed 004 共享应用 1.1 一屏式档案展示).
KINDS: tuple[KindSpec, ...] = (
    PERMIT, PENALTY, SUPERVISION, SANCTION, ABNORMAL, CAPITAL, OFFICER, COMPLAINT, LAWSUIT, OTHER,
)
BY_KEY: dict[str, KindSpec] = {k.key: k for k in KINDS}

# The timeline's kinds: the fact kinds, the entity's own registration events and (under 监管)
# the platform's own published inspection results.
REGISTRATION = "registration"
TIMELINE_KINDS: tuple[tuple[str, str], ...] = (
    (REGISTRATION, "登记"), *((k.key, k.label) for k in KINDS),
)
