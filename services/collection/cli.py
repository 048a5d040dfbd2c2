"""``flask collection …``: the pending pool of 信息归集 (docs/collection.md)."""

from __future__ import annotations

import click
from flask import Flask


def register_collection_cli(app: Flask) -> None:
    @app.cli.group("collection")
    def collection_group() -> None:
        """信息归集。"""

    @collection_group.command("rematch")
    def rematch_command() -> None:
        """按当前市场主体库重新匹配全部未匹配的待处理信息（可重复运行）。"""
        from models import db
        from services.collection.pending import rematch_all

        result = rematch_all()
        db.session.commit()
        click.echo(f"重新匹配 {result.tried} 条待处理信息：已归集 {result.filed} 条，仍待处理 {result.still_pending} 条")
