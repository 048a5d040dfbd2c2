"""services.entities and services.entity_import: field rules, registries, search, the verbs,
and the import of messy workbooks and CSVs (re-import updates, all or nothing)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import ExcelError
from infrastructure.validators import uscc_check_char
from models import AuditEvent, EntityTag, ImportBatch, ImportStatus, MarketEntity
from models.entity import EntityStatus, EntityType
from persistence import audit
from services import entities as svc
from services import entity_fields, entity_search
from services import entity_import as imp
from services.entity_fields import FieldError
from services.imports import entities as ent
from services.imports import framework
from tests.factories.entity_rows import HEADER, U1, U2, messy, row, xlsx
from workflows import engine


def uscc(body: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    assert len(body) == 17
    return body + uscc_check_char(body)


U_B = uscc("91510109MA6CX0009")


def raw(**overrides):
    """Form values for a valid entity of district A (division 510108)."""
    values = {
        "name": "成都甲区测试餐饮有限公司",
        "uscc": U1,
        "reg_no": "",
        "entity_type": "enterprise",
        "legal_rep": "张三",
        "domicile": "甲区建设路1号",
        "business_address": "甲区建设路2号",
        "division_code": "510108001000",
        "division_name": "甲区",
        "industry_code": "H6210",
        "industry_name": "正餐服务",
        "business_scope": "餐饮服务；食品销售",
        "status": "active",
        "established_on": "2015-03-04",
        "registered_capital": "100.5",
        "phone": "028-84321234",
        "tags": "餐饮、重点",
        "credit_grade": "B",
        "credit_grade_source": "国家“互联网+监管”系统",
        "credit_grade_on": "2024-06-30",
    }
    values.update(overrides)
    return values


@pytest.fixture()
def make_entity(org, session):
    def make(actor=None, **overrides):
        entity = svc.create_entity(actor or org.clerk_a, raw(**overrides))
        session.commit()
        return entity

    return make


# ------------------------------------------------------------------ field rules


def test_uscc_rules():
    assert entity_fields.parse_uscc(U1) == U1
    assert entity_fields.parse_uscc(" " + U1.lower() + " ") == U1
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in U1)
    assert entity_fields.parse_uscc(full_width) == U1
    assert entity_fields.parse_uscc("") is None and entity_fields.parse_uscc(None) is None
    with pytest.raises(FieldError, match="校验码"):
        entity_fields.parse_uscc(U1[:17] + ("0" if U1[17] != "0" else "1"))
    with pytest.raises(FieldError, match="应为18位"):
        entity_fields.parse_uscc(U1[:16])
    with pytest.raises(FieldError, match="不使用的字符"):
        entity_fields.parse_uscc("91510108MA6CX000I1")
    with pytest.raises(FieldError, match="科学计数法"):
        entity_fields.parse_uscc(9.1e17)
    with pytest.raises(FieldError, match="科学计数法"):
        entity_fields.parse_uscc("9.1E+17")
    with pytest.raises(FieldError, match="文本"):
        entity_fields.parse_uscc(915101081234)


def test_fast_check_character_agrees_with_the_validator():
    import random

    rnd = random.Random(3)
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(2000):
        body = "".join(rnd.choice(charset) for _ in range(17))
        assert entity_fields._uscc_check(body) == uscc_check_char(body)


def test_code_columns_that_arrived_as_numbers():
    assert entity_fields.parse_reg_no(510108000123456.0) == "510108000123456"  # 15 digits are exact in Excel
    with pytest.raises(FieldError, match="科学计数法"):
        entity_fields.parse_reg_no(5.10108000123456e16)
    with pytest.raises(FieldError, match="科学计数法"):
        entity_fields.parse_reg_no("5.1E+14")
    assert entity_fields.parse_division(510108001000.0) == "510108001000"
    with pytest.raises(FieldError, match="6位、9位或12位"):
        entity_fields.parse_division("51010")
    assert entity_fields.parse_industry(5211.0) == "F5211"
    with pytest.raises(FieldError, match="开头的0"):
        entity_fields.parse_industry(111.0)  # 0111 lost its leading zero


def test_industry_codes():
    assert entity_fields.parse_industry("f5211") == "F5211"
    assert entity_fields.parse_industry("5211") == "F5211"
    assert entity_fields.parse_industry("0111") == "A0111"
    assert entity_fields.parse_industry("F52") == "F52"
    assert entity_fields.parse_industry("H") == "H"
    assert entity_fields.parse_industry("") == ""
    with pytest.raises(FieldError, match="属于F门类"):
        entity_fields.parse_industry("A5211")
    with pytest.raises(FieldError, match="没有“99”"):
        entity_fields.parse_industry("9911")
    with pytest.raises(FieldError, match="门类字母"):
        entity_fields.parse_industry("F5-11")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 1, 5), date(2024, 1, 5)),
        (datetime(2024, 1, 5, 10, 30), date(2024, 1, 5)),
        (45296, date(2024, 1, 5)),  # Excel serial number
        (45296.0, date(2024, 1, 5)),
        ("45296", date(2024, 1, 5)),  # a serial number that arrived as text (CSV)
        ("2024/1/5", date(2024, 1, 5)),
        ("2024-01-05", date(2024, 1, 5)),
        ("2024.1.5", date(2024, 1, 5)),
        ("20240105", date(2024, 1, 5)),
        (20240105, date(2024, 1, 5)),
        ("2024年1月5日", date(2024, 1, 5)),
        ("２０２４－０１－０５", date(2024, 1, 5)),
        ("2024-01-05 00:00:00", date(2024, 1, 5)),
        ("", None),
    ],
)
def test_dates(value, expected):
    assert entity_fields.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", "日期不存在"),
        ("5/1/2024", "日期格式不正确"),
        ("明年", "日期格式不正确"),
        ("TOMORROW", "不能晚于今天"),  # computed when the test runs, not when it is collected
        ("1899-12-31", "合理范围"),
    ],
)
def test_bad_dates(value, message):
    if value == "TOMORROW":
        value = clock.china_today() + timedelta(days=1)
    with pytest.raises(FieldError, match=message):
        entity_fields.parse_date(value)


def test_capital():
    assert entity_fields.parse_capital("100.5") == Decimal("100.5")
    assert entity_fields.parse_capital(100.5) == Decimal("100.5")
    assert entity_fields.parse_capital("1,000万元") == Decimal("1000")
    assert entity_fields.parse_capital("￥35.5万") == Decimal("35.5")
    assert entity_fields.parse_capital("") is None
    for bad in ("一百万", "-3", "1.1234567", "5000元"):
        with pytest.raises(FieldError):
            entity_fields.parse_capital(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        (13812345678, "13812345678"),
        ("028-86123456", "028-86123456"),
        ("02886123456", "028-86123456"),
        ("(028)86123456", "028-86123456"),
        ("（028）86123456转801", "028-86123456-801"),
        ("0755-2234567", "0755-2234567"),
        ("400-123-4567", "400-123-4567"),
        (4001234567, "400-123-4567"),
        ("028-86123456、13812345678", "028-86123456、13812345678"),
        ("028-86123456 13812345678", "028-86123456、13812345678"),
        ("", ""),
    ],
)
def test_phones(value, expected):
    assert entity_fields.normalize_phone(value) == expected


@pytest.mark.parametrize(
    "value",
    # a local number never begins with 0 or 1 (infrastructure.validators); 2886123456 lost its 0
    ["12345", "028-1234", "1381234567", 2886123456, "13812345678、1、2、3", "028-12345678", "0755-1234567"],
)
def test_bad_phones(value):
    with pytest.raises(FieldError):
        entity_fields.normalize_phone(value)


def test_choices_grades_and_tags():
    assert entity_fields.parse_entity_type("个体工商户") == EntityType.INDIVIDUAL
    assert entity_fields.parse_entity_type("个体户") == EntityType.INDIVIDUAL
    assert entity_fields.parse_entity_type("non_profit") == EntityType.NON_PROFIT
    with pytest.raises(FieldError, match="应为：企业、个体工商户"):
        entity_fields.parse_entity_type("公司")
    assert entity_fields.parse_status("存续（在营、开业、在册）") == EntityStatus.ACTIVE
    assert entity_fields.parse_status("吊销，未注销") == EntityStatus.REVOKED
    assert entity_fields.parse_status("吊销,已注销") == EntityStatus.CANCELLED
    assert entity_fields.parse_grade(" b级 ") == "B"
    with pytest.raises(FieldError):
        entity_fields.parse_grade("F")
    assert entity_fields.parse_tags("餐饮、重点, 餐饮；食品") == ["餐饮", "重点", "食品"]
    with pytest.raises(FieldError):
        entity_fields.parse_tags("x" * 31)


def test_parse_fields_requires_a_code_and_the_required_fields():
    values, errors = entity_fields.parse_fields(raw(uscc="", reg_no="", name="", credit_grade="", phone="12"))
    assert errors["uscc"] == entity_fields.ONE_OF_MESSAGE
    assert errors["name"] == "必填"
    assert "phone" in errors
    assert errors["credit_grade"].startswith("填写了评定日期")
    assert values["industry_code"] == "H6210"


def test_region_prefix():
    assert svc.region_prefix("510100") == "5101"
    assert svc.region_prefix("510000") == "51"
    assert svc.region_prefix("510108") == "510108"
    assert svc.region_prefix("510110") == "510110"
    assert svc.region_prefix("510108001000") == "510108001"
    assert svc.region_prefix("") == ""


# ------------------------------------------------------------------ registries and verbs


def test_registries_follow_the_division(org):
    district = svc.Registries(org.clerk_a)
    assert district.root.id == org.district_a.id
    assert district.owner("510108001000") == org.district_a.id
    assert district.owner("510109001000") is None
    city = svc.Registries(make_city_clerk(org))
    assert city.owner("510108") == org.district_a.id
    assert city.owner("510109001") == org.district_b.id
    assert city.owner("510199") == org.city.id
    assert city.owner("440100") is None


def make_city_clerk(org):
    from models import User, UserRole, db
    from models.roles import Role

    user = User(account="cityclerk", name="市局经办人", department=org.city, password_hash="x", must_change_password=False)
    user.roles = [UserRole(role=str(Role.CLERK))]
    db.session.add(user)
    db.session.commit()
    return user


def test_create_writes_the_entity_its_tags_and_an_audit_row(org, make_entity, session):
    entity = make_entity()
    assert entity.department_id == org.district_a.id
    assert entity.entity_type == EntityType.ENTERPRISE
    assert entity.registered_capital == Decimal("100.5")
    assert entity.tag_names == ["重点", "餐饮"]
    assert entity.credit_grade == "B" and entity.credit_grade_on == date(2024, 6, 30)
    rows = svc.history(entity)
    assert [r.action for r in rows] == ["create"] and rows[0].user_id == org.clerk_a.id


def test_create_refuses_duplicates_other_districts_and_non_clerks(org, make_entity):
    make_entity()
    with pytest.raises(Invalid) as exc:
        svc.create_entity(org.clerk_a, raw(name="另一家"))
    assert exc.value.field == "uscc" and "已登记" in exc.value.message
    with pytest.raises(Invalid) as exc:
        svc.create_entity(org.clerk_a, raw(uscc=U2, division_code="510109001000"))
    assert exc.value.field == "division_code" and "不在本辖区" in exc.value.message
    with pytest.raises(Forbidden):
        svc.create_entity(org.leader_a, raw(uscc=U2))
    with pytest.raises(Invalid) as exc:
        svc.create_entity(org.clerk_a, raw(uscc=U2, phone="12345"))
    assert exc.value.field == "phone"


def test_update_records_the_changes_and_a_city_clerk_moves_an_entity(org, make_entity, session):
    entity = make_entity()
    changes = svc.update_entity(org.clerk_a, entity, raw(phone="13812345678", credit_grade="D", tags="重点"))
    session.commit()
    assert changes["联系电话"] == ["028-84321234", "13812345678"]
    assert changes["信用风险等级"] == ["B", "D"]
    assert changes["标签"] == ["重点、餐饮", "重点"]
    assert svc.update_entity(org.clerk_a, entity, raw(phone="13812345678", credit_grade="D", tags="重点")) == {}
    city = make_city_clerk(org)
    changes = svc.update_entity(city, entity, raw(division_code="510109002000", tags="重点"))
    session.commit()
    assert entity.department_id == org.district_b.id
    assert changes["所属主体库"] == ["甲区", "乙区"]
    assert [r.action for r in svc.history(entity)] == ["update", "update", "create"]


def test_scope_district_users_see_their_district_only(org, make_entity):
    from persistence.scope import in_scope

    entity = make_entity()
    assert in_scope(org.clerk_a, entity)
    assert in_scope(org.inspector_a, entity)  # a 市场监管所 under the bureau
    assert in_scope(org.health_clerk, entity)  # another department of the district
    assert not in_scope(org.clerk_b, entity)
    assert in_scope(make_city_clerk(org), entity)
    page = entity_search.search_entities(org.clerk_b, entity_search.EntityFilters())
    assert page.items == [] and page.total == 0


def test_tags_and_delete(org, make_entity, session):
    entity = make_entity()
    assert svc.set_tags(org.clerk_a, entity, "食品、 重点") == ["重点", "食品"]
    session.commit()
    with pytest.raises(Invalid):
        svc.set_tags(org.clerk_a, entity, "x" * 40)
    session.rollback()
    ident = entity.id
    svc.delete_entity(org.clerk_a, entity)
    session.commit()
    assert session.get(MarketEntity, ident) is None
    assert session.scalar(select(func.count()).select_from(EntityTag).where(EntityTag.entity_id == ident)) == 0
    assert session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_type == "market_entity", AuditEvent.object_id == str(ident), AuditEvent.action == "delete"
        )
    ) == 1


def test_an_entity_a_process_refers_to_cannot_be_deleted(org, make_entity, session):
    entity = make_entity()
    inst = engine.start(7, org.clerk_a, title="某事项", subject_type="market_entity", subject_id=entity.id)
    session.commit()
    assert "业务流程引用" in svc.delete_refusal(entity)
    with pytest.raises(Conflict):
        svc.delete_entity(org.clerk_a, entity)
    assert [i.id for i in session.execute(svc.linked_instances_query(org.clerk_a, entity)).scalars()] == [inst.id]
    assert list(session.execute(svc.linked_instances_query(org.clerk_b, entity)).scalars()) == []


# ------------------------------------------------------------------ search


@pytest.fixture()
def registry(org, make_entity, session):
    """Six entities of district A and one of district B."""
    made = [
        make_entity(name="锦城餐饮有限公司", uscc=uscc("91510108MA6CX1001"), industry_code="H6210", credit_grade="C",
                    tags="重点", business_scope="餐饮服务"),
        make_entity(name="锦城药房", uscc=uscc("92510108MA6CX1002"), entity_type="individual", industry_code="F5251",
                    credit_grade="C", tags="药品", business_scope="药品零售", division_code="510108002000"),
        make_entity(name="蓉华超市", uscc="", reg_no="510108600000001", industry_code="F5212", credit_grade="A",
                    tags="", business_scope="日用百货", status="revoked"),
        make_entity(name="天府科技", uscc=uscc("91510108MA6CX1004"), industry_code="I6513", credit_grade="",
                    credit_grade_on="", tags="", business_scope="软件开发"),
        make_entity(name="锦绣农业合作社", uscc=uscc("93510108MA6CX1005"), entity_type="cooperative",
                    industry_code="A0111", credit_grade="E", tags="", business_scope="种植"),
        make_entity(name="和美便利店", uscc=uscc("92510108MA6CX1006"), entity_type="individual", industry_code="F5212",
                    credit_grade="C", tags="重点", business_scope="食品销售"),
    ]
    other = svc.create_entity(org.clerk_b, raw(name="锦城乙区分店", uscc=U_B, division_code="510109001000", tags=""))
    session.commit()
    return made, other


def names(page):
    return [e.name for e in page.items]


def search(user, **args):
    return entity_search.search_entities(user, entity_search.parse_filters(args))


def test_search_filters(org, registry):
    a = org.clerk_a
    assert names(search(a)) == ["和美便利店", "锦绣农业合作社", "天府科技", "蓉华超市", "锦城药房", "锦城餐饮有限公司"]
    assert names(search(a, name="锦城")) == ["锦城药房", "锦城餐饮有限公司"]  # not B's 锦城乙区分店
    assert names(search(a, name="药房")) == []  # a prefix by default
    assert names(search(a, name="超市", contains="1", industry="F52")) == ["蓉华超市"]
    assert names(search(a, code="510108600000001")) == ["蓉华超市"]
    assert names(search(a, code=uscc("91510108MA6CX1004").lower())) == ["天府科技"]
    assert names(search(a, division="510108002")) == ["锦城药房"]
    assert names(search(a, industry="F52")) == ["和美便利店", "蓉华超市", "锦城药房"]
    assert names(search(a, industry="5212")) == ["和美便利店", "蓉华超市"]
    assert names(search(a, division="510108", industry="F52", grade="C")) == ["和美便利店", "锦城药房"]
    assert names(search(a, grade="E")) == ["锦绣农业合作社"]
    assert names(search(a, tag="重点")) == ["和美便利店", "锦城餐饮有限公司"]
    assert names(search(a, type="individual")) == ["和美便利店", "锦城药房"]
    assert names(search(a, status="revoked")) == ["蓉华超市"]
    assert names(search(a, scope="零售", industry="F")) == ["锦城药房"]
    assert names(search(org.clerk_b, name="锦城")) == ["锦城乙区分店"]


def test_contains_and_scope_keyword_scan_a_bounded_set_only(org, registry, monkeypatch):
    assert names(search(org.clerk_a, name="药房", contains="1")) == ["锦城药房"]
    assert names(search(org.clerk_a, scope="种植")) == ["锦绣农业合作社"]
    monkeypatch.setattr(entity_search, "SCAN_LIMIT", 3)  # six entities are now too many to scan
    filters = entity_search.parse_filters({"name": "药房", "contains": "1"})
    assert names(entity_search.search_entities(org.clerk_a, filters)) == []  # a prefix search instead
    assert len(filters.problems) == 1 and "名称包含" in filters.problems[0] and "已按名称开头查询" in filters.problems[0]
    assert names(search(org.clerk_a, name="药房", contains="1", industry="F5251")) == ["锦城药房"]
    filters = entity_search.parse_filters({"scope": "种植"})
    assert len(entity_search.search_entities(org.clerk_a, filters).items) == 6 and "已忽略经营范围关键字" in filters.problems[0]
    assert names(search(org.clerk_a, scope="种植", grade="E")) == ["锦绣农业合作社"]
    filters = entity_search.parse_filters({"division": "51x", "industry": "??"})
    assert not filters.division and not filters.industry and len(filters.problems) == 2


@pytest.mark.parametrize("lead_limit", [0, 5_000])
def test_steering_the_plan_never_changes_the_result(org, registry, monkeypatch, lead_limit):
    """A selective name prefix leads the search (the code ranges are written so that no index
    serves them); a shared one does not.  Either way the rows are the same."""
    monkeypatch.setattr(entity_search, "NAME_LEAD_LIMIT", lead_limit)
    a = org.clerk_a
    assert names(search(a, name="锦城", division="510108")) == ["锦城药房", "锦城餐饮有限公司"]
    assert names(search(a, name="锦城", division="510108002", industry="F")) == ["锦城药房"]
    assert names(search(a, name="锦", industry="F52", grade="C")) == ["锦城药房"]
    page = search(a, name="锦")
    assert names(page) == ["锦绣农业合作社", "锦城药房", "锦城餐饮有限公司"] and page.total == 3


def test_keyset_pages_and_the_capped_count(org, registry):
    a = org.clerk_a
    filters = entity_search.EntityFilters()
    first = entity_search.search_entities(a, filters, per_page=4)
    assert len(first.items) == 4 and first.has_next and not first.has_prev and first.total == 6
    second = entity_search.search_entities(a, filters, after=first.next_after, per_page=4)
    assert len(second.items) == 2 and not second.has_next and second.has_prev
    back = entity_search.search_entities(a, filters, before=second.prev_before, per_page=4)
    assert [e.id for e in back.items] == [e.id for e in first.items] and not back.has_prev
    n, capped = entity_search.count_entities(entity_search.entity_query(a, filters), cap=3)
    assert (n, capped) == (3, True)
    n, capped = entity_search.count_entities(entity_search.entity_query(a, filters), cap=6)
    assert (n, capped) == (6, False)


# ------------------------------------------------------------------ import


def test_check_messy_rows(org, session):
    check = imp.check_import(org.clerk_a, "名录.xlsx", messy())
    by_row = {r.number: r for r in check.rows}
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15]
    assert by_row[3].valid and by_row[3].values["established_on"] == date(2024, 1, 5)
    assert by_row[3].values["tags"] == ["餐饮", "重点"]
    r4 = by_row[4]
    assert r4.valid, r4.errors
    assert r4.values["name"] == "鲜果店" and r4.values["uscc"] == U2 and r4.values["phone"] == "028-84321234"
    assert r4.values["entity_type"] == EntityType.INDIVIDUAL and r4.values["established_on"] == date(2024, 1, 5)

    def messages(n):
        return " ".join(f"{c}：{m}" for c, m in by_row[n].errors)

    assert "统一社会信用代码" in messages(5) and "科学计数法" in messages(5) and "文本" in messages(5)
    assert "科学计数法" in messages(6)
    assert "与第8行重复" in messages(7) and "与第7行重复" in messages(8)
    assert "至少填写一项" in messages(9)
    assert "主体名称：必填" in messages(10) and "校验码" in messages(10)
    assert "主体类型" in messages(12) and "登记状态" in messages(12) and "信用风险等级" in messages(12)
    assert "成立日期" in messages(13) and "注册资本" in messages(13) and "联系电话" in messages(13)
    assert "不在本辖区" in messages(14)
    r15 = by_row[15]
    assert r15.valid, r15.errors
    assert r15.values["industry_code"] == "F5211" and r15.values["division_code"] == "510108001000"
    summary = check.summary()
    assert summary["valid"] == 3 and summary["invalid"] == 9 and summary["create"] == 3


def test_import_then_reimport_updates_instead_of_duplicating(org, session, monkeypatch):
    monkeypatch.setattr(ent, "ANALYZE_AFTER_ROWS", 1)  # refresh the planner's statistics too
    batch, check = framework.upload(ent.KIND, org.clerk_a, "名录.xlsx", messy(), {})
    session.commit()
    summary = framework.confirm(ent.KIND, org.clerk_a, batch, valid_only=True)
    session.commit()
    assert summary["新增"] == 3 and summary["跳过问题行"] == 9
    assert batch.status == ImportStatus.IMPORTED and batch.content == b""
    entity = session.execute(select(MarketEntity).where(MarketEntity.uscc == U1)).scalar_one()
    assert entity.tag_names == ["重点", "餐饮"] and entity.department_id == org.district_a.id
    assert [e.action for e in svc.history(entity)] == ["create"]
    assert json.loads(svc.history(entity)[0].summary)["批次"] == batch.id

    again = xlsx(
        [
            row("好味餐饮有限公司（更名）", U1, 联系电话=None, 标签="食品", 信用风险等级="D", **{"法定代表人（负责人）": None}),
            row("注册号主体", uscc("91510108MA6CX0123"), "510108600000123"),  # gains its uscc
            row("新主体", uscc("91510108MA6CX0124")),
        ]
    )
    batch2, check2 = framework.upload(ent.KIND, org.clerk_a, "名录2.xlsx", again, {})
    assert [r.row.target_id is not None for r in check2.rows] == [True, True, False]
    session.commit()
    summary2 = framework.confirm(ent.KIND, org.clerk_a, batch2, valid_only=True)
    session.commit()
    assert (summary2["新增"], summary2["更新"]) == (1, 2)
    session.expire_all()
    entity = session.get(MarketEntity, entity.id)
    assert entity.name == "好味餐饮有限公司（更名）" and entity.credit_grade == "D"
    assert entity.phone == "13812345678" and entity.legal_rep == "张三"  # blank cells keep the values
    assert entity.tag_names == ["重点", "食品", "餐饮"]  # tags are added
    update = json.loads(svc.history(entity)[0].summary)
    assert update["主体名称"] == ["好味餐饮有限公司", "好味餐饮有限公司（更名）"] and update["追加标签"] == "食品"
    by_reg = session.execute(select(MarketEntity).where(MarketEntity.reg_no == "510108600000123")).scalar_one()
    assert by_reg.uscc == uscc("91510108MA6CX0123")
    assert session.scalar(select(func.count()).select_from(MarketEntity)) == 4
    # the same file once more: nothing changes, nothing is recorded against the entities
    rows_before = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "market_entity"))
    batch3, _ = framework.upload(ent.KIND, org.clerk_a, "名录2.xlsx", again, {})
    session.commit()
    summary3 = framework.confirm(ent.KIND, org.clerk_a, batch3, valid_only=True)
    session.commit()
    assert (summary3["新增"], summary3["更新"], summary3["无变化"], summary3["新增标签"]) == (0, 0, 3, 0)
    assert session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "market_entity")
    ) == rows_before
    checked, problems = audit.verify()
    assert problems == [] and checked > 6


def test_reimport_refuses_conflicts_and_other_districts(org, session):
    svc.create_entity(org.clerk_a, raw(uscc=U1, reg_no="510108600000001"))
    svc.create_entity(org.clerk_a, raw(uscc=U2, reg_no="510108600000002"))
    svc.create_entity(org.clerk_b, raw(uscc=U_B, division_code="510109001000"))
    session.commit()
    check = imp.check_import(
        org.clerk_a,
        "x.xlsx",
        xlsx([
            row("一", U1, "510108600000002"),  # uscc of one entity, reg_no of another
            row("二", uscc("91510108MA6CX0777"), "510108600000001"),  # reg_no known under another uscc
            row("三", U_B),  # registered in district B
        ]),
    )
    errors = [" ".join(m for _, m in r.errors) for r in check.rows]
    assert "另一主体" in errors[0]
    assert U1 in errors[1]
    assert "其他辖区" in errors[2]


def test_import_is_all_or_nothing(org, session, monkeypatch):
    batch, _ = framework.upload(ent.KIND, org.clerk_a, "名录.xlsx", messy(), {})
    session.commit()

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ent, "add_tags_bulk", boom)
    with pytest.raises(RuntimeError):
        framework.confirm(ent.KIND, org.clerk_a, batch, valid_only=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(MarketEntity)) == 0
    assert session.get(ImportBatch, batch.id).status == ImportStatus.PENDING


def test_formula_cells_are_reported_by_row_and_column(org):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(row("公式主体", U1))
    ws.append(row("公式二", U2))
    ws["P3"] = "=A2"  # 联系电话 of row 3
    buf = io.BytesIO()
    wb.save(buf)
    check = imp.check_import(org.clerk_a, "f.xlsx", buf.getvalue())
    assert check.rows[0].valid
    assert check.rows[1].errors == [("联系电话", imp.FORMULA)]
    assert check.summary()["formulas"] == {"3": [15]}


def test_csv_in_gbk_and_utf8_with_bom(org, session):
    def make_csv(rows) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(HEADER)
        for r in rows:
            writer.writerow(["" if v is None else v for v in r])
        return buf.getvalue()

    text = make_csv([row("甲区豆花饭", U1, 成立日期="45296"), row("科学计数法", "9.1E+17")])
    for data in (text.encode("gbk"), text.encode("gb18030"), text.encode("utf-8-sig"), text.encode("utf-8")):
        check = imp.check_import(org.clerk_a, "名录.csv", data)
        assert check.kind == "csv"
        assert check.rows[0].valid, check.rows[0].errors
        assert check.rows[0].values["name"] == "甲区豆花饭"
        assert check.rows[0].values["established_on"] == date(2024, 1, 5)
        assert "科学计数法" in check.rows[1].errors[0][1]
    batch, _ = framework.upload(ent.KIND, org.clerk_a, "名录.csv", text.encode("gbk"), {})
    session.commit()
    copy, ext = framework.annotated_file(ent.KIND, org.clerk_a, batch)
    assert ext == "csv" and copy.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(copy.decode("utf-8-sig"))))
    assert lines[0][-1] == "错误说明" and lines[1][-1] == "" and "科学计数法" in lines[2][-1]


def test_annotated_copies(org, session, monkeypatch):
    batch, _ = framework.upload(ent.KIND, org.clerk_a, "名录.xlsx", messy(), {})
    session.commit()
    copy, ext = framework.annotated_file(ent.KIND, org.clerk_a, batch)
    ws = load_workbook(io.BytesIO(copy)).worksheets[0]
    # The error column is titled in the header row, below the file's title row.
    assert ext == "xlsx" and ws.cell(row=2, column=len(HEADER) + 1).value == "错误说明"
    assert ws.cell(row=1, column=len(HEADER) + 1).value is None
    assert "科学计数法" in ws.cell(row=5, column=len(HEADER) + 1).value
    monkeypatch.setattr(ent, "FULL_COPY_ROWS", 5)  # a large file: the problem rows only
    copy, ext = framework.annotated_file(ent.KIND, org.clerk_a, batch)
    rows = list(load_workbook(io.BytesIO(copy)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误说明"
    assert [r[0] for r in rows[1:]] == [5, 6, 7, 8, 9, 10, 12, 13, 14]
    assert rows[1][2] == "910000000000000000"  # the cell as it arrived, as text


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.xlsx", "为空"),
        (b"not a workbook", "a.xlsx", "不是"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.xls", "xls"),
    ],
)
def test_unusable_files(org, data, filename, message):
    with pytest.raises(ExcelError, match=message):
        imp.check_import(org.clerk_a, filename, data)


def test_wrong_headers_and_no_rows(org):
    with pytest.raises(ExcelError, match="缺少必需的列：主体类型"):
        imp.check_import(org.clerk_a, "a.xlsx", xlsx([row("甲", U1)], header=[h if h != "主体类型" else "备注" for h in HEADER]))
    with pytest.raises(ExcelError, match="没有找到列名行"):
        imp.check_import(org.clerk_a, "a.xlsx", xlsx([["a", "b"]], header=["甲", "乙"]))
    with pytest.raises(ExcelError, match="没有数据行"):
        imp.check_import(org.clerk_a, "a.xlsx", xlsx([]))
    with pytest.raises(ExcelError, match="出现了两次"):
        imp.check_import(org.clerk_a, "a.xlsx", xlsx([], header=[*HEADER, "企业名称"]))


def test_reordered_and_aliased_columns_are_read_by_name(org):
    header = ["经营状态", "企业名称", "行政区划代码", "市场主体类型", "统一社会信用代码", "备注"]
    check = imp.check_import(org.clerk_a, "a.xlsx", xlsx([["在营", "别名公司", "510108", "企业", U1, "x"]], header=header))
    assert check.rows[0].valid, check.rows[0].errors
    assert check.rows[0].values["status"] == EntityStatus.ACTIVE and check.ignored == ["备注"]


def test_a_batch_belongs_to_its_clerk(org, session):
    batch, _ = framework.upload(ent.KIND, org.clerk_a, "名录.xlsx", messy(), {})
    session.commit()
    assert ent.KIND.can_use(org.clerk_a, batch)
    assert not ent.KIND.can_use(org.clerk_b, batch)
    assert not ent.KIND.can_use(org.section_clerk_a, batch)
    with pytest.raises(Forbidden):
        framework.confirm(ent.KIND, org.clerk_b, batch, valid_only=True)
    framework.discard(ent.KIND, org.clerk_a, batch)
    session.commit()
    assert batch.status == ImportStatus.DISCARDED and batch.content == b""
    with pytest.raises(Conflict):
        framework.confirm(ent.KIND, org.clerk_a, batch, valid_only=True)


def test_prefix_searches_can_use_the_indexes(org, session):
    """Names and codes are compared bytewise (C collation on PostgreSQL), so a prefix is a
    range that the b-tree indexes serve; SQLite's planner picks them."""
    from sqlalchemy import text

    filters = entity_search.parse_filters({"name": "锦城", "division": "510108", "industry": "F52", "grade": "C"})
    query = entity_search.entity_query(org.clerk_a, filters)
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_name = 'market_entity' AND column_name IN ('name', 'division_code', 'industry_code')"
            )
        ).all()
        assert {r.collation_name for r in rows} == {"C"} and len(rows) == 3
    else:
        compiled = query.with_only_columns(MarketEntity.id).compile(
            session.get_bind(), compile_kwargs={"literal_binds": True}
        )
        plan = " ".join(str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_market_entity_name" in plan or "ix_market_entity_division_industry_grade" in plan, plan


def test_an_entity_with_collected_facts_cannot_be_deleted(org, session):
    """Facts (许可, 投诉举报…) name the entity without cascading: deleting it is refused in
    Chinese instead of failing on the foreign key or orphaning them."""
    from tests.factories import risk_pages as rf

    entity = rf.entity(org, 1)
    session.commit()
    assert svc.delete_refusal(entity) == ""
    rf.complaints(org, entity, 2)
    session.commit()
    refusal = svc.delete_refusal(entity)
    assert refusal.startswith("该主体有2条归集信息") and "不能删除" in refusal
    with pytest.raises(Conflict):
        svc.delete_entity(org.clerk_a, entity)
    assert session.get(type(entity), entity.id) is not None


def test_a_notice_nobody_opened_is_withdrawn_with_the_entity_and_an_answered_one_keeps_it(org, session):
    """双告知 (docs/notice.md): deleting an entity registered by mistake withdraws its unopened
    notices; once the approval department has opened or answered one, the entity stays."""
    from models import ScopeNotice
    from services.notice import feedback
    from tests.factories.notice import food_entity, map_food

    map_food(org)
    mistaken, answered = food_entity(org, 91, scope="食品生产"), food_entity(org, 92, scope="食品生产")
    assert svc.delete_refusal(mistaken) == ""
    ident = mistaken.id
    svc.delete_entity(org.clerk_a, mistaken)
    session.commit()
    assert session.execute(select(func.count()).select_from(ScopeNotice).where(ScopeNotice.entity_id == ident)).scalar_one() == 0
    notice = session.execute(select(ScopeNotice).where(ScopeNotice.entity_id == answered.id)).scalars().first()
    feedback.open_notice(org.health_clerk, notice)
    session.commit()
    assert svc.delete_refusal(answered).startswith("该主体有1条双告知抄告记录")
