"""抽查计划 (DB5101 7.2.1 表19, 7.3.1 表21; seed 003 年度联合抽查工作计划, 附录 D.1).

- 表19 (single department): 建立单部门联合双随机抽查计划 — the plan is created with its uploaded
  抽查计划文件 (made offline, 表19 说明); 确定抽查要素形成抽查计划 — items, objects, ratio,
  抽查户数, period, 实施层级 and 检查方式 are fixed; the platform then 公开抽查计划.
- 表21 (joint): 选择部门联合双随机抽查事项 with the A.2.1 information — the initiator's published
  joint items, whose participating departments become the plan's 参与部门; 征求参与部门意见;
  each participant's 反馈意见 (agrees, or writes what it wants changed on period, count, ratio
  or level); 确认形成联合双随机抽查计划 (the initiator may edit after the feedback); then a 临时
  plan is published at once (guard ``ad_hoc_plan``), any other goes to 报联席会议办公室 →
  审定计划可行性 (通过, or 退回 with a reason → 调整抽查计划 → review again) → 公开抽查计划.

Every step changes the plan AND advances its process instance (subject_type ``plan``) in one
transaction.  Each form carries ``Plan.lock_version``: a form built before someone else
changed the plan is refused with 409 and nothing changes.

Seed 003: the annual joint plan is due, published, by 31 March: ``annual_plan_warning``.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    CheckItem,
    CheckItemPart,
    Department,
    ItemKind,
    ItemStatus,
    Plan,
    PlanItem,
    PlanKind,
    PlanParty,
    PlanStatus,
    PlanType,
    ProcessInstance,
    User,
    WorkItem,
    db,
    utcnow,
)
from models.items import ItemCategory, PartRole
from models.org import DepartmentKind
from models.roles import Role
from models.workflow import InstanceStatus
from services import audit, clock, publication
from services.errors import Conflict, Forbidden, ServiceError
from services.joint_items import _choices, _like, _split, last_comment
from services.org import region_root
from services.scope import subtree_ids
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS
from workflows import engine
from workflows.actions import on_auto_step
from workflows.errors import NotAllowed
from workflows.guards import register_guard
from workflows.lanes import PARTICIPANT
from workflows.registry import get_process

SUBJECT = "plan"
SINGLE, JOINT = 19, 21
TABLES = (SINGLE, JOINT)
EDIT_ROLES = (Role.CLERK, Role.DEPT_LEADER)
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.CONFERENCE_OFFICE)
STALE = "该抽查计划已被他人处理或已发生变化，请刷新页面查看最新状态"
SEP = "、"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # the app's MAX_CONTENT_LENGTH: one upload per request
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",
}
DUE_MONTH, DUE_DAY = 3, 31  # seed 003: 年度联合抽查工作计划应在3月31日前…向社会公开
WARN_FROM_MONTH = 3  # the warning shows from 1 March

# Steps whose forms are on the plan's page (workflows.bindings business_steps).
BUSINESS_STEPS: dict[int, tuple[str, ...]] = {
    SINGLE: ("draft", "elements"),
    JOINT: ("select", "consult", "feedback", "form", "submit", "review", "adjust"),
}
FIELD_TITLES = {
    "name": "计划名称",
    "year": "计划年度",
    "plan_type": "计划类型",
    "objects": "检查对象",
    "methods": "检查方式",
    "levels": "实施层级",
    "ratio": "抽查比例",
    "sample_size": "抽查户数",
    "start_date": "起始时间",
    "end_date": "截止时间",
    "note": "备注",
    "items": "抽查事项",
    "document": "抽查计划文件",
}


class Unprocessable(ServiceError):
    """Input that cannot be accepted as it is (422): a bad value or a bad file."""

    status = 422


# ------------------------------------------------------------------ today (injectable)


def today() -> date:
    """The working day: ``PLANS_TODAY`` in the app config (tests), else today in China."""
    if has_app_context():
        configured = current_app.config.get("PLANS_TODAY")
        if configured:
            return configured if isinstance(configured, date) else date.fromisoformat(str(configured))
    return clock.china_today()


# ------------------------------------------------------------------ field checks


def _text(data: Mapping[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    text = str(data.get(key) or "").strip()
    if required and not text:
        raise Unprocessable(f"请填写{FIELD_TITLES[key]}", field=key)
    if len(text) > limit:
        raise Unprocessable(f"{FIELD_TITLES[key]}不能超过{limit}个字符", field=key)
    return text


def _year(data: Mapping[str, Any]) -> int:
    raw = str(data.get("year") or "").strip()
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise Unprocessable("计划年度应为四位年份，例如2026", field="year")
    return int(raw)


def _plan_type(data: Mapping[str, Any]) -> PlanType:
    raw = str(data.get("plan_type") or "").strip()
    try:
        return PlanType(raw)
    except ValueError:
        raise Unprocessable("请选择计划类型（年度计划或临时计划）", field="plan_type") from None


def _date(data: Mapping[str, Any], key: str) -> date:
    raw = data.get(key)
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise Unprocessable(f"请填写{FIELD_TITLES[key]}", field=key)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Unprocessable(f"{FIELD_TITLES[key]}格式不正确，应为 2026-01-31", field=key) from None


def clean_ratio(raw: Any, items: Sequence[CheckItem] = (), *, key: str = "ratio") -> Decimal:
    """抽查比例 in percent, 0–100, at most the cap of every general item among ``items``."""
    text = str(raw if raw is not None else "").strip().rstrip("%％")
    if not text:
        raise Unprocessable("请填写抽查比例", field=key)
    try:
        ratio = Decimal(text)
    except InvalidOperation:
        raise Unprocessable("抽查比例应为数字（百分比，0–100）", field=key) from None
    if not ratio.is_finite() or ratio < 0 or ratio > 100:
        raise Unprocessable("抽查比例应在0–100（%）之间", field=key)
    if ratio != ratio.quantize(Decimal("0.01")):
        raise Unprocessable("抽查比例最多保留两位小数", field=key)
    for item in items:
        if item.category == ItemCategory.GENERAL and item.ratio_cap is not None and ratio > item.ratio_cap:
            raise Unprocessable(
                f"抽查比例不能超过一般检查事项“{item.name}”的抽查比例上限{item.ratio_cap.normalize():f}%", field=key
            )
    return ratio


def _count(data: Mapping[str, Any], key: str = "sample_size") -> int:
    raw = str(data.get(key) or "").strip()
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise Unprocessable("抽查户数应为不小于0的整数", field=key)
    return int(raw)


@dataclass
class Elements:
    """抽查要素: what 确定抽查要素形成抽查计划 (表19) and the A.2.1 information (表21) fix."""

    name: str
    objects: str
    methods: list[str]
    levels: list[str]
    ratio: Decimal
    sample_size: int
    start_date: date
    end_date: date
    note: str = ""


def clean_elements(data: Mapping[str, Any], year: int, items: Sequence[CheckItem]) -> Elements:
    methods = data.get("methods") or []
    levels = data.get("levels") or []
    start, end = _date(data, "start_date"), _date(data, "end_date")
    if start > end:
        raise Unprocessable("起始时间不能晚于截止时间", field="end_date")
    if start.year != year or end.year != year:
        raise Unprocessable(f"起止时间应在计划年度{year}年内", field="start_date")
    return Elements(
        name=_text(data, "name", 200, required=True),
        objects=_text(data, "objects", 2000, required=True),
        methods=_choices(methods, INSPECTION_METHODS, "methods"),
        levels=_choices(levels, IMPLEMENTATION_LEVELS, "levels"),
        ratio=clean_ratio(data.get("ratio"), items),
        sample_size=_count(data),
        start_date=start,
        end_date=end,
        note=_text(data, "note", 2000),
    )


def _apply(plan: Plan, e: Elements) -> None:
    plan.name = e.name
    plan.objects = e.objects
    plan.methods = SEP.join(e.methods)
    plan.levels = SEP.join(e.levels)
    plan.ratio = e.ratio
    plan.sample_size = e.sample_size
    plan.start_date = e.start_date
    plan.end_date = e.end_date
    plan.note = e.note


def elements_of(plan: Plan) -> dict[str, Any]:
    """The plan's elements as form values."""
    return {
        "name": plan.name,
        "objects": plan.objects,
        "methods": _split(plan.methods),
        "levels": _split(plan.levels),
        "ratio": "" if plan.ratio is None else f"{plan.ratio.normalize():f}",
        "sample_size": "" if plan.sample_size is None else plan.sample_size,
        "start_date": plan.start_date.isoformat() if plan.start_date else "",
        "end_date": plan.end_date.isoformat() if plan.end_date else "",
        "note": plan.note,
    }


