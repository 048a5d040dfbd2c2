"""Facts about one entity for the dossier tests (services/dossier.py), written through the models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from infrastructure.validators import id_number_check_char
from models import (
    AbnormalListing,
    CapitalContribution,
    ClusterAddress,
    Complaint,
    FactSource,
    Lawsuit,
    Officer,
    OtherFact,
    Penalty,
    Permit,
    Person,
    Sanction,
    SupervisionRecord,
    db,
)


def id_number(body: str) -> str:
    first17 = ("510108" + body)[:17]
    return first17 + id_number_check_char(first17)


def fact(model: Any, source: Any, **fields: Any) -> Any:
    row = model(source_department_id=source.id, source_kind=fields.pop("source_kind", FactSource.ONLINE), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def person(name: str, body: str) -> Person:
    found = Person(name=name, id_number=id_number(body))
    db.session.add(found)
    db.session.flush()
    return found


@dataclass
class Facts:
    entity: Any
    legal_rep: Person
    former: Person
    permit: Permit
    lapsed: Permit
    old_permit: Permit  # a replaced version
    penalty: Penalty
    sanction: Sanction
    rep_sanction: Sanction
    former_sanction: Sanction


def every_kind(org: Any, entity: Any) -> Facts:
    """One or more current facts of every kind about ``entity`` (the health bureau and the
    market-supervision bureau of district A provide them), dated before 4 November 2026."""
    health, bureau = org.health_a, org.bureau_a
    rep, former = person("李法人", "19800101123"), person("王前任", "19750505321")
    old = fact(Permit, health, entity_id=entity.id, permit_no="JY-OLD", name="旧版许可证", kind="食品经营许可",
               valid_from=date(2020, 1, 1), current=False)
    permit = fact(Permit, health, entity_id=entity.id, permit_no="JY-0001", name="食品经营许可证", kind="食品经营许可",
                  valid_from=date(2021, 3, 1), valid_to=date(2030, 2, 28), replaces_id=old.id)
    lapsed = fact(Permit, health, entity_id=entity.id, permit_no="WS-0002", name="卫生许可证", kind="公共场所卫生许可",
                  valid_from=date(2019, 5, 1), valid_to=date(2023, 4, 30), status="过期")
    penalty = fact(Penalty, bureau, entity_id=entity.id, decision_no="成华市监罚〔2025〕12号", decided_on=date(2025, 8, 12),
                   department="甲区市场监督管理局", violation="销售过期食品", kind="罚款", amount=Decimal("5000.00"))
    fact(SupervisionRecord, health, entity_id=entity.id, inspected_on=date(2024, 6, 3), department="甲区卫生健康局",
         kind="日常检查", result="发现问题已责令整改")
    sanction = fact(Sanction, bureau, entity_id=entity.id, list_kind="严重违法失信名单", decided_on=date(2025, 9, 1),
                    reason="机密列入原因甲")
    rep_sanction = fact(Sanction, bureau, person_id=rep.id, list_kind="失信被执行人", decided_on=date(2024, 2, 2),
                        reason="拒不履行判决")
    former_sanction = fact(Sanction, bureau, person_id=former.id, list_kind="失信被执行人", decided_on=date(2024, 3, 3),
                           reason="前任的失信")
    fact(AbnormalListing, bureau, entity_id=entity.id, listed_on=date(2022, 7, 1), reason="未按期公示年报",
         removed_on=date(2023, 1, 5), removal_reason="补报年报")
    fact(CapitalContribution, bureau, entity_id=entity.id, shareholder="李法人", person_id=rep.id,
         subscribed_amount=Decimal("100"), paid_amount=Decimal("10"), due_date=date(2024, 12, 31), year=2024)
    fact(Officer, bureau, entity_id=entity.id, person_id=rep.id, role="法定代表人", from_date=date(2018, 1, 1))
    fact(Officer, bureau, entity_id=entity.id, person_id=former.id, role="监事", from_date=date(2018, 1, 1),
         to_date=date(2022, 12, 31))
    fact(ClusterAddress, bureau, address=entity.domicile or "甲区科技路1号", agent_name="甲区商务秘书有限公司")
    fact(Complaint, bureau, entity_id=entity.id, received_on=date(2025, 3, 3), channel="12315", subject="机密投诉事项乙")
    fact(Lawsuit, bureau, entity_id=entity.id, case_no="（2025）川0108民初99号", filed_on=date(2025, 4, 4),
         court="甲区人民法院", role="被告", cause="机密案由丙")
    fact(OtherFact, bureau, entity_id=entity.id, category="股权冻结", title="冻结股权30%", occurred_on=date(2025, 5, 5))
    return Facts(entity, rep, former, permit, lapsed, old, penalty, sanction, rep_sanction, former_sanction)
