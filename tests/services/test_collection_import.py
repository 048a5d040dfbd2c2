"""信息归集 批量导入 (services/imports/facts.py) on the framework: the bad input of issue 15."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from infrastructure.errors import Forbidden
from models import Penalty, PendingFact, db
from services.imports import framework, kinds
from tests.factories.directories import make_entity, uscc
from tests.factories.import_kinds import workbook

PENALTIES = kinds.get("facts_penalty")


def penalty_row(code, no, amount="50万元", day="2026-01-05"):
    values = {"统一社会信用代码": code, "行政处罚决定书文号": no, "处罚决定日期": day, "罚没金额（元）": amount}
    return [values.get(t, "") for t in PENALTIES.template.titles]


def upload_and_confirm(actor, rows, *, valid_only=False, name="处罚.xlsx"):
    batch, check = framework.upload(PENALTIES, actor, name, workbook(PENALTIES, rows), {})
    return batch, check, framework.confirm(PENALTIES, actor, batch, valid_only=valid_only)


def penalties():
    return list(db.session.execute(select(Penalty).order_by(Penalty.id)).scalars())


def test_amounts_and_dates_in_every_style_are_read(org, session):
    entity = make_entity(org.clerk_a, 1)
    rows = [penalty_row(entity.uscc.lower(), "罚1", "50万元", "2026/1/5"),
            penalty_row(entity.uscc, "罚2", "500,000.00", "2026年1月5日"),
            penalty_row(entity.uscc, "罚3", "伍拾万", 46027)]
    _, _, result = upload_and_confirm(org.health_clerk, rows)
    assert result["新增"] == 3
    assert {(p.amount, p.decided_on.isoformat()) for p in penalties()} == {(Decimal("500000.00"), "2026-01-05")}


def test_a_decision_number_repeated_in_one_file_refuses_both_rows(org, session):
    entity = make_entity(org.clerk_a, 2)
    rows = [penalty_row(entity.uscc, "罚1"), penalty_row(entity.uscc, "罚2"), penalty_row(entity.uscc, "罚1", "1元")]
    batch, check, result = upload_and_confirm(org.health_clerk, rows, valid_only=True)
    assert [r.valid for r in check.rows] == [False, True, False]
    assert check.errors.as_dict()[2][0].startswith("行政处罚决定书文号：与第4行重复")
    assert result["新增"] == 1 and result["跳过问题行"] == 2


def test_the_same_file_twice_then_a_changed_one_updates_by_decision_number(org, session):
    entity = make_entity(org.clerk_a, 3)
    rows = [penalty_row(entity.uscc, "罚1"), penalty_row(entity.uscc, "罚2")]
    upload_and_confirm(org.health_clerk, rows)
    _, _, again = upload_and_confirm(org.health_clerk, rows)
    assert again["无变化"] == 2 and again["新增"] == 0 and len(penalties()) == 2
    _, _, changed = upload_and_confirm(org.health_clerk, [penalty_row(entity.uscc, "罚1", "60万元")])
    assert changed["更新"] == 1
    live = [p for p in penalties() if p.current]
    assert sorted((p.decision_no, p.amount) for p in live) == [("罚1", Decimal("600000.00")),
                                                               ("罚2", Decimal("500000.00"))]
    assert len(penalties()) == 3


def test_the_same_decision_from_another_department_is_reported_not_overwritten(org, session):
    entity = make_entity(org.clerk_a, 4)
    upload_and_confirm(org.health_clerk, [penalty_row(entity.uscc, "罚1")])
    _, _, result = upload_and_confirm(org.safety_clerk, [penalty_row(entity.uscc, "罚1", "1元")])
    assert result["待处理"] == 1
    pending = db.session.execute(select(PendingFact)).scalar_one()
    assert pending.reason == "冲突" and pending.source_department_id == org.safety_a.id
    assert PENALTIES.result_text(result).endswith("见“归集反馈”")


def test_an_unknown_entity_waits_with_its_batch(org, session):
    batch, _, result = upload_and_confirm(org.health_clerk, [penalty_row(uscc("91510108MA6D00099"), "罚9")])
    assert result["待处理"] == 1 and not penalties()
    pending = db.session.execute(select(PendingFact)).scalar_one()
    assert pending.batch_id == batch.id and pending.reason == "未匹配"


def test_bad_cells_are_reported_in_chinese_per_column(org, session):
    entity = make_entity(org.clerk_a, 5)
    wrong = entity.uscc[:17] + ("1" if entity.uscc[17] != "1" else "2")
    rows = [penalty_row(wrong, "罚1"), penalty_row(entity.uscc, "罚2", "-5"), penalty_row(entity.uscc, "罚3", day="明天")]
    _, check = framework.upload(PENALTIES, org.health_clerk, "处罚.xlsx", workbook(PENALTIES, rows), {})
    errors = check.errors.as_dict()
    assert "校验码" in errors[2][0] and errors[2][0].startswith("统一社会信用代码：")
    assert errors[3] == ["罚没金额（元）：金额不能为负数"]
    assert errors[4][0].startswith("处罚决定日期：")


def test_only_a_clerk_imports(org, session):
    with pytest.raises(Forbidden):
        framework.upload(PENALTIES, org.leader_a, "处罚.xlsx", workbook(PENALTIES, [penalty_row("", "罚1")]), {})


def test_a_large_confirmation_reports_its_progress(org, session):
    from models import FactSource
    from services.collection.ingest import WRITE_CHUNK, ingest_checked
    from services.collection.kinds import FACT_KINDS

    entity = make_entity(org.clerk_a, 6)
    kind = FACT_KINDS["penalty"]
    checked = [kind.check({"uscc": entity.uscc, "decision_no": f"罚{n}", "decided_on": "2026-01-05"})
               for n in range(WRITE_CHUNK + 10)]
    heard: list[int] = []
    result = ingest_checked(kind, checked, source_kind=FactSource.IMPORT, department=org.health_a,
                            progress=lambda done, message: heard.append(done))
    assert heard == [WRITE_CHUNK] and result.counts["新增"] == WRITE_CHUNK + 10
    assert PENALTIES.job_rows == 5_000 and PENALTIES.max_rows == 100_000
