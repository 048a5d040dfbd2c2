"""The browser tests' registry: three restaurants and a shop, committed once in the live server."""

from __future__ import annotations

CODES = ("91510108MA6BR0001", "92510108MA6BR0002", "91510108MA6BR0003", "91510108MA6BR0004")


def seed_browser_registry(live) -> None:
    """Three restaurants and a shop in the live server's registry (committed once)."""
    from sqlalchemy import select

    from infrastructure.validators import uscc_check_char
    from models import MarketEntity, User, db
    from services.entities import create_entity

    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        names = ("浏览器测试火锅店", "浏览器测试面馆", "浏览器测试茶楼", "浏览器测试超市")
        for name, body in zip(names, CODES, strict=True):
            code = body + uscc_check_char(body)
            if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == code)).first():
                continue
            create_entity(clerk, {
                "name": name, "uscc": code, "entity_type": "enterprise", "division_code": "510108001000",
                "status": "active", "industry_code": "F5211" if "超市" in name else "H6210",
            })
        db.session.commit()


def warned_entity(live, code: str = "lawsuits"):
    """A new entity of the clerk's district with an open 风险库 warning of rule ``code``; returns
    (name, uscc)."""
    import uuid
    from types import SimpleNamespace

    from sqlalchemy import select

    from models import User, db
    from tests.factories.trigger import warned

    with live.app.app_context():
        clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one()
        org = SimpleNamespace(clerk_a=clerk, bureau_a=clerk.department)
        entity = warned(org, 9000 + uuid.uuid4().int % 900, code)
        db.session.commit()
        return entity.name, entity.uscc
