"""无证无照经营综合治理 (DB5101 ch. 9, 表24): the annual cycle of a joint conference.

A ``UnlicensedCycle`` is one conference's year: its office issues the 年度工作要点通知, the
年度综合治理工作方案 and, at the end, the 情况通报 — three official documents
(``models.conference.OfficialDocument``) the member units sign for.  Each member unit has an
``UnlicensedUnit`` (its 年度工作计划, its 专项整治方案, the inspectors it assigned, its report,
its 表24 instance).  The inspectors record each operator they find (``UnlicensedOperator``,
often not in the registry) and the branch taken for it: 是否符合办理证照条件 → 立案查处, or
是否有意愿经营 → 引导办证/办照 (tracked until the licence is issued) or 停业、关闭.

An operator carries the A.6 columns (联席会议工作台账模板) under the names of
``models.ledgers.LedgerRow``, so the office's 汇总 is printed by services/ledger_export.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infrastructure.clock import to_china
from models.base import db, utcnow
from models.conference import Conference, OfficialDocument
from models.entity import MarketEntity
from models.facts import Permit
from models.org import Department, User


class UnlicensedCycle(db.Model):
    """One year of 无证无照经营综合治理 of a conference, run by its office."""

    __tablename__ = "unlicensed_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("official_document.id"))  # 年度工作要点通知
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("official_document.id"))  # 年度综合治理工作方案
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("official_document.id"))  # 情况通报
    plans_summary: Mapped[str] = mapped_column(Text, default="")  # 汇总年度工作计划
    collected_at: Mapped[datetime | None] = mapped_column(DateTime)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    results_summary: Mapped[str] = mapped_column(Text, default="")  # 汇总查处结果
    summarized_at: Mapped[datetime | None] = mapped_column(DateTime)
    summarized_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    conference: Mapped[Conference] = relationship()
    office: Mapped[Department] = relationship()
    notice: Mapped[OfficialDocument | None] = relationship(foreign_keys=[notice_id])
    scheme: Mapped[OfficialDocument | None] = relationship(foreign_keys=[scheme_id])
    bulletin: Mapped[OfficialDocument | None] = relationship(foreign_keys=[bulletin_id])
    units: Mapped[list[UnlicensedUnit]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="UnlicensedUnit.id"
    )

    __table_args__ = (UniqueConstraint("conference_id", "year"),)

    @property
    def department(self) -> Department:
        """The owner for the data scope: the office."""
        return self.office

    def unit_for(self, department_id: int) -> UnlicensedUnit | None:
        return next((u for u in self.units if u.department_id == department_id), None)


class UnlicensedUnit(db.Model):
    """A member unit's part of a cycle and its 表24 instance."""

    __tablename__ = "unlicensed_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("unlicensed_cycle.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    plan_content: Mapped[str] = mapped_column(Text, default="")  # 年度工作计划
    plan_reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    plan_reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    campaign_title: Mapped[str] = mapped_column(String(200), default="")  # 专项整治方案
    campaign_content: Mapped[str] = mapped_column(Text, default="")
    campaign_at: Mapped[datetime | None] = mapped_column(DateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    inspectors_reported_at: Mapped[datetime | None] = mapped_column(DateTime)  # 执法人员上报
    inspectors_reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    report_note: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)  # 成员单位上报查处结果
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None] = mapped_column(DateTime)  # 接收通报
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    cycle: Mapped[UnlicensedCycle] = relationship(back_populates="units")
    department: Mapped[Department] = relationship()
    assignments: Mapped[list[UnlicensedAssignment]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnlicensedAssignment.id"
    )
    operators: Mapped[list[UnlicensedOperator]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnlicensedOperator.id"
    )

    __table_args__ = (UniqueConstraint("cycle_id", "department_id"),)

    @property
    def inspector_ids(self) -> set[int]:
        return {a.user_id for a in self.assignments}


class UnlicensedAssignment(db.Model):
    """An inspector a member unit assigned to its campaign (指派执法人员)."""

    __tablename__ = "unlicensed_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unlicensed_unit.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[UnlicensedUnit] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)


