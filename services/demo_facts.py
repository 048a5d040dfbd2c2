"""The demo district's collected facts (信息归集; `flask demo`, docs/dossier.md): a realistic spread
of every kind over the demo entities of cli/demo.py, so that the 一户一档 has something to
show and the risk-warning rules of 表26 fire: persons holding office in several entities, an
officer on a 失信 list, a cluster-registration address shared by several entities through one
托管机构, permits about to lapse (within 30 days) and lapsed, 经营异常 listings, paid capital
below the subscribed, 非货币 contributions, complaints and lawsuits.

Deterministic: fixed rows plus supervision records drawn with a seeded random generator; dates
are offsets from the China date of the run (a permit "about to lapse" must be so on the day the
demo is loaded).  Written through the models (the collection's ingest is the way in for real
data); idempotent: skipped once the first demo permit exists.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.validators import id_number_check_char, uscc_check_char
from models import (
    AbnormalListing,
    CapitalContribution,
    ClusterAddress,
    Complaint,
    Department,
    FactSource,
    Lawsuit,
    MarketEntity,
    Officer,
    OtherFact,
    Penalty,
    Permit,
    Person,
    Sanction,
    SupervisionRecord,
    User,
    db,
)

SEED = 15
MARKER_PERMIT = "JY25101080000001"  # the first demo permit: present means loaded
MSB = "成华区市场监督管理局"
HEALTH = "成华区卫生健康局"
SAFETY = "成华区应急管理局"
FIRE = "成华区消防救援大队"
CULTURE = "成华区文化广电旅游局"
COMMERCE = "成华区商务局"
COURT = "成都市中级人民法院"

# The demo entities by the first 17 characters of their 统一社会信用代码 (cli/demo.py).
HAOWEI, SHUXIANG, TEAHOUSE, FUQING, DONGJIAO = (
    "91510108MA6CH0001", "92510108MA6CH0002", "92510108MA6CH0003", "91510108MA6CH0004", "91510108MA6CH0005")
KINDERGARTEN = "52510108MA6CH0006"
RONGHUA, JINCHENG, TIANFU, QINGCHENG, FURONG = (
    "91510108MA6DEM001", "92510108MA6DEM002", "91510108MA6DEM003", "92510108MA6DEM004", "91510108MA6DEM005")

# 集群注册: one address, one 托管机构, several shell companies registered through it.
CLUSTER_ADDRESS = "成都市成华区建设路55号华联东环广场B座1208室"
AGENT_BODY = "91510108MA6CLU000"
AGENT_NAME = "成都成华商务秘书服务有限公司"
SHELLS: tuple[tuple[str, str, str], ...] = (
    ("成都瑞丰达商贸有限公司", "91510108MA6CLU001", "F5199"),
    ("成都锦程汇通科技有限公司", "91510108MA6CLU002", "I6510"),
    ("成都恒信源供应链管理有限公司", "91510108MA6CLU003", "G5899"),
    ("成都宏图众创企业管理有限公司", "91510108MA6CLU004", "L7212"),
)

# (name, birth date + sequence: the 11 characters after the area code 510108)
PERSONS: dict[str, str] = {
    "刘建华": "19780412031", "陈美玲": "19850923042", "王国强": "19690117015", "赵雪": "19920630026",
    "周平": "19710308057", "孙丽": "19880214068",
}
# (person, entity, role, years in office, ended days ago or None)
OFFICES: tuple[tuple[str, str, str, int, int | None], ...] = (
    ("刘建华", HAOWEI, "法定代表人", 8, None), ("刘建华", RONGHUA, "执行董事", 5, None),
    ("刘建华", TIANFU, "监事", 4, None), ("孙丽", TIANFU, "法定代表人", 6, None),
    ("陈美玲", FUQING, "法定代表人", 7, None), ("陈美玲", FURONG, "董事", 3, None),
    ("赵雪", DONGJIAO, "经理", 2, None), ("周平", HAOWEI, "监事", 8, 400),
    *((("王国强", body, "法定代表人", 1, None)) for _name, body, _industry in SHELLS),
)


def _id_number(body: str) -> str:
    first17 = "510108" + body
    return first17 + id_number_check_char(first17)


class _Writer:
    """Adds fact rows with their provenance; keeps the entities and departments it looked up."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.entities = {e.uscc[:17]: e for e in db.session.execute(
            select(MarketEntity).where(MarketEntity.division_code.startswith("510108"))).scalars() if e.uscc}
        self.departments = {d.name: d for d in db.session.execute(select(Department)).scalars()}
        self.sources = [FactSource.ONLINE, FactSource.IMPORT, FactSource.EXCHANGE]
        self.count = 0

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)

    def add(self, model: Any, source: str, body: str | None = None, **fields: Any) -> Any:
        entity_id = self.entities[body].id if body else None
        row = model(entity_id=entity_id, source_department_id=self.departments[source].id,
                    source_kind=self.sources[self.count % 3], **fields)
        self.count += 1
        db.session.add(row)
        return row

    def has(self, *bodies: str) -> bool:
        return all(b in self.entities for b in bodies)


