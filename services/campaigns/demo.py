"""The demo district's 专项整治 (表23; `flask demo`, cli/demo.py): 王晓燕 of 成华区市场监督管理局
drafts this year's 餐饮服务食品安全专项整治 with two 反馈内容 items and an object library from
the credit-risk grades, 李建国 approves it, it is published and deployed, and the objects are
given to the bureau's inspectors by the shared inspector draw (a re-computable record).  The
inspectors have checked a few: most meet the legal conditions, one is ordered to correct
(责令改正, its deadline pending in 我的待办 with its printed notice).
Idempotent: skipped once the bureau has a campaign."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from infrastructure.errors import ServiceError
from models import Department, User, db
from models.campaigns import Campaign, CampaignObject
from services.campaigns import assign, feedback, library, plans, records
from services.plan_queries import today

BUREAU = "成华区市场监督管理局"
# Library criteria tried in turn until one matches (the demo registry's grades vary by load).
CRITERIA = ({"grades": ["C", "D"], "scope_word": "餐饮"}, {"grades": ["B", "C", "D"]}, {"scope_word": "餐饮"},
            {"ungraded": "1", "division": "510108"})
CHECKED = 4  # objects the inspectors have recorded


def _user(account: str) -> User | None:
    return db.session.execute(select(User).where(User.account == account)).scalar_one_or_none()


def load_demo_campaign() -> Campaign | None:
    bureau = db.session.execute(select(Department).where(Department.name == BUREAU)).scalar_one_or_none()
    clerk, leader, chen, liu = (_user(a) for a in ("wangxy", "lijg", "chenzq", "liuf"))
    if bureau is None or None in (clerk, leader, chen, liu) or db.session.execute(
            select(Campaign.id).where(Campaign.department_id == bureau.id)).first():
        return None
    day = today()
    c = plans.create_campaign(clerk, {  # type: ignore[arg-type]
        "title": f"{day.year}年餐饮服务食品安全专项整治", "basis": "《中华人民共和国食品安全法》第一百一十条",
        "scope": "成华区辖区内餐饮服务提供者", "expected": "消除后厨卫生、证照公示和从业人员健康证明方面的隐患",
        "starts_on": (day - timedelta(days=20)).isoformat(), "ends_on": (day + timedelta(days=60)).isoformat(),
        "modes": ["信用监管", "重点监管"], "text_report": "1"})
    feedback.add_field(clerk, c, {"kind": "choice", "label": "后厨卫生", "options": "良好，一般，较差", "required": "1"})
    feedback.add_field(clerk, c, {"kind": "number", "label": "从业人员数", "unit": "人"})
    for criteria in CRITERIA:
        if library.build(clerk, c, criteria):  # type: ignore[arg-type]
            break
    if not library.count(c):
        return c  # an empty registry: the draft is shown as it is
    plans.submit(clerk, c, c.lock_version)  # type: ignore[arg-type]
    plans.decide(leader, c, c.lock_version, True, "同意，请按方案组织实施")  # type: ignore[arg-type]
    plans.publish(clerk, c, c.lock_version)  # type: ignore[arg-type]
    plans.deploy(clerk, c, c.lock_version, {"deploy_note": "各监管所按辖区开展专项整治"})  # type: ignore[arg-type]
    assign.assign(clerk, c, {"mode": "draw", "inspectors": [str(chen.id), str(liu.id)]})  # type: ignore[union-attr]
    _records(c)
    return c


def _records(c: Campaign) -> None:
    labels = {f.label: f.key for f in c.fields}
    objects = list(db.session.execute(select(CampaignObject).where(
        CampaignObject.campaign_id == c.id).order_by(CampaignObject.id).limit(CHECKED)).scalars())
    for n, obj in enumerate(objects):
        data = {labels["后厨卫生"]: "良好" if n else "较差", labels["从业人员数"]: str(6 + n),
                "report_text": "现场检查，证照公示齐全。" if n else "后厨地面积水、餐具消毒记录缺失。",
                "inspected_on": today().isoformat(), "lawful": "yes" if n else "no"}
        if not n:
            data.update({"order_needed": "yes", "order_days": "10", "order_problem": "后厨地面积水，餐具消毒记录缺失"})
        try:
            records.save_record(obj.inspector, obj, obj.lock_version, data)  # type: ignore[arg-type]
        except ServiceError:  # e.g. a deadline in a year without its holiday table: left unchecked
            continue
