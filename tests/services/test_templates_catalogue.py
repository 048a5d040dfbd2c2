"""services.templates_catalogue: every import template of the standards, against their text."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from infrastructure.excel import Column, read_table
from services.templates_catalogue import LAYOUTS, TEMPLATES, Template, template_workbook

ROOT = Path(__file__).resolve().parents[2]
DB5101 = (ROOT / "tests" / "data" / "db5101.txt").read_text(encoding="utf-8").splitlines()
YU = (ROOT / "tests" / "data" / "yu_joint_inspection.txt").read_text(encoding="utf-8").splitlines()
CODES = ["A.1.1", "A.1.2", "A.4.1", "A.4.2", "A.5", "A.6", "B.1", "B.2", "B.3", "C.1"]


def db5101_table(code: str) -> tuple[str, list[str]]:
    """The heading title and header row of a table of DB5101 appendix A (markdown in the text)."""
    start = max(i for i, line in enumerate(DB5101) if line.startswith(code + " "))
    title = DB5101[start][len(code) + 1 :].strip()
    header = next(line for line in DB5101[start + 1 :] if line.startswith("|"))
    return title, [cell.strip() for cell in header.strip("|").split("|")]


def yu_table(heading: str) -> list[str]:
    """The header of a table of the Chongqing specification: tab-indented lines after its caption."""
    start = max(i for i, line in enumerate(YU) if line.strip() == heading or line.startswith(heading + " "))
    titles: list[str] = []
    for line in YU[start + 1 :]:
        if line.startswith("\t") and line.strip():
            titles.append(line.strip())
        elif titles:
            break
    return titles


def standard_columns(code: str) -> list[str]:
    if code.startswith("A."):
        return db5101_table(code)[1]
    return yu_table(code if code != "C.1" else "执法人员名录库样表")


def open_template(code: str) -> Any:
    return load_workbook(io.BytesIO(template_workbook(code)))


def test_the_catalogue_holds_every_template_of_the_issue():
    assert list(TEMPLATES) == CODES
    assert {t.code for t in TEMPLATES.values()} == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_columns_are_the_standards_character_for_character(code):
    assert list(TEMPLATES[code].titles) == standard_columns(code)


def test_column_counts_of_the_long_templates():
    assert len(TEMPLATES["A.4.1"].columns) == 13
    assert TEMPLATES["A.4.1"].titles[-2:] == ("区划", "编码")
    assert len(TEMPLATES["A.5"].columns) == 16
    assert len(TEMPLATES["B.2"].columns) == 17
    assert len(TEMPLATES["B.3"].columns) == 10


@pytest.mark.parametrize("code", [c for c in CODES if c.startswith("A.")])
def test_titles_of_db5101_templates_are_its_own(code):
    assert TEMPLATES[code].title == db5101_table(code)[0]


def test_titles_of_the_chongqing_templates():
    assert TEMPLATES["B.2"].title == "检查对象名录库样表（场地场所）"
    assert TEMPLATES["B.3"].title == "检查对象名录库样表（产品）"
    # The standard mixes half- and full-width brackets here; the catalogue writes them full-width.
    assert any(line.startswith("B.1 检查对象名录库样表(行政相对人（组织/个人)）") for line in YU)
    assert TEMPLATES["B.1"].title == "检查对象名录库样表（行政相对人（组织/个人））"
    assert TEMPLATES["C.1"].title == "执法人员名录库样表"
    assert "附录C" in TEMPLATES["C.1"].source and "附录B" in TEMPLATES["B.2"].source
    assert "DB5101" in TEMPLATES["A.5"].source and "附录A" in TEMPLATES["A.5"].source


@pytest.mark.parametrize("code", [*CODES, *LAYOUTS])
def test_layouts_of_the_printed_forms(code):
    template = TEMPLATES.get(code) or LAYOUTS[code]
    if code in LAYOUTS:
        title, header = db5101_table(code)
        assert template.title == title
        assert list(template.titles) == header


def test_enumerations_where_the_standards_close_the_list():
    a11, a12, a5, a41 = (TEMPLATES[c] for c in ("A.1.1", "A.1.2", "A.5", "A.4.1"))
    assert tuple(a11.column("检查方式").choices) == ("书面检查", "实地核查", "网络监测", "专业检测")
    assert a11.column("检查方式").multiple
    assert tuple(a11.column("事项类别").choices) == ("重点检查事项", "一般检查事项")
    assert tuple(a12.column("实施层级").choices) == ("市级", "区县级")
    assert tuple(a5.column("性别").choices) == ("男", "女")
    assert tuple(a5.column("在岗状态").choices) == ("在岗", "不在岗")
    assert tuple(a41.column("状态").choices) == ("存续", "吊销", "注销", "迁出")
    assert tuple(TEMPLATES["C.1"].column("人员类别").choices) == tuple(a5.column("执法检查人员类别").choices)


@pytest.mark.parametrize("code", CODES)
def test_every_template_downloads_as_the_standard_writes_it(code):
    template = TEMPLATES[code]
    wb = open_template(code)
    ws = wb.worksheets[0]
    assert ws.title == template.sheet
    assert [c.value for c in ws[1]] == standard_columns(code)
    assert ws.freeze_panes == "A2"
    lists = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
            lists[letter] = dv
    for idx, col in enumerate(template.columns, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        # Code columns are text, in the formatted rows and for the whole column.
        if col.text:
            assert ws.cell(row=2, column=idx).number_format == "@", col.title
            assert ws.cell(row=500, column=idx).number_format == "@", col.title
            assert ws.column_dimensions[letter].number_format == "@", col.title
        else:
            assert ws.cell(row=2, column=idx).number_format != "@", col.title
        if col.kind == "date":
            assert ws.cell(row=2, column=idx).number_format == "yyyy-mm-dd"
        if col.choices:
            dv = lists.pop(letter)
            assert dv.formula1 == '"' + ",".join(col.choices) + '"'
            assert dv.showErrorMessage is (not col.multiple)
        # Required columns are marked by colour, not by changing the standard's title.
        color = ws.cell(row=1, column=idx).font.color
        assert (color is not None and color.rgb == "00C00000") is col.required, col.title
    assert lists == {}, "a dropdown on a column without choices"
    info = wb["填写说明"]
    lines = [row[0] for row in info.iter_rows(values_only=True) if row[0]]
    text = "\n".join(lines)
    assert lines[0].startswith(f"{code} {template.title}")
    assert template.source in text
    assert "第一行为列名，必须保留" in text
    required = [c.title for c in template.columns if c.required]
    assert "必填列（列名为红色）：" + "、".join(required) in text
    if any(c.text for c in template.columns):
        assert "文本格式列" in text
    if any(c.kind == "date" for c in template.columns):
        assert "2026-01-31" in text


def test_code_columns_are_text_and_dates_are_dates():
    a5 = TEMPLATES["A.5"]
    assert {c.title for c in a5.columns if c.text} == {"身份证号", "电话号码", "执法证编号"}
    assert {c.title for c in a5.columns if c.kind == "date"} == {"执法证有效期起", "执法证有效期止", "填报日期"}
    assert TEMPLATES["A.4.2"].column("社会信用代码").kind == "uscc"
    assert TEMPLATES["A.4.2"].one_of == (("社会信用代码", "注册号"),)
    assert TEMPLATES["B.3"].column("统一社会信用代码").text


def sample(col: Column, n: int) -> tuple[Any, Any]:
    """A value to type into a column, and the value read_table should give back."""
    if col.choices:
        if col.multiple and len(col.choices) > 1:
            return f"{col.choices[1]}、{col.choices[0]}", f"{col.choices[1]}、{col.choices[0]}"
        return col.choices[n % len(col.choices)], col.choices[n % len(col.choices)]
    fixed = {
        "uscc": ("91350100M000100Y43", "91350100M000100Y43"),
        "uscc_or_id": ("11010519491231002X", "11010519491231002X"),
        "id_number": ("11010519491231002x", "11010519491231002X"),
        "mobile": ("13812345678", "13812345678"),
        "phone": ("0817-2234567-801", "0817-2234567-801"),
        "division": ("510108", "510108"),
        "date": (date(2026, 1, 31), date(2026, 1, 31)),
        "decimal": (1.5, Decimal("1.5")),
    }
    if col.kind in fixed:
        return fixed[col.kind]
    if col.text:
        return f"SC1065101060{n:04d}", f"SC1065101060{n:04d}"
    return f"{col.title}示例{n}", f"{col.title}示例{n}"


def fill(template: Template, rows: list[list[Any]]) -> bytes:
    wb = open_template(template.code)
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("code", CODES)
def test_every_template_round_trips(code):
    template = TEMPLATES[code]
    typed, expected = [], []
    for n in range(3):
        pairs = [sample(col, n) for col in template.columns]
        typed.append([p[0] for p in pairs])
        expected.append({col.title: p[1] for col, p in zip(template.columns, pairs, strict=True)})
    rows = read_table(fill(template, typed), template)
    assert [r.number for r in rows] == [2, 3, 4]
    assert [r.errors for r in rows] == [[], [], []]
    assert [r.values for r in rows] == expected


def test_a_template_read_against_another_is_refused():
    from infrastructure.excel import ExcelError

    data = fill(TEMPLATES["B.3"], [[sample(c, 0)[0] for c in TEMPLATES["B.3"].columns]])
    with pytest.raises(ExcelError) as err:
        read_table(data, TEMPLATES["A.4.2"])
    assert "第1行：缺少列 社会信用代码" in err.value.problems
    assert any(re.match(r"第1行：多出模板中没有的列 生产许可证编号（A列）", p) for p in err.value.problems)
