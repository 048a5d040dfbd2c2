"""一公开: what the platform published, which version, and when.

Every publication of a public list entry (an inspection item now; plans and results in later
chapters) is one row: the subject, its version, whether it was published or withdrawn from
the public list (删除 publishes the removal), and a snapshot of exactly the fields the public
saw.  Public pages and the JSON/CSV feed (the stand-in for the push to 信用中国 and 国家企业信用
信息公示系统) read only these rows, never the working tables, so an unpublished draft cannot
leak and a credit-risk grade can never reach the public.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department


class PublicationAction(enum.StrEnum):
    PUBLISH = "publish"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return {"publish": "公布", "withdraw": "撤下"}[self.value]


class Publication(db.Model):
    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))  # e.g. "check_item"
    subject_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[PublicationAction] = mapped_column(
        Enum(PublicationAction, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Copied from the payload at publication, for the public list's filters: 清单类型
    # (单部门 / 部门联合) and 抽查类别.
    list_type: Mapped[str] = mapped_column(String(20), default="")
    domain: Mapped[str] = mapped_column(String(100), default="")
    # The newest publication of its subject (whether it published or withdrew): the public
    # list is the latest rows that publish, one indexed filter instead of a max() per subject.
    latest: Mapped[bool] = mapped_column(Boolean, default=False)
    # JSON object of the public fields, in display order (Chinese labels as keys).
    payload: Mapped[str] = mapped_column(Text, default="{}")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "version"),
        Index("ix_publication_feed", "subject_type", "published_at"),
        Index("ix_publication_latest", "subject_type", "latest", "list_type", "department_id"),
    )
