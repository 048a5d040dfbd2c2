"""Rescoring after an import (docs/credit.md): only the entities the import touched, set-based,
in the import's own transaction — an imported national grade, or a fact that moves a score,
reaches the grade the draws use at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from models import ImportBatch, MarketEntity
from services.credit.scoring import RunResult, recompute


def after_facts_import(model: Any, batch: ImportBatch) -> RunResult:
    """The entities the batch filed facts under."""
    return recompute(select(model.entity_id).where(model.batch_id == batch.id, model.entity_id.is_not(None)))


def after_registry_import(written_at: datetime) -> RunResult:
    """The entities the registry import created or changed (their ``updated_at``)."""
    return recompute(select(MarketEntity.id).where(MarketEntity.updated_at >= written_at))
