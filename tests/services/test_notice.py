"""双告知 (docs/notice.md): the catalogue data file, the matching rule, the notices written by
the entity form and the registry import, 发证反馈 from 信息归集, 发证验证."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli import licence_catalogue
from models import FactSource, LicenceItem, PermitVerification, ScopeCheck, ScopeNotice, db
from models.notice import NoticeStatus
from services import entities
from services.collection.ingest import ingest
from services.collection.kinds import FACT_KINDS
from services.imports import framework, kinds
from services.notice import feedback, verify
from services.notice.matching import Matcher, match_key
from services.notice.notices import notify_entities
from tests.factories.directories import uscc
from tests.factories.import_kinds import workbook
from tests.factories.notice import CATERING, FOOD, authority, food_entity, map_food

DATA = Path(__file__).resolve().parents[2] / "migrations" / "data" / "licence_catalogue.json"
SEED = glob.glob("/work/shared/spec/004_*.txt")


# ------------------------------------------------------------------ the catalogue


def test_the_data_file_holds_the_142_items_of_21_sections():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert len(data["sections"]) == 21
    assert [s["no"] for s in data["sections"]] == list(range(1, 22))
    assert [i["seq"] for i in data["items"]] == list(range(1, 143))
    first, last = data["items"][0], data["items"][-1]
    assert (first["section"], first["departments"], first["phrases"]) == ("综合", [], [])
    assert (last["name"], last["departments"], last["phrases"]) == ("经营高危险性体育项目许可", ["市体育局(区县体育部门)"],
                                                                    ["高危险性体育项目"])
    by_seq = {i["seq"]: i for i in data["items"]}
    assert by_seq[10]["phrases"] == ["畜禽养殖", "畜禽屠宰", "动物无害化处理", "动物隔离"]
    assert by_seq[81]["departments"] == ["证监会上海监管局", "上海市财政局(财政部、证监会)"]
    assert by_seq[89]["phrases"] == []  # 按商务部门批准内容核定 is not a phrase


@pytest.mark.skipif(not SEED, reason="the seed text is not on this machine")
def test_the_data_file_is_what_the_parser_makes_of_the_seed():
    parsed = licence_catalogue.parse(Path(SEED[0]).read_text(encoding="utf-8"))
    assert json.loads(json.dumps(parsed, ensure_ascii=False)) == json.loads(DATA.read_text(encoding="utf-8"))


def test_the_parser_splits_departments_outside_parentheses_only():
    assert licence_catalogue.split_departments("市交通委、区县交通部门") == ["市交通委", "区县交通部门"]
    assert licence_catalogue.split_departments("上海市财政局(财政部、证监会)") == ["上海市财政局(财政部、证监会)"]
    assert licence_catalogue.split_departments("不指定") == []
    assert licence_catalogue.section_number("二十一") == 21 and licence_catalogue.section_number("十") == 10


def test_the_migration_loaded_the_catalogue(session):
    assert session.execute(select(func.count()).select_from(LicenceItem)).scalar_one() == 142
    item = session.execute(select(LicenceItem).where(LicenceItem.seq == 16)).scalar_one()
    assert item.phrase_list == ["包装装潢印刷", "其他印刷品印刷", "打印复印"]
    assert [a.name for a in item.authorities] == ["市新闻出版局"]


# ------------------------------------------------------------------ the matching rule


def test_a_phrase_occurring_in_the_scope_matches_its_item():
    m = Matcher([(19, "食品生产"), (65, "餐饮服务"), (9, "林区木材经营(加工)"), (54, "道路运输站(场)经营")])
    assert {h.item_id for h in m.match("食品生产；餐饮服务（不含凉菜）")} == {19, 65}
    assert [h.item_id for h in m.match("林区木材经营；家具销售")] == [9]  # a trailing qualifier is a note
    assert [h.item_id for h in m.match("道路运输站（场）经营")] == [54]  # full width reads as half width
    assert m.match("道路运输站经营") == []  # an inner parenthesis stays
    assert m.match("日用百货销售") == [] and m.match("") == []
    assert match_key("消毒产品生产(除一次性使用医疗用品)") == "消毒产品生产"


def test_the_catalogue_matcher_finds_items_and_skips_the_inactive(session):
    m = Matcher.from_catalogue()
    assert {h.item_id for h in m.match("食品生产，餐饮服务，打印复印")} == {19, 65, 16, 17}
    session.execute(LicenceItem.__table__.update().where(LicenceItem.seq == 19).values(active=False))
    assert {h.item_id for h in Matcher.from_catalogue().match("食品生产")} == set()


# ------------------------------------------------------------------ notices


def _notices(entity_id):
    return list(db.session.execute(select(ScopeNotice).where(ScopeNotice.entity_id == entity_id)
                                   .order_by(ScopeNotice.item_id)).scalars())


def test_registering_an_entity_notifies_the_matched_items_departments(org, session):
    map_food(org)
    entity = food_entity(org)
    notices = _notices(entity.id)
    assert [(n.item.seq, n.authority.name, n.department_id) for n in notices] == [
        (19, FOOD, org.health_a.id), (65, CATERING, org.health_a.id)]
    assert all(n.from_department_id == org.bureau_a.id and n.status == NoticeStatus.PENDING for n in notices)
    check = session.execute(select(ScopeCheck).where(ScopeCheck.entity_id == entity.id)).scalar_one()
    assert check.matched == 2


def test_a_scope_that_matches_nothing_is_listed_and_sends_nothing(org, session):
    from services.notice import queries

    entity = food_entity(org, scope="日用百货销售；文具用品零售")
    assert _notices(entity.id) == []
    assert [c.entity_id for c in queries.unmatched(org.clerk_a)] == [entity.id]
    assert queries.unmatched(org.clerk_b) == []  # another district's list


def test_a_scope_change_adds_the_new_items_once(org, session):
    map_food(org)
    entity = food_entity(org, scope="食品生产")
    assert len(_notices(entity.id)) == 1
    raw = {"name": entity.name, "uscc": entity.uscc, "entity_type": "enterprise", "division_code": "510108001000",
           "industry_code": "H6210", "status": "active", "business_scope": "食品生产；餐饮服务"}
    entities.update_entity(org.clerk_a, entity, raw)
    assert [n.item.seq for n in _notices(entity.id)] == [19, 65]
    entities.update_entity(org.clerk_a, entity, {**raw, "legal_rep": "张三"})  # no scope change
    notify_entities([entity.id], org.bureau_a.id)  # and matching again adds nothing
    assert len(_notices(entity.id)) == 2


def test_an_unmapped_name_keeps_its_notice_until_the_admin_maps_it(org, make_user, session):
    from models.roles import Role
    from services.notice import mapping

    entity = food_entity(org, scope="食品生产")
    (notice,) = _notices(entity.id)
    assert notice.department_id is None
    admin_a = make_user(org.district_a, Role.SYSTEM_ADMIN)
    assert mapping.set_mapping(admin_a, authority(FOOD), org.health_a.id) == 1
    session.refresh(notice)
    assert notice.department_id == org.health_a.id
    with pytest.raises(Exception, match="本辖区"):
        mapping.set_mapping(admin_a, authority(FOOD), org.bureau_b.id)


def test_the_registry_import_notifies_set_based_and_a_reimport_adds_nothing(org, session):
    map_food(org)
    kind = kinds.get("entities")
    titles = list(kind.template.titles)
    rows = [[f"甲区导入食品{n}", uscc(f"91510108MA6N{n:05d}"), "", "企业", "", "", "", "510108", "", "", "", "",
             "存续", "", "", "", "", "", "", ""] for n in (1, 2, 3)]
    for row, scope in zip(rows, ("食品生产", "餐饮服务；食品生产", "服装销售"), strict=True):
        row[titles.index("经营范围")] = scope
    data = workbook(kind, rows)
    for _ in range(2):
        batch, check = framework.upload(kind, org.clerk_a, "主体.xlsx", data, {})
        assert len(check.valid_rows) == 3, check.errors.as_dict()
        framework.confirm(kind, org.clerk_a, batch, valid_only=False)
    counts = dict(session.execute(select(ScopeNotice.item_id, func.count()).group_by(ScopeNotice.item_id)).all())
    assert counts == {19: 2, 65: 1}
    assert session.execute(select(func.count()).select_from(ScopeCheck).where(ScopeCheck.matched == 0)).scalar_one() == 1


# ------------------------------------------------------------------ 发证反馈


def test_a_permit_arriving_through_collection_sets_issued(org, session):
    map_food(org)
    entity = food_entity(org)
    ingest(FACT_KINDS["permit"], [{"uscc": entity.uscc, "permit_no": "SC10651010800001", "name": "食品生产许可证",
                                   "valid_from": "2026-03-05"}],
           source_kind=FactSource.ONLINE, department=org.health_a, actor=org.health_clerk)
    food, catering = _notices(entity.id)
    assert (food.status, food.permit_no, str(food.issued_on)) == (NoticeStatus.ISSUED, "SC10651010800001", "2026-03-05")
    assert catering.status == NoticeStatus.ISSUED  # the same department's permit answers both of its notices
    assert feedback.issued_entities(session, org.health_a.id) == [entity.id]
    assert feedback.issued_entities(session, org.bureau_a.id) == []


def test_another_departments_permit_sets_nothing(org, session):
    map_food(org)
    entity = food_entity(org, scope="食品生产")
    ingest(FACT_KINDS["permit"], [{"uscc": entity.uscc, "permit_no": "X1", "name": "某许可"}],
           source_kind=FactSource.ONLINE, department=org.safety_a, actor=org.safety_clerk)
    assert _notices(entity.id)[0].status == NoticeStatus.PENDING


def test_refusal_is_sent_to_the_registering_clerks_and_verification_fails(org, session):
    from persistence.notifications import messages_for

    map_food(org)
    entity = food_entity(org, scope="食品生产")
    (notice,) = _notices(entity.id)
    with pytest.raises(Exception, match="审批部门经办人"):
        feedback.refuse(org.clerk_a, notice, "材料不全")
    with pytest.raises(Exception, match="不予发证原因"):
        feedback.refuse(org.health_clerk, notice, " ")
    feedback.refuse(org.health_clerk, notice, "现场核查不符合条件")
    assert notice.received_by_id == org.health_clerk.id  # feedback implies the receipt
    assert any("不予发证" in m.subject for m in messages_for(org.clerk_a))
    assert verify.verdicts([entity.id])[entity.id].outcome == verify.REFUSED
    with pytest.raises(Exception, match="已反馈"):
        feedback.mark_issued(org.health_clerk, notice, "X", "2026-03-05")


def test_verification_of_a_list_goes_through_the_import_framework(org, session):
    map_food(org)
    issued = food_entity(org, 1, scope="食品生产")
    waiting = food_entity(org, 2, scope="餐饮服务")
    plain = food_entity(org, 3, scope="服装销售")
    feedback.mark_issued(org.health_clerk, _notices(issued.id)[0], "JY1", "2026-03-01")
    kind = kinds.get("notice_verify")
    data = workbook(kind, [[1, "", issued.uscc], [2, waiting.name, ""], [3, "", plain.uscc], [4, "", uscc("91510109MA6B00001")]])
    batch, check = framework.upload(kind, org.clerk_a, "验证.xlsx", data, {})
    assert len(check.valid_rows) == 3  # the unknown code is refused on its row
    result = framework.confirm(kind, org.clerk_a, batch, valid_only=True)
    assert result["未通过"] == 1
    outcomes = {v.entity_id: v.outcome for v in session.execute(select(PermitVerification)).scalars()}
    assert outcomes == {issued.id: verify.ISSUED, waiting.id: verify.NOT_ISSUED, plain.id: verify.NO_NOTICE}
