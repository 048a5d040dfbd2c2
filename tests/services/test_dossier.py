"""一户一档 (services/dossier.py): sections with counts from current versions only, the 惩戒 of
the entity and of its serving officers, confidentiality by role, and the life-cycle timeline."""

from __future__ import annotations

from datetime import date

import pytest

from models import MarketEntity
from services import dossier
from services.dossier import TimelineFilter
from tests.factories.clock import CHINA_DAY, freeze
from tests.factories.directories import make_entity
from tests.factories.dossier import every_kind
from tests.factories.followups import published_record


@pytest.fixture()
def facts(org, session, monkeypatch):
    freeze(monkeypatch)
    entity = make_entity(org.clerk_a, 7001, established_on="2017-06-01", domicile="甲区科技路1号")
    made = every_kind(org, entity)
    session.commit()
    return made


def counts(d):
    return {s.key: s.count for s in d.sections}


def test_sections_count_current_facts_of_every_kind(org, facts):
    d = dossier.build(org.clerk_a, facts.entity)
    assert counts(d) == {"permit": 2, "penalty": 1, "supervision": 1, "sanction": 2, "abnormal": 1, "capital": 1,
                         "officer": 2, "complaint": 1, "lawsuit": 1, "other": 1, "warning": 0,
                         "joint_sanction": 0}
    permits = [r.cells[0] for r in d.section("permit").rows]
    assert "JY-OLD" not in permits and permits == ["JY-0001", "WS-0002"]
    assert d.section("penalty").rows[0].cells[5] == "5,000" and "甲区市场监督管理局" in d.section("penalty").rows[0].source
    # 惩戒: the entity's and its serving legal representative's, not a former officer's
    sanctions = {r.fact.id for r in d.section("sanction").rows}
    assert sanctions == {facts.sanction.id, facts.rep_sanction.id}
    assert d.confidential and [c.agent_name for c in d.cluster] == ["甲区商务秘书有限公司"]


def test_confidential_sections_are_for_staff_only(org, facts):
    # the joint conference's roles are departments' staff: the confidential kinds, not the grade
    office = dossier.build(org.office_user, facts.entity)
    assert office.confidential and not office.grade and not any(s.hidden for s in office.sections)
    assert dossier.build(org.clerk_a, facts.entity).grade
    # a role outside the departments' staff (the dossier's page refuses it; the service hides)
    d = dossier.build(org.auditor, facts.entity)
    assert not d.confidential and not d.grade
    hidden = {s.key for s in d.sections if s.hidden}
    assert hidden == {"sanction", "complaint", "lawsuit", "warning", "joint_sanction"}
    assert all(not s.rows for s in d.sections if s.hidden)
    kinds = {e.kind for e in dossier.timeline(d)}
    assert not kinds & hidden and "permit" in kinds
    assert dossier.sees_confidential(org.inspector_a) and dossier.sees_confidential(org.office_user)
    assert not dossier.sees_confidential(org.auditor) and not dossier.sees_grade(org.office_user)


def test_timeline_runs_from_establishment_to_today(org, facts):
    events = dossier.timeline(dossier.build(org.clerk_a, facts.entity))
    assert events[0].on == date(2017, 6, 1) and events[0].title.startswith("成立")
    assert all(e.on <= CHINA_DAY for e in events)
    assert [e.on for e in events] == sorted(e.on for e in events)
    titles = [e.title for e in events]
    assert any(t.startswith("行政许可有效期届满：卫生许可证") for t in titles)  # lapsed 2023-04-30
    assert not any("食品经营许可证" in t and "届满" in t for t in titles)  # runs until 2030
    assert any(t.startswith("移出经营异常名录") for t in titles)
    assert any(t.startswith("人员离任：王前任") for t in titles)
    assert not any("旧版许可证" in t for t in titles)


def test_timeline_filters_by_kind_and_department(org, facts):
    d = dossier.build(org.clerk_a, facts.entity)
    permits = dossier.timeline(d, TimelineFilter(kind="permit"))
    assert permits and {e.kind for e in permits} == {"permit"}
    health = dossier.timeline(d, TimelineFilter(department_id=org.health_a.id))
    assert health and {e.department for e in health} == {"甲区卫生健康局"}
    assert {e.kind for e in health} == {"permit", "supervision"}
    assert dossier.timeline(d, TimelineFilter(kind="penalty", department_id=org.health_a.id)) == []
    names = dict(dossier.timeline_departments(d))
    assert names[org.health_a.id] == "甲区卫生健康局" and org.bureau_a.id in names
    assert dossier.parse_filter({"kind": "bogus", "department": "x"}) == TimelineFilter()


def test_own_published_results_join_the_supervision_section(org, session):
    record = published_record(org, n=7002)
    entity = session.get(MarketEntity, record.entity_id)
    d = dossier.build(org.clerk_a, entity)
    rows = d.section("supervision").rows
    assert [r.record_id for r in rows] == [record.id] and rows[0].source == dossier.OWN_RESULTS
    events = dossier.timeline(d, TimelineFilter(kind="supervision"))
    assert [e.record_id for e in events] == [record.id] and events[0].detail == "发现问题依法责令改正"


def test_registration_changes_are_events_of_the_registry(org, facts, session):
    from services import entities

    entities.update_entity(org.clerk_a, facts.entity, {
        "name": facts.entity.name, "uscc": facts.entity.uscc, "entity_type": "enterprise",
        "division_code": "510108001000", "industry_code": "H6210", "status": "active",
        "established_on": "2017-06-01", "domicile": "甲区科技路2号",
    })
    session.commit()
    changes = dossier.timeline(dossier.build(org.clerk_a, facts.entity), TimelineFilter(kind="registration"))
    assert [e.title for e in changes] == ["成立：" + facts.entity.name, "登记信息变更"]
    assert "住所" in changes[1].detail and changes[1].on == CHINA_DAY
    assert {e.department_id for e in changes} == {facts.entity.department_id}
