"""A valid data row of each registered import kind, for the tests of the framework's shared
policies (tests/services/test_import_framework.py)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from services.collection.templates import FACT_TEMPLATES
from services.imports.framework import ImportKind
from services.validators import id_number_check_char
from tests.factories.directories import uscc
from tests.factories.ledgers import a6_row


def workbook(kind: ImportKind, rows: list[list[Any]], *, title: str | None = None) -> bytes:
    """A file of the kind's template: an optional title row, the header, then ``rows``."""
    wb = Workbook()
    ws = wb.active
    ws.title = kind.template.sheet
    if title is not None:
        ws.append([title])
    ws.append(list(kind.template.titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _auxiliary(n: int) -> list[Any]:
    return [n, "专家学者", f"专家{n}", "四川大学", "", "", "食品安全", ""]


def _joint(n: int) -> list[Any]:
    return [n, f"联合事项{n}", "对象", "甲区市场监督管理局", "甲区卫生健康局", "实地核查", "区县级", "本局事项", ""]


def _check_item(n: int) -> list[Any]:
    return [n, "食品安全", f"抽查事项{n}", "食品生产经营者", "重点检查事项", "书面检查", "甲区市场监督管理局",
            "《食品安全法》", "食品科", "", "区县级", "H", ""]


def _person_id(n: int) -> str:
    body = f"11010519800101{n:03d}"
    return body + id_number_check_char(body)


# One valid row of each 信息归集 kind, by column title (n varies the natural key).
_FACT_SAMPLES: dict[str, Callable[[int], dict[str, Any]]] = {
    "permit": lambda n: {"许可证编号": f"JY{n:014d}", "许可证名称": "食品经营许可证", "有效期起": "2026-01-05",
                         "有效期止": "2031/1/4"},
    "penalty": lambda n: {"行政处罚决定书文号": f"甲市监罚〔2026〕{n}号", "处罚决定日期": "2026年1月5日",
                          "罚没金额（元）": "伍拾万元"},
    "supervision": lambda n: {"检查日期": "2026-01-05", "监管方式": f"日常监管{n}", "检查结果": "未发现问题"},
    "sanction": lambda n: {"名单类别": "严重违法失信名单", "认定日期": f"2025-01-{n:02d}"},
    "abnormal": lambda n: {"列入日期": f"2025-02-{n:02d}", "列入原因": "未按规定报送年度报告"},
    "capital": lambda n: {"股东（发起人）": f"股东{n}", "认缴出资额（万元）": "50万元", "信息来源": "即时信息"},
    "officer": lambda n: {"姓名": f"人员{n}", "身份证号": _person_id(n), "职务": "监事"},
    "cluster_address": lambda n: {"登记地址": f"甲区科技路{n}号"},
    "complaint": lambda n: {"受理日期": "2026-01-05", "投诉举报事项": f"投诉事项{n}"},
    "lawsuit": lambda n: {"案号": f"（2026）川0108民初{n}号", "诉讼地位": "被告"},
    "other": lambda n: {"信息类别": "股权冻结", "事项": f"冻结股权{n}"},
}


def _fact_row(name: str) -> Callable[[int], list[Any]]:
    def row(n: int) -> list[Any]:
        values = {"统一社会信用代码": uscc("91510108MA6D00001"), **_FACT_SAMPLES[name](n)}
        return [values.get(title, "") for title in FACT_TEMPLATES[name].titles]

    return row


ROWS: dict[str, Callable[[int], list[Any]]] = {
    **{f"facts_{name}": _fact_row(name) for name in _FACT_SAMPLES},
    "auxiliary_inspectors": _auxiliary,
    "joint_items": _joint,
    "check_items": _check_item,
    "conference_ledger": lambda n: a6_row(f"经营者{n}"),
}
