"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.entity import EntityStatus, EntityTag, EntityType, MarketEntity
from models.imports import ImportBatch, ImportStatus
from models.jobs import Job, JobStatus
from models.org import Department, DepartmentLevel, User, UserRole
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "AuditEvent",
    "Department",
    "DepartmentLevel",
    "EntityStatus",
    "EntityTag",
    "EntityType",
    "ImportBatch",
    "ImportStatus",
    "InstanceParty",
    "Job",
    "JobStatus",
    "MarketEntity",
    "ProcessHistory",
    "ProcessInstance",
    "User",
    "UserRole",
    "WorkItem",
    "db",
    "utcnow",
]
