"""Credit-risk scoring (services/credit/scoring.py, cards.py; docs/credit.md): each indicator group,
industry cards, the breakdown, the national grade kept with source and date, the worse-of-two
setting and the history of grade changes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from infrastructure import clock
from models import (
    AbnormalListing,
    CapitalContribution,
    Complaint,
    EntityTag,
    InspectionRecord,
    Lawsuit,
    MarketEntity,
    Penalty,
    Permit,
    RecordStatus,
    ResultCategory,
    Sanction,
    SupervisionRecord,
    db,
)
from models.credit import GradeBasis, GradeChange, GradeRecord, ScoreItem
from services.credit import cards, grades, scoring
from tests.factories.directories import make_entity
from tests.factories.dossier import fact


def _score(entity: MarketEntity) -> tuple[Decimal, str, dict[str, Decimal]]:
    rec = db.session.get(GradeRecord, entity.id)
    items = {i.indicator: i.points for i in db.session.execute(
        select(ScoreItem).where(ScoreItem.entity_id == entity.id)).scalars()}
    return rec.local_score, rec.local_grade, items


@pytest.fixture()
def today():
    return clock.china_today()


def test_an_entity_without_bad_facts_scores_100_and_is_a(org, session):
    e = make_entity(org.clerk_a, 1, industry_code="L7211", business_address="某路1号")
    scoring.recompute()
    score, grade, items = _score(e)
    assert (score, grade, items) == (100, "A", {})


def test_each_indicator_group_takes_its_points(org, session, today):
    # the default card (industry L): basic 10, permit 10, supervision 15, penalty 20, complaint 10,
    # random 15, judicial 10, annual 10
    e = make_entity(org.clerk_a, 2, industry_code="L7211", business_address="",
                    established_on=(today - timedelta(days=30)).isoformat())
    bureau = org.bureau_a
    fact(Permit, bureau, entity_id=e.id, permit_no="P-1", name="许可", status="吊销")
    fact(Permit, bureau, entity_id=e.id, permit_no="P-2", name="许可", valid_to=today - timedelta(days=1),
         valid_from=date(2020, 1, 1))
    fact(SupervisionRecord, bureau, entity_id=e.id, inspected_on=today - timedelta(days=10), result="发现问题已责令整改")
    fact(SupervisionRecord, bureau, entity_id=e.id, inspected_on=today - timedelta(days=9), result="未发现问题")
    for n in range(2):
        fact(Penalty, bureau, entity_id=e.id, decision_no=f"罚{n}", decided_on=today - timedelta(days=100),
             amount=Decimal("20000") if n else Decimal("100"))
    fact(Penalty, bureau, entity_id=e.id, decision_no="旧罚", decided_on=today.replace(year=today.year - 4))
    for n in range(3):
        fact(Complaint, bureau, entity_id=e.id, received_on=today - timedelta(days=5 + n), subject=f"投诉{n}")
    fact(Sanction, bureau, entity_id=e.id, list_kind="严重违法失信名单", decided_on=today - timedelta(days=50))
    fact(Lawsuit, bureau, entity_id=e.id, case_no="（2026）川01民初1号", role="被告", filed_on=today - timedelta(days=3))
    fact(Lawsuit, bureau, entity_id=e.id, case_no="（2026）川01民初2号", role="原告", filed_on=today - timedelta(days=3))
    fact(AbnormalListing, bureau, entity_id=e.id, listed_on=today - timedelta(days=60))
    fact(CapitalContribution, bureau, entity_id=e.id, shareholder="张三", subscribed_amount=Decimal(100),
         paid_amount=Decimal(10), due_date=today - timedelta(days=1), year=2025)
    scoring.recompute()
    score, grade, items = _score(e)
    assert items == {
        "young": 5, "no_address": 3, "permit_revoked": 10, "permit_expired": 5, "supervision_problem": 5,
        "penalty": 10, "penalty_heavy": 10, "complaint": 6, "sanction": 10, "lawsuit": 3, "abnormal": 10,
        "capital_overdue": 5,
    }
    # groups capped at their weight: basic 8, permit 10 (15 → 10), supervision 5, penalty 20,
    # complaint 6, judicial 10 (13 → 10), annual 10 (15 → 10)
    assert score == 100 - (8 + 10 + 5 + 20 + 6 + 10 + 10)
    assert grade == "E"


def test_published_inspection_results_count(org, session, make_record_for):
    e, record = make_record_for(org, ResultCategory.UNQUALIFIED)
    scoring.recompute()
    _score_, _grade, items = _score(e)
    assert {k: v for k, v in items.items() if k.startswith("random")} == {"random_unqualified": 10}
    record.result = ResultCategory.ORDERED
    db.session.flush()
    scoring.recompute()
    assert "random_problem" in _score(e)[2] and "random_unqualified" not in _score(e)[2]
    record.status = RecordStatus.SUBMITTED  # not published: does not count
    db.session.flush()
    scoring.recompute()
    assert not any(k.startswith("random") for k in _score(e)[2])


def test_industry_cards_differ(org, session, today):
    food = make_entity(org.clerk_a, 3, industry_code="H6210", business_address="x")
    other = make_entity(org.clerk_a, 4, industry_code="L7211", business_address="x")
    tagged = make_entity(org.clerk_a, 5, industry_code="L7211", business_address="x")
    db.session.add(EntityTag(entity_id=tagged.id, tag="特种设备使用单位"))
    for e in (food, other, tagged):
        fact(Sanction, org.bureau_a, entity_id=e.id, list_kind="严重违法失信名单", decided_on=today - timedelta(days=5))
    scoring.recompute()
    assert db.session.get(GradeRecord, food.id).local_card == "food"
    assert db.session.get(GradeRecord, tagged.id).local_card == "special_equipment"
    assert db.session.get(GradeRecord, other.id).local_card == "default"
    assert _score(food)[2] == {"sanction": 5}  # the food card's judicial group weighs 5
    assert _score(other)[2] == {"sanction": 10}


def test_weights_must_sum_to_100(org, session, make_department, make_user):
    leader = _city_leader(org, make_department, make_user)
    values = cards.form_values(cards.DEFAULTS["default"]) | {"weight_basic": 15}
    with pytest.raises(cards.CardInvalid, match="各指标组权重之和应为100，当前为105"):
        cards.save_card(leader, "default", values, version=0)
    assert cards.load_cards()["default"]["weights"]["basic"] == 10


def test_points_above_the_group_weight_refused(org, session, make_department, make_user):
    leader = _city_leader(org, make_department, make_user)
    values = cards.form_values(cards.DEFAULTS["food"]) | {"points_sanction": 8}
    with pytest.raises(cards.CardInvalid, match="超过所属指标组"):
        cards.save_card(leader, "food", values, version=0)


def test_saved_card_is_used_and_kept_in_history(org, session, make_department, make_user, today):
    leader = _city_leader(org, make_department, make_user)
    e = make_entity(org.clerk_a, 6, industry_code="L7211", business_address="x")
    fact(Sanction, org.bureau_a, entity_id=e.id, list_kind="严重违法失信名单", decided_on=today - timedelta(days=5))
    values = cards.form_values(cards.DEFAULTS["default"]) | {"points_sanction": 4}
    cards.save_card(leader, "default", values, version=0)
    cards.save_card(leader, "default", values | {"threshold_A": 97}, version=1)
    scoring.recompute()
    assert _score(e)[:2] == (96, "B")
    hist = cards.history("default")
    assert [h.version for h in hist] == [2, 1]
    assert "A级分数线 95→97" in hist[0].summary and "4分" in hist[1].summary
    with pytest.raises(Exception, match="已被他人修改"):
        cards.save_card(leader, "default", values, version=1)


def test_only_a_city_leader_edits_cards(org, session):
    with pytest.raises(Exception, match="只有市级部门的部门领导"):
        cards.save_card(org.leader_a, "default", cards.form_values(cards.DEFAULTS["default"]), version=0)


def test_national_grade_kept_with_source_and_date_and_worse_of_two(org, session, today):
    e = make_entity(org.clerk_a, 7, industry_code="L7211", business_address="x", credit_grade="B",
                    credit_grade_source="国家“互联网+监管”系统", credit_grade_on="2026-06-30")
    fact(Sanction, org.bureau_a, entity_id=e.id, list_kind="严重违法失信名单", decided_on=today - timedelta(days=5))
    fact(AbnormalListing, org.bureau_a, entity_id=e.id, listed_on=today - timedelta(days=60))
    scoring.recompute()
    rec = db.session.get(GradeRecord, e.id)
    assert (rec.national_grade, rec.national_source, rec.national_on) == ("B", "国家“互联网+监管”系统", date(2026, 6, 30))
    assert (rec.local_score, rec.local_grade) == (80, "C")
    assert rec.effective_grade == "B" and db.session.get(MarketEntity, e.id).credit_grade == "B"  # national by default

    grades.set_basis(org.leader_a, "worse")
    rec = db.session.get(GradeRecord, e.id)
    assert rec.effective_grade == "C" and db.session.get(MarketEntity, e.id).credit_grade == "C"
    grades.set_basis(org.leader_a, "local")
    assert db.session.get(MarketEntity, e.id).credit_grade == "C"
    grades.set_basis(org.leader_a, "national")
    assert db.session.get(MarketEntity, e.id).credit_grade == "B"
    # a new national grade imported into the registry's column is taken as the national grade
    db.session.get(MarketEntity, e.id).credit_grade = "D"
    db.session.get(MarketEntity, e.id).credit_grade_on = date(2026, 9, 30)
    db.session.flush()
    scoring.recompute()
    rec = db.session.get(GradeRecord, e.id)
    assert (rec.national_grade, rec.national_on, rec.effective_grade) == ("D", date(2026, 9, 30), "D")

    # the first grades are in the record; the history holds the changes since, newest first
    hist = [(c.kind, c.old_grade, c.new_grade) for c in grades.changes(e.id)]
    assert hist[::-1] == [("effective", "B", "C"), ("effective", "C", "B"), ("national", "B", "D"),
                          ("effective", "B", "D")]
    reasons = {c.reason for c in grades.changes(e.id)}
    assert "抽查使用国家等级与本地等级中较差者" in reasons and "导入国家等级：国家“互联网+监管”系统" in reasons


def test_basis_is_per_registry(org, session):
    b_entity = make_entity(org.clerk_b, 8, division_code="510109001000", business_address="x", credit_grade="A",
                           uscc=None, reg_no="510109000000008") if False else None
    grades.set_basis(org.leader_a, "local")
    assert db.session.execute(select(GradeBasis.basis).where(GradeBasis.department_id == org.district_a.id)).scalar() \
        == "local"
    assert grades.basis_of(org.leader_b) == "national"
    assert b_entity is None


def test_scoped_recompute_touches_only_the_scope(org, session, today):
    a = make_entity(org.clerk_a, 9, industry_code="L7211", business_address="x")
    b = make_entity(org.clerk_a, 10, industry_code="L7211", business_address="x")
    scoring.recompute()
    for e in (a, b):
        fact(Sanction, org.bureau_a, entity_id=e.id, list_kind="严重违法失信名单", decided_on=today - timedelta(days=5))
    scoring.recompute(select(MarketEntity.id).where(MarketEntity.id == a.id))
    assert _score(a)[0] == 90 and _score(b)[0] == 100
    assert not db.session.execute(select(GradeChange).where(GradeChange.entity_id == b.id)).first()
    scoring.recompute()
    local = db.session.execute(select(GradeChange).where(GradeChange.entity_id == b.id)).scalar_one()
    assert (local.kind, local.old_grade, local.new_grade, local.score, local.reason) == (
        "local", "A", "B", 90, "本地评分：通用评分卡")


def _city_leader(org, make_department, make_user):
    credit = make_department("测试市信用监督管理科", org.city, region_code="510100")
    return make_user(credit, "dept_leader", name="市信用科科长")


@pytest.fixture()
def make_record_for():
    def make(org, result):
        from tests.factories.inspections import dispatched, open_all

        record = open_all(dispatched(org, objects=1))[0]
        record.status, record.result = RecordStatus.PUBLISHED, result
        db.session.flush()
        return db.session.get(MarketEntity, record.entity_id), record

    return make


_ = InspectionRecord


def test_a_facts_import_rescores_the_entities_it_touched(org, session, today):
    from services.imports import framework, kinds
    from tests.factories.import_kinds import workbook

    kind = kinds.get("facts_penalty")
    hit = make_entity(org.clerk_a, 11, industry_code="L7211", business_address="x")
    untouched = make_entity(org.clerk_a, 12, industry_code="L7211", business_address="x")
    values = {"统一社会信用代码": hit.uscc, "行政处罚决定书文号": "罚1", "处罚决定日期": (today - timedelta(days=3)).isoformat(),
              "罚没金额（元）": "2万元"}
    batch, _check = framework.upload(kind, org.health_clerk, "处罚.xlsx",
                                     workbook(kind, [[values.get(t, "") for t in kind.template.titles]]), {})
    framework.confirm(kind, org.health_clerk, batch, valid_only=False)
    assert _score(hit)[:2] == (85, "B")  # penalty 5 + heavy 10 of the default card's 20
    assert db.session.get(GradeRecord, untouched.id) is None  # not scored by the hook


def test_a_registry_import_hook_takes_the_new_national_grade(org, session):
    e = make_entity(org.clerk_a, 13, industry_code="L7211", business_address="x")
    scoring.recompute()
    before = clock.now().replace(tzinfo=None) - timedelta(seconds=1)
    row = db.session.get(MarketEntity, e.id)
    row.credit_grade, row.credit_grade_source = "E", "国家“互联网+监管”系统"
    db.session.flush()
    from services.credit.hooks import after_registry_import

    after_registry_import(before)
    rec = db.session.get(GradeRecord, e.id)
    assert (rec.national_grade, rec.national_source, rec.effective_grade) == ("E", "国家“互联网+监管”系统", "E")


def test_the_demo_district_is_graded(app, session):
    from cli.demo import load_demo

    load_demo()
    local = dict(db.session.execute(select(GradeRecord.local_grade, func.count()).group_by(GradeRecord.local_grade)).all())
    assert sum(local.values()) == db.session.execute(select(func.count()).select_from(MarketEntity)).scalar()
    assert set(local) - {"A"}, local  # the demo's facts put some entities below A
    assert db.session.execute(select(func.count()).select_from(ScoreItem)).scalar() > 0
