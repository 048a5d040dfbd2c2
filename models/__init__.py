"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.imports import ImportBatch, ImportStatus
from models.org import Department, DepartmentLevel, User, UserRole
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "AuditEvent",
    "Department",
    "DepartmentLevel",
    "ImportBatch",
    "ImportStatus",
    "InstanceParty",
    "ProcessHistory",
    "ProcessInstance",
    "User",
    "UserRole",
    "WorkItem",
    "db",
    "utcnow",
]
