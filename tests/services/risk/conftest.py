"""The risk tests judge on TODAY (tests.factories.risk): the clock stops at LATE_EVENING."""

from __future__ import annotations

import pytest

from tests.factories.clock import freeze


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)
