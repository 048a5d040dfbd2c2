"""What every chapter's views share: who is acting, and loading one object the actor may see.

A view loads its object with ``get_visible_or_404``: 404 when the row is absent or not visible
to the actor, so that another district's URL does not reveal that the object exists
(docs/security.md); then 403 when the actor sees it but may not use this page.  Visibility is
the data scope (persistence.scope.in_scope) unless the chapter's service has its own rule: a
predicate ``(actor, obj) -> bool`` or a query already restricted to what the actor may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from models import User, db
from models.roles import Role
from persistence.scope import in_scope

T = TypeVar("T")

Rule = Callable[[User, Any], bool]


def current_actor() -> User:
    """The signed-in user (views are behind login_required, so never the anonymous one)."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def holds(*roles: Role) -> Rule:
    """``allowed=holds(...)``: the page is for these roles, whatever the object."""
    return lambda actor, _obj: actor.has_role(*roles)


def get_visible_or_404(
    model: type[T],
    ident: Any,
    visible: Rule | Select[Any] = in_scope,
    *,
    allowed: Rule | None = None,
    options: Sequence[Any] = (),
) -> T:
    """The ``model`` row ``ident`` for the current actor.

    404 when it is absent or ``visible`` says the actor may not see it (a predicate on the
    loaded row, or a select of ``model`` restricted to the actor's rows); then 403 when
    ``allowed`` is given and refuses this actor that row.  ``options`` are loader options
    (eager loads of what the page shows, so that it does not load them one statement at a time)."""
    actor = current_actor()
    if isinstance(visible, Select):
        query = visible.where(model.id == ident).options(*options)  # type: ignore[attr-defined]
        found = db.session.execute(query).scalar_one_or_none()
    else:
        found = db.session.get(model, ident, options=options)
        if found is not None and not visible(actor, found):
            found = None
    if found is None:
        abort(404)
    if allowed is not None and not allowed(actor, found):
        abort(403)
    return found  # type: ignore[no-any-return]
