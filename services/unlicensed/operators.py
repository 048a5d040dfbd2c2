"""Each operator found (执行无证无照经营查处) and its branch of 表24, by an assigned inspector:

判断是否符合办理证照条件 → 否: 立案查处 (案件编号, 立案日期) · 是: 判断是否有意愿经营 →
有: 引导办证/办照, then tracked until the licence is issued (matched to the registry entity or
to a collected permit, models/facts) · 无: 停业 or 关闭.  The A.6 columns an inspector adds
(已下达行政指导文书, 已抄告, 已移送公安机关, 罚款金额) are checked by services/ledgers.py's rules.
Each step moves the unit's 表24 instance when it is the step open (services/unlicensed/access).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from infrastructure.errors import Conflict, Invalid
from infrastructure.excel import parse_date
from models import MarketEntity, Permit, User, db, utcnow
from models.unlicensed import OperatorStatus as S
from models.unlicensed import UnlicensedOperator, UnlicensedUnit
from persistence import audit
from services import ledgers
from services.plan_queries import today
from services.unlicensed import access
from services.unlicensed.cycles import text

OUTCOMES = ("停业", "关闭")
LICENCE_KINDS = ("办证", "办照", "办证办照")
_A6 = {"operator": "经营者/名称", "address": "经营地址", "business": "经营项目", "phone": "联系电话"}


def _date(raw: Any, key: str, title: str, *, not_before: date | None = None, required: bool = True) -> date | None:
    try:
        value = parse_date(raw)
    except ValueError as exc:
        raise Invalid(f"{title}：{exc}", key) from None
    if value is None:
        if required:
            raise Invalid(f"请填写{title}", key)
        return None
    if value > today():
        raise Invalid(f"{title}不能晚于今天（{today().isoformat()}）", key)
    if not_before is not None and value < not_before:
        raise Invalid(f"{title}不能早于发现日期（{not_before.isoformat()}）", key)
    return value


def _a6(values: Mapping[str, Any]) -> dict[str, Any]:
    """The A.6 fields of ``values`` (column titles) by the ledger's one rule set; 400 at the first problem."""
    fields, errors = ledgers.check_values(values)
    if errors:
        title, message = errors[0]
        raise Invalid(f"{title}：{message}", ledgers.FIELDS[title])
    return fields


def find_entity(code: str) -> MarketEntity | None:
    return db.session.execute(
        select(MarketEntity).where(or_(MarketEntity.uscc == code, MarketEntity.reg_no == code))
    ).scalar_one_or_none()


def _editable(user: User, unit: UnlicensedUnit) -> None:
    access.require_inspector(user, unit)
    if unit.inspectors_reported_at is not None:
        raise Conflict("本单位的查处结果已上报，不能再修改")


def _check(user: User, op: UnlicensedOperator, lock_version: int | None, *statuses: str) -> None:
    _editable(user, op.unit)
    access.check_lock(op, lock_version, "该经营者的查处记录")
    if statuses and op.status not in statuses:
        raise Conflict(f"该经营者当前为“{op.status_label}”，不能办理此环节，请刷新页面")
    op.updated_at = utcnow()


def _log(user: User, op: UnlicensedOperator, action: str, summary: dict[str, Any]) -> None:
    audit.record(action, object_type="unlicensed_operator", object_id=op.id,
                 summary={"经营者": op.operator, **summary}, user=user)


def operator_values(unit: UnlicensedUnit, data: Mapping[str, Any]) -> dict[str, Any]:
    """An operator found, checked (name required; a registry code is matched; not one already
    recorded by name and address): the columns of its row, nothing written.  400/409 at the
    first problem, ``field`` naming the form field (the import maps it to its column)."""
    fields = _a6({title: data.get(key) for key, title in _A6.items()})
    person = text(data, "person", "经营者（负责人）", 100)
    code = text(data, "code", "统一社会信用代码/注册号", 30).upper()
    entity = find_entity(code) if code else None
    if code and entity is None:
        raise Invalid(f"市场主体库中没有统一社会信用代码或注册号为“{code}”的主体；不在库中的经营者请不填代码", "code")
    found_on = _date(data.get("found_on") or today().isoformat(), "found_on", "发现日期")
    for other in unit.operators:
        if other.operator == fields["operator"] and other.address == fields["address"]:
            raise Conflict(f"“{other.operator}”（{other.address or '无地址'}）已录入，不能重复录入", "operator")
    return {"operator": fields["operator"], "address": fields["address"], "business": fields["business"],
            "phone": fields["phone"], "person": person, "code": code, "entity": entity, "found_on": found_on}


def record_operator(user: User, unit: UnlicensedUnit, data: Mapping[str, Any]) -> UnlicensedOperator:
    """执行无证无照经营查处: an operator found (on the unit's page, or a row of an import)."""
    _editable(user, unit)
    if unit.assigned_at is None:
        raise Conflict("本单位尚未指派执法人员")
    op = UnlicensedOperator(unit=unit, found_by_id=user.id, **operator_values(unit, data))
    db.session.add(op)
    db.session.flush()
    access.follow(user, unit, "enforce", comment=op.operator)
    _log(user, op, "create", {"地址": op.address, "主体": op.entity.name if op.entity else "不在主体库"})
    return op


