"""When fewer inspectors are eligible than a department is asked to draw: why (counts by
reason) and the ways on, each ending in a draw (随机抽取执法人员, DB5101 表20/表22).

- 降低本部门抽取人数: the clerk who draws for the department lowers its own count, within the
  task's rules (every drawing department at least 1, the 发起部门 at least 1; with 实地核查 at
  least 2 in the whole team, services/tasks.py), to no more than are eligible.
- 放宽专长/区域要求: draw again without the speciality or area filter (the draw records it).
- 请发起部门调整任务: a clerk of any party asks to change the counts of the departments that have
  not drawn yet (say, the 发起部门 sends one more); the task is the 发起部门's and its scheme was
  approved by its leader, so the 发起部门's 部门负责人 approves, as the 调整更换 of a drawn
  inspector needs the 本部门负责人 (seed 001, seed 003).  Kept as a ``DrawChange`` with
  ``reason_code`` 人数调整 and ``details`` {"counts": {department id: new count}, "from": {…}}.

Forms carry the task's lock_version (services/schemes.claim_task): a stale one is a 409.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden
from models import ChangeStatus, DrawChange, DrawDomain, Task, TaskDepartment, User, UserRole, db, utcnow
from models.roles import Role
from persistence import audit, notifications
from services import inspector_draws as draws
from services import task_access
from services.inspector_draws import DrawRefused as Refused
from services.schemes import STALE, claim_task
from workflows.errors import StaleSubmission

COUNT_REASON = "人数调整"  # DrawChange.reason_code of a request to the 发起部门
COUNT_OBJECT = "inspector_count"  # audit object type (the task's TaskDepartment)
MAX_REASON = 500


# ------------------------------------------------------------------ the rules


def _counts(task: Task, overrides: Mapping[int, int] | None = None) -> dict[int, int]:
    counts = {td.department_id: td.inspectors for td in task.departments}
    counts.update(overrides or {})
    return counts


def rule_refusal(task: Task, counts: Mapping[int, int]) -> str | None:
    """Why the departments' counts break the task's rules (None when they keep them)."""
    initiator = task_access.initiator_part(task)
    if initiator is not None and counts.get(initiator.department_id, 0) < 1:
        return "发起部门至少抽取1名执法人员"
    total = sum(counts.values())
    if draws.needs_on_site_pair(task) and total < draws.MIN_ON_SITE:
        return (f"检查方式含{draws.ON_SITE}，每个检查对象至少由{draws.MIN_ON_SITE}名执法人员检查："
                f"抽取人数合计不能少于{draws.MIN_ON_SITE}人")
    return None


def lowest_count(task: Task, td: TaskDepartment) -> int:
    """The fewest ``td`` may draw with the other departments' counts as they are (at least 1)."""
    others = sum(n for dept, n in _counts(task).items() if dept != td.department_id)
    floor = 1
    if draws.needs_on_site_pair(task):
        floor = max(floor, draws.MIN_ON_SITE - others)
    return floor


def _undrawn(task: Task) -> list[TaskDepartment]:
    return [td for td in task.departments if draws.current_draw(task, td.department_id) is None]


# ------------------------------------------------------------------ what the page shows


@dataclass
class Widening:
    label: str
    speciality: str
    area: str
    eligible: int


@dataclass
class Shortfall:
    """A department's draw that cannot be made as asked, and the ways on."""

    td: TaskDepartment
    found: draws.Eligibility
    speciality: str
    area: str
    lowest: int
    widenings: list[Widening] = field(default_factory=list)

    @property
    def eligible(self) -> int:
        return len(self.found.eligible)

    @property
    def can_lower(self) -> bool:
        return self.lowest <= self.eligible < self.td.inspectors

    @property
    def reasons(self) -> list[tuple[str, int]]:
        return [(reason, n) for reason, n in self.found.excluded.items() if n]


def shortfall(task: Task, td: TaskDepartment, *, speciality: str = "", area: str = "") -> Shortfall | None:
    """None when enough are eligible with this filter (or the department draws no one)."""
    found = draws.eligibility(task, td, speciality=speciality, area=area)
    if td.inspectors <= 0 or len(found.eligible) >= td.inspectors:
        return None
    result = Shortfall(td, found, speciality, area, lowest_count(task, td))
    options = []
    if speciality:
        options.append(("不限业务专长", "", area))
    if area:
        options.append(("不限监督检查（执法）区域", speciality, ""))
    if speciality and area:
        options.append(("不限业务专长和区域", "", ""))
    for label, s, a in options:
        n = len(draws.eligibility(task, td, speciality=s, area=a).eligible)
        if n > len(found.eligible):
            result.widenings.append(Widening(label, s, a, n))
    return result