# ------------------------------------------------------------------ the 抽查计划文件


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the name says: pdf, ole (doc/xls), docx, xlsx, ofd or ''."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if data.startswith(b"PK\x03\x04"):
        names = _zip_names(data)
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if "OFD.xml" in names:
            return "ofd"
    return ""


def clean_document(upload: Upload | None) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of an acceptable 抽查计划文件; else Unprocessable."""
    if upload is None or not upload.filename:
        raise Unprocessable("请上传抽查计划文件", field="document")
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in DOCUMENT_TYPES:
        raise Unprocessable("抽查计划文件只能是 PDF、Word（doc/docx）、Excel（xls/xlsx）或 OFD 文件", field="document")
    if not upload.data:
        raise Unprocessable("上传的抽查计划文件是空文件", field="document")
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise Unprocessable(f"抽查计划文件不能超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB", field="document")
    kind = sniff(upload.data)
    expected = {"pdf": "pdf", "doc": "ole", "xls": "ole", "docx": "docx", "xlsx": "xlsx", "ofd": "ofd"}[ext]
    if kind != expected:
        raise Unprocessable(f"文件内容与扩展名 .{ext} 不符，请上传真实的{ext.upper()}文件", field="document")
    return name, DOCUMENT_TYPES[ext], upload.data


def _store_document(plan: Plan, upload: Upload) -> None:
    name, mime, data = clean_document(upload)
    plan.document_name, plan.document_type, plan.document = name, mime, data
    plan.document_sha256 = hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ who sees what


def _is_office_user(user: User) -> bool:
    return user.has_role(Role.CONFERENCE_OFFICE) and user.department.kind == DepartmentKind.CONFERENCE_OFFICE


def _office_area(user: User) -> Department:
    return user.department.parent or user.department


def visible_query(user: User) -> Select[tuple[Plan]]:
    """Plans a user may open: their department's (and below), those their department takes
    part in, the published ones of their area, and all of the area for its conference office."""
    mine = subtree_ids(user.department)
    conditions = [
        Plan.department_id.in_(mine),
        exists().where(PlanParty.plan_id == Plan.id, PlanParty.department_id.in_(mine)),
        (Plan.status == PlanStatus.PUBLISHED) & Plan.department_id.in_(subtree_ids(region_root(user.department))),
    ]
    if _is_office_user(user):
        conditions.append(Plan.department_id.in_(subtree_ids(_office_area(user))))
    return select(Plan).where(or_(*conditions))


def can_view(user: User, plan: Plan) -> bool:
    if not user.has_role(*VIEW_ROLES):
        return False
    return db.session.execute(
        visible_query(user).with_only_columns(Plan.id).where(Plan.id == plan.id)
    ).first() is not None


def get_visible(user: User, plan_id: int) -> Plan | None:
    plan = db.session.get(Plan, plan_id)
    if plan is None or not can_view(user, plan):
        return None
    return plan


def is_owner(user: User, plan: Plan) -> bool:
    """The 监管部门 / 发起部门's clerk or leader."""
    return user.department_id == plan.department_id and user.has_role(*EDIT_ROLES)


