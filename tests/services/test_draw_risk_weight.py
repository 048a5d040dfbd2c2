"""风险库命中加权 of an ordinary object draw (services/draw_risk_weight.py, services/object_draws.py):
the scheme's setting, the weights in the stored population, the record re-computed by the
published script byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from models import DirectoryMember, MarketEntity, db
from services import draw_disclosure, draw_risk_weight, object_draws, schemes
from tests.factories import risk_pages
from tests.factories.tasks import approved, fill_directory, make_task, scheme_form

SCRIPT = Path(__file__).resolve().parents[2] / "infrastructure" / "draw_algorithm.py"


@pytest.mark.parametrize(("raw", "weight"), [("", 0), ("0", 0), (" 3 ", 3), ("３", 3), ("100", 100)])
def test_the_setting_is_a_whole_number_up_to_100(raw, weight):
    assert draw_risk_weight.parse({"risk_weight": raw}) == weight


@pytest.mark.parametrize("raw", ["-1", "1.5", "abc", "101", "²"])
def test_a_bad_setting_is_refused_in_chinese(raw):
    with pytest.raises(draw_risk_weight.WeightInvalid, match="风险库命中加权应为0到100之间的整数") as info:
        draw_risk_weight.parse({"risk_weight": raw})
    assert info.value.field == "risk_weight"


def test_the_scheme_refuses_a_bad_weight_and_writes_nothing(org):
    task = make_task(org.bureau_a)
    with pytest.raises(schemes.SchemeInvalid) as info:
        schemes.save_scheme(org.clerk_a, task, scheme_form(risk_weight="-2"), lock_version=task.lock_version,
                            submit=False)
    assert info.value.field == "risk_weight"
    db.session.rollback()
    assert task.scheme is None


def _members(task):
    directory = fill_directory(task, {"A": 6, "C": 2})
    ids = [m.entity_id for m in db.session.query(DirectoryMember).filter_by(directory_id=directory.id)]
    entities = [db.session.get(MarketEntity, i) for i in sorted(ids)]
    risk_pages.warning(entities[0], "lawsuits", department=org_bureau(task))
    risk_pages.warning(entities[0], "complaints", department=org_bureau(task))
    risk_pages.warning(entities[1], "lawsuits", department=org_bureau(task))
    risk_pages.warning(entities[2], "lawsuits", department=org_bureau(task), status="closed")  # not counted
    db.session.commit()
    return directory, entities


def org_bureau(task):
    return task.department


def test_open_warnings_weigh_each_member(org):
    task = make_task(org.bureau_a)
    directory, entities = _members(task)
    assert draw_risk_weight.open_hits(directory.id) == {f"entity:{entities[0].id}": 2,
                                                        f"entity:{entities[1].id}": 1}


def _weighted_draw(org, weight="5"):
    task = make_task(org.bureau_a)
    _directory, entities = _members(task)
    approved(task, org.clerk_a, org.leader_a, ratio_A="50", ratio_C="50", risk_weight=weight)
    assert task.scheme.risk_weight == int(weight)
    draw = object_draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    return task, draw, entities


def test_the_draw_stores_the_weights_and_its_setting(org):
    _task, draw, entities = _weighted_draw(org)
    weights = {k: w for k, _s, w in object_draws.stored_population(draw)}
    assert weights[f"entity:{entities[0].id}"] == 11.0  # 1 + 5 × 2
    assert weights[f"entity:{entities[1].id}"] == 6.0
    assert weights[f"entity:{entities[2].id}"] == 1.0  # its warning is closed
    assert sorted(weights.values()).count(1.0) == 6
    assert json.loads(draw.params)["risk_weight"] == 5
    assert json.loads(draw.quotas) == {"A": 3, "C": 1}
    assert object_draws.verify_draw(draw).matches


def test_without_the_setting_every_member_weighs_one(org):
    _task, draw, _entities = _weighted_draw(org, weight="0")
    assert {w for _k, _s, w in object_draws.stored_population(draw)} == {1.0}
    assert "risk_weight" not in json.loads(draw.params)


def test_the_published_script_re_runs_the_weighted_record_byte_for_byte(org, tmp_path):
    _task, draw, _entities = _weighted_draw(org)
    record = draw_disclosure.full_record(org.clerk_a, draw)
    assert {w for _k, _s, w in record["population"]} == {1.0, 6.0, 11.0}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True, check=True).stdout
    stored = json.loads(draw.result)
    expected = [f"population digest {draw.population_digest}"]
    expected += [f"{stratum} {key}" for stratum in sorted(stored) for key in stored[stratum]]
    expected += [f"commitment {name} {value}" for name, value in json.loads(draw.commitments).items()]
    assert out == ("\n".join(expected) + "\n").encode()
    # a weight changed afterwards no longer opens the digest
    record["population"] = [[k, s, 1.0] for k, s, _w in record["population"]]
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    again = subprocess.run([sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True).stdout
    assert again != out
