"""Supervised-object libraries (监管对象库, DB5101 §6, 表3–表6).

A library is a named set of registry entities kept by one department (its subtree sees it),
made either from an A.4.1/A.4.2 workbook whose rows are matched to the registry, or from a
saved filter over the registry (kept as JSON, the list page's query arguments, so that the
filter can be shown again and re-run).  Members are (library, entity) pairs: the primary key
serves "the members of a library", the second index "the libraries of an entity" (the
entity page).  A library's tags (标签) show on each member entity's page.

The member table has no foreign keys (see LibraryMember): the service maintains both ends.

``member_count`` is kept on the library: counting 100,000 members on every list page is not
worth it.  It changes only when the library is built or an entity is deleted
(services.libraries.forget_entity).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.org import Department, User


class LibrarySource(enum.StrEnum):
    """How a library was made (表3 选择监管对象库新增方式)."""

    TEMPLATE = "template"
    FILTER = "filter"

    @property
    def label(self) -> str:
        return {"template": "按模板导入", "filter": "筛选录入"}[self.value]

    @property
    def css(self) -> str:
        return "info"


class ObjectLibrary(db.Model):
    """监管对象库."""

    __tablename__ = "object_library"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    source: Mapped[LibrarySource] = mapped_column(
        Enum(LibrarySource, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    # 按模板导入: the template code (A.4.1 or A.4.2) and the file's name.
    template_code: Mapped[str] = mapped_column(String(10), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    # 筛选录入: the filter as query arguments of the registry list ({"division": "510108", …}).
    filter_json: Mapped[str] = mapped_column(Text, default="")
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User] = relationship()
    tags: Mapped[list[LibraryTag]] = relationship(
        back_populates="library", cascade="all, delete-orphan", passive_deletes=True, order_by="LibraryTag.tag"
    )

    __table_args__ = (UniqueConstraint("department_id", "name"),)

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    def __repr__(self) -> str:
        return f"<ObjectLibrary {self.id} {self.name}>"


class LibraryMember(db.Model):
    """One entity of a library.  No surrogate key: the pair is the key.

    Deliberately without foreign keys: PostgreSQL checks a foreign key row by row (a lookup
    and a row lock on the referenced row), which took 8 of the 10 seconds of storing a
    100,000-member library (bench/libraries.py), against 1 second without.  The service keeps
    both ends instead: deleting a library deletes its members in the same transaction, deleting
    an entity deletes its memberships (services.libraries.forget_entity, called by
    services.entities.delete_entity), members are only ever written from rows just read from
    the registry, and the member pages join the registry, so a member without its entity is
    never shown.
    """

    __tablename__ = "object_library_member"

    library_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    __table_args__ = (Index("ix_object_library_member_entity", "entity_id", "library_id"),)


class LibraryTag(db.Model):
    """A tag of a library (表5 新增标签, 表6 标签维护)."""

    __tablename__ = "object_library_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("object_library.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(30))

    library: Mapped[ObjectLibrary] = relationship(back_populates="tags")

    __table_args__ = (UniqueConstraint("library_id", "tag"),)
