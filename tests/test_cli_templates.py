"""`flask --app app templates DIR`: every import template, named by its code."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from app import create_app
from services.templates_catalogue import TEMPLATES

ROOT = Path(__file__).resolve().parents[1]
FILES = {f"{code}.xlsx" for code in ("A.1.1", "A.1.2", "A.4.1", "A.4.2", "A.5", "A.6", "B.1", "B.2", "B.3", "C.1")}


def test_templates_command_writes_every_template(tmp_path, monkeypatch):
    """In process, on an app of its own: the command needs no database."""
    monkeypatch.setenv("ZHJG_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    target = tmp_path / "out" / "模板"  # created, parents too
    result = app.test_cli_runner().invoke(args=["templates", str(target)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in target.iterdir()} == FILES
    lines = result.output.strip().splitlines()
    assert len(lines) == len(FILES)
    assert lines[0] == f"{target / 'A.1.1.xlsx'}\t单部门“双随机、一公开”抽查事项清单"
    for code, template in TEMPLATES.items():
        wb = load_workbook(io.BytesIO((target / f"{code}.xlsx").read_bytes()))
        assert [c.value for c in wb.worksheets[0][1]] == list(template.titles)
        assert "填写说明" in wb.sheetnames
    # Running it again overwrites in place.
    again = app.test_cli_runner().invoke(args=["templates", str(target)])
    assert again.exit_code == 0 and {p.name for p in target.iterdir()} == FILES


def test_templates_command_in_a_real_process(tmp_path):
    """The exact command of the issue, run as a clerk would."""
    env = {**os.environ, "ZHJG_INSTANCE": str(tmp_path / "instance")}
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "templates", str(tmp_path / "dist")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    assert {p.name for p in (tmp_path / "dist").iterdir()} == FILES
    assert len(out.strip().splitlines()) == len(FILES)
