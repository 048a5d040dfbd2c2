"""The resource registry of /api/v1: what each resource offers, under which scope, with which
schemas.  The blueprint routes every registered operation and the OpenAPI document
(openapi.py) is built from the same declarations, so a resource is added by one module that
calls ``register`` (and one line in services/api/resources.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

READ, WRITE = "read", "write"


@dataclass
class Call:
    """What a handler is given: the client, the path and query parameters, the JSON body, the
    parts of the resource its scopes grant; ``touched`` collects the entities it read or wrote
    (their codes, for the audit row)."""

    credential: Any
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any = None
    parts: frozenset[str] = frozenset()
    touched: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def user(self) -> Any:
        return self.credential.user


@dataclass(frozen=True)
class Reply:
    body: dict[str, Any]
    status: int = 200
    # Work that stands for the body having been sent (a read the resource records, e.g. the
    # court's lookup and its 表34 step): run by the pipeline unless the answer is 304 Not
    # Modified, when the client got nothing new (the API audit row still records the call).
    on_sent: Callable[[], Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" | "query"
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class Operation:
    method: str  # GET | POST
    path: str  # OpenAPI form: "/entities/{code}"
    action: str  # READ | WRITE
    summary: str
    handler: Callable[[Call], Reply]
    response: str  # the component schema of a success
    params: tuple[Param, ...] = ()
    request: str | None = None  # the component schema of the JSON body
    part: str | None = None  # the part of the resource this operation needs (a feed)
    part_param: str | None = None  # or the path parameter naming it (a fact kind)
    problems: tuple[int, ...] = ()  # error statuses besides the common ones
    # The handler writes nothing: on PostgreSQL the call runs without a transaction (each
    # statement commits alone), so that the lookup and its audit row are two round trips
    # without BEGIN and COMMIT (blueprints/api/dispatch.py).
    pure: bool = False

    @property
    def rule(self) -> str:
        """The Flask URL rule."""
        return self.path.replace("{", "<").replace("}", ">")

    @property
    def endpoint(self) -> str:
        return (self.method + self.path).lower().replace("/", "_").replace("{", "").replace("}", "")


@dataclass(frozen=True)
class Resource:
    """A resource: scopes ``name:action`` and ``name.part:action``.

    ``whole_covers_parts``: the whole scope grants every part (facts of every kind, every
    feed); when False the parts are extra grants on top of it (an entity's address, its legal
    representative: data minimisation)."""

    name: str
    title: str
    operations: tuple[Operation, ...]
    schemas: Mapping[str, dict[str, Any]]
    parts: Mapping[str, str] = field(default_factory=dict)  # part → Chinese title
    whole_covers_parts: bool = True
    tag_description: str = ""

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({op.action for op in self.operations}))


RESOURCES: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    """Add a resource (a second registration of the same name replaces the first: modules are
    re-imported by nothing, but tests may register their own)."""
    RESOURCES[resource.name] = resource
    return resource

