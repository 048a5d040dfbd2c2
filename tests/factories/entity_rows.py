"""Registry import rows (主体名称, 统一社会信用代码 …) and a messy workbook, shared by the entity
import tests and the import-framework tests."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.factories.directories import uscc

U1 = uscc("91510108MA6CX0001")


U2 = uscc("91510108MA6CX0002")


U3 = uscc("92510108MA6CX0003")


HEADER = [
    "主体名称", "统一社会信用代码", "注册号", "主体类型", "法定代表人（负责人）", "住所", "经营场所", "行政区划编码",
    "行政区划名称", "行业代码", "行业名称", "经营范围", "登记状态", "成立日期", "注册资本（万元）", "联系电话",
    "标签", "信用风险等级", "等级来源", "评定日期",
]


def row(name, code="", reg_no=None, **kw):
    base = {
        "主体类型": "企业", "法定代表人（负责人）": "张三", "住所": "甲区一路1号", "经营场所": None,
        "行政区划编码": "510108001000", "行政区划名称": "甲区", "行业代码": "H6210", "行业名称": "正餐服务",
        "经营范围": "餐饮服务", "登记状态": "存续", "成立日期": "2020-01-02", "注册资本（万元）": 10,
        "联系电话": "13812345678", "标签": None, "信用风险等级": "B", "等级来源": "互联网+监管", "评定日期": None,
    }
    base.update({"主体名称": name, "统一社会信用代码": code, "注册号": reg_no})
    base.update(kw)
    return [base.get(h) for h in HEADER]


def xlsx(rows, header=HEADER, title_row=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row])
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def messy() -> bytes:
    return xlsx(
        [
            row("好味餐饮有限公司", U1, 成立日期=45296, 标签="餐饮、重点"),  # 3: valid, serial date
            row("  鲜果店  ", " " + U2.lower(), 主体类型="个体户", 成立日期="2024/1/5", 联系电话="028 8432 1234"),  # 4
            row("科学计数法公司", 9.1e17),  # 5: uscc as a number
            row("文本科学计数法", "9.1E+17"),  # 6
            row("重复一", U3),  # 7: duplicate of 8
            row("重复二", U3),  # 8
            row("没有代码", ""),  # 9
            row("", U1[:-1] + "X" if U1[-1] != "X" else U1[:-1] + "0"),  # 10: no name, bad check char
            [None] * len(HEADER),  # 11: blank, skipped
            row("错误枚举", uscc("91510108MA6CX0011"), 主体类型="公司", 登记状态="营业", 信用风险等级="F"),  # 12
            row("日期数字乱", uscc("91510108MA6CX0012"), 成立日期="2024-13-01", 联系电话="12345", **{"注册资本（万元）": "一百"}),  # 13
            row("外区主体", uscc("91510108MA6CX0013"), 行政区划编码="510109001000"),  # 14
            row("注册号主体", "", "510108600000123", 行政区划编码=510108001000, 行业代码=5211, 成立日期="20240105"),  # 15
        ],
        title_row="甲区市场主体名录（2024年）",
    )
