"""workflows/subjects.py: a subject's instances, its latest (active) instance and the user's steps."""

from __future__ import annotations

from models.workflow import InstanceStatus, WorkItemStatus
from services import plan_elements, plan_queries, plans
from tests.factories.plans import PDF, YEAR, elements, joint_item
from workflows import engine, subjects


def test_instances_latest_and_open_steps(session, org):
    item = joint_item(org.bureau_a, org.health_a, org.safety_a)
    plan = plans.create_joint(org.clerk_a, elements(name="联合计划"), [item.id])
    other = plans.create_single(org.clerk_a, {"name": "单部门计划", "year": YEAR, "plan_type": "annual"},
                                plan_elements.Upload("计划.pdf", PDF))
    inst = subjects.latest_instance("plan", plan.id)
    assert inst is not None and inst.subject_id == plan.id and inst.process_table == 21
    assert subjects.instances("plan", plan.id) == [inst]
    assert subjects.latest_instance("plan", plan.id, tables=(19,)) is None
    assert subjects.latest_instance("plan", other.id, tables=(19,)).subject_id == other.id
    assert subjects.latest_instance("plan", plan.id, active=True) == inst

    steps = subjects.open_steps(org.clerk_a, inst, plan_queries.BUSINESS_STEPS)
    assert list(steps) == [inst.current_step] and steps[inst.current_step].status == WorkItemStatus.OPEN
    assert subjects.open_steps(org.clerk_b, inst, plan_queries.BUSINESS_STEPS) == {}  # another district
    assert subjects.open_steps(org.clerk_a, None, plan_queries.BUSINESS_STEPS) == {}

    engine.terminate(org.clerk_a, inst, "测试终止")
    session.flush()
    assert inst.status == InstanceStatus.TERMINATED
    assert subjects.latest_instance("plan", plan.id) == inst
    assert subjects.latest_instance("plan", plan.id, active=True) is None
    assert subjects.open_steps(org.clerk_a, inst, plan_queries.BUSINESS_STEPS) == {}
