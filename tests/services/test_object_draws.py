"""Object draws (services/object_draws.py): preview arithmetic, quotas and caps, the stored
record, the lock, changes with the leader's approval, verification, CLI.  What is public:
tests/services/test_draw_disclosure.py."""

from __future__ import annotations

import json
import zlib

import pytest

from infrastructure import draw_algorithm as algo
from infrastructure.errors import Conflict, Forbidden
from models import AuditEvent, ChangeStatus, DirectoryMember, Draw, MarketEntity, TaskObject
from models.items import ItemCategory
from services import object_draw_changes, schemes, task_access
from services import object_draws as draws
from tests.factories.tasks import approved, fill_directory, make_task
from workflows.errors import NotAllowed

GRADES = {"A": 40, "B": 30, "C": 20, "D": 10, "E": 3, "-": 7}


@pytest.fixture()
def ready(org, session):
    """A task with a 110-member directory and an approved scheme (A 10 %, B 20 %, C 30 %,
    D 50 %, E 100 %, ungraded 30 %)."""
    task = make_task(org.bureau_a)
    fill_directory(task, GRADES)
    return approved(task, org.clerk_a, org.leader_a)


def _draw(org, task):
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    from models import db

    db.session.commit()
    return row


def test_preview_shows_the_arithmetic(org, ready):
    p = draws.preview(ready)
    assert [(r.stratum, r.population, r.ratio_text, r.quota) for r in p.rows] == [
        ("A", 40, "10", 4), ("B", 30, "20", 6), ("C", 20, "30", 6), ("D", 10, "50", 5), ("E", 3, "100", 3),
        ("-", 7, "30", 3),  # 7 × 30 % = 2.1, rounded up
    ]
    assert p.population == 110 and p.total == 27 and p.cap is None


def test_preview_errors(org, session):
    task = make_task(org.bureau_a)
    with pytest.raises(draws.DrawRefused, match="尚未制定抽查方案"):
        draws.preview(task)
    with pytest.raises(draws.DrawRefused, match="尚未建立.*检查对象名录库"):
        draws.preview(task, ratios={"A": 1})
    fill_directory(task, {})
    with pytest.raises(draws.DrawRefused, match="为空"):
        draws.preview(task, ratios={"A": 1})
    fill_directory(task, {"A": 3})
    with pytest.raises(draws.DrawError, match="数量为0"):
        draws.preview(task, ratios={"A": 0})


def test_a_general_items_cap_and_directed_scope(org, session):
    task = make_task(org.bureau_a, category=ItemCategory.GENERAL, ratio_cap="20")
    fill_directory(task, {"A": 10, "E": 10})
    fill_directory(task, {"E": 5}, division="510109001000")
    with pytest.raises(draws.DrawError, match="E类抽查比例100%超过该一般检查事项的比例上限20%"):
        draws.preview(task, ratios={"A": 5, "E": 100})
    from models.schemes import DrawScope

    p = draws.preview(task, ratios={"A": 5, "E": 20}, scope=DrawScope.DIRECTED,
                      filt=schemes.SchemeFilter(division="510108"))
    assert {r.stratum: (r.population, r.quota) for r in p.rows} == {"A": (10, 1), "E": (10, 2)}
    assert p.cap_text == "20"
    with pytest.raises(draws.DrawRefused, match="没有符合定向条件"):
        draws.preview(task, ratios={"A": 5}, scope=DrawScope.DIRECTED, filt=schemes.SchemeFilter(industry="C"))


def test_the_draw_is_stored_locked_and_reproducible(org, session, ready):
    row = _draw(org, ready)
    assert row.attempt == 1 and row.algorithm == "zhjg-draw-1" and len(row.seed) == 64
    assert row.population_size == 110 and row.result_size == 27
    assert json.loads(row.quotas) == {"A": 4, "B": 6, "C": 6, "D": 5, "E": 3, "-": 3}
    params = json.loads(row.params)
    assert params["ratios"]["E"] == "100" and params["scope"] == "whole" and params["cap"] is None
    text = zlib.decompress(row.population).decode()
    lines = text.splitlines(keepends=True)
    assert lines == sorted(lines) and len(lines) == 110
    population = [(k, s, float(w)) for k, s, w in (ln.rstrip("\n").split("\t") for ln in lines)]
    assert algo.digest(population) == row.population_digest
    result = json.loads(row.result)
    assert algo.draw(row.seed, "object", json.loads(row.quotas), population) == result
    objs = session.query(TaskObject).filter_by(task_id=ready.id).all()
    assert len(objs) == 27 and {o.draw_id for o in objs} == {row.id}
    e = [o for o in objs if o.grade == "E"]
    assert len(e) == 3 and sorted(o.rank for o in e) == [1, 2, 3] and all(o.entity_id for o in e)
    assert session.query(AuditEvent).filter_by(action="draw", object_id=str(row.id)).count() == 1
    # the list is locked: a second draw is refused
    with pytest.raises(Conflict, match="已抽取并锁定"):
        draws.run_draw(org.clerk_a, ready, lock_version=ready.lock_version)
    # confirming moves on to 随机抽取执法人员
    draws.confirm(org.clerk_a, ready, lock_version=ready.lock_version)
    session.commit()
    assert task_access.instance_of(ready).current_step == "draw_inspectors"


