"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.calendar import CalendarDay, CalendarYear, DayKind
from models.directories import DirectoryMember, MemberKind, ObjectDirectory, Place, Product
from models.draws import ChangeStatus, Draw, DrawChange, DrawDomain, DrawStatus, GradeRatio, TaskObject
from models.entity import EntityStatus, EntityTag, EntityType, MarketEntity
from models.imports import ImportBatch, ImportStatus
from models.inspections import (
    AdvanceNotice,
    InspectionRecord,
    InspectionRecordLine,
    InspectionResultVersion,
    NoticeMethod,
    RecordConfirmation,
    RecordEvidence,
    RecordStatus,
    ResultCategory,
)
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus, Inspector, InspectorTag, TagKind
from models.items import CheckItem, CheckItemPart, ItemCategory, ItemKind, ItemStatus, PartRole
from models.jobs import Job, JobStatus
from models.library import LibraryMember, LibrarySource, LibraryTag, ObjectLibrary
from models.org import Department, DepartmentLevel, User, UserRole
from models.plans import (
    Plan,
    PlanItem,
    PlanKind,
    PlanParty,
    PlanStatus,
    PlanType,
    Task,
    TaskDepartment,
    TaskStatus,
)
from models.publication import Publication, PublicationAction
from models.reminders import Reminder, ReminderKind
from models.schemes import DrawScope, Scheme, SchemeStatus
from models.teams import InspectorConflict, MemberSource, TeamMember, TeamRole
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "ResultCategory",
    "RecordStatus",
    "RecordEvidence",
    "RecordConfirmation",
    "NoticeMethod",
    "InspectionResultVersion",
    "InspectionRecordLine",
    "InspectionRecord",
    "AdvanceNotice",
    "AuditEvent",
    "AuxiliaryInspector",
    "AuxiliaryKind",
    "CalendarDay",
    "CalendarYear",
    "ChangeStatus",
    "CheckItem",
    "CheckItemPart",
    "DayKind",
    "Department",
    "DepartmentLevel",
    "DirectoryMember",
    "Draw",
    "DrawChange",
    "DrawDomain",
    "DrawScope",
    "DrawStatus",
    "DutyStatus",
    "EntityStatus",
    "EntityTag",
    "EntityType",
    "GradeRatio",
    "ImportBatch",
    "ImportStatus",
    "Inspector",
    "InspectorConflict",
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
    "MemberSource",
    "ObjectDirectory",
    "ObjectLibrary",
    "PartRole",
    "Place",
    "Plan",
    "PlanItem",
    "PlanKind",
    "PlanParty",
    "PlanStatus",
    "PlanType",
    "ProcessHistory",
    "ProcessInstance",
    "Product",
    "Publication",
    "Reminder",
    "ReminderKind",
    "PublicationAction",
    "Scheme",
    "SchemeStatus",
    "TagKind",
    "Task",
    "TaskDepartment",
    "TaskObject",
    "TaskStatus",
    "TeamMember",
    "TeamRole",
    "User",
    "UserRole",
    "WorkItem",
    "db",
    "utcnow",
]
