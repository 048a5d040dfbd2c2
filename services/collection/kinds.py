"""FACT_KINDS: every kind of collected fact (信息归集), its fields, natural key and rules.

Seed 004 信息归集内容 groups them as 许可、处罚、监管、惩戒、预警 and 其他信息; issue 15 lists
the kinds.  One declaration drives the online form, the import template and kind, the data
exchange and the dossier (docs/collection.md).  The natural key is what a re-import or a
correction updates by: the same key from the same department is a new version of the fact.
"""

from __future__ import annotations

from typing import Any

from models.facts import (
    CAPITAL_METHODS,
    CAPITAL_ORIGINS,
    LAWSUIT_ROLES,
    OFFICER_ROLES,
    PERMIT_STATUSES,
    SANCTION_LISTS,
    AbnormalListing,
    CapitalContribution,
    ClusterAddress,
    Complaint,
    Lawsuit,
    Officer,
    OtherFact,
    Penalty,
    Permit,
    Sanction,
    SupervisionRecord,
)
from services.collection import parse as p
from services.collection.fields import (
    FactField,
    FactKind,
    Subject,
    amount,
    choice,
    code,
    day,
    long_text,
    not_before,
    not_future,
    parse_uscc_or_id,
    requires,
    text,
)


def _annual_report_year(v: Any) -> list[tuple[str, str]]:
    return [("year", "信息来源为年报时须填写年度")] if v.get("origin") == "年报" and not v.get("year") else []


PERMIT = FactKind(
    "permit", "行政许可", "许可信息", Permit,
    (
        text("permit_no", "许可证编号", 100, required=True, width=24),
        text("name", "许可证名称", 200, required=True, width=24),
        text("kind", "许可类别", 100, note="如 食品经营、药品经营、特种设备使用"),
        text("issuing_department", "发证机关", 200, width=24),
        long_text("scope", "许可范围"),
        day("valid_from", "有效期起"),
        day("valid_to", "有效期止"),
        choice("status", "许可状态", PERMIT_STATUSES, default="有效", note="不填为“有效”"),
        long_text("change_note", "变更情况"),
    ),
    natural_key=("permit_no",), date_field="valid_from", title_field="permit_no",
    rules=(not_before("valid_to", "valid_from", "有效期止不能早于有效期起"),),
)

PENALTY = FactKind(
    "penalty", "行政处罚", "处罚信息", Penalty,
    (
        text("decision_no", "行政处罚决定书文号", 100, required=True, width=26),
        day("decided_on", "处罚决定日期", required=True),
        text("department", "处罚机关", 200, width=24),
        long_text("violation", "违法行为"),
        long_text("basis", "处罚依据"),
        text("kind", "处罚种类", 100, note="如 警告、罚款、没收违法所得、责令停产停业、吊销许可证件，多项用“、”分隔"),
        amount("amount", "罚没金额（元）"),
        text("status", "处罚状态", 20, note="如 已履行、未履行、已撤销"),
    ),
    natural_key=("decision_no",), date_field="decided_on", title_field="decision_no",
    rules=(not_future("decided_on"),),
)

SUPERVISION = FactKind(
    "supervision", "监管信息", "监管信息", SupervisionRecord,
    (
        day("inspected_on", "检查日期", required=True),
        text("department", "检查部门", 200, width=24),
        text("kind", "监管方式", 100, note="如 日常监管、抽查检查、专项整治"),
        long_text("result", "检查结果", required=True),
        long_text("handling", "处理情况"),
    ),
    natural_key=("@subject", "inspected_on", "department", "kind"), date_field="inspected_on",
    title_field="kind", rules=(not_future("inspected_on"),),
)

SANCTION = FactKind(
    "sanction", "惩戒信息", "惩戒信息", Sanction,
    (
        choice("list_kind", "名单类别", SANCTION_LISTS, required=True, width=18),
        day("decided_on", "认定日期", required=True),
        long_text("reason", "列入事由"),
        text("deciding_department", "认定部门", 200, width=24),
        day("valid_until", "有效期至"),
        day("removed_on", "移出日期"),
    ),
    natural_key=("list_kind", "@subject", "decided_on"), date_field="decided_on", title_field="list_kind",
    subject=Subject.ENTITY_OR_PERSON, confidential=True,
    rules=(
        not_future("decided_on", "removed_on"),
        not_before("valid_until", "decided_on", "有效期至不能早于认定日期"),
        not_before("removed_on", "decided_on", "移出日期不能早于认定日期"),
    ),
)

