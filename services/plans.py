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

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden
from models import (
    CheckItem,
    Plan,
    PlanItem,
    PlanKind,
    PlanParty,
    PlanStatus,
    PlanType,
    ProcessInstance,
    User,
    db,
    utcnow,
)
from models.items import PartRole
from persistence import audit
from services import publication
from services.joint_item_drafts import split_values
from services.plan_elements import (
    SEP,
    Elements,
    Unprocessable,
    Upload,
    apply_elements,
    clean_elements,
    clean_plan_type,
    clean_text,
    clean_year,
    pick_items,
    store_document,
)
from services.plan_queries import (
    EDIT_ROLES,
    JOINT,
    SINGLE,
    SUBJECT,
    active_instance,
    joint_item_choices,
    participants,
    plan_items,
    public_payload,
    single_item_choices,
    today,
)
from workflows import engine
from workflows.errors import NotAllowed
from workflows.lanes import PARTICIPANT
from workflows.registry import get_process

STALE = "该抽查计划已被他人处理或已发生变化，请刷新页面查看最新状态"


# ------------------------------------------------------------------ instances


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


def _check_editor(user: User) -> None:
    if not user.has_role(*EDIT_ROLES):
        raise Forbidden("只有监管部门经办人或部门领导可以制定抽查计划")


# ------------------------------------------------------------------ 表19 单部门


def create_single(user: User, data: Mapping[str, Any], upload: Upload | None) -> Plan:
    """建立单部门联合双随机抽查计划: the plan and its 抽查计划文件; the plan then waits at
    确定抽查要素形成抽查计划."""
    _check_editor(user)
    name = clean_text(data, "name", 200, required=True)
    year = clean_year(data)
    plan_type = clean_plan_type(data)
    plan = Plan(
        kind=PlanKind.SINGLE, plan_type=plan_type, status=PlanStatus.DRAFT, year=year, name=name,
        department_id=user.department_id, created_by_id=user.id, note=clean_text(data, "note", 2000),
    )
    store_document(plan, upload)  # type: ignore[arg-type]
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
    store_document(plan, upload)  # type: ignore[arg-type]
    audit.record("update", object_type=SUBJECT, object_id=plan.id, user=user,
                 summary={"抽查计划文件": plan.document_name})


def fix_elements(
    user: User, plan: Plan, lock_version: int | None, data: Mapping[str, Any], item_ids: Iterable[Any]
) -> ProcessInstance:
    """确定抽查要素形成抽查计划: items, objects, ratio, 抽查户数, period, levels, methods; the
    platform then publishes the plan (公开抽查计划)."""
    inst = _take(user, plan, "elements", lock_version)
    items = pick_items(item_ids, single_item_choices(plan.department_id))
    elements = clean_elements(data, plan.year, items)
    apply_elements(plan, elements)
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
    items = pick_items(item_ids, joint_item_choices(user.department_id))
    year = clean_year(data)
    plan_type = clean_plan_type(data)
    elements = clean_elements(data, year, items)
    plan = Plan(
        kind=PlanKind.JOINT, plan_type=plan_type, status=PlanStatus.DRAFT, year=year, name=elements.name,
        department_id=user.department_id, created_by_id=user.id,
    )
    apply_elements(plan, elements)
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
    apply_elements(plan, elements)
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


def is_ad_hoc(instance: ProcessInstance) -> bool:
    plan = _subject(instance)
    return plan is not None and plan.plan_type == PlanType.AD_HOC


def is_not_ad_hoc(instance: ProcessInstance) -> bool:
    """Also true for an instance without a plan (started outside the plan pages)."""
    plan = _subject(instance)
    return plan is None or plan.plan_type != PlanType.AD_HOC


# ------------------------------------------------------------------ 公开抽查计划


def publish_plan(instance: ProcessInstance) -> str:
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
        "methods": split_values(joint.methods), "levels": split_values(joint.levels) or ["区县级"], "ratio": "5",
        "sample_size": "20", "start_date": f"{year}-05-01", "end_date": f"{year}-10-31",
    }, [joint.id])
    joint_plan = db.session.execute(select(Plan).where(Plan.name == f"{year}年度{joint.name}计划")).scalar_one()
    consult(clerk, joint_plan, joint_plan.lock_version)


def _demo_pdf(title: str) -> bytes:
    from infrastructure import pdf

    return pdf.render("pdf/document.html", title=title, paragraphs=[
        "依据《成都市“双随机、一公开”监管工作实施办法》制定本年度抽查计划。",
        "抽查事项、抽查对象、抽查比例及起止时间见平台“确定抽查要素”。",
    ])