class OperatorStatus:
    """Where an operator's branch stands (values of ``UnlicensedOperator.status``)."""

    FOUND = "found"  # 执行无证无照经营查处: recorded, 是否符合办理证照条件 not yet judged
    INELIGIBLE = "ineligible"  # 不符合办理条件: to be 立案查处
    ELIGIBLE = "eligible"  # 符合办理条件: 是否有意愿经营 not yet judged
    WILLING = "willing"  # 有经营意愿: to be 引导办证/办照
    CASE = "case"  # 立案查处
    GUIDING = "guiding"  # 引导办证/办照, licence not yet issued
    LICENSED = "licensed"  # 已办理证照
    CLOSED = "closed"  # 无经营意愿: 停业、关闭

    LABELS = {FOUND: "待判断办证照条件", INELIGIBLE: "待立案查处", ELIGIBLE: "待判断经营意愿",
              WILLING: "待引导办证/办照", CASE: "已立案查处", GUIDING: "引导办证/办照中",
              LICENSED: "已办理证照", CLOSED: "停业、关闭"}
    DONE = (CASE, GUIDING, LICENSED, CLOSED)


class UnlicensedOperator(db.Model):
    """An operator found without licence or permit, and what was done about it."""

    __tablename__ = "unlicensed_operator"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unlicensed_unit.id", ondelete="CASCADE"), index=True)
    operator: Mapped[str] = mapped_column(String(200))  # 经营者/名称
    address: Mapped[str] = mapped_column(String(300), default="")  # 经营地址
    person: Mapped[str] = mapped_column(String(100), default="")  # 经营者（负责人）
    business: Mapped[str] = mapped_column(String(200), default="")  # 经营项目
    phone: Mapped[str] = mapped_column(String(40), default="")  # 联系电话
    code: Mapped[str] = mapped_column(String(30), default="")  # 统一社会信用代码/注册号, when known
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id"), index=True)
    found_on: Mapped[date] = mapped_column(Date)
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(20), default=OperatorStatus.FOUND)
    eligible: Mapped[bool | None] = mapped_column(Boolean)
    willing: Mapped[bool | None] = mapped_column(Boolean)
    case_no: Mapped[str] = mapped_column(String(100), default="")
    case_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # 停业 / 关闭
    guided_on: Mapped[date | None] = mapped_column(Date)
    licence_kind: Mapped[str] = mapped_column(String(10), default="")  # 办证 / 办照 / 办证办照
    licensed_on: Mapped[date | None] = mapped_column(Date)
    licence_no: Mapped[str] = mapped_column(String(100), default="")
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("fact_permit.id"))
    licensed_entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id"))
    guidance_issued: Mapped[bool] = mapped_column(Boolean, default=False)  # 已下达行政指导文书
    notice_copied: Mapped[bool] = mapped_column(Boolean, default=False)  # 已抄告
    police_transferred: Mapped[bool] = mapped_column(Boolean, default=False)  # 已移送公安机关
    fine: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # 罚款金额（万元）
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[UnlicensedUnit] = relationship(back_populates="operators")
    entity: Mapped[MarketEntity | None] = relationship(foreign_keys=[entity_id])
    licensed_entity: Mapped[MarketEntity | None] = relationship(foreign_keys=[licensed_entity_id])
    permit: Mapped[Permit | None] = relationship()
    found_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return OperatorStatus.LABELS.get(self.status, self.status)

    # The A.6 columns not stored as such (services/ledgers.FIELDS names).
    @property
    def licence(self) -> str:  # 证照情况
        return "已办理证照" if self.status == OperatorStatus.LICENSED else "无证无照"

    @property
    def licensing_guided(self) -> bool:  # 已引导办证
        return self.guided_on is not None

    @property
    def case_filed(self) -> bool:  # 已立案查处
        return bool(self.case_no)

    @property
    def closed(self) -> bool:  # 停业关闭
        return bool(self.outcome)

    @property
    def filled_on(self) -> date | None:  # 填报日期: the day the unit reported
        at = to_china(self.unit.reported_at or self.unit.inspectors_reported_at)
        return at.date() if at else None
