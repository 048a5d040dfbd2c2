"""Tags of market entities added in bulk (the imports)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from models import EntityTag, db
from persistence.bulk import insert_rows


def add_tags_bulk(
    pairs: Iterable[tuple[int, str]], new_ids: frozenset[int] | set[int] = frozenset()
) -> list[tuple[int, str]]:
    """Insert the (entity id, tag) pairs not yet present, for imports; ``new_ids`` are
    entities created in the same run (they have no tags yet).  Returns the pairs added."""
    pairs_list = list(dict.fromkeys(pairs))
    if not pairs_list:
        return []
    existing: set[tuple[int, str]] = set()
    ids = sorted({e for e, _ in pairs_list if e not in new_ids})
    for i in range(0, len(ids), 500):
        existing.update(
            (row.entity_id, row.tag)
            for row in db.session.execute(
                select(EntityTag.entity_id, EntityTag.tag).where(EntityTag.entity_id.in_(ids[i : i + 500]))
            )
        )
    fresh = [pair for pair in pairs_list if pair not in existing]
    insert_rows(EntityTag.__table__, ("entity_id", "tag"), fresh)
    return fresh
