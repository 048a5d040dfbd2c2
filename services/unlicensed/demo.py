"""The demo district's year of 无证无照经营综合治理 (`flask demo`, cli/demo.py): the office of the
打击传销与无证无照经营联席会议 has issued this year's 年度工作要点通知 and the member units with a
liaison have reported their 年度工作计划 (the one without waits: 汇总 is not yet possible).
Idempotent: skipped once the conference has a cycle."""

from __future__ import annotations

from sqlalchemy import select

from models import User, db
from models.conference import Conference
from models.unlicensed import UnlicensedCycle
from services.plan_queries import today
from services.unlicensed import cycles


def load_demo_year(office_user: User, conference_name: str) -> None:
    conference = db.session.execute(select(Conference).where(Conference.name == conference_name)).scalar_one_or_none()
    if conference is None or db.session.execute(
            select(UnlicensedCycle.id).where(UnlicensedCycle.conference_id == conference.id)).first():
        return
    year = today().year
    cycle = cycles.start_cycle(office_user, conference, {
        "year": str(year), "doc_no": f"成华打传办〔{year}〕2号",
        "title": f"关于报送{year}年度无证无照经营综合治理工作计划的通知",
        "body": "各成员单位：\n请结合本单位职责，于3月31日前通过智慧监管平台报送本年度无证无照经营综合治理工作计划。",
    })
    for unit in cycle.units:
        member = conference.member_for(unit.department_id)
        if member is not None and member.liaison is not None and member.liaison.department_id == unit.department_id:
            cycles.report_plan(member.liaison, unit, unit.lock_version, {
                "plan_content": f"{unit.department.name}：一季度摸排辖区无证无照经营户，二季度集中引导办证办照，"
                                "三季度依法查处拒不办理的，四季度总结。"})
