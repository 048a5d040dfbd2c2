"""Role × step matrix of 表34 企业送达信息共享 (services/court): every step is the 市法院's, done by
its interface account (接口调用方) through /api/v1 — 获取 by ``GET /court/entity``, 进行案件送达 and
反馈 by ``POST /court/feedback``.  Nobody else acts: not the staff of the court account's
department, not another district's interface account.  Written out from the standard's 角色 column."""

from __future__ import annotations

import pytest

from models.roles import Role
from models.workflow import WorkItemStatus
from services.court.sharing import SUBJECT
from workflows import bindings, engine
from workflows.registry import PROCESSES

USERS = ("court", "court_b", "health_clerk", "clerk_a", "leader_a", "inspector_a", "office_user", "sysadmin")
EXPECTED = {"fetch": {"court"}, "serve": {"court"}, "feedback": {"court"}}
PATH = ("fetch", "serve", "feedback")
PAGES = {"fetch": "api.get_court_entity", "serve": "api.post_court_feedback", "feedback": "api.post_court_feedback"}


@pytest.fixture()
def people(org, make_user, session):
    org.court = make_user(org.health_a, Role.API_CLIENT, name="市法院接口")
    org.court_b = make_user(org.bureau_b, Role.API_CLIENT, name="乙区接口")
    return org


def _walk(org, step):
    inst = engine.start(34, org.court, title="矩阵送达", subject_type=SUBJECT, subject_id=None)
    for key in PATH:
        if inst.current_step == step:
            break
        item = next(i for i in inst.work_items if i.step_key == key and i.status == WorkItemStatus.OPEN)
        inst = engine.complete(org.court, item.id, "next", version=item.version)
    assert inst.current_step == step
    return inst


@pytest.mark.parametrize("step", PATH)
def test_who_may_act_in_table_34(people, step):
    org = people
    inst = _walk(org, step)
    items = [i for i in inst.work_items if i.step_key == step and i.status == WorkItemStatus.OPEN]
    assert items
    actors = {name for name in USERS if any(engine.can_act(getattr(org, name), i) for i in items)}
    assert actors == EXPECTED[step]


def test_only_the_court_starts_table_34(people):
    org = people
    assert {n for n in USERS if engine.can_start(getattr(org, n), PROCESSES[34])} == {"court", "court_b"}


def test_each_step_is_done_by_the_courts_call(app):
    for step in PROCESSES[34].steps:
        assert bindings.page_of(34, step.key) == PAGES[step.key]


def test_table_34_matrix_covers_every_step():
    assert {s.key for s in PROCESSES[34].steps if not s.automatic} == set(EXPECTED) == set(PATH)
