"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.directories import DirectoryMember, MemberKind, ObjectDirectory, Place, Product
from models.entity import EntityStatus, EntityTag, EntityType, MarketEntity
from models.imports import ImportBatch, ImportStatus
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus, Inspector, InspectorTag, TagKind
from models.items import CheckItem, CheckItemPart, ItemCategory, ItemKind, ItemStatus, PartRole
from models.jobs import Job, JobStatus
from models.library import LibraryMember, LibrarySource, LibraryTag, ObjectLibrary
from models.org import Department, DepartmentLevel, User, UserRole
from models.publication import Publication, PublicationAction
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "AuditEvent",
    "AuxiliaryInspector",
    "AuxiliaryKind",
    "CheckItem",
    "CheckItemPart",
    "Department",
    "DepartmentLevel",
    "DirectoryMember",
    "DutyStatus",
    "EntityStatus",
    "EntityTag",
    "EntityType",
    "ImportBatch",
    "ImportStatus",
    "Inspector",
    "InspectorTag",
    "InstanceParty",
    "ItemCategory",
    "ItemKind",
    "ItemStatus",
    "Job",
    "JobStatus",
    "LibraryMember",
    "LibrarySource",
    "LibraryTag",
    "MarketEntity",
    "MemberKind",
    "ObjectDirectory",
    "ObjectLibrary",
    "PartRole",
    "Place",
    "ProcessHistory",
    "ProcessInstance",
    "Product",
    "Publication",
    "PublicationAction",
    "TagKind",
    "User",
    "UserRole",
    "WorkItem",
    "db",
    "utcnow",
]
