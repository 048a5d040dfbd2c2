"""What a draw's record shows to whom (services/draw_disclosure.py, docs/draws.md): the public
record names no stratum, seed or quota; the full record re-runs outside the app and opens the
public commitments; only 审计员 and the task's departments get it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from infrastructure import draw_algorithm as algo
from models import AuditEvent, db
from services import draw_disclosure as disclosure
from services import object_draws as draws
from tests.factories.tasks import approved, fill_directory, make_task

GRADES = {"A": 40, "B": 30, "C": 20, "D": 10, "E": 3, "-": 7}


@pytest.fixture()
def drawn(org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, GRADES)
    approved(task, org.clerk_a, org.leader_a)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    return row


def _run_script(tmp_path: Path, record: dict) -> tuple[str, dict[str, list[str]], dict[str, str]]:
    """Run a copy of the published script with ``python3 -I`` on ``record``: (digest, lists, commitments)."""
    path = tmp_path / "full.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    script = tmp_path / "draw_algorithm.py"
    script.write_bytes(Path(algo.__file__).read_bytes())
    out = subprocess.run([sys.executable, "-I", str(script), str(path)], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout.splitlines()
    lists: dict[str, list[str]] = {}
    opened: dict[str, str] = {}
    for line in out[1:]:
        if line.startswith("commitment "):
            _, name, value = line.split(" ")
            opened[name] = value
        else:
            stratum, key = line.split(" ", 1)
            lists.setdefault(stratum, []).append(key)
    return out[0].removeprefix("population digest "), lists, opened


def test_the_public_record_names_no_stratum_seed_or_quota(drawn):
    record = disclosure.public_record(drawn)
    assert set(record) == {"format", "algorithm", "domain", "attempt", "drawn_at", "committed_at",
                           "committed_after_draw", "population_size", "drawn", "drawn_keys", "commitments"}
    stored = json.loads(drawn.result)
    # in key order, not in rank order (which sorts the strata drawn at high ratios last)
    assert record["drawn_keys"] == sorted(k for keys in stored.values() for k in keys)
    assert record["drawn"] == drawn.result_size == len(record["drawn_keys"])
    assert record["population_size"] == 110 and not record["committed_after_draw"]
    text = json.dumps(record, ensure_ascii=False)
    assert drawn.seed not in text and drawn.salt not in text and drawn.population_digest not in text
    for stratum in GRADES:
        assert f'"{stratum}"' not in text
    # six stratum commitments, always: an empty stratum is committed too
    strata = record["commitments"]["strata"]
    assert len(strata) == 6 and len(set(strata)) == 6 and all(len(c) == 64 for c in strata)


def test_every_stratum_is_committed_even_an_empty_one(org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"B": 4})
    approved(task, org.clerk_a, org.leader_a)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    found = disclosure.commitments_of(row)
    assert set(found) == {"seed", "population", "A", "B", "C", "D", "E", "-"}
    assert len(set(found.values())) == 8  # salted: an empty stratum's commitment tells nothing


def test_the_full_record_reruns_outside_the_app_and_opens_the_public_commitments(org, drawn, tmp_path):
    record = disclosure.full_record(org.auditor, drawn)
    assert record["seed"] == drawn.seed and record["salt"] == drawn.salt
    digest, lists, opened = _run_script(tmp_path, record)
    assert digest == drawn.population_digest
    assert lists == {s: keys for s, keys in json.loads(drawn.result).items() if keys}
    public = disclosure.public_record(drawn)["commitments"]
    assert opened["seed"] == public["seed"] and opened["population"] == public["population"]
    assert [opened[s] for s in disclosure.STRATA] == public["strata"]
    # a record altered afterwards (one entity moved from E to A) no longer opens them
    moved = next(m for m in record["population"] if m[1] == "E")
    moved[1] = "A"
    _, _, tampered = _run_script(tmp_path, record)
    assert tampered["population"] != public["population"]
    assert tampered["A"] != opened["A"] and tampered["E"] != opened["E"]
    assert tampered["B"] == opened["B"]


def test_the_full_record_download_is_audited(org, drawn):
    disclosure.full_record(org.clerk_a, drawn)
    db.session.flush()
    event = db.session.query(AuditEvent).filter_by(action="download_full_record").one()
    assert event.object_id == str(drawn.id) and event.user_id == org.clerk_a.id
    db.session.rollback()


def test_who_may_download_the_full_record(org, session):
    task = make_task(org.bureau_a, joint=True, participants=(org.health_a,))
    fill_directory(task, {"A": 5})
    approved(task, org.clerk_a, org.leader_a)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    for user in (org.auditor, org.clerk_a, org.leader_a, org.health_clerk):
        assert disclosure.may_download_full(user, row), user.name
    for user in (org.inspector_a, org.clerk_b, org.auditor_b):  # a plain inspector; another district
        assert not disclosure.may_download_full(user, row), user.name


def test_a_draw_older_than_the_commitments_is_marked(drawn):
    assert not disclosure.is_legacy(drawn)
    drawn.committed_at = drawn.drawn_at + timedelta(days=3)
    assert disclosure.is_legacy(drawn) and disclosure.public_record(drawn)["committed_after_draw"]
    drawn.committed_at = None
    assert disclosure.is_legacy(drawn)
    db.session.rollback()


def test_old_scheme_publications_are_shown_without_ratios_per_grade():
    old = {"方案名称": "x", "抽查比例": "A类1%、B类2%、E类100%"}
    shown = disclosure.public_scheme_payload(old)
    assert shown["抽查比例"] == disclosure.PUBLIC_RATIO_TEXT and shown["方案名称"] == "x"
    assert disclosure.public_scheme_payload({"方案名称": "y"}) == {"方案名称": "y"}


def test_migration_0021_salts_and_commits_the_draws_made_before(drawn, monkeypatch):
    import importlib.util
    from types import SimpleNamespace

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0021_draw_commitments.py"
    spec = importlib.util.spec_from_file_location("migration_0021", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    monkeypatch.setattr(migration, "op", SimpleNamespace(get_bind=lambda: db.session.connection()))
    drawn.salt = drawn.commitments = drawn.committed_at = None  # as a draw stored before 0021
    db.session.flush()
    migration._commit_existing_draws()
    db.session.expire(drawn)
    assert len(drawn.salt) == 64 and drawn.committed_at >= drawn.drawn_at and disclosure.is_legacy(drawn)
    record = draws.stored_record(drawn)
    expected = algo.commitments(drawn.salt, drawn.seed, record["quotas"], record["population"], record["result"],
                                disclosure.STRATA)
    assert disclosure.commitments_of(drawn) == expected
    db.session.rollback()


def test_the_drawn_objects_are_stored_in_key_order_not_stratum_by_stratum(drawn):
    from models import TaskObject

    rows = db.session.query(TaskObject).filter_by(task_id=drawn.task_id).order_by(TaskObject.id).all()
    keys = [o.key for o in rows]
    assert keys == sorted(keys) and len(keys) == drawn.result_size
    stored = json.loads(drawn.result)
    assert all(o.rank == stored[o.grade].index(o.key) + 1 for o in rows)  # rank within its stratum kept
