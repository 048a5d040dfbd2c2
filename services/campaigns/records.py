"""专项整治执行录入 (seed 004 §4.3; 表23 执行执法检查 … 立案查处): each object's record.

The inspector answers the campaign's 反馈内容 (services/campaigns/feedback), writes the text
report, attaches files, and decides 是否符合法定条件.  Not lawful: 是否下达责令改正 — yes: a
责令改正 with a 整改期限 in working days (persistence/workdays: a year without its holiday
table is refused with that module's message) and a 责令改正通知书 (PDF); no: 立案查处 at once.
At the deadline (not before) the 复查: 已改正, or 逾期不改正 → 立案查处 (案件编号, 立案日期).
A record can be saved without a decision (started); each save carries the object's
``lock_version``, so of two inspectors saving at once the second gets 409 with what they typed.
Each decision moves the campaign's 表23 instance when that step is the one open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from infrastructure import pdf
from infrastructure.clock import cn_date
from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import parse_date
from models import User, utcnow
from models.campaigns import Campaign, CampaignAttachment, CampaignObject
from models.campaigns import ObjectStatus as S
from models.roles import Role
from persistence import audit, workdays
from services import documents
from services.campaigns import access, feedback
from services.campaigns.assign import require_inspection_open
from services.campaigns.plans import text
from services.plan_queries import today

MAX_ORDER_DAYS = 180
MAX_ATTACHMENTS = 10


def may_record(user: User, obj: CampaignObject) -> bool:
    """The assigned inspector, or an inspector of the same department (the same team)."""
    if not user.is_active or not user.has_role(Role.INSPECTOR) or obj.inspector is None:
        return False
    return user.id == obj.inspector_id or user.department_id == obj.inspector.department_id


def _day(raw: Any, key: str, title: str, *, not_before: date | None = None, before_title: str = "") -> date:
    try:
        value = parse_date(raw)
    except ValueError as exc:
        raise Invalid(f"{title}：{exc}", key) from None
    if value is None:
        raise Invalid(f"请填写{title}", key)
    if value > today():
        raise Invalid(f"{title}不能晚于今天（{today().isoformat()}）", key)
    if not_before is not None and value < not_before:
        raise Invalid(f"{title}不能早于{before_title}（{not_before.isoformat()}）", key)
    return value


def _yes_no(data: Mapping[str, Any], key: str, question: str) -> bool | None:
    raw = str(data.get(key) or "")
    if raw not in ("", "yes", "no"):
        raise Invalid(f"请选择{question}", key)
    return None if raw == "" else raw == "yes"


def _check(user: User, obj: CampaignObject, lock_version: int | None, *statuses: str) -> None:
    campaign = obj.campaign
    if not may_record(user, obj):
        raise Forbidden("只有被指派的执法人员可以录入该对象的检查结果")
    access.require_published(campaign)
    require_inspection_open(campaign)
    access.check_lock(obj, lock_version, "该对象的检查记录")
    if obj.reported_at is not None:
        raise Conflict("该对象的检查结果已上报，不能再修改")
    if statuses and obj.status not in statuses:
        raise Conflict(f"该对象当前为“{obj.status_label}”，不能办理此环节，请刷新页面")


def _attach(user: User, obj: CampaignObject, uploads: Iterable[documents.Upload | None]) -> None:
    files = [documents.clean_attachment(u) for u in uploads if u is not None and u.filename]
    if len(obj.attachments) + len(files) > MAX_ATTACHMENTS:
        raise Invalid(f"每个对象最多{MAX_ATTACHMENTS}个附件", "attachments")
    for name, mime, data in files:
        obj.attachments.append(CampaignAttachment(filename=name, content_type=mime, size=len(data), content=data,
                                                  uploaded_by_id=user.id))


def _decision(obj: CampaignObject, data: Mapping[str, Any], inspected_on: date) -> dict[str, Any]:
    """What the form decides, checked before anything is written."""
    lawful = _yes_no(data, "lawful", "是否符合法定条件")
    out: dict[str, Any] = {"lawful": lawful}
    if lawful is not False:
        return out
    order = _yes_no(data, "order_needed", "是否下达责令改正")
    if order is None:
        raise Invalid("不符合法定条件的，请选择是否下达责令改正", "order_needed")
    out["order_needed"] = order
    if order:
        raw = str(data.get("order_days") or "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ORDER_DAYS:
            raise Invalid(f"整改期限须为1至{MAX_ORDER_DAYS}的整数（工作日）", "order_days")
        out["order_days"] = int(raw)
        out["order_problem"] = text(data, "order_problem", "存在的问题及整改要求", 2000, required=True)
        out["order_on"] = today()
        out["order_due"] = workdays.add_workdays(out["order_on"], out["order_days"])  # 422 without the table
    else:
        out["case_no"] = text(data, "case_no", "案件编号", 100, required=True)
        out["case_date"] = _day(data.get("case_date"), "case_date", "立案日期", not_before=inspected_on,
                                before_title="检查日期")
    return out


def save_record(user: User, obj: CampaignObject, lock_version: int | None, data: Mapping[str, Any],
                uploads: Iterable[documents.Upload | None] = ()) -> None:
    """执行执法检查 and its decisions; without a decision the record is only saved (started)."""
    campaign = obj.campaign
    inspected_on = _day(data.get("inspected_on") or today().isoformat(), "inspected_on", "检查日期",
                        not_before=campaign.starts_on, before_title="专项整治开始日期")
    decided = str(data.get("lawful") or "") != ""
    answers = feedback.read_answers(campaign, data, complete=decided)
    report = text(data, "report_text", "文字汇报", 20000, required=decided and campaign.text_report)
    decision = _decision(obj, data, inspected_on)
    _check(user, obj, lock_version, S.PENDING)
    _attach(user, obj, uploads)
    obj.answers, obj.report_text, obj.inspected_on = answers, report, inspected_on
    obj.recorded_by_id, obj.updated_at = user.id, utcnow()
    obj.started_at = obj.started_at or utcnow()
    if decision["lawful"] is None:
        _log(user, obj, "save_record", {"状态": "暂存"})
        return
    access.follow(user, campaign, "inspect", comment=obj.entity.name)
    for key, value in decision.items():
        setattr(obj, key, value)
    if decision["lawful"]:
        obj.status = S.LAWFUL
        access.follow(user, campaign, "lawful", "yes", comment=obj.entity.name)
    else:
        access.follow(user, campaign, "lawful", "no", comment=obj.entity.name)
        _order_or_case(user, obj)
    _log(user, obj, "record", {"结果": obj.status_label, "整改期限": obj.order_due.isoformat() if obj.order_due else "",
                               "案件编号": obj.case_no})


def _order_or_case(user: User, obj: CampaignObject) -> None:
    campaign = obj.campaign
    if obj.order_needed:
        obj.status = S.ORDERED
        obj.order_no = f"责改〔{obj.order_on.year if obj.order_on else today().year}〕{campaign.id}-{obj.id}号"
        access.follow(user, campaign, "order_needed", "yes", comment=obj.entity.name)
        access.follow(user, campaign, "order", comment=f"{obj.entity.name}：{obj.order_no}")
    else:
        obj.status = S.CASE
        access.follow(user, campaign, "order_needed", "no", comment=obj.entity.name)
        access.follow(user, campaign, "case", comment=f"{obj.entity.name}：{obj.case_no}")


def recheck(user: User, obj: CampaignObject, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """复查 at the 整改期限: 已改正, or 逾期不改正 → 立案查处."""
    corrected = _yes_no(data, "corrected", "复查结果")
    if corrected is None:
        raise Invalid("请选择复查结果：已改正或逾期不改正", "corrected")
    if obj.order_due is not None and today() < obj.order_due:
        raise Conflict(f"整改期限（{obj.order_due.isoformat()}）未到，不能复查")
    values: dict[str, Any] = {}
    if not corrected:
        values["case_no"] = text(data, "case_no", "案件编号", 100, required=True)
        values["case_date"] = _day(data.get("case_date"), "case_date", "立案日期", not_before=obj.order_due,
                                   before_title="整改期限")
    _check(user, obj, lock_version, S.ORDERED)
    campaign = obj.campaign
    obj.corrected, obj.rechecked_on, obj.updated_at = corrected, today(), utcnow()
    for key, value in values.items():
        setattr(obj, key, value)
    obj.status = S.CORRECTED if corrected else S.CASE
    access.follow(user, campaign, "corrected", "yes" if corrected else "no", comment=obj.entity.name)
    if not corrected:
        access.follow(user, campaign, "case", comment=f"{obj.entity.name}：{obj.case_no}")
    _log(user, obj, "recheck", {"复查": "已改正" if corrected else "逾期不改正", "案件编号": obj.case_no})


def _log(user: User, obj: CampaignObject, action: str, summary: dict[str, Any]) -> None:
    audit.record(action, object_type="campaign_object", object_id=obj.id,
                 summary={"专项整治": obj.campaign.title, "对象": obj.entity.name, **summary}, user=user)


def order_pdf(obj: CampaignObject) -> bytes:
    """责令改正通知书 (A4, the CJK font embedded: infrastructure/pdf)."""
    if obj.status not in (S.ORDERED, S.CORRECTED) and not obj.order_no:
        raise Conflict("该对象未下达责令改正")
    campaign: Campaign = obj.campaign
    return pdf.render("campaigns/order_notice_pdf.html", obj=obj, campaign=campaign, entity=obj.entity,
                      order_on=cn_date(obj.order_on), due=cn_date(obj.order_due), title="责令改正通知书")
