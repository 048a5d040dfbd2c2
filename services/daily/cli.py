"""``flask daily …``: the daily runs of 日常监管 (docs/daily.md, docs/deploy.md)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def register_daily_cli(app: Flask) -> None:
    @app.cli.group("daily")
    def daily_group() -> None:
        """日常监管。"""

    @daily_group.command("generate")
    @click.option("--on", "on", default=None, help="按该日（YYYY-MM-DD，默认今天）生成")
    def generate_command(on: str | None) -> None:
        """自动认领本部门发证的市场主体、核查待移出对象、按规则分配管理责任者和监管分类，
        生成周期任务和后续监管任务（每日定时运行；同一天重复运行不会重复生成）。"""
        from infrastructure.errors import ServiceError
        from models import db
        from services.daily.runs import daily_run

        try:
            result = daily_run(db.session, _day(on))
        except ServiceError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(result.summary())

    @daily_group.command("escalate")
    @click.option("--on", "on", default=None, help="按该日（YYYY-MM-DD，默认今天）计算")
    def escalate_command(on: str | None) -> None:
        """到提醒时间提醒执法人员，到警示时间警示主管领导，超过截止时间告知上级领导和效能监察（每日运行；可重复运行）。"""
        from models import db
        from services.daily.escalation import escalate

        result = escalate(db.session, _day(on))
        db.session.commit()
        click.echo(result.summary())
