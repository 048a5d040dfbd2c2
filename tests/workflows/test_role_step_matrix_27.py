"""Role × step matrix of 表27 信用沙盒触发式监管 (services/sandbox): one instance per clue of district
A's sandbox.  监管部门 (its clerks and leaders) builds the library and the item list; the platform
monitors, pushes and messages; the 第三方合作机构 of the department tells the entity and reports its
整改 (the entity's own steps, 整改 and 反馈给第三方合作机构, are reported by the partner: 市场主体
have no accounts).  Written out by hand from the standard's 角色 column."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import SandboxClue, db
from models.roles import Role
from models.workflow import WorkItemStatus
from services.sandbox import clues, monitor
from tests.factories.clock import freeze
from tests.factories.risk import TODAY
from tests.factories.sandbox import Sandbox
from workflows import bindings, engine
from workflows.registry import PROCESSES

USERS = ("clerk_a", "leader_a", "section_clerk_a", "inspector_a", "office_user", "clerk_b", "leader_b", "partner",
         "partner_b", "plain_client", "entity_partner_elsewhere")
DEPT = {"clerk_a", "leader_a"}
EXPECTED: dict[str, set[str]] = {
    "entities": DEPT,
    "items": DEPT,
    "tell": {"partner"},
    "rectify": {"partner"},
    "feedback_partner": {"partner"},
    "feedback_platform": {"partner"},
}
WALK = [("entities", "clerk_a"), ("items", "clerk_a"), ("tell", "partner"), ("rectify", "partner"),
        ("feedback_partner", "partner"), ("feedback_platform", "partner")]


@pytest.fixture()
def people(org, make_user, monkeypatch):
    freeze(monkeypatch)
    box = Sandbox(org, make_user)
    org.partner, org.partner_b = box.partner, box.partner_b
    org.plain_client = make_user(org.bureau_a, Role.API_CLIENT, name="普通接口调用方")
    org.entity_partner_elsewhere = make_user(org.health_a, Role.API_CLIENT, Role.PARTNER, name="卫健合作机构")
    box.triggered()
    box.item()
    monitor.evaluate(db.session, today=TODAY)
    org.clue = db.session.execute(select(SandboxClue)).scalar_one()
    return org


def _walk(org, step):
    inst = engine.start(27, org.clerk_a, title="矩阵信用沙盒", subject_type=clues.SUBJECT, subject_id=org.clue.id)
    for key, actor in WALK:
        if inst.current_step == step:
            break
        user = getattr(org, actor)
        item = next(i for i in inst.work_items
                    if i.step_key == key and i.status == WorkItemStatus.OPEN and engine.can_act(user, i))
        inst = engine.complete(user, item.id, "next", version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_who_may_act_in_table_27(people, step):
    org = people
    inst = _walk(org, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    assert items
    actors = {name for name in USERS if any(engine.can_act(getattr(org, name), i) for i in items)}
    assert actors == EXPECTED[step]
    for name in USERS:
        in_inbox = any(i in engine.inbox(getattr(org, name)) for i in items)
        assert in_inbox == (name in EXPECTED[step]), name


def test_table_27_matrix_covers_every_step_and_the_platform_does_the_rest():
    process = PROCESSES[27]
    assert {s.key for s in process.steps if not s.automatic} == set(EXPECTED)
    assert {s.key for s in process.steps if s.automatic} == {"monitor", "push", "sms"}


def test_every_step_is_bound_to_a_business_page_or_an_api_call(app):
    pages = {s.key: bindings.page_of(27, s.key) for s in PROCESSES[27].steps}
    assert pages == {
        "entities": "sandbox.library", "items": "sandbox.items", "monitor": None, "push": None, "sms": None,
        "tell": "api.post_sandbox_clues_id_told", "rectify": "api.post_sandbox_clues_id_feedback",
        "feedback_partner": "api.post_sandbox_clues_id_feedback",
        "feedback_platform": "api.post_sandbox_clues_id_feedback",
    }
    assert all(bindings.is_business_step(27, k) for k in EXPECTED)
