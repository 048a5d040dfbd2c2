"""services/collection: one ingest for every way in — matching, versions, the pending pool, re-matching."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden
from models import FactSource, Officer, Penalty, PendingFact, Permit, Person, Sanction, db
from models.facts import CapitalContribution
from services import entities
from services.collection import ingest as ing
from services.collection.kinds import FACT_KINDS
from services.collection.pending import rematch_all
from tests.factories.directories import make_entity, uscc

PERMIT = FACT_KINDS["permit"]
PENALTY = FACT_KINDS["penalty"]


def permit(code: str, no: str = "JY1", **extra):
    return {"统一社会信用代码": code, "许可证编号": no, "许可证名称": "食品经营许可证", "有效期起": "2026-01-05",
            "有效期止": "2031/1/4", **extra}


def run(kind, records, org, department=None, source=FactSource.IMPORT, actor=None):
    return ing.ingest(kind, records, source_kind=source, department=department or org.health_a, actor=actor)


def live(model, **where):
    return list(db.session.execute(select(model).filter_by(current=True, **where)).scalars())


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_permit_is_filed_under_its_entity_by_code_in_any_case(org, session):
    entity = make_entity(org.clerk_a, 1)
    result = run(PERMIT, [permit(entity.uscc.lower())], org, source=FactSource.ONLINE, actor=org.health_clerk)
    assert result.counts["新增"] == 1
    fact = result.facts[0]
    assert fact.entity_id == entity.id and fact.valid_to == date(2031, 1, 4) and fact.status == "有效"
    assert fact.source_department_id == org.health_a.id and fact.source_kind == FactSource.ONLINE
    assert fact.created_by_id == org.health_clerk.id and fact.current


def test_matching_falls_back_to_registration_number_then_exact_name(org, session):
    old = make_entity(org.clerk_a, 2, uscc="", reg_no="510108000012345")
    named = make_entity(org.clerk_a, 3)
    result = run(PERMIT, [
        {"注册号": 510108000012345.0, "许可证编号": "A", "许可证名称": "许可"},
        {"市场主体名称": named.name, "许可证编号": "B", "许可证名称": "许可"},
    ], org)
    assert [f.entity_id for f in result.facts] == [old.id, named.id]


def test_a_name_that_finds_an_entity_with_another_code_is_a_conflict(org, session):
    entity = make_entity(org.clerk_a, 4)
    other_code = uscc("91510108MA6D99999")
    result = run(PERMIT, [{"统一社会信用代码": other_code, "市场主体名称": entity.name, "许可证编号": "C",
                           "许可证名称": "许可"}], org)
    pending = result.pending[0]
    assert pending.reason == "冲突" and entity.uscc in pending.detail and other_code in pending.detail


def test_an_unknown_entity_waits_never_dropped_and_is_filed_when_registered(org, session):
    code = uscc("91510108MA6D00077")
    result = run(PERMIT, [permit(code)], org)
    assert result.counts == {"新增": 0, "更新": 0, "无变化": 0, "待处理": 1, "有误": 0}
    pending = result.pending[0]
    assert pending.reason == "未匹配" and code in pending.detail and pending.subject_code == code
    assert pending.payload["valid_from"] == "2026-01-05"
    again = run(PERMIT, [permit(code)], org)  # the same file twice: still one waiting row
    assert again.pending[0].id == pending.id and count(PendingFact) == 1
    entity = entities.create_entity(org.clerk_a, {
        "name": "新登记的餐饮店", "uscc": code, "entity_type": "enterprise", "division_code": "510108001000",
        "status": "active"})
    db.session.refresh(pending)
    assert pending.resolved_at is not None and pending.resolved_fact_table == "fact_permit"
    fact = db.session.get(Permit, pending.resolved_fact_id)
    assert fact.entity_id == entity.id and fact.received_at == pending.received_at


def test_an_entity_of_another_district_is_not_matched(org, session):
    entity_b = entities.create_entity(org.clerk_b, {
        "name": "乙区某公司", "uscc": uscc("91510109MA6D00001"), "entity_type": "enterprise",
        "division_code": "510109001000", "status": "active"})
    result = run(PERMIT, [permit(entity_b.uscc)], org)
    assert result.pending[0].reason == "未匹配"
    assert run(PERMIT, [permit(entity_b.uscc)], org, department=org.bureau_b).counts["新增"] == 1


def test_the_same_file_twice_writes_nothing_twice_and_a_change_is_a_new_version(org, session):
    entity = make_entity(org.clerk_a, 5)
    first = run(PERMIT, [permit(entity.uscc)], org).facts[0]
    assert run(PERMIT, [permit(entity.uscc)], org).counts["无变化"] == 1
    assert count(Permit) == 1
    changed = run(PERMIT, [permit(entity.uscc, 状态="注销", 许可状态="注销")], org)
    assert changed.counts["更新"] == 1
    new = changed.facts[0]
    assert new.replaces_id == first.id and new.status == "注销"
    db.session.refresh(first)
    assert first.current is False and [f.id for f in live(Permit)] == [new.id]


def test_another_departments_identical_fact_is_a_duplicate_and_a_different_one_a_conflict(org, session):
    entity = make_entity(org.clerk_a, 6)
    run(PERMIT, [permit(entity.uscc)], org)
    same = run(PERMIT, [permit(entity.uscc)], org, department=org.bureau_a)
    assert same.pending[0].reason == "重复" and "甲区卫生健康局" in same.pending[0].detail
    different = run(PERMIT, [permit(entity.uscc, 有效期止="2030-01-04")], org, department=org.safety_a)
    assert different.pending[0].reason == "冲突"
    assert len(live(Permit)) == 1


def test_a_key_repeated_in_one_exchange_batch_waits_as_a_duplicate(org, session):
    entity = make_entity(org.clerk_a, 7)
    row = {"统一社会信用代码": entity.uscc, "行政处罚决定书文号": "甲卫罚〔2026〕1号", "处罚决定日期": "2026年1月5日",
           "罚没金额（元）": "伍拾万元"}
    result = run(PENALTY, [row, {**row, "罚没金额（元）": "50万元"}], org, source=FactSource.EXCHANGE)
    assert [o.status for o in result.outcomes] == ["新增", "待处理"]
    assert result.pending[0].reason == "重复" and "第1条" in result.pending[0].detail
    assert result.facts[0].amount == Decimal("500000.00")


def test_invalid_records_come_back_with_their_errors(org, session):
    entity = make_entity(org.clerk_a, 8)
    result = run(PERMIT, [permit(entity.uscc, 有效期起="2026-05-01", 有效期止="2026-04-30"),
                          permit(entity.uscc[:17] + ("1" if entity.uscc[17] != "1" else "2"), "JY2")], org)
    assert [o.status for o in result.outcomes] == ["有误", "有误"]
    assert result.outcomes[0].errors == {"valid_to": "有效期止不能早于有效期起"}
    assert "校验码" in result.outcomes[1].errors["uscc"]
    assert count(Permit) == 0 and count(PendingFact) == 0


def test_officers_and_sanctions_concern_natural_persons(org, session):
    entity = make_entity(org.clerk_a, 9)
    officers = run(FACT_KINDS["officer"], [
        {"统一社会信用代码": entity.uscc, "姓名": "张三", "身份证号": "11010519491231002x", "职务": "法定代表人"}], org)
    officer = officers.facts[0]
    person = db.session.get(Person, officer.person_id)
    assert person.id_number == "11010519491231002X" and person.name == "张三"
    sanction = run(FACT_KINDS["sanction"], [
        {"自然人姓名": "张三", "身份证号": "11010519491231002X", "名单类别": "失信被执行人", "认定日期": "2025-06-01"}], org)
    assert sanction.facts[0].person_id == person.id and sanction.facts[0].entity_id is None
    renamed = run(FACT_KINDS["officer"], [
        {"统一社会信用代码": entity.uscc, "姓名": "张三丰", "身份证号": "11010519491231002X", "职务": "监事"}], org)
    assert renamed.pending[0].reason == "冲突" and "张三" in renamed.pending[0].detail
    assert count(Person) == 1 and len(live(Officer)) == 1 and len(live(Sanction)) == 1


def test_a_natural_person_shareholder_is_linked_by_id_number(org, session):
    entity = make_entity(org.clerk_a, 10)
    result = run(FACT_KINDS["capital"], [
        {"统一社会信用代码": entity.uscc, "股东（发起人）": "李四", "股东证件号码": "110105194912310038",
         "认缴出资额（万元）": "伍拾万", "实缴出资额（万元）": "100,000元", "信息来源": "年报", "年度": "2025"}], org)
    fact = result.facts[0]
    assert isinstance(fact, CapitalContribution)
    assert fact.subscribed_amount == Decimal("50") and fact.paid_amount == Decimal("10") and fact.year == 2025
    assert db.session.get(Person, fact.person_id).name == "李四"


def test_a_correction_is_a_new_version_of_ones_own_fact_only(org, session):
    entity = make_entity(org.clerk_a, 11)
    fact = run(PERMIT, [permit(entity.uscc)], org, source=FactSource.ONLINE, actor=org.health_clerk).facts[0]
    with pytest.raises(Forbidden):
        ing.correct(PERMIT, fact, permit(entity.uscc, "JY1-改"), actor=org.clerk_a)
    outcome = ing.correct(PERMIT, fact, permit(entity.uscc, "JY1-改"), actor=org.health_clerk)
    assert outcome.status == "更新" and outcome.fact.permit_no == "JY1-改" and outcome.fact.replaces_id == fact.id
    with pytest.raises(Conflict):
        ing.correct(PERMIT, fact, permit(entity.uscc, "JY1-再改"), actor=org.health_clerk)
    unknown = ing.correct(PERMIT, outcome.fact, permit(uscc("91510108MA6D00088"), "JY1-改"), actor=org.health_clerk)
    assert unknown.status == "有误" and "未找到" in unknown.errors["uscc"]
    assert [f.permit_no for f in live(Permit)] == ["JY1-改"]


def test_a_stale_version_cannot_be_replaced_twice(org, session):
    entity = make_entity(org.clerk_a, 12)
    fact = run(PERMIT, [permit(entity.uscc)], org, actor=org.health_clerk).facts[0]
    # Another transaction corrected it after this one loaded it (the loaded row still says current).
    db.session.execute(Permit.__table__.update().where(Permit.id == fact.id).values(current=False))
    assert fact.current is True
    with pytest.raises(Conflict, match="已被他人更正"):
        ing.correct(PERMIT, fact, permit(entity.uscc, 许可状态="注销"), actor=org.health_clerk)


def test_rematch_all_files_what_now_matches(org, session):
    code = uscc("91510108MA6D00066")
    waiting = run(PENALTY, [{"统一社会信用代码": code, "行政处罚决定书文号": "X1", "处罚决定日期": 46027}], org).pending[0]
    waiting.received_at = datetime(2026, 1, 6, 2, 0)
    make_entity(org.clerk_a, 13, uscc=code)  # creating it re-matches already
    db.session.refresh(waiting)
    assert waiting.resolved_at is not None
    assert rematch_all().tried == 0
    fact = live(Penalty)[0]
    assert fact.decided_on == date(2026, 1, 5) and fact.received_at == datetime(2026, 1, 6, 2, 0)


def test_flask_collection_rematch_files_facts_of_entities_written_behind_its_back(app, org, session):
    from models import MarketEntity

    code = uscc("91510108MA6D00055")
    waiting = run(PERMIT, [permit(code)], org).pending[0]
    session.add(MarketEntity(name="直接写入的主体", uscc=code, entity_type="enterprise", division_code="510108001000",
                             department_id=org.district_a.id))
    session.commit()
    out = app.test_cli_runner().invoke(args=["collection", "rematch"])
    assert out.exit_code == 0, out.output
    assert "已归集 1 条，仍待处理 0 条" in out.output
    db.session.refresh(waiting)
    assert waiting.resolved_fact_id == live(Permit)[0].id


def test_a_registry_import_files_the_facts_waiting_for_its_entities(org, session):
    from services.imports import entities, framework
    from tests.factories.entity_rows import U1, messy

    waiting = run(PERMIT, [permit(U1)], org).pending[0]
    batch, _ = framework.upload(entities.KIND, org.clerk_a, "名录.xlsx", messy(), {})
    summary = framework.confirm(entities.KIND, org.clerk_a, batch, valid_only=True)
    assert summary["归集信息匹配"] == 1 and "1 条已匹配到市场主体" in entities.KIND.result_text(summary)
    db.session.refresh(waiting)
    assert waiting.resolved_fact_id == live(Permit)[0].id


def test_waiting_facts_are_found_by_a_few_identifiers_and_by_many(org, session):
    from services.collection.pending import open_unmatched

    code = uscc("91510108MA6D00044")
    waiting = run(PERMIT, [permit(code)], org).pending[0]
    others = [uscc(f"91510108MA6E{n:05d}") for n in range(700)]
    assert [p.id for p in open_unmatched([code], [])] == [waiting.id]
    assert [p.id for p in open_unmatched([*others, code], [])] == [waiting.id]
    assert open_unmatched(others, ["没有这个主体"]) == []


def test_a_person_is_created_only_when_a_fact_naming_them_is_filed(org, session):
    entity = make_entity(org.clerk_a, 14)
    capital = {"统一社会信用代码": entity.uscc, "股东（发起人）": "王五", "认缴出资额（万元）": "10", "信息来源": "年报",
               "年度": "2025"}
    run(FACT_KINDS["capital"], [capital], org)
    other = run(FACT_KINDS["capital"], [{**capital, "股东证件号码": "110105194912310038"}], org, department=org.bureau_a)
    assert other.pending[0].reason == "冲突" and count(Person) == 0  # the shareholder's fact waits: no person yet
    two = run(FACT_KINDS["officer"], [
        {"统一社会信用代码": entity.uscc, "姓名": "王五", "身份证号": "110105194912310038", "职务": "董事"},
        {"统一社会信用代码": entity.uscc, "姓名": "王五", "身份证号": "110105194912310038", "职务": "监事"}], org)
    assert two.counts["新增"] == 2 and count(Person) == 1
    assert {f.person_id for f in two.facts} == {db.session.execute(select(Person.id)).scalar_one()}


def test_the_same_waiting_record_twice_in_one_batch_is_one_pending_row(org, session):
    code = uscc("91510108MA6D00033")
    result = run(PERMIT, [permit(code), permit(code)], org, source=FactSource.EXCHANGE)
    assert [o.status for o in result.outcomes] == ["待处理", "待处理"]
    assert {p.id for p in result.pending} == {db.session.execute(select(PendingFact.id)).scalar_one()}
    assert result.outcomes[0].message.startswith("未匹配：")
