"""抽查任务 and 抽查方案 (DB5101 表20 根据计划制定双随机抽查方案 → 审核方案可行性, 表22
根据计划制定部门联合双随机抽查方案 → 审核方案可行性 → 公示方案).

A task (models/plans.Task, made from a published plan by the plans chapter) is the subject of
one 表20 (single-department plan) or 表22 (joint plan) instance, started by the clerk of the
task's department when it writes the scheme: what is checked, when, who does what, the
requirements, the methods and the random rule (ratio per credit-risk grade, prefilled from
the department's defaults, and 定向/不定向 with a filter on the directory).  提交审核 sends it
to the department leader (审核方案可行性): 审核通过, or 退回修改 with a reason the clerk sees.
A joint scheme is then published by the platform (公示方案); a sensitive one (涉枪涉爆等) only
by title, department and period.  No credit grade of any object is ever published.

Every form carries the scheme's (or task's) ``lock_version``; a conditional UPDATE claims it,
so a stale or concurrent form is refused with 409 and nothing changes.  Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import (
    Department,
    EntityType,
    GradeRatio,
    ItemCategory,
    MemberKind,
    ProcessInstance,
    Scheme,
    Task,
    TaskStatus,
    User,
    WorkItem,
    db,
    utcnow,
)
from models.roles import Role
from models.schemes import DrawScope, SchemeStatus
from models.workflow import InstanceStatus, WorkItemStatus
from persistence import audit
from services import draw_risk_weight, publication
from services.credit.supervision import check_scheme_methods, ratio_values
from services.draw import GRADES, UNGRADED, DrawError, parse_ratio
from services.publication import department_name
from services.task_access import (
    JOINT_TABLE,
    SINGLE_TABLE,
    TASK_SUBJECT,
    instance_of,
    is_joint,
    is_task_clerk,
    participants,
    table_of,
)
from services.templates_catalogue import INSPECTION_METHODS
from workflows import engine, subjects
from workflows.errors import NotAllowed
from workflows.lanes import PARTICIPANT

PUBLIC_SUBJECT = "scheme"  # Publication.subject_type of 公示方案
PUBLIC_RATIO_TEXT = "按企业信用风险分类确定差异化抽查比例（分类结果和各类抽查比例不公示）"
VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
RATIO_ROLES = (Role.CLERK, Role.DEPT_LEADER)
STRATA = (*GRADES, UNGRADED)
SEP = "、"
STALE = "该事项已被他人处理或已发生变化，请刷新页面查看最新状态"

# Steps done on the task's page (workflows.bindings business_steps): every non-automatic step
# up to and including 组成联合检查组; the team chapter fills draw_inspectors and team.
BUSINESS_STEPS: dict[int, tuple[str, ...]] = {
    # 开展双随机检查 … 完成抽查 are done on the task's records (blueprints/inspections).
    SINGLE_TABLE: ("scheme", "review_scheme", "draw_objects", "draw_inspectors", "inspect", "record", "review_results",
             "finish"),
    JOINT_TABLE: ("scheme", "review_scheme", "draw_objects", "draw_inspectors", "team", "inspect", "record",
            "review_results", "finish"),
}

# Seed 002 (四)1: A the lowest ratio, B lowered, C the usual, D raised, E up to full coverage;
# ungraded members at the usual ratio.  A department may set its own (GradeRatio).
BUILTIN_RATIOS: dict[str, Decimal] = {
    "A": Decimal("1"),
    "B": Decimal("2"),
    "C": Decimal("3"),
    "D": Decimal("5"),
    "E": Decimal("100"),
    UNGRADED: Decimal("3"),
}

_LIMITS = {"title": 200, "content": 4000, "schedule": 2000, "duties": 2000, "requirements": 2000}
FIELD_LABELS = {
    "title": "方案名称",
    "content": "检查内容",
    "schedule": "时间安排",
    "duties": "责任分工",
    "requirements": "工作要求",
}


class SchemeInvalid(ServiceError):
    """Input the clerk can correct: 422 with the field it belongs to."""

    status = 422


def stratum_label(stratum: str) -> str:
    return "未分级" if stratum == UNGRADED else f"{stratum}类"


def fmt_ratio(value: Decimal | str) -> str:
    """1.50 → 1.5, 100.00 → 100."""
    return format(Decimal(str(value)).normalize(), "f")


# ------------------------------------------------------------------ tasks: visibility


def my_steps(user: User, inst: ProcessInstance | None) -> dict[str, WorkItem]:
    """The business steps of ``inst`` where the user holds an open work item."""
    return subjects.open_steps(user, inst, BUSINESS_STEPS)


# ------------------------------------------------------------------ grade-ratio defaults


def _stored_ratios(department: Department) -> dict[str, Decimal]:
    rows = db.session.execute(select(GradeRatio).where(GradeRatio.department_id == department.id)).scalars()
    return {r.grade: Decimal(r.ratio) for r in rows}


def default_ratios(department: Department) -> dict[str, Decimal]:
    """The department's own defaults, else the nearest ancestor's, else the built-in ones."""
    for ident in [department.id, *reversed(department.ancestors()[:-1])]:
        dept = department if ident == department.id else db.session.get(Department, ident)
        if dept is None:
            continue
        stored = _stored_ratios(dept)
        if stored:
            return {s: stored.get(s, BUILTIN_RATIOS[s]) for s in STRATA}
    return dict(BUILTIN_RATIOS)


def ratio_warnings(ratios: Mapping[str, Decimal]) -> list[str]:
    """Seed 002: A ≤ B ≤ C ≤ D ≤ E.  Warned, not refused."""
    out = []
    for low, high in zip(GRADES, GRADES[1:], strict=False):
        if ratios.get(low, Decimal(0)) > ratios.get(high, Decimal(0)):
            out.append(
                f"{low}类抽查比例（{fmt_ratio(ratios[low])}%）高于{high}类（{fmt_ratio(ratios[high])}%）："
                "按企业信用风险分类监管要求，信用风险越高抽查比例应越高"
            )
    return out


def parse_ratios(values: Mapping[str, Any], *, cap: Decimal | None = None) -> dict[str, Decimal]:
    """``ratio_A`` … ``ratio_E`` and ``ratio_-`` in percent, each 0–100 (and at most a general
    item's cap)."""
    out: dict[str, Decimal] = {}
    for s in STRATA:
        raw = values.get(f"ratio_{s}", "")
        if raw is None or str(raw).strip() == "":
            raise SchemeInvalid(f"请填写{stratum_label(s)}抽查比例", field=f"ratio_{s}")
        try:
            ratio = parse_ratio(raw, f"{stratum_label(s)}抽查比例")
        except DrawError as exc:
            raise SchemeInvalid(exc.message, field=f"ratio_{s}") from None
        if cap is not None and ratio > cap:
            raise SchemeInvalid(
                f"{stratum_label(s)}抽查比例{fmt_ratio(ratio)}%超过该一般检查事项的比例上限{fmt_ratio(cap)}%",
                field=f"ratio_{s}",
            )
        out[s] = ratio
    return out


def save_grade_ratios(user: User, values: Mapping[str, Any]) -> list[str]:
    """Store the user's department's defaults; returns the warnings to show."""
    if not user.has_role(*RATIO_ROLES):
        raise Forbidden("只有监管部门经办人或部门领导可以设置抽查比例默认值")
    ratios = parse_ratios(values)
    existing = {r.grade: r for r in db.session.execute(
        select(GradeRatio).where(GradeRatio.department_id == user.department_id)).scalars()}
    for s, ratio in ratios.items():
        row = existing.get(s)
        if row is None:
            db.session.add(GradeRatio(department_id=user.department_id, grade=s, ratio=ratio, updated_by_id=user.id))
        else:
            row.ratio = ratio
            row.updated_by_id = user.id
    db.session.flush()
    audit.record(
        "update",
        object_type="grade_ratio",
        object_id=user.department_id,
        summary={stratum_label(s): f"{fmt_ratio(r)}%" for s, r in ratios.items()},
        user=user,
    )
    return ratio_warnings(ratios)


# ------------------------------------------------------------------ the scheme's fields


def item_cap(task: Task) -> Decimal | None:
    """A general item's ratio cap (seed 003); key items are uncapped."""
    item = task.item
    if item.category == ItemCategory.KEY or item.ratio_cap is None:
        return None
    return Decimal(item.ratio_cap)


def prefill_ratios(task: Task) -> dict[str, Decimal]:
    """The department's defaults, lowered to a general item's cap."""
    ratios = default_ratios(task.department)
    cap = item_cap(task)
    if cap is not None:
        ratios = {s: min(r, cap) for s, r in ratios.items()}
    return ratios


@dataclass
class SchemeFilter:
    """定向抽取: which directory members are drawn from (empty fields do not filter)."""

    kinds: list[str] = field(default_factory=list)  # MemberKind values
    division: str = ""  # 行政区划代码 prefix
    industry: str = ""  # 国民经济行业代码 prefix (of the entity, or of a place's/product's holder)
    entity_type: str = ""  # EntityType value

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}

    @property
    def empty(self) -> bool:
        return not self.as_dict()

    def describe(self) -> str:
        parts = []
        if self.kinds:
            parts.append("对象类型：" + SEP.join(MemberKind(k).label for k in self.kinds))
        if self.division:
            parts.append(f"行政区划代码以{self.division}开头")
        if self.industry:
            parts.append(f"行业代码以{self.industry}开头")
        if self.entity_type:
            parts.append("主体类型：" + EntityType(self.entity_type).label)
        return "；".join(parts)


