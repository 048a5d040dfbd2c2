"""执法检查人员名录库 (DB5101 7.1.3, template A.5) and the auxiliary pool (辅助检查人员库,
渝 规范 “建立检查人员名录库”: 检测机构、科研院所和专家学者).

An ``Inspector`` is a directory entry owned by a department (its 单位, or the 科室 below it);
it may be linked to a user account.  ``random_permission`` is the 双随机检查权限 of 表17:
only entries that hold it, are on duty and have a valid 执法证 can be drawn
(services.inspector_search.eligible_inspectors).  Specialities (业务专长), qualifications (执法资质)
and the inspection matters (监督检查（执法）事项) are tags.  A deleted entry is kept inactive,
so that earlier draws still name it; adding the same ID number again revives it.  An entry
imported from 渝 C.1 may have no ID number: it is known by its mobile number in the district.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class DutyStatus(enum.StrEnum):
    ON = "on"
    OFF = "off"

    @property
    def label(self) -> str:
        return {"on": "在岗", "off": "不在岗"}[self.value]

    @property
    def css(self) -> str:
        return {"on": "ok", "off": "muted"}[self.value]


class TagKind(enum.StrEnum):
    SPECIALITY = "speciality"
    QUALIFICATION = "qualification"
    MATTER = "matter"

    @property
    def label(self) -> str:
        return {"speciality": "业务专长", "qualification": "执法资质", "matter": "监督检查（执法）事项"}[self.value]


class Inspector(db.Model):
    __tablename__ = "inspector"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(2), default="")
    # None for an entry imported from 渝 C.1 (执法人员名录库样表 has no ID number column);
    # unique among the entries that have one (NULLs never collide, SQLite and PostgreSQL).
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    mobile: Mapped[str] = mapped_column(String(20), default="", index=True)
    post: Mapped[str] = mapped_column(String(50), default="")  # 职务
    section: Mapped[str] = mapped_column(String(50), default="")  # 科室 as written in A.5
    area: Mapped[str] = mapped_column(String(200), default="")  # 监督检查（执法）区域
    category: Mapped[str] = mapped_column(String(30), default="")  # 执法检查人员类别
    cert_issuer: Mapped[str] = mapped_column(String(100), default="")  # 发证机关
    cert_no: Mapped[str] = mapped_column(String(50), default="")  # 执法证编号
    cert_valid_from: Mapped[date | None] = mapped_column(Date)
    cert_valid_to: Mapped[date | None] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)  # 填报日期
    duty: Mapped[DutyStatus] = mapped_column(
        Enum(DutyStatus, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]),
        default=DutyStatus.ON,
    )
    random_permission: Mapped[bool] = mapped_column(Boolean, default=False)
    permission_granted_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    tags: Mapped[list[InspectorTag]] = relationship(
        back_populates="inspector", cascade="all, delete-orphan", order_by="InspectorTag.id"
    )

    __table_args__ = (Index("ix_inspector_department_active", "department_id", "active", "duty"),)

    def __repr__(self) -> str:
        return f"<Inspector {self.id} {self.name}>"

    def tag_values(self, kind: TagKind) -> list[str]:
        return [t.value for t in self.tags if t.kind == kind.value]

    @property
    def specialities(self) -> list[str]:
        return self.tag_values(TagKind.SPECIALITY)

    @property
    def qualifications(self) -> list[str]:
        return self.tag_values(TagKind.QUALIFICATION)

    @property
    def matters(self) -> list[str]:
        return self.tag_values(TagKind.MATTER)

    @property
    def masked_id_number(self) -> str:
        from infrastructure.masking import mask_id_number

        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        from infrastructure.masking import mask_mobile

        return mask_mobile(self.mobile)

    def certificate_valid(self, on: date) -> bool:
        """A certificate number and a validity period that covers ``on``."""
        if not self.cert_no or self.cert_valid_to is None:
            return False
        return (self.cert_valid_from is None or self.cert_valid_from <= on) and on <= self.cert_valid_to


class InspectorTag(db.Model):
    __tablename__ = "inspector_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspector.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))

    inspector: Mapped[Inspector] = relationship(back_populates="tags")

    __table_args__ = (
        UniqueConstraint("inspector_id", "kind", "value"),
        Index("ix_inspector_tag_kind_value", "kind", "value"),
    )


class AuxiliaryKind(enum.StrEnum):
    EXPERT = "expert"
    TESTING = "testing"
    RESEARCH = "research"

    @property
    def label(self) -> str:
        return {"expert": "专家学者", "testing": "检验检测机构", "research": "科研院所"}[self.value]


class AuxiliaryInspector(db.Model):
    """辅助检查人员库: an expert or an institution a department may call on for a special field."""

    __tablename__ = "auxiliary_inspector"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[AuxiliaryKind] = mapped_column(
        Enum(AuxiliaryKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    name: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str] = mapped_column(String(100), default="")  # 所在单位
    contact: Mapped[str] = mapped_column(String(50), default="")  # 联系人
    phone: Mapped[str] = mapped_column(String(30), default="")
    field: Mapped[str] = mapped_column(String(200), default="")  # 专业领域
    qualification: Mapped[str] = mapped_column(String(200), default="")  # 资质
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
