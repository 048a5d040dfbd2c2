"""The compiled record check (services/collection/compiled.py) gives exactly what the generic
loop (FactKind.check_generic, the definition) gives: values and messages, for every kind, on
good and bad input, read by key and by column title."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from infrastructure import clock
from services.collection.kinds import FACT_KINDS

TODAY = clock.china_today()
SAMPLES = [
    None, "", "  ", " 文本 ", "x" * 201, "x" * 2001, 0, 1, 12.0, 12.5, -3, True, Decimal("5.5"),
    "2026-01-05", "2026-1-5", "2026/01/05", "2026年1月5日", "20260105", "2026-02-30", "2026-13-01", "1899-12-31",
    "２０２６-０１-０５", 46027, 46027.0, date(2025, 3, 1), datetime(2025, 3, 1, 8, 30), (TODAY + timedelta(days=1)).isoformat(),
    TODAY.isoformat(), "500000", "500,000.00", "50万元", "伍拾万元整", "-5", "1.234", "1e5", "abc", "3000.00", ".5", "5.",
    "91510108MA0000005L", "91510108ma0000005l", "91510108MA0000005X", "９１５１０１０８ＭＡ００００００５Ｌ", "510108000000001",
    "11010519491231002X", "110105491231002", "11010519491231002x", "110105194912310021",
    "有效", " 有 效 ", "吊销", "注销", "失信被执行人", "法定代表人", "董事", "被告", "货币", "非货币", "年报", "即时信息",
    "2025", "2025年", "1800", "10000000000000000", "亿",
]


def _records(kind, rng: random.Random, n: int):
    fields = kind.all_fields
    for _ in range(n):
        record = {}
        for f in fields:
            if rng.random() < 0.25:
                continue  # absent
            name = f.label if rng.random() < 0.3 else f.key
            record[name] = rng.choice(SAMPLES)
        yield record


@pytest.mark.parametrize("name", sorted(FACT_KINDS))
def test_the_compiled_check_is_the_generic_one(name):
    kind = FACT_KINDS[name]
    rng = random.Random(name)
    for record in _records(kind, rng, 3000):
        assert kind.check(record) == kind.check_generic(record), record
    # and a batch, judged against one "today"
    batch = list(_records(kind, rng, 500))
    assert kind.check_many(batch) == [kind.check_generic(r) for r in batch]


def test_the_memo_keeps_a_refused_value_refused():
    kind = FACT_KINDS["penalty"]
    good = {"uscc": "91510108MA0000005L", "decision_no": "罚1", "decided_on": "2026-01-05", "amount": "50万元"}
    assert kind.check(good).values["amount"] == Decimal("500000.00")
    assert kind.check(good).values["amount"] == Decimal("500000.00")  # from the memo
    bad = {**good, "amount": "-5"}
    assert kind.check(bad).errors == {"amount": "金额不能为负数"}
    assert kind.check(bad).errors == {"amount": "金额不能为负数"}  # never memoised
