"""``flask credit score``: score the registry with the scorecards (docs/credit.md)."""

from __future__ import annotations

import click
from flask import Flask


def register_credit_cli(app: Flask) -> None:
    @app.cli.group("credit")
    def credit_group() -> None:
        """信用风险分类。"""

    @credit_group.command("score")
    def score_command() -> None:
        """按评分卡为全部市场主体评分，更新本地等级和抽查使用等级（可重复运行）。"""
        from models import db
        from services.credit.scoring import recompute

        result = recompute()
        db.session.commit()
        click.echo(f"已评分 {result.entities} 户主体，扣分指标 {result.items} 项，抽查使用等级变化 {result.changed} 户，"
                   f"用时 {result.seconds:.1f} 秒")
