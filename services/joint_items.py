"""部门联合抽查事项清单 (DB5101 7.1.1.2): 表12 新增, 表13 编辑, 表14 删除; template A.1.2;
seed 001's 一业一单.

A joint item (CheckItem kind ``joint``) belongs to its 发起部门 and has one CheckItemPart per
department (本部门实施清单).  Every business action here changes the item AND drives the
process instance (subject_type ``joint_item``) through ``engine.advance`` in the same
transaction, so the history and the data never disagree:

- 表12: the item is a draft (status 审定中) while it travels; the proposal is the item itself.
- 表13: the item is published and stays as published until the conference office approves;
  the proposal (fields and parts) lives in ``CheckItem.pending_edit`` as JSON, and is applied
  at 公布事项.  A terminated edit is discarded.
- 表14: 选择拟删除的抽查事项 (with the 删除依据) → 告知参与部门 (the participants see a notice
  on their list and on the item) → 提交审定 → 审定删除依据 → 删除抽查事项 → 公布事项 (the
  publication is withdrawn; the row stays, status 已删除).

Each step's form carries the version of the user's work item: a form answered by someone
else in the meantime is refused (409) and nothing changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import (
    CheckItem,
    Department,
    ItemKind,
    ItemStatus,
    PartRole,
    ProcessInstance,
    PublicationAction,
    User,
    db,
    utcnow,
)
from models.workflow import InstanceParty
from persistence import audit
from persistence.org import partner_departments
from services import publication
from services.joint_item_drafts import (
    SEP,
    Draft,
    PartDraft,
    apply_draft,
    clean_choices,
    clean_fields,
    clean_reason,
    draft_of_live,
    load_draft,
    store_draft,
)
from services.joint_item_queries import (
    ADD,
    DELETE,
    EDIT,
    EDIT_ROLES,
    PUBLIC_SUBJECT,
    SUBJECT,
    active_instance,
    is_initiator,
    my_steps,
    own_single_items,
    public_payload,
)
from services.templates_catalogue import IMPLEMENTATION_LEVELS
from workflows import engine
from workflows.errors import NotAllowed
from workflows.lanes import PARTICIPANT
from workflows.registry import get_process

STALE = "该事项已被他人处理或已发生变化，请刷新页面查看最新状态"


# ------------------------------------------------------------------ the working copy


# ------------------------------------------------------------------ field checks


def participant_choices(user: User) -> list[Department]:
    """Other 监管部门 of the initiator's area (the org tree), for 参与部门."""
    return partner_departments(user.department)


def clean_participants(user: User, ids: Iterable[Any]) -> list[int]:
    chosen: list[int] = []
    for raw in ids:
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            raise Invalid("参与部门选择有误，请刷新页面后重试", field="participants") from None
        if ident not in chosen:
            chosen.append(ident)
    allowed = {d.id for d in participant_choices(user)}
    if not chosen:
        raise Invalid("请至少选择一个参与部门", field="participants")
    if any(i not in allowed for i in chosen):
        raise Invalid("参与部门只能选择本区域的其他监管部门", field="participants")
    return chosen


# ------------------------------------------------------------------ who sees what


# ------------------------------------------------------------------ instances


