"""Grades stay private (seed 002 五(二)): no public page or feed names a drawn entity with its
stratum or grade, or publishes the seed, quotas or ratios per grade that would, with the drawn
list, reveal it (docs/draws.md).  The full record is for 审计员 and the task's departments."""

from __future__ import annotations

import json
import re

import pytest

from models import Draw, Publication, TaskObject, db
from services import object_draws as draws
from services import publication
from services import schemes as scheme_service
from tests.factories.tasks import approved, fill_directory, make_task

GRADES = {"A": 6, "B": 5, "C": 4, "D": 3, "E": 2, "-": 3}
# a grade or stratum label, a ratio or quota per grade, an opaque stratum label
GRADE_MARKS = re.compile(r"[A-E]类|未分级|信用风险分类[：:]|S[1-6]\b|\"(grade|stratum|quotas|strata_quotas)\"")


@pytest.fixture()
def drawn(org, session):
    """A published joint scheme (A 10 % … E 100 %) and its locked draw."""
    task = make_task(org.bureau_a, joint=True, participants=(org.health_a,))
    fill_directory(task, GRADES)
    approved(task, org.clerk_a, org.leader_a)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    return row


def _public_responses(client, row: Draw) -> dict[str, str]:
    scheme_id = row.task.scheme.id
    urls = [f"/public/draws/{row.id}", f"/public/draws/{row.id}.json", "/public/schemes",
            f"/public/schemes/{scheme_id}", "/public/items.json", "/public/items.csv", "/public/plans",
            "/public/plans.json", "/public/results", "/public/results.json"]
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = response.get_data(as_text=True)
    return out


def test_no_public_page_or_feed_tells_a_drawn_entitys_grade(client, org, drawn):
    objects = db.session.query(TaskObject).filter_by(task_id=drawn.task_id).all()
    assert {o.grade for o in objects} >= {"E", "A"}  # E drawn at 100 %: the grade most at risk
    names = draws.describe_keys(o.key for o in objects)
    pages = _public_responses(client, drawn)
    draw_page = pages[f"/public/draws/{drawn.id}"]
    for key, (name, code, _address) in names.items():
        assert name in draw_page and code in draw_page and key in draw_page  # the list is public
    for url, text in pages.items():
        assert not GRADE_MARKS.search(text), (url, GRADE_MARKS.search(text))
        assert drawn.seed not in text and drawn.salt not in text, url  # the seed gives each key's rank
        assert drawn.population_digest not in text, url  # unsalted: guessable for a small directory
    # the ratios per grade are not on the public scheme, neither is any quota on the draw page
    assert scheme_service.PUBLIC_RATIO_TEXT in pages[f"/public/schemes/{drawn.task.scheme.id}"]
    for ratio in ("10%", "20%", "30%", "50%", "100%"):
        assert ratio not in pages[f"/public/schemes/{drawn.task.scheme.id}"]
    record = json.loads(pages[f"/public/draws/{drawn.id}.json"])
    assert "population" not in record and "result" not in record and "seed" not in record
    assert record["drawn_keys"] == sorted(o.key for o in objects)  # key order, not rank order


def test_the_drawn_list_is_in_key_order_not_grouped_by_stratum(client, drawn):
    page = client.get(f"/public/draws/{drawn.id}").get_data(as_text=True)
    shown = re.findall(r"<code>((?:entity|place|product):\d+)</code>", page)
    stored = json.loads(drawn.result)
    assert shown == sorted(k for keys in stored.values() for k in keys)
    assert shown != [k for keys in stored.values() for k in keys]  # stored: stratum by stratum


def test_an_old_scheme_publication_is_shown_without_its_ratios_per_grade(client, org, drawn):
    scheme = drawn.task.scheme
    old = dict(publication.payload_of(publication.history("scheme", scheme.id)[-1]))
    old["抽查比例"] = "A类10%、B类20%、C类30%、D类50%、E类100%、未分级30%"  # as published before
    publication.publish("scheme", scheme.id, title=scheme.title, payload=old, department_id=drawn.task.department_id)
    db.session.commit()
    assert db.session.query(Publication).filter_by(subject_type="scheme", subject_id=scheme.id).count() == 2
    for url in ("/public/schemes", f"/public/schemes/{scheme.id}"):
        text = client.get(url).get_data(as_text=True)
        assert not GRADE_MARKS.search(text) and "E类100%" not in text, url


def test_the_full_record_is_for_the_entitled_only(client, login, org, drawn):
    url = f"/tasks/draws/{drawn.id}/record.json"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(org.inspector_a)
    assert client.get(url).status_code == 403  # a plain inspector never gets grades
    login(org.clerk_b)
    assert client.get(url).status_code == 404  # another district
    login(org.auditor_b)
    assert client.get(url).status_code == 404
    for user in (org.health_clerk, org.auditor):
        login(user)
        response = client.get(url)
        assert response.status_code == 200, user.name
        record = json.loads(response.data)
        assert record["seed"] == drawn.seed and record["salt"] == drawn.salt
        assert {s for _, s, _ in record["population"]} == set(GRADES)
    login(org.clerk_a)
    page = client.get(f"/tasks/{drawn.task_id}").get_data(as_text=True)
    assert drawn.seed in page and url in page


def test_a_plain_inspector_sees_neither_seed_nor_grouping(client, login, org, drawn):
    from models import TeamMember, TeamRole
    from tests.factories.teams import make_inspector

    member = make_inspector(org.station_a, "站所执法人员")
    db.session.add(TeamMember(task_id=drawn.task_id, department_id=org.bureau_a.id, inspector_id=member.id,
                              role=TeamRole.MEMBER))
    db.session.commit()
    login(member.user)
    html = client.get(f"/tasks/{drawn.task_id}").get_data(as_text=True)
    assert drawn.seed not in html and drawn.population_digest not in html and "record.json" not in html
    listed = re.findall(r'<tr data-key="([^"]+)"', html)
    assert listed == sorted(listed) and len(listed) == drawn.result_size  # not stratum by stratum
    login(org.health_clerk)  # a participant's clerk sees grades, and the seed
    assert drawn.seed in client.get(f"/tasks/{drawn.task_id}").get_data(as_text=True)


def test_the_auditor_reaches_the_full_record_from_the_draws_audit_event(client, login, org, drawn):
    from models import AuditEvent

    event = db.session.query(AuditEvent).filter_by(action="draw", object_type="draw",
                                                   object_id=str(drawn.id)).one()
    login(org.auditor)
    html = client.get(f"/audit/{event.id}").get_data(as_text=True)
    url = f"/tasks/draws/{drawn.id}/record.json"
    assert url in html
    assert client.get(url).status_code == 200
    listed = client.get("/audit/", query_string={"action": "download_full_record"}).get_data(as_text=True)
    assert "下载完整抽取记录" in listed
