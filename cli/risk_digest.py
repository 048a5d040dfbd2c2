"""``flask risk-digest``: new 风险库 warnings to the responsible departments' clerks, once a day
(services/risk/digest.py; run it after the nightly evaluation)."""

from __future__ import annotations

import sys

import click
from flask import Flask


def register_risk_digest_cli(app: Flask) -> None:
    @app.cli.command("risk-digest")
    @click.option("--date", "on", default="", help="汇总该日（YYYY-MM-DD，中国日期，默认今天）新纳入风险库的预警")
    def risk_digest(on: str) -> None:
        """风险预警日汇总：当天新纳入风险库的预警按责任部门汇总，通知其经办人（可重复运行，不重复通知）。"""
        from datetime import date

        from models import db
        from services.risk.digest import send_digest

        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            click.echo("日期格式不正确，应为 YYYY-MM-DD")
            sys.exit(2)
        result = send_digest(day)
        db.session.commit()
        click.echo(f"{result.day.isoformat()}：新增预警 {result.warnings} 条，涉及 {result.departments} 个责任部门，"
                   f"发送通知 {result.messages} 条")