def judge_eligible(user: User, op: UnlicensedOperator, lock_version: int | None, answer: str) -> None:
    """判断是否符合办理证照条件."""
    if answer not in ("yes", "no"):
        raise Invalid("请选择是否符合办理证照条件", "eligible")
    _check(user, op, lock_version, S.FOUND)
    op.eligible = answer == "yes"
    op.status = S.ELIGIBLE if op.eligible else S.INELIGIBLE
    access.follow(user, op.unit, "eligible", answer, comment=op.operator)
    _log(user, op, "judge_eligible", {"符合办理证照条件": "是" if op.eligible else "否"})


def file_case(user: User, op: UnlicensedOperator, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """立案查处 of an operator not eligible for a licence."""
    case_no = text(data, "case_no", "案件编号", 100, required=True)
    case_date = _date(data.get("case_date"), "case_date", "立案日期", not_before=op.found_on)
    _check(user, op, lock_version, S.INELIGIBLE)
    op.case_no, op.case_date, op.status = case_no, case_date, S.CASE
    access.follow(user, op.unit, "case", comment=f"{op.operator}：{case_no}")
    _log(user, op, "file_case", {"案件编号": case_no, "立案日期": case_date.isoformat() if case_date else ""})


def judge_willing(user: User, op: UnlicensedOperator, lock_version: int | None, answer: str, outcome: str = "") -> None:
    """判断是否有意愿经营; without it the operator 停业 or 关闭 (recorded)."""
    if answer not in ("yes", "no"):
        raise Invalid("请选择是否有经营意愿", "willing")
    if answer == "no" and outcome not in OUTCOMES:
        raise Invalid("无经营意愿的，请选择处理结果：停业或关闭", "outcome")
    _check(user, op, lock_version, S.ELIGIBLE)
    op.willing = answer == "yes"
    if op.willing:
        op.status = S.WILLING
    else:
        op.status, op.outcome = S.CLOSED, outcome
    access.follow(user, op.unit, "willing", answer, comment=op.operator)
    _log(user, op, "judge_willing", {"有经营意愿": "是" if op.willing else "否", "结果": op.outcome})


def guide(user: User, op: UnlicensedOperator, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """引导办证/办照: from now on the operator is tracked until its licence is issued."""
    kind = str(data.get("licence_kind") or "")
    if kind not in LICENCE_KINDS:
        raise Invalid("请选择引导办证、办照或办证办照", "licence_kind")
    guided_on = _date(data.get("guided_on"), "guided_on", "引导日期", not_before=op.found_on)
    _check(user, op, lock_version, S.WILLING)
    op.licence_kind, op.guided_on, op.status = kind, guided_on, S.GUIDING
    op.guidance_issued = op.guidance_issued or bool(data.get("guidance_issued"))
    access.follow(user, op.unit, "guide", comment=f"{op.operator}：引导{kind}")
    _log(user, op, "guide", {"引导": kind, "日期": guided_on.isoformat() if guided_on else ""})


def find_permit(licence_no: str) -> Permit | None:
    return db.session.execute(
        select(Permit).where(Permit.permit_no == licence_no, Permit.current.is_(True)).limit(1)
    ).scalar_one_or_none()


def record_licence(user: User, op: UnlicensedOperator, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """The licence issued to a guided operator: matched to the registry (code) or to a
    collected permit (许可证编号); one of them must be found."""
    licensed_on = _date(data.get("licensed_on"), "licensed_on", "办结日期", not_before=op.found_on)
    code = text(data, "licensed_code", "统一社会信用代码/注册号", 30).upper()
    licence_no = text(data, "licence_no", "许可证编号", 100)
    if not code and not licence_no:
        raise Invalid("请填写办理后的统一社会信用代码/注册号，或许可证编号", "licensed_code")
    entity = find_entity(code) if code else None
    if code and entity is None:
        raise Invalid(f"市场主体库中没有统一社会信用代码或注册号为“{code}”的主体", "licensed_code")
    permit = find_permit(licence_no) if licence_no else None
    if licence_no and permit is None:
        raise Invalid(f"已归集的行政许可信息中没有许可证编号为“{licence_no}”的许可", "licence_no")
    access.require_inspector(user, op.unit)
    access.check_lock(op, lock_version, "该经营者的查处记录")
    if op.status != S.GUIDING:
        raise Conflict(f"该经营者当前为“{op.status_label}”，不能登记办证照结果")
    op.licensed_on, op.licence_no, op.permit, op.status = licensed_on, licence_no, permit, S.LICENSED
    op.licensed_entity = entity or (permit.entity if permit is not None else None)
    op.updated_at = utcnow()
    _log(user, op, "licensed", {"日期": licensed_on.isoformat() if licensed_on else "",
                                "主体": entity.name if entity else "", "许可证编号": licence_no})


def update_columns(user: User, op: UnlicensedOperator, lock_version: int | None, data: Mapping[str, Any]) -> None:
    """The A.6 columns an inspector keeps: 已下达行政指导文书, 已抄告, 已移送公安机关, 罚款金额（万元）."""
    fields = _a6({"经营者/名称": op.operator, ledgers.FINE: data.get("fine")})
    _check(user, op, lock_version)
    op.guidance_issued = bool(data.get("guidance_issued"))
    op.notice_copied = bool(data.get("notice_copied"))
    op.police_transferred = bool(data.get("police_transferred"))
    op.fine = fields["fine"]
    _log(user, op, "update", {"已下达行政指导文书": op.guidance_issued, "已抄告": op.notice_copied,
                              "已移送公安机关": op.police_transferred, "罚款金额（万元）": ledgers.amount(op.fine)})
