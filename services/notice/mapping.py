"""审批部门对照: the catalogue's department names mapped to org units, per area.

A name ("市农委") is mapped within one area (a 区 or 市 node) to a department of that area's
tree.  A notice for an entity goes to the mapping of the entity's registry (its 区), else of
the nearest area above it (the 市's), else to nobody yet: the notice is kept with no receiving
department and is routed when the name is mapped (``set_mapping`` fills those notices).
The 系统管理员 maps the names of their own area; a department outside it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from infrastructure.errors import Forbidden, Invalid, NotFound
from models import (
    ApprovalAuthority,
    AuthorityMapping,
    Department,
    MarketEntity,
    ScopeNotice,
    User,
    db,
    utcnow,
)
from models.roles import Role
from persistence import audit
from persistence.org import region_root
from persistence.scope import subtree_ids

SUBJECT = "approval_authority"


class Resolver:
    """The receiving department of each (registry, name), from the mappings loaded once."""

    def __init__(self) -> None:
        rows = db.session.execute(
            select(AuthorityMapping.authority_id, AuthorityMapping.region_id, AuthorityMapping.department_id)
        ).all()
        self._by_region: dict[int, dict[int, int]] = {}
        for authority_id, region_id, department_id in rows:
            self._by_region.setdefault(region_id, {})[authority_id] = department_id
        self._chains: dict[int, list[int]] = {}

    def _chain(self, registry_id: int) -> list[int]:
        chain = self._chains.get(registry_id)
        if chain is None:
            path = db.session.execute(select(Department.path).where(Department.id == registry_id)).scalar_one()
            chain = [int(p) for p in reversed(path.strip("/").split("/")) if p]
            self._chains[registry_id] = chain
        return chain

    def department(self, registry_id: int, authority_id: int) -> int | None:
        for region_id in self._chain(registry_id):
            found = self._by_region.get(region_id, {}).get(authority_id)
            if found is not None:
                return found
        return None


def can_map(actor: User) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN)


@dataclass
class MappingRow:
    authority: ApprovalAuthority
    department: Department | None
    inherited: bool  # mapped by an area above the admin's


def mapping_rows(actor: User) -> list[MappingRow]:
    """Every catalogue name with its org unit in the actor's area; unmapped names first."""
    region = region_root(actor.department)
    resolver = Resolver()
    departments = {d.id: d for d in db.session.execute(select(Department)).scalars()}
    own = resolver._by_region.get(region.id, {})
    rows = []
    for authority in db.session.execute(select(ApprovalAuthority).order_by(ApprovalAuthority.name)).scalars():
        ident = resolver.department(region.id, authority.id)
        rows.append(MappingRow(authority, departments.get(ident) if ident else None,
                               ident is not None and authority.id not in own))
    return sorted(rows, key=lambda r: r.department is not None)


def department_choices(actor: User) -> list[Department]:
    region = region_root(actor.department)
    return list(db.session.execute(
        select(Department).where(Department.path.startswith(region.path), Department.active.is_(True))
        .order_by(Department.path)
    ).scalars())


def set_mapping(actor: User, authority: ApprovalAuthority, department_id: int | None) -> int:
    """Map ``authority`` in the actor's area to ``department_id``; the notices of the area's
    entities still without a receiving department for this name go to it.  Returns how many."""
    if not can_map(actor):
        raise Forbidden("只有系统管理员可以维护审批部门对照")
    region = region_root(actor.department)
    department = db.session.get(Department, department_id) if department_id else None
    if department is None or not department.is_within(region):
        raise Invalid(f"请选择本辖区（{region.name}）组织机构中的部门", field="department_id")
    mapping = db.session.execute(
        select(AuthorityMapping).where(AuthorityMapping.authority_id == authority.id,
                                       AuthorityMapping.region_id == region.id)
    ).scalar_one_or_none()
    before = mapping.department.name if mapping else ""
    if mapping is None:
        mapping = AuthorityMapping(authority_id=authority.id, region_id=region.id)
        db.session.add(mapping)
    mapping.department_id, mapping.updated_by_id, mapping.updated_at = department.id, actor.id, utcnow()
    db.session.flush()
    routed = db.session.execute(
        update(ScopeNotice)
        .where(ScopeNotice.authority_id == authority.id, ScopeNotice.department_id.is_(None),
               ScopeNotice.entity_id.in_(select(MarketEntity.id).where(
                   MarketEntity.department_id.in_(subtree_ids(region)))))
        .values(department_id=department.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record("update", object_type=SUBJECT, object_id=authority.id, user=actor,
                 summary={"审批部门": authority.name, "辖区": region.name, "对应部门": [before, department.name],
                          "转交抄告": routed})
    return int(routed or 0)


def find_authority(ident: int) -> ApprovalAuthority:
    found = db.session.get(ApprovalAuthority, ident)
    if found is None:
        raise NotFound("审批部门不存在")
    return found
