"""FACT_KINDS: each kind's own rules, its subject, and who may read the confidential kinds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.roles import Role
from services.collection.kinds import FACT_KINDS
from services.validators import uscc_check_char

CODE = "91510108MA6D00001" + uscc_check_char("91510108MA6D00001")
ID = "11010519491231002X"
ENTITY = {"统一社会信用代码": CODE}
PERSON = {"姓名": "张三", "身份证号": ID}


def errors(kind: str, record: dict) -> dict[str, str]:
    return FACT_KINDS[kind].check(record).errors


@pytest.mark.parametrize(
    "kind, record, key, message",
    [
        ("permit", {**ENTITY, "许可证编号": "X", "许可证名称": "X", "有效期起": "2026-05-01", "有效期止": "2026-04-30"},
         "valid_to", "有效期止不能早于有效期起"),
        ("permit", {**ENTITY, "许可证编号": "X", "许可证名称": "X", "许可状态": "作废"}, "status", "有效、注销、吊销、撤销、过期"),
        ("permit", {**ENTITY, "许可证名称": "X"}, "permit_no", "必填"),
        ("penalty", {**ENTITY, "行政处罚决定书文号": "X", "处罚决定日期": "2099-01-01"}, "decided_on", "不能晚于今天"),
        ("penalty", {**ENTITY, "行政处罚决定书文号": "X", "处罚决定日期": "2026-01-05", "罚没金额（元）": "-1"}, "amount",
         "金额不能为负数"),
        ("supervision", {**ENTITY, "检查日期": "2026-01-05"}, "result", "必填"),
        ("sanction", {"名单类别": "失信被执行人", "认定日期": "2026-01-05", "有效期至": "2025-01-01", "自然人姓名": "张三",
                      "身份证号": ID}, "valid_until", "有效期至不能早于认定日期"),
        ("sanction", {**ENTITY, "自然人姓名": "张三", "身份证号": ID, "名单类别": "失信被执行人", "认定日期": "2026-01-05"},
         "uscc", "二者只填其一"),
        ("sanction", {"名单类别": "失信被执行人", "认定日期": "2026-01-05"}, "id_number", "二者只填其一"),
        ("sanction", {"身份证号": ID, "名单类别": "失信被执行人", "认定日期": "2026-01-05"}, "person_name", "必填"),
        ("abnormal", {**ENTITY, "列入日期": "2026-01-05", "列入原因": "X", "移出日期": "2026-01-04"}, "removed_on",
         "移出日期不能早于列入日期"),
        ("abnormal", {**ENTITY, "列入日期": "2026-01-05", "列入原因": "X", "移出原因": "已补报"}, "removal_reason",
         "须填写移出日期"),
        ("capital", {**ENTITY, "股东（发起人）": "甲", "信息来源": "年报"}, "year", "须填写年度"),
        ("capital", {**ENTITY, "股东（发起人）": "甲", "信息来源": "即时信息", "出资方式": "期权"}, "method", "货币、非货币"),
        ("capital", {**ENTITY, "股东（发起人）": "甲", "信息来源": "即时信息", "股东证件号码": ID[:17] + "1"},
         "shareholder_id_no", "身份证号"),
        ("officer", {**ENTITY, "职务": "董事"}, "id_number", "必填"),
        ("officer", {**ENTITY, **PERSON, "职务": "会计"}, "role", "法定代表人、董事、监事、经理、执行董事"),
        ("officer", {**ENTITY, **PERSON, "职务": "董事", "任职日期": "2026-01-05", "离任日期": "2025-01-05"}, "to_date",
         "离任日期不能早于任职日期"),
        ("cluster_address", {"托管机构名称": "X"}, "address", "必填"),
        ("cluster_address", {"登记地址": "X", "托管机构统一社会信用代码": CODE[:17] + "0"}, "agent_code", "校验码"),
        ("complaint", {**ENTITY, "受理日期": "2026-01-05"}, "subject", "必填"),
        ("lawsuit", {**ENTITY, "案号": "X", "诉讼地位": "证人"}, "role", "原告、被告、第三人、被执行人"),
        ("other", {**ENTITY, "事项": "冻结"}, "category", "必填"),
        ("other", {"信息类别": "股权冻结", "事项": "冻结"}, "uscc", "至少填写一项"),
    ],
)
def test_each_kinds_rules(kind, record, key, message):
    found = errors(kind, record)
    assert key in found and message in found[key], found


@pytest.mark.parametrize(
    "kind, record, expected",
    [
        ("permit", {**ENTITY, "许可证编号": "X", "许可证名称": "X"}, {"status": "有效"}),
        ("penalty", {**ENTITY, "行政处罚决定书文号": "X", "处罚决定日期": 46027, "罚没金额（元）": "伍拾万"},
         {"decided_on": date(2026, 1, 5), "amount": Decimal("500000.00")}),
        ("capital", {**ENTITY, "股东（发起人）": "甲", "信息来源": "年报", "年度": 2025.0, "认缴出资额（万元）": "50万元"},
         {"method": "货币", "year": 2025, "subscribed_amount": Decimal("50")}),
        ("capital", {**ENTITY, "股东（发起人）": "某公司", "信息来源": "即时信息", "股东证件号码": CODE.lower()},
         {"shareholder_id_no": CODE}),
        ("cluster_address", {"登记地址": "甲区科技路1号", "托管机构名称": "甲区商务秘书有限公司"}, {"address": "甲区科技路1号"}),
        ("sanction", {"自然人姓名": "张三", "身份证号": ID.lower(), "名单类别": "失信被执行人", "认定日期": "2025年6月1日"},
         {"id_number": ID, "decided_on": date(2025, 6, 1)}),
    ],
)
def test_valid_records_are_normalised(kind, record, expected):
    checked = FACT_KINDS[kind].check(record)
    assert checked.valid, checked.errors
    assert {k: checked.values[k] for k in expected} == expected


class _User:
    def __init__(self, *roles: Role) -> None:
        self.roles = {str(r) for r in roles}

    def has_role(self, *roles: Role) -> bool:
        return any(str(r) in self.roles for r in roles)


def test_confidential_kinds_are_for_staff_only():
    confidential = {name for name, k in FACT_KINDS.items() if k.confidential}
    assert confidential == {"sanction", "complaint", "lawsuit"}
    partner, api, inspector = _User(Role.PARTNER), _User(Role.API_CLIENT), _User(Role.INSPECTOR)
    for name in confidential:
        assert not FACT_KINDS[name].visible_to(partner) and not FACT_KINDS[name].visible_to(api)
        assert FACT_KINDS[name].visible_to(inspector)
    assert FACT_KINDS["permit"].visible_to(partner)


def test_every_kind_names_its_model_date_and_key():
    for kind in FACT_KINDS.values():
        assert kind.table.startswith("fact_")
        keys = {f.key for f in kind.all_fields}
        assert kind.title_field in keys
        assert kind.date_field is None or kind.date_field in keys
        assert all(k.startswith("@") or k in keys for k in kind.natural_key)
        for f in kind.fields:
            assert hasattr(kind.model, f.key), (kind.name, f.key)