def parse_filter(values: Mapping[str, Any]) -> SchemeFilter:
    getlist = getattr(values, "getlist", None)
    kinds = getlist("filter_kinds") if getlist else values.get("filter_kinds", [])
    if isinstance(kinds, str):
        kinds = [kinds]
    known = {k.value for k in MemberKind}
    bad = [k for k in kinds if k not in known]
    if bad:
        raise SchemeInvalid("定向抽取的对象类型不正确", field="filter_kinds")
    division = str(values.get("filter_division", "") or "").strip()
    if division and (not division.isdigit() or len(division) > 12):
        raise SchemeInvalid("行政区划代码应为不超过12位的数字", field="filter_division")
    industry = str(values.get("filter_industry", "") or "").strip().upper()
    if industry and (len(industry) > 5 or not industry[0].isalpha() or not industry[1:].isdigit()):
        raise SchemeInvalid("行业代码应为门类字母加不超过4位数字，如 H 或 H62", field="filter_industry")
    entity_type = str(values.get("filter_entity_type", "") or "").strip()
    if entity_type and entity_type not in {t.value for t in EntityType}:
        raise SchemeInvalid("主体类型不正确", field="filter_entity_type")
    return SchemeFilter([k.value for k in MemberKind if k.value in kinds], division, industry, entity_type)