# ------------------------------------------------------------------ instances


def instances_of(plan: Plan) -> list[ProcessInstance]:
    return list(db.session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.subject_type == SUBJECT, ProcessInstance.subject_id == plan.id)
        .order_by(ProcessInstance.id)
    ).scalars())


def active_instance(plan: Plan) -> ProcessInstance | None:
    return db.session.execute(
        select(ProcessInstance)
        .where(
            ProcessInstance.subject_type == SUBJECT,
            ProcessInstance.subject_id == plan.id,
            ProcessInstance.status == InstanceStatus.ACTIVE,
        )
        .order_by(ProcessInstance.id.desc())
    ).scalars().first()


def my_steps(user: User, inst: ProcessInstance | None) -> dict[str, WorkItem]:
    if inst is None:
        return {}
    found: dict[str, WorkItem] = {}
    for key in BUSINESS_STEPS.get(inst.process_table, ()):
        work = engine.open_item(user, inst, key)
        if work is not None:
            found[key] = work
    return found


def _lock(plan: Plan) -> None:
    db.session.execute(
        select(Plan).where(Plan.id == plan.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()  # fetched: populate_existing refreshes only rows that are read


def _take(
    user: User, plan: Plan, step_key: str, lock_version: int | None, *, bump: bool = True
) -> ProcessInstance:
    """The active instance at ``step_key`` with the user's open work item there, for a form
    built from the plan's current ``lock_version``: else 409 (changed) or 403 (not theirs)."""
    _lock(plan)
    inst = active_instance(plan)
    if inst is None:
        raise Conflict(STALE)
    work = engine.open_item(user, inst, step_key)
    if work is None:
        step = get_process(inst.process_table).step(step_key)
        relations = {lane.relation for lane in step.lanes}
        roles = {r for lane in step.lanes for r in step.acting_roles(lane)}
        holds = any(p.relation in relations and p.department_id == user.department_id for p in inst.parties)
        if holds and user.has_role(*roles):
            raise Conflict(STALE)
        raise NotAllowed("您不在该环节的办理角色中，无权办理")
    if lock_version is None or plan.lock_version != lock_version:
        raise Conflict(STALE)
    if bump:
        plan.lock_version += 1
    return inst


def return_reason(plan: Plan) -> str:
    """The conference office's reason while the initiator 调整抽查计划."""
    inst = active_instance(plan)
    if inst is None or inst.current_step != "adjust":
        return ""
    return last_comment(inst, "review", "return")


def _check_editor(user: User) -> None:
    if not user.has_role(*EDIT_ROLES):
        raise Forbidden("只有监管部门经办人或部门领导可以制定抽查计划")


# ------------------------------------------------------------------ items a plan may cover


def single_item_choices(department_id: int) -> list[CheckItem]:
    """The department's published single items (表19 抽查事项)."""
    return list(db.session.execute(
        select(CheckItem)
        .where(
            CheckItem.kind == ItemKind.SINGLE,
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.department_id == department_id,
        )
        .order_by(CheckItem.name, CheckItem.id)
    ).scalars())


def joint_item_choices(department_id: int) -> list[CheckItem]:
    """The published joint items the department initiates (表21 选择…抽查事项)."""
    return list(db.session.execute(
        select(CheckItem)
        .where(
            CheckItem.kind == ItemKind.JOINT,
            CheckItem.status == ItemStatus.PUBLISHED,
            CheckItem.department_id == department_id,
        )
        .options(selectinload(CheckItem.parts).joinedload(CheckItemPart.department))
        .order_by(CheckItem.name, CheckItem.id)
    ).scalars())


def _pick(raw_ids: Iterable[Any], allowed: Sequence[CheckItem]) -> list[CheckItem]:
    by_id = {i.id: i for i in allowed}
    chosen: list[CheckItem] = []
    for raw in raw_ids:
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            raise Unprocessable("所选抽查事项有误，请刷新页面后重试", field="items") from None
        if ident not in by_id:
            raise Unprocessable("只能选择本部门已公布的抽查事项", field="items")
        if by_id[ident] not in chosen:
            chosen.append(by_id[ident])
    if not chosen:
        raise Unprocessable("请至少选择一项抽查事项", field="items")
    return chosen


def plan_items(plan: Plan) -> list[CheckItem]:
    """The distinct items the plan covers."""
    seen: dict[int, CheckItem] = {}
    for row in plan.items:
        seen.setdefault(row.item_id, row.item)
    return list(seen.values())


def participants(plan: Plan) -> list[PlanParty]:
    return [p for p in plan.parties if p.role == "participant"]


# ------------------------------------------------------------------ 表19 单部门


def create_single(user: User, data: Mapping[str, Any], upload: Upload | None) -> Plan:
    """建立单部门联合双随机抽查计划: the plan and its 抽查计划文件; the plan then waits at
    确定抽查要素形成抽查计划."""
    _check_editor(user)
    name = _text(data, "name", 200, required=True)
    year = _year(data)
    plan_type = _plan_type(data)
    plan = Plan(
        kind=PlanKind.SINGLE, plan_type=plan_type, status=PlanStatus.DRAFT, year=year, name=name,
        department_id=user.department_id, created_by_id=user.id, note=_text(data, "note", 2000),
    )
    _store_document(plan, upload)  # type: ignore[arg-type]
    db.session.add(plan)
    db.session.flush()
    inst = engine.start(SINGLE, user, title=name, subject_type=SUBJECT, subject_id=plan.id)
    engine.advance(user, inst, "draft", "next")
    audit.record("create", object_type=SUBJECT, object_id=plan.id, user=user, summary={
        "抽查计划": name, "计划年度": year, "抽查计划文件": plan.document_name,
    })
    return plan


def replace_document(user: User, plan: Plan, lock_version: int | None, upload: Upload | None) -> None:
    """A new 抽查计划文件 while the elements are not yet fixed."""
    _take(user, plan, "elements", lock_version)
    _store_document(plan, upload)  # type: ignore[arg-type]
    audit.record("update", object_type=SUBJECT, object_id=plan.id, user=user,
                 summary={"抽查计划文件": plan.document_name})


def fix_elements(
    user: User, plan: Plan, lock_version: int | None, data: Mapping[str, Any], item_ids: Iterable[Any]
) -> ProcessInstance:
    """确定抽查要素形成抽查计划: items, objects, ratio, 抽查户数, period, levels, methods; the
    platform then publishes the plan (公开抽查计划)."""
    inst = _take(user, plan, "elements", lock_version)
    items = _pick(item_ids, single_item_choices(plan.department_id))
    elements = clean_elements(data, plan.year, items)
    _apply(plan, elements)
    plan.items.clear()
    db.session.flush()
    for item in items:
        plan.items.append(PlanItem(item_id=item.id, department_id=plan.department_id, levels=plan.levels))
    db.session.flush()
    audit.record("update", object_type=SUBJECT, object_id=plan.id, user=user, summary={
        "环节": "确定抽查要素形成抽查计划", "抽查事项": len(items), "抽查比例": str(elements.ratio),
    })
    return engine.advance(user, inst, "elements", "next")


# ------------------------------------------------------------------ 表21 部门联合


def _set_joint_items(plan: Plan, items: Sequence[CheckItem]) -> list[int]:
    """PlanItem rows for the initiator's and each participant's part; returns the participants."""
    plan.items.clear()
    db.session.flush()
    found: list[int] = []
    for item in items:
        for part in item.parts:
            if part.declined:
                continue
            plan.items.append(PlanItem(item_id=item.id, department_id=part.department_id, levels=part.levels))
            if part.role == PartRole.PARTICIPANT and part.department_id not in found:
                found.append(part.department_id)
    return found


def create_joint(user: User, data: Mapping[str, Any], item_ids: Iterable[Any]) -> Plan:
    """选择部门联合双随机抽查事项 and fill in the plan's information (A.2.1): the plan waits at
    征求参与部门意见, with the items' participating departments as its 参与部门."""
    _check_editor(user)
    items = _pick(item_ids, joint_item_choices(user.department_id))
    year = _year(data)
    plan_type = _plan_type(data)
    elements = clean_elements(data, year, items)
    plan = Plan(
        kind=PlanKind.JOINT, plan_type=plan_type, status=PlanStatus.DRAFT, year=year, name=elements.name,
        department_id=user.department_id, created_by_id=user.id,
    )
    _apply(plan, elements)
    db.session.add(plan)
    db.session.flush()
    others = _set_joint_items(plan, items)
    if not others:
        raise Unprocessable("所选联合抽查事项没有参与部门", field="items")
    plan.parties.append(PlanParty(department_id=user.department_id, role="initiator", agreed=True))
    for dept_id in others:
        plan.parties.append(PlanParty(department_id=dept_id, role="participant"))
    db.session.flush()
    inst = engine.start(
        JOINT, user, title=elements.name, parties={PARTICIPANT: others}, subject_type=SUBJECT, subject_id=plan.id
    )
    engine.advance(user, inst, "select", "next")
    audit.record("create", object_type=SUBJECT, object_id=plan.id, user=user, summary={
        "抽查计划": plan.name, "计划年度": year, "联合抽查事项": len(items), "参与部门": len(others),
    })
    return plan


def consult(user: User, plan: Plan, lock_version: int | None) -> ProcessInstance:
    """征求参与部门意见: each participant gets 反馈意见 in its inbox; earlier answers are cleared."""
    inst = _take(user, plan, "consult", lock_version)
    for party in participants(plan):
        party.agreed, party.feedback, party.answered_at, party.answered_by_id = None, "", None, None
    plan.status = PlanStatus.CONSULTING
    names = SEP.join(p.department.name for p in participants(plan))
    return engine.advance(user, inst, "consult", "next", comment=f"已征求：{names}" if names else "")


def feedback(user: User, plan: Plan, lock_version: int | None, agree: bool, text: str = "") -> ProcessInstance:
    """反馈意见: the participant agrees, or writes its opinion on 起止时间、抽查数量、抽查比例、实施层级."""
    # The participants answer side by side: an answer does not make another's form stale.
    inst = _take(user, plan, "feedback", lock_version, bump=False)
    text = (text or "").strip()
    if not agree and not text:
        raise Unprocessable("有不同意见的，请填写反馈意见（起止时间、抽查户数、抽查比例、实施层级等）", field="feedback")
    if len(text) > 2000:
        raise Unprocessable("反馈意见不能超过2000个字符", field="feedback")
    party = next((p for p in participants(plan) if p.department_id == user.department_id), None)
    if party is None:
        raise NotAllowed("本部门不是该抽查计划的参与部门")
    party.agreed, party.feedback = agree, text
    party.answered_at, party.answered_by_id = utcnow(), user.id
    audit.record("update", object_type=SUBJECT, object_id=plan.id, user=user, summary={
        "环节": "反馈意见", "结果": "同意" if agree else "有意见", "意见": text,
    })
    return engine.advance(user, inst, "feedback", "next", comment=text if text else "同意")


def _edit(plan: Plan, data: Mapping[str, Any]) -> Elements:
    elements = clean_elements(data, plan.year, plan_items(plan))
    _apply(plan, elements)
    return elements


def form(user: User, plan: Plan, lock_version: int | None, data: Mapping[str, Any]) -> ProcessInstance:
    """确认形成联合双随机抽查计划 (after the feedback, with the initiator's changes): a 临时
    plan is published at once, any other goes on to 报联席会议办公室."""
    inst = _take(user, plan, "form", lock_version)
    _edit(plan, data)
    audit.record("update", object_type=SUBJECT, object_id=plan.id, user=user,
                 summary={"环节": "确认形成联合双随机抽查计划", "计划类型": plan.plan_type.label})
    db.session.flush()
    outcome = "ad_hoc" if plan.plan_type == PlanType.AD_HOC else "regular"
    return engine.advance(user, inst, "form", outcome)


def submit(user: User, plan: Plan, lock_version: int | None) -> ProcessInstance:
    """报联席会议办公室 审定."""
    inst = _take(user, plan, "submit", lock_version)
    plan.status = PlanStatus.REVIEW
    return engine.advance(user, inst, "submit", "next")


def review(user: User, plan: Plan, lock_version: int | None, approve: bool, comment: str = "") -> ProcessInstance:
    """审定计划可行性: 审定通过 (→ 公开抽查计划), or 退回调整 with a reason."""
    inst = _take(user, plan, "review", lock_version)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise Unprocessable("退回调整须填写理由", field="comment")
    if len(comment) > 2000:
        raise Unprocessable("意见不能超过2000个字符", field="comment")
    if not approve:
        plan.status = PlanStatus.RETURNED
    return engine.advance(user, inst, "review", "approve" if approve else "return", comment=comment)


def adjust(user: User, plan: Plan, lock_version: int | None, data: Mapping[str, Any]) -> ProcessInstance:
    """调整抽查计划 and resubmit it for 审定."""
    inst = _take(user, plan, "adjust", lock_version)
    _edit(plan, data)
    plan.status = PlanStatus.REVIEW
    audit.record("update", object_type=SUBJECT, object_id=plan.id, user=user, summary={"环节": "调整抽查计划"})
    return engine.advance(user, inst, "adjust", "next")


def _subject(instance: ProcessInstance) -> Plan | None:
    if instance.subject_type != SUBJECT or instance.subject_id is None:
        return None
    return db.session.get(Plan, instance.subject_id)


@register_guard("ad_hoc_plan")
def _ad_hoc(instance: ProcessInstance) -> bool:
    plan = _subject(instance)
    return plan is not None and plan.plan_type == PlanType.AD_HOC


@register_guard("not_ad_hoc_plan")
def _not_ad_hoc(instance: ProcessInstance) -> bool:
    """Also true for an instance without a plan (started outside the plan pages)."""
    plan = _subject(instance)
    return plan is None or plan.plan_type != PlanType.AD_HOC


# ------------------------------------------------------------------ 公开抽查计划


def _period(plan: Plan) -> str:
    if plan.start_date and plan.end_date:
        return f"{plan.start_date.isoformat()}至{plan.end_date.isoformat()}"
    return ""


def _ratio(plan: Plan) -> str:
    return "" if plan.ratio is None else f"{plan.ratio.normalize():f}%"


def own_item_names(plan: Plan) -> str:
    return SEP.join(dict.fromkeys(r.item.name for r in plan.items if r.department_id == plan.department_id))


def partner_names(plan: Plan) -> str:
    return SEP.join(p.department.name for p in participants(plan))


def partner_item_text(plan: Plan) -> str:
    """参与部门抽查事项及实施层级: each participant's own tasks of the items, with its levels."""
    rows: list[str] = []
    for party in participants(plan):
        texts: list[str] = []
        for row in plan.items:
            if row.department_id != party.department_id:
                continue
            part = next((p for p in row.item.parts if p.department_id == party.department_id), None)
            task = part.tasks if part and part.tasks else row.item.name
            texts.append(task + (f"（{row.levels}）" if row.levels else ""))
        rows.append(f"{party.department.name}：{'；'.join(texts)}")
    return "；".join(rows)


def public_payload(plan: Plan) -> dict[str, Any]:
    """The A.2.1 / D.1 columns under their titles (no internal keys)."""
    payload: dict[str, Any] = {
        "计划类别": plan.kind.label,  # 单部门 / 部门联合
        "计划类型": plan.plan_type.label,
        "计划年度": str(plan.year),
        "计划名称": plan.name,
        "检查对象": plan.objects,
        ("发起部门" if plan.kind == PlanKind.JOINT else "监管部门"): plan.department.name,
    }
    if plan.kind == PlanKind.JOINT:
        payload["参与部门"] = partner_names(plan)
    payload.update({
        "抽查户数": "" if plan.sample_size is None else str(plan.sample_size),
        "检查方式": plan.methods,
        "实施层级": plan.levels,
        "抽查比例": _ratio(plan),
        "起止时间": _period(plan),
        ("发起部门抽查事项" if plan.kind == PlanKind.JOINT else "抽查事项"): own_item_names(plan),
    })
    if plan.kind == PlanKind.JOINT:
        payload["参与部门抽查事项及实施层级"] = partner_item_text(plan)
    if plan.note:
        payload["备注"] = plan.note
    return payload


def _publish(instance: ProcessInstance) -> str:
    plan = _subject(instance)
    if plan is None:
        return ""
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = utcnow()
    db.session.flush()
    pub = publication.publish(
        SUBJECT, plan.id, title=plan.name, payload=public_payload(plan), department_id=plan.department_id,
        instance_id=instance.id,
    )
    plan.version = pub.version
    return f"已公开（第{pub.version}版）"


on_auto_step(SINGLE, "publish")(_publish)
on_auto_step(JOINT, "publish")(_publish)


# ------------------------------------------------------------------ lists


@dataclass
class PlanFilters:
    year: int | None = None
    kind: str = ""
    status: str = ""
    plan_type: str = ""
    q: str = ""

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


PER_PAGE = 30


def parse_filters(args: Mapping[str, Any]) -> PlanFilters:
    def text(key: str) -> str:
        value = args.get(key)
        return value.strip() if isinstance(value, str) else ""

    year = text("year")
    kind, status, plan_type = text("kind"), text("status"), text("type")
    return PlanFilters(
        year=int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None,
        kind=kind if kind in {k.value for k in PlanKind} else "",
        status=status if status in {s.value for s in PlanStatus} else "",
        plan_type=plan_type if plan_type in {t.value for t in PlanType} else "",
        q=text("q")[:100],
    )


def list_query(user: User, filters: PlanFilters | None = None) -> Select[tuple[Plan]]:
    filters = filters or PlanFilters()
    query = visible_query(user).options(joinedload(Plan.department))
    if filters.year:
        query = query.where(Plan.year == filters.year)
    if filters.kind:
        query = query.where(Plan.kind == filters.kind)
    if filters.status:
        query = query.where(Plan.status == filters.status)
    if filters.plan_type:
        query = query.where(Plan.plan_type == filters.plan_type)
    if filters.q:
        query = query.where(Plan.name.like(_like(filters.q), escape="\\"))
    return query.order_by(Plan.year.desc(), Plan.id.desc())


def current_steps(plans: Sequence[Plan]) -> dict[int, str]:
    if not plans:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.subject_id, ProcessInstance.process_table, ProcessInstance.current_step).where(
            ProcessInstance.subject_type == SUBJECT,
            ProcessInstance.subject_id.in_([p.id for p in plans]),
            ProcessInstance.status == InstanceStatus.ACTIVE,
        )
    ).all()
    return {sid: get_process(table).step_name(step) for sid, table, step in rows if step}


