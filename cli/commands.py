"""Flask CLI commands: demo, processes, audit verify, draw verify, templates, jobs run, notify send,
calendar seed, deadlines remind, collection rematch, risk run/seed, credit score,
trigger build, sandbox monitor/deliver."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    """The commands; they drive the engine without the blueprints, so the processes are
    wired here too (services/process_wiring.py)."""
    from cli.audit import register_audit_cli
    from cli.risk_digest import register_risk_digest_cli
    from services.collection.cli import register_collection_cli
    from services.credit.cli import register_credit_cli
    from services.daily.cli import register_daily_cli
    from services.process_wiring import wire
    from services.risk.cli import register_risk_cli
    from services.sandbox.cli import register_sandbox_cli
    from services.trigger.cli import register_trigger_cli

    wire()
    _register_catalogue(app)
    register_audit_cli(app)
    register_collection_cli(app)
    register_risk_cli(app)
    register_credit_cli(app)
    register_trigger_cli(app)
    register_daily_cli(app)
    register_sandbox_cli(app)
    _register_draw(app)
    _register_jobs(app)
    _register_notify(app)
    _register_calendar(app)
    _register_deadlines(app)
    _register_demo(app)
    register_risk_digest_cli(app)


def _register_catalogue(app: Flask) -> None:
    @app.cli.command("processes")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部业务流程")
    def processes_command(as_json: bool) -> None:
        """列出标准 DB5101 的全部业务流程（表3–表34）。"""
        from workflows.registry import PROCESSES

        if as_json:
            click.echo(json.dumps([p.as_json() for p in PROCESSES.values()], ensure_ascii=False, indent=2))
            return
        for p in PROCESSES.values():
            click.echo(f"表{p.table}\t图{p.figure}\t{p.section}\t{p.title}\t{len(p.steps)}个环节")

    @app.cli.command("templates")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    def templates_command(directory: Path) -> None:
        """把全部导入模板（A.1.1 … C.1、信息归集各类信息的模板和平台自有的导入模板）写入目录 DIRECTORY（不存在则创建），文件以模板编号命名。"""
        from infrastructure.excel import workbook_bytes
        from services.collection.templates import FACT_TEMPLATES
        from services.templates_catalogue import PLATFORM_TEMPLATES, TEMPLATES

        directory.mkdir(parents=True, exist_ok=True)
        for template in (*TEMPLATES.values(), *FACT_TEMPLATES.values(), *PLATFORM_TEMPLATES.values()):
            path = directory / template.filename
            path.write_bytes(workbook_bytes(template.workbook()))
            click.echo(f"{path}\t{template.title}")


def _register_draw(app: Flask) -> None:
    @app.cli.group("draw")
    def draw_group() -> None:
        """随机抽取。"""

    @draw_group.command("verify")
    @click.argument("draw_id", type=int)
    def draw_verify(draw_id: int) -> None:
        """按存档记录重新计算一次随机抽取：结果一致时退出状态为0，不一致或记录不存在时为1。"""
        from models import Draw, db
        from services.object_draws import verify_draw

        draw = db.session.get(Draw, draw_id)
        if draw is None:
            click.echo(f"未找到抽取记录 #{draw_id}")
            sys.exit(1)
        result = verify_draw(draw)
        click.echo(
            f"抽取记录 #{draw.id}（{draw.algorithm}，随机种子 {draw.seed}，总体 {draw.population_size} 个，"
            f"摘要 {draw.population_digest}，抽取 {draw.result_size} 个）"
        )
        if not result.matches:
            click.echo(f"重新计算结果与存档不一致（用时 {result.seconds:.2f} 秒）")
            sys.exit(1)
        click.echo(f"重新计算结果与存档一致（用时 {result.seconds:.2f} 秒）")


def _register_jobs(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs_group() -> None:
        """后台任务。"""

    @jobs_group.command("run")
    @click.option("--once", is_flag=True, help="处理完当前排队的任务后退出")
    @click.option("--poll", default=2.0, show_default=True, help="队列为空时每隔多少秒查看一次")
    def jobs_run(once: bool, poll: float) -> None:
        """后台任务处理进程：领取并执行排队的任务（可在多台主机上各运行一个）。"""
        import logging

        from persistence.jobs import work_forever, worker_id

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        click.echo(f"后台任务处理进程 {worker_id()} 已启动" + ("（处理完排队任务后退出）" if once else ""))
        ran = work_forever(poll=poll, once=once)
        click.echo(f"已处理 {ran} 个任务")


def _register_notify(app: Flask) -> None:
    @app.cli.group("notify")
    def notify_group() -> None:
        """短信和邮件通知。"""

    @notify_group.command("send")
    @click.option("--limit", default=500, show_default=True, help="本次最多发送多少条")
    def notify_send(limit: int) -> None:
        """把待发送的短信和邮件交给 NOTIFY_SENDER 指定的发送器（可由定时任务定期执行）。"""
        import logging

        from models import db
        from persistence.notifications import send_pending

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        result = send_pending(limit=limit)
        db.session.commit()
        click.echo(f"已发送 {result.sent} 条，待重试 {result.retried} 条，发送失败 {result.failed} 条")


def _register_calendar(app: Flask) -> None:
    @app.cli.group("calendar")
    def calendar_group() -> None:
        """节假日安排（计算工作日期限）。"""

    @calendar_group.command("seed")
    @click.option("--year", "years", type=int, multiple=True, help="只载入这些年份（可重复）")
    @click.option("--replace", is_flag=True, help="覆盖已录入的年份（管理员的修改将丢失）")
    def calendar_seed(years: tuple[int, ...], replace: bool) -> None:
        """从 chinesecalendar 数据包载入节假日和调休上班日；已录入完整的年份默认不覆盖。"""
        from infrastructure.errors import ServiceError
        from models import db
        from persistence.workdays import library_rows, seed_from_library

        try:
            loaded = seed_from_library(years=years or None, replace=replace)
        except ServiceError as exc:
            click.echo(exc.message)
            sys.exit(1)
        db.session.commit()
        lib_years = library_rows()[0]
        if loaded:
            click.echo(f"已载入 {'、'.join(str(y) for y in loaded)} 年的节假日安排")
        else:
            click.echo("没有需要载入的年份（已录入的年份不覆盖，可用 --replace）")
        click.echo(f"数据包覆盖 {lib_years[0]}–{lib_years[-1]} 年；之后的年份请在“节假日”页面录入")


def _register_deadlines(app: Flask) -> None:
    @app.cli.group("deadlines")
    def deadlines_group() -> None:
        """检查结果公示期限（检查任务完成后20个工作日内）。"""

    @deadlines_group.command("remind")
    @click.option("--date", "on", default="", help="按该日计算（YYYY-MM-DD，默认今天）")
    def deadlines_remind(on: str) -> None:
        """生成期限提醒（每天运行一次，可重复运行）：3个工作日内到期和已逾期的检查结果进入“我的待办”。"""
        from datetime import date

        from infrastructure.errors import ServiceError
        from models import db
        from services.deadlines import remind

        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            click.echo("日期格式不正确，应为 YYYY-MM-DD")
            sys.exit(2)
        try:
            result = remind(day)
        except ServiceError as exc:
            db.session.rollback()
            click.echo(exc.message)
            sys.exit(1)
        db.session.commit()
        click.echo(f"期限提醒：新增 {result.opened} 条，更新 {result.refreshed} 条，关闭 {result.closed} 条")


def _register_demo(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--reset-passwords", is_flag=True, help="为演示账号重新生成初始密码")
    def demo_command(reset_passwords: bool) -> None:
        """载入演示区县（可重复执行），并打印演示账号的初始密码。"""
        from cli.demo import load_demo
        from models import db

        created = load_demo(reset_passwords=reset_passwords)
        db.session.commit()
        if not created:
            click.echo("演示数据已存在，未重复创建。如需重新生成演示账号密码：flask --app app demo --reset-passwords")
            return
        click.echo("演示区县已载入。以下初始密码只显示这一次，首次登录须修改密码：")
        click.echo(f"{'账号':<16}{'姓名':<8}{'角色':<20}{'部门':<24}初始密码")
        for row in created:
            click.echo(f"{row.account:<16}{row.name:<8}{row.roles:<20}{row.department:<24}{row.password}")
