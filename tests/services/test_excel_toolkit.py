"""infrastructure.excel: safe, forgiving reading of uploads, and the cell value helpers.

No app and no database: these are pure functions over bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from infrastructure import excel
from infrastructure.excel import (
    SCI_NOTATION,
    Column,
    ExcelError,
    RowErrors,
    check_upload,
    csv_to_xlsx,
    mark_duplicates,
    parse_date,
    parse_decimal,
    parse_enum,
    read_rows,
    read_table,
)
from infrastructure.validators import normalize_phone, valid_phone
from services.templates_catalogue import TEMPLATES, template_workbook

A42 = TEMPLATES["A.4.2"]
A5 = TEMPLATES["A.5"]
USCC = "91350100M000100Y43"
USCC2 = "911100001000079554"


def fill(code: str, rows: list[list[Any]], *, start: int = 2) -> bytes:
    """The downloaded template with ``rows`` typed from row ``start`` (None leaves a cell empty)."""
    wb = load_workbook(io.BytesIO(template_workbook(code)))
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    return save(wb)


def save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plain(rows: list[list[Any]]) -> bytes:
    """A bare workbook (no template formats) with ``rows`` from row 1."""
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    return save(wb)


def refused(data: bytes, spec: Any = A42, **kwargs: Any) -> ExcelError:
    with pytest.raises(ExcelError) as err:
        read_table(data, spec, **kwargs)
    return err.value


# ------------------------------------------------------------------ check_upload


def test_check_upload_accepts_a_template_and_a_csv():
    assert check_upload(template_workbook("A.4.2"), "营利性市场主体.xlsx") == "xlsx"
    assert check_upload("企业名称,社会信用代码,注册号,标签\n".encode(), "主体.CSV") == "csv"


def test_empty_file():
    with pytest.raises(ExcelError, match="为空"):
        check_upload(b"", "a.xlsx")
    assert "为空" in str(refused(b""))


def test_bytes_that_are_not_xlsx():
    with pytest.raises(ExcelError, match="不是 Excel 工作簿"):
        check_upload(b"just some text, not a workbook", "list.xlsx")
    with pytest.raises(ExcelError, match="PDF"):
        check_upload(b"%PDF-1.7 ...", "list.xlsx")
    with pytest.raises(ExcelError, match="网页"):
        check_upload(b"<html><table><tr><td>1</td></tr></table></html>", "export.xlsx")
    assert "不是 Excel 工作簿" in str(refused(b"just some text"))


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def test_a_renamed_xls_is_refused_with_save_as_advice():
    with pytest.raises(ExcelError, match=r"旧版 Excel（\.xls）.*另存为.*\.xlsx"):
        check_upload(OLE2, "名录.xlsx")
    assert "另存为" in str(refused(OLE2))
    assert "另存为" in str(refused(OLE2, csv_ok=True))


@pytest.mark.parametrize("name", ["名录.xls", "名录.et", "名录.numbers", "名录.xlsb", "名录.XLS"])
def test_foreign_formats_by_extension(name):
    with pytest.raises(ExcelError, match="另存为"):
        check_upload(template_workbook("A.4.2"), name)


def test_unknown_extension_and_csv_where_only_xlsx_is_accepted():
    with pytest.raises(ExcelError, match=r"不支持的文件类型（\.txt）"):
        check_upload(b"a,b", "a.txt")
    with pytest.raises(ExcelError, match=r"只接受 \.xlsx"):
        check_upload(b"a,b", "a.csv", csv_ok=False)
    with pytest.raises(ExcelError, match="内容不是文本表格"):
        check_upload(template_workbook("A.4.2"), "a.csv")


def test_a_password_protected_workbook():
    data = OLE2 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(ExcelError, match="密码"):
        check_upload(data, "a.xlsx")


def test_a_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ExcelError, match="Word"):
        check_upload(buf.getvalue(), "a.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Index/Document.iwa", b"\x00")
    with pytest.raises(ExcelError, match="Numbers"):
        check_upload(buf.getvalue(), "a.xlsx")
    with pytest.raises(ExcelError, match="损坏"):
        check_upload(b"PK\x03\x04" + b"\x00" * 100, "a.xlsx")


def test_a_file_too_large():
    with pytest.raises(ExcelError, match="文件过大"):
        check_upload(b"x" * 2048, "a.xlsx", max_bytes=1024)


def test_too_many_rows_counts_filled_rows_not_formatted_ones():
    data = fill("A.4.2", [[f"企业{i}", None, f"5101000000{i:05d}", None] for i in range(12)])
    # The template formats 500 empty rows: they do not count against a cap of 20.
    assert check_upload(data, "a.xlsx", max_rows=20) == "xlsx"
    with pytest.raises(ExcelError, match="数据超过10行"):
        check_upload(data, "a.xlsx", max_rows=10)
    assert "数据超过10行" in str(refused(data, max_rows=10))
    csv_data = ("企业名称,社会信用代码,注册号,标签\n" + "甲,,510100000000001,\n" * 5).encode()
    with pytest.raises(ExcelError, match="数据超过3行"):
        check_upload(csv_data, "a.csv", max_rows=3)


# ------------------------------------------------------------------ zip bombs


def bomb(member_size: int, *, level: int = 9) -> bytes:
    """A small zip with xl/workbook.xml and a huge, highly compressible sheet."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            block = b" " * (1024 * 1024)
            for _ in range(member_size // len(block)):
                fh.write(block)
    return buf.getvalue()


def lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in its local and central headers."""
    raw = bytearray(data)
    encoded = name.encode()
    pos = 0
    while (pos := raw.find(encoded, pos + 1)) != -1:
        if raw[pos - 30 : pos - 26] == b"PK\x03\x04":
            struct.pack_into("<I", raw, pos - 30 + 22, declared)
        elif raw[pos - 46 : pos - 42] == b"PK\x01\x02":
            struct.pack_into("<I", raw, pos - 46 + 24, declared)
    return bytes(raw)


def test_a_zip_bomb_by_compression_ratio():
    data = bomb(20 * 1024 * 1024)
    assert len(data) < 100 * 1024
    with pytest.raises(ExcelError, match="压缩炸弹"):
        check_upload(data, "a.xlsx")
    assert "压缩炸弹" in str(refused(data))


def test_a_zip_bomb_by_total_size():
    data = bomb(210 * 1024 * 1024, level=1)
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(ExcelError, match="压缩炸弹"):
        check_upload(data, "a.xlsx")


def test_a_zip_bomb_whose_headers_lie_about_its_size():
    """The declared sizes pass every check; the members are inflated with a bounded output."""
    data = lie_about_size(bomb(30 * 1024 * 1024), "xl/worksheets/sheet1.xml", 1000)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size == 1000
    with pytest.raises(ExcelError, match="压缩炸弹"):
        check_upload(data, "a.xlsx")


def test_a_member_larger_than_declared_is_refused():
    data = lie_about_size(template_workbook("A.4.2"), "xl/styles.xml", 10)
    with pytest.raises(ExcelError, match="大小与记录不符"):
        check_upload(data, "a.xlsx")


# ------------------------------------------------------------------ formulas


def test_formula_cells_are_refused_with_their_references():
    data = fill("A.4.2", [["甲公司", USCC, None, None], [None, None, "=1+1", "=A2&\"x\""]])
    err = refused(data)
    assert "公式" in str(err)
    assert "C3" in str(err) and "D3" in str(err)
    assert err.problems == ["C3：含有公式", "D3：含有公式"]


def test_dropdowns_are_not_mistaken_for_formulas():
    data = fill("A.5", [[None, "张三", "11010519491231002X", "男", "13812345678", "甲局"]])
    assert read_table(data, A5)[0]["性别"] == "男"


# ------------------------------------------------------------------ headers


def test_missing_columns():
    data = plain([["企业名称", "社会信用代码", "标签"], ["甲公司", USCC, ""]])
    err = refused(data)
    assert err.problems == ["第1行：缺少列 注册号"]
    assert str(err).startswith("文件与模板不一致：第1行：缺少列 注册号")


def test_reordered_columns():
    data = plain([["社会信用代码", "企业名称", "注册号", "标签"], [USCC, "甲公司", "", ""]])
    err = refused(data)
    assert err.problems == ["第1行：列顺序与模板不一致，应为：企业名称、社会信用代码、注册号、标签"]


def test_extra_and_duplicate_columns():
    data = plain([["企业名称", "社会信用代码", "注册号", "标签", "负责人", "标签"], ["甲", USCC, "", "", "", ""]])
    err = refused(data)
    assert "第1行：多出模板中没有的列 负责人（E列）" in err.problems
    assert "第1行：列 标签 重复（F列）" in err.problems


def test_headers_tolerate_spaces_stars_and_half_width_brackets():
    a41 = TEMPLATES["A.4.1"]
    header = [t.replace("（", "(").replace("）", ")") for t in a41.titles]
    header[0] = " 地址 (住所、经营场所) * "
    row = ["成华区建设路1号", "成华区", "510108", "", "", "", "非市场主体", "", "", "", "", "", ""]
    rows = read_table(plain([header, row]), a41)
    assert rows[0]["地址（住所、经营场所）"] == "成华区建设路1号"
    assert rows[0]["行政区划编码"] == "510108"


def test_a_title_row_above_the_header_is_skipped():
    """The standard prints each template with its title above the column names."""
    data = plain([["A.4.2 营利性市场主体导入模版"], [], list(A42.titles), ["甲公司", USCC, "", ""]])
    rows = read_table(data, A42)
    assert [(r.number, r["企业名称"]) for r in rows] == [(4, "甲公司")]


def test_problems_name_the_header_row_under_a_title_row():
    data = plain([["A.4.2 营利性市场主体导入模版"], ["企业名称", "社会信用代码", "标签"], ["甲公司", USCC, ""]])
    assert refused(data).problems == ["第2行：缺少列 注册号"]
    only_header = plain([["A.4.2 营利性市场主体导入模版"], list(A42.titles)])
    assert "第2行为列名，请从第3行开始填写" in str(refused(only_header))


def test_read_rows_skips_a_title_row():
    data = plain([["用户导入模板"], ["账号", "姓名 *"], ["zhangsan", "张三"]])
    assert read_rows(data, ["账号", "姓名"]) == [{"账号": "zhangsan", "姓名": "张三", "_row": "3"}]


def test_annotated_copy_titles_the_error_column_in_the_header_row():
    data = plain([["A.4.2 营利性市场主体导入模版"], list(A42.titles), ["甲公司", "bad", "", ""]])
    errors = RowErrors()
    errors.add(3, "社会信用代码", "不正确")
    ws = load_workbook(io.BytesIO(errors.annotated(data))).worksheets[0]
    assert ws.cell(row=2, column=5).value == "错误说明"
    assert ws.cell(row=1, column=5).value is None
    assert ws.cell(row=3, column=5).value == "社会信用代码：不正确"


def test_plain_titles_are_enough_for_a_spec():
    rows = read_table(plain([["姓名", "备注"], ["张三", 12]]), ["姓名", "备注"])
    assert rows[0].values == {"姓名": "张三", "备注": "12"}


# ------------------------------------------------------------------ rows and cells


def test_blank_rows_are_skipped_and_row_numbers_kept():
    data = fill(
        "A.4.2",
        [
            ["甲公司", USCC, None, None],
            [None, None, None, None],
            ["   ", None, " ", None],
            ["乙公司", USCC2, None, "食品、餐饮"],
        ],
    )
    rows = read_table(data, A42)
    assert [r.number for r in rows] == [2, 5]
    assert rows[1].values == {"企业名称": "乙公司", "社会信用代码": USCC2, "注册号": "", "标签": "食品、餐饮"}


def test_a_file_with_no_data_rows():
    assert "没有数据行" in str(refused(template_workbook("A.4.2")))
    assert "没有内容" in str(refused(plain([])))


def test_codes_in_scientific_notation_are_flagged_with_row_and_column():
    data = fill(
        "A.4.2",
        [
            ["甲公司", 9.13501e17, None, None],  # typed into a cell made numeric
            ["乙公司", "9.13501E+17", None, None],  # the text Excel shows, pasted back
            ["丙公司", None, 510100000012345, None],  # a 15-digit number keeps its digits
            ["丁公司", USCC, 5101.5, None],
        ],
    )
    rows = read_table(data, A42)
    assert rows[0].errors == [("社会信用代码", SCI_NOTATION)]
    assert rows[1].errors == [("社会信用代码", SCI_NOTATION)]
    assert rows[2].errors == [] and rows[2]["注册号"] == "510100000012345"
    assert rows[3].errors == [("注册号", "该列应为文本格式（以数字格式保存后内容已改变）")]
    assert type(rows[0].raw["社会信用代码"]) is float
    errors = RowErrors()
    errors.add_rows(rows)
    assert errors.as_dict()[2] == ["社会信用代码：该列应为文本格式（科学计数法已丢失位数）"]
    assert errors.messages()[0] == "第2行 社会信用代码：该列应为文本格式（科学计数法已丢失位数）"


def test_validated_kinds_required_and_one_of():
    data = fill(
        "A.4.2",
        [
            ["甲公司", "91350100M000100Y44", None, None],  # wrong check character
            [None, " 91350100m000100y43 ", None, None],  # name missing; code normalised
            ["丙公司", None, None, None],  # neither code
        ],
    )
    rows = read_table(data, A42)
    assert rows[0].errors == [("社会信用代码", "统一社会信用代码不正确（应为18位，须通过校验位校验）")]
    assert rows[1].errors == [("企业名称", "必填")] and rows[1]["社会信用代码"] == USCC
    assert rows[2].errors == [("社会信用代码", "社会信用代码、注册号至少填写一项")]


def test_phone_kinds_and_choices_in_a_template():
    row = [None, "张三", "11010519491231002X", "男", 2886123456, "甲局", None, "临时工"]
    row += [None, None, None, None, None, None, "食品 安全", "不在岗"]
    rows = read_table(fill("A.5", [row]), A5)
    messages = dict(rows[0].errors)
    assert "开头的0" in messages["电话号码"]
    assert messages["执法检查人员类别"].startswith("应为以下之一：行政执法类公务员")
    assert rows[0]["在岗状态"] == "不在岗"
    assert rows[0]["监督检查（执法）事项"] == "食品 安全"


def test_dates_in_date_columns():
    row = [None, "张三", "11010519491231002X", None, "13812345678", "甲局", None, None, None, None]
    cells = [45292, "2024/1/5", "2024年1月5日"]
    rows = read_table(fill("A.5", [row + cells], start=2), A5)
    assert rows[0]["执法证有效期起"] == date(2024, 1, 1)
    assert rows[0]["执法证有效期止"] == date(2024, 1, 5)
    assert rows[0]["填报日期"] == date(2024, 1, 5)
    bad = read_table(fill("A.5", [row + ["明年", datetime(2026, 1, 31, 9, 30), "2024-02-30"]]), A5)[0]
    assert bad.errors == [("执法证有效期起", excel.DATE_RULE), ("填报日期", "日期不存在：2024-02-30")]
    assert bad["执法证有效期止"] == date(2026, 1, 31) and bad["执法证有效期起"] is None


def test_duplicates_within_the_file():
    data = fill("A.4.2", [["甲", USCC, None, None], ["乙", USCC2, None, None], ["丙", USCC, None, None]])
    rows = read_table(data, A42)
    mark_duplicates(rows, "社会信用代码")
    assert rows[0].errors == [("社会信用代码", "与第4行重复")]
    assert rows[1].errors == []
    assert rows[2].errors == [("社会信用代码", "与第2行重复")]


def test_many_duplicates_give_the_count_and_the_first_five_rows():
    data = fill("A.4.2", [[f"企业{i}", USCC, None, None] for i in range(48)])
    rows = read_table(data, A42)
    mark_duplicates(rows, "社会信用代码")
    assert rows[0].errors == [("社会信用代码", "与其他47行重复（第3、4、5、6、7行等）")]
    assert rows[5].errors == [("社会信用代码", "与其他47行重复（第2、3、4、5、6行等）")]
    assert all(len(r.errors[0][1]) < 40 for r in rows)


def test_the_templates_sheet_is_found_when_another_comes_first():
    wb = load_workbook(io.BytesIO(fill("A.4.2", [["甲公司", USCC, None, None]])))
    wb.move_sheet("填写说明", offset=-1)
    assert wb.sheetnames[0] == "填写说明"
    rows = read_table(save(wb), A42)
    assert rows[0]["企业名称"] == "甲公司"


def test_read_rows_of_the_user_import_still_works():
    data = plain([["账号 *", "姓名 *"], ["zhangsan", "张三"], [None, None], ["lisi", 13800000000]])
    assert read_rows(data, ["账号", "姓名"]) == [
        {"账号": "zhangsan", "姓名": "张三", "_row": "2"},
        {"账号": "lisi", "姓名": "13800000000", "_row": "4"},
    ]


# ------------------------------------------------------------------ CSV


CSV_ROWS = "企业名称,社会信用代码,注册号,标签\n成都市锦江区张记餐饮店,91350100M000100Y43,,餐饮、食品\n\n重庆火锅有限公司,,510100000012345,\n"


@pytest.mark.parametrize(
    "encoded",
    [
        CSV_ROWS.encode("gbk"),
        CSV_ROWS.encode("gb18030"),
        CSV_ROWS.encode("utf-8"),
        b"\xef\xbb\xbf" + CSV_ROWS.encode("utf-8"),
        CSV_ROWS.replace(",", "\t").encode("utf-16"),
    ],
    ids=["gbk", "gb18030", "utf-8", "utf-8-bom", "utf-16-tab"],
)
def test_csv_in_the_usual_encodings(encoded):
    rows = read_table(encoded, A42, csv_ok=True)
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].values == {"企业名称": "成都市锦江区张记餐饮店", "社会信用代码": USCC, "注册号": "", "标签": "餐饮、食品"}
    assert rows[1]["注册号"] == "510100000012345"


def test_csv_needs_csv_ok_and_the_same_header():
    assert "不是 Excel 工作簿" in str(refused(CSV_ROWS.encode("gbk")))
    bad = CSV_ROWS.replace("注册号", "登记号").encode("gbk")
    assert "第1行：缺少列 注册号" in refused(bad, csv_ok=True).problems


def test_csv_codes_that_excel_turned_into_scientific_notation():
    data = "企业名称,社会信用代码,注册号,标签\n甲,9.13501E+17,,\n".encode("gbk")
    assert read_table(data, A42, csv_ok=True)[0].errors == [("社会信用代码", SCI_NOTATION)]


def test_the_annotated_copy_of_a_csv_is_an_xlsx_with_the_error_column():
    data = "企业名称,社会信用代码,注册号,标签\n=1+1,9.13501E+17,,\n".encode("gbk")
    rows = read_table(data, A42, csv_ok=True)
    errors = RowErrors()
    errors.add_rows(rows)
    errors.add(2, None, "整行：示例")
    ws = load_workbook(io.BytesIO(errors.annotated(data))).worksheets[0]
    assert [c.value for c in ws[1]] == ["企业名称", "社会信用代码", "注册号", "标签", "错误说明"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"  # kept as text, never run
    assert ws["E2"].value == "社会信用代码：该列应为文本格式（科学计数法已丢失位数）；整行：示例"
    assert ws["B2"].value == "9.13501E+17"


def test_the_annotated_copy_of_an_xlsx():
    data = fill("A.4.2", [["甲公司", USCC, None, None], ["乙公司", "bad", None, None]])
    errors = RowErrors()
    errors.add_rows(read_table(data, A42))
    assert len(errors) == 1 and 3 in errors and 2 not in errors and errors
    ws = load_workbook(io.BytesIO(errors.annotated(data, sheet=A42.sheet)))[A42.sheet]
    assert ws.cell(row=1, column=5).value == "错误说明"
    assert ws.cell(row=3, column=5).value.startswith("社会信用代码：统一社会信用代码不正确")
    assert ws.cell(row=2, column=5).value is None


def test_csv_to_xlsx_strips_characters_a_workbook_cannot_hold():
    ws = load_workbook(io.BytesIO(csv_to_xlsx(b"a,b\nx\x01y,2\n"))).worksheets[0]
    assert ws["A2"].value == "xy" and ws["B2"].value == "2"


# ------------------------------------------------------------------ value helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45292, date(2024, 1, 1)),
        (45292.75, date(2024, 1, 1)),
        ("45292", date(2024, 1, 1)),
        (date(2024, 1, 5), date(2024, 1, 5)),
        (datetime(2024, 1, 5, 10, 30), date(2024, 1, 5)),
        ("2024-01-05", date(2024, 1, 5)),
        ("2024/1/5", date(2024, 1, 5)),
        ("2024.1.5", date(2024, 1, 5)),
        ("20240105", date(2024, 1, 5)),
        (20240105, date(2024, 1, 5)),
        ("2024年1月5日", date(2024, 1, 5)),
        ("２０２４年１月５日", date(2024, 1, 5)),
        ("2024-01-05 08:30:00", date(2024, 1, 5)),
        ("", None),
        (None, None),
        ("  ", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("明天", "日期格式不正确"),
        ("2024-13-01", "日期不存在"),
        ("2023-02-29", "日期不存在"),
        (2024, "日期不完整"),
        ("1066-10-14", "超出合理范围"),
        (-3, "日期格式不正确"),
        (True, "日期格式不正确"),
    ],
)
def test_parse_date_refuses_nonsense(value, message):
    with pytest.raises(ValueError, match=message):
        parse_date(value)


def test_parse_decimal():
    assert parse_decimal("1,234.50") == Decimal("1234.50")
    assert parse_decimal(0.1) == Decimal("0.1")
    assert parse_decimal(3) == Decimal(3)
    assert parse_decimal("１２.５") == Decimal("12.5")
    assert parse_decimal("￥30") == Decimal(30)
    assert parse_decimal("") is None and parse_decimal(None) is None
    for bad in ("十万", "1.2.3", "NaN", True, float("inf")):
        with pytest.raises(ValueError, match="应为数字"):
            parse_decimal(bad)


def test_parse_enum():
    methods = ("书面检查", "实地核查", "网络监测", "专业检测")
    assert parse_enum(" 男 ", ("男", "女")) == "男"
    assert parse_enum("", ("男", "女")) is None
    with pytest.raises(ValueError, match="应为以下之一：男、女"):
        parse_enum("男性", ("男", "女"))
    assert parse_enum("实地核查、书面检查，实地核查", methods, multiple=True) == "实地核查、书面检查"
    assert parse_enum("网络监测 / 专业检测", methods, multiple=True) == "网络监测、专业检测"
    with pytest.raises(ValueError, match="“抽样检测”不是可选项"):
        parse_enum("书面检查、抽样检测", methods, multiple=True)


@pytest.mark.parametrize(
    "phone",
    [
        "028-86123456",
        "0817-2234567-801",
        "0817-22345678",
        "010-62345678",
        "02886123456",
        "(028)86123456",
        "（028）8612 3456",
        "０２８－８６１２３４５６",
        "0817-2234567转801",
        "400-820-8820",
        "4008208820",
        "800-820-8820",
        "13812345678",
        "138 1234 5678",
        "+86 13812345678",
    ],
)
def test_valid_phones(phone):
    assert valid_phone(phone)


@pytest.mark.parametrize(
    "phone",
    ["", "86123456", "028-1234567", "0755-12345678", "2886123456", "12345678901", "028-86123456-1234567", "600-820-8820", "电话"],
)
def test_invalid_phones(phone):
    assert not valid_phone(phone)


def test_normalize_phone():
    assert normalize_phone("（028）8612 3456") == "028-86123456"
    assert normalize_phone("0817—2234567 转 801") == "0817-2234567-801"


def test_a_column_spec_with_kinds():
    spec = [Column("编码", text=True, kind="division"), Column("金额", kind="decimal"), Column("日期", kind="date")]
    rows = read_table(plain([["编码", "金额", "日期"], [510108, "1,000", 45292], ["5101", "x", "y"]]), spec)
    assert rows[0].values == {"编码": "510108", "金额": Decimal(1000), "日期": date(2024, 1, 1)}
    assert [c for c, _ in rows[1].errors] == ["编码", "金额", "日期"]


def with_sheet_xml(data: bytes, edit: Any) -> bytes:
    """A copy of a workbook whose first sheet's XML went through ``edit``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = edit(content)
            dst.writestr(info.filename, content)
    return out.getvalue()


def test_a_dropdown_listed_on_another_sheet_is_not_a_formula():
    """Excel writes such lists as <x14:dataValidation> with an <xm:f> after <sheetData>."""
    ext = (
        b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        b'<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        b'<x14:dataValidation type="list"><x14:formula1><xm:f>Sheet2!$A$1:$A$3</xm:f></x14:formula1>'
        b"<xm:sqref>D2:D500</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
    )
    data = with_sheet_xml(fill("A.4.2", [["甲公司", USCC, None, "餐饮"]]), lambda x: x.replace(b"</worksheet>", ext + b"</worksheet>"))
    assert b"<xm:f>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert read_table(data, A42)[0]["标签"] == "餐饮"


def test_formulas_written_with_a_namespace_prefix_are_found():
    """Some generators prefix the main namespace: <x:c><x:f>…</x:f></x:c>."""
    def prefix(xml: bytes) -> bytes:
        xml = xml.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="').replace(b"</worksheet>", b"</x:worksheet>")
        for tag in (b"sheetData", b"row", b"c", b"f", b"v", b"is", b"t"):
            xml = xml.replace(b"<" + tag + b" ", b"<x:" + tag + b" ").replace(b"<" + tag + b">", b"<x:" + tag + b">")
            xml = xml.replace(b"</" + tag + b">", b"</x:" + tag + b">")
        return xml

    data = with_sheet_xml(plain([list(A42.titles), ["甲公司", USCC, "=1+1", None]]), prefix)
    assert b"<x:f>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert refused(data).problems == ["C2：含有公式"]
