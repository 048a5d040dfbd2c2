"""Every importer reads the standard template the way the standard prints it: with the
template's title row above the column names (infrastructure.import_rows.find_header_row); mobiles
typed with +86, spaces and dashes are read by the one normaliser."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from models import Inspector
from services import (
    inspectors,
    ledgers,
)
from services.imports import check_items, directory_entities, directory_objects, framework
from services.imports import libraries as library_kinds
from services.imports.auxiliary import KIND as AUX
from services.imports.check_items import KIND as ITEMS
from services.imports.entities import KIND as ENTITIES
from services.imports.inspectors import KIND as INSPECTORS
from services.imports.joint_items import KIND as JOINT
from services.imports.ledgers import KIND as A6_IMPORT
from services.imports.users import KIND as USERS
from services.templates_catalogue import TEMPLATES
from tests.factories.directories import make_entity, make_item, uscc
from tests.factories.entity_rows import HEADER as ENTITY_HEADER
from tests.factories.entity_rows import row as entity_row
from tests.factories.inspector_rows import ID_WOMAN, a5_row, c1_row, form
from tests.factories.ledgers import a6_row

PLUS86 = "+86 138-0000-0021"


def titled(title: str, header: list[str], rows: list[list[Any]], sheet: str = "Sheet") -> bytes:
    """A workbook as the standard prints a template: its title, then the column names, then rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def standard(code: str, rows: list[list[Any]], template: Any = None) -> bytes:
    template = template or TEMPLATES[code]
    return titled(f"{template.code} {template.title}", list(template.titles), rows, template.sheet)


def _users(org: Any) -> Any:
    header = ["账号 *", "姓名 *", "所属部门 *", "手机号码 *", "身份证号"]
    data = titled("用户导入模板", header, [["zhangsan01", "张三", "甲区市场监督管理局", PLUS86, None]])
    return framework.run_check(USERS, org.sysadmin, data, {})


def _entities(org: Any) -> Any:
    data = titled("市场主体导入模板", ENTITY_HEADER, [entity_row("好味餐饮有限公司", uscc("91510108MA6CX0001"))])
    return framework.run_check(ENTITIES, org.clerk_a, data, {})


def _items(org: Any) -> Any:
    row = ["1", "食品安全", "食品生产经营者监督检查", "食品生产经营者", "重点检查事项", "书面检查、实地核查",
           "甲区市场监督管理局", "《食品安全法》第一百一十条", "食品科"]
    return framework.run_check(ITEMS, org.clerk_a, standard("A.1.1", [row], check_items.STANDARD), {})


def _joint_items(org: Any) -> Any:
    row = [1, "事项一", "对象", "甲区市场监督管理局", "甲区卫生健康局", "实地核查、书面检查", "区县级", "本局事项",
           "甲区卫生健康局：卫生检查（区县级）"]
    return framework.run_check(JOINT, org.clerk_a, standard("A.1.2", [row]), {})


def _library_a42(org: Any) -> Any:
    entity = make_entity(org.clerk_a, 1)
    data = standard("A.4.2", [[entity.name, entity.uscc, "", ""]])
    return framework.run_check(library_kinds.A42, org.clerk_a, data, {})


def _library_a41(org: Any) -> Any:
    make_entity(org.clerk_a, 2, entity_type="non_profit", domicile="甲区建设路9号", industry_code="P8310")
    row = ["甲区建设路9号", "甲区", "510108001000", "", "", "", "非营利性市场主体", "", "", "", "", "", ""]
    return framework.run_check(library_kinds.A41, org.clerk_a, standard("A.4.1", [row]), {})


def _directory(code: str) -> Callable[[Any], Any]:
    def check(org: Any) -> Any:
        item = make_item(org.bureau_a)
        entity = make_entity(org.clerk_a, 3)
        row = {
            "B.1": [entity.name, entity.uscc, "甲区建设路1号", "", "", "", ""],
            "B.2": ["甲区体育馆", "甲区", "甲区", "甲区商业管理公司", "", "李四", "居民身份证", "", "商场",
                    "建筑面积5000平方米", "2019-05-01", "50年", "甲区二环路1号", "028-84321234", "甲区", "法人", "510108"],
            "B.3": ["QS5101-0001", entity.name, entity.uscc, "2024-01-01", "2029-01-01", "", "", "", "", ""],
        }[code]
        kind = {"B.1": directory_entities.B1, "B.2": directory_objects.PLACES, "B.3": directory_objects.PRODUCTS}[code]
        return framework.run_check(kind, org.clerk_a, standard(code, [row]), {"item_id": item.id})

    return check


