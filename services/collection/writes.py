"""The writes of ``ingest`` (services/collection/ingest.py), set-based: what a batch files is
written a chunk at a time with a few statements, not one per record (docs/collection.md,
docs/benchmarks.md).

* new facts: ids drawn in one query, the rows written with persistence.bulk.insert_rows (COPY on
  PostgreSQL, executemany on SQLite) — no ORM object is built; a caller that needs them loads
  them by id (``IngestResult.facts``);
* the versions they replace: one ``UPDATE … WHERE id IN … AND current`` per chunk, which must
  touch every one of them (of two corrections at once one wins);
* the pending pool: the open rows of the same department and kind naming the chunk's subjects
  read in one query per 500 identifiers; the same record again refreshes its reason, a new one
  is inserted in bulk.

Nothing is committed here.  ORM objects of the rows touched that the session already holds are
kept up to date (``current``, ``reason``, ``detail``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from infrastructure.errors import Conflict
from models import db
from models.facts import PendingFact
from persistence.bulk import allocate_ids, in_values, insert_rows, update_rows
from services.collection.fields import FactKind, to_json

CHUNK = 500
SUBJECT_KEYS = ("entity_id", "person_id")


def _sync_loaded(model: type, ident: int, **values: Any) -> None:
    """Tell an ORM object of this row the session already holds what a bulk statement wrote."""
    loaded = db.session.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


def retire(kind: FactKind, ids: Sequence[int]) -> None:
    """The replaced versions stop being current, each once: of two corrections at once one wins
    (the other is told 已被他人更正 and its transaction is rolled back by the caller)."""
    model = kind.model
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        done = db.session.execute(
            update(model).where(in_values(model.id, part), model.current.is_(True))  # type: ignore[attr-defined]
            .values(current=False).execution_options(synchronize_session=False)
        )
        if done.rowcount != len(part):  # type: ignore[attr-defined]
            raise Conflict(f"该{kind.label}信息已被他人更正，请刷新后重试")
        for ident in part:
            _sync_loaded(model, ident, current=False)


def fact_columns(kind: FactKind) -> list[str]:
    """The columns a new fact is written with (``insert_facts``), id first."""
    table = kind.model.__table__  # type: ignore[attr-defined]
    subject = [c for c in SUBJECT_KEYS if c in table.c]
    return ["id", *(f.key for f in kind.fields), *subject, "source_department_id", "source_kind", "received_at",
            "created_by_id", "batch_id", "current", "replaces_id"]


def insert_facts(kind: FactKind, values: Sequence[Mapping[str, Any]], replaces: Sequence[int | None],
                 source: Mapping[str, Any]) -> list[int]:
    """Write new current facts (their checked ``values``, the provenance columns ``source``, the
    version each replaces); their ids, in order."""
    if not values:
        return []
    table = kind.model.__table__  # type: ignore[attr-defined]
    columns = fact_columns(kind)
    keys = columns[1:columns.index("source_department_id")]
    common = [source[c] for c in ("source_department_id", "source_kind", "received_at", "created_by_id", "batch_id")]
    # A blank value takes the column's default, as the ORM gives it (e.g. "" for a NOT NULL text).
    defaults = [(i, table.c[k].default.arg) for i, k in enumerate(keys)
                if table.c[k].default is not None and table.c[k].default.is_scalar]
    ids = allocate_ids(table, len(values))
    rows = []
    for ident, v, previous in zip(ids, values, replaces, strict=True):
        own = list(map(v.get, keys))
        for i, default in defaults:
            if own[i] is None:
                own[i] = default
        rows.append([ident, *own, *common, True, previous])
    insert_rows(table, columns, rows)
    return ids


def subject_identifiers(values: Mapping[str, Any]) -> tuple[str, str]:
    """The code and name a record named its subject by (the pool's indexed columns)."""
    code = values.get("uscc") or values.get("reg_no") or values.get("id_number") or ""
    name = values.get("entity_name") or values.get("person_name") or ""
    return str(code)[:30], str(name)[:200]


def _payload_key(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


Waiting = tuple[str, str, str]  # subject code, subject name, payload key
Done = Callable[[int, str, str], None]  # (pending id, reason, detail) for one record


class PendingWriter:
    """Records of one kind and department going to the pending pool, written per chunk.  The
    very same record already waiting (same subject identifiers and payload, still open) is not
    added again: its reason and detail are refreshed."""

    def __init__(self, kind: FactKind, source: Mapping[str, Any]) -> None:
        self.kind = kind
        self.source = source
        self.known: dict[Waiting, list[Any]] = {}  # → [id, reason, detail] of the open row
        self.looked: set[tuple[str, str]] = set()
        self.items: list[tuple[Waiting, dict[str, Any], str, str, Done]] = []

    def add(self, values: Mapping[str, Any], reason: str, detail: str, done: Done) -> None:
        payload = to_json({k: v for k, v in values.items() if k not in SUBJECT_KEYS})
        code, name = subject_identifiers(values)
        self.items.append(((code, name, _payload_key(payload)), payload, reason, detail, done))

    def _look_up(self) -> None:
        """The open rows naming the subjects of this chunk not yet looked at, in bulk."""
        todo = {(w[0], w[1]) for w, *_ in self.items} - self.looked
        self.looked |= todo
        by_code = sorted({c for c, _ in todo if c})
        by_name = sorted({n for c, n in todo if not c})
        for column, values in ((PendingFact.subject_code, by_code), (PendingFact.subject_name, by_name)):
            for start in range(0, len(values), CHUNK):
                rows = db.session.execute(
                    select(PendingFact.id, PendingFact.subject_code, PendingFact.subject_name, PendingFact.payload,
                           PendingFact.reason, PendingFact.detail)
                    .where(PendingFact.kind == self.kind.name,
                           PendingFact.source_department_id == self.source["source_department_id"],
                           PendingFact.resolved_at.is_(None), in_values(column, values[start:start + CHUNK]))
                    .order_by(PendingFact.id)
                )
                for row in rows:
                    if (row.subject_code, row.subject_name) in todo:
                        key = (row.subject_code, row.subject_name, _payload_key(row.payload))
                        self.known.setdefault(key, [row.id, row.reason, row.detail])

    def flush(self) -> None:
        if not self.items:
            return
        self._look_up()
        fresh: dict[Waiting, list[Any]] = {}  # the same record twice in the chunk: one row, the last reason
        changed: dict[int, tuple[str, str]] = {}
        for key, payload, reason, detail, _done in self.items:
            row = self.known.get(key)
            if row is None:
                fresh[key] = [payload, reason, detail]
            elif (row[1], row[2]) != (reason, detail):
                row[1], row[2] = reason, detail
                changed[row[0]] = (reason, detail)
        ids = allocate_ids(PendingFact.__table__, len(fresh))
        for ident, (key, (_payload, reason, detail)) in zip(ids, fresh.items(), strict=True):
            self.known[key] = [ident, reason, detail]
        self._insert(ids, fresh)
        for key, _payload, reason, detail, done in self.items:
            done(self.known[key][0], reason, detail)
        if changed:
            update_rows(PendingFact.__table__, "id", ("reason", "detail"),
                        [(reason, detail, ident) for ident, (reason, detail) in changed.items()])
            for ident, (reason, detail) in changed.items():
                _sync_loaded(PendingFact, ident, reason=reason, detail=detail)
        self.items = []

    def _insert(self, ids: Sequence[int], fresh: Mapping[Waiting, list[Any]]) -> None:
        if not ids:
            return
        s = self.source
        common = [s["source_department_id"], s["source_kind"], s["received_at"], s["created_by_id"], s["batch_id"]]
        insert_rows(PendingFact.__table__,
                    ("id", "kind", "payload", "reason", "detail", "subject_code", "subject_name",
                     "source_department_id", "source_kind", "received_at", "created_by_id", "batch_id"),
                    [(ident, self.kind.name, payload, reason, detail, key[0], key[1], *common)
                     for ident, (key, (payload, reason, detail)) in zip(ids, fresh.items(), strict=True)])
