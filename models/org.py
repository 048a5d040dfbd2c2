"""Organisation: the department tree and the users who sign in."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.roles import ADMIN_ROLES, Role, role_label


class DepartmentLevel(enum.StrEnum):
    CITY = "city"
    DISTRICT = "district"
    BUREAU = "bureau"
    SECTION = "section"
    STATION = "station"

    @property
    def label(self) -> str:
        return {
            "city": "市",
            "district": "区（市）县",
            "bureau": "局/委",
            "section": "处室/科室",
            "station": "市场监管所",
        }[self.value]


class DepartmentKind(enum.StrEnum):
    """What a department is, besides its level: most are supervision departments."""

    GOVERNMENT = "government"
    SUPERVISION = "supervision"
    CONFERENCE_OFFICE = "conference_office"
    EXTERNAL = "external"

    @property
    def label(self) -> str:
        return {
            "government": "人民政府",
            "supervision": "监管部门",
            "conference_office": "联席会议办公室",
            "external": "外部单位",
        }[self.value]


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[DepartmentLevel] = mapped_column(
        Enum(DepartmentLevel, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    kind: Mapped[DepartmentKind] = mapped_column(
        Enum(DepartmentKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=DepartmentKind.SUPERVISION,
    )
    region_code: Mapped[str] = mapped_column(String(12), default="")
    # Materialised path "/1/4/9/": a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side="Department.id", back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent", order_by="Department.sort_order")

    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name}>"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def is_within(self, other: Department) -> bool:
        """True when this department is ``other`` or lies in its subtree."""
        return self.path.startswith(other.path)

    def ancestors(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return {"active": "正常", "disabled": "停用"}[self.value]

    @property
    def css(self) -> str:
        return {"active": "ok", "disabled": "muted"}[self.value]


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    mobile: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    status: Mapped[UserStatus] = mapped_column(
        Enum(UserStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=UserStatus.ACTIVE,
    )
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Rotated at every sign-in and password change: old session cookies stop working.
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="UserRole.user_id"
    )

    __table_args__ = (
        CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),
        # Sign-in treats accounts case-insensitively, so must uniqueness.
        Index("uq_user_account_account_lower", func.lower(account), unique=True),
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def role_codes(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: Role | str) -> bool:
        codes = self.role_codes
        return any(str(r) in codes for r in roles)

    @property
    def role_labels(self) -> list[str]:
        return [role_label(r.role) for r in sorted(self.roles, key=lambda r: list(Role).index(Role(r.role)))]

    @property
    def is_admin_only(self) -> bool:
        codes = self.role_codes
        return bool(codes) and codes <= {str(r) for r in ADMIN_ROLES}

    @property
    def masked_id_number(self) -> str:
        from infrastructure.masking import mask_id_number

        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        from infrastructure.masking import mask_mobile

        return mask_mobile(self.mobile)

    def __repr__(self) -> str:
        return f"<User {self.account}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("user_id", "role"),)
