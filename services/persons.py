"""自然人 (natural persons as subjects of facts): the person page's data, its scope and the
audited view of the full ID number (docs/dossier.md).

Scope: a person is visible to a user when a current fact ties the person to a market entity of
the user's area (an office held, a shareholding), or when a department of that area provided
a fact about the person (a 失信 listing of the person); otherwise the page answers 404, as an
entity of another district does.  The offices listed are those in entities of the user's area.

The ID number is shown masked; the roles that need the full number (``REVEAL_ROLES``: the
clerks and leaders who act on a 失信 listing) may ask for it, and every such view writes an
audit row (``view_personal_data``).  Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import exists, or_, select

from infrastructure import clock
from infrastructure.errors import Forbidden
from models import CapitalContribution, MarketEntity, Officer, Person, Sanction, User, db
from models.roles import Role
from persistence import audit
from persistence.org import region_root
from persistence.scope import scope_entities, subtree_ids

REVEAL_ROLES = (Role.CLERK, Role.DEPT_LEADER)


def may_reveal(user: User) -> bool:
    return user.has_role(*REVEAL_ROLES)


def visible_persons(user: User) -> Any:
    """A condition on ``Person.id``: the persons ``user`` may open."""
    entities = scope_entities(select(MarketEntity.id), user)
    area = subtree_ids(region_root(user.department))
    return or_(
        exists().where(Officer.person_id == Person.id, Officer.current.is_(True), Officer.entity_id.in_(entities)),
        exists().where(CapitalContribution.person_id == Person.id, CapitalContribution.current.is_(True),
                       CapitalContribution.entity_id.in_(entities)),
        exists().where(Sanction.person_id == Person.id, Sanction.current.is_(True),
                       Sanction.source_department_id.in_(area)),
    )


def get_visible(user: User, person_id: int) -> Person | None:
    """The person, or None when absent or outside ``user``'s area."""
    return db.session.execute(
        select(Person).where(Person.id == person_id, visible_persons(user))
    ).scalar_one_or_none()


def sanction_active(sanction: Any, today: date) -> bool:
    """A listing in force: not removed and not past its validity."""
    return sanction.removed_on is None and (sanction.valid_until is None or sanction.valid_until >= today)


@dataclass
class Office:
    fact: Officer
    entity: MarketEntity
    serving: bool


@dataclass
class PersonView:
    person: Person
    offices: list[Office] = field(default_factory=list)
    sanctions: list[Any] = field(default_factory=list)
    shares: list[tuple[Any, MarketEntity]] = field(default_factory=list)  # 出资 in entities of the area
    today: date = field(default_factory=clock.china_today)
    joint_results: list[Any] = field(default_factory=list)  # 联合奖惩实施情况 (表29 归集)

    @property
    def listed(self) -> list[Any]:
        """The listings in force (失信 status)."""
        return [s for s in self.sanctions if sanction_active(s, self.today)]


def person_view(user: User, person: Person) -> PersonView:
    today = clock.china_today()
    rows = db.session.execute(
        scope_entities(
            select(Officer, MarketEntity).join(MarketEntity, MarketEntity.id == Officer.entity_id)
            .where(Officer.person_id == person.id, Officer.current.is_(True)),
            user,
        ).order_by(Officer.from_date.desc().nulls_last(), Officer.id.desc())
    ).all()
    offices = [Office(o, e, o.to_date is None or o.to_date >= today) for o, e in rows]
    sanctions = list(db.session.execute(
        select(Sanction).where(Sanction.person_id == person.id, Sanction.current.is_(True))
        .order_by(Sanction.decided_on.desc(), Sanction.id.desc())
    ).scalars())
    shares = [tuple(r) for r in db.session.execute(
        scope_entities(
            select(CapitalContribution, MarketEntity).join(MarketEntity, MarketEntity.id == CapitalContribution.entity_id)
            .where(CapitalContribution.person_id == person.id, CapitalContribution.current.is_(True)),
            user,
        ).order_by(CapitalContribution.id)
    ).all()]
    from services.sanctions.tasks import results_rows

    return PersonView(person, offices, sanctions, shares, today, results_rows(person_id=person.id))


def reveal_id_number(actor: User, person: Person) -> str:
    """The full ID number for a role that needs it; the view is audited."""
    if not may_reveal(actor):
        raise Forbidden("您无权查看完整身份证号")
    audit.record("view_personal_data", object_type="person", object_id=person.id,
                 summary={"姓名": person.name, "字段": ["身份证号"]}, user=actor)
    return person.id_number
