"""`flask demo`: last year's 住宿和餐饮业 部门联合抽查 of 成华区, done and published, so that the
demo district shows a 一业一评 and a 一业一册 (docs/industry.md, docs/demo.md).

Written as the history it stands for (a closed year): the published joint item of 一业一单
(services/joint_items.load_demo_items), a published joint plan, one task 完成抽查 over the
district's 住宿和餐饮业 entities, and each object's A.3.1 record of the 发起部门 and of the
卫生健康局, published through services/inspection_publication (versions and the public feed).
The process instances of that year are not replayed.  Runs once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from models import (
    CheckItem,
    InspectionRecord,
    InspectionRecordLine,
    MarketEntity,
    Plan,
    PlanItem,
    Task,
    TaskDepartment,
    TaskObject,
    User,
    db,
)
from models.inspections import ResultCategory
from models.items import ItemKind, ItemStatus
from models.plans import PlanKind, PlanStatus, PlanType, TaskStatus
from persistence.org import region_root
from persistence.scope import subtree_ids
from services.inspection_publication import publish_version
from services.plan_queries import today

OK = "符合"
# Per object: (result of the 市场监督管理局, its A.3.1 rows), (result of the 卫生健康局, its rows).
RECORDS: tuple[tuple[tuple[str, tuple[tuple[str, str], ...]], tuple[str, tuple[tuple[str, str], ...]]], ...] = (
    (("no_problem", (("食品经营许可", OK), ("从业人员健康管理", OK), ("餐饮具清洗消毒", OK))),
     ("no_problem", (("集中空调通风系统卫生", OK),))),
    (("ordered", (("食品经营许可", OK), ("从业人员健康管理", "2名从业人员未取得有效健康证明"),
                  ("餐饮具清洗消毒", "消毒记录不全"))),
     ("ordered", (("餐饮具清洗消毒", "消毒柜未正常使用"),))),
    (("ordered", (("从业人员健康管理", "健康证明过期"), ("原料进货查验", "未留存进货票据"))),
     ("no_problem", (("集中空调通风系统卫生", OK),))),
    (("not_disclosed", (("食品经营许可", OK),)), ("no_problem", ())),
)


def _name(year: int) -> str:
    return f"{year}年度住宿和餐饮业部门联合抽查计划（一业一查）"


def load_demo() -> None:
    users = {u.account: u for u in db.session.execute(
        select(User).where(User.account.in_(("wangxy", "zhaom", "wul")))
    ).scalars()}
    if len(users) < 3:
        return
    clerk, health, safety = users["wangxy"], users["zhaom"], users["wul"]
    year = today().year - 1
    if db.session.execute(select(Plan.id).where(Plan.name == _name(year))).first() is not None:
        return
    item = db.session.execute(
        select(CheckItem).where(CheckItem.kind == ItemKind.JOINT, CheckItem.status == ItemStatus.PUBLISHED,
                                CheckItem.industry_code.startswith("H"),
                                CheckItem.department_id == clerk.department_id).order_by(CheckItem.id)
    ).scalars().first()
    entities = list(db.session.execute(
        select(MarketEntity).where(MarketEntity.industry_code.startswith("H"),
                                   MarketEntity.department_id.in_(subtree_ids(region_root(clerk.department))))
        .order_by(MarketEntity.id).limit(len(RECORDS))
    ).scalars())
    if item is None or not entities:
        return
    start, end = date(year, 5, 1), date(year, 9, 30)
    plan = Plan(kind=PlanKind.JOINT, plan_type=PlanType.ANNUAL, status=PlanStatus.PUBLISHED, year=year,
                name=_name(year), department_id=clerk.department_id, objects=item.objects, methods=item.methods,
                levels="区县级", start_date=start, end_date=end, created_by_id=clerk.id,
                published_at=datetime(year, 3, 20, 2))
    db.session.add(plan)
    db.session.flush()
    db.session.add(PlanItem(plan_id=plan.id, item_id=item.id, department_id=clerk.department_id))
    task = Task(plan_id=plan.id, name=f"{year}年住宿和餐饮业部门联合抽查", department_id=clerk.department_id,
                item_id=item.id, methods=item.methods, start_date=start, end_date=end, status=TaskStatus.DONE,
                created_by_id=clerk.id)
    db.session.add(task)
    db.session.flush()
    for dept, role in ((clerk.department_id, "initiator"), (health.department_id, "participant"),
                       (safety.department_id, "participant")):
        db.session.add(TaskDepartment(task_id=task.id, department_id=dept, role=role, inspectors=1))
    for n, (entity, pair) in enumerate(zip(entities, RECORDS, strict=False)):
        obj = TaskObject(task_id=task.id, key=f"entity:{entity.id}", entity_id=entity.id, rank=n + 1)
        db.session.add(obj)
        db.session.flush()
        for user, (result, lines) in zip((clerk, health), pair, strict=True):
            _record(task, obj, entity, user, ResultCategory(result), lines, date(year, 6, 10 + n))
    db.session.flush()


def _record(task: Task, obj: TaskObject, entity: MarketEntity, user: User, result: ResultCategory,
            lines: tuple[tuple[str, str], ...], on: date) -> None:
    problems = [f"{item}：{outcome}" for item, outcome in lines if outcome != OK]
    rec = InspectionRecord(
        record_no=f"tmp-demo-{obj.id}-{user.department_id}", task_id=task.id, task_object_id=obj.id,
        department_id=user.department_id, entity_id=entity.id, method="实地核查", subject_name=entity.name,
        uscc=entity.uscc or "", district="成华区", legal_rep=entity.legal_rep, address=entity.domicile,
        items_text=task.item.name, findings="；".join(problems) or "现场检查未发现问题", filled_on=on,
        inspected_at=datetime(on.year, on.month, on.day, 2), result=result,
        result_note="已责令限期改正" if result == ResultCategory.ORDERED else "",
        signer_name="经营者", signed_at=datetime(on.year, on.month, on.day, 3),
        created_by_id=user.id, updated_by_id=user.id, submitted_by_id=user.id, reviewed_by_id=user.id,
    )
    db.session.add(rec)
    db.session.flush()
    rec.record_no = f"{on.year}-JC-{rec.id:06d}"
    for pos, (item, outcome) in enumerate(lines):
        rec.lines.append(InspectionRecordLine(position=pos, check_item=item, content="", outcome=outcome))
    db.session.flush()
    publish_version(rec, user=user)
