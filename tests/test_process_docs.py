"""docs/processes.md is generated from the process registry and the bindings."""

from __future__ import annotations

import json
from pathlib import Path

from cli.process_docs import markdown
from workflows.registry import PROCESSES

DOC = Path(__file__).resolve().parent.parent / "docs" / "processes.md"


def test_docs_processes_is_up_to_date(app):
    assert DOC.read_text(encoding="utf-8") == markdown(app), (
        "docs/processes.md is out of date: .venv/bin/python -m cli.process_docs > docs/processes.md")


def test_it_lists_every_step_of_the_cli_json_with_its_page(app):
    runner = app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["processes", "--json"]).output)
    text = markdown(app)
    assert len(listed) == len(PROCESSES)
    for process in listed:
        assert f"## 表{process['table']} {process['title']}" in text
        for n, step in enumerate(process["steps"], 1):
            assert f"| {n} | {step['name']} | {step['lane']} |" in text
    assert "| 1 | 选择监管对象库新增方式 | 监管部门 | `/libraries/new` |" in text  # a start page
