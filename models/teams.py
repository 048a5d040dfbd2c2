"""Inspection teams (检查组 / 联合检查组) and inspectors' conflicts.

A task's team is the inspectors drawn by each taking-part department (表22 随机抽取执法人员),
led by one from the initiating department (seed 001: 宜由发起部门执法检查人员担任组长), plus
experts or institutes from the auxiliary pool (seed 003: 可引入第三方或聘请有关专家).  A
replaced member stays, inactive, with the change that replaced it (models/draws.DrawChange).

``InspectorConflict`` is a declared conflict of interest with an entity (执法回避): such an
inspector is never eligible for a task whose objects include that entity.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.entity import MarketEntity
from models.inspectors import AuxiliaryInspector, Inspector
from models.org import Department, User
from models.plans import Task


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class TeamRole(enum.StrEnum):
    LEADER = "leader"  # 组长
    MEMBER = "member"  # 组员
    EXPERT = "expert"  # 专家 / 检测机构 (辅助人员)

    @property
    def label(self) -> str:
        return {"leader": "组长", "member": "组员", "expert": "辅助人员"}[self.value]


class MemberSource(enum.StrEnum):
    DRAWN = "drawn"  # 随机抽取
    REPLACEMENT = "replacement"  # 调整更换 (选派, 不再随机抽取)
    INVITED = "invited"  # 引入的专家 / 第三方

    @property
    def label(self) -> str:
        return {"drawn": "随机抽取", "replacement": "调整更换", "invited": "邀请参与"}[self.value]


class TeamMember(db.Model):
    __tablename__ = "team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("inspector.id"), index=True)
    auxiliary_id: Mapped[int | None] = mapped_column(ForeignKey("auxiliary_inspector.id"))
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole), default=TeamRole.MEMBER)
    source: Mapped[MemberSource] = mapped_column(_enum(MemberSource), default=MemberSource.DRAWN)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("draw_change.id"))  # replaced / added by
    joined_at: Mapped[datetime | None] = mapped_column(DateTime)  # 组成联合检查组: confirmed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    department: Mapped[Department] = relationship()
    inspector: Mapped[Inspector | None] = relationship()
    auxiliary: Mapped[AuxiliaryInspector | None] = relationship()

    __table_args__ = (Index("ix_team_member_task_active", "task_id", "active"),)


class InspectorConflict(db.Model):
    __tablename__ = "inspector_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspector.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("market_entity.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    inspector: Mapped[Inspector] = relationship()
    entity: Mapped[MarketEntity] = relationship()
    declared_by: Mapped[User | None] = relationship()
