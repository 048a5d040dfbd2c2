"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.entity import EntityStatus, EntityTag, EntityType, MarketEntity
from models.imports import ImportBatch, ImportStatus
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus, Inspector, InspectorTag, TagKind
from models.org import Department, DepartmentLevel, User, UserRole
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "AuditEvent",
    "AuxiliaryInspector",
    "AuxiliaryKind",
    "Department",
    "DepartmentLevel",
    "DutyStatus",
    "EntityStatus",
    "EntityTag",
    "EntityType",
    "ImportBatch",
    "ImportStatus",
    "Inspector",
    "InspectorTag",
    "InstanceParty",
    "MarketEntity",
    "ProcessHistory",
    "ProcessInstance",
    "TagKind",
    "User",
    "UserRole",
    "WorkItem",
    "db",
    "utcnow",
]