def load_demo_facts() -> int:
    """Write the demo facts once; the number of fact rows written (0 when already there)."""
    clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one_or_none()
    if clerk is None or db.session.execute(select(Permit.id).where(Permit.permit_no == MARKER_PERMIT)).first():
        return 0
    _register_shells(clerk)
    w = _Writer(clock.china_today())
    if not w.has(HAOWEI, RONGHUA, TIANFU, FUQING) or any(d not in w.departments for d in (MSB, HEALTH, COURT)):
        return 0
    persons = _persons()
    _establish(w)
    _offices(w, persons)
    _permits(w)
    _penalties_and_lists(w, persons)
    _structure(w, persons)
    _disputes(w)
    _supervision(w)
    db.session.flush()
    return w.count


def _register_shells(clerk: User) -> None:
    from services import entities

    for name, body, industry in SHELLS:
        code = body + uscc_check_char(body)
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == code)).first():
            continue
        entities.create_entity(clerk, {
            "name": name, "uscc": code, "entity_type": "enterprise", "industry_code": industry,
            "division_code": "510108003000", "division_name": "成华区猛追湾街道", "domicile": CLUSTER_ADDRESS,
            "legal_rep": "王国强", "status": "active", "registered_capital": "1000",
            "established_on": (clock.china_today() - timedelta(days=300 + 40 * len(name))).isoformat(),
        })


def _persons() -> dict[str, Person]:
    found = {}
    for name, body in PERSONS.items():
        number = _id_number(body)
        person = db.session.execute(select(Person).where(Person.id_number == number)).scalar_one_or_none()
        if person is None:
            person = Person(name=name, id_number=number)
            db.session.add(person)
        found[name] = person
    db.session.flush()
    return found


def _establish(w: _Writer) -> None:
    """The demo entities of cli/demo.py were registered without a 成立日期: give them one
    (the timeline starts there)."""
    rng = random.Random(SEED)
    for entity in w.entities.values():
        if entity.established_on is None:
            entity.established_on = w.days(-rng.randint(6 * 365, 12 * 365))  # before every demo permit


def _offices(w: _Writer, persons: dict[str, Person]) -> None:
    for name, body, role, years, ended in OFFICES:
        if not w.has(body):
            continue
        entity = w.entities[body]
        start = max(w.days(-365 * years), entity.established_on or w.days(-365 * years))
        w.add(Officer, MSB, body, person_id=persons[name].id, role=role, from_date=start,
              to_date=w.days(-ended) if ended else None)
        if role == "法定代表人":
            entity.legal_rep = name


