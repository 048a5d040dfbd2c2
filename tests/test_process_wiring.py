"""Each process wired in one place (services/process_wiring.py, issue 14 item 4).

The CLI drives the engine without the blueprints (``flask jobs run``, ``deadlines remind``…):
loaded alone, as a fresh interpreter does, it must still register every declared guard,
automatic step and assignee, and bind every page.  Each step's page must be a route of the
app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services import process_wiring
from workflows import actions, assignees, bindings, guards
from workflows.registry import PROCESSES

ROOT = Path(__file__).resolve().parents[1]

# Only the CLI: a bare Flask app with register_cli, no create_app and no blueprint.
CLI_ONLY = """
import json, sys
from flask import Flask
from cli.commands import register_cli

register_cli(Flask("cli_only"))

from services import process_wiring
from workflows import actions, assignees, bindings, guards
from workflows.registry import PROCESSES

print(json.dumps({
    "blueprints_loaded": sorted(m for m in sys.modules if m == "blueprints" or m.startswith("blueprints.")),
    "guards": sorted(n for n, f in guards.GUARDS.items() if process_wiring.GUARDS.get(n) is f),
    "auto_steps": sorted([t, s] for (t, s), f in actions.AUTO_ACTIONS.items()
                         if process_wiring.AUTO_STEPS.get((t, s)) is f),
    "assignees": sorted([t, s] for (t, s), f in assignees.ASSIGNEES.items()
                        if process_wiring.ASSIGNEES.get((t, s)) is f),
    "bound": sorted(bindings.BINDINGS),
    "pages": {f"{p.table}:{s.key}": bindings.page_of(p.table, s.key) for p in PROCESSES.values() for s in p.steps},
}))
"""


@pytest.fixture(scope="module")
def cli_only() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CLI_ONLY], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return json.loads(out)


def test_the_cli_alone_loads_no_blueprint(cli_only):
    assert cli_only["blueprints_loaded"] == []


def test_the_cli_alone_registers_every_declared_guard_and_automatic_step(cli_only):
    assert cli_only["guards"] == sorted(process_wiring.GUARDS)
    assert cli_only["auto_steps"] == sorted([t, s] for t, s in process_wiring.AUTO_STEPS)
    assert cli_only["assignees"] == sorted([t, s] for t, s in process_wiring.ASSIGNEES)
    assert cli_only["bound"] == sorted(p.table for p in process_wiring.PAGES)


def test_every_guard_a_transition_names_is_declared_and_wired():
    named = {t.guard for p in PROCESSES.values() for t in p.transitions if t.guard}
    assert named <= set(guards.DECLARED_GUARDS)
    assert set(process_wiring.GUARDS) == set(guards.DECLARED_GUARDS)


def test_every_handler_is_of_a_real_step():
    for table, key in process_wiring.AUTO_STEPS:
        assert PROCESSES[table].step(key).automatic, (table, key)
    for table, key in [*process_wiring.ASSIGNEES, *process_wiring.STEP_PAGES]:
        assert PROCESSES[table].has_step(key), (table, key)


def test_every_step_has_a_page_of_the_app(app, cli_only):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for process in PROCESSES.values():
        for step in process.steps:
            page = cli_only["pages"][f"{process.table}:{step.key}"]
            assert page == bindings.page_of(process.table, step.key)  # the CLI and the app agree
            if step.automatic:
                assert page is None or page in endpoints, (process.table, step.key, page)
            else:
                assert page in endpoints, (process.table, step.key, page)
    for page in process_wiring.PAGES:
        assert {page.subject_endpoint, page.start_endpoint} <= endpoints, page


def test_registration_refuses_what_the_processes_do_not_have(app):
    with pytest.raises(ValueError, match="no automatic step"):
        actions.register_auto_step(7, "add", lambda inst: "")  # 新增 is a user's step
    with pytest.raises(ValueError, match="registered twice"):
        actions.register_auto_step(7, "publish", lambda inst: "")
    with pytest.raises(ValueError, match="not declared"):
        guards.register_guard("no_such_guard", lambda inst: True)
    with pytest.raises(ValueError, match="no step"):
        assignees.register_assignees(20, "no_such_step", lambda inst: assignees.Assignment())
