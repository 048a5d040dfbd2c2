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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from infrastructure.errors import Conflict, Forbidden
from models import Department, ImportBatch, User, db, utcnow
from models.facts import FactSource, PendingFact, PendingReason
from persistence import audit
from services.collection.fields import Checked, FactKind, Subject, is_id_number, to_json
from services.collection.match import Match, Matcher
from services.risk.affected import after_facts

CREATED, UPDATED, SAME, PENDING, ERROR = "新增", "更新", "无变化", "待处理", "有误"
Progress = Callable[[int, str], None]
CHUNK = 500


@dataclass
class Outcome:
    """What became of one record."""

    index: int
    status: str
    fact: Any = None
    pending: PendingFact | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        if self.pending is not None:
            return f"{self.pending.reason}：{self.pending.detail}"
        return "；".join(self.errors.values())


@dataclass
class IngestResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(o.status for o in self.outcomes)
        return {s: found.get(s, 0) for s in (CREATED, UPDATED, SAME, PENDING, ERROR)}

    @property
    def facts(self) -> list[Any]:
        return [o.fact for o in self.outcomes if o.fact is not None]

    @property
    def pending(self) -> list[PendingFact]:
        return [o.pending for o in self.outcomes if o.pending is not None]


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
    pool (``reason``, ``detail``)."""

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


def _fact_values(kind: FactKind, fact: Any) -> dict[str, Any]:
    values = {f.key: getattr(fact, f.key) for f in kind.fields}
    values["entity_id"] = fact.entity_id
    values["person_id"] = getattr(fact, "person_id", None)
    return values


def same(kind: FactKind, fact: Any, values: Mapping[str, Any]) -> bool:
    old = _fact_values(kind, fact)
    keys = [f.key for f in kind.fields] + ["entity_id", "person_id"]
    return all(_plain(old.get(k)) == _plain(values.get(k)) for k in keys)


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
    """The current facts of one kind by natural key, loaded in bulk for a batch."""

    def __init__(self, kind: FactKind) -> None:
        self.kind = kind
        self.by_key: dict[tuple[Hashable, ...], list[Any]] = {}
        self._loaded: set[Hashable] = set()

    def load(self, filings: Iterable[Filing]) -> None:
        model = self.kind.model
        wanted: dict[str, set[Any]] = {column: set() for column in _anchors(self.kind)}
        for f in filings:
            for column, values in wanted.items():
                if f.values.get(column) is not None:
                    values.add(f.values[column])
        for column, values in wanted.items():
            todo = sorted(v for v in values if (column, v) not in self._loaded)
            for start in range(0, len(todo), CHUNK):
                part = todo[start:start + CHUNK]
                self._loaded.update((column, v) for v in part)
                rows = db.session.execute(
                    select(model).where(getattr(model, column).in_(part), model.current.is_(True))  # type: ignore[attr-defined]
                ).scalars()
                for fact in rows:
                    self.add(fact)

    def add(self, fact: Any) -> None:
        key = natural_key(self.kind, _fact_values(self.kind, fact))
        bucket = self.by_key.setdefault(key, [])
        if all(f is not fact for f in bucket):
            bucket.append(fact)

    def remove(self, fact: Any) -> None:
        key = natural_key(self.kind, _fact_values(self.kind, fact))
        self.by_key[key] = [f for f in self.by_key.get(key, []) if f is not fact]

    def get(self, key: tuple[Hashable, ...]) -> list[Any]:
        return self.by_key.get(key, [])


# ------------------------------------------------------------------ matching and deciding


def match_subject(kind: FactKind, values: dict[str, Any], matcher: Matcher) -> Match:
    """Find the entity and/or person the record is about; put their ids into ``values``."""
    has_entity = any(values.get(k) for k in ("uscc", "reg_no", "entity_name"))
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
           correcting: Any = None) -> Filing:
    """新增, 无变化, 更新 or the pool (重复/冲突), against the live facts of the same key."""
    if correcting is not None:
        return Filing(SAME if same(kind, correcting, values) else UPDATED, values, correcting)
    existing = live.get(natural_key(kind, values))
    own = [f for f in existing if f.source_department_id == department.id]
    if own:
        previous = own[0]
        return Filing(SAME if same(kind, previous, values) else UPDATED, values, previous)
    if existing:
        other = existing[0]
        name = other.source_department.name
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
    """Insert one new fact (and retire the one it replaces)."""
    fact = kind.model(**_columns(kind, filing), **source.columns())
    if filing.previous is not None:
        _retire(kind, filing.previous)
        fact.replaces_id = filing.previous.id
        if live is not None:
            live.remove(filing.previous)
    db.session.add(fact)
    if live is not None:
        live.add(fact)
    return fact


class FactWriter:
    """The new facts of a batch, inserted ``CHUNK`` at a time (one INSERT … RETURNING each):
    a 100,000-row import does not build its rows one ORM flush at a time."""

    def __init__(self, kind: FactKind, source: Source) -> None:
        self.kind = kind
        self.common = {**source.columns(), "current": True}  # one received time for the batch
        self.rows: list[dict[str, Any]] = []
        self.outcomes: list[Outcome] = []

    def add(self, filing: Filing, outcome: Outcome) -> None:
        columns = {**_columns(self.kind, filing), **self.common, "replaces_id": None}
        if filing.previous is not None:
            _retire(self.kind, filing.previous)
            columns["replaces_id"] = filing.previous.id
        self.rows.append(columns)
        self.outcomes.append(outcome)

    def flush(self) -> None:
        if not self.rows:
            return
        model = self.kind.model
        facts = db.session.execute(insert(model).returning(model, sort_by_parameter_order=True), self.rows).scalars()
        for outcome, fact in zip(self.outcomes, facts, strict=True):
            outcome.fact = fact
        self.rows, self.outcomes = [], []


def _retire(kind: FactKind, previous: Any) -> None:
    """The replaced version stops being current, once: of two corrections at once one wins."""
    model = kind.model
    done = db.session.execute(
        update(model).where(model.id == previous.id, model.current.is_(True))  # type: ignore[attr-defined]
        .values(current=False).execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"该{kind.label}信息已被他人更正，请刷新后重试")
    set_committed_value(previous, "current", False)


def _subject_identifiers(values: Mapping[str, Any]) -> tuple[str, str]:
    code = values.get("uscc") or values.get("reg_no") or values.get("id_number") or ""
    name = values.get("entity_name") or values.get("person_name") or ""
    return str(code)[:30], str(name)[:200]


def write_pending(kind: FactKind, values: Mapping[str, Any], reason: str, detail: str,
                  source: Source) -> PendingFact:
    """Put a record in the pool, unless the very same record already waits there."""
    payload = to_json({k: v for k, v in values.items() if k not in ("entity_id", "person_id")})
    code, name = _subject_identifiers(values)
    waiting = db.session.execute(
        select(PendingFact).where(
            PendingFact.kind == kind.name, PendingFact.source_department_id == source.department.id,
            PendingFact.subject_code == code, PendingFact.subject_name == name, PendingFact.resolved_at.is_(None),
        )
    ).scalars()
    for pending in waiting:
        if pending.payload == payload:
            pending.reason, pending.detail = reason, detail
            return pending
    columns = source.columns()
    pending = PendingFact(kind=kind.name, payload=payload, reason=reason, detail=detail, subject_code=code,
                          subject_name=name, **columns)
    db.session.add(pending)
    return pending


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
    checked = [kind.check(r) for r in records]
    matcher = Matcher(department)
    matcher.prefetch([c.values for c in checked if c.valid])
    return file_checked(kind, checked, source, matcher)


def ingest_checked(kind: FactKind, checked: Sequence[Checked], *, source_kind: FactSource, department: Department,
                   actor: User | None = None, batch: ImportBatch | None = None,
                   progress: Progress | None = None) -> IngestResult:
    """``ingest`` for records already checked (an import checks them for its preview);
    ``progress(done, message)`` hears of every ``CHUNK`` records filed (a background job)."""
    matcher = Matcher(department)
    matcher.prefetch([c.values for c in checked if c.valid])
    return file_checked(kind, checked, Source(source_kind, department, actor, batch), matcher, progress=progress)


def file_checked(kind: FactKind, checked: Sequence[Checked], source: Source, matcher: Matcher,
                 progress: Progress | None = None) -> IngestResult:
    result = IngestResult()
    filings: list[tuple[int, Filing | None, Checked]] = []
    for index, c in enumerate(checked):
        if not c.valid:
            filings.append((index, None, c))
            continue
        values = dict(c.values)
        m = match_subject(kind, values, matcher)
        filing = Filing(PENDING, values, reason=m.reason, detail=m.detail) if not m.ok else Filing(CREATED, values)
        filings.append((index, filing, c))
    live = LiveFacts(kind)
    live.load(f for _, f, _ in filings if f is not None and f.status == CREATED)
    seen: dict[tuple[Hashable, ...], int] = {}
    writer = FactWriter(kind, source)
    for index, filing, c in filings:
        result.outcomes.append(_file_one(kind, index, filing, c, source, live, seen, writer))
        if len(result.outcomes) % CHUNK == 0:
            writer.flush()
            if progress is not None:
                progress(len(result.outcomes), f"正在归集：已处理 {len(result.outcomes)} 条")
    writer.flush()
    db.session.flush()
    _audit(kind, result.outcomes, source)
    _warn(kind, [o.fact for o in result.outcomes if o.fact is not None and o.status in (CREATED, UPDATED)])
    return result


def _warn(kind: FactKind, facts: Sequence[Any]) -> None:
    """The risk rules run over the entities the new facts touch (the incremental run, docs/risk.md)."""
    if facts:
        after_facts(db.session, kind.name, facts)


def _file_one(kind: FactKind, index: int, filing: Filing | None, c: Checked, source: Source, live: LiveFacts,
              seen: dict[tuple[Hashable, ...], int], writer: FactWriter) -> Outcome:
    """Decide one record; a new fact is handed to ``writer`` (its outcome gets the row at the flush)."""
    if filing is None:
        return Outcome(index, ERROR, errors=c.errors)
    if filing.status == CREATED:
        key = natural_key(kind, filing.values)
        if key in seen:
            filing = Filing(PENDING, filing.values, reason=PendingReason.DUPLICATE.value,
                            detail=f"与本批第{seen[key] + 1}条的{kind.label}相同（{'、'.join(_key_labels(kind))}相同）")
        else:
            seen[key] = index
            filing = decide(kind, filing.values, live, source.department)
    if filing.status == PENDING:
        return Outcome(index, PENDING, pending=write_pending(kind, filing.values, filing.reason, filing.detail, source))
    if filing.status == SAME:
        return Outcome(index, SAME, fact=filing.previous)
    outcome = Outcome(index, filing.status)
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
    m = match_subject(kind, values, Matcher(actor.department))
    if not m.ok:
        return Outcome(0, ERROR, errors={"uscc": m.detail})
    filing = Filing(CREATED, values)
    live = LiveFacts(kind)
    live.load([filing])
    if [f for f in live.get(natural_key(kind, values)) if f is not fact]:
        labels = "、".join(_key_labels(kind))
        return Outcome(0, ERROR, errors={"": f"已有{labels}相同的另一条{kind.label}信息，请更正那一条"})
    filing = decide(kind, values, live, actor.department, correcting=fact)
    if filing.status == SAME:
        return Outcome(0, SAME, fact=fact)
    source = Source(FactSource.ONLINE, actor.department, actor)
    outcome = Outcome(0, UPDATED, fact=write_fact(kind, filing, source, live))
    db.session.flush()
    _audit(kind, [outcome], source)
    _warn(kind, [outcome.fact, fact])
    return outcome
