"""``flask sandbox …``: the daily monitor, the webhook retries and the SMS opt-out list
(docs/sandbox.md, docs/deploy.md)."""

from __future__ import annotations

import click
from flask import Flask


def register_sandbox_cli(app: Flask) -> None:
    import services.sandbox.jobs  # noqa: F401 - registers the job kinds with the worker

    @app.cli.group("sandbox")
    def sandbox_group() -> None:
        """信用沙盒触发式监管。"""

    @sandbox_group.command("monitor")
    @click.option("--force", is_flag=True, help="今日已监测时仍再运行一次（不会产生重复线索）")
    def monitor_command(force: bool) -> None:
        """监测信用沙盒事项，形成提示/预警线索并推送、发送短信（每日定时运行，同一天重复运行不产生变化）。"""
        from models import db
        from services.sandbox.jobs import daily

        result = daily(force=force)
        db.session.commit()
        click.echo(result.summary())

    @sandbox_group.command("deliver")
    def deliver_command() -> None:
        """重试到期的线索推送（每分钟定时运行）。"""
        from models import db
        from services.sandbox import clues, webhooks

        result = webhooks.deliver_due(clues.record)
        db.session.commit()
        click.echo(result.summary())

    @sandbox_group.command("opt-out")
    @click.argument("phone")
    def opt_out_command(phone: str) -> None:
        """登记退订短信的手机号码。"""
        from infrastructure.errors import ServiceError
        from models import db
        from services.sandbox import sms

        try:
            row = sms.opt_out(phone, "命令行登记")
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"已登记退订：{row.phone}")