def _lock(item: CheckItem) -> None:
    """Lock the item's row (PostgreSQL) and re-read it: two participants answering at once
    must not both rewrite the pending proposal from the same old copy."""
    db.session.execute(
        select(CheckItem).where(CheckItem.id == item.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()  # fetched: populate_existing refreshes only rows that are read


def _take(user: User, item: CheckItem, table: int | None, step_key: str, version: int | None) -> ProcessInstance:
    """The active instance at ``step_key`` with the user's open work item there, at the
    version the form was built from: else 409 (someone else acted) or 403 (not the user's)."""
    _lock(item)
    inst = active_instance(item)
    if inst is None or (table is not None and inst.process_table != table):
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
    if version is None or work.version != version:
        raise Conflict(STALE)
    return inst


# ------------------------------------------------------------------ 表12 新增


def _check_editor(user: User) -> None:
    if not user.has_role(*EDIT_ROLES):
        raise Forbidden("只有监管部门经办人或部门领导可以维护部门联合抽查事项")


def create(user: User, data: Mapping[str, Any], participant_ids: Iterable[Any]) -> CheckItem:
    """新增部门联合抽查事项: the item (审定中) and its parts; starts 表12 and completes its
    first step, so the item waits at 征求参与部门意见."""
    _check_editor(user)
    fields = clean_fields(data)
    participants = clean_participants(user, participant_ids)
    item = CheckItem(
        kind=ItemKind.JOINT,
        status=ItemStatus.DRAFT,
        department_id=user.department_id,
        created_by_id=user.id,
        name=fields["name"],
    )
    draft = Draft(
        name=fields["name"],
        objects=fields["objects"],
        methods=fields["methods"],
        levels=fields["levels"],
        domain=fields["domain"],
        industry_code=fields["industry_code"],
        basis=fields["basis"],
        note=fields["note"],
        parts=[
            PartDraft(user.department_id, PartRole.INITIATOR.value, fields["own_tasks"], list(fields["levels"])),
            *(PartDraft(d) for d in participants),
        ],
    )
    apply_draft(item, draft)
    db.session.add(item)
    db.session.flush()
    inst = engine.start(
        ADD, user, title=item.name, parties={PARTICIPANT: participants}, subject_type=SUBJECT, subject_id=item.id
    )
    engine.advance(user, inst, "add", "next")
    audit.record("create", object_type=PUBLIC_SUBJECT, object_id=item.id,
                 summary={"联合抽查事项": item.name, "参与部门": len(participants)}, user=user)
    return item


def consult(
    user: User, item: CheckItem, version: int | None, data: Mapping[str, Any], participant_ids: Iterable[Any]
) -> ProcessInstance:
    """征求参与部门意见 (表12/表13): the initiator settles the proposal and the participants
    and sends it; each participant gets 确认是否参与 in its inbox."""
    inst = _take(user, item, None, "consult", version)
    fields = clean_fields(data)
    participants = clean_participants(user, participant_ids)
    draft = load_draft(item)
    for key in ("name", "objects", "methods", "levels", "domain", "industry_code", "basis", "note"):
        setattr(draft, key, fields[key])
    own = draft.initiator_part
    if own is None:
        own = PartDraft(item.department_id, PartRole.INITIATOR.value)
        draft.parts.insert(0, own)
    own.tasks = fields["own_tasks"]
    if not own.levels:
        own.levels = list(fields["levels"])
    kept = {p.department_id: p for p in draft.participants}
    draft.parts = [own] + [kept.get(d) or PartDraft(d) for d in participants]
    for p in draft.participants:  # asked (again): earlier answers no longer count
        p.declined, p.decline_reason, p.confirmed = False, "", False
    own.confirmed = False
    store_draft(item, draft)
    # The instance's 参与部门 follow the list just sent.
    for party in [p for p in inst.parties if p.relation == PARTICIPANT and p.department_id not in participants]:
        inst.parties.remove(party)
    present = {p.department_id for p in inst.parties if p.relation == PARTICIPANT}
    for dept_id in participants:
        if dept_id not in present:
            inst.parties.append(InstanceParty(department_id=dept_id, relation=PARTICIPANT))
    db.session.flush()
    audit.record("update", object_type=PUBLIC_SUBJECT, object_id=item.id, user=user, summary={
        "环节": "征求参与部门意见", "联合抽查事项": draft.name, "参与部门": len(participants),
        "表": inst.process_table,
    })
    return engine.advance(user, inst, "consult", "next")


def participate(user: User, item: CheckItem, version: int | None, accept: bool, reason: str = "") -> ProcessInstance:
    """确认是否参与: accept, or decline with a reason that goes back to the initiator."""
    inst = _take(user, item, None, "participate", version)
    reason = (reason or "").strip()
    if not accept and not reason:
        raise Invalid("不参与的，须填写不参与意见", field="reason")
    if len(reason) > 2000:
        raise Invalid("意见不能超过2000个字符", field="reason")
    draft = load_draft(item)
    part = draft.part(user.department_id)
    if part is None:
        raise NotAllowed("本部门不是该事项的参与部门")
    part.declined = not accept
    part.decline_reason = "" if accept else reason
    store_draft(item, draft)
    audit.record("update", object_type=PUBLIC_SUBJECT, object_id=item.id, user=user, summary={
        "环节": "确认是否参与", "结果": "参与" if accept else "不参与", "意见": reason,
    })
    return engine.advance(user, inst, "participate", "yes" if accept else "no", comment=reason)


def own_list(
    user: User,
    item: CheckItem,
    version: int | None,
    tasks: str,
    levels: Iterable[str] | str,
    item_ids: Iterable[Any] = (),
) -> ProcessInstance:
    """确定本部门实施清单: the department's own tasks and levels, optionally its own published
    single items as the implementation list."""
    inst = _take(user, item, None, "own_list", version)
    tasks = (tasks or "").strip()
    if len(tasks) > 2000:
        raise Invalid("本部门抽查事项不能超过2000个字符", field="tasks")
    chosen_levels = clean_choices(levels, IMPLEMENTATION_LEVELS, "levels")
    allowed = {i.id: i for i in own_single_items(user)}
    picked: list[int] = []
    for raw in item_ids:
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            raise Invalid("所选本部门抽查事项有误", field="item_ids") from None
        if ident not in allowed:
            raise Invalid("只能选择本部门已公布的单部门抽查事项", field="item_ids")
        if ident not in picked:
            picked.append(ident)
    if not tasks and picked:
        tasks = SEP.join(allowed[i].name for i in picked)
    if not tasks:
        raise Invalid("请填写本部门抽查事项，或选择本部门已公布的抽查事项", field="tasks")
    draft = load_draft(item)
    part = draft.part(user.department_id)
    if part is None or part.declined:
        raise NotAllowed("本部门不参与该联合抽查事项")
    part.tasks, part.levels, part.item_ids, part.confirmed = tasks, chosen_levels, picked, True
    store_draft(item, draft)
    audit.record("update", object_type=PUBLIC_SUBJECT, object_id=item.id, user=user, summary={
        "环节": "确定本部门实施清单", "本部门抽查事项": tasks, "实施层级": SEP.join(chosen_levels),
    })
    return engine.advance(user, inst, "own_list", "next")


def collect(user: User, item: CheckItem, version: int | None) -> ProcessInstance:
    """归集形成联合实施清单 (表13): the initiator gathers the departments' lists."""
    inst = _take(user, item, EDIT, "collect", version)
    draft = load_draft(item)
    missing = [p for p in draft.active_parts if not p.confirmed]
    if missing:
        raise Conflict("尚有部门未确定本部门实施清单")
    return engine.advance(user, inst, "collect", "next")


def submit(user: User, item: CheckItem, version: int | None) -> ProcessInstance:
    """提交审定 (表12/13/14) to the conference office."""
    inst = _take(user, item, None, "submit", version)
    if inst.process_table in (ADD, EDIT):
        draft = load_draft(item)
        if not [p for p in draft.participants if not p.declined]:
            raise Invalid("没有确认参与的参与部门，不能提交审定")
    return engine.advance(user, inst, "submit", "next")


def review(user: User, item: CheckItem, version: int | None, approve: bool, comment: str = "") -> ProcessInstance:
    """审定新增/编辑/删除依据: 审定通过 (→ 公布事项, or 删除抽查事项), or 退回 with a reason."""
    inst = _take(user, item, None, "review", version)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise Invalid("退回须填写理由", field="comment")
    return engine.advance(user, inst, "review", "approve" if approve else "return", comment=comment)


def decide_terminate(
    user: User, item: CheckItem, version: int | None, terminate: bool, comment: str = ""
) -> ProcessInstance:
    """判断是否终止: 终止 (表12: the item is never published; 表13: the edit is discarded), or
    不终止，重新完善 (every department confirms its list again)."""
    inst = _take(user, item, None, "terminate", version)
    comment = (comment or "").strip()
    if terminate and not comment:
        raise Invalid("终止须填写理由", field="comment")
    if terminate:
        if inst.process_table == ADD:
            item.status = ItemStatus.TERMINATED
        else:
            item.pending_edit = None
        audit.record("terminate", object_type=PUBLIC_SUBJECT, object_id=item.id,
                     summary={"表": inst.process_table, "理由": comment}, user=user)
    else:
        draft = load_draft(item)
        for p in draft.parts:
            p.confirmed = False
        store_draft(item, draft)
    return engine.advance(user, inst, "terminate", "yes" if terminate else "no", comment=comment)


# ------------------------------------------------------------------ 表13 编辑


def start_edit(user: User, item: CheckItem, reason: str = "") -> ProcessInstance:
    """选择拟编辑的抽查事项: the published item gets a pending proposal (a copy of itself) and
    waits at 征求参与部门意见, where the initiator edits it and sends it."""
    _check_editor(user)
    if not is_initiator(user, item):
        raise Forbidden("只有发起部门可以编辑部门联合抽查事项")
    _lock(item)
    if item.status != ItemStatus.PUBLISHED:
        raise Conflict("只有已公布的事项可以编辑")
    if active_instance(item) is not None:
        raise Conflict("该事项正在办理其他流程，请办结后再编辑")
    draft = draft_of_live(item)
    draft.parts = [p for p in draft.parts if not p.declined]
    participants = [p.department_id for p in draft.participants]
    item.pending_edit = json.dumps(asdict(draft), ensure_ascii=False)
    inst = engine.start(
        EDIT, user, title=f"编辑：{item.name}", parties={PARTICIPANT: participants}, subject_type=SUBJECT,
        subject_id=item.id,
    )
    engine.advance(user, inst, "select", "next", comment=(reason or "").strip()[:2000])
    return inst


# ------------------------------------------------------------------ 表14 删除


def start_delete(user: User, item: CheckItem, reason: str) -> ProcessInstance:
    """选择拟删除的抽查事项, with the 删除依据 the conference office will review."""
    _check_editor(user)
    if not is_initiator(user, item):
        raise Forbidden("只有发起部门可以删除部门联合抽查事项")
    _lock(item)
    if item.status != ItemStatus.PUBLISHED:
        raise Conflict("只有已公布的事项可以删除")
    if active_instance(item) is not None:
        raise Conflict("该事项正在办理其他流程，请办结后再删除")
    reason = clean_reason(reason)
    inst = engine.start(DELETE, user, title=f"删除：{item.name}", subject_type=SUBJECT, subject_id=item.id)
    engine.advance(user, inst, "select", "next", comment=reason)
    return inst


def reselect(user: User, item: CheckItem, version: int | None, reason: str) -> ProcessInstance:
    """After 退回: 重新选择 (with a new 删除依据)."""
    inst = _take(user, item, DELETE, "select", version)
    return engine.advance(user, inst, "select", "next", comment=clean_reason(reason))


def notify(user: User, item: CheckItem, version: int | None) -> ProcessInstance:
    """告知参与部门: the participants see the notice on their list and on the item."""
    inst = _take(user, item, DELETE, "notify", version)
    names = SEP.join(p.department.name for p in item.parts if p.role == PartRole.PARTICIPANT and not p.declined)
    return engine.advance(user, inst, "notify", "next", comment=f"已告知：{names}" if names else "")


def delete(user: User, item: CheckItem, version: int | None) -> ProcessInstance:
    """删除抽查事项 after 审定通过: the row stays (status 已删除); 公布事项 withdraws it."""
    inst = _take(user, item, DELETE, "delete", version)
    item.status = ItemStatus.DELETED
    item.deleted_at = utcnow()
    audit.record("delete", object_type=PUBLIC_SUBJECT, object_id=item.id, summary={"联合抽查事项": item.name},
                 user=user)
    return engine.advance(user, inst, "delete", "next")


# ------------------------------------------------------------------ 公布事项


def _subject(instance: ProcessInstance) -> CheckItem | None:
    if instance.subject_type != SUBJECT or instance.subject_id is None:
        return None
    return db.session.get(CheckItem, instance.subject_id)


def _publish(item: CheckItem, instance: ProcessInstance, action: PublicationAction) -> str:
    payload = public_payload(item)
    if action == PublicationAction.WITHDRAW:
        payload = {k: payload[k] for k in ("清单类型", "联合抽查事项", "发起部门")}
    pub = publication.publish(
        PUBLIC_SUBJECT,
        item.id,
        title=item.name,
        payload=payload,
        department_id=item.department_id,
        action=action,
        instance_id=instance.id,
    )
    item.version = pub.version
    return f"已{'公布' if action == PublicationAction.PUBLISH else '撤下'}（第{pub.version}版）"


def publish_added(instance: ProcessInstance) -> str:
    item = _subject(instance)
    if item is None:
        return ""
    item.status = ItemStatus.PUBLISHED
    db.session.flush()
    return _publish(item, instance, PublicationAction.PUBLISH)


def publish_edited(instance: ProcessInstance) -> str:
    item = _subject(instance)
    if item is None:
        return ""
    if item.pending_edit:
        draft = load_draft(item)
        item.pending_edit = None
        apply_draft(item, draft)
    db.session.flush()
    return _publish(item, instance, PublicationAction.PUBLISH)


def publish_deleted(instance: ProcessInstance) -> str:
    item = _subject(instance)
    if item is None:
        return ""
    return _publish(item, instance, PublicationAction.WITHDRAW)


# ------------------------------------------------------------------ lists


# ------------------------------------------------------------------ demo data


def load_demo_items() -> None:
    """`flask demo`: one published joint item and one under consultation in 成华区."""
    users = {u.account: u for u in db.session.execute(
        select(User).where(User.account.in_(("wangxy", "zhaom", "wul", "guoq", "zhengh")))
    ).scalars()}
    if len(users) < 5:
        return
    clerk, health, safety, fire, office = (users[a] for a in ("wangxy", "zhaom", "wul", "guoq", "zhengh"))

    def version(user: User, item: CheckItem, step: str) -> int:
        return my_steps(user, active_instance(item))[step].version

    first = {
        "name": "餐饮服务单位食品安全与安全生产联合检查",
        "objects": "餐饮服务经营者",
        "methods": ["实地核查", "书面检查"],
        "levels": ["区县级"],
        "own_tasks": "餐饮服务食品安全监督检查",
        "domain": "餐饮服务",
        "industry_code": "H",
        "basis": "《中华人民共和国食品安全法》第八十七条；《中华人民共和国安全生产法》第六十五条",
    }
    item = create(clerk, first, [health.department_id, safety.department_id])
    consult(clerk, item, version(clerk, item, "consult"), first, [health.department_id, safety.department_id])
    participate(health, item, version(health, item, "participate"), True)
    participate(safety, item, version(safety, item, "participate"), True)
    own_list(clerk, item, version(clerk, item, "own_list"), "餐饮服务食品安全监督检查", ["区县级"])
    own_list(health, item, version(health, item, "own_list"), "餐饮具集中消毒单位卫生监督检查", ["区县级"])
    own_list(safety, item, version(safety, item, "own_list"), "餐饮场所燃气使用安全检查", ["区县级"])
    submit(clerk, item, version(clerk, item, "submit"))
    review(office, item, version(office, item, "review"), True, "同意")

    second = {
        "name": "旅馆业公共卫生与消防安全联合检查",
        "objects": "旅馆、民宿",
        "methods": ["实地核查"],
        "levels": ["区县级"],
        "own_tasks": "旅馆业食品安全与价格行为检查",
        "domain": "住宿业",
        "industry_code": "H",
    }
    item = create(clerk, second, [health.department_id, fire.department_id])
    consult(clerk, item, version(clerk, item, "consult"), second, [health.department_id, fire.department_id])
