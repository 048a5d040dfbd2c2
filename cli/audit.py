"""``flask audit …``: verify the chain and the published results, write and list the signed
checkpoints, rotate the audit key (docs/deploy.md, 审计密钥与检查点)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask import Flask

if TYPE_CHECKING:
    from services.audit_checkpoints import VerifyReport


def _when(cp: object) -> str:
    from services.audit_query import to_china

    at = getattr(cp, "at", None)
    return f"{to_china(at):%Y-%m-%d %H:%M:%S}" if at else "（时间无法读取）"


def _verify(*, results: bool) -> VerifyReport:
    """verify_all, or a clear message and exit status 1 when the audit key cannot be read."""
    from infrastructure.audit_key import AuditKeyError
    from services.audit_checkpoints import verify_all

    try:
        return verify_all(results=results)
    except AuditKeyError as exc:
        click.echo(f"无法读取审计密钥：{exc}")
        sys.exit(1)


def register_audit_cli(app: Flask) -> None:
    @app.cli.group("audit")
    def audit_group() -> None:
        """审计日志。"""

    @audit_group.command("verify")
    def audit_verify() -> None:
        """校验审计日志哈希链（对照最近的签名检查点）及全部已公示结果的摘要；
        完好时写入新检查点，发现异常时以非零状态退出。"""
        report = _verify(results=True)
        for p in report.problems:
            click.echo(f"记录 #{p.event_id}: {p.problem}" if p.event_id else p.problem)
        for r in report.result_problems:
            click.echo(f"检查结果 {r.record_no} 第{r.version}版: {r.problem}")
        total = len(report.problems) + len(report.result_problems)
        if total:
            click.echo(f"已校验 {report.checked} 条记录，发现 {total} 处异常。")
        else:
            click.echo(f"已校验 {report.checked} 条记录，哈希链完整。")
        click.echo(f"已对照检查点 {_when(report.baseline)}。" if report.baseline else "此前尚无检查点。")
        click.echo(f"已校验已公示检查结果 {report.results_checked} 版，"
                   f"{f'{len(report.result_problems)} 版摘要不符' if report.result_problems else '摘要一致'}。")
        if report.written:
            click.echo(f"已写入检查点：{report.written.count} 条，至 #{report.written.last_id}。")
        if total:
            sys.exit(1)

    @audit_group.command("seal")
    def audit_seal() -> None:
        """将待入链的接口调用审计记录按顺序并入审计日志哈希链（供 cron 每分钟运行）。"""
        from models import db
        from persistence import audit_outbox

        n = audit_outbox.seal()
        db.session.commit()
        click.echo(f"已并入审计日志 {n} 条。")

    @audit_group.command("checkpoint")
    def audit_checkpoint() -> None:
        """校验审计日志哈希链并写入签名检查点（供 cron 每日运行）；链不完整时不写入并以非零状态退出。"""
        report = _verify(results=False)
        if report.problems or report.written is None:
            for p in report.problems:
                click.echo(f"记录 #{p.event_id}: {p.problem}" if p.event_id else p.problem)
            click.echo("审计日志哈希链不完整，未写入检查点。")
            sys.exit(1)
        cp = report.written
        click.echo(f"{_when(cp)}\t{cp.count} 条\t至 #{cp.last_id}\t{cp.last_hash}")

    @audit_group.command("checkpoints")
    def audit_checkpoints() -> None:
        """列出签名检查点（北京时间），供审计员打印核对。"""
        from services.audit_checkpoints import checkpoint_file, read_all

        rows = read_all()
        click.echo(f"检查点文件：{checkpoint_file()}")
        for cp in rows:
            mark = "签名有效" if cp.valid else "签名无效"
            click.echo(f"{cp.line}\t{_when(cp)}\t{cp.count} 条\t至 #{cp.last_id}\t{cp.last_hash}\t密钥{cp.key}\t{mark}")
        if not rows:
            click.echo("尚无检查点。")

    @audit_group.command("rotate-key")
    def audit_rotate_key() -> None:
        """启用新的审计密钥（旧密钥保留用于校验旧记录）；先写检查点，再轮换。"""
        from infrastructure.audit_key import AuditKeyError, rotate

        report = _verify(results=False)
        if report.problems:
            click.echo("审计日志哈希链不完整，请先处理异常再轮换密钥。")
            sys.exit(1)
        try:
            version = rotate()
        except AuditKeyError as exc:
            click.echo(str(exc))
            sys.exit(1)
        click.echo(f"已启用第{version}号审计密钥，新记录由它签名；请立即备份密钥文件。")
