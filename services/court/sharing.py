"""What the 市法院 does through the interface, recorded with its 表34 instance (docs/court.md).

- ``record_lookup``: 获取市场主体基本信息 — one ``CourtLookup`` per call.  The court's open 表34
  instance for the entity (the court's department, subject the entity) is reused while it is at
  进行案件送达; otherwise a new one is started and its first step completed by the call.
- ``record_feedback``: 反馈案件信息及送达信息 — the case (created or updated) and one
  ``CourtDelivery``; the instance's 进行案件送达 (the court served or tried to) and 反馈 steps are
  completed by the call.  Feedback without an earlier lookup starts an instance whose 获取 step
  says so.  The same feedback again (same case, result, date and address) creates nothing and
  answers the first one.  Then the rule 司法送达失败预警 runs for the entity, so an 未送达 case puts
  it in the 风险库 and a later 送达 closes the warning.

Nothing here commits: the API pipeline commits the call with its audit row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.errors import Invalid
from models import (
    CourtCase,
    CourtDelivery,
    CourtLookup,
    MarketEntity,
    ProcessInstance,
    RiskRule,
    RiskWarning,
    User,
    db,
    utcnow,
)
from models.court import SERVED, UNSERVED
from models.workflow import InstanceStatus
from services.risk.evaluate import evaluate
from services.risk.rules_court import CODE as RISK_RULE
from workflows import engine

TABLE = 34
SUBJECT = "court_entity"  # ProcessInstance.subject_type: the entity the court works on
FETCH, SERVE, FEEDBACK = "fetch", "serve", "feedback"
STEPS = (FETCH, SERVE, FEEDBACK)
RESULTS = {"送达": SERVED, "未送达": UNSERVED}
MAX_PARTIES = 50
LIMITS = {"entity_code": 30, "case_no": 60, "court": 100, "kind": 30, "address": 300, "note": 500, "name": 100, "role": 30}
LABELS = {"case_no": "案号", "court": "法院", "kind": "案件类型", "address": "送达地址", "note": "备注",
          "result": "送达结果", "date": "送达日期", "parties": "当事人", "entity_code": "市场主体代码"}
CODE_RE = re.compile(r"^[0-9A-Za-z]{1,30}$")


class FeedbackInvalid(Invalid):
    """A feedback whose fields are wrong: ``errors`` maps each field (``case.case_no`` …) to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("反馈内容有误：" + "；".join(errors.values()))
        self.errors = errors


@dataclass
class Feedback:
    entity_code: str
    case_no: str
    court: str
    kind: str
    parties: list[dict[str, str]]
    result: str  # SERVED | UNSERVED
    served_on: date
    address: str
    note: str = ""

    def snapshot(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "court": self.court, "kind": self.kind, "parties": self.parties}


@dataclass
class FeedbackOutcome:
    case: CourtCase
    delivery: CourtDelivery
    created: bool
    in_risk_library: bool = False
    errors: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------ reading the body


