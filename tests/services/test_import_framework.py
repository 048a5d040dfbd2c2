"""The import framework's shared policies, for every registered kind: a formula cell refuses
its row only; a key repeated in the file refuses every row carrying it, with one message each;
the template's title row above the header is accepted."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from infrastructure.excel import FORMULA_CELL
from services.imports import framework, kinds
from tests.factories.import_kinds import ROWS, workbook

kinds.get("")  # load the platform's kinds
NAMES = sorted(ROWS)


def test_every_registered_kind_has_a_sample_row():
    assert set(ROWS) == set(kinds.KINDS) - {n for n in kinds.KINDS if n.startswith("test_")}


def _context(name: str, setup: Any) -> dict[str, Any]:
    return {}


@pytest.mark.parametrize("name", NAMES)
def test_a_formula_cell_refuses_its_row_not_the_file(name, org, session):
    kind = kinds.KINDS[name]
    data = workbook(kind, [ROWS[name](1), ROWS[name](2)])
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    column = kind.template.titles.index(kind.name_column) + 1
    ws.cell(row=3, column=column, value='="专家"&"二"')
    buf = io.BytesIO()
    wb.save(buf)
    check = framework.run_check(kind, org.clerk_a, buf.getvalue(), _context(name, org))
    assert [r.valid for r in check.rows] == [True, False]
    assert check.errors.as_dict()[3] == [f"{kind.name_column}：{FORMULA_CELL}"]


@pytest.mark.parametrize("name", [n for n in NAMES if kinds.KINDS[n].key_column])
def test_a_repeated_key_refuses_both_rows_once_each(name, org, session):
    kind = kinds.KINDS[name]
    row = ROWS[name](1)
    data = workbook(kind, [row, ROWS[name](2), row])
    check = framework.run_check(kind, org.clerk_a, data, _context(name, org))
    assert [r.valid for r in check.rows] == [False, True, False]
    errors = check.errors.as_dict()
    assert len(errors[2]) == 1 and errors[2][0].startswith(f"{kind.key_column}：与第4行重复")
    assert len(errors[4]) == 1 and errors[4][0].startswith(f"{kind.key_column}：与第2行重复")


@pytest.mark.parametrize("name", NAMES)
def test_the_templates_title_row_above_the_header_is_accepted(name, org, session):
    kind = kinds.KINDS[name]
    data = workbook(kind, [ROWS[name](1)], title=f"{kind.template.code} {kind.template.title}")
    check = framework.run_check(kind, org.clerk_a, data, _context(name, org))
    assert [(r.number, r.valid) for r in check.rows] == [(3, True)]
