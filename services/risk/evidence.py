"""Where a piece of a warning's evidence links to: ``(endpoint, values)`` for ``url_for``, or
None.  A collected fact's own page (``collection.detail``) is open to its providing department's
clerks; other readers see the fact in the entity's dossier (``dossier.entity``)."""

from __future__ import annotations

from typing import Any

from models.facts import FACT_MODELS

# A fact kind's key is its table's name without "fact_" (services/collection/kinds.py).
FACT_KINDS = tuple(m.__tablename__.removeprefix("fact_") for m in FACT_MODELS)


def evidence_link(item: dict[str, Any], entity_id: int | None = None) -> tuple[str, dict[str, Any]] | None:
    kind, ident = item.get("kind"), item.get("id")
    if ident is None:
        return None
    if kind in FACT_KINDS:
        return "collection.detail", {"fact_kind": kind, "fact_id": ident}
    if kind == "inspection_record":
        return "inspections.show", {"record_id": ident}
    if kind == "entity":
        return "dossier.entity", {"entity_id": ident}
    if kind == "court_case":  # 司法送达失败预警 (services/risk/rules_court.py)
        return "court.case", {"case_id": ident}
    if kind == "case_filing" and entity_id is not None:
        return "dossier.entity", {"entity_id": entity_id}
    return None
