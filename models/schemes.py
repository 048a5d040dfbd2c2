"""Inspection schemes (抽查方案, DB5101 表20 根据计划制定双随机抽查方案, 表22 …部门联合…方案).

One scheme per task: what is checked, when and how, who does what (seed 001 制定抽查工作方案:
抽查事项、责任分工、时间安排及工作要求) and the random rule the objects are drawn by (表22
随机抽取检查对象: 根据抽查方案随机规则): the ratio per credit-risk grade and, for a 定向 draw,
the filter on the directory.  The department leader reviews it (审核方案可行性); a joint scheme
is then published (公示方案), except a sensitive one (涉枪涉爆等涉及安全方面的方案应选择性公示),
whose public record leaves out what the department marks as withheld.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import User
from models.plans import Task


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class SchemeStatus(enum.StrEnum):
    DRAFT = "draft"  # 制定中 / 退回修改
    REVIEW = "review"  # 审核中
    APPROVED = "approved"  # 审核通过 (and, for a joint scheme, 公示)

    @property
    def label(self) -> str:
        return {"draft": "制定中", "review": "待审核", "approved": "审核通过"}[self.value]

    @property
    def css(self) -> str:
        return {"draft": "info", "review": "warn", "approved": "ok"}[self.value]


class DrawScope(enum.StrEnum):
    """定向 (a filtered part of the directory) or 不定向 (the whole directory)."""

    WHOLE = "whole"
    DIRECTED = "directed"

    @property
    def label(self) -> str:
        return {"whole": "不定向抽取", "directed": "定向抽取"}[self.value]


class Scheme(db.Model):
    __tablename__ = "inspection_scheme"
    __table_args__ = (CheckConstraint("risk_weight >= 0 AND risk_weight <= 100", name="risk_weight_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), unique=True)
    status: Mapped[SchemeStatus] = mapped_column(_enum(SchemeStatus), default=SchemeStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(200))  # 方案名称
    content: Mapped[str] = mapped_column(Text, default="")  # 检查内容
    schedule: Mapped[str] = mapped_column(Text, default="")  # 时间安排
    duties: Mapped[str] = mapped_column(Text, default="")  # 责任分工
    requirements: Mapped[str] = mapped_column(Text, default="")  # 工作要求
    methods: Mapped[str] = mapped_column(String(100), default="")  # 检查方式, joined by 、
    # The random rule: {"A": "1", "B": "2", …, "-": "3"} percent per grade, as JSON.
    ratios: Mapped[str] = mapped_column(Text, default="{}")
    scope: Mapped[DrawScope] = mapped_column(_enum(DrawScope), default=DrawScope.WHOLE)
    # 定向: the filter on the directory's members, as JSON (kinds, divisions, industries, tags …).
    scope_filter: Mapped[str] = mapped_column(Text, default="{}")
    # 涉枪涉爆等涉及安全方面的方案: published selectively (only title, department and period).
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # 风险库命中加权: each open 风险库 warning of a member counts this many times in the draw's
    # weight (1 + risk_weight × open warnings); 0 = every member weighs 1 (docs/draws.md).
    risk_weight: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)  # publications so far
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    task: Mapped[Task] = relationship(back_populates="scheme")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
