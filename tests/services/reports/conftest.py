"""The 灵活报表 tests judge deadlines on a fixed day: the clock stops at LATE_EVENING
(2026-11-04 in China)."""

from __future__ import annotations

import pytest

from tests.factories.clock import freeze


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)
