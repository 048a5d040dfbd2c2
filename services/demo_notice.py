"""双告知 in the demo district (docs/notice.md, docs/demo.md): the district's administrator maps
the catalogue's department names to 成华区's bureaus, the registry clerk registers a few
entities whose 经营范围 name catalogue items (notices to the food section, the culture bureau
and the environment bureau) and one that names none (listed for review); a 食品经营许可 reported
through 信息归集 then answers the food notice with 已发证.  Idempotent: a second run adds
nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from infrastructure import clock
from infrastructure.validators import uscc_check_char
from models import ApprovalAuthority, Department, FactSource, MarketEntity, User, db
from services.collection.ingest import ingest
from services.collection.kinds import FACT_KINDS
from services.notice.mapping import Resolver, set_mapping

MAPPING = {
    "市食品药品监管局": "食品安全监督管理科",
    "市食品药品监管局(区县食品药品监管部门)": "食品安全监督管理科",
    "市卫计委": "成华区卫生健康局",
    "市卫计委(区县卫生部门)": "成华区卫生健康局",
    "区县卫生部门": "成华区卫生健康局",
    "市文广影视局": "成华区文化广电旅游局",
    "市文广影视局(区县文化部门)": "成华区文化广电旅游局",
    "市环保局": "成华区生态环境局",
    "市安监局": "成华区应急管理局",
    "市消防局": "成华区消防救援大队",
    "市商务委": "成华区商务局",
    "市发改委": "成华区发展和改革局",
}
# (name, code body, industry, 经营范围)
ENTITIES = (
    ("成都锦味轩餐饮管理有限公司", "91510108MA6NT0001", "H6210", "餐饮服务；食品销售；日用百货销售"),
    ("成都星光娱乐有限公司", "91510108MA6NT0002", "R9011", "娱乐场所（歌舞娱乐场所）；酒类零售"),
    ("成都蓉环再生资源有限公司", "91510108MA6NT0003", "N7724", "危险废物经营；再生资源回收"),
    ("成都简衣服饰有限公司", "91510108MA6NT0004", "F5232", "服装销售；鞋帽零售"),
)


def _code(body: str) -> str:
    return body + uscc_check_char(body)


def load_demo_notice() -> int:
    """Map, register, report one permit; returns the entities registered now."""
    from services import entities

    departments = {d.name: d for d in db.session.execute(select(Department)).scalars()}
    admin = db.session.execute(select(User).where(User.account == "chxitong")).scalar_one_or_none()
    clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one_or_none()
    if admin is None or clerk is None:
        return 0
    district = departments["成华区"]
    resolver = Resolver()
    for name, unit in MAPPING.items():
        authority = db.session.execute(select(ApprovalAuthority).where(ApprovalAuthority.name == name)).scalar()
        if authority is not None and resolver.department(district.id, authority.id) is None:
            set_mapping(admin, authority, departments[unit].id)
    registered = 0
    for name, body, industry, scope in ENTITIES:
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == _code(body))).first():
            continue
        entities.create_entity(clerk, {
            "name": name, "uscc": _code(body), "entity_type": "enterprise", "industry_code": industry,
            "division_code": "510108003000", "division_name": "成华区猛追湾街道", "status": "active",
            "established_on": (clock.china_today() - timedelta(days=20)).isoformat(), "business_scope": scope,
        })
        registered += 1
    if registered:
        ingest(FACT_KINDS["permit"], [{
            "uscc": _code(ENTITIES[0][1]), "permit_no": "JY25101080012345", "name": "食品经营许可证",
            "valid_from": (clock.china_today() - timedelta(days=3)).isoformat(),
        }], source_kind=FactSource.ONLINE, department=departments["食品安全监督管理科"], actor=clerk)
    db.session.flush()
    return registered
