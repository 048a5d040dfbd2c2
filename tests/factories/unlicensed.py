"""Shared setup for the 表24 tests: district A's conference with two member units (卫生健康局,
应急管理局), a liaison and an inspector in each, and helpers that drive a cycle to a stage."""

from __future__ import annotations

from typing import Any

from models import UnlicensedCycle, UnlicensedOperator, UnlicensedUnit, User, db
from models.conference import Conference, ConferenceMember
from models.roles import Role
from services.plan_queries import today
from services.unlicensed import cycles, operators, reports

YEAR = 2026


class Setup:
    def __init__(self, org: Any, make_user: Any, name: str = "无证无照经营综合治理联席会议") -> None:
        self.org = org
        self.office = org.office_user
        self.health_liaison: User = make_user(org.health_a, Role.MEMBER_LIAISON, name="卫健联络员")
        self.safety_liaison: User = make_user(org.safety_a, Role.MEMBER_LIAISON, name="应急联络员")
        self.health_inspector: User = make_user(org.health_a, Role.INSPECTOR, name="卫健执法员")
        self.safety_inspector: User = make_user(org.safety_a, Role.INSPECTOR, name="应急执法员")
        self.conference = Conference(name=name, office_id=org.office_a.id)
        self.conference.members = [
            ConferenceMember(department_id=org.health_a.id, liaison_id=self.health_liaison.id, sort_order=0),
            ConferenceMember(department_id=org.safety_a.id, liaison_id=self.safety_liaison.id, sort_order=1),
        ]
        db.session.add(self.conference)
        db.session.commit()
        self.cycle: UnlicensedCycle | None = None

    # ---------------------------------------------------------------- stages

    def start(self) -> UnlicensedCycle:
        self.cycle = cycles.start_cycle(self.office, self.conference, {
            "year": str(YEAR), "doc_no": "甲联办〔2026〕1号", "title": "关于报送2026年度无证无照经营综合治理工作计划的通知",
            "body": "各成员单位：请于3月底前报送年度工作计划。"})
        db.session.commit()
        return self.cycle

    @property
    def health(self) -> UnlicensedUnit:
        return self.cycle.unit_for(self.org.health_a.id)  # type: ignore[union-attr]

    @property
    def safety(self) -> UnlicensedUnit:
        return self.cycle.unit_for(self.org.safety_a.id)  # type: ignore[union-attr]

    def pairs(self) -> list[tuple[UnlicensedUnit, User, User]]:
        return [(self.health, self.health_liaison, self.health_inspector),
                (self.safety, self.safety_liaison, self.safety_inspector)]

    def planned(self) -> UnlicensedCycle:
        self.start()
        for unit, liaison, _ in self.pairs():
            cycles.report_plan(liaison, unit, unit.lock_version, {"plan_content": f"{unit.department.name}全年排查"})
        db.session.commit()
        return self.cycle  # type: ignore[return-value]

    def schemed(self) -> UnlicensedCycle:
        cycle = self.planned()
        cycles.collect_plans(self.office, cycle, cycle.lock_version, {"plans_summary": "各单位计划已汇总"})
        cycles.issue_scheme(self.office, cycle, cycle.lock_version, {
            "doc_no": "甲联办〔2026〕2号", "title": "2026年度无证无照经营综合治理工作方案", "body": "分季度开展"})
        db.session.commit()
        return cycle

    def assigned(self) -> UnlicensedCycle:
        cycle = self.schemed()
        for unit, liaison, inspector in self.pairs():
            cycles.make_campaign(liaison, unit, unit.lock_version,
                                 {"campaign_title": "无证无照专项整治", "campaign_content": "重点排查餐饮"})
            cycles.assign_inspectors(liaison, unit, unit.lock_version, [inspector.id])
        db.session.commit()
        return cycle

    def operator(self, unit: UnlicensedUnit, inspector: User, name: str = "无名小吃店", **data: Any) -> UnlicensedOperator:
        values = {"operator": name, "address": "甲区建设路1号", "person": "张三", "business": "餐饮",
                  "found_on": today().isoformat(), **data}
        op = operators.record_operator(inspector, unit, values)
        db.session.commit()
        return op

    def closed_operator(self, unit: UnlicensedUnit, inspector: User, name: str = "流动摊位") -> UnlicensedOperator:
        op = self.operator(unit, inspector, name)
        operators.judge_eligible(inspector, op, op.lock_version, "yes")
        operators.judge_willing(inspector, op, op.lock_version, "no", "关闭")
        db.session.commit()
        return op

    def reported(self) -> UnlicensedCycle:
        cycle = self.assigned()
        for unit, liaison, inspector in self.pairs():
            self.closed_operator(unit, inspector)
            reports.inspectors_report(inspector, unit, unit.lock_version, {"report_note": "已全部办结"})
            reports.unit_report(liaison, unit, unit.lock_version)
        db.session.commit()
        return cycle

    def summarized(self) -> UnlicensedCycle:
        cycle = self.reported()
        reports.summarize(self.office, cycle, cycle.lock_version, {"results_summary": "全年查处2户"})
        db.session.commit()
        return cycle

    def notified(self) -> UnlicensedCycle:
        cycle = self.summarized()
        reports.issue_bulletin(self.office, cycle, cycle.lock_version, {
            "doc_no": "甲联办〔2026〕9号", "title": "关于2026年度无证无照经营综合治理查处情况的通报", "body": "通报如下"})
        db.session.commit()
        return cycle
