"""The demo district's warnings (`flask demo`, docs/risk.md): what the demo facts
(services/demo_facts.py) lack for every rule to fire — a 托管机构 on the abnormal list, an
ordinary address with three listed entities and a fourth, a deregistered entity, a revoked
permit, a third complaint and two lawsuits within three months, repeated failed contacts, a
case filed, a changed 出资方式, a court case the 市法院 could not serve (表34) — and one 手工预警; then a full run of the rules, so that the
风险库 shows warnings of every kind.

Dates are offsets from the China date of the run.  Idempotent: the facts are written once
(marker: the agent's registration); the run itself may be repeated.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.validators import uscc_check_char
from models import (
    AbnormalListing,
    CapitalContribution,
    Complaint,
    Department,
    FactSource,
    Lawsuit,
    MarketEntity,
    OtherFact,
    Permit,
    SupervisionRecord,
    User,
    db,
)
from services.demo_facts import (
    AGENT_BODY,
    AGENT_NAME,
    COURT,
    FUQING,
    FURONG,
    HAOWEI,
    MSB,
    QINGCHENG,
    SHELLS,
    SHUXIANG,
)
from services.risk.catalogue import seed_rules
from services.risk.evaluate import RunResult, evaluate
from services.risk.manual import raise_manual

SHARED_ADDRESS = "成都市成华区双林路88号附2号"
NEIGHBOURS = (("成都双林小吃店", "92510108MA6RWK001", "H6210"), ("成都林间便利店", "92510108MA6RWK002", "F5292"),
              ("成都双林五金经营部", "92510108MA6RWK003", "F5174"), ("成都双林茶坊", "92510108MA6RWK004", "H6220"))
CLOSED_ENTITY = ("成都旧时光餐饮有限公司", "91510108MA6RWK005", "H6210")
MANUAL_REASON = "群众多次反映该店夜间占道经营、油烟扰民，已约谈未见改正，请各部门检查时重点关注"


def _code(body: str) -> str:
    return body + uscc_check_char(body)


def _register(clerk: User, name: str, body: str, industry: str, **extra: Any) -> MarketEntity:
    from services import entities

    found = db.session.execute(select(MarketEntity).where(MarketEntity.uscc == _code(body))).scalar_one_or_none()
    if found is not None:
        return found
    return entities.create_entity(clerk, {
        "name": name, "uscc": _code(body), "entity_type": "enterprise" if body.startswith("91") else "individual",
        "industry_code": industry, "division_code": "510108003000", "division_name": "成华区猛追湾街道",
        "status": "active", "established_on": (clock.china_today() - timedelta(days=1500)).isoformat(), **extra,
    })


class _Facts:
    def __init__(self) -> None:
        self.today = clock.china_today()
        self.departments = {d.name: d for d in db.session.execute(select(Department)).scalars()}

    def add(self, model: Any, source: str, entity: MarketEntity | None, **fields: Any) -> None:
        if entity is not None and source in self.departments:
            db.session.add(model(entity_id=entity.id, source_department_id=self.departments[source].id,
                                 source_kind=FactSource.EXCHANGE, **fields))

    def day(self, n: int) -> Any:
        return self.today + timedelta(days=n)


def _write_facts(clerk: User) -> None:
    f = _Facts()
    agent = _register(clerk, AGENT_NAME, AGENT_BODY, "L7294", domicile="成都市成华区建设路55号")
    f.add(AbnormalListing, MSB, agent, listed_on=f.day(-45), reason="通过登记的住所或者经营场所无法联系",
          deciding_department=MSB)
    neighbours = [_register(clerk, n, b, i, domicile=SHARED_ADDRESS) for n, b, i in NEIGHBOURS]
    for n, e in enumerate(neighbours[:3]):
        f.add(AbnormalListing, MSB, e, listed_on=f.day(-60 + 10 * n), reason="未按照规定期限公示年度报告",
              deciding_department=MSB)
    _register(clerk, *CLOSED_ENTITY, status="cancelled", domicile="成都市成华区府青路二段3号")
    f.add(Permit, MSB, _by_prefix(QINGCHENG), permit_no="JY25101080000099",
          name="食品经营许可证", kind="食品经营许可", issuing_department=MSB, valid_from=f.day(-900),
          valid_to=f.day(900), status="吊销", change_note="拒不执行责令停业整顿决定，吊销许可证")
    f.add(Complaint, MSB, _by_prefix(HAOWEI), received_on=f.day(-5), channel="12315热线", subject="就餐后腹泻",
          outcome="处理中")
    for n, days in enumerate((-30, -10)):
        f.add(Lawsuit, COURT, _by_prefix(FUQING), case_no=f"（2026）川0108民初{2301 + n}号", filed_on=f.day(days),
              court="成都市成华区人民法院", role="被告", cause="买卖合同纠纷", status="审理中")
    shell = _by_prefix(SHELLS[0][1])
    f.add(SupervisionRecord, MSB, shell, inspected_on=f.day(-25), department=MSB, kind="日常检查",
          result="按登记住所实地核查，无法联系经营者", handling="列入重点关注")
    f.add(OtherFact, MSB, _by_prefix(SHUXIANG), category="正被立案", title="涉嫌无证经营立案调查",
          content="成华市监立〔2026〕031号", occurred_on=f.day(-10))
    year = f.today.year
    for y, method in ((year - 3, "货币"), (year - 2, "非货币")):
        f.add(CapitalContribution, MSB, _by_prefix(FURONG), shareholder="成都芙蓉实业投资有限公司",
              subscribed_amount=Decimal("500"), paid_amount=Decimal("500"), due_date=f.day(-800), method=method,
              year=y, origin="年报")
    db.session.flush()


def _court_feedback() -> None:
    """表34: the demo court looked an entity up and could not serve a case there (司法送达失败预警)."""
    from services.court import sharing

    court = db.session.execute(select(User).where(User.account == "court_api")).scalar_one_or_none()
    entity = _by_prefix(SHELLS[1][1])
    if court is None or entity is None:
        return
    sharing.record_lookup(court, None, entity, entity.uscc or "", ["注册地址和经营地址", "法定代表人"])
    when = clock.china_today() - timedelta(days=20)
    sharing.record_feedback(court, None, entity, sharing.Feedback(
        entity.uscc or "", "（2026）川01民初1888号", "成都市中级人民法院", "民事",
        [{"name": "成都锦城建材有限公司", "role": "原告"}, {"name": entity.name, "role": "被告"}],
        "unserved", when, entity.domicile or "成都市成华区", "邮寄送达被退回：查无此单位"))


def _by_prefix(body: str) -> MarketEntity | None:
    return db.session.execute(
        select(MarketEntity).where(MarketEntity.uscc.startswith(body[:17]))).scalars().first()


def load_demo_risk() -> RunResult | None:
    """Write the demo's risk facts once, raise the demo 手工预警, and run every rule."""
    clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one_or_none()
    if clerk is None:
        return None
    seed_rules(db.session)
    if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == _code(AGENT_BODY))).first() is None:
        _write_facts(clerk)
        _court_feedback()
        target = _by_prefix(FUQING)
        if target is not None:
            raise_manual(db.session, clerk, target, MANUAL_REASON)
    return evaluate(db.session)
