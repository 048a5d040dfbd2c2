"""``flask risk …``: the nightly full run of the warning rules and the seed of the rules
(docs/risk.md, docs/deploy.md)."""

from __future__ import annotations

import click
from flask import Flask


def register_risk_cli(app: Flask) -> None:
    import services.risk.jobs  # noqa: F401 - registers the job kind with the worker

    @app.cli.group("risk")
    def risk_group() -> None:
        """风险预警。"""

    @risk_group.command("run")
    @click.option("--rule", "code", default=None, help="只运行该预警规则（规则编码，如 complaints）")
    def run_command(code: str | None) -> None:
        """对全部市场主体运行风险预警规则，更新风险库（每日定时运行；可重复运行）。"""
        from infrastructure.errors import ServiceError
        from models import db
        from services.risk.evaluate import evaluate

        try:
            result = evaluate(db.session, codes=[code] if code else None)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        for run in result.rules:
            click.echo(f"{run.name}\t命中 {run.hits}\t新增 {run.opened}\t关闭 {run.closed}\t{run.seconds:.2f} 秒")
        click.echo(f"{result.summary()}，用时 {result.seconds:.1f} 秒")

    @risk_group.command("seed")
    def seed_command() -> None:
        """补齐预警规则（迁移已写入；已有的规则不变）。"""
        from models import db
        from services.risk.catalogue import seed_rules

        added = seed_rules(db.session)
        db.session.commit()
        click.echo(f"新增预警规则 {added} 条")