def _permits(w: _Writer) -> None:
    food = "食品经营许可"
    rows = (
        (HAOWEI, MSB, MARKER_PERMIT, "食品经营许可证", food, -1800, 20, "有效"),  # lapses within 30 days
        (RONGHUA, MSB, "JY25101080000002", "食品经营许可证", food, -1500, 28, "有效"),
        (SHUXIANG, MSB, "JY25101080000003", "食品经营许可证", food, -1840, -15, "过期"),  # lapsed
        (JINCHENG, MSB, "JY25101080000004", "食品经营许可证", food, -1866, -40, "有效"),  # lapsed, status not updated
        (TIANFU, MSB, "JY25101080000005", "食品经营许可证", food, -700, 1125, "有效"),
        (FUQING, MSB, "JY25101080000006", "食品经营许可证", food, -900, 925, "有效"),
        (FUQING, MSB, "YB25101080000001", "仅销售预包装食品备案", "仅销售预包装食品备案", -400, None, "有效"),
        (FURONG, MSB, "JY25101080000007", "食品经营许可证", food, -300, 1525, "有效"),
        (TEAHOUSE, HEALTH, "CWGW(2022)0031", "公共场所卫生许可证", "公共场所卫生许可", -1450, 10, "有效"),
        (DONGJIAO, CULTURE, "510108120023", "营业性演出许可证", "营业性演出许可", -600, 495, "有效"),
        (KINDERGARTEN, "成华区发展和改革局", "教民151010870001", "民办学校办学许可证", "办学许可", -2000, 1600, "有效"),
        (HAOWEI, COMMERCE, "SYYF-2024-015", "单用途商业预付卡备案", "单用途商业预付卡备案", -500, None, "有效"),
    )
    for body, dept, number, name, kind, start, end, status in rows:
        if w.has(body) and dept in w.departments:
            w.add(Permit, dept, body, permit_no=number, name=name, kind=kind, issuing_department=dept,
                  valid_from=w.days(start), valid_to=w.days(end) if end is not None else None, status=status,
                  scope="热食类食品制售" if kind == food else "")


def _penalties_and_lists(w: _Writer, persons: dict[str, Person]) -> None:
    for body, no, days, violation, kind, amount in (
        (SHUXIANG, "成华市监罚〔2025〕118号", -210, "食品经营许可证过期后继续经营", "罚款", "20000"),
        (JINCHENG, "成华市监罚〔2025〕152号", -150, "使用超过保质期的食品原料", "罚款、没收违法所得", "8500"),
        (QINGCHENG, "成华市监罚〔2024〕061号", -480, "拒不执行责令停业整顿决定", "责令停产停业", "50000"),
        (HAOWEI, "成华市监罚〔2026〕007号", -60, "餐具清洗消毒不符合要求", "警告", None),
    ):
        if w.has(body):
            w.add(Penalty, MSB, body, decision_no=no, decided_on=w.days(days), department=MSB, violation=violation,
                  basis="《中华人民共和国食品安全法》", kind=kind, amount=Decimal(amount) if amount else None,
                  status="已执行")
    if w.has(QINGCHENG):
        w.add(Sanction, MSB, QINGCHENG, list_kind="严重违法失信名单", decided_on=w.days(-300),
              reason="拒不执行行政处罚决定，情节严重", deciding_department=MSB, valid_until=w.days(3 * 365 - 300))
    w.add(Sanction, COURT, None, person_id=persons["刘建华"].id, list_kind="失信被执行人", decided_on=w.days(-120),
          reason="有履行能力而拒不履行生效法律文书确定的义务", deciding_department=COURT)
    w.add(Sanction, COURT, None, person_id=persons["周平"].id, list_kind="失信被执行人", decided_on=w.days(-900),
          reason="未按期履行给付义务", deciding_department=COURT, removed_on=w.days(-500))
    for i, (_name, body, _industry) in enumerate(SHELLS):
        if w.has(body):
            removed = i == 3
            w.add(AbnormalListing, MSB, body, listed_on=w.days(-90 - 30 * i),
                  reason="通过登记的住所或者经营场所无法联系", deciding_department=MSB,
                  removed_on=w.days(-20) if removed else None, removal_reason="已更正住所并申请移出" if removed else "")
    if w.has(JINCHENG):
        w.add(AbnormalListing, MSB, JINCHENG, listed_on=w.days(-200), reason="未按照规定期限公示年度报告",
              deciding_department=MSB)


