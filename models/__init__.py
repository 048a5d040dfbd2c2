"""Typed SQLAlchemy models, one module per domain."""

from models.audit import AuditEvent
from models.base import db, utcnow
from models.calendar import CalendarDay, CalendarYear, DayKind
from models.conference import (
    Conference,
    ConferenceMeeting,
    ConferenceMember,
    DocumentAttachment,
    DocumentRecipient,
    DocumentStatus,
    MeetingAttendee,
    MeetingStatus,
    OfficialDocument,
)
from models.directories import DirectoryMember, MemberKind, ObjectDirectory, Place, Product
from models.draws import ChangeStatus, Draw, DrawChange, DrawDomain, DrawStatus, GradeRatio, TaskObject
from models.entity import EntityStatus, EntityTag, EntityType, MarketEntity
from models.followups import (
    CaseFiling,
    ClueStatus,
    ClueTransfer,
    CorrectionRequest,
    StopPublicationRequest,
)
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
from models.ledgers import (
    ConferencePlan,
    ConferenceTask,
    Ledger,
    LedgerRow,
    LedgerStatus,
    PlanUnit,
    TaskUnit,
)
from models.library import LibraryMember, LibrarySource, LibraryTag, ObjectLibrary
from models.notifications import Message, OutboxMessage, OutboxStatus
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
from models.receipts import Receipt
from models.reminders import Reminder, ReminderKind
from models.schemes import DrawScope, Scheme, SchemeStatus
from models.sessions import UserSession
from models.teams import InspectorConflict, MemberSource, TeamMember, TeamRole
from models.workflow import InstanceParty, ProcessHistory, ProcessInstance, WorkItem

__all__ = [
    "CaseFiling",
    "ClueStatus",
    "ClueTransfer",
    "CorrectionRequest",
    "ChangeStatus",
    "StopPublicationRequest",
    "ResultCategory",
    "RecordStatus",
    "RecordEvidence",
    "RecordConfirmation",
    "NoticeMethod",
    "InspectionResultVersion",
    "InspectionRecordLine",
    "InspectionRecord",
    "AdvanceNotice",
    "Conference",
    "ConferenceMeeting",
    "ConferenceMember",
    "DocumentAttachment",
    "DocumentRecipient",
    "DocumentStatus",
    "MeetingAttendee",
    "MeetingStatus",
    "Message",
    "OfficialDocument",
    "OutboxMessage",
    "OutboxStatus",
    "Receipt",
    "ConferencePlan",
    "ConferenceTask",
    "Ledger",
    "LedgerRow",
    "LedgerStatus",
    "PlanUnit",
    "TaskUnit",
    "AuditEvent",
    "AuxiliaryInspector",
    "AuxiliaryKind",
    "CalendarDay",
    "CalendarYear",
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
    "UserSession",
    "WorkItem",
    "db",
    "utcnow",
]