def load_filter(scheme: Scheme) -> SchemeFilter:
    data = json.loads(scheme.scope_filter or "{}")
    return SchemeFilter(
        list(data.get("kinds", [])), data.get("division", ""), data.get("industry", ""), data.get("entity_type", "")
    )


def load_ratios(scheme: Scheme) -> dict[str, Decimal]:
    data = json.loads(scheme.ratios or "{}")
    return {s: Decimal(str(data[s])) for s in STRATA if s in data}


def parse_scope(values: Mapping[str, Any]) -> tuple[DrawScope, SchemeFilter]:
    scope_value = str(values.get("scope", DrawScope.WHOLE.value) or DrawScope.WHOLE.value)
    if scope_value not in {s.value for s in DrawScope}:
        raise SchemeInvalid("请选择定向抽取或不定向抽取", field="scope")
    scope = DrawScope(scope_value)
    filt = parse_filter(values) if scope == DrawScope.DIRECTED else SchemeFilter()
    if scope == DrawScope.DIRECTED and filt.empty:
        raise SchemeInvalid("定向抽取须至少填写一项筛选条件", field="scope")
    return scope, filt


def parse_scheme(task: Task, values: Mapping[str, Any]) -> dict[str, Any]:
    """The scheme's fields from the form, validated (nothing is written here)."""
    out: dict[str, Any] = {}
    for name, limit in _LIMITS.items():
        text = str(values.get(name, "") or "").strip()
        if len(text) > limit:
            raise SchemeInvalid(f"{FIELD_LABELS[name]}不能超过{limit}个字符", field=name)
        out[name] = text
    if not out["title"]:
        raise SchemeInvalid("请填写方案名称", field="title")
    if not out["content"]:
        raise SchemeInvalid("请填写检查内容", field="content")
    getlist = getattr(values, "getlist", None)
    methods = getlist("methods") if getlist else list(values.get("methods", []))
    if any(m not in INSPECTION_METHODS for m in methods):
        raise SchemeInvalid("检查方式不正确", field="methods")
    if not methods:
        raise SchemeInvalid("请选择检查方式", field="methods")
    out["methods"] = SEP.join(m for m in INSPECTION_METHODS if m in methods)
    ratios = parse_ratios(ratio_values(values, STRATA), cap=item_cap(task))
    check_scheme_methods(methods, ratios)  # seed 002: D and E checked 实地
    out["ratios"] = json.dumps({s: fmt_ratio(r) for s, r in ratios.items()})
    scope, filt = parse_scope(values)
    out["scope"] = scope
    out["scope_filter"] = json.dumps(filt.as_dict(), ensure_ascii=False)
    out["sensitive"] = str(values.get("sensitive", "")) in ("1", "yes", "on", "true")
    try:
        out["risk_weight"] = draw_risk_weight.parse(values)
    except draw_risk_weight.WeightInvalid as exc:
        raise SchemeInvalid(exc.message, field=exc.field) from None
    return out


