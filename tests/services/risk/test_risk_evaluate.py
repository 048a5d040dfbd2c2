"""The 风险库 kept in line with the rules (services/risk/evaluate.py): open, refresh, close with the
history kept, a new warning for a later hit, disabled rules, the incremental run after an import
of facts, the dry run, 手工预警, parameter validation and the dossier's 预警 section."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from infrastructure.errors import Conflict, Forbidden, Invalid, NotFound
from models import Complaint, FactSource, RiskWarning
from services import dossier
from services.collection import ingest as ing
from services.collection.kinds import FACT_KINDS
from services.risk.catalogue import seed_rules, validate_params
from services.risk.dry_run import dry_run
from services.risk.evaluate import evaluate
from services.risk.manual import close_manual, raise_manual
from tests.factories.dossier import fact
from tests.factories.risk import NOW, day, entity, listed, rule


def warnings(session, code, entity_id=None):
    query = select(RiskWarning).where(RiskWarning.rule_id == rule(code).id).order_by(RiskWarning.id)
    if entity_id is not None:
        query = query.where(RiskWarning.entity_id == entity_id)
    return list(session.execute(query).scalars())


def test_a_hit_opens_is_refreshed_then_closed_and_a_later_hit_opens_a_new_one(org, session):
    e = entity(org)
    listing = listed(org, e)
    first = evaluate(session, codes=["abnormal_list"], now=NOW)
    assert (first.opened, first.refreshed, first.closed) == (1, 0, 0)
    [w] = warnings(session, "abnormal_list", e.id)
    assert w.status == "open" and w.department_id == org.bureau_a.id
    assert w.evidence == [{"kind": "abnormal", "id": listing.id, "label": f"列入经营异常名录：未按期公示年度报告（{day(-30)}）"}]
    later = NOW + timedelta(days=1)
    second = evaluate(session, codes=["abnormal_list"], now=later)
    assert (second.opened, second.refreshed, second.closed) == (0, 1, 0)
    session.refresh(w)
    assert w.first_seen_at == NOW and w.last_seen_at == later
    listing.removed_on, listing.removal_reason = day(-1), "补报年报"
    session.flush()
    third = evaluate(session, codes=["abnormal_list"], now=later)
    assert third.closed == 1
    session.refresh(w)
    assert w.status == "closed" and w.closed_at == later and w.reason == "预警条件不再满足"
    listed(org, e, on=day(0))
    evaluate(session, codes=["abnormal_list"], now=later)
    old, new = warnings(session, "abnormal_list", e.id)
    assert (old.id, old.status, new.status) == (w.id, "closed", "open")


def test_at_most_one_open_warning_per_entity_and_rule(org, session):
    e = entity(org)
    r = rule("abnormal_list")
    session.add(RiskWarning(entity_id=e.id, rule_id=r.id, status="open", evidence=[]))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(RiskWarning(entity_id=e.id, rule_id=r.id, status="open", evidence=[]))
        session.flush()
    session.add(RiskWarning(entity_id=e.id, rule_id=r.id, status="closed", evidence=[]))
    session.flush()


def test_a_disabled_rule_closes_its_warnings(org, session):
    e = entity(org)
    listed(org, e)
    evaluate(session, codes=["abnormal_list"], now=NOW)
    rule("abnormal_list").enabled = False
    session.flush()
    assert evaluate(session, codes=["abnormal_list"], now=NOW).closed == 1
    assert warnings(session, "abnormal_list", e.id)[0].reason == "预警规则已停用"


def test_evidence_is_refreshed_when_it_changes(org, session):
    e = entity(org)
    for n in range(3):
        fact(Complaint, org.bureau_a, entity_id=e.id, received_on=day(-n), subject=f"投诉{n}")
    evaluate(session, codes=["complaints"], now=NOW)
    fact(Complaint, org.bureau_a, entity_id=e.id, received_on=day(-4), subject="投诉又一次")
    evaluate(session, codes=["complaints"], now=NOW)
    [w] = warnings(session, "complaints", e.id)
    assert len(w.evidence) == 4


def test_an_import_of_facts_runs_the_rules_over_the_entities_it_touched(org, session):
    e, untouched = entity(org), entity(org)
    listed(org, untouched)  # on the list, but no import touches it: no warning until the full run
    records = [{"统一社会信用代码": e.uscc, "受理日期": str(day(-n)), "投诉举报事项": f"投诉{n}"} for n in range(3)]
    result = ing.ingest(FACT_KINDS["complaint"], records, source_kind=FactSource.IMPORT, department=org.bureau_a)
    assert result.counts["新增"] == 3
    assert [w.entity_id for w in warnings(session, "complaints")] == [e.id]
    assert warnings(session, "abnormal_list") == []
    # an abnormal listing touches the other entities of the address (地址异常预警)
    at = [entity(org, domicile="甲区建设路7号") for _ in range(4)]
    rows = [{"统一社会信用代码": x.uscc, "列入日期": str(day(-3)), "列入原因": "未按期公示年度报告"} for x in at[:3]]
    ing.ingest(FACT_KINDS["abnormal"], rows, source_kind=FactSource.IMPORT, department=org.bureau_a)
    assert [w.entity_id for w in warnings(session, "address_abnormal")] == [at[3].id]
    assert {w.entity_id for w in warnings(session, "abnormal_list")} == {x.id for x in at[:3]}


def test_dry_run_counts_what_a_change_would_add_and_remove(org, session):
    e1, e2 = entity(org), entity(org)
    for e, count in ((e1, 3), (e2, 2)):
        for n in range(count):
            fact(Complaint, org.bureau_a, entity_id=e.id, received_on=day(-n), subject=f"投诉{n}")
    r = rule("complaints")
    assert dry_run(session, r, {"min_count": 2, "window_days": 90}, now=NOW) == ([e2.id], [])
    assert dry_run(session, r, {"min_count": 4, "window_days": 90}, now=NOW) == ([], [e1.id])
    assert dry_run(session, r, {"min_count": 3, "window_days": 90}, enabled=False, now=NOW) == ([], [e1.id])
    assert warnings(session, "complaints") == []  # nothing written
    with pytest.raises(Invalid, match="统计期间不能为0天"):
        dry_run(session, r, {"min_count": 3, "window_days": 0})
    with pytest.raises(Invalid, match="手工预警"):
        dry_run(session, rule("manual"), {})


@pytest.mark.parametrize(("code", "params", "message"), [
    ("complaints", {"min_count": 0, "window_days": 90}, "投诉举报次数（次及以上）应不小于1次"),
    ("complaints", {"min_count": -1, "window_days": 90}, "应不小于1次"),
    ("lawsuits", {"min_count": 2, "window_days": 0}, "统计期间不能为0天"),
    ("lawsuits", {"min_count": 2, "window_days": -5}, "统计期间（近N天）应不小于1天"),
    ("permit_expiring", {"days_before": "十"}, "到期前天数应为整数"),
    ("permit_expiring", {}, "请填写到期前天数"),
    ("address_abnormal", {"min_entities": 3, "x": 1}, "没有参数"),
])
def test_parameters_are_validated_in_chinese(code, params, message):
    with pytest.raises(Invalid, match=message):
        validate_params(code, params)


def test_parameters_accepted():
    assert validate_params("complaints", {"min_count": "5", "window_days": 30}) == {"min_count": 5, "window_days": 30}
    with pytest.raises(NotFound):
        validate_params("nonsense", {})


def test_rules_are_seeded_once(session):
    assert seed_rules(session) == 0
    assert len(warnings(session, "manual")) == 0


def test_manual_warning_with_reason_closed_by_a_clerk_and_kept(org, session):
    e = entity(org)
    with pytest.raises(Invalid, match="请填写预警理由"):
        raise_manual(session, org.clerk_a, e, "  ")
    with pytest.raises(Forbidden):
        raise_manual(session, org.inspector_a, e, "现场发现无证经营迹象")
    w = raise_manual(session, org.clerk_a, e, "现场发现无证经营迹象")
    assert (w.status, w.department_id, w.created_by_id) == ("open", org.bureau_a.id, org.clerk_a.id)
    with pytest.raises(Conflict):
        raise_manual(session, org.clerk_a, e, "再次预警")
    evaluate(session, now=NOW)  # the rules never close a manual warning
    session.refresh(w)
    assert w.status == "open"
    with pytest.raises(Invalid, match="请填写关闭理由"):
        close_manual(session, org.clerk_a, w, "")
    close_manual(session, org.leader_a, w, "已核实整改")
    assert w.status == "closed" and w.closed_by_id == org.leader_a.id and "已核实整改" in w.reason
    with pytest.raises(Conflict):
        close_manual(session, org.clerk_a, w, "again")


def test_dossier_shows_open_and_closed_warnings_to_staff_only(org, session):
    e = entity(org)
    listing = listed(org, e)
    evaluate(session, codes=["abnormal_list"], now=NOW)
    listing.removed_on = day(0)
    session.flush()
    evaluate(session, codes=["abnormal_list"], now=NOW)
    raise_manual(session, org.clerk_a, e, "群众反映夜间经营扰民")
    section = dossier.build(org.clerk_a, e).section(dossier.WARNING_KEY)
    assert [(r.cells[0], r.cells[1]) for r in section.rows] == [("手工预警", "预警中"), ("经营异常预警", "已关闭")]
    assert "群众反映夜间经营扰民" in section.rows[0].cells[3] and "列入经营异常名录" in section.rows[1].cells[3]
    hidden = dossier.build(org.auditor, e).section(dossier.WARNING_KEY)
    assert hidden.hidden and hidden.rows == []


def test_an_entity_with_warnings_is_not_deleted(org, session):
    from services import entities

    e = entity(org)
    raise_manual(session, org.clerk_a, e, "现场发现无证经营迹象")
    with pytest.raises(Conflict, match="1条风险预警记录"):
        entities.delete_entity(org.clerk_a, e)


def test_open_warnings_of_entities_and_evidence_links(org, session):
    from services.risk.evidence import evidence_link
    from services.risk.queries import open_warnings_of

    e, quiet = entity(org), entity(org)
    listing = listed(org, e)
    evaluate(session, codes=["abnormal_list"], now=NOW)
    found = open_warnings_of(session, [e.id, quiet.id])
    assert list(found) == [e.id] and found[e.id][0].rule.name == "经营异常预警"
    assert evidence_link(found[e.id][0].evidence[0]) == ("collection.detail", {"fact_kind": "abnormal",
                                                                               "fact_id": listing.id})
    assert evidence_link({"kind": "inspection_record", "id": 5}) == ("inspections.show", {"record_id": 5})
    assert evidence_link({"kind": "case_filing", "id": 5}, e.id) == ("dossier.entity", {"entity_id": e.id})
