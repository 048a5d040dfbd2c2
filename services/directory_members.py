"""The members of an object directory (检查对象名录库), page by page, for its page and its
exports: entities, places and products in one list.  The directory itself is
services/directories.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from models import (
    DirectoryMember,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    Place,
    Product,
    db,
)
from services.directories import PER_PAGE

# ------------------------------------------------------------------ members


@dataclass
class MemberRow:
    id: int
    kind: MemberKind
    name: str
    code: str
    address: str
    grade: str | None
    entity_id: int | None
    extra: str  # responsible unit of a place, licence validity of a product


@dataclass
class MemberPage:
    rows: list[MemberRow]
    has_next: bool
    has_prev: bool
    total: int

    @property
    def next_after(self) -> int | None:
        return self.rows[-1].id if self.rows and self.has_next else None

    @property
    def prev_before(self) -> int | None:
        return self.rows[0].id if self.rows and self.has_prev else None


def _member_select() -> tuple[Select[Any], Any]:
    entity = aliased(MarketEntity)
    linked = aliased(MarketEntity)
    return (
        select(
            DirectoryMember.id,
            DirectoryMember.kind,
            DirectoryMember.entity_id,
            entity.name,
            entity.uscc,
            entity.reg_no,
            entity.business_address,
            entity.credit_grade,
            Place.name.label("place_name"),
            Place.address.label("place_address"),
            Place.responsible_unit,
            Product.licence_no,
            Product.company_name,
            Product.address.label("product_address"),
            Product.valid_until,
            linked.credit_grade.label("linked_grade"),
            linked.id.label("linked_id"),
        )
        .select_from(DirectoryMember)
        .outerjoin(entity, entity.id == DirectoryMember.entity_id)
        .outerjoin(Place, Place.id == DirectoryMember.place_id)
        .outerjoin(Product, Product.id == DirectoryMember.product_id)
        .outerjoin(linked, linked.id == func.coalesce(Place.entity_id, Product.entity_id))
    ), entity


def _member_row(r: Any) -> MemberRow:
    kind = MemberKind(r.kind)
    if kind == MemberKind.ENTITY:
        return MemberRow(r.id, kind, r.name or "", r.uscc or r.reg_no or "", r.business_address or "",
                         r.credit_grade, r.entity_id, "")
    if kind == MemberKind.PLACE:
        return MemberRow(r.id, kind, r.place_name, "", r.place_address, r.linked_grade, r.linked_id,
                         f"责任单位：{r.responsible_unit}" if r.responsible_unit else "")
    return MemberRow(r.id, kind, r.company_name, r.licence_no, r.product_address or "", r.linked_grade, r.linked_id,
                     f"有效期至：{r.valid_until}" if r.valid_until else "")


def members_page(
    directory: ObjectDirectory,
    *,
    kind: MemberKind | None = None,
    search: str = "",
    after: int | None = None,
    before: int | None = None,
    per_page: int = PER_PAGE,
) -> MemberPage:
    """One keyset page of a directory's members in the order they joined, filtered by kind
    and by a name (contained) or an exact code."""
    query, entity = _member_select()
    query = query.where(DirectoryMember.directory_id == directory.id)
    if kind is not None:
        query = query.where(DirectoryMember.kind == kind)
    search = (search or "").strip()[:100]
    if search:
        query = query.where(
            or_(
                entity.name.contains(search, autoescape=True),
                entity.uscc == search.upper(),
                entity.reg_no == search,
                Place.name.contains(search, autoescape=True),
                Place.address.contains(search, autoescape=True),
                Product.company_name.contains(search, autoescape=True),
                Product.licence_no == search,
            )
        )
    if search:
        total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    else:  # from the population index alone
        counted = select(func.count()).select_from(DirectoryMember).where(DirectoryMember.directory_id == directory.id)
        if kind is not None:
            counted = counted.where(DirectoryMember.kind == kind)
        total = db.session.execute(counted).scalar_one()
    if before is not None:
        page = query.where(DirectoryMember.id < before).order_by(DirectoryMember.id.desc())
    else:
        if after is not None:
            query = query.where(DirectoryMember.id > after)
        page = query.order_by(DirectoryMember.id.asc())
    rows = [_member_row(r) for r in db.session.execute(page.limit(per_page + 1))]
    if before is not None:
        has_prev = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        has_next = True
    else:
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_prev = after is not None
    return MemberPage(rows, has_next, has_prev, total)