def scheme_values(task: Task, scheme: Scheme | None) -> dict[str, Any]:
    """What the form shows: the scheme, or a new one prefilled from the task."""
    if scheme is None:
        ratios = prefill_ratios(task)
        return {
            "title": f"{task.name}抽查方案"[:200],
            "content": task.item.basis and f"依据{task.item.basis}，检查{task.item.objects or task.item.name}" or "",
            "schedule": f"{task.start_date} 至 {task.end_date}",
            "duties": "",
            "requirements": "",
            "methods": [m for m in (task.methods or task.item.methods or "").split(SEP) if m],
            **{f"ratio_{s}": fmt_ratio(r) for s, r in ratios.items()},
            "scope": DrawScope.WHOLE.value,
            "filter": SchemeFilter(),
            "sensitive": False,
            "risk_weight": "0",
        }
    return {
        "title": scheme.title,
        "content": scheme.content,
        "schedule": scheme.schedule,
        "duties": scheme.duties,
        "requirements": scheme.requirements,
        "methods": [m for m in scheme.methods.split(SEP) if m],
        **{f"ratio_{s}": fmt_ratio(r) for s, r in load_ratios(scheme).items()},
        "scope": scheme.scope.value,
        "filter": load_filter(scheme),
        "sensitive": scheme.sensitive,
        "risk_weight": str(scheme.risk_weight or 0),
    }


