"""Shared setup for the 表32 plan and ledger tests: a conference of district A's office with
three member units (卫生健康局, 应急管理局, 市场监督管理局), each with a liaison."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook

from infrastructure.excel import workbook_bytes
from models import ConferencePlan, User, db
from models.conference import Conference, ConferenceMember
from models.roles import Role
from services import conference_plans as svc
from services import ledgers
from services.plan_queries import today


class Setup:
    def __init__(self, org: Any, make_user: Any) -> None:
        self.org = org
        self.office = org.office_user
        self.units = [org.health_a, org.safety_a, org.bureau_a]
        self.liaisons: list[User] = [
            make_user(org.health_a, Role.MEMBER_LIAISON, name="卫健联络员"),
            make_user(org.safety_a, Role.MEMBER_LIAISON, name="应急联络员"),
            make_user(org.bureau_a, Role.MEMBER_LIAISON, Role.CLERK, name="市场监管联络员"),
        ]
        self.conference = Conference(name="打击传销与无证无照经营联席会议", office_id=org.office_a.id)
        self.conference.members = [
            ConferenceMember(department_id=d.id, liaison_id=u.id, sort_order=i)
            for i, (d, u) in enumerate(zip(self.units, self.liaisons, strict=True))
        ]
        db.session.add(self.conference)
        db.session.commit()

    def plan(self, *, special: bool = True, units: list[int] | None = None, issue: bool = True,
             due: date | None = None) -> ConferencePlan:
        """A plan with two tasks: a 专项任务 with its ledger for all units (when ``special``) and
        a general task for the first unit."""
        plan = svc.create_plan(self.office, self.conference, {"title": "2026年无证无照经营综合治理计划", "year": "2026",
                                                              "content": "按季度开展排查"})
        due = due or today() + timedelta(days=30)
        ids = units or [d.id for d in self.units]
        svc.add_task(self.office, plan, {"title": "无证无照经营专项排查", "due_date": due.isoformat(),
                                         "special": "1" if special else "",
                                         "ledger_type": "无证无照线索台账" if special else ""}, ids, lock_version=None)
        svc.add_task(self.office, plan, {"title": "宣传引导", "due_date": due.isoformat()}, [ids[0]],
                     lock_version=None)
        if issue:
            svc.issue(self.office, plan, lock_version=None)
        db.session.commit()
        return plan


ROW = {
    "经营者/名称": "张三便利店",
    "经营地址": "成华区建设路1号",
    "经营项目": "食品销售",
    "联系电话": "13800138000",
    "证照情况": "无证",
    "已下达行政指导文书": "是",
    "已引导办证": "是",
    "已抄告": "否",
    "已立案查处": "否",
    "已移送公安机关": "否",
    "停业关闭": "否",
    "罚款金额（万元）": "0.5",
    "填报日期": "",
}


def row(**changes: Any) -> dict[str, Any]:
    values = {**ROW, "填报日期": today().isoformat()}
    values.update(changes)
    return values


def a6_file(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = ledgers.A6.sheet
    ws.append(header or list(ledgers.COLUMNS))
    for r in rows:
        ws.append(r)
    return workbook_bytes(wb)


def a6_row(name: str = "李四餐馆", fine: Any = 1.25, filled: Any = None, phone: str = "028-86123456") -> list[Any]:
    return [name, "成华区二仙桥东路8号", "餐饮", phone, "证照不全", "是", "否", "是", "是", "否", "否", fine,
            filled or today()]


def xlsx_io(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