def _text(obj: dict[str, Any], key: str, where: str, errors: dict[str, str], required: bool = True) -> str:
    value = obj.get(key)
    name = f"{where}.{key}" if where else key
    label = LABELS.get(key, key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = f"请填写{label}"
        return ""
    if not isinstance(value, str):
        errors[name] = f"{label}应为文本"
        return ""
    value = value.strip()
    if len(value) > LIMITS[key]:
        errors[name] = f"{label}不能超过{LIMITS[key]}个字符"
    return value


def _parties(raw: Any, errors: dict[str, str]) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_PARTIES:
        errors["case.parties"] = f"当事人应为列表（最多{MAX_PARTIES}个）"
        return []
    out = []
    for n, party in enumerate(raw):
        if not isinstance(party, dict):
            errors[f"case.parties[{n}]"] = "当事人应为对象（name、role）"
            continue
        name = _text(party, "name", f"case.parties[{n}]", errors)
        role = _text(party, "role", f"case.parties[{n}]", errors, required=False)
        out.append({"name": name, "role": role})
    return out


def _date(raw: Any, errors: dict[str, str]) -> date | None:
    if raw is None or raw == "":
        errors["delivery.date"] = "请填写送达日期"
        return None
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors["delivery.date"] = "送达日期格式不正确，应为YYYY-MM-DD"
    elif day > clock.china_today():
        errors["delivery.date"] = "送达日期不能晚于今天"
        return None
    return day


def read_feedback(body: Any) -> Feedback:
    """The feedback of a request body, or ``FeedbackInvalid`` naming every wrong field."""
    if not isinstance(body, dict):
        raise FeedbackInvalid({"": "请求体应为JSON对象（entity_code、case、delivery）"})
    errors: dict[str, str] = {}
    code = _text(body, "entity_code", "", errors).upper()
    if code and not CODE_RE.match(code):
        errors["entity_code"] = "市场主体代码应为统一社会信用代码或注册号"
    case = body.get("case")
    delivery = body.get("delivery")
    for key, value in (("case", case), ("delivery", delivery)):
        if not isinstance(value, dict):
            errors[key] = "请提供案件信息（case）" if key == "case" else "请提供送达信息（delivery）"
    if errors.keys() & {"case", "delivery"}:
        raise FeedbackInvalid(errors)
    assert isinstance(case, dict) and isinstance(delivery, dict)
    case_no = _text(case, "case_no", "case", errors)
    court = _text(case, "court", "case", errors)
    kind = _text(case, "kind", "case", errors)
    parties = _parties(case.get("parties"), errors)
    raw_result = delivery.get("result")
    result = RESULTS.get(raw_result.strip()) if isinstance(raw_result, str) else None
    if result is None:
        errors["delivery.result"] = "送达结果应为“送达”或“未送达”"
    served_on = _date(delivery.get("date"), errors)
    address = _text(delivery, "address", "delivery", errors)
    note = _text(delivery, "note", "delivery", errors, required=False)
    if errors:
        raise FeedbackInvalid(errors)
    assert result is not None and served_on is not None
    return Feedback(code, case_no, court, kind, parties, result, served_on, address, note)


# ------------------------------------------------------------------ the 表34 instance


def open_instance(client: User, entity: MarketEntity) -> ProcessInstance | None:
    """The court's active 表34 instance for the entity (at 进行案件送达), if any."""
    return db.session.execute(
        select(ProcessInstance).where(
            ProcessInstance.process_table == TABLE, ProcessInstance.subject_type == SUBJECT,
            ProcessInstance.subject_id == entity.id, ProcessInstance.department_id == client.department_id,
            ProcessInstance.status == InstanceStatus.ACTIVE)
        .order_by(ProcessInstance.id.desc()).limit(1)
    ).scalars().first()


def _started(client: User, entity: MarketEntity, fetch_note: str) -> ProcessInstance:
    instance = engine.start(TABLE, client, title=f"企业送达信息共享：{entity.name}"[:200], subject_type=SUBJECT,
                            subject_id=entity.id)
    return engine.advance(client, instance, FETCH, "next", comment=fetch_note)


def record_lookup(client: User, credential_id: int | None, entity: MarketEntity, code: str,
                  fields: list[str]) -> CourtLookup:
    """A 获取市场主体基本信息 call (see the module)."""
    instance = open_instance(client, entity)
    shown = "、".join(fields) or "标识信息"
    if instance is None:
        instance = _started(client, entity, f"接口获取市场主体基本信息（{shown}）")
    lookup = CourtLookup(entity_id=entity.id, client_id=client.id, credential_id=credential_id, code=code[:30],
                         fields=shown[:200], instance_id=instance.id, received_at=utcnow())
    db.session.add(lookup)
    db.session.flush()
    return lookup


# ------------------------------------------------------------------ the feedback


def case_status(deliveries: list[CourtDelivery]) -> str:
    """UNSERVED when a 未送达 has no 送达 dated on or after it (the rule's reading), else SERVED."""
    served = [d.served_on for d in deliveries if d.result == SERVED]
    for d in deliveries:
        if d.result == UNSERVED and not any(day >= d.served_on for day in served):
            return UNSERVED
    return SERVED


def _same(d: CourtDelivery, fb: Feedback) -> bool:
    return (d.result, d.served_on, d.address, d.note) == (fb.result, fb.served_on, fb.address, fb.note) \
        and d.case_snapshot == fb.snapshot()


def _case(client: User, entity: MarketEntity, fb: Feedback) -> CourtCase:
    case = db.session.execute(
        select(CourtCase).where(CourtCase.client_id == client.id, CourtCase.case_no == fb.case_no,
                                CourtCase.entity_id == entity.id)
    ).scalar_one_or_none()
    now = utcnow()
    if case is None:
        case = CourtCase(entity_id=entity.id, client_id=client.id, case_no=fb.case_no, received_at=now,
                         status=fb.result, deliveries=[])
        db.session.add(case)
    case.court_name, case.case_kind, case.parties, case.updated_at = fb.court, fb.kind, fb.parties, now
    return case


def record_feedback(client: User, credential_id: int | None, entity: MarketEntity, fb: Feedback) -> FeedbackOutcome:
    """A 反馈案件信息及送达信息 call (see the module)."""
    case = _case(client, entity, fb)
    earlier = next((d for d in case.deliveries if _same(d, fb)), None) if case.id else None
    if earlier is not None:
        return FeedbackOutcome(case, earlier, created=False, in_risk_library=in_risk_library(entity))
    instance = open_instance(client, entity) or _started(client, entity, "反馈前未经接口获取（由反馈接口记录）")
    result_label = "送达" if fb.result == SERVED else "未送达"
    engine.advance(client, instance, SERVE, "next",
                   comment=f"{fb.case_no}：{result_label}，{fb.served_on.isoformat()}，{fb.address}")
    delivery = CourtDelivery(entity_id=entity.id, client_id=client.id, credential_id=credential_id,
                             result=fb.result, served_on=fb.served_on, address=fb.address, note=fb.note,
                             case_snapshot=fb.snapshot(), instance_id=instance.id, received_at=utcnow())
    case.deliveries.append(delivery)
    case.status = case_status(case.deliveries)
    db.session.flush()
    engine.advance(client, instance, FEEDBACK, "next", comment=f"案号{fb.case_no}，{fb.court}，{fb.kind}")
    evaluate(db.session, codes=[RISK_RULE], entity_ids=[entity.id])
    return FeedbackOutcome(case, delivery, created=True, in_risk_library=in_risk_library(entity))


def in_risk_library(entity: MarketEntity) -> bool:
    """Whether the entity has an open 司法送达失败预警."""
    return db.session.execute(
        select(RiskWarning.id).join(RiskRule, RiskRule.id == RiskWarning.rule_id)
        .where(RiskWarning.entity_id == entity.id, RiskRule.code == RISK_RULE, RiskWarning.status == "open")
    ).first() is not None
