"""灵活报表 (seed 004 §8.2; docs/reports.md).

``FlexReport`` is one report a unit defines: name, type (一次性, 月报, 季报, 半年报, 年报), its
实施周期, 有效状态, deadline rule, description, an optional 专项任务 (campaign) and its form — an
Excel template whose fill cells are marked (``{{数值:名称}}`` / ``{{文本:名称}}``), or a list
of fields from which the platform writes such a template.  ``ReportField`` is one marked cell
(sheet and address).  ``ReportAssignment`` says a unit must fill it (分派), and by whom it was
passed down (``parent_id``: multi-level).  ``ReportSubmission`` is one unit's filling of one
period (应报 from the moment of 分派), ``ReportValue`` one cell of it.  The 汇总 is never
stored: it is a SUM over the values of a subtree's submitted fillings.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infrastructure.clock import china_today
from models.base import db, utcnow
from models.campaigns import Campaign
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ReportKind(enum.StrEnum):
    ONCE = "once"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"

    @property
    def label(self) -> str:
        return {"once": "一次性", "monthly": "月报", "quarterly": "季报", "half_yearly": "半年报",
                "yearly": "年报"}[self.value]


class FieldKind(enum.StrEnum):
    NUMBER = "number"
    TEXT = "text"

    @property
    def label(self) -> str:
        return {"number": "数值", "text": "文本"}[self.value]


class SubmissionStatus(enum.StrEnum):
    PENDING = "pending"  # 未报 (nothing saved yet, or a draft)
    SUBMITTED = "submitted"  # 已报

    @property
    def label(self) -> str:
        return {"pending": "未报", "submitted": "已报"}[self.value]

    @property
    def css(self) -> str:
        return {"pending": "warn", "submitted": "ok"}[self.value]


class FlexReport(db.Model):
    __tablename__ = "flex_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # 制定单位
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind))
    starts_on: Mapped[date] = mapped_column(Date)  # 实施周期
    ends_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # 有效状态
    due_on: Mapped[date | None] = mapped_column(Date)  # 一次性: 填报截止日期
    due_workdays: Mapped[int] = mapped_column(Integer, default=5)  # 周期报表: 每期结束后第N个工作日
    description: Mapped[str] = mapped_column(Text, default="")  # 报表任务描述
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)  # 专项任务
    template: Mapped[bytes] = mapped_column(LargeBinary)  # the layout, marked cells included
    template_name: Mapped[str] = mapped_column(String(200), default="")  # "" when made from fields
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    fields: Mapped[list[ReportField]] = relationship(
        back_populates="report", order_by="ReportField.position", cascade="all, delete-orphan")
    assignments: Mapped[list[ReportAssignment]] = relationship(
        back_populates="report", cascade="all, delete-orphan")


class ReportField(db.Model):
    __tablename__ = "flex_report_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("flex_report.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[FieldKind] = mapped_column(_enum(FieldKind))
    sheet: Mapped[str] = mapped_column(String(31))
    cell: Mapped[str] = mapped_column(String(12))  # e.g. C5

    report: Mapped[FlexReport] = relationship(back_populates="fields")

    __table_args__ = (UniqueConstraint("report_id", "sheet", "cell"),)

    @property
    def is_number(self) -> bool:
        return self.kind == FieldKind.NUMBER


class ReportAssignment(db.Model):
    """分派: the unit must fill the report; ``parent_id`` is the assignment of the unit that
    passed it down (None: from the defining unit)."""

    __tablename__ = "flex_report_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("flex_report.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("flex_report_assignment.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    report: Mapped[FlexReport] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("report_id", "department_id"),)


class ReportSubmission(db.Model):
    """One unit's filling of one period of a report (应报 from the 分派 on)."""

    __tablename__ = "flex_report_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("flex_report.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2026-11, 2026Q4, 2026H2, 2026, once
    period_label: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[date] = mapped_column(Date)
    remind_on: Mapped[date] = mapped_column(Date)  # REMIND_WITHIN working days before due_on: 我的待办
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus), default=SubmissionStatus.PENDING)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # 延迟报
    saved_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(10), default="")  # online / upload
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    report: Mapped[FlexReport] = relationship()
    department: Mapped[Department] = relationship()
    submitted_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("report_id", "department_id", "period"),
        Index("ix_flex_report_submission_report_period", "report_id", "period", "status"),
        Index("ix_flex_report_submission_todo", "department_id", "status", "remind_on"),
    )

    @property
    def overdue(self) -> bool:
        """Not reported and past its deadline (China date)."""
        return self.status != SubmissionStatus.SUBMITTED and china_today() > self.due_on

    @property
    def state_label(self) -> str:
        if self.status != SubmissionStatus.SUBMITTED:
            return "未报"
        return "延迟报" if self.late else "正常报"


class ReportValue(db.Model):
    __tablename__ = "flex_report_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("flex_report_submission.id"))
    field_id: Mapped[int] = mapped_column(ForeignKey("flex_report_field.id"))
    number: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    text: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (UniqueConstraint("submission_id", "field_id"),)