def form_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted form as the template shows it again after an error."""
    getlist = getattr(values, "getlist", None)
    out = {k: values.get(k, "") for k in (*_LIMITS, *(f"ratio_{s}" for s in STRATA), "scope", "risk_weight")}
    out["methods"] = getlist("methods") if getlist else []
    try:
        out["filter"] = parse_filter(values)
    except SchemeInvalid:
        out["filter"] = SchemeFilter()
    out["sensitive"] = str(values.get("sensitive", "")) in ("1", "yes", "on", "true")
    out["e_full"] = str(values.get("e_full", "")) in ("1", "yes", "on", "true")
    return out


# ------------------------------------------------------------------ 制定方案 and 提交审核


def _claim_scheme(scheme: Scheme, lock_version: int | None) -> None:
    """Conditional UPDATE of the scheme's lock_version: 409 when the form is stale."""
    if lock_version is None:
        raise Conflict(STALE)
    done = db.session.execute(
        update(Scheme)
        .where(Scheme.id == scheme.id, Scheme.lock_version == lock_version)
        .values(lock_version=Scheme.lock_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict(STALE)
    db.session.refresh(scheme)


def claim_task(task: Task, lock_version: int | None) -> None:
    """Conditional UPDATE of the task's lock_version (draws, changes): 409 when stale."""
    if lock_version is None:
        raise Conflict(STALE)
    done = db.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.lock_version == lock_version)
        .values(lock_version=Task.lock_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict(STALE)
    db.session.refresh(task)


def holds_step(user: User, inst: ProcessInstance, step_key: str) -> None:
    """The user's open work item at ``step_key``: else 409 (no longer open) or 403 (not theirs)."""
    waiting = [i for i in inst.work_items if i.step_key == step_key and i.status == WorkItemStatus.OPEN]
    if inst.status != InstanceStatus.ACTIVE or not waiting:
        raise Conflict(STALE)
    if not any(engine.can_act(user, i) for i in waiting):
        raise NotAllowed("您不在该环节的办理角色中，无权办理")


def save_scheme(
    user: User,
    task: Task,
    values: Mapping[str, Any],
    *,
    lock_version: int | None,
    submit: bool,
    scheme_id: int | None = None,
) -> Scheme:
    """根据计划制定（部门联合）双随机抽查方案: create (starting the task's instance; the form has no
    ``scheme_id`` and carries the task's lock_version) or change the scheme (``scheme_id`` and
    the scheme's lock_version); with ``submit`` also 提交审核."""
    scheme = task.scheme
    if (scheme.id if scheme else None) != scheme_id:
        raise Conflict(STALE)  # a new-scheme form after someone made one, or the reverse
    if scheme is None:
        if not is_task_clerk(user, task):
            raise Forbidden("只有任务所属部门的经办人可以制定抽查方案")
        if lock_version != task.lock_version:
            raise Conflict(STALE)
        fields = parse_scheme(task, values)
        claim_task(task, lock_version)
        scheme = Scheme(task_id=task.id, created_by_id=user.id, **fields)
        db.session.add(scheme)
        task.status = TaskStatus.SCHEME
        db.session.flush()
        parties = {PARTICIPANT: [d.department_id for d in participants(task)]} if is_joint(task) else None
        inst = engine.start(table_of(task), user, title=scheme.title, parties=parties,
                            subject_type=TASK_SUBJECT, subject_id=task.id)
        audit.record("create", object_type=PUBLIC_SUBJECT, object_id=scheme.id,
                     summary={"方案": scheme.title, "任务": task.name}, user=user)
    else:
        inst = instance_of(task)
        if inst is None:
            raise Conflict(STALE)
        holds_step(user, inst, "scheme")
        fields = parse_scheme(task, values)
        _claim_scheme(scheme, lock_version)
        for name, value in fields.items():
            setattr(scheme, name, value)
        scheme.status = SchemeStatus.DRAFT
        audit.record("update", object_type=PUBLIC_SUBJECT, object_id=scheme.id,
                     summary={"方案": scheme.title}, user=user)
    if submit:
        scheme.status = SchemeStatus.REVIEW
        db.session.flush()
        engine.advance(user, inst, "scheme", "next", comment=scheme.title)
    db.session.flush()
    return scheme


def review_scheme(
    user: User, task: Task, *, lock_version: int | None, approve: bool, comment: str = ""
) -> Scheme:
    """审核方案可行性: 审核通过, or 退回修改 with a reason (shown to the clerk)."""
    scheme = task.scheme
    inst = instance_of(task)
    if scheme is None or inst is None:
        raise Conflict(STALE)
    holds_step(user, inst, "review_scheme")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise SchemeInvalid("退回修改须填写理由", field="comment")
    if len(comment) > 2000:
        raise SchemeInvalid("意见不能超过2000个字符", field="comment")
    _claim_scheme(scheme, lock_version)
    scheme.reviewed_by_id = user.id
    scheme.reviewed_at = utcnow()
    if approve:
        scheme.status = SchemeStatus.APPROVED
        scheme.return_reason = ""
        task.status = TaskStatus.DRAWING
    else:
        scheme.status = SchemeStatus.DRAFT
        scheme.return_reason = comment
        task.status = TaskStatus.SCHEME
    db.session.flush()
    audit.record("review", object_type=PUBLIC_SUBJECT, object_id=scheme.id,
                 summary={"方案": scheme.title, "结果": "审核通过" if approve else "退回修改", "意见": comment},
                 user=user)
    engine.advance(user, inst, "review_scheme", "approve" if approve else "return", comment=comment)
    return scheme


# ------------------------------------------------------------------ 公示方案 (表22)


def period_text(task: Task) -> str:
    return f"{task.start_date:%Y-%m-%d} 至 {task.end_date:%Y-%m-%d}"


def public_payload(task: Task, scheme: Scheme) -> dict[str, Any]:
    """What 公示方案 publishes: a sensitive scheme only its title, department and period; the
    others their content and random rule.  Never an object's credit grade."""
    payload: dict[str, Any] = {
        "方案名称": scheme.title,
        "发起部门": department_name(task.department),
        "抽查时间": period_text(task),
    }
    if scheme.sensitive:
        payload["公示方式"] = "选择性公示（涉及安全方面的方案）"
        return payload
    payload.update(
        {
            "参与部门": SEP.join(department_name(d.department) for d in participants(task)),
            "抽查计划": task.plan.name,
            "抽查事项": task.item.name,
            "检查内容": scheme.content,
            "时间安排": scheme.schedule,
            "责任分工": scheme.duties,
            "工作要求": scheme.requirements,
            "检查方式": scheme.methods,
            "抽取方式": scheme.scope.label,
            # per-grade ratios beside a public drawn list would tell grades (docs/draws.md)
            "抽查比例": PUBLIC_RATIO_TEXT,
        }
    )
    if scheme.scope == DrawScope.DIRECTED:
        payload["定向条件"] = load_filter(scheme).describe()
    return payload


def publish_scheme(instance: ProcessInstance) -> str:
    if instance.subject_type != TASK_SUBJECT or instance.subject_id is None:
        return ""
    task = db.session.get(Task, instance.subject_id)
    if task is None or task.scheme is None:
        return ""
    scheme = task.scheme
    pub = publication.publish(
        PUBLIC_SUBJECT,
        scheme.id,
        title=scheme.title,
        payload=public_payload(task, scheme),
        department_id=task.department_id,
        instance_id=instance.id,
    )
    scheme.version = pub.version
    return f"已公示方案（第{pub.version}版{'，选择性公示' if scheme.sensitive else ''}）"


def return_reason(task: Task) -> str:
    scheme = task.scheme
    if scheme is None or scheme.status != SchemeStatus.DRAFT:
        return ""
    return scheme.return_reason
