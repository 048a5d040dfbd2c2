"""`flask --app app processes --json` and `flask demo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from infrastructure.passwords import policy_errors, verify_password
from models import Department, User, UserRole
from models.org import DepartmentKind
from models.roles import Role

ROOT = Path(__file__).resolve().parents[1]


def test_processes_json_in_a_real_process():
    """The exact command of the issue, run as a user would (it needs no database)."""
    env = {**os.environ, "ZHJG_INSTANCE": str(ROOT / "instance")}
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "processes", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    data = json.loads(out)
    assert [p["table"] for p in data] == [t for t in range(3, 35) if t != 26]
    for p in data:
        assert set(p) == {"table", "section", "title", "lanes", "steps"}
        assert isinstance(p["section"], str) and p["title"].endswith("流程")
        assert all(set(s) == {"name", "lane"} for s in p["steps"])
        assert all(isinstance(lane, str) and lane for lane in p["lanes"])
        for step in p["steps"]:
            for lane in step["lane"].split("、"):
                assert lane in p["lanes"]
    joint = next(p for p in data if p["table"] == 12)
    assert {"name": "审定新增依据", "lane": "联席会议办公室"} in joint["steps"]
    assert "联系会议办公室" not in out


def test_processes_plain_listing(app):
    result = app.test_cli_runner().invoke(args=["processes"])
    assert result.exit_code == 0
    assert "表34\t图31\t14\t企业送达信息共享业务流程" in result.output


def test_demo_is_idempotent_and_covers_every_role(app, session):
    from cli.demo import USERS, load_demo

    created = load_demo()
    assert len(created) == len(USERS)
    again = load_demo()
    assert again == []
    assert session.scalar(select(func.count()).select_from(User).where(User.account == "wangxy")) == 1
    roles = set(session.scalars(select(UserRole.role)))
    assert roles >= {str(r) for r in Role if r != Role.PARTNER}
    offices = session.scalars(select(Department).where(Department.kind == DepartmentKind.CONFERENCE_OFFICE)).all()
    assert len(offices) == 1
    stations = session.scalars(select(Department).where(Department.name.like("%市场监管所"))).all()
    assert len(stations) == 3
    court = session.scalars(select(User).where(User.account == "court_api")).one()
    assert court.has_role(Role.API_CLIENT)
    from models import CheckItem, ItemCategory, ItemKind, Publication

    # a city list and a district list (8 single items) and two joint items
    demo_items = session.scalars(select(CheckItem).where(CheckItem.kind == ItemKind.SINGLE)).all()
    assert len(demo_items) == 8 and {i.category for i in demo_items} == set(ItemCategory)
    assert sum(1 for i in demo_items if i.source_id) == 1
    assert sum(1 for i in demo_items if i.assigned_department_id) == 1
    single = select(func.count()).select_from(Publication).where(Publication.list_type == "单部门")
    assert session.scalar(single) == 8  # 7 added + 1 edit
    from cli.demo import DEMO_LIBRARIES
    from models import ObjectLibrary
    from models.library import LibrarySource

    # the two demo libraries, by filter and by an A.4.1 workbook (the import framework)
    libraries = {lib.name: lib for lib in session.scalars(select(ObjectLibrary))}
    assert set(libraries) == set(DEMO_LIBRARIES)
    by_template = libraries[DEMO_LIBRARIES[1]]
    assert by_template.source == LibrarySource.TEMPLATE and by_template.member_count == 2
    from models import FlexReport, ReportAssignment, ReportSubmission

    # 灵活报表: one monthly report assigned two levels down, partly reported (services/reports/demo.py)
    report = session.scalars(select(FlexReport)).one()
    assert session.scalar(select(func.count()).select_from(ReportAssignment).where(
        ReportAssignment.parent_id.is_not(None))) == 1
    states = {s.state_label for s in session.scalars(select(ReportSubmission).where(
        ReportSubmission.report_id == report.id))}
    assert states == {"正常报", "延迟报", "未报"}
    for row in created:
        assert policy_errors(row.password) == []
        user = session.scalars(select(User).where(User.account == row.account)).one()
        assert user.must_change_password
        assert verify_password(user.password_hash, row.password)


def test_demo_reset_passwords(app, session):
    from cli.demo import load_demo

    load_demo()
    reset = load_demo(reset_passwords=True)
    user = session.scalars(select(User).where(User.account == reset[0].account)).one()
    assert verify_password(user.password_hash, reset[0].password)


def test_demo_command_prints_sign_ins(app, session):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0
    assert "wangxy" in result.output and "王晓燕" in result.output and "初始密码" in result.output
    result = app.test_cli_runner().invoke(args=["demo"])
    assert "演示数据已存在" in result.output


def test_demo_carries_the_plan_to_a_dispatched_task_in_the_inspectors_inbox(app, session):
    from cli.demo import load_demo
    from models import Draw, Scheme, Task, TaskObject, TaskStatus, TeamMember, WorkItem
    from models.schemes import SchemeStatus
    from models.workflow import WorkItemStatus
    from services import object_draws

    load_demo()
    task = session.scalars(select(Task).order_by(Task.id)).first()
    assert task.status == TaskStatus.DISPATCHED
    assert task.scheme.status == SchemeStatus.APPROVED and task.scheme.reviewed_by.account == "lijg"
    drawn = object_draws.current_draw(task)
    assert drawn is not None and drawn.result_size > 0
    assert object_draws.verify_draw(drawn).matches
    import json  # the demo scheme weights its draw by 风险库 hits (docs/draws.md)

    assert task.scheme.risk_weight == 2 and json.loads(drawn.params)["risk_weight"] == 2
    members = session.scalars(select(TeamMember).where(TeamMember.task_id == task.id, TeamMember.active)).all()
    assert len(members) == 2 and sum(1 for m in members if m.role.value == "leader") == 1
    inspect = session.scalars(select(WorkItem).where(WorkItem.status == WorkItemStatus.OPEN,
                                                    WorkItem.step_key == "inspect")).all()
    assert {m.inspector.user_id for m in members} <= {w.user_id for w in inspect}
    # each drawn inspector signs in and finds the task in 我的待办
    from tests.conftest import sign_in

    for m in members:
        client = sign_in(app.test_client(), m.inspector.user)
        assert task.name in client.get("/inbox").get_data(as_text=True)
    counts = [session.scalar(select(func.count()).select_from(t)) for t in (Scheme, Draw, TaskObject, TeamMember)]
    load_demo()
    assert [session.scalar(select(func.count()).select_from(t)) for t in (Scheme, Draw, TaskObject, TeamMember)] == counts
def test_demo_has_both_conferences_with_members_documents_and_a_meeting(app, session):
    from cli.demo import load_demo
    from models.conference import Conference, ConferenceMeeting, DocumentStatus, OfficialDocument
    from workflows import engine

    load_demo()
    load_demo()  # idempotent: nothing twice
    conferences = session.scalars(select(Conference).order_by(Conference.id)).all()
    assert [c.name for c in conferences] == [
        "成华区部门联合“双随机、一公开”监管联席会议", "成华区打击传销与无证无照经营联席会议"]
    assert all(c.office.kind == DepartmentKind.CONFERENCE_OFFICE for c in conferences)
    assert len(conferences[0].active_members) == 8 and len(conferences[1].active_members) == 6
    liaisons = {m.liaison.account for m in conferences[0].active_members if m.liaison}
    assert liaisons == {"songy", "zhoulh", "qianm", "huy", "huangt"}
    documents = session.scalars(select(OfficialDocument)).all()
    # the two conferences' documents and the 年度工作要点通知 of the 无证无照经营综合治理 (表24)
    assert len(documents) == 3 and all(d.status == DocumentStatus.PUBLISHED and d.version == 1 for d in documents)
    meeting = session.scalars(select(ConferenceMeeting)).one()
    assert meeting.minutes and len(meeting.attendees) == 8
    zhoulh = session.scalars(select(User).where(User.account == "zhoulh")).one()
    assert sum(1 for i in engine.inbox(zhoulh) if i.process_table == 33) == 3  # 签收公文信息, every document
    from models import UnlicensedCycle

    cycle = session.scalars(select(UnlicensedCycle)).one()
    assert [u.plan_reported_at is not None for u in cycle.units].count(True) == 5  # 消防救援大队 has no liaison
