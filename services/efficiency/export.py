"""Excel of the 效能 pages (infrastructure.excel): the overview, the workload and 超期, each
with the figures shown on the page; times in China time."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from infrastructure.clock import format_china
from infrastructure.excel import Column, build_workbook
from services.efficiency.overdue import Cell
from services.efficiency.overview import GROUPS, Overview
from services.efficiency.workload import COLUMNS, DIMENSIONS, Workload


def overview_workbook(rep: Overview) -> Workbook:
    columns = [Column(GROUPS[rep.group], 36)] + [Column(f"{p.label}（{p.text}）", 22) for p in rep.periods]
    columns += [Column("在办", 10), Column("超期", 10)]
    rows: list[list[Any]] = [[r.name, *r.counts, r.open, r.overdue] for r in rep.rows]
    rows.append(["合计", *rep.totals, rep.total_open, rep.total_overdue])
    wb = build_workbook("业务办理总览", columns, rows, template_rows=0, required_mark="")
    ws = wb.create_sheet("办理走势")
    ws.append(["日期", "办理量"])
    for day, n in rep.trend:
        ws.append([day, n])
    ws = wb.create_sheet("业务分布" if rep.group == "department" else "部门分布")
    ws.append(["名称", "办理量"])
    for name, n in rep.distribution:
        ws.append([name, n])
    return wb


def workload_workbook(rep: Workload) -> Workbook:
    columns = [Column(DIMENSIONS[rep.dimension], 36)] + [Column(c, 14) for c in COLUMNS]
    rows: list[list[Any]] = [[r.name, r.total, r.done, r.open, r.overdue, r.hours] for r in rep.rows]
    rows.append(["合计", rep.total("total"), rep.total("done"), rep.total("open"), rep.total("overdue"), rep.hours])
    return build_workbook(f"业务工作量（{rep.period.text}）", columns, rows, template_rows=0, required_mark="")


def overdue_workbook(cells: list[Cell]) -> Workbook:
    columns = [Column("办理部门", 30), Column("业务类型", 36), Column("超期业务数", 12), Column("最早发起时间", 20)]
    rows = [[c.department, c.process, c.count, format_china(c.oldest)] for c in cells]
    return build_workbook("超期业务统计", columns, rows, template_rows=0, required_mark="")
