"""抄告: when an entity is registered or its 经营范围 changes, its scope is matched against the
先照后证 catalogue (services/notice/matching.py) and each matched item's approval departments
get one notice (docs/notice.md).

``notify_entities`` is the one entry, set-based: the entity form calls it with one id, the
registry import with every new entity and every one whose scope changed.  Per chunk it reads
the entities' scopes, matches them in memory, reads the notices they already have, inserts
only the missing (entity, item, department name) triples through persistence.bulk (so a
re-import adds nothing) and records the check (``ScopeCheck``: how many items matched; none
lists the entity for review, and sends nothing).  Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from models import LicenceItemAuthority, MarketEntity, ScopeCheck, ScopeNotice, db, utcnow
from models.notice import NoticeStatus
from persistence.bulk import insert_rows
from services.notice.mapping import Resolver
from services.notice.matching import Matcher, normalise

CHUNK = 2_000
NOTICE_COLUMNS = ["entity_id", "item_id", "authority_id", "department_id", "from_department_id", "phrase",
                  "created_at", "status", "permit_no", "refusal_reason"]
CHECK_COLUMNS = ["entity_id", "matched", "from_department_id", "checked_at"]


@dataclass
class NoticeResult:
    checked: int = 0
    matched: int = 0  # entities whose scope matched at least one item
    unmatched: int = 0
    created: int = 0  # notices
    notice_ids: list[int] = field(default_factory=list)


def _authorities() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for item_id, authority_id in db.session.execute(
        select(LicenceItemAuthority.item_id, LicenceItemAuthority.authority_id)
    ):
        out.setdefault(item_id, []).append(authority_id)
    return out


def _ids(column: Any, chunk: list[int]) -> Any:
    """``column IN chunk``, or a range when the chunk is contiguous (an import's new ids are):
    compiling 2,000 bound values costs more than the query."""
    if chunk[-1] - chunk[0] + 1 == len(chunk):
        return column.between(chunk[0], chunk[-1])
    return column.in_(chunk)


def notify_entities(entity_ids: Sequence[int], from_department_id: int | None, *,
                    matcher: Matcher | None = None) -> NoticeResult:
    """Match the scopes of these entities and write the missing notices (see the module)."""
    result = NoticeResult()
    if not entity_ids:
        return result
    matcher = matcher or Matcher.from_catalogue()
    authorities = _authorities()
    resolver = Resolver()
    now = utcnow()
    wanted = sorted(set(entity_ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        entities = db.session.execute(
            select(MarketEntity.id, MarketEntity.business_scope, MarketEntity.department_id)
            .where(_ids(MarketEntity.id, chunk))
        ).all()
        have = {(e, i, a) for e, i, a in db.session.execute(
            select(ScopeNotice.entity_id, ScopeNotice.item_id, ScopeNotice.authority_id)
            .where(_ids(ScopeNotice.entity_id, chunk))
        )}
        notices: list[list[object]] = []
        checks: list[list[object]] = []
        for ident, scope, registry in entities:
            hits = matcher.match(scope or "")
            checks.append([ident, len(hits), from_department_id, now])
            result.checked += 1
            if not hits:
                result.unmatched += 1
                continue
            result.matched += 1
            for hit in hits:
                for authority_id in authorities.get(hit.item_id, ()):
                    if (ident, hit.item_id, authority_id) in have:
                        continue
                    notices.append([ident, hit.item_id, authority_id, resolver.department(registry, authority_id),
                                    from_department_id, hit.phrase[:200], now, NoticeStatus.PENDING, "", ""])
        db.session.execute(delete(ScopeCheck).where(_ids(ScopeCheck.entity_id, chunk)))
        insert_rows(ScopeCheck.__table__, CHECK_COLUMNS, checks)
        result.created += insert_rows(ScopeNotice.__table__, NOTICE_COLUMNS, notices)
    return result


def scope_changed(old: str | None, new: str | None) -> bool:
    """Whether a change of 经营范围 is one the matching can see (not only spaces or widths)."""
    return normalise(old or "") != normalise(new or "")
