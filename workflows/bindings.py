"""Where a process meets its business data.

Most of the standard's steps carry business data: 新增本部门抽查事项 is the item form,
确定本部门实施清单 is each department's own list.  A chapter binds such a process to its
pages here, so that:

- the generic start page (/processes/<table>/start) sends the user to the chapter's page,
  which starts the instance with the data (``start_endpoint``);
- a work item of a bound step is done on the subject's page, not by a bare button on the
  instance page (``business_steps``): the instance page and the inbox link there instead;
- the instance page links to its subject (``subject_endpoint``, called with ``id=``).

The chapter's service then drives the engine itself (``engine.start`` / ``engine.advance``)
in the same transaction as the business change, so the history and the data never disagree.
Every binding is declared in services/process_wiring.py (endpoints by name, so no blueprint
is imported to wire a process; docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for


@dataclass(frozen=True)
class Binding:
    table: int
    subject_type: str  # ProcessInstance.subject_type, e.g. "inspection_item"
    subject_label: str  # shown on the instance page, e.g. "抽查事项"
    subject_endpoint: str  # a view taking ``id=``
    start_endpoint: str = ""  # where this process is started with its data ("" = generic start)
    business_steps: frozenset[str] = field(default_factory=frozenset)  # done on the subject's page


BINDINGS: dict[int, Binding] = {}
SUBJECT_PAGES: dict[str, tuple[str, str]] = {}
# (table, step key) -> a view taking ``id=`` (the subject's id) where that step is done, when it
# is not the subject's own page (e.g. the team page of a task for 开展双随机检查).
STEP_PAGES: dict[tuple[int, str], str] = {}
# Where any other user's step is done: the generic instance page, reached from 我的待办.
INSTANCE_PAGE = "processes.instance"


def bind(
    table: int,
    subject_type: str,
    subject_label: str,
    subject_endpoint: str,
    *,
    start_endpoint: str = "",
    business_steps: tuple[str, ...] | frozenset[str] = (),
) -> Binding:
    """Declare that ``table``'s instances are about ``subject_type`` objects."""
    from workflows.registry import get_process

    process = get_process(table)
    unknown = set(business_steps) - {s.key for s in process.steps}
    if unknown:
        raise ValueError(f"表{table} has no steps {sorted(unknown)}")
    if table in BINDINGS:
        raise ValueError(f"表{table} bound twice")
    binding = Binding(table, subject_type, subject_label, subject_endpoint, start_endpoint, frozenset(business_steps))
    BINDINGS[table] = binding
    SUBJECT_PAGES.setdefault(subject_type, (subject_label, subject_endpoint))
    return binding


def is_business_step(table: int, step_key: str) -> bool:
    binding = BINDINGS.get(table)
    return binding is not None and step_key in binding.business_steps


def subject_link(subject_type: str, subject_id: int | None) -> tuple[str, str] | None:
    """(label, url) of an instance's subject page, when a chapter registered one."""
    page = SUBJECT_PAGES.get(subject_type)
    if page is None or subject_id is None:
        return None
    label, endpoint = page
    return label, url_for(endpoint, id=subject_id)


def start_url(table: int) -> str | None:
    binding = BINDINGS.get(table)
    if binding is None or not binding.start_endpoint:
        return None
    return url_for(binding.start_endpoint)


def bind_step_page(table: int, step_key: str, endpoint: str) -> None:
    """Send the inbox's 办理 of ``step_key`` to ``endpoint`` (called with the subject's ``id``)."""
    from workflows.registry import get_process

    if not get_process(table).has_step(step_key):
        raise ValueError(f"表{table} has no step {step_key}")
    STEP_PAGES[(table, step_key)] = endpoint


def step_link(table: int, step_key: str, subject_id: int | None) -> str | None:
    endpoint = STEP_PAGES.get((table, step_key))
    if endpoint is None or subject_id is None:
        return None
    return url_for(endpoint, id=subject_id)


def page_of(table: int, step_key: str) -> str | None:
    """The endpoint where ``table``'s step ``step_key`` is done; None for an automatic step
    (the engine does it).  The first step is done on the page that starts the process."""
    from workflows.registry import get_process

    process = get_process(table)
    binding = BINDINGS.get(table)
    if step_key == process.steps[0].key and binding is not None and binding.start_endpoint:
        return binding.start_endpoint
    if (table, step_key) in STEP_PAGES:
        return STEP_PAGES[(table, step_key)]
    if binding is not None and step_key in binding.business_steps:
        return binding.subject_endpoint
    if process.step(step_key).automatic:
        return None
    return INSTANCE_PAGE