ABNORMAL = FactKind(
    "abnormal", "经营异常名录", "预警信息", AbnormalListing,
    (
        day("listed_on", "列入日期", required=True),
        long_text("reason", "列入原因", required=True),
        text("deciding_department", "作出决定机关", 200, width=24),
        day("removed_on", "移出日期"),
        long_text("removal_reason", "移出原因"),
    ),
    natural_key=("@subject", "listed_on"), date_field="listed_on", title_field="reason",
    rules=(
        not_future("listed_on", "removed_on"),
        not_before("removed_on", "listed_on", "移出日期不能早于列入日期"),
        requires("removal_reason", "removed_on", "填写移出原因时须填写移出日期"),
    ),
)

CAPITAL = FactKind(
    "capital", "出资信息", "其他信息", CapitalContribution,
    (
        text("shareholder", "股东（发起人）", 200, required=True, width=24),
        code("shareholder_id_no", "股东证件号码", parse_uscc_or_id,
             note="自然人股东填身份证号，单位股东填统一社会信用代码"),
        amount("subscribed_amount", "认缴出资额（万元）", unit="万元",
               note="单位：万元；可填 50、50万元、500,000元 或 伍拾万元"),
        amount("paid_amount", "实缴出资额（万元）", unit="万元",
               note="单位：万元；可填 50、50万元、500,000元 或 伍拾万元"),
        day("due_date", "认缴出资日期"),
        choice("method", "出资方式", CAPITAL_METHODS, default="货币", note="不填为“货币”"),
        FactField("year", "年度", p.parse_year, input="year", width=8, note="年报信息填写年报年度"),
        choice("origin", "信息来源", CAPITAL_ORIGINS, required=True),
    ),
    natural_key=("@subject", "shareholder", "origin", "year"), date_field="due_date", title_field="shareholder",
    rules=(_annual_report_year,),
)

OFFICER = FactKind(
    "officer", "人员信息", "其他信息", Officer,
    (
        choice("role", "职务", OFFICER_ROLES, required=True),
        day("from_date", "任职日期"),
        day("to_date", "离任日期"),
    ),
    natural_key=("@subject", "@person", "role"), date_field="from_date", title_field="role",
    subject=Subject.ENTITY_AND_PERSON,
    rules=(not_before("to_date", "from_date", "离任日期不能早于任职日期"),),
)

CLUSTER_ADDRESS = FactKind(
    "cluster_address", "集群注册地址", "其他信息", ClusterAddress,
    (
        text("address", "登记地址", 255, required=True, width=36),
        text("agent_name", "托管机构名称", 200, width=24),
        code("agent_code", "托管机构统一社会信用代码", p.parse_uscc),
    ),
    natural_key=("address", "@subject"), date_field=None, title_field="address",
    subject=Subject.OPTIONAL_ENTITY,
)

COMPLAINT = FactKind(
    "complaint", "投诉举报", "其他信息", Complaint,
    (
        day("received_on", "受理日期", required=True),
        text("channel", "来源渠道", 50, note="如 12315热线、全国12315平台、来信、来访"),
        text("subject", "投诉举报事项", 255, required=True, width=30),
        long_text("outcome", "处理结果"),
    ),
    natural_key=("@subject", "received_on", "subject"), date_field="received_on", title_field="subject",
    confidential=True, rules=(not_future("received_on"),),
)

LAWSUIT = FactKind(
    "lawsuit", "司法涉诉", "其他信息", Lawsuit,
    (
        text("case_no", "案号", 100, required=True, width=26),
        day("filed_on", "立案日期"),
        text("court", "审理法院", 200, width=24),
        choice("role", "诉讼地位", LAWSUIT_ROLES, required=True),
        text("cause", "案由", 255),
        text("status", "案件状态", 50, note="如 审理中、已结案、执行中"),
    ),
    natural_key=("case_no", "@subject"), date_field="filed_on", title_field="case_no",
    confidential=True, rules=(not_future("filed_on"),),
)

OTHER = FactKind(
    "other", "其他信息", "其他信息", OtherFact,
    (
        text("category", "信息类别", 50, required=True, note="如 股权冻结、正被立案、欠缴社保"),
        text("title", "事项", 255, required=True, width=30),
        long_text("content", "内容"),
        day("occurred_on", "发生日期"),
    ),
    natural_key=("@subject", "category", "title", "occurred_on"), date_field="occurred_on", title_field="title",
)

FACT_KINDS: dict[str, FactKind] = {
    k.name: k
    for k in (PERMIT, PENALTY, SUPERVISION, SANCTION, ABNORMAL, CAPITAL, OFFICER, CLUSTER_ADDRESS, COMPLAINT,
              LAWSUIT, OTHER)
}
KIND_OF_TABLE: dict[str, FactKind] = {k.table: k for k in FACT_KINDS.values()}


def get(name: str) -> FactKind | None:
    return FACT_KINDS.get(name)


def kind_of(fact: Any) -> FactKind:
    """The kind of a fact row."""
    return KIND_OF_TABLE[fact.__tablename__]


__all__ = ["FACT_KINDS", "FactField", "FactKind", "Subject", "get", "kind_of"]
