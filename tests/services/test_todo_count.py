"""The header count (我的待办): every kind of waiting work, asked as one statement."""

from __future__ import annotations

from datetime import date

from services import followup_clues
from services import followups as svc
from services.deadlines import remind, reminder_count
from services.todo_count import todo_count
from tests.conftest import recorded_statements, sign_in
from tests.factories.deadlines import dispatched_task
from tests.factories.followups import published_record
from workflows import engine


def test_header_count_adds_every_kind_of_todo_in_one_statement(org, session, client):
    record = published_record(org)
    followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="后厨卫生许可证过期")
    svc.request_correction(org.clerk_a, record, values={"result": "no_problem"}, reason="录入时误选检查结果",
                           base_version=1)
    dispatched_task(org, objects=1, end=date(2026, 9, 30))
    remind(date(2026, 11, 4))  # overdue: a reminder for the bureau's clerk and leader
    engine.start(20, org.clerk_a, title="方案审核")  # a work item waiting for the clerk
    session.commit()
    expected = {}
    for user in (org.clerk_a, org.leader_a, org.health_clerk, org.clerk_b):
        expected[user.name] = engine.inbox_count(user) + svc.waiting_for(user).count + reminder_count(user)
        with recorded_statements() as seen:
            assert todo_count(user) == expected[user.name]
        assert len(seen) == 1, seen
    assert expected == {"王晓燕": 2, "李建国": 2, "赵敏": 1, "乙区经办人": 0}
    sign_in(client, org.leader_a)
    assert client.get("/inbox/count").get_data(as_text=True) == "2"
    sign_in(client, org.clerk_b)
    assert client.get("/inbox/count").get_data(as_text=True) == ""


def test_a_signed_in_request_reads_user_roles_and_session_in_one_statement(org, session, client):
    sign_in(client, org.clerk_a)
    with recorded_statements() as seen:
        assert client.get("/processes/12").status_code == 200  # the swimlane page reads nothing else
    assert len(seen) == 1, seen
