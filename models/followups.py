"""After a result is published: corrections, clue transfers, case filing, stop of publication.

Requests a leader decides use ``ChangeStatus`` (待审批 / 已批准 / 未批准), like ``DrawChange``.

- ``CorrectionRequest`` (更正): a published result never changes in place (seed 001: 抽查检查结果
  公开后不应擅自更改; seed 003: 确需变更的，经本部门主要负责人审批后予以更正).  A team member or a
  clerk proposes changed fields with a reason; the department's 部门领导 approves (a new
  ``InspectionResultVersion`` is written and published) or refuses, with a comment.  At most
  one request of a record is pending: ``pending_record_id`` holds the record's id while it is
  pending and NULL once decided, under a UNIQUE constraint (NULLs are distinct on both
  backends), so two concurrent requests cannot both be stored.
- ``ClueTransfer`` (问题线索移送, seed 001 后续处理: 对发现的属于其他部门监管职责的违法违规行为，要
  及时交由相关部门依法依规处理): sent by the record's department to another department of the
  district, received (签收, with a 回执) by that department, its outcome (处理结果) recorded by it.
- ``CaseFiling`` (立案查处): the case number and filing date of a case opened on a record's
  findings, one per record.
- ``StopPublicationRequest`` (停止公示申请, seed 001: 公示满法定期限后，检查对象可依法按照有关程序
  申请停止公示): the clerk registers the inspected party's application once the legal period is
  over; the department leader approves (the public page then shows the result as 已停止公示,
  without its content) or refuses.  One pending per record, as for corrections.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.draws import ChangeStatus
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class CorrectionRequest(db.Model):
    __tablename__ = "correction_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), index=True)
    # The record's department: its 部门领导 decides.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    base_version: Mapped[int] = mapped_column(Integer)  # the published version it corrects
    # JSON object {field: new value} of the fields that change (see services/followups.py).
    proposed: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ChangeStatus] = mapped_column(_enum(ChangeStatus), default=ChangeStatus.PENDING)
    pending_record_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_result_version.id"))  # the new version

    department: Mapped[Department] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ClueStatus(enum.StrEnum):
    SENT = "sent"  # 已移送
    RECEIVED = "received"  # 已签收
    CONCLUDED = "concluded"  # 已办结 (处理结果已录入)

    @property
    def label(self) -> str:
        return {"sent": "已移送", "received": "已签收", "concluded": "已办结"}[self.value]

    @property
    def css(self) -> str:
        return {"sent": "warn", "received": "info", "concluded": "ok"}[self.value]


class ClueTransfer(db.Model):
    __tablename__ = "clue_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), index=True)
    from_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    to_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[ClueStatus] = mapped_column(_enum(ClueStatus), default=ClueStatus.SENT)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None] = mapped_column(DateTime)
    receipt: Mapped[str] = mapped_column(Text, default="")  # 回执
    outcome: Mapped[str] = mapped_column(Text, default="")  # 处理结果
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    from_department: Mapped[Department] = relationship(foreign_keys=[from_department_id])
    to_department: Mapped[Department] = relationship(foreign_keys=[to_department_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    outcome_by: Mapped[User | None] = relationship(foreign_keys=[outcome_by_id])

    __mapper_args__ = {"version_id_col": lock_version}


class CaseFiling(db.Model):
    __tablename__ = "case_filing"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), unique=True)
    case_no: Mapped[str] = mapped_column(String(60))  # 立案编号 / 案件编号
    filed_on: Mapped[date] = mapped_column(Date)  # 立案日期
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User | None] = relationship()


class StopPublicationRequest(db.Model):
    __tablename__ = "stop_publication_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    applicant: Mapped[str] = mapped_column(String(200))  # 申请人 (the inspected party)
    applied_on: Mapped[date] = mapped_column(Date)  # 申请日期
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ChangeStatus] = mapped_column(_enum(ChangeStatus), default=ChangeStatus.PENDING)
    pending_record_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
