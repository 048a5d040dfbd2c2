"""Inspector-directory forms and A.5 / C.1 workbooks, shared by the 执法检查人员名录库 tests."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from infrastructure import clock
from infrastructure.validators import id_number_check_char
from services.templates_catalogue import TEMPLATES, template_workbook

TODAY = clock.china_today()


def make_id(birth: str = "19850312", seq: str = "123") -> str:
    """A valid ID number; an odd last digit of ``seq`` is a man."""
    first17 = "510108" + birth + seq
    return first17 + id_number_check_char(first17)


ID_MAN = make_id(seq="123")


ID_WOMAN = make_id(seq="124")


ID_3 = make_id("19900101", "015")


def form(org, **over):
    raw = {
        "name": "陈志强",
        "id_number": ID_MAN,
        "mobile": "13900000001",
        "department_id": org.station_a.id,
        "category": "行政执法类公务员",
        "cert_issuer": "成都市人民政府",
        "cert_no": "51010800123",
        "cert_valid_from": "2024-01-01",
        "cert_valid_to": (TODAY + timedelta(days=400)).isoformat(),
        "area": "甲区猛追湾街道",
        "duty": "on",
        "specialities": "食品安全、特种设备",
        "qualifications": "食品检查员",
        "matters": "食品经营许可检查",
    }
    raw.update(over)
    return raw


def a5(rows: list[list]) -> bytes:
    wb = TEMPLATES["A.5"].workbook()
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def a5_row(n, name, id_number, mobile, unit="甲区市场监督管理局", **over):
    cells = {
        "序号": n, "姓名": name, "身份证号": id_number, "性别": "", "电话号码": mobile, "单位": unit,
        "监督检查（执法）区域": "甲区", "执法检查人员类别": "行政执法类公务员", "发证机关": "甲区人民政府",
        "执法证编号": f"ZF{n:04d}", "执法证有效期起": "2024-01-01", "执法证有效期止": 47848,  # Excel serial: 2030-12-31
        "填报日期": "2026/3/1", "科室": "", "监督检查（执法）事项": "食品经营许可检查、价格检查", "在岗状态": "在岗",
    }
    cells.update(over)
    return [cells[t] for t in TEMPLATES["A.5"].titles]


def c1(rows: list[list]) -> bytes:
    """A C.1 workbook: the template as the platform writes it, filled below its header."""
    wb = load_workbook(io.BytesIO(template_workbook("C.1")))
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def c1_row(n, name, mobile, unit="甲区市场监督管理局", county="甲区", category="行政执法类公务员", speciality="食品安全、特种设备"):
    return [n, name, mobile, county, unit, category, speciality]
