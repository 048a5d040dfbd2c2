"""Rules read from the registry and the abnormal list: 地址异常预警, 集群注册预警 (表26), 注销预警,
经营异常预警 (seed 004 §6).  Set-based SQL, one SELECT of evidence rows each (common.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, union, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from models import AbnormalListing, ClusterAddress, EntityStatus, MarketEntity
from services.risk.common import Builder, Context, dated, evidence, listed_entities, open_listing


def _cluster_addresses() -> Select[Any]:
    """Every address known as a cluster-registration address (with or without an entity)."""
    return select(ClusterAddress.address).where(ClusterAddress.current.is_(True))


def address_abnormal(ctx: Context) -> Select[Any]:
    """min_entities or more entities of one registered address (住所; cluster addresses excluded)
    are on the abnormal list → the other entities registered there."""
    listed = listed_entities().subquery("listed")
    member = aliased(MarketEntity)
    at_address = (
        select(member.domicile.label("address"), member.id.label("listed_id"), member.name.label("listed_name"),
               listed.c.id.label("listing_id"), listed.c.source_department_id.label("dept_id"),
               listed.c.listed_on.label("listed_on"))
        .join(listed, listed.c.entity_id == member.id)
        .where(member.domicile != "", member.domicile.not_in(_cluster_addresses()))
    )
    if ctx.entity_ids is not None:
        target = aliased(MarketEntity)
        at_address = at_address.where(
            member.domicile.in_(select(target.domicile).where(ctx.limit(target.id))))
    at_address_cte = at_address.cte("at_address")
    bad = (
        select(at_address_cte.c.address).group_by(at_address_cte.c.address)
        .having(func.count(func.distinct(at_address_cte.c.listed_id)) >= ctx.params["min_entities"])
    )
    other = aliased(MarketEntity)
    return (
        select(*evidence(other.id, "abnormal", at_address_cte.c.listing_id, at_address_cte.c.dept_id,
                         at_address_cte.c.listed_on, at_address_cte.c.listed_name))
        .join(at_address_cte, at_address_cte.c.address == other.domicile)
        .where(at_address_cte.c.address.in_(bad), other.id != at_address_cte.c.listed_id,
               other.id.not_in(select(listed.c.entity_id)), ctx.member(other.id))
    )


def _bad_agents() -> Any:
    """The 托管机构 named by cluster rows (by code; a row without a code: by exact name) that are
    on the abnormal list or revoked, once for the whole query."""
    cluster, agent, listing = aliased(ClusterAddress), aliased(MarketEntity), aliased(AbnormalListing)
    codes = select(cluster.agent_code).where(cluster.current.is_(True), cluster.agent_code != "")
    names = select(cluster.agent_name).where(cluster.current.is_(True), cluster.agent_code == "",
                                             cluster.agent_name != "")
    on_list = exists(select(listing.id).where(listing.entity_id == agent.id, open_listing(listing)))
    text = agent.name + case((agent.status == EntityStatus.REVOKED, "已被吊销"), else_="已被列入经营异常名录")
    columns = (agent.id.label("agent_id"), agent.uscc.label("code"), agent.name.label("name"), text.label("text"))
    bad = or_(agent.status == EntityStatus.REVOKED, on_list)
    # two index lookups (by code, by name) rather than one scan of the registry with an OR
    return union(select(*columns).where(agent.uscc.in_(codes), bad),
                 select(*columns).where(agent.name.in_(names), bad)).cte("bad_agents")


def cluster_registration(ctx: Context) -> Select[Any]:
    """The 托管机构 is on the abnormal list or revoked → the entities registered through it: the
    cluster rows naming the entity, and the entities whose 住所 is an address the agent holds."""
    bad = _bad_agents()
    branches = []
    for by_code in (True, False):
        cluster = aliased(ClusterAddress)
        match = (and_(cluster.agent_code != "", bad.c.code == cluster.agent_code) if by_code else
                 and_(cluster.agent_code == "", bad.c.name == cluster.agent_name))
        branches.append(
            select(*evidence(cluster.entity_id, "cluster_address", cluster.id, cluster.source_department_id, None,
                             bad.c.text))
            .join(bad, match)
            .where(cluster.current.is_(True), cluster.entity_id.is_not(None), cluster.entity_id != bad.c.agent_id,
                   ctx.limit(cluster.entity_id)))
        held, tenant = aliased(ClusterAddress), aliased(MarketEntity)
        match = (and_(held.agent_code != "", bad.c.code == held.agent_code) if by_code else
                 and_(held.agent_code == "", bad.c.name == held.agent_name))
        branches.append(
            select(*evidence(tenant.id, "cluster_address", held.id, held.source_department_id, None, bad.c.text))
            .select_from(held).join(bad, match)
            .join(tenant, tenant.domicile == held.address)
            .where(held.current.is_(True), held.entity_id.is_(None), tenant.id != bad.c.agent_id,
                   ctx.member(tenant.id)))
    return union_all(*branches)  # type: ignore[return-value]


def deregistered(ctx: Context) -> Select[Any]:
    """The entity's registration is 注销."""
    entity = aliased(MarketEntity)
    return select(*evidence(entity.id, "entity", entity.id, None, None, entity.name)).where(
        entity.status == EntityStatus.CANCELLED, ctx.limit(entity.id))


def abnormal_list(ctx: Context) -> Select[Any]:
    """The entity is on the abnormal list (a listing in force, common.open_listing)."""
    listing = aliased(AbnormalListing)
    return select(*evidence(listing.entity_id, "abnormal", listing.id, listing.source_department_id,
                            listing.listed_on, listing.reason)).where(open_listing(listing), ctx.limit(listing.entity_id))


BUILDERS = {
    "address_abnormal": Builder(address_abnormal, dated("同一登记地址的企业被列入经营异常名录")),
    "cluster_registration": Builder(cluster_registration, dated("托管机构")),
    "deregistered": Builder(deregistered, dated("营业执照已注销")),
    "abnormal_list": Builder(abnormal_list, dated("列入经营异常名录")),
}
