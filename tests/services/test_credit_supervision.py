"""Differentiated supervision by grade (services/credit/supervision.py; seed 002 §四(四), §四(五)):
D/E checked 实地, E 全覆盖 in the draw, the draw reading the effective grade, A-grade entities
left out of 专项整治 lists."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from models import Draw, MarketEntity, TaskObject, db
from models.credit import GradeBasis
from models.items import ItemCategory
from services import inspections, schemes
from services import object_draws as draws
from services.credit import scoring, supervision
from tests.factories.inspections import dispatched, open_all, record_form
from tests.factories.tasks import approved, fill_directory, make_task, scheme_form


def test_a_scheme_planning_only_written_checks_for_d_and_e_is_refused(org, session):
    task = make_task(org.bureau_a)
    with pytest.raises(supervision.GradeRule, match="D类、E类企业被随机抽中的，必须依法实行实地检查") as exc:
        schemes.parse_scheme(task, scheme_form(methods=["书面检查"]))
    assert exc.value.status == 422 and exc.value.field == "methods"
    # with 实地核查 too, or drawing no D/E, written checks are allowed (A/B may be 书面)
    assert schemes.parse_scheme(task, scheme_form(methods=["书面检查", "实地核查"]))["methods"] == "书面检查、实地核查"
    assert schemes.parse_scheme(task, scheme_form(methods=["书面检查"], ratio_D="0", ratio_E="0"))


def test_a_record_of_a_d_object_checked_in_writing_is_refused(org, session):
    ready = dispatched(org, objects=1)
    record = open_all(ready)[0]
    record.task_object.grade = "D"
    db.session.flush()
    with pytest.raises(supervision.GradeRule, match="该检查对象为D类企业，必须依法实行实地检查"):
        inspections.save_record(ready.leader, record, record_form(method="书面检查"), record.lock_version)
    inspections.save_record(ready.leader, record, record_form(method="实地核查"), record.lock_version)
    record.task_object.grade = "A"
    db.session.flush()
    inspections.save_record(ready.leader, record, record_form(method="书面检查"), record.lock_version)
    assert record.method == "书面检查"


def test_e_full_coverage_draws_every_e_object_and_stays_recomputable(org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 20, "E": 7})
    approved(task, org.clerk_a, org.leader_a, ratio_E="10", e_full="1")
    assert schemes.load_ratios(task.scheme)["E"] == 100
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    assert json.loads(row.quotas)["E"] == 7 and json.loads(row.params)["ratios"]["E"] == "100"
    assert draws.verify_draw(row).matches


def test_e_full_coverage_respects_a_general_items_cap(org, session):
    task = make_task(org.bureau_a, category=ItemCategory.GENERAL, ratio_cap="5")
    with pytest.raises(schemes.SchemeInvalid, match="E类抽查比例100%超过该一般检查事项的比例上限5%"):
        schemes.parse_scheme(task, scheme_form(ratio_A="1", ratio_B="1", ratio_C="1", ratio_D="1", ratio_E="1",
                                               **{"ratio_-": "1"}, e_full="1"))


def test_the_draw_uses_the_effective_grade(org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 5, "D": 5})
    db.session.add(GradeBasis(department_id=task.department_id, basis="local"))
    scoring.recompute()  # no facts: every local grade is A
    db.session.commit()
    approved(task, org.clerk_a, org.leader_a)
    row = draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    db.session.commit()
    assert Counter(m[1] for m in draws.stored_population(row)) == {"A": 10}
    assert draws.verify_draw(db.session.get(Draw, row.id)).matches
    grades = set(db.session.execute(select(TaskObject.grade).where(TaskObject.draw_id == row.id)).scalars())
    assert grades == {"A"}


def test_exclude_a_grade(org, session):
    task = make_task(org.bureau_a)
    fill_directory(task, {"A": 2, "C": 1, "-": 1})
    base = select(MarketEntity.id).where(MarketEntity.department_id == task.department_id)
    all_ids = set(db.session.execute(base).scalars())
    a_ids = set(db.session.execute(base.where(MarketEntity.credit_grade == "A")).scalars())
    kept = set(db.session.execute(supervision.exclude_a_grade(base)).scalars())
    assert kept == all_ids - a_ids and len(kept) == 2  # C and the ungraded stay
    named = next(iter(a_ids))
    assert set(db.session.execute(supervision.exclude_a_grade(base, keep_ids=[named])).scalars()) == kept | {named}
