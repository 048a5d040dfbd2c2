"""`flask --app app templates DIR`: every import template, named by its code."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from app import create_app
from services.collection.templates import FACT_TEMPLATES
from services.templates_catalogue import PLATFORM_TEMPLATES, TEMPLATES

ROOT = Path(__file__).resolve().parents[1]
FACT_FILES = {f"信息归集-{label}.xlsx" for label in (
    "行政许可", "行政处罚", "监管信息", "惩戒信息", "经营异常名录", "出资信息", "人员信息", "集群注册地址", "投诉举报",
    "司法涉诉", "其他信息")}
PLATFORM_FILES = {f"{code}.xlsx" for code in PLATFORM_TEMPLATES}
FILES = {f"{code}.xlsx" for code in ("A.1.1", "A.1.2", "A.4.1", "A.4.2", "A.5", "A.6", "B.1", "B.2", "B.3", "C.1")} | FACT_FILES \
    | PLATFORM_FILES


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
    assert "无证无照经营者导入模板.xlsx" in PLATFORM_FILES
    for template in (*TEMPLATES.values(), *FACT_TEMPLATES.values(), *PLATFORM_TEMPLATES.values()):
        wb = load_workbook(io.BytesIO((target / template.filename).read_bytes()))
        assert [c.value for c in wb.worksheets[0][1]] == list(template.titles)
        assert "填写说明" in wb.sheetnames
    permit = load_workbook(io.BytesIO((target / "信息归集-行政许可.xlsx").read_bytes())).worksheets[0]
    assert [c.value for c in permit[1]][:4] == ["市场主体名称", "统一社会信用代码", "注册号", "许可证编号"]
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
