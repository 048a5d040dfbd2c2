"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.directories import DirectoryMember, MemberKind, ObjectDirectory, Place, Product
from models.entity import EntityStatus, EntityTag, EntityType, MarketEntity
from models.imports import ImportBatch, ImportStatus
from models.items import CheckItem, CheckItemPart, ItemCategory, ItemKind, ItemStatus, PartRole
from models.org import Department, DepartmentLevel, User, UserRole
from models.publication import Publication, PublicationAction
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "AuditEvent",
    "CheckItem",
    "CheckItemPart",
    "Department",
    "DirectoryMember",
    "DepartmentLevel",
    "EntityStatus",
    "EntityTag",
    "EntityType",
    "ImportBatch",
    "ImportStatus",
    "InstanceParty",
    "ItemCategory",
    "ItemKind",
    "ItemStatus",
    "MarketEntity",
    "MemberKind",
    "ObjectDirectory",
    "PartRole",
    "Place",
    "ProcessHistory",
    "ProcessInstance",
    "Product",
    "Publication",
    "PublicationAction",
    "User",
    "UserRole",
    "WorkItem",
    "db",
    "utcnow",
]
