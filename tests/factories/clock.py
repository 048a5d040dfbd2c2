"""Freezing the platform's clock (infrastructure/clock.py) for the China-time tests.

``LATE_EVENING`` is 23:30 UTC on 3 November 2026: 07:30 on 4 November in China, so every
"today", printed date and shown time must say 4 November, never 3 November 23:30."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from infrastructure import clock

LATE_EVENING = datetime(2026, 11, 3, 23, 30)  # naive UTC, as stored
CHINA_DAY = date(2026, 11, 4)
CHINA_TEXT = "2026-11-04 07:30"
PAPER_DATE = "2026年11月4日"


def freeze(monkeypatch: Any, at: datetime = LATE_EVENING) -> datetime:
    """Stop the clock at ``at`` (naive UTC) for the rest of the test; returns ``at``."""
    monkeypatch.setattr(clock, "now", lambda: at.replace(tzinfo=UTC))
    return at
