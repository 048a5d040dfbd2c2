"""The Excel exports of the court pages (infrastructure/excel): the calls as filtered, and the
statistics with the entities that have unserved cases.  Times are China time."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from infrastructure import clock
from infrastructure.excel import Column, build_workbook, escape_cell
from models import User
from services.court import queries

CALL_COLUMNS = [Column("调用时间", 18), Column("调用类型", 22), Column("市场主体", 30),
                Column("统一社会信用代码/注册号", 22, text=True), Column("调用方", 16), Column("案号", 26),
                Column("法院", 24), Column("案件类型", 10), Column("送达结果", 10), Column("送达日期", 12),
                Column("送达地址", 36), Column("返回字段", 30)]
PERIOD_COLUMNS = [Column("期间", 14), Column("获取基本信息次数", 16), Column("反馈次数", 12), Column("送达", 10),
                  Column("未送达", 10)]
ENTITY_COLUMNS = [Column("市场主体", 30), Column("统一社会信用代码/注册号", 22, text=True), Column("未送达案件数", 14),
                  Column("最近未送达日期", 16)]


def _call_row(c: queries.Call) -> list[Any]:
    code = c.entity.uscc or c.entity.reg_no or ""
    common = [clock.format_china(c.at), c.kind_label, c.entity.name, code, c.client.name]
    if c.delivery is not None:
        d = c.delivery
        snap = d.case_snapshot or {}
        return [*common, snap.get("case_no", d.case.case_no), snap.get("court", ""), snap.get("kind", ""),
                d.result_label, d.served_on.isoformat(), d.address, ""]
    assert c.lookup is not None
    return [*common, "", "", "", "", "", "", c.lookup.fields]


def calls_workbook(user: User, flt: queries.CallFilters) -> tuple[Workbook, int]:
    page = queries.calls(user, flt, limit=queries.EXPORT_LIMIT)
    rows = [_call_row(c) for c in page.items]
    return build_workbook("法院调用记录", CALL_COLUMNS, rows, template_rows=0, required_mark=""), len(rows)


def statistics_workbook(stats: queries.Stats) -> Workbook:
    rows = [[p.label, p.lookups, p.feedbacks, p.served, p.unserved] for p in stats.periods]
    rows.append(["合计", stats.total("lookups"), stats.total("feedbacks"), stats.total("served"),
                 stats.total("unserved")])
    wb = build_workbook("送达信息统计", PERIOD_COLUMNS, rows, template_rows=0, required_mark="")
    ws = wb.create_sheet("有未送达案件的市场主体")
    ws.append([c.title for c in ENTITY_COLUMNS])
    for entity, n, day in stats.unserved_entities:
        ws.append([escape_cell(entity.name), escape_cell(entity.uscc or entity.reg_no or ""), n,
                   day.isoformat() if day else ""])
    return wb