def can_lower(user: User, task: Task, td: TaskDepartment) -> bool:
    """The clerk who draws for the department (holds its draw item, nothing drawn yet)."""
    return draws.can_draw(user, task, td)


def can_request(user: User, task: Task) -> bool:
    """A clerk of one of the task's departments (or above one), while the draw is open."""
    if not user.has_role(Role.CLERK):
        return False
    return any(user.department.is_within(td.department) or td.department.is_within(user.department)
               for td in task.departments)


def can_decide(user: User, task: Task, change: DrawChange) -> bool:
    """The 发起部门's 部门负责人 (a department leader of the task's department or above it)."""
    return (
        change.status == ChangeStatus.PENDING
        and change.reason_code == COUNT_REASON
        and user.has_role(Role.DEPT_LEADER)
        and task.department.is_within(user.department)
    )


def requests(task: Task) -> list[DrawChange]:
    return list(db.session.execute(
        select(DrawChange)
        .where(DrawChange.task_id == task.id, DrawChange.domain == DrawDomain.INSPECTOR,
               DrawChange.reason_code == COUNT_REASON)
        .order_by(DrawChange.id.desc())
    ).scalars())


def request_details(task: Task, change: DrawChange) -> list[tuple[str, int | None, int]]:
    """(department name, count before, count asked) per department the request changes."""
    data = json.loads(change.details or "{}")
    names = {td.department_id: td.department.name for td in task.departments}
    before = data.get("from", {})
    return [(names.get(int(k), k), before.get(k), int(v)) for k, v in data.get("counts", {}).items()]


def _team_link(task: Task) -> str:
    return f"/tasks/{task.id}/team"  # the team page (blueprints/teams)


def _heads(task: Task) -> list[User]:
    """The 发起部门's 部门负责人, told of a request in their message centre."""
    return [u for u in db.session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.department_id == task.department_id, UserRole.role == Role.DEPT_LEADER.value)
    ).scalars() if u.is_active]


# ------------------------------------------------------------------ 降低本部门抽取人数


def _count(raw: Any, field_name: str) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or int(text) > 1000:
        raise Refused("抽取执法人员人数应为不小于0的整数", field_name)
    return int(text)


def lower_count(actor: User, task: Task, department_id: int, count: Any, *, lock_version: int | None,
                speciality: str = "", area: str = "") -> TaskDepartment:
    """The drawing clerk lowers its department's count to what is eligible, within the rules."""
    if not actor.has_role(Role.CLERK):
        raise Forbidden("只有监管部门经办人可以调整抽取人数")
    td = draws.party(task, department_id)
    draws.at_draw_step(task)
    if not can_lower(actor, task, td):
        if draws.current_draw(task, td.department_id) is not None:
            raise Conflict(f"{td.department.name}已抽取执法人员，抽取结果已锁定")
        raise Forbidden("您不在该部门“随机抽取执法人员派发抽查任务”环节的办理角色中")
    if lock_version != task.lock_version:
        raise Conflict(STALE)
    new = _count(count, "count")
    before = td.inspectors
    if new >= before:
        raise Refused(f"降低后的人数应少于原拟抽取的{before}人", "count")
    floor = lowest_count(task, td)
    if new < floor:
        raise Refused(rule_refusal(task, _counts(task, {td.department_id: new})) or "每个抽取部门至少抽取1名执法人员",
                      "count")
    eligible = len(draws.eligibility(task, td, speciality=speciality.strip()[:100], area=area.strip()[:100]).eligible)
    if new > eligible:
        raise Refused(f"符合条件的执法人员仅{eligible}人，降低后的人数不能多于{eligible}人", "count")
    claim_task(task, lock_version)
    td.inspectors = new
    db.session.flush()
    audit.record("lower_count", object_type=COUNT_OBJECT, object_id=td.id, user=actor, summary={
        "抽查任务": task.name, "部门": td.department.name, "原拟抽取人数": before, "调整为": new,
        "符合条件": eligible,
    })
    return td


# ------------------------------------------------------------------ 请发起部门调整任务


def _asked_counts(task: Task, raw: Mapping[str, Any]) -> tuple[dict[int, int], dict[int, int]]:
    """(new counts, old counts) of the undrawn departments the form changes."""
    new: dict[int, int] = {}
    old: dict[int, int] = {}
    for td in _undrawn(task):
        key = f"count-{td.department_id}"
        if raw.get(key) in (None, ""):
            continue
        n = _count(raw.get(key), key)
        if n != td.inspectors:
            new[td.department_id], old[td.department_id] = n, td.inspectors
    return new, old


