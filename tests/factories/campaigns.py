"""Shared setup for the 表23 专项整治 tests: district A's market-supervision bureau initiates,
甲区卫生健康局 takes part (joint campaigns), a few entities of district A with grades, and
helpers that drive a campaign to a stage through the services."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from models import Campaign, CampaignObject, MarketEntity, User, db
from models.roles import Role
from services.campaigns import assign, feedback, library, plans, records
from tests.factories.directories import make_entity

TODAY = date(2026, 11, 4)
_numbers = itertools.count(6101)


class Setup:
    def __init__(self, org: Any, make_user: Any, app: Any, monkeypatch: Any) -> None:
        self.org = org
        self.app = app
        self.monkeypatch = monkeypatch
        self.at(TODAY)
        self.clerk: User = org.clerk_a
        self.leader: User = org.leader_a
        self.inspector: User = org.inspector_a  # 甲区第一市场监管所
        self.inspector2: User = make_user(org.station_a, Role.INSPECTOR, name="刘执法")
        self.health_clerk: User = org.health_clerk
        self.health_inspector: User = make_user(org.health_a, Role.INSPECTOR, name="卫健执法员")
        self.entities: list[MarketEntity] = []
        for grade, division, industry in (("A", "510108001000", "H6210"), ("B", "510108001000", "H6210"),
                                          ("C", "510108002000", "F5211"), ("D", "510108002000", "H6210")):
            n = next(_numbers)
            e = make_entity(self.clerk, n, name=f"甲区专项{n}有限公司", division_code=division,
                            industry_code=industry, industry_name="餐饮业" if industry == "H6210" else "零售业")
            e.credit_grade = grade
            self.entities.append(e)
        db.session.commit()
        self.campaign: Campaign | None = None

    def at(self, day: date) -> None:
        """Set the platform's working day (services.plan_queries.today)."""
        self.monkeypatch.setitem(self.app.config, "PLANS_TODAY", day)

    # ---------------------------------------------------------------- stages

    def form(self, **over: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": "2026年餐饮行业专项整治", "basis": "《中华人民共和国食品安全法》", "scope": "甲区餐饮服务提供者",
            "expected": "消除食品安全隐患", "starts_on": "2026-10-01", "ends_on": "2026-12-31",
            "modes": ["信用监管", "重点监管"], "text_report": "1",
        }
        data.update(over)
        return data

    def draft(self, joint: bool = False, **over: Any) -> Campaign:
        extra = {"joint": "1", "participants": [str(self.org.health_a.id)]} if joint else {}
        self.campaign = plans.create_campaign(self.clerk, self.form(**extra, **over))
        feedback.add_field(self.clerk, self.campaign, {"kind": "number", "label": "检查餐具数量", "unit": "件"})
        feedback.add_field(self.clerk, self.campaign, {"kind": "choice", "label": "经营类别",
                                                       "options": "餐馆，小吃店", "required": "1"})
        library.build(self.clerk, self.campaign, {"grades": ["B", "C", "D"]})
        db.session.commit()
        return self.campaign

    def published(self, joint: bool = False) -> Campaign:
        c = self.draft(joint)
        plans.submit(self.clerk, c, c.lock_version)
        plans.decide(self.leader, c, c.lock_version, True, "同意")
        plans.publish(self.clerk, c, c.lock_version)
        db.session.commit()
        return c

    def assigned(self, joint: bool = False) -> Campaign:
        c = self.published(joint)
        if joint:
            plans.receive(self.health_clerk, c, c.parties[0].lock_version, {"receive_note": "已部署"})
            library.allocate(self.clerk, c, {"target": str(self.org.health_a.id), "division": "510108002"})
            assign.assign(self.health_clerk, c, {"mode": "manual", "inspectors": [str(self.health_inspector.id)]})
        else:
            plans.deploy(self.clerk, c, c.lock_version, {"deploy_note": "全区部署"})
        assign.assign(self.clerk, c, {"mode": "manual", "inspectors": [str(self.inspector.id)]})
        db.session.commit()
        return c

    def objects(self) -> list[CampaignObject]:
        assert self.campaign is not None
        return list(db.session.execute(db.select(CampaignObject).where(
            CampaignObject.campaign_id == self.campaign.id).order_by(CampaignObject.id)).scalars())

    def answers(self, **over: Any) -> dict[str, Any]:
        assert self.campaign is not None
        by_label = {f.label: f.key for f in self.campaign.fields}
        data = {by_label["检查餐具数量"]: "12", by_label["经营类别"]: "餐馆", "report_text": "现场检查完毕",
                "inspected_on": TODAY.isoformat()}
        data.update(over)
        return data

    def record(self, obj: CampaignObject, user: User | None = None, **over: Any) -> None:
        who = user or obj.inspector
        records.save_record(who, obj, obj.lock_version, self.answers(**over))
        db.session.commit()