def plans_for_export(user: User, year: int | None, ids: Iterable[int] = (), *, kind: PlanKind | None = None,
                     plan_type: PlanType | None = None) -> list[Plan]:
    """Visible plans chosen by id, else those of ``year``; oldest first."""
    query = visible_query(user).options(
        joinedload(Plan.department),
        selectinload(Plan.items).joinedload(PlanItem.item).selectinload(CheckItem.parts),
        selectinload(Plan.parties).joinedload(PlanParty.department),
    )
    chosen = [int(i) for i in ids]
    if chosen:
        query = query.where(Plan.id.in_(chosen))
    elif year:
        query = query.where(Plan.year == year)
    if kind is not None:
        query = query.where(Plan.kind == kind)
    if plan_type is not None:
        query = query.where(Plan.plan_type == plan_type)
    return list(db.session.execute(query.order_by(Plan.id)).unique().scalars())


# ------------------------------------------------------------------ the annual plan warning


def annual_plan_warning(user: User, on: date | None = None) -> str:
    """Seed 003: from 1 March, a department that initiates published joint items and has no
    published annual joint plan for the year is reminded; after 31 March it is overdue.
    One query."""
    on = on or today()
    if on.month < WARN_FROM_MONTH or not user.is_authenticated or not user.has_role(*EDIT_ROLES):
        return ""
    dept = user.department_id
    initiates = exists().where(
        CheckItem.kind == ItemKind.JOINT, CheckItem.status == ItemStatus.PUBLISHED, CheckItem.department_id == dept
    )
    published = exists().where(
        Plan.kind == PlanKind.JOINT,
        Plan.plan_type == PlanType.ANNUAL,
        Plan.status == PlanStatus.PUBLISHED,
        Plan.year == on.year,
        Plan.department_id == dept,
    )
    if not db.session.execute(select(initiates & ~published)).scalar():
        return ""
    due = date(on.year, DUE_MONTH, DUE_DAY)
    if on > due:
        return f"本部门{on.year}年度联合抽查工作计划已逾期：应在{DUE_MONTH}月{DUE_DAY}日前公开，至今尚未公开"
    return f"本部门尚未公开{on.year}年度联合抽查工作计划：应在{DUE_MONTH}月{DUE_DAY}日前向社会公开"