def _check_counts(task: Task, new: Mapping[int, int]) -> None:
    if not new:
        raise Refused("请至少调整一个尚未抽取部门的抽取人数", "counts")
    refusal = rule_refusal(task, _counts(task, new))
    if refusal:
        raise Refused(refusal, "counts")
    for td in task.departments:
        if td.department_id not in new:
            continue
        if draws.current_draw(task, td.department_id) is not None:
            raise Conflict(f"{td.department.name}已抽取执法人员，其抽取人数不能再调整")
        eligible = len(draws.eligibility(task, td).eligible)
        if new[td.department_id] > eligible:
            raise Refused(f"{td.department.name}符合条件的执法人员仅{eligible}人，不能抽取{new[td.department_id]}人",
                          f"count-{td.department_id}")


def request_adjustment(actor: User, task: Task, raw: Mapping[str, Any], *, lock_version: int | None) -> DrawChange:
    """A clerk of a party asks the 发起部门 to change the undrawn departments' counts."""
    if not can_request(actor, task):
        raise Forbidden("只有参与检查部门的监管部门经办人可以申请调整抽取人数")
    draws.at_draw_step(task)
    if lock_version != task.lock_version:
        raise Conflict(STALE)
    if any(c.status == ChangeStatus.PENDING for c in requests(task)):
        raise Conflict("该抽查任务已有待审批的抽取人数调整申请")
    new, old = _asked_counts(task, raw)
    _check_counts(task, new)
    reason = str(raw.get("reason") or "").strip()
    if not reason:
        raise Refused("请填写调整理由", "reason")
    if len(reason) > MAX_REASON:
        raise Refused(f"调整理由不能超过{MAX_REASON}个字符", "reason")
    change = DrawChange(
        task_id=task.id, domain=DrawDomain.INSPECTOR, department_id=task.department_id, reason_code=COUNT_REASON,
        reason=reason, requested_by_id=actor.id,
        details=json.dumps({"counts": {str(k): v for k, v in new.items()}, "from": {str(k): v for k, v in old.items()}}),
    )
    db.session.add(change)
    db.session.flush()
    audit.record("count_request", object_type="draw_change", object_id=change.id, user=actor, summary={
        "抽查任务": task.name, "调整": _summary(task, change), "理由": reason,
    })
    notifications.notify(_heads(task), f"请审批“{task.name}”的抽取人数调整申请", _summary(task, change),
                         _team_link(task), channels=("inbox",))
    return change


def _summary(task: Task, change: DrawChange) -> str:
    return "；".join(f"{name}{before}人→{after}人" for name, before, after in request_details(task, change))


def decide_adjustment(actor: User, task: Task, change: DrawChange, *, approve: bool, comment: str = "",
                      lock_version: int | None) -> DrawChange:
    """The 发起部门's 部门负责人 approves (the counts change) or refuses with a comment."""
    if change.task_id != task.id or change.reason_code != COUNT_REASON:
        raise Conflict("该调整申请不存在")
    if change.status != ChangeStatus.PENDING:
        raise StaleSubmission()
    if not can_decide(actor, task, change):
        raise Forbidden("只有发起部门负责人可以审批抽取人数调整")
    comment = (comment or "").strip()
    if len(comment) > MAX_REASON:
        raise Refused(f"审批意见不能超过{MAX_REASON}个字符", "comment")
    if not approve and not comment:
        raise Refused("不同意调整须填写意见", "comment")
    if lock_version != task.lock_version:
        raise Conflict(STALE)
    if approve:
        draws.at_draw_step(task)
        new = {int(k): int(v) for k, v in json.loads(change.details or "{}").get("counts", {}).items()}
        _check_counts(task, new)
        claim_task(task, lock_version)
        for td in task.departments:
            if td.department_id in new:
                td.inspectors = new[td.department_id]
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.decided_by_id = actor.id
    change.decided_at = utcnow()
    change.decision_comment = comment
    db.session.flush()
    audit.record("count_approve" if approve else "count_reject", object_type="draw_change", object_id=change.id,
                 user=actor, summary={"抽查任务": task.name, "调整": _summary(task, change), "意见": comment})
    verdict = "已同意" if approve else "未同意"
    notifications.notify([change.requested_by], f"“{task.name}”的抽取人数调整申请{verdict}",
                         comment or _summary(task, change), _team_link(task), channels=("inbox",))
    return change
