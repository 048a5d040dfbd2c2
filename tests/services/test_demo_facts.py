"""The demo district's collected facts (services/demo_facts.py): every kind, and the situations
the risk-warning rules of 表26 look for; deterministic and loaded once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cli.demo import load_demo
from infrastructure import clock
from models import (
    AbnormalListing,
    CapitalContribution,
    ClusterAddress,
    Complaint,
    Lawsuit,
    MarketEntity,
    Officer,
    OtherFact,
    Penalty,
    Permit,
    Person,
    Sanction,
    SupervisionRecord,
)
from models.facts import FACT_MODELS
from services import demo_facts, dossier


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_demo_facts_cover_every_kind_and_the_risk_situations(app, session):
    load_demo()
    session.commit()
    for model in FACT_MODELS:
        assert count(session, model) > 0, model.__name__
    today = clock.china_today()
    permits = session.scalars(select(Permit)).all()
    assert any(p.status == "有效" and p.valid_to and today <= p.valid_to <= today + timedelta(days=30) for p in permits)
    assert any(p.valid_to and p.valid_to < today for p in permits)
    assert any("备案" in p.kind for p in permits)
    assert session.scalars(select(AbnormalListing).where(AbnormalListing.removed_on.is_(None))).first()
    assert session.scalars(select(CapitalContribution).where(
        CapitalContribution.paid_amount < CapitalContribution.subscribed_amount)).first()
    assert session.scalars(select(CapitalContribution).where(CapitalContribution.method == "非货币")).first()
    # a person in office in several entities, and a serving officer on a 失信 list
    several = session.execute(select(Officer.person_id).group_by(Officer.person_id)
                              .having(func.count(func.distinct(Officer.entity_id)) >= 3)).scalars().all()
    assert several
    listed = select(Sanction.person_id).where(Sanction.person_id.is_not(None), Sanction.removed_on.is_(None))
    assert session.scalars(select(Officer).where(Officer.person_id.in_(listed), Officer.to_date.is_(None))).first()
    # one cluster-registration address with its 托管机构 and several entities registered there
    marked = session.scalars(select(ClusterAddress).where(ClusterAddress.entity_id.is_(None))).one()
    shells = session.scalars(select(MarketEntity).where(MarketEntity.domicile == marked.address)).all()
    agents = session.scalars(select(ClusterAddress).where(ClusterAddress.entity_id.is_not(None))).all()
    assert len(shells) >= 3 and {a.agent_name for a in agents} == {marked.agent_name}
    assert count(session, Complaint) >= 3 and count(session, Lawsuit) >= 2 and count(session, Penalty) >= 3
    assert count(session, OtherFact) >= 1 and count(session, SupervisionRecord) >= 5
    # every demo entity has a 成立 date, so the timeline starts there
    entity = session.scalars(select(MarketEntity).where(MarketEntity.uscc.startswith(demo_facts.HAOWEI))).one()
    from models import User

    clerk = session.scalars(select(User).where(User.account == "wangxy")).one()
    events = dossier.timeline(dossier.build(clerk, entity))
    assert events[0].title.startswith("成立") and {"permit", "penalty", "officer", "complaint"} <= {e.kind for e in events}


def test_demo_facts_are_loaded_once_and_deterministic(app, session):
    load_demo()
    session.commit()
    first = {m.__name__: count(session, m) for m in (*FACT_MODELS, Person)}
    rows = session.execute(select(SupervisionRecord.inspected_on, SupervisionRecord.department)
                           .order_by(SupervisionRecord.id)).all()
    assert demo_facts.load_demo_facts() == 0
    load_demo()
    assert {m.__name__: count(session, m) for m in (*FACT_MODELS, Person)} == first
    assert rows == session.execute(select(SupervisionRecord.inspected_on, SupervisionRecord.department)
                                   .order_by(SupervisionRecord.id)).all()
