"""``ingest``: the one way a batch of facts enters the platform, whichever way it came in
(在线填报, 批量导入, 数据交换; seed 004 信息归集方式, docs/collection.md).

For each record: check it against its kind (services/collection/fields.py), find its subject
(match.py), then compare it with the live facts of the same natural key:

* none → a new fact (新增);
* one from the same department, identical → nothing written (无变化: the same file twice
  writes nothing twice);
* one from the same department, different → a new version: the old row stays with
  ``current`` False and the new one points to it (``replaces_id``) (更新);
* one from another department → the pending pool: 重复 when identical, 冲突 when not;
* a key repeated within the same call → the later record waits as 重复.

A record whose subject is not found waits in the pending pool (未匹配), never dropped; one with
invalid fields is returned with its errors (the caller shows them: the form, the import's
row errors, the exchange's answer).  Nothing is committed here.

The writes are set-based (services/collection/writes.py): a batch is decided record by record
in memory and written ``CHUNK`` records at a time with a few statements.  An outcome carries the
id of its fact or pending row; ``IngestResult.facts`` and ``.pending`` load them as ORM objects
for a caller that wants them (an online entry, which is also audited per fact), so an import
or an exchange of 100,000 records builds none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select

from infrastructure.errors import Conflict, Forbidden
from infrastructure.memory import gc_paused
from models import Department, ImportBatch, User, db, utcnow
from models.facts import FactSource, PendingFact, PendingReason
from persistence import audit
from persistence.bulk import in_values
from services.collection.fields import Checked, FactKind, Subject, is_id_number
from services.collection.match import Match, Matcher
from services.collection.writes import PendingWriter, insert_facts, retire
from services.notice.feedback import after_permits
from services.risk.affected import after_facts

CREATED, UPDATED, SAME, PENDING, ERROR = "新增", "更新", "无变化", "待处理", "有误"
Progress = Callable[[int, str], None]
CHUNK = 500  # identifiers per query
WRITE_CHUNK = 5000  # records decided, then written, at a time (and a job's progress)


@dataclass
class Outcome:
    """What became of one record: the id of its fact (新增, 更新, 无变化) or of its pending row
    (待处理, with the reason), or its errors (有误).  ``fact`` and ``pending`` are the ORM
    objects once loaded (``IngestResult.load``)."""

    index: int
    status: str
    fact: Any = None
    pending: PendingFact | None = None
    errors: dict[str, str] = field(default_factory=dict)
    fact_id: int | None = None
    pending_id: int | None = None
    reason: str = ""
    detail: str = ""

    @property
    def message(self) -> str:
        if self.reason:
            return f"{self.reason}：{self.detail}"
        return "；".join(self.errors.values())

    def waits(self, pending_id: int, reason: str, detail: str) -> None:
        self.pending_id, self.reason, self.detail = pending_id, reason, detail


@dataclass
class IngestResult:
    kind: FactKind | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(o.status for o in self.outcomes)
        return {s: found.get(s, 0) for s in (CREATED, UPDATED, SAME, PENDING, ERROR)}

    @property
    def facts(self) -> list[Any]:
        self.load()
        return [o.fact for o in self.outcomes if o.fact is not None]

    @property
    def pending(self) -> list[PendingFact]:
        self.load()
        return [o.pending for o in self.outcomes if o.pending is not None]

    def load(self) -> None:
        """Give every outcome its fact or pending row as an ORM object (one query per 500)."""
        facts = {o.fact_id for o in self.outcomes if o.fact is None and o.fact_id is not None}
        pending = {o.pending_id for o in self.outcomes if o.pending is None and o.pending_id is not None}
        loaded_facts = _by_id(self.kind.model, facts) if facts and self.kind is not None else {}
        loaded_pending = _by_id(PendingFact, pending) if pending else {}
        for o in self.outcomes:
            if o.fact is None and o.fact_id is not None:
                o.fact = loaded_facts.get(o.fact_id)
            if o.pending is None and o.pending_id is not None:
                o.pending = loaded_pending.get(o.pending_id)


def _by_id(model: Any, ids: Iterable[int]) -> dict[int, Any]:
    wanted, found = sorted(ids), {}
    for start in range(0, len(wanted), CHUNK):
        for row in db.session.execute(select(model).where(in_values(model.id, wanted[start:start + CHUNK]))).scalars():
            found[row.id] = row
    return found


@dataclass
class Source:
    """Who provided the records, how and when."""

    kind: FactSource
    department: Department
    actor: User | None = None
    batch: ImportBatch | None = None
    received_at: datetime | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "source_department_id": self.department.id,
            "source_kind": self.kind,
            "received_at": self.received_at or utcnow(),
            "created_by_id": self.actor.id if self.actor else None,
            "batch_id": self.batch.id if self.batch else None,
        }


@dataclass
class Filing:
    """Where a checked record would go: a fact to write (``values`` with the subject's ids) or the
    pool (``reason``, ``detail``).  ``previous`` is the live fact it replaces or repeats."""

    status: str
    values: dict[str, Any] = field(default_factory=dict)
    previous: Any = None
    reason: str = ""
    detail: str = ""


# ------------------------------------------------------------------ natural keys and sameness


def _plain(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def natural_key(kind: FactKind, values: Mapping[str, Any]) -> tuple[Hashable, ...]:
    out: list[Hashable] = []
    for key in kind.natural_key:
        if key == "@subject":
            person = values.get("person_id") if kind.subject == Subject.ENTITY_OR_PERSON else None
            out.append((values.get("entity_id"), person))
        elif key == "@person":
            out.append(values.get("person_id"))
        else:
            out.append(_plain(values.get(key)))
    return tuple(out)


@dataclass(slots=True)
class LiveFact:
    """A current fact as a decision reads it (``LiveFacts``): no ORM object is built for it."""

    id: int
    source_department_id: int
    received_at: datetime
    values: dict[str, Any]  # the kind's fields, entity_id and person_id


def _fact_values(kind: FactKind, fact: Any) -> dict[str, Any]:
    if isinstance(fact, LiveFact):
        return fact.values
    values = {f.key: getattr(fact, f.key) for f in kind.fields}
    values["entity_id"] = fact.entity_id
    values["person_id"] = getattr(fact, "person_id", None)
    return values


def same(kind: FactKind, fact: Any, values: Mapping[str, Any]) -> bool:
    old = _fact_values(kind, fact)
    for key in (*(f.key for f in kind.fields), "entity_id", "person_id"):
        a, b = old.get(key), values.get(key)
        if a != b and _plain(a) != _plain(b):
            return False
    return True


_NUMBER_KEYS = ("permit_no", "decision_no", "case_no", "address")


def _anchors(kind: FactKind) -> tuple[str, ...]:
    """The columns the live facts of a batch are loaded by: the number a kind is keyed by
    (许可证编号, 文号, 案号, 地址), else its subject."""
    first = kind.natural_key[0]
    if first in _NUMBER_KEYS:
        return (first,)
    if kind.subject == Subject.ENTITY_OR_PERSON:
        return ("entity_id", "person_id")
    return ("entity_id",)


class LiveFacts:
    """The current facts of one kind by natural key, loaded in bulk for a batch as ``LiveFact``s
    (the columns a decision reads: id, subject, provenance, fields)."""

    def __init__(self, kind: FactKind) -> None:
        self.kind = kind
        self.by_key: dict[tuple[Hashable, ...], list[Any]] = {}
        self._loaded: set[Hashable] = set()
        self._table = table = kind.model.__table__  # type: ignore[attr-defined]
        self._names = [n for n in ("entity_id", "person_id", *(f.key for f in kind.fields)) if n in table.c]
        self._columns = [table.c.id, table.c.source_department_id, table.c.received_at,
                         *(table.c[n] for n in self._names)]

    def load(self, filings: Iterable[Filing]) -> None:
        wanted: dict[str, set[Any]] = {column: set() for column in _anchors(self.kind)}
        for f in filings:
            for column, values in wanted.items():
                if f.values.get(column) is not None:
                    values.add(f.values[column])
        names = self._names
        for column, values in wanted.items():
            todo = sorted(v for v in values if (column, v) not in self._loaded)
            for start in range(0, len(todo), CHUNK):
                part = todo[start:start + CHUNK]
                self._loaded.update((column, v) for v in part)
                rows = db.session.execute(
                    select(*self._columns).where(in_values(self._table.c[column], part), self._table.c.current.is_(True))
                )
                for ident, department, received, *own in rows:
                    values = dict(zip(names, own, strict=True))
                    values.setdefault("person_id", None)
                    self.add(LiveFact(ident, department, received, values))

    def add(self, fact: Any) -> None:
        key = natural_key(self.kind, _fact_values(self.kind, fact))
        bucket = self.by_key.setdefault(key, [])
        if all(f.id != fact.id for f in bucket):
            bucket.append(fact)

    def remove(self, fact: Any) -> None:
        key = natural_key(self.kind, _fact_values(self.kind, fact))
        self.by_key[key] = [f for f in self.by_key.get(key, []) if f.id != fact.id]

    def get(self, key: tuple[Hashable, ...]) -> list[Any]:
        return self.by_key.get(key, [])


# ------------------------------------------------------------------ matching and deciding


def match_subject(kind: FactKind, values: dict[str, Any], matcher: Matcher) -> Match:
    """Find the entity and/or person the record is about; put their ids into ``values``."""
    has_entity = bool(values.get("uscc") or values.get("reg_no") or values.get("entity_name"))
    result = Match()
    entity_optional = kind.subject in (Subject.ENTITY_OR_PERSON, Subject.OPTIONAL_ENTITY)
    if has_entity or not entity_optional:
        result = matcher.entity(values)
        if not result.ok:
            return result
    if kind.subject in (Subject.ENTITY_AND_PERSON, Subject.ENTITY_OR_PERSON) and values.get("id_number"):
        person = matcher.person(values.get("person_name") or "", values["id_number"])
        if not person.ok:
            return person
        result.person_id = person.person_id
    if kind.name == "capital" and is_id_number(values.get("shareholder_id_no")):
        person = matcher.person(values.get("shareholder") or "", values["shareholder_id_no"])
        if not person.ok:
            return person
        result.person_id = person.person_id
    values["entity_id"], values["person_id"] = result.entity_id, result.person_id
    return result


def decide(kind: FactKind, values: dict[str, Any], live: LiveFacts, department: Department,
           correcting: Any = None, key: tuple[Hashable, ...] | None = None) -> Filing:
    """新增, 无变化, 更新 or the pool (重复/冲突), against the live facts of the same key
    (``key``: the record's natural key, when the caller has it already)."""
    if correcting is not None:
        return Filing(SAME if same(kind, correcting, values) else UPDATED, values, correcting)
    existing = live.get(natural_key(kind, values) if key is None else key)
    own = [f for f in existing if f.source_department_id == department.id]
    if own:
        previous = own[0]
        return Filing(SAME if same(kind, previous, values) else UPDATED, values, previous)
    if existing:
        other = existing[0]
        name = db.session.get(Department, other.source_department_id).name  # type: ignore[union-attr]
        when = other.received_at.strftime("%Y-%m-%d")
        if same(kind, other, values):
            return Filing(PENDING, values, reason=PendingReason.DUPLICATE.value,
                          detail=f"与{name}于{when}报送的{kind.label}信息相同，已归集，无需重复报送")
        return Filing(PENDING, values, reason=PendingReason.CONFLICT.value,
                      detail=f"与{name}于{when}报送的同一{kind.label}信息不一致，请与该部门核实")
    return Filing(CREATED, values)


# ------------------------------------------------------------------ writing


def _columns(kind: FactKind, filing: Filing) -> dict[str, Any]:
    columns = {f.key: filing.values.get(f.key) for f in kind.fields}
    columns["entity_id"] = filing.values.get("entity_id")
    if hasattr(kind.model, "person_id"):
        columns["person_id"] = filing.values.get("person_id")
    return columns


def write_fact(kind: FactKind, filing: Filing, source: Source, live: LiveFacts | None = None) -> Any:
    """Insert one new fact as an ORM object (a correction, a re-matched fact) and retire the one
    it replaces.  Its persons must exist (``Matcher.create_persons``)."""
    fact = kind.model(**_columns(kind, filing), **source.columns())
    if filing.previous is not None:
        retire(kind, [filing.previous.id])
        fact.replaces_id = filing.previous.id
        if live is not None:
            live.remove(filing.previous)
    db.session.add(fact)
    db.session.flush()
    if live is not None:
        live.add(fact)
    return fact


class Written(NamedTuple):
    """Of a fact written, the columns the risk rules' incremental run reads (services/risk/affected.py)."""

    entity_id: int | None
    person_id: int | None
    address: str | None


class FactWriter:
    """The new facts and waiting records of a batch, written ``CHUNK`` records at a time
    (services/collection/writes.py); each outcome learns its row's id."""

    def __init__(self, kind: FactKind, source: Source, matcher: Matcher) -> None:
        self.kind = kind
        self.matcher = matcher
        self.source = source.columns()  # one received time for the batch
        self.pending = PendingWriter(kind, self.source)
        self.rows: list[dict[str, Any]] = []
        self.replaces: list[int | None] = []
        self.outcomes: list[Outcome] = []
        self.written: list[Written] = []  # what the risk rules read of the facts written

    def add(self, filing: Filing, outcome: Outcome) -> None:
        self.rows.append(dict(filing.values))
        self.replaces.append(filing.previous.id if filing.previous is not None else None)
        self.outcomes.append(outcome)

    def wait(self, filing: Filing, outcome: Outcome) -> None:
        self.pending.add(filing.values, filing.reason, filing.detail, outcome.waits)

    def flush(self) -> None:
        if self.rows:
            retire(self.kind, [i for i in self.replaces if i is not None])
            self.matcher.create_persons(self.rows)
            ids = insert_facts(self.kind, self.rows, self.replaces, self.source)
            for outcome, ident in zip(self.outcomes, ids, strict=True):
                outcome.fact_id = ident
            self.written.extend(Written(r.get("entity_id"), r.get("person_id"), r.get("address")) for r in self.rows)
            self.rows, self.replaces, self.outcomes = [], [], []
        self.pending.flush()


def _audit(kind: FactKind, outcomes: Sequence[Outcome], source: Source) -> None:
    """Online entries and corrections leave one audit row per fact; imports are audited per batch
    (services/import_batches.py) and the exchange by its caller."""
    if source.kind != FactSource.ONLINE or source.actor is None:
        return
    for o in outcomes:
        if o.fact is not None and o.status in (CREATED, UPDATED):
            summary = {"信息类别": kind.label, "标识": str(getattr(o.fact, kind.title_field) or "")}
            if o.fact.replaces_id:
                summary["更正的记录"] = o.fact.replaces_id
            audit.record("create" if o.status == CREATED else "update", object_type=kind.table,
                         object_id=o.fact.id, summary=summary, user=source.actor)


def ingest(kind: FactKind, records: Sequence[Mapping[str, Any]], *, source_kind: FactSource,
           department: Department, actor: User | None = None, batch: ImportBatch | None = None,
           received_at: datetime | None = None) -> IngestResult:
    """Check, match and file a batch of records of one kind (see the module's docstring)."""
    source = Source(source_kind, department, actor, batch, received_at)
    with gc_paused():  # many objects, no cycles: see infrastructure/memory.py
        checked = kind.check_many(records)
        matcher = Matcher(department)
        matcher.prefetch([c.values for c in checked if c.valid])
        return file_checked(kind, checked, source, matcher)


def ingest_checked(kind: FactKind, checked: Sequence[Checked], *, source_kind: FactSource, department: Department,
                   actor: User | None = None, batch: ImportBatch | None = None,
                   progress: Progress | None = None) -> IngestResult:
    """``ingest`` for records already checked (an import checks them for its preview);
    ``progress(done, message)`` hears of every ``WRITE_CHUNK`` records filed (a background job)."""
    with gc_paused():
        matcher = Matcher(department)
        matcher.prefetch([c.values for c in checked if c.valid])
        return file_checked(kind, checked, Source(source_kind, department, actor, batch), matcher, progress=progress)


def file_checked(kind: FactKind, checked: Sequence[Checked], source: Source, matcher: Matcher,
                 progress: Progress | None = None) -> IngestResult:
    """Match every record (in memory: the matcher has prefetched), load the live facts they may
    meet in bulk, then decide the records in order and write them ``CHUNK`` at a time."""
    result = IngestResult(kind)
    filings: list[Filing | None] = []
    for c in checked:
        if not c.valid:
            filings.append(None)
            continue
        values = dict(c.values)
        m = match_subject(kind, values, matcher)
        filings.append(Filing(PENDING, values, reason=m.reason, detail=m.detail) if not m.ok else Filing(CREATED, values))
    live = LiveFacts(kind)
    live.load(f for f in filings if f is not None and f.status == CREATED)
    seen: dict[tuple[Hashable, ...], int] = {}
    writer = FactWriter(kind, source, matcher)
    for start in range(0, len(filings), WRITE_CHUNK):
        for index in range(start, min(start + WRITE_CHUNK, len(filings))):
            result.outcomes.append(_file_one(kind, index, filings[index], checked[index], source, live, seen, writer))
        writer.flush()
        if progress is not None and len(result.outcomes) % WRITE_CHUNK == 0:
            progress(len(result.outcomes), f"正在归集：已处理 {len(result.outcomes)} 条")
    if source.kind == FactSource.ONLINE:
        result.load()
        _audit(kind, result.outcomes, source)
    _warn(kind, writer.written)  # the facts written (新增, 更新), read from what was written
    return result


def _warn(kind: FactKind, facts: Sequence[Any]) -> None:
    """The risk rules run over the entities the new facts touch (the incremental run, docs/risk.md)."""
    if facts:
        after_facts(db.session, kind.name, facts)
        if kind.name == "permit":  # 双告知's 发证反馈: a permit of a notified entity sets 已发证
            after_permits(f.entity_id for f in facts)


def _file_one(kind: FactKind, index: int, filing: Filing | None, c: Checked, source: Source, live: LiveFacts,
              seen: dict[tuple[Hashable, ...], int], writer: FactWriter) -> Outcome:
    """Decide one record; a new fact or a waiting record is handed to ``writer`` (its outcome
    gets the row's id at the flush)."""
    if filing is None:
        return Outcome(index, ERROR, errors=c.errors)
    if filing.status == CREATED:
        key = natural_key(kind, filing.values)
        if key in seen:
            filing = Filing(PENDING, filing.values, reason=PendingReason.DUPLICATE.value,
                            detail=f"与本批第{seen[key] + 1}条的{kind.label}相同（{'、'.join(_key_labels(kind))}相同）")
        else:
            seen[key] = index
            filing = decide(kind, filing.values, live, source.department, key=key)
    outcome = Outcome(index, filing.status)
    if filing.status == PENDING:
        writer.wait(filing, outcome)
    elif filing.status == SAME:
        outcome.fact_id = filing.previous.id
    else:
        writer.add(filing, outcome)
    return outcome


def _key_labels(kind: FactKind) -> list[str]:
    labels = {"@subject": "主体", "@person": "人员"}
    return [labels.get(k) or kind.field(k).label for k in kind.natural_key]


def correct(kind: FactKind, fact: Any, record: Mapping[str, Any], *, actor: User) -> Outcome:
    """更正: a new version of ``fact`` from the record; its natural key may change too, but not
    to that of another live fact, and its subject must be found (a correction never waits in
    the pool: the clerk is told at once)."""
    if fact.source_department_id != actor.department_id:
        raise Forbidden("只能更正本部门报送的信息")
    if not fact.current:
        raise Conflict("该记录已被更正，请更正其最新版本")
    c = kind.check(record)
    if not c.valid:
        return Outcome(0, ERROR, errors=c.errors)
    values = dict(c.values)
    matcher = Matcher(actor.department)
    m = match_subject(kind, values, matcher)
    if not m.ok:
        return Outcome(0, ERROR, errors={"uscc": m.detail})
    filing = Filing(CREATED, values)
    live = LiveFacts(kind)
    live.load([filing])
    if [f for f in live.get(natural_key(kind, values)) if f.id != fact.id]:
        labels = "、".join(_key_labels(kind))
        return Outcome(0, ERROR, errors={"": f"已有{labels}相同的另一条{kind.label}信息，请更正那一条"})
    filing = decide(kind, values, live, actor.department, correcting=fact)
    if filing.status == SAME:
        return Outcome(0, SAME, fact=fact, fact_id=fact.id)
    matcher.create_persons([values])
    source = Source(FactSource.ONLINE, actor.department, actor)
    written = write_fact(kind, filing, source, live)
    outcome = Outcome(0, UPDATED, fact=written, fact_id=written.id)
    _audit(kind, [outcome], source)
    _warn(kind, [outcome.fact, fact])
    return outcome
