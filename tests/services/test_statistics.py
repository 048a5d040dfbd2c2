"""抽查统计: drawn, inspected, published and overdue results per plan, task and 填报部门; the
result categories; the scope; a year missing from the holiday table."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from infrastructure.errors import Invalid
from models import Plan, RecordStatus, db
from models.inspections import ResultCategory
from services import statistics
from tests.factories.deadlines import dispatched_task, objects_of, record

ON = date(2026, 11, 5)  # the task ending 30 September is due 3 November: overdue


@pytest.fixture()
def two_tasks(session, org):
    joint = dispatched_task(org, objects=3, end=date(2026, 9, 30), participants=(org.health_a,), name="联合任务")
    objs = objects_of(joint)
    record(joint, objs[0], org.bureau_a)  # published
    record(joint, objs[1], org.bureau_a, RecordStatus.SUBMITTED, ResultCategory.ORDERED)
    record(joint, objs[2], org.bureau_a, RecordStatus.DRAFT)
    record(joint, objs[0], org.health_a, RecordStatus.PUBLISHED, ResultCategory.ORDERED)
    later = dispatched_task(org, objects=2, end=date(2026, 10, 30), name="后续任务")
    record(later, objects_of(later)[0], org.bureau_a, RecordStatus.APPROVED)
    other = dispatched_task(org, objects=2, end=date(2026, 9, 30), department=org.bureau_b, name="乙区任务")
    return joint, later, other


def _by_name(rep):
    return {r.name: r.values() for r in rep.rows}


def test_per_department(session, org, two_tasks):
    rep = statistics.report(org.clerk_a, statistics.Filters("department"), ON)
    # bureau_a: joint 3 objects (1 published, 1 submitted, 1 draft) + later 2 (1 approved);
    # overdue: the joint task's 2 unpublished.  health_a: joint 3 objects, 1 published, 2 overdue.
    assert _by_name(rep) == {"甲区市场监督管理局": (5, 5, 3, 1, 2), "甲区卫生健康局": (3, 3, 1, 1, 2)}
    assert rep.total.values() == (5, 8, 4, 2, 4)
    assert dict(rep.categories) == {"发现问题依法责令改正": 2, "未发现问题": 2}
    assert rep.calendar_error == ""


def test_per_task_and_plan(session, org, two_tasks):
    joint, later, _ = two_tasks
    rep = statistics.report(org.leader_a, statistics.Filters("task"), ON)
    assert _by_name(rep) == {"联合任务": (3, 6, 3, 2, 4), "后续任务": (2, 2, 1, 0, 0)}
    rep = statistics.report(org.leader_a, statistics.Filters("plan", plan_id=joint.plan_id), ON)
    assert [r.values() for r in rep.rows] == [(3, 6, 3, 2, 4)]
    rep = statistics.report(org.leader_a, statistics.Filters("plan", year=2027), ON)
    assert rep.rows == [] and rep.total.values() == (0, 0, 0, 0, 0)


def test_scope_and_department_filter(session, org, two_tasks):
    rep = statistics.report(org.clerk_b, statistics.Filters("task"), ON)
    assert _by_name(rep) == {"乙区任务": (2, 2, 0, 0, 2)}
    rep = statistics.report(org.clerk_a, statistics.Filters("task", department_id=org.health_a.id), ON)
    assert _by_name(rep) == {"联合任务": (3, 3, 1, 1, 2)}
    # Another district's department only narrows what the user sees anyway: nothing.
    assert statistics.report(org.clerk_a, statistics.Filters("task", department_id=org.bureau_b.id), ON).rows == []
    with pytest.raises(Invalid):
        statistics.report(org.clerk_a, statistics.Filters("task", department_id=10**8), ON)
    # A section clerk sees the tasks its subtree reports or runs: none here.
    assert statistics.report(org.section_clerk_a, statistics.Filters(), ON).rows == []


def test_uncovered_year_leaves_the_other_figures(session, org, two_tasks):
    rep = statistics.report(org.clerk_a, statistics.Filters("department"), date(2027, 2, 1))
    assert rep.calendar_error.startswith("2027年的节假日安排尚未录入")
    assert _by_name(rep)["甲区卫生健康局"] == (3, 3, 1, 1, None)


def test_one_query_per_figure(app, session, org, two_tasks):
    for _ in range(3):
        dispatched_task(org, objects=2)
    statements = []

    def count(conn, cursor, statement, *args):
        if "task_object" in statement:
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        statistics.report(org.clerk_a, statistics.Filters("task"), ON)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2  # task × department (table and totals), the categories


def test_parse_filters():
    assert statistics.parse_filters({"group": "plan", "year": "2026"}).year == 2026
    for bad in ({"group": "x"}, {"year": "abc"}, {"year": "1999"}, {"plan": "1; drop"}):
        with pytest.raises(Invalid):
            statistics.parse_filters(bad)


def test_plan_list_is_scoped(session, org, two_tasks):
    departments, plans = statistics.filter_choices(org.clerk_b, statistics.Filters())
    assert {p.department_id for p in plans} == {org.bureau_b.id}
    assert {d.name for d in departments} == {"乙区市场监督管理局"}
    departments, _ = statistics.filter_choices(org.clerk_a, statistics.Filters())
    assert "甲区卫生健康局" in {d.name for d in departments}  # reports on bureau A's joint task
    assert "乙区市场监督管理局" not in {d.name for d in departments}
    assert all(isinstance(p, Plan) for p in plans)