def test_draw_refusals(org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 5})
    with pytest.raises(draws.DrawRefused, match="尚未审核通过"):
        draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    approved(task, org.clerk_a, org.leader_a)
    with pytest.raises(NotAllowed):
        draws.run_draw(org.leader_a, task, lock_version=task.lock_version)
    with pytest.raises(NotAllowed):
        draws.run_draw(org.clerk_b, task, lock_version=task.lock_version)
    with pytest.raises(Conflict):  # a stale page
        draws.run_draw(org.clerk_a, task, lock_version=task.lock_version - 1)
    with pytest.raises(draws.DrawRefused, match="尚未抽取"):
        draws.confirm(org.clerk_a, task, lock_version=task.lock_version)
    session.rollback()
    assert session.query(Draw).filter_by(task_id=task.id).count() == 0


def test_empty_directory_draw_is_refused(org, session):
    task = make_task(org.bureau_a)
    approved(task, org.clerk_a, org.leader_a)
    with pytest.raises(draws.DrawRefused, match="尚未建立"):
        draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    session.rollback()
    fill_directory(task, {})
    with pytest.raises(draws.DrawRefused, match="为空"):
        draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)


def test_change_request_approve_and_reject(org, session, ready):
    _draw(org, ready)
    listed = [o.key for o in session.query(TaskObject).filter_by(task_id=ready.id).order_by(TaskObject.id)]
    directory = draws.directory_for(ready)
    members = session.query(DirectoryMember.entity_id).filter_by(directory_id=directory.id).all()
    spare = next(session.get(MarketEntity, i) for (i,) in members if f"entity:{i}" not in listed)
    with pytest.raises(draws.DrawRefused, match="须填写理由"):
        object_draw_changes.request_change(org.clerk_a, ready, lock_version=ready.lock_version, remove=[listed[0]], add="",
                             reason=" ")
    with pytest.raises(draws.DrawRefused, match="不在本任务的检查对象名录库中"):
        object_draw_changes.request_change(org.clerk_a, ready, lock_version=ready.lock_version, remove=[], add="91510XXXXXXXXXXXXX",
                             reason="企业已注销")
    with pytest.raises(Forbidden):
        object_draw_changes.request_change(org.leader_a, ready, lock_version=ready.lock_version, remove=[listed[0]], add="",
                             reason="x")
    change = object_draw_changes.request_change(org.clerk_a, ready, lock_version=ready.lock_version, remove=[listed[0]],
                                  add=spare.uscc, reason="该主体已注销，另补一户")
    session.commit()
    assert object_draw_changes.change_details(change) == {"remove": [listed[0]], "add": [f"entity:{spare.id}"]}
    with pytest.raises(Conflict, match="待部门负责人审批"):
        object_draw_changes.request_change(org.clerk_a, ready, lock_version=ready.lock_version, remove=[listed[1]], add="",
                             reason="再改")
    with pytest.raises(Forbidden):
        object_draw_changes.decide_change(org.clerk_a, ready, lock_version=ready.lock_version, approve=True)
    with pytest.raises(Forbidden):
        object_draw_changes.decide_change(org.leader_b, ready, lock_version=ready.lock_version, approve=True)
    object_draw_changes.decide_change(org.leader_a, ready, lock_version=ready.lock_version, approve=True, comment="同意")
    session.commit()
    assert change.status == ChangeStatus.APPROVED and change.decided_by_id == org.leader_a.id
    rows = {o.key: o for o in session.query(TaskObject).filter_by(task_id=ready.id)}
    assert rows[listed[0]].removed and rows[listed[0]].change_id == change.id
    added = rows[f"entity:{spare.id}"]
    assert not added.removed and added.draw_id is None and added.change_id == change.id
    assert session.query(AuditEvent).filter_by(action="change_approve", object_id=str(change.id)).count() == 1
    # a rejected one changes nothing and needs a comment
    second = object_draw_changes.request_change(org.clerk_a, ready, lock_version=ready.lock_version, remove=[listed[1]], add="",
                                  reason="检查人员回避")
    session.commit()
    with pytest.raises(draws.DrawRefused, match="不批准须填写意见"):
        object_draw_changes.decide_change(org.leader_a, ready, lock_version=ready.lock_version, approve=False)
    object_draw_changes.decide_change(org.leader_a2, ready, lock_version=ready.lock_version, approve=False, comment="理由不充分")
    session.commit()
    assert second.status == ChangeStatus.REJECTED and second.decision_comment == "理由不充分"
    assert not session.query(TaskObject).filter_by(task_id=ready.id, key=listed[1]).one().removed
    with pytest.raises(Conflict):
        object_draw_changes.decide_change(org.leader_a, ready, lock_version=ready.lock_version, approve=True)
    # the draw itself still verifies: changes never touch the record
    assert draws.verify_draw(draws.current_draw(ready)).matches


