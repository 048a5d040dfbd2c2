"""表28 触发式双随机监管 driven by the business pages (docs/trigger.md).

One instance per trigger rule (subject ``trigger_rule``), from its saving to the check of the
objects it helped extract:

- 建立触发式规则 (监管部门): creating a rule, or saving one whose last instance has ended, on
  the rule's pages (services/trigger/rules.py) starts an instance and completes this step;
- 监测并生成触发式对象库 (智慧监管平台, automatic): ``monitor_step`` builds the department's
  触发式对象库 at once (the nightly ``flask trigger build`` keeps it current afterwards);
- 提取监管对象 (监管部门): ``extracted`` completes it for every rule of the department whose
  instance waits there and that hits at least one extracted object, on the extraction page;
- 开展双随机检查 (监管部门): ``draw_confirmed`` completes it when the department confirms the
  object draw of the extraction's task (确认抽取结果, services/object_draws.confirm): the
  double-random check of the extracted objects has begun, and carries on in the task's own
  表20/表22 flow, unchanged.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select

from models import ProcessInstance, Task, User, db
from models.trigger import TriggerExtraction, TriggerExtractionMember, TriggerHit, TriggerObject, TriggerRule
from models.workflow import InstanceStatus, WorkItemStatus
from services.trigger.library import build
from workflows import engine

TABLE = 28
SUBJECT = "trigger_rule"
RULES_STEP, MONITOR_STEP, EXTRACT_STEP, INSPECT_STEP = "rules", "monitor", "extract", "inspect"
BUSINESS_STEPS = (RULES_STEP,)


def instance_of(rule: TriggerRule) -> ProcessInstance | None:
    return db.session.execute(
        select(ProcessInstance).where(ProcessInstance.subject_type == SUBJECT, ProcessInstance.subject_id == rule.id)
        .order_by(ProcessInstance.id.desc())
    ).scalars().first()


def active_instance(rule: TriggerRule) -> ProcessInstance | None:
    inst = instance_of(rule)
    return inst if inst is not None and inst.status == InstanceStatus.ACTIVE else None


def rule_saved(user: User, rule: TriggerRule, note: str) -> None:
    """建立触发式规则 done: a new instance unless one is still running (then the save is only
    the rule's history)."""
    if active_instance(rule) is not None:
        return
    inst = engine.start(TABLE, user, title=f"触发式规则：{rule.name}"[:200], subject_type=SUBJECT, subject_id=rule.id)
    rule.extraction_id = None
    engine.advance(user, inst, RULES_STEP, "next", comment=note)


def monitor_step(instance: ProcessInstance) -> str:
    """监测并生成触发式对象库: build the library of the rule's department now."""
    rule = db.session.get(TriggerRule, instance.subject_id) if instance.subject_id is not None else None
    if rule is None:
        return "规则不存在"
    result = build(db.session, department_ids=[rule.department_id])
    hits = db.session.execute(
        select(func.count()).select_from(TriggerHit).where(TriggerHit.rule_id == rule.id)
    ).scalar_one()
    return f"该规则命中{hits}户；触发式对象库在库{result.open_total}户"


def extracted(user: User, extraction: TriggerExtraction, task: Task) -> int:
    """提取监管对象 done for the department's rules that hit an extracted object; returns how many."""
    hit = exists().where(
        TriggerExtractionMember.extraction_id == extraction.id,
        TriggerHit.rule_id == TriggerRule.id,
        TriggerHit.department_id == extraction.department_id,
        TriggerHit.entity_id == TriggerExtractionMember.entity_id,
    )
    rules = db.session.execute(
        select(TriggerRule).where(TriggerRule.department_id == extraction.department_id, hit).order_by(TriggerRule.id)
    ).scalars()
    done = 0
    for rule in rules:
        inst = active_instance(rule)
        if inst is None or inst.current_step != EXTRACT_STEP:
            continue
        rule.extraction_id = extraction.id
        engine.advance(user, inst, EXTRACT_STEP, "next",
                       comment=f"提取{extraction.size}户至抽查任务“{task.name}”")
        done += 1
    return done


def extraction_of(task: Task) -> TriggerExtraction | None:
    return db.session.execute(
        select(TriggerExtraction).where(TriggerExtraction.task_id == task.id)
    ).scalar_one_or_none()


def draw_confirmed(user: User, task: Task, drawn: int) -> int:
    """开展双随机检查 done for the rules whose objects went into ``task``, once its object draw is
    confirmed; a task without an extraction is left alone."""
    extraction = extraction_of(task)
    if extraction is None:
        return 0
    done = 0
    for rule in db.session.execute(
        select(TriggerRule).where(TriggerRule.extraction_id == extraction.id).order_by(TriggerRule.id)
    ).scalars():
        inst = active_instance(rule)
        if inst is None or inst.current_step != INSPECT_STEP:
            continue
        items = [i for i in inst.work_items if i.step_key == INSPECT_STEP and i.status == WorkItemStatus.OPEN
                 and engine.can_act(user, i)]
        if not items:
            continue
        engine.advance(user, inst, INSPECT_STEP, "next",
                       comment=f"抽查任务“{task.name}”已抽取检查对象{drawn}户，开展双随机检查")
        done += 1
    return done


def rule_task(rule: TriggerRule) -> Task | None:
    """The task the rule's current instance extracted into, if any."""
    if rule.extraction_id is None:
        return None
    extraction = db.session.get(TriggerExtraction, rule.extraction_id)
    return extraction and db.session.get(Task, extraction.task_id)


def open_objects(department_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(TriggerObject)
        .where(TriggerObject.department_id == department_id, TriggerObject.status == "open")
    ).scalar_one()
