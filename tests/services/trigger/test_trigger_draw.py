"""提取监管对象 into a task, the weighted draw and its record, and 表28 along the way
(services/trigger/extraction.py, draws.py, flow.py; services/object_draws.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import db
from models.workflow import InstanceStatus
from services import draw_disclosure, object_draws
from services.trigger import extraction, flow
from tests.factories.tasks import approved, make_task
from tests.factories.trigger import make_rule, warned

SCRIPT = Path(__file__).resolve().parents[3] / "infrastructure" / "draw_algorithm.py"


@pytest.fixture()
def setup(org):
    heavy = [warned(org, n, "lawsuits", "complaints", grade="A") for n in range(1, 5)]
    light = [warned(org, n, "lawsuits", grade="A") for n in range(5, 9)]
    other = [warned(org, n, "complaints", grade="C") for n in range(9, 11)]
    lawsuits = make_rule(org.clerk_a, ("lawsuits",), name="涉诉", weight="2")
    complaints = make_rule(org.clerk_a, ("complaints",), name="投诉", weight="4")
    return heavy, light, other, lawsuits, complaints


def test_filters_and_preview_counts(org, setup):
    heavy, light, other, lawsuits, _ = setup
    dept = org.bureau_a.id
    everything = extraction.preview(dept, extraction.Filters())
    assert (everything.count, everything.by_grade) == (10, {"A": 8, "C": 2})
    assert everything.weight_total == 4 * 7 + 4 * 3 + 2 * 5
    by_rule = extraction.parse_filters({"rule": str(lawsuits.id)}, dept)
    assert extraction.preview(dept, by_rule).count == 8
    heavy_only = extraction.parse_filters({"min_weight": "6"}, dept)
    assert {r.entity_id for r in extraction.entries(dept, heavy_only)} == {e.id for e in heavy}
    with pytest.raises(Invalid, match="最低权重"):
        extraction.parse_filters({"min_weight": "0"}, dept)
    with pytest.raises(Invalid, match="本部门的触发式规则"):
        extraction.parse_filters({"rule": str(lawsuits.id)}, org.bureau_b.id)


def test_extraction_is_refused_into_another_departments_task_or_after_the_draw(org, setup):
    task_b = make_task(org.bureau_b)
    with pytest.raises(Forbidden):
        extraction.extract(org.clerk_a, task_b, extraction.Filters())
    with pytest.raises(Forbidden):
        extraction.extract(org.leader_a, make_task(org.bureau_a), extraction.Filters())
    with pytest.raises(Invalid, match="没有符合条件的对象"):
        extraction.extract(org.clerk_a, make_task(org.bureau_a), extraction.Filters(min_weight=99))


def _weighted_draw(org, setup):
    _heavy, _light, _other, lawsuits, complaints = setup
    task = make_task(org.bureau_a)
    first = extraction.extract(org.clerk_a, task, extraction.Filters(min_weight=6))
    again = extraction.extract(org.clerk_a, task, extraction.Filters())  # replaces it before the draw
    db.session.commit()
    assert db.session.query(type(first)).filter_by(task_id=task.id).one().id == again.id
    assert (again.size, again.weight_total) == (10, 50)
    approved(task, org.clerk_a, org.leader_a, ratio_A="50", ratio_C="50")
    draw = object_draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    return task, draw, lawsuits, complaints


def test_the_draw_uses_the_weights_and_re_computes(org, setup):
    task, draw, *_ = _weighted_draw(org, setup)
    population = object_draws.stored_population(draw)
    assert len(population) == 10
    assert {w for _k, _s, w in population} == {7.0, 3.0, 5.0}
    assert json.loads(draw.quotas) == {"A": 4, "C": 1}
    assert json.loads(draw.params)["trigger_extraction"] is True
    assert object_draws.verify_draw(draw).matches
    with pytest.raises(Conflict):
        extraction.extract(org.clerk_a, task, extraction.Filters())
    # a weight altered afterwards no longer opens the digest
    record = object_draws.stored_record(draw)
    record["population"] = [(k, s, 1.0 if k == population[0][0] else w) for k, s, w in record["population"]]
    from services import draw as draw_service

    assert draw_service.verify(record)[0] is False


def test_the_published_script_re_runs_a_weighted_record_byte_for_byte(org, setup, tmp_path):
    _task, draw, *_ = _weighted_draw(org, setup)
    record = draw_disclosure.full_record(org.clerk_a, draw)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True, check=True).stdout
    stored = json.loads(draw.result)
    commitments = json.loads(draw.commitments)
    expected = [f"population digest {draw.population_digest}"]
    expected += [f"{stratum} {key}" for stratum in sorted(stored) for key in stored[stratum]]
    expected += [f"commitment {name} {value}" for name, value in commitments.items()]
    assert out == ("\n".join(expected) + "\n").encode()


def test_table_28_runs_from_the_rule_to_the_check(org, setup):
    *_, lawsuits, complaints = setup
    for rule in (lawsuits, complaints):
        assert flow.instance_of(rule).current_step == flow.EXTRACT_STEP
    task, draw, lawsuits, complaints = _weighted_draw(org, setup)
    for rule in (lawsuits, complaints):
        assert flow.instance_of(rule).current_step == flow.INSPECT_STEP
        assert flow.rule_task(rule).id == task.id
    object_draws.confirm(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    for rule in (lawsuits, complaints):
        inst = flow.instance_of(rule)
        assert inst.status == InstanceStatus.COMPLETED
        steps = list(dict.fromkeys(h.step_key for h in inst.history if h.step_key))
        assert steps == ["rules", "monitor", "extract", "inspect"]


def test_a_task_without_extraction_draws_from_its_directory_as_before(org):
    from tests.factories.tasks import fill_directory

    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 3})
    approved(task, org.clerk_a, org.leader_a)
    draw = object_draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    assert {w for _k, _s, w in object_draws.stored_population(draw)} == {1.0}
    assert "trigger_extraction" not in json.loads(draw.params)
    assert flow.draw_confirmed(org.clerk_a, task, 1) == 0
