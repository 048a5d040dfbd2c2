"""公平性监测 on a hand-made dataset: counts per year, never drawn in N years, outliers."""

from __future__ import annotations

from datetime import date

import pytest

from models import DirectoryMember, MemberKind, ObjectDirectory, TaskObject, TeamMember, db
from models.inspectors import DutyStatus
from models.teams import MemberSource
from services import fairness
from tests.factories.teams import entity, make_inspector, make_task

TODAY = date(2026, 7, 1)


@pytest.fixture()
def dataset(org, session):
    e = [entity(org, 100 + i) for i in range(4)]
    people = [make_inspector(org.station_a, f"执法{i}") for i in range(6)]
    # not in the pool: whoever the draw could not pick today (no permission, 离岗, 执法证
    # expired, no account) — their zero would pull the mean down and be flagged 偏低
    make_inspector(org.station_a, "无权限", random_permission=False)
    make_inspector(org.station_a, "离岗", duty=DutyStatus.OFF)
    make_inspector(org.station_a, "证件过期", cert_valid_to=date(2026, 6, 30))
    make_inspector(org.station_a, "无账号", account=False)
    t2024 = make_task(org, entities=[e[0]], start=date(2024, 3, 1), end=date(2024, 3, 31))
    t2025 = make_task(org, entities=[e[0], e[1]], start=date(2025, 3, 1), end=date(2025, 3, 31))
    t2026 = make_task(org, entities=[e[0]], start=date(2026, 3, 1), end=date(2026, 3, 31))
    # a removed object never counts
    db.session.add(TaskObject(task_id=t2026.id, key=f"entity:{e[2].id}", entity_id=e[2].id, removed=True))
    # 执法0 drawn in all three tasks, 执法1 once, the rest never; a replacement does not count
    for t in (t2024, t2025, t2026):
        db.session.add(TeamMember(task_id=t.id, department_id=org.bureau_a.id, inspector_id=people[0].id))
    db.session.add(TeamMember(task_id=t2025.id, department_id=org.bureau_a.id, inspector_id=people[1].id))
    db.session.add(TeamMember(task_id=t2026.id, department_id=org.bureau_a.id, inspector_id=people[2].id,
                              source=MemberSource.REPLACEMENT))
    from tests.factories.directories import make_item

    directory = ObjectDirectory(item_id=make_item(org.bureau_a, name="名录事项").id, department_id=org.bureau_a.id,
                                name="名录")
    db.session.add(directory)
    db.session.flush()
    for x in e:
        db.session.add(DirectoryMember(directory_id=directory.id, kind=MemberKind.ENTITY, entity_id=x.id))
    db.session.flush()
    return e, people


def test_entity_counts_per_year(org, dataset):
    e, _ = dataset
    freq = fairness.entity_frequency(org.clerk_a)
    by_id = {r.ident: r for r in freq.rows}
    assert freq.years == [2024, 2025, 2026]
    assert by_id[e[0].id].by_year == {2024: 1, 2025: 1, 2026: 1} and by_id[e[0].id].total == 3
    assert by_id[e[1].id].by_year == {2025: 1}
    assert e[2].id not in by_id  # removed
    assert freq.rows[0].ident == e[0].id  # most drawn first
    assert fairness.entity_frequency(org.clerk_b).rows == []


def test_never_drawn_in_n_years(org, dataset):
    e, _ = dataset
    ids = {r[0] for r in fairness.never_drawn(org.clerk_a, 3, today=TODAY).rows}
    assert ids == {e[2].id, e[3].id}
    # within one year (since 2025-07-01) only e0 was drawn (2026)
    ids = {r[0] for r in fairness.never_drawn(org.clerk_a, 1, today=TODAY).rows}
    assert ids == {e[1].id, e[2].id, e[3].id}
    assert fairness.never_drawn(org.clerk_b, 3, today=TODAY).rows == []


def test_inspector_outliers(org, dataset):
    _, people = dataset
    freq = fairness.inspector_frequency(org.clerk_a, 3, today=TODAY)
    assert {r.name for r in freq.rows} == {f"执法{i}" for i in range(6)}
    # 3 years: 执法0 3, 执法1 1, others 0 -> mean 4/6, sd sqrt((3-.667)^2+(1-.667)^2+4*.667^2)/6
    assert freq.recent[people[0].id] == 3 and freq.recent[people[1].id] == 1 and freq.recent[people[2].id] == 0
    assert round(freq.mean, 3) == 0.667
    assert round(freq.sd, 3) == 1.106
    flags = {r.name: r.flag for r in freq.rows}
    assert flags["执法0"] == "high"  # 3 > 2 x 0.667
    assert flags["执法1"] == ""  # 1 is within both rules
    assert flags["执法3"] == "low"  # 0 < 0.5 x mean
    assert freq.rows[0].name == "执法0"
    assert next(r for r in freq.rows if r.name == "执法0").by_year == {2024: 1, 2025: 1, 2026: 1}


def test_outlier_rule():
    assert fairness.outlier(5, 0, 0) == ""
    assert fairness.outlier(10, 2, 1) == "high"
    assert fairness.outlier(2, 2, 1) == ""
    assert fairness.outlier(0, 2, 0.5) == "low"
    assert fairness.stats([1, 1, 1]) == (1.0, 0.0)
    assert fairness.parse_years("x") == 3 and fairness.parse_years("0") == 1 and fairness.parse_years("99") == 20
