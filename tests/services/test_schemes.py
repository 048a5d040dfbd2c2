"""Schemes (services/schemes.py): 表20/表22 制定方案 → 审核方案可行性 (→ 公示方案), grade-ratio
defaults, visibility of tasks, stale forms."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from infrastructure.errors import Conflict, Forbidden
from models import GradeRatio, Publication, TaskStatus
from models.items import ItemCategory
from models.schemes import SchemeStatus
from services import publication, schemes, task_access
from tests.factories.tasks import approved, make_task, scheme_form
from workflows.errors import NotAllowed


def test_single_scheme_is_written_submitted_returned_and_approved(org, session):
    task = make_task(org.bureau_a)
    scheme = schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=task.lock_version, submit=False)
    session.commit()
    inst = task_access.instance_of(task)
    assert inst.process_table == 20 and inst.subject_type == "task" and inst.subject_id == task.id
    assert inst.current_step == "scheme" and task.status == TaskStatus.SCHEME
    assert json.loads(scheme.ratios) == {"A": "10", "B": "20", "C": "30", "D": "50", "E": "100", "-": "30"}
    schemes.save_scheme(org.clerk_a, task, scheme_form(title="改过的方案"), lock_version=scheme.lock_version,
                        submit=True, scheme_id=scheme.id)
    session.commit()
    assert inst.current_step == "review_scheme" and scheme.status == SchemeStatus.REVIEW
    with pytest.raises(schemes.SchemeInvalid, match="退回修改须填写理由"):
        schemes.review_scheme(org.leader_a, task, lock_version=scheme.lock_version, approve=False)
    schemes.review_scheme(org.leader_a, task, lock_version=scheme.lock_version, approve=False,
                          comment="抽查比例过低")
    session.commit()
    assert inst.current_step == "scheme" and schemes.return_reason(task) == "抽查比例过低"
    schemes.save_scheme(org.clerk_a, task, scheme_form(ratio_A="15"), lock_version=scheme.lock_version, submit=True,
                        scheme_id=scheme.id)
    schemes.review_scheme(org.leader_a2, task, lock_version=scheme.lock_version, approve=True)
    session.commit()
    assert scheme.status == SchemeStatus.APPROVED and task.status == TaskStatus.DRAWING
    assert inst.current_step == "draw_objects" and schemes.return_reason(task) == ""
    assert session.query(Publication).filter_by(subject_type="scheme").count() == 0  # 表20 公示 nothing


def test_joint_scheme_is_published_with_its_participants(org, session):
    task = make_task(org.bureau_a, joint=True, participants=(org.health_a,))
    approved(task, org.clerk_a, org.leader_a)
    inst = task_access.instance_of(task)
    assert inst.process_table == 22 and inst.current_step == "draw_objects"
    assert {(p.department_id, p.relation) for p in inst.parties} >= {(org.health_a.id, "participant")}
    pub = session.execute(publication.current("scheme")).scalars().one()
    payload = publication.payload_of(pub)
    assert payload["方案名称"] == task.scheme.title and payload["检查内容"].startswith("检查食品")
    assert "甲区卫生健康局" in payload["参与部门"]
    # no ratio per grade: beside the public drawn list it would tell grades (docs/draws.md)
    assert payload["抽查比例"] == schemes.PUBLIC_RATIO_TEXT and "类10%" not in json.dumps(payload, ensure_ascii=False)
    assert [h.step_key for h in inst.history if h.action == "auto"] == ["publish_scheme"]


def test_sensitive_scheme_is_published_selectively(org, session):
    task = make_task(org.bureau_a, joint=True, participants=(org.health_a,))
    approved(task, org.clerk_a, org.leader_a, sensitive="1")
    payload = publication.payload_of(session.execute(publication.current("scheme")).scalars().one())
    assert set(payload) == {"方案名称", "发起部门", "抽查时间", "公示方式"}
    assert "检查内容" not in payload and "抽查比例" not in payload


def test_joint_scheme_needs_a_participant(org, session):
    task = make_task(org.bureau_a, joint=True)
    with pytest.raises(Exception, match="请至少选择一个参与部门"):
        schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=task.lock_version, submit=False)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "请填写方案名称"),
        ("content", "", "请填写检查内容"),
        ("methods", [], "请选择检查方式"),
        ("ratio_B", "101", "B类抽查比例应为0到100之间的数字"),
        ("ratio_-", "-1", "未分级抽查比例应为0到100之间的数字"),
        ("ratio_C", "", "请填写C类抽查比例"),
        ("scope", "directed", "定向抽取须至少填写一项筛选条件"),
        ("filter_division", "51x", "行政区划代码应为不超过12位的数字"),
    ],
)
def test_bad_scheme_input_is_refused_and_nothing_is_written(org, session, field, value, message):
    task = make_task(org.bureau_a)
    form = scheme_form(**{field: value})
    if field == "filter_division":
        form["scope"] = "directed"
    with pytest.raises(schemes.SchemeInvalid, match=message) as err:
        schemes.save_scheme(org.clerk_a, task, form, lock_version=task.lock_version, submit=True)
    assert err.value.status == 422
    session.rollback()
    assert task.scheme is None and task_access.instance_of(task) is None


def test_general_items_ratio_cap(org, session):
    task = make_task(org.bureau_a, category=ItemCategory.GENERAL, ratio_cap="5")
    with pytest.raises(schemes.SchemeInvalid, match="E类抽查比例100%超过该一般检查事项的比例上限5%"):
        schemes.save_scheme(org.clerk_a, task, scheme_form(ratio_A="1", ratio_B="2", ratio_C="3", ratio_D="4",
                                                             ratio_E="100", **{"ratio_-": "3"}),
                            lock_version=task.lock_version, submit=False)
    # the prefilled form already respects the cap
    values = schemes.scheme_values(task, None)
    assert values["ratio_E"] == "5" and values["ratio_A"] == "1"


def test_only_the_task_departments_clerk_writes_and_only_a_leader_reviews(org, session):
    task = make_task(org.bureau_a)
    with pytest.raises(Forbidden):
        schemes.save_scheme(org.section_clerk_a, task, scheme_form(), lock_version=task.lock_version, submit=False)
    scheme = schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=task.lock_version, submit=True)
    session.commit()
    with pytest.raises(NotAllowed):
        schemes.review_scheme(org.clerk_a, task, lock_version=scheme.lock_version, approve=True)
    with pytest.raises(NotAllowed):
        schemes.review_scheme(org.leader_b, task, lock_version=scheme.lock_version, approve=True)


def test_stale_forms_are_409(org, session):
    task = make_task(org.bureau_a)
    old = task.lock_version
    scheme = schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=old, submit=False)
    session.commit()
    with pytest.raises(Conflict):  # a second "new scheme" form
        schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=old, submit=False)
    version = scheme.lock_version
    schemes.save_scheme(org.clerk_a, task, scheme_form(title="第一次"), lock_version=version, submit=False,
                        scheme_id=scheme.id)
    session.commit()
    with pytest.raises(Conflict):
        schemes.save_scheme(org.clerk_a, task, scheme_form(title="第二次"), lock_version=version, submit=False,
                            scheme_id=scheme.id)
    session.rollback()
    assert task.scheme.title == "第一次"
    schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=task.scheme.lock_version, submit=True,
                        scheme_id=scheme.id)
    session.commit()
    with pytest.raises(Conflict):  # no longer at 制定方案
        schemes.save_scheme(org.clerk_a, task, scheme_form(), lock_version=task.scheme.lock_version, submit=True,
                            scheme_id=scheme.id)


def test_grade_ratio_defaults_prefill_and_warn(org, session):
    warnings = schemes.save_grade_ratios(
        org.clerk_a, {"ratio_A": "5", "ratio_B": "2", "ratio_C": "3", "ratio_D": "4", "ratio_E": "80", "ratio_-": "3"}
    )
    session.commit()
    assert warnings and "A类抽查比例（5%）高于B类（2%）" in warnings[0]
    assert session.query(GradeRatio).filter_by(department_id=org.bureau_a.id).count() == 6
    task = make_task(org.bureau_a)
    assert schemes.scheme_values(task, None)["ratio_E"] == "80"
    # a section below the bureau inherits the bureau's defaults; elsewhere the built-in ones
    assert schemes.default_ratios(org.section_a)["A"] == Decimal("5")
    assert schemes.default_ratios(org.bureau_b) == schemes.BUILTIN_RATIOS
    with pytest.raises(schemes.SchemeInvalid, match="E类抽查比例应为0到100之间的数字"):
        schemes.save_grade_ratios(org.clerk_a, {**{f"ratio_{s}": "1" for s in schemes.STRATA}, "ratio_E": "120"})
    with pytest.raises(Forbidden):
        schemes.save_grade_ratios(org.inspector_a, {f"ratio_{s}": "1" for s in schemes.STRATA})


def test_tasks_are_visible_to_their_department_and_participants_only(org, session):
    task = make_task(org.bureau_a, joint=True, participants=(org.health_a,))
    other = make_task(org.bureau_b)

    def sees(user, found):
        return found in session.execute(task_access.tasks_query(user)).scalars().all()

    assert sees(org.clerk_a, task) and sees(org.health_clerk, task)
    assert not sees(org.safety_clerk, task) and not sees(org.clerk_b, task) and not sees(org.clerk_a, other)
    ids = [t.id for t in session.execute(task_access.tasks_query(org.clerk_a, "new")).scalars()]
    assert task.id in ids and other.id not in ids
