"""Filing a fact under its subject (seed 004 §4.3 信息关联): a market entity by 统一社会信用代码,
then 注册号, then exact name; a natural person by ID number.

Only the entities of the providing department's area are candidates (the 区 registry, or the
whole city for a city department: persistence/scope.py), so matching never reveals an entity the
department could not look up.  A later identifier is accepted only if it does not contradict an
earlier one (a name that finds an entity with another 统一社会信用代码 is a conflict, not a
match).  A person unknown by ID number is created with the name given, but only once a fact
naming them is written (until then they have a provisional negative id: ``create_persons``); a
known one given under another name is a conflict.  ``Matcher`` caches lookups and loads them in
bulk for an import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select

from infrastructure.masking import mask_id_number
from models import Department, MarketEntity, Person, db, utcnow
from models.facts import PendingReason
from persistence.bulk import allocate_ids, in_values, insert_rows
from persistence.org import region_root
from persistence.scope import subtree_ids

CHUNK = 500


class Candidate(NamedTuple):
    id: int
    uscc: str | None
    reg_no: str | None
    name: str


class PersonRef(NamedTuple):
    """A natural person as matching sees them; ``id`` is negative while not yet created."""

    id: int
    name: str
    id_number: str


@dataclass
class Match:
    """The subject found, or why not (``reason`` one of PendingReason, ``detail`` in Chinese)."""

    entity_id: int | None = None
    person_id: int | None = None
    reason: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def unmatched(detail: str) -> Match:
    return Match(reason=PendingReason.UNMATCHED.value, detail=detail)


def conflict(detail: str) -> Match:
    return Match(reason=PendingReason.CONFLICT.value, detail=detail)


class Matcher:
    """Entity and person lookups for one providing department, cached for a batch."""

    def __init__(self, department: Department) -> None:
        root = region_root(department)
        self.region_ids = list(db.session.execute(subtree_ids(root)).scalars())
        self._by: dict[str, dict[str, list[Candidate]]] = {"uscc": {}, "reg_no": {}, "name": {}}
        self._persons: dict[str, PersonRef | None] = {}
        self._new: dict[int, PersonRef] = {}  # provisional id → the person first met in this batch
        self._created: dict[int, int] = {}  # provisional id → the id of the row created

    # -- loading
    def _load(self, column: str, values: Iterable[str]) -> None:
        cache = self._by[column]
        missing = sorted({v for v in values if v and v not in cache})
        attr = getattr(MarketEntity, column)
        for start in range(0, len(missing), CHUNK):
            part = missing[start:start + CHUNK]
            for v in part:
                cache[v] = []
            rows = db.session.execute(
                select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no, MarketEntity.name)
                .where(in_values(attr, part), MarketEntity.department_id.in_(self.region_ids))
            ).all()
            for row in rows:
                cache[getattr(row, column)].append(Candidate(*row))

    def prefetch(self, values: Sequence[Mapping[str, Any]]) -> None:
        """Load every entity and person a batch of checked values names, in a few queries."""
        self._load("uscc", (v.get("uscc") or "" for v in values))
        self._load("reg_no", (v.get("reg_no") or "" for v in values))
        self._load("name", (v.get("entity_name") or "" for v in values))
        self._load_persons(i for v in values for i in (v.get("id_number"), v.get("shareholder_id_no")) if i)

    def _load_persons(self, numbers: Iterable[str]) -> None:
        ids = sorted(set(numbers) - set(self._persons))
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            for i in part:
                self._persons[i] = None
            rows = db.session.execute(
                select(Person.id, Person.name, Person.id_number).where(in_values(Person.id_number, part))
            )
            for row in rows:
                self._persons[row.id_number] = PersonRef(*row)

    def _lookup(self, column: str, value: str) -> list[Candidate]:
        if value not in self._by[column]:
            self._load(column, [value])
        return self._by[column][value]

    # -- matching
    def entity(self, values: Mapping[str, Any]) -> Match:
        """统一社会信用代码, then 注册号, then exact name."""
        uscc, reg_no, name = values.get("uscc"), values.get("reg_no"), values.get("entity_name")
        tried: list[str] = []
        for column, value, label in (("uscc", uscc, "统一社会信用代码"), ("reg_no", reg_no, "注册号"),
                                     ("name", name, "名称")):
            if not value:
                continue
            found = self._lookup(column, value)
            if len(found) > 1:
                return unmatched(f"名称为“{value}”的市场主体有{len(found)}个，请填写统一社会信用代码或注册号")
            if found:
                return self._consistent(found[0], uscc, reg_no, label, value)
            tried.append(f"{label}“{value}”")
        return unmatched("本区域市场主体库中未找到" + "、".join(tried) + "对应的市场主体")

    @staticmethod
    def _consistent(found: Candidate, uscc: str | None, reg_no: str | None, label: str, value: str) -> Match:
        if uscc and found.uscc and found.uscc != uscc:
            return conflict(f"按{label}“{value}”找到的市场主体“{found.name}”的统一社会信用代码为{found.uscc}，"
                            f"与填报的{uscc}不一致")
        if reg_no and found.reg_no and found.reg_no != reg_no:
            return conflict(f"按{label}“{value}”找到的市场主体“{found.name}”的注册号为{found.reg_no}，"
                            f"与填报的{reg_no}不一致")
        return Match(entity_id=found.id)

    def person(self, name: str, id_number: str) -> Match:
        """The person with this ID number (a provisional one when new); a different name is a conflict."""
        if id_number not in self._persons:
            self._load_persons([id_number])
        person = self._persons[id_number]
        if person is None:
            person = PersonRef(-len(self._new) - 1, name, id_number)
            self._persons[id_number] = self._new[person.id] = person
        elif name and person.name != name:
            return conflict(f"身份证号{mask_id_number(person.id_number)}已登记为“{person.name}”，"
                            f"与填报的姓名“{name}”不一致")
        return Match(person_id=person.id)

    def create_persons(self, rows: Iterable[MutableMapping[str, Any]]) -> None:
        """The persons first met in this batch whom ``rows`` (about to be written) name get their
        row, all in one insert, and each row's provisional ``person_id`` becomes the real one.  A
        person whose facts all wait in the pending pool is not created."""
        rows = list(rows)
        needed = sorted({r["person_id"] for r in rows if (r.get("person_id") or 0) < 0} - set(self._created),
                        reverse=True)
        if needed:
            ids = allocate_ids(Person.__table__, len(needed))
            now = utcnow()
            insert_rows(Person.__table__, ("id", "name", "id_number", "created_at"),
                        [(i, self._new[t].name, self._new[t].id_number, now) for t, i in zip(needed, ids, strict=True)])
            for t, i in zip(needed, ids, strict=True):
                self._created[t] = i
                self._persons[self._new[t].id_number] = self._new[t]._replace(id=i)
        for r in rows:
            if (r.get("person_id") or 0) < 0:
                r["person_id"] = self._created[r["person_id"]]

    def forget_entities(self) -> None:
        """Drop the cached entity lookups (the registry changed: services/collection/pending.py)."""
        for cache in self._by.values():
            cache.clear()
