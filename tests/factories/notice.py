"""双告知 fixtures (docs/notice.md): the catalogue's food names mapped to district A's health
bureau, and entities whose 经营范围 names catalogue items."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import ApprovalAuthority, AuthorityMapping, db
from tests.factories.directories import make_entity

FOOD = "市食品药品监管局"  # item 19 食品生产, 18 化妆品生产 …
CATERING = "市食品药品监管局(区县食品药品监管部门)"  # item 65 餐饮服务


def authority(name: str) -> ApprovalAuthority:
    return db.session.execute(select(ApprovalAuthority).where(ApprovalAuthority.name == name)).scalar_one()


def map_food(org: Any, department: Any = None) -> None:
    """The two food names → district A's 卫生健康局 (or ``department``), in district A."""
    for name in (FOOD, CATERING):
        db.session.add(AuthorityMapping(authority_id=authority(name).id, region_id=org.district_a.id,
                                        department_id=(department or org.health_a).id))
    db.session.commit()


def food_entity(org: Any, n: int = 1, scope: str = "食品生产；餐饮服务；日用百货销售", **overrides: Any) -> Any:
    entity = make_entity(org.clerk_a, n, business_scope=scope, **overrides)
    db.session.commit()
    return entity
