"""Collected facts (信息归集): one module per group, docs/collection.md."""

from models.facts.base import FactBase, FactSource
from models.facts.credit import SANCTION_LISTS, AbnormalListing, Sanction
from models.facts.disputes import LAWSUIT_ROLES, Complaint, Lawsuit, OtherFact
from models.facts.licensing import PERMIT_STATUSES, Penalty, Permit, SupervisionRecord
from models.facts.pending import PendingFact, PendingReason
from models.facts.persons import Person
from models.facts.structure import (
    CAPITAL_METHODS,
    CAPITAL_ORIGINS,
    OFFICER_ROLES,
    CapitalContribution,
    ClusterAddress,
    Officer,
)

FACT_MODELS = (
    Permit,
    Penalty,
    SupervisionRecord,
    Sanction,
    AbnormalListing,
    CapitalContribution,
    Officer,
    ClusterAddress,
    Complaint,
    Lawsuit,
    OtherFact,
)

__all__ = [
    "CAPITAL_METHODS",
    "CAPITAL_ORIGINS",
    "FACT_MODELS",
    "LAWSUIT_ROLES",
    "OFFICER_ROLES",
    "PERMIT_STATUSES",
    "SANCTION_LISTS",
    "AbnormalListing",
    "CapitalContribution",
    "ClusterAddress",
    "Complaint",
    "FactBase",
    "FactSource",
    "Lawsuit",
    "Officer",
    "OtherFact",
    "PendingFact",
    "PendingReason",
    "Penalty",
    "Permit",
    "Person",
    "Sanction",
    "SupervisionRecord",
]
