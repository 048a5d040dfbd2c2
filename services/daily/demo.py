"""The demo district's 日常监管 (``flask demo``, cli/demo.py): 成华区市场监督管理局 supervises
part of the registry (its own permits automatically, the rest claimed), with 片区 rules for its
two 监管所 officers, two 监管分类, and tasks in every state of the ladder — not yet due, 提醒,
警示 and past 截止 — plus one waiting for the leader's approval and one 待分派.
Idempotent: skipped once the bureau has objects."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from infrastructure.clock import china_today
from models import Department, MarketEntity, User, db
from models.daily import DailyTask, ObjectSource, SupervisedObject, TaskOrigin, TaskStatus
from services.daily import access, categories, escalation, generate, objects, officers
from services.daily.objects import claim

BUREAU = "成华区市场监督管理局"
# (origin, title, days from today of 提醒/警示/截止)
LADDER = (
    (TaskOrigin.COMPLAINT, "举报投诉核查：油烟扰民", (3, 6, 10)),
    (TaskOrigin.ASSIGNED, "上级交办：节前食品安全检查", (-1, 2, 5)),
    (TaskOrigin.TRANSFER, "外单位移交：无照经营线索核查", (-6, -1, 3)),
    (TaskOrigin.COMPLAINT, "举报投诉核查：虚假宣传", (-12, -8, -3)),
)


def _user(account: str) -> User | None:
    return db.session.execute(select(User).where(User.account == account)).scalar_one_or_none()


def load_demo_daily() -> None:
    bureau = db.session.execute(select(Department).where(Department.name == BUREAU)).scalar_one_or_none()
    clerk, leader, chen, liu = (_user(a) for a in ("wangxy", "lijg", "chenzq", "liuf"))
    if bureau is None or None in (clerk, leader, chen, liu) or db.session.execute(
            select(SupervisedObject.id).where(SupervisedObject.department_id == bureau.id)).first():
        return
    objects.sync_permits(db.session, bureau, clerk)
    ids = list(db.session.execute(access.area_entities(bureau).order_by(MarketEntity.id).limit(60)).scalars())
    claim(db.session, bureau.id, ids, ObjectSource.CLAIM, clerk)
    objects.add_rule(clerk, "scope", "餐饮")
    officers.add_rule(clerk, "address", "建设路", chen.id, area="猛追湾片区")
    officers.add_rule(clerk, "division", "510108", liu.id, area="府青路片区")
    officers.auto_assign(db.session, bureau, clerk)
    food = categories.save(clerk, {
        "name": "餐饮服务重点行业", "kind": "industry", "keywords": "餐饮,食品", "cycle_days": "30", "lead_days": "7",
        "remind_days": "5", "warn_days": "10", "due_days": "15",
        "form": "是否亮证经营|是非项\n后厨卫生|选择项|良好,一般,较差\n从业人员数|数值项\n其他情况|填空项"})
    area = categories.save(clerk, {
        "name": "建设路重点区域", "kind": "area", "keywords": "建设路", "cycle_days": "60", "lead_days": "7"})
    for category in (food, area):
        categories.classify(db.session, category)
    generate.generate(db.session)
    _ladder(bureau, clerk, chen)
    escalation.escalate(db.session)


def _ladder(bureau: Department, clerk: User, officer: User) -> None:
    today = china_today()
    entities = list(db.session.execute(access.area_entities(bureau).order_by(MarketEntity.id.desc()).limit(6))
                    .scalars())
    for (origin, title, days), entity_id in zip(LADDER, entities, strict=False):
        remind, warn, due = (today + timedelta(days=d) for d in days)
        db.session.add(DailyTask(
            department_id=bureau.id, origin=origin, title=title, entity_id=entity_id, level="紧急", items=title,
            source_ref="演示数据", period_start=today - timedelta(days=14), status=TaskStatus.CLAIMED,
            officer_id=officer.id, remind_on=remind, warn_on=warn, due_on=due, created_by_id=clerk.id))
    db.session.add(DailyTask(
        department_id=bureau.id, origin=TaskOrigin.MANUAL, title="年末集贸市场专项检查", level="一般",
        area="建设路片区", items="计量器具、食品安全", requirements="对片区内集贸市场全覆盖检查",
        period_start=today, period_end=today + timedelta(days=20), status=TaskStatus.PENDING_APPROVAL,
        created_by_id=clerk.id))
    db.session.add(DailyTask(
        department_id=bureau.id, origin=TaskOrigin.TRANSFER, title="外单位移交：消防隐患复查",
        entity_id=entities[-1] if entities else None, items="消防安全", source_ref="成华区消防救援大队移交",
        period_start=today, status=TaskStatus.UNASSIGNED, created_by_id=clerk.id))
    db.session.flush()