def test_verify_matches_and_detects_tampering(org, session, ready):
    row = _draw(org, ready)
    assert draws.verify_draw(row).matches
    original = row.result
    result = json.loads(row.result)
    result["A"][0] = "entity:999999"
    row.result = json.dumps(result)
    assert not draws.verify_draw(row).matches
    row.result = original
    text = zlib.decompress(row.population).decode().splitlines(keepends=True)
    row.population = zlib.compress("".join(text[1:]).encode(), 1)  # a member quietly left out
    assert not draws.verify_draw(row).matches
    row.population = b"not zlib"
    assert not draws.verify_draw(row).matches
    session.rollback()


def test_public_only_when_plan_published_and_scheme_not_sensitive(org, session):
    from models.plans import PlanStatus

    task = make_task(org.bureau_a, plan_status=PlanStatus.DRAFT)
    fill_directory(task, {"A": 5})
    approved(task, org.clerk_a, org.leader_a)
    row = _draw(org, task)
    assert not draws.is_public(row)
    task.plan.status = PlanStatus.PUBLISHED
    assert draws.is_public(row)
    task.scheme.sensitive = True
    assert not draws.is_public(row)
    session.rollback()


def test_cli_verify(app, org, session, ready):
    row = _draw(org, ready)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["draw", "verify", str(row.id)])
    assert ok.exit_code == 0 and "一致" in ok.output and "不一致" not in ok.output
    missing = runner.invoke(args=["draw", "verify", "999999"])
    assert missing.exit_code == 1 and "未找到" in missing.output
    row.result = json.dumps({"A": ["entity:1"]})
    session.flush()
    bad = runner.invoke(args=["draw", "verify", str(row.id)])
    assert bad.exit_code == 1 and "不一致" in bad.output
    session.rollback()


def test_population_reads_what_directories_population_streams(org, session):
    from services import directories

    task = make_task(org.bureau_a)
    directory = fill_directory(task, {"A": 4, "-": 3, "E": 2})
    fill_directory(task, {"B": 2}, division="510109001000", industry="C1391")
    mine = list(draws.population(directory, schemes.SchemeFilter()))
    theirs = [(m.key, m.grade or "-", 1.0) for m in directories.population(directory)]
    assert [tuple(m) for m in mine] == theirs and len(mine) == 11
    directed = list(draws.population(directory, schemes.SchemeFilter(kinds=["entity"], industry="C13")))
    assert sorted(m[1] for m in directed) == ["B", "B"]


def test_a_drawn_entity_cannot_be_deleted_from_the_registry(org, session, ready):
    """task_object has no foreign key to the registry (bulk speed on PostgreSQL): the entity
    service keeps a drawn list whole instead."""
    from services import entities

    task = ready
    draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    session.commit()
    drawn = session.query(TaskObject).filter_by(task_id=task.id).first()
    entity = session.get(MarketEntity, drawn.entity_id)
    assert "随机抽取为检查对象" in entities.delete_refusal(entity)
    with pytest.raises(Conflict, match="抽取记录须保留"):
        entities.delete_entity(org.clerk_a, entity)


def test_population_lines_stream_every_member_once_and_sort_as_keys(org, session):
    """The draw reads one "key<TAB>stratum" string a member through the driver's cursor
    (server-side on PostgreSQL) and sorts them as the script sorts the keys."""
    from services.draw import SortedPopulation

    task = make_task(org.bureau_a)
    directory = fill_directory(task, {"A": 6, "-": 5, "E": 3})
    lines = draws.population_lines(directory, schemes.SchemeFilter())
    grades = {f"entity:{m.entity_id}": (session.get(MarketEntity, m.entity_id).credit_grade or "-")
              for m in session.query(DirectoryMember).filter_by(directory_id=directory.id)}
    assert sorted(lines) == sorted(f"{k}\t{g}" for k, g in grades.items())
    population = SortedPopulation.from_lines(lines)
    assert population.keys == sorted(grades) and population.strata == [grades[k] for k in population.keys]
    assert population.text == "".join(f"{k}\t{grades[k]}\t1\n" for k in sorted(grades))
    row = _draw(org, approved(task, org.clerk_a, org.leader_a))
    assert zlib.decompress(row.population).decode() == population.text
    stored = session.query(TaskObject).filter_by(task_id=task.id).order_by(TaskObject.id).all()
    assert [o.key for o in stored] == sorted(k for keys in json.loads(row.result).values() for k in keys)