# ------------------------------------------------------------------ demo data


def load_demo_plans() -> None:
    """`flask demo`: 成华区's published annual single plan with one task, and an annual joint
    plan under consultation.  Runs once (skipped when the plans exist)."""
    from services import tasks

    users = {u.account: u for u in db.session.execute(
        select(User).where(User.account.in_(("wangxy", "zhaom", "wul")))
    ).scalars()}
    if len(users) < 3:
        return
    clerk = users["wangxy"]
    year = today().year
    single_name = f"{year}年度餐饮服务食品安全双随机抽查计划"
    if db.session.execute(select(Plan.id).where(Plan.name == single_name)).first() is not None:
        return
    singles = single_item_choices(clerk.department_id)
    joints = joint_item_choices(clerk.department_id)
    if not singles or not joints:
        return
    item = next((i for i in singles if "餐饮" in i.name), singles[0])
    pdf = _demo_pdf(single_name)
    plan = create_single(clerk, {"name": single_name, "year": year, "plan_type": "annual"}, Upload("抽查计划.pdf", pdf))
    values = {
        "name": single_name, "objects": "餐饮服务经营者", "methods": ["实地核查"], "levels": ["区县级"],
        "ratio": str(min(Decimal(5), item.ratio_cap or Decimal(5))), "sample_size": "30",
        "start_date": f"{year}-04-01", "end_date": f"{year}-11-30",
    }
    fix_elements(clerk, plan, plan.lock_version, values, [item.id])
    tasks.create_task(clerk, plan, {
        "name": f"{year}年第二季度餐饮服务食品安全抽查", "item_id": item.id, "methods": ["实地核查"],
        "ratio": values["ratio"], "start_date": f"{year}-04-01", "end_date": f"{year}-06-30",
        "inspectors": {clerk.department_id: 2},
    })
    joint = joints[0]
    create_joint(clerk, {
        "name": f"{year}年度{joint.name}计划", "year": year, "plan_type": "annual", "objects": joint.objects,
        "methods": _split(joint.methods), "levels": _split(joint.levels) or ["区县级"], "ratio": "5",
        "sample_size": "20", "start_date": f"{year}-05-01", "end_date": f"{year}-10-31",
    }, [joint.id])
    joint_plan = db.session.execute(select(Plan).where(Plan.name == f"{year}年度{joint.name}计划")).scalar_one()
    consult(clerk, joint_plan, joint_plan.lock_version)


def _demo_pdf(title: str) -> bytes:
    from services import pdf

    return pdf.render("pdf/document.html", title=title, paragraphs=[
        "依据《成都市“双随机、一公开”监管工作实施办法》制定本年度抽查计划。",
        "抽查事项、抽查对象、抽查比例及起止时间见平台“确定抽查要素”。",
    ])
