"""Object directories (检查对象名录库, DB5101 7.1.2, 表15–表16) and their members.

A directory is the population of one inspection item (CheckItem) for one department: the
objects that item's random draws pick from.  It is unique per (item, department): the
initiator and each participant of a joint item keep their own.  Seed 003 (渝 规范 附录B)
names three kinds of object, and a directory may mix them:

- 市场主体 (B.1; DB5101 A.4): a MarketEntity of the registry, by foreign key;
- 场地场所 (B.2): a Place, a row owned by the department that imported it;
- 产品 (B.3): a Product (a production licence with its holder), owned likewise.

Places and products are their own tables so that one place may sit in several directories and
a re-import updates it (a place is known by name and address, a product by licence number,
within the owning department).  Each may name the registry entity responsible for it
(责任单位 / 企业, matched by 统一社会信用代码), whose credit-risk grade a draw can use.

Members are one narrow table with one foreign key per kind; (directory, kind) serves a draw's
population, the unique (directory, object) pairs serve "is it already in" and the per-object
indexes the reverse lookup (the directories an entity is in).  Deleting an entity, place or
product removes its memberships (ON DELETE CASCADE).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
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
from models.entity import MarketEntity
from models.items import CheckItem
from models.org import Department, User


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class MemberKind(enum.StrEnum):
    """The three kinds of 检查对象 of 渝 规范 附录B."""

    ENTITY = "entity"
    PLACE = "place"
    PRODUCT = "product"

    @property
    def label(self) -> str:
        return {"entity": "市场主体", "place": "场地场所", "product": "产品"}[self.value]

    @property
    def css(self) -> str:
        return {"entity": "info", "place": "ok", "product": "warn"}[self.value]


class ObjectDirectory(db.Model):
    """检查对象名录库 of one inspection item for one department."""

    __tablename__ = "object_directory"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    item: Mapped[CheckItem] = relationship()
    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("item_id", "department_id"),)

    def __repr__(self) -> str:
        return f"<ObjectDirectory {self.id} {self.name}>"


class Place(db.Model):
    """场地场所 (渝 规范 B.2), owned by the department that recorded it."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    name: Mapped[str] = mapped_column(String(200))  # 场地场所
    area: Mapped[str] = mapped_column(String(100), default="")  # 所在地区
    division_name: Mapped[str] = mapped_column(String(100), default="")  # 行政区划
    responsible_unit: Mapped[str] = mapped_column(String(200), default="")  # 责任单位
    responsible_uscc: Mapped[str] = mapped_column(String(18), default="")  # 责任单位统一社会信用代码
    responsible_person: Mapped[str] = mapped_column(String(100), default="")  # 责任人
    id_type: Mapped[str] = mapped_column(String(30), default="")  # 责任人证件类型
    id_code: Mapped[str] = mapped_column(String(40), default="")  # 责任人证件编码
    purpose: Mapped[str] = mapped_column(String(100), default="")  # 场所用途
    scale: Mapped[str] = mapped_column(String(100), default="")  # 场所规模
    in_use_since: Mapped[date | None] = mapped_column(Date)  # 投入使用开始时间
    service_life: Mapped[str] = mapped_column(String(50), default="")  # 使用寿命
    address: Mapped[str] = mapped_column(String(255))  # 检查地址
    phone: Mapped[str] = mapped_column(String(60), default="")  # 检查联系电话
    county: Mapped[str] = mapped_column(String(100), default="")  # 所属区县
    nature: Mapped[str] = mapped_column(String(50), default="")  # 行政相对人性质
    division_code: Mapped[str] = mapped_column(String(12), default="")  # 行政区划代码
    # The registry entity of 责任单位统一社会信用代码, when registered.
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()
    entity: Mapped[MarketEntity | None] = relationship()

    __table_args__ = (UniqueConstraint("department_id", "name", "address"),)


class Product(db.Model):
    """产品 (渝 规范 B.3): a production licence and the enterprise that holds it."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    licence_no: Mapped[str] = mapped_column(String(40))  # 生产许可证编号
    company_name: Mapped[str] = mapped_column(String(200))  # 企业名称
    uscc: Mapped[str] = mapped_column(String(18))  # 统一社会信用代码
    issued_on: Mapped[date | None] = mapped_column(Date)  # 发证日期
    valid_until: Mapped[date | None] = mapped_column(Date)  # 有效期至
    address: Mapped[str] = mapped_column(String(255), default="")  # 检查地址
    phone: Mapped[str] = mapped_column(String(60), default="")  # 检查联系电话
    county: Mapped[str] = mapped_column(String(100), default="")  # 所属区县
    nature: Mapped[str] = mapped_column(String(50), default="")  # 行政相对人性质
    division_code: Mapped[str] = mapped_column(String(12), default="")  # 行政区划代码
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()
    entity: Mapped[MarketEntity | None] = relationship()

    __table_args__ = (UniqueConstraint("department_id", "licence_no"),)


class DirectoryMember(db.Model):
    """One object in one directory: exactly one of entity_id, place_id, product_id, per kind."""

    __tablename__ = "directory_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("object_directory.id", ondelete="CASCADE"))
    kind: Mapped[MemberKind] = mapped_column(_enum(MemberKind))
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("market_entity.id", ondelete="CASCADE"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    directory: Mapped[ObjectDirectory] = relationship()
    entity: Mapped[MarketEntity | None] = relationship()
    place: Mapped[Place | None] = relationship()
    product: Mapped[Product | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(kind = 'entity' AND entity_id IS NOT NULL AND place_id IS NULL AND product_id IS NULL)"
            " OR (kind = 'place' AND place_id IS NOT NULL AND entity_id IS NULL AND product_id IS NULL)"
            " OR (kind = 'product' AND product_id IS NOT NULL AND entity_id IS NULL AND place_id IS NULL)",
            name="one_object_per_kind",
        ),
        # A draw's population: the members of one directory, by kind, in id order.
        Index("ix_directory_member_population", "directory_id", "kind", "id"),
        # The members page: one directory in the order its members joined (keyset on id).
        Index("ix_directory_member_page", "directory_id", "id"),
        UniqueConstraint("directory_id", "entity_id"),
        UniqueConstraint("directory_id", "place_id"),
        UniqueConstraint("directory_id", "product_id"),
        # The directories an object is in (the entity page; cascades on delete).
        Index("ix_directory_member_entity", "entity_id"),
        Index("ix_directory_member_place", "place_id"),
        Index("ix_directory_member_product", "product_id"),
    )
