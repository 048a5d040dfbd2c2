"""Every one of the standard's 31 diagrams (表3–表34) renders as a page and as an SVG.

Parametrised over the registry, so a template or diagram change that breaks any process
page fails here rather than in a walkthrough."""

from __future__ import annotations

import pytest
from markupsafe import escape

from workflows.registry import PROCESSES

TABLES = sorted(PROCESSES)


def test_registry_holds_the_31_diagrams_of_tables_3_to_34():
    assert len(TABLES) == 31
    assert TABLES[0] == 3 and TABLES[-1] == 34


@pytest.mark.parametrize("table", TABLES)
def test_process_page_and_svg_render(client, org, login, table):
    process = PROCESSES[table]
    login(org.clerk_a)
    page = client.get(f"/processes/{table}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    assert f"表{table} {process.title}图描述表" in html
    assert "<svg" in html
    for step in process.steps:
        assert f"<td>{escape(step.name)}</td>" in html
    svg = client.get(f"/processes/{table}.svg")
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")


@pytest.mark.parametrize("table", [20, 22])
def test_step_roles_are_written_out_in_chinese(client, org, login, table):
    """表20/表22 narrow a step to one role (审核方案可行性 is the department leader's)."""
    login(org.clerk_a)
    html = client.get(f"/processes/{table}").get_data(as_text=True)
    assert "（部门领导）" in html