def _a5(org: Any) -> Any:
    return framework.run_check(INSPECTORS, org.clerk_a, standard("A.5", [a5_row(1, "刘芳", ID_WOMAN, PLUS86)]), {})


def _c1(org: Any) -> Any:
    return framework.run_check(INSPECTORS, org.clerk_a, standard("C.1", [c1_row(1, "刘芳", "0086-13800000021")]), {})


def _auxiliary(org: Any) -> Any:
    row = [1, "检验检测机构", "甲区食品检验所", "", "张三", PLUS86, "食品检验", "CMA"]
    return framework.run_check(AUX, org.clerk_a, standard("", [row], AUX.template), {})


def _ledger(org: Any) -> Any:
    data = titled(f"A.6 {ledgers.A6.title}", list(ledgers.COLUMNS), [a6_row(phone=PLUS86)])
    return framework.run_check(A6_IMPORT, org.clerk_a, data, {})


IMPORTERS = {
    "users": _users,
    "entities": _entities,
    "A.1.1": _items,
    "A.1.2": _joint_items,
    "A.4.1": _library_a41,
    "A.4.2": _library_a42,
    "B.1": _directory("B.1"),
    "B.2": _directory("B.2"),
    "B.3": _directory("B.3"),
    "A.5": _a5,
    "C.1": _c1,
    "auxiliary": _auxiliary,
    "A.6": _ledger,
}


def _number(row: Any) -> int:
    return row.number if hasattr(row, "number") else row.row.number


def _problems(check: Any) -> list[Any]:
    return [getattr(r, "errors", None) or getattr(getattr(r, "row", None), "errors", None) for r in check.rows]


@pytest.mark.parametrize("importer", IMPORTERS)
def test_the_templates_title_row_above_the_header_is_accepted(importer, org, session):
    check = IMPORTERS[importer](org)
    assert [_number(r) for r in check.rows] == [3]  # row 1 the title, row 2 the header
    assert len(check.valid_rows) == 1, _problems(check)


def test_an_a5_import_with_a_plus86_mobile_succeeds(org, session):
    data = standard("A.5", [a5_row(1, "刘芳", ID_WOMAN, PLUS86)])
    batch, check = framework.upload(INSPECTORS, org.clerk_a, "A.5.xlsx", data, {})
    assert len(check.valid_rows) == 1, _problems(check)
    framework.confirm(INSPECTORS, org.clerk_a, batch, valid_only=False)
    stored = session.execute(select(Inspector).where(Inspector.id_number == ID_WOMAN)).scalar_one()
    assert stored.mobile == "13800000021"


def test_many_duplicates_in_an_import_give_the_count_and_the_first_five_rows(org, session):
    row = [1, "检验检测机构", "甲区食品检验所", "", "张三", "13900000011", "食品检验", "CMA"]
    a5_rows = [a5_row(n, f"人员{n}", ID_WOMAN, f"139{n:08d}") for n in range(48)]
    check = framework.run_check(INSPECTORS, org.clerk_a, standard("A.5", a5_rows), {})
    messages = [m for r in check.rows for c, m in r.row.errors if c == "身份证号"]
    assert len(messages) == 48
    assert messages[0] == "与其他47行重复（第4、5、6、7、8行等）"
    assert messages[10] == "与其他47行重复（第3、4、5、6、7行等）"
    aux = framework.run_check(AUX, org.clerk_a, standard("", [row] * 3, AUX.template), {})
    assert [m for r in aux.rows for _c, m in r.row.errors] == [
        "与第4、5行重复（名称和所在单位相同）", "与第3、5行重复（名称和所在单位相同）", "与第3、4行重复（名称和所在单位相同）"
    ]


def test_the_inspector_form_reads_a_mobile_with_the_country_prefix(org, session):
    values, errors = inspectors.check_values(form(org, mobile="0086 139-0000-0001"), org.station_a)
    assert errors == {} and values is not None and values.mobile == "13900000001"
