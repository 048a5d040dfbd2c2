"""The assessment tests read the year 2026 as of 12月15日: the clock stops after it."""

from __future__ import annotations

import pytest

from tests.factories.assessment import AFTER_CUTOFF
from tests.factories.clock import freeze


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch, AFTER_CUTOFF)
