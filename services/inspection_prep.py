"""检查准备 (seed 003 执行联合抽查; seed 001 检查准备): the pre-visit dossier of a drawn object and
提前告知.

Seed 003: 检查人员可根据需要查阅检查对象登记、许可、备案、处罚等基本信息掌握检查对象动态情况.
``dossier`` gathers what the platform holds: the registration of the registry entity (or the
place or product of the directory), its tags, the results published by earlier inspections and
the collected facts (信息归集, docs/dossier.md): 许可信息 are the entity's current 行政许可,
备案信息 the current 行政许可 rows whose 许可类别 names a 备案 (e.g. 仅销售预包装食品备案; the
collection files 备案 as permits of such a kind, not as 其他信息), 行政处罚信息 its current
penalties; 无 when there are none.

Seed 003: 除涉及食品生产和销售企业、餐饮服务、食用农产品交易市场、安全生产等检查依法依规不予
提前告知的情形外，检查小组应在现场检查前以书面或电话、传真等形式，告知被检查对象检查的时间及配合
检查的相关要求.  ``NO_NOTICE_RULES`` is that exception as data: an object is not told in advance
when its industry code (GB/T 4754) starts with one of a rule's prefixes, or the task's item
(name, 抽查类别, 检查对象) names one of a rule's keywords.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden, Invalid
from models import (
    AdvanceNotice,
    InspectionRecord,
    MarketEntity,
    NoticeMethod,
    Penalty,
    Permit,
    Place,
    Product,
    RecordStatus,
    Task,
    TaskObject,
    User,
    db,
)
from models.risk import RiskWarning
from persistence import audit
from services.dossier_kinds import text
from services.risk import library as risk_library

NONE = "无"
MAX_TEXT = 500


@dataclass(frozen=True)
class NoNoticeRule:
    label: str  # shown as the reason: 依法依规不予提前告知（餐饮服务）
    industry_prefixes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


# 依法依规不予提前告知的情形 (seed 003).  Industry codes: GB/T 4754-2017 (C13 农副食品加工, C14
# 食品制造, C15 酒、饮料和精制茶制造, F512 食品、饮料及烟草制品批发, F522 食品、饮料及烟草制品专门
# 零售, H62 餐饮业, B 采矿业).
NO_NOTICE_RULES: tuple[NoNoticeRule, ...] = (
    NoNoticeRule("食品生产和销售", ("C13", "C14", "C15", "F512", "F522"), ("食品生产", "食品销售", "食品经营")),
    NoNoticeRule("餐饮服务", ("H62",), ("餐饮",)),
    NoNoticeRule("食用农产品交易市场", (), ("食用农产品", "农产品市场", "农产品批发市场", "农贸市场")),
    NoNoticeRule("安全生产", ("B",), ("安全生产", "危险化学品", "烟花爆竹", "非煤矿山")),
)


# ------------------------------------------------------------------ objects


@dataclass
class ObjectInfo:
    """The F.1 header of a drawn object, from the registry or the directory."""

    kind: str  # entity / place / product
    name: str = ""
    uscc: str = ""
    district: str = ""
    license_no: str = ""
    legal_rep: str = ""
    address: str = ""
    phone: str = ""
    industry_code: str = ""
    entity: MarketEntity | None = None
    place: Place | None = None
    product: Product | None = None


def object_info(obj: TaskObject) -> ObjectInfo:
    kind = obj.key.partition(":")[0]
    if obj.entity_id is not None and kind == "entity":
        e = db.session.get(MarketEntity, obj.entity_id)
        if e is None:
            return ObjectInfo(kind, name="（该市场主体已不在市场主体库中）")
        return ObjectInfo(
            kind, name=e.name, uscc=e.uscc or "", district=e.division_name or e.department.name,
            license_no=e.reg_no or e.uscc or "", legal_rep=e.legal_rep, address=e.business_address or e.domicile,
            phone=e.phone, industry_code=e.industry_code, entity=e,
        )
    if kind == "place" and obj.place_id is not None:
        p = db.session.get(Place, obj.place_id)
        if p is not None:
            return ObjectInfo(kind, name=p.name, uscc=p.responsible_uscc, district=p.county or p.division_name,
                              license_no=p.responsible_uscc, legal_rep=p.responsible_person, address=p.address,
                              phone=p.phone, industry_code=p.entity.industry_code if p.entity else "", place=p,
                              entity=p.entity)
    if kind == "product" and obj.product_id is not None:
        r = db.session.get(Product, obj.product_id)
        if r is not None:
            return ObjectInfo(kind, name=r.company_name, uscc=r.uscc, district=r.county, license_no=r.licence_no,
                              address=r.address, phone=r.phone,
                              industry_code=r.entity.industry_code if r.entity else "", product=r, entity=r.entity)
    return ObjectInfo(kind, name=obj.key)


# ------------------------------------------------------------------ 提前告知


def no_notice_reason(task: Task, obj: TaskObject, info: ObjectInfo | None = None) -> str | None:
    """The rule that forbids telling ``obj`` in advance, or None when it may be told."""
    info = info or object_info(obj)
    text = " ".join((task.item.name, task.item.domain, task.item.objects, task.name))
    for rule in NO_NOTICE_RULES:
        if info.industry_code and any(info.industry_code.startswith(p) for p in rule.industry_prefixes):
            return rule.label
        if any(k in text for k in rule.keywords):
            return rule.label
    return None


def notices_of(task: Task, obj: TaskObject | None = None) -> list[AdvanceNotice]:
    query = select(AdvanceNotice).where(AdvanceNotice.task_id == task.id)
    if obj is not None:
        query = query.where(AdvanceNotice.task_object_id == obj.id)
    return list(db.session.execute(query.order_by(AdvanceNotice.notified_at, AdvanceNotice.id)).scalars())


def _published_for(task: Task, obj: TaskObject) -> bool:
    return db.session.execute(
        select(InspectionRecord.id).where(
            InspectionRecord.task_object_id == obj.id, InspectionRecord.status == RecordStatus.PUBLISHED
        ).limit(1)
    ).first() is not None


def record_notice(
    actor: User, task: Task, obj: TaskObject, *, method: str, notified_at: Any, recipient: str, content: str = "",
    may_act: bool,
) -> AdvanceNotice:
    """记录提前告知 (书面、电话或传真): refused where the law forbids telling in advance."""
    if not may_act:
        raise Forbidden("只有检查组成员可以记录提前告知")
    if obj.task_id != task.id or obj.removed:
        raise Conflict("该检查对象不在本次抽查名单中")
    reason = no_notice_reason(task, obj)
    if reason:
        raise Conflict(f"涉及{reason}的检查依法依规不予提前告知")
    if _published_for(task, obj):
        raise Conflict("该检查对象的检查结果已公示，不能再记录提前告知")
    try:
        kind = NoticeMethod(method)
    except ValueError:
        raise Invalid("告知方式须为书面、电话或传真", "method") from None
    when = parse_datetime(notified_at, "notified_at", "告知时间")
    if when is None:
        raise Invalid("请填写告知时间", "notified_at")
    recipient = (recipient or "").strip()
    if not recipient:
        raise Invalid("请填写告知对象（接收告知的人）", "recipient")
    if len(recipient) > 100:
        raise Invalid("告知对象不能超过100个字符", "recipient")
    content = (content or "").strip()
    if len(content) > MAX_TEXT:
        raise Invalid(f"告知内容不能超过{MAX_TEXT}个字符", "content")
    notice = AdvanceNotice(task_id=task.id, task_object_id=obj.id, method=kind, notified_at=when,
                           notified_by_id=actor.id, recipient=recipient, content=content)
    db.session.add(notice)
    db.session.flush()
    audit.record("advance_notice", object_type="advance_notice", object_id=notice.id,
                 summary={"抽查任务": task.name, "检查对象": object_info(obj).name, "告知方式": kind.label,
                          "告知对象": recipient}, user=actor)
    return notice


def parse_datetime(raw: Any, field_name: str, title: str) -> datetime | None:
    """A datetime-local value (2026-05-10T09:30) or 2026-05-10 09:30, typed in China time, as
    stored (naive UTC); a ``datetime`` is taken as stored already; '' is None."""
    if isinstance(raw, datetime):
        return raw
    text = (raw or "").strip().replace("T", " ")
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return clock.from_china(datetime.strptime(text, fmt))
        except ValueError:
            continue
    raise Invalid(f"{title}格式不正确，请按“2026-05-10 09:30”填写", field_name)


# ------------------------------------------------------------------ the dossier (检查准备)


@dataclass
class Dossier:
    info: ObjectInfo
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value or 无)
    tags: list[str] = field(default_factory=list)
    earlier: list[InspectionRecord] = field(default_factory=list)  # published results before
    no_notice: str | None = None
    notices: list[AdvanceNotice] = field(default_factory=list)
    warnings: list[RiskWarning] = field(default_factory=list)  # open 风险库 warnings (services/risk)


FILING = "备案"  # a permit kind naming this is a 备案 (docs/dossier.md)


def _permit_text(p: Permit) -> str:
    parts = [p.permit_no, p.kind, f"有效期至{p.valid_to.isoformat()}" if p.valid_to else "", p.status]
    return f"{p.name}（{'，'.join(x for x in parts if x)}）"


def _penalty_text(p: Penalty) -> str:
    amount = f"罚没{text(p.amount)}元" if p.amount else ""
    parts = [p.decided_on.isoformat(), p.kind, amount, p.department]
    return f"{p.decision_no}：{p.violation or '行政处罚'}（{'，'.join(x for x in parts if x)}）"


def fact_rows(entity_id: int) -> list[tuple[str, str]]:
    """许可信息、备案信息、行政处罚信息 from the current collected facts (无 when none)."""
    permits = list(db.session.execute(
        select(Permit).where(Permit.entity_id == entity_id, Permit.current.is_(True))
        .order_by(Permit.valid_from.desc().nulls_last(), Permit.id.desc())
    ).scalars())
    penalties = list(db.session.execute(
        select(Penalty).where(Penalty.entity_id == entity_id, Penalty.current.is_(True))
        .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
    ).scalars())
    licences = [_permit_text(p) for p in permits if FILING not in p.kind]
    filings = [_permit_text(p) for p in permits if FILING in p.kind]
    return [("许可信息", "；".join(licences) or NONE), ("备案信息", "；".join(filings) or NONE),
            ("行政处罚信息", "；".join(_penalty_text(p) for p in penalties) or NONE)]


def dossier(task: Task, obj: TaskObject) -> Dossier:
    info = object_info(obj)
    rows: list[tuple[str, str]] = []
    e = info.entity
    if e is not None:
        rows += [
            ("主体名称", e.name),
            ("统一社会信用代码", e.uscc or NONE),
            ("注册号", e.reg_no or NONE),
            ("主体类型", e.type_label),
            ("登记状态", e.status.label),
            ("法定代表人/负责人", e.legal_rep or NONE),
            ("住所", e.domicile or NONE),
            ("经营场所", e.business_address or NONE),
            ("行政区划", e.division_name or e.division_code),
            ("行业", f"{e.industry_code} {e.industry_name}".strip() or NONE),
            ("成立日期", e.established_on.isoformat() if e.established_on else NONE),
            ("经营范围", e.business_scope or NONE),
            ("联系电话", e.phone or NONE),
        ]
    if info.place is not None:
        p = info.place
        rows += [("场地场所", p.name), ("责任单位", p.responsible_unit or NONE), ("场所用途", p.purpose or NONE),
                 ("检查地址", p.address or NONE)]
    if info.product is not None:
        r = info.product
        rows += [("生产许可证编号", r.licence_no), ("企业名称", r.company_name),
                 ("有效期至", r.valid_until.isoformat() if r.valid_until else NONE)]
    rows += fact_rows(e.id) if e is not None else [("许可信息", NONE), ("备案信息", NONE), ("行政处罚信息", NONE)]
    earlier: list[InspectionRecord] = []
    if e is not None:
        earlier = list(db.session.execute(
            select(InspectionRecord)
            .where(InspectionRecord.entity_id == e.id, InspectionRecord.status == RecordStatus.PUBLISHED,
                   InspectionRecord.task_id != task.id)
            .order_by(InspectionRecord.published_at.desc()).limit(20)
        ).scalars())
    return Dossier(info=info, rows=rows, tags=e.tag_names if e is not None else [], earlier=earlier,
                   no_notice=no_notice_reason(task, obj, info), notices=notices_of(task, obj),
                   warnings=risk_library.open_for_entity(e.id) if e is not None else [])