def _structure(w: _Writer, persons: dict[str, Person]) -> None:
    year = w.today.year - 1
    for body, holder, person, subscribed, paid, due, method in (
        (HAOWEI, "刘建华", "刘建华", "500", "50", -30, "货币"),  # paid below subscribed, due date passed
        (RONGHUA, "刘建华", "刘建华", "1000", "1000", -400, "货币"),
        (TIANFU, "孙丽", "孙丽", "300", "300", -800, "货币"),
        (FUQING, "陈美玲", "陈美玲", "200", "80", 900, "货币"),
        *((body, "王国强", "王国强", "1000", "0", 3650, "非货币" if i == 0 else "货币")
          for i, (_n, body, _industry) in enumerate(SHELLS)),
    ):
        if w.has(body):
            w.add(CapitalContribution, MSB, body, shareholder=holder, shareholder_id_no=persons[person].id_number,
                  person_id=persons[person].id, subscribed_amount=Decimal(subscribed), paid_amount=Decimal(paid),
                  due_date=w.days(due), method=method, year=year, origin="年报")
    w.add(ClusterAddress, MSB, None, address=CLUSTER_ADDRESS, agent_name=AGENT_NAME,
          agent_code=AGENT_BODY + uscc_check_char(AGENT_BODY))
    for _name, body, _industry in SHELLS:
        if w.has(body):
            w.add(ClusterAddress, MSB, body, address=CLUSTER_ADDRESS, agent_name=AGENT_NAME,
                  agent_code=AGENT_BODY + uscc_check_char(AGENT_BODY))
    if w.has(RONGHUA):
        w.add(OtherFact, COURT, RONGHUA, category="股权冻结", title="冻结刘建华持有的股权100万元",
              content="（2026）川01执123号协助执行通知书", occurred_on=w.days(-100))


def _disputes(w: _Writer) -> None:
    for body, days, channel, subject, outcome in (
        (HAOWEI, -75, "12315热线", "菜品中发现异物", "调解成功，退还餐费"),
        (HAOWEI, -20, "全国12315平台", "预付卡余额无法使用", "处理中"),
        (SHUXIANG, -180, "来信", "无证经营", "已立案查处"),
        (SHELLS[0][1], -50, "12345热线", "按登记地址找不到经营者", "转经营异常名录处理"),
    ):
        if w.has(body):
            w.add(Complaint, MSB, body, received_on=w.days(days), channel=channel, subject=subject, outcome=outcome)
    for body, no, days, role, cause, status in (
        (HAOWEI, "（2026）川0108民初1203号", -140, "被告", "买卖合同纠纷", "审理中"),
        (TIANFU, "（2025）川01执587号", -260, "被执行人", "房屋租赁合同纠纷", "执行中"),
        (SHELLS[1][1], "（2025）川0108民初877号", -95, "被告", "借款合同纠纷", "已结案"),
    ):
        if w.has(body):
            w.add(Lawsuit, COURT, body, case_no=no, filed_on=w.days(days), court="成都市成华区人民法院"
                  if "民初" in no else COURT, role=role, cause=cause, status=status)


def _supervision(w: _Writer) -> None:
    """Inspections by other departments: 0–2 per demo entity, drawn with a seeded generator."""
    rng = random.Random(SEED)
    departments = [d for d in (HEALTH, SAFETY, FIRE, CULTURE) if d in w.departments]
    results = (("未发现问题", ""), ("发现问题已责令整改", "责令限期整改，已复查合格"),
               ("发现问题", "移交市场监管部门处理"))
    for body in sorted(w.entities):
        for _ in range(rng.randint(0, 2)):
            dept = rng.choice(departments)
            result, handling = rng.choice(results)
            w.add(SupervisionRecord, dept, body, inspected_on=w.days(-rng.randint(10, 700)), department=dept,
                  kind=rng.choice(("日常检查", "专项检查", "双随机抽查")), result=result, handling=handling)
