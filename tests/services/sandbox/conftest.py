"""The sandbox tests judge on TODAY (tests.factories.risk): the clock stops at LATE_EVENING."""

from __future__ import annotations

import pytest

from tests.factories.clock import freeze
from tests.factories.sandbox import Sandbox, fake_dns


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)
    fake_dns(monkeypatch)


@pytest.fixture()
def box(org, make_user):
    return Sandbox(org, make_user)
