"""Item-list forms the tests of 表7–表11 and their pages share."""

from __future__ import annotations

FOOD = {
    "domain": "食品安全",
    "name": "食品生产经营者监督检查",
    "objects": "食品生产经营者",
    "category": "key",
    "methods": ["书面检查", "实地核查"],
    "inspecting_body": "甲区市场监督管理局",
    "basis": "《中华人民共和国食品安全法》第一百一十条",
    "lead_office": "食品安全监督管理科",
    "levels": ["区县级"],
    "industry_code": "h",
    "note": "内部备注",
}


def general(**kw):
    return {**FOOD, "name": "广告发布者检查", "domain": "广告", "category": "general", "ratio_cap": "5", "industry_code": "L", **kw}
