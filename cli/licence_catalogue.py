"""Parse the 上海市市场主体先照后证事项经营范围规范表述目录 of seed 004 (监管措施规则 §1.1 双告知)
ONCE into the checked-in data file that migration 0037 loads (docs/notice.md):

    .venv/bin/python -m cli.licence_catalogue /work/shared/spec/004_*.txt > migrations/data/licence_catalogue.json

The seed is the standard's table flattened to one cell per line: a section heading
(一、综合 … 二十一、国际组织), then per item its 序号, 项目名称, 本市各级审批部门 and zero or
more lines of 经营范围规范表述 (several phrases numbered ①② or one a line).  Nothing parses the
seed at run time; tests/services/test_notice_catalogue.py checks the file against the seed.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

START = "上海市市场主体先照后证事项经营范围规范表述目录"
END = "区市场监督管理部门对于"  # the prose after the table
HEADER = ("序号", "项目名称", "本市各级审批部门", "经营范围规范")
SECTION = re.compile(r"^([一二三四五六七八九十]+)、(.+)$")
NUMBER = re.compile(r"^\d{1,3}$")
CIRCLED = re.compile(r"[①②③④⑤⑥⑦⑧⑨⑩]")
NO_DEPARTMENT = "不指定"
# A cell that says how the scope is decided rather than giving a phrase (item 89).
NOT_A_PHRASE = re.compile(r"^按.+核定$")
NUMERALS = "一二三四五六七八九十"


def section_number(numeral: str) -> int:
    """一 → 1, 十 → 10, 十四 → 14, 二十 → 20, 二十一 → 21."""
    if numeral == "十":
        return 10
    if "十" not in numeral:
        return NUMERALS.index(numeral) + 1
    tens, _, units = numeral.partition("十")
    return (NUMERALS.index(tens) + 1 if tens else 1) * 10 + (NUMERALS.index(units) + 1 if units else 0)


def split_departments(cell: str) -> list[str]:
    """The 审批部门 cell as department names: split at 、 outside parentheses, so
    "市交通委、区县交通部门" is two and "上海市财政局(财政部、证监会)" one; "不指定" is none."""
    cell = re.sub(r"\s+", "", cell)
    if not cell or cell == NO_DEPARTMENT:
        return []
    names, depth, current = [], 0, ""
    for ch in cell:
        depth += ch in "(（"
        depth -= ch in ")）"
        if ch == "、" and depth == 0:
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    return [n for n in names if n]


def split_phrases(lines: list[str]) -> list[str]:
    """The 经营范围规范表述 lines as phrases: ①②… and line breaks separate them."""
    phrases: list[str] = []
    for line in lines:
        for part in CIRCLED.split(line):
            part = re.sub(r"\s+", "", part)
            if part and not NOT_A_PHRASE.match(part):
                phrases.append(part)
    return phrases


def _lines(text: str) -> list[str]:
    start = text.index(START)
    end = text.index(END, start)
    lines = [line.strip() for line in text[start:end].splitlines()]
    return [line for line in lines[1:] if line and line not in HEADER]


def parse(text: str) -> dict[str, Any]:
    """The catalogue: its sections (number, name) and its items in order."""
    sections: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    lines = _lines(text)
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = SECTION.match(line)
        if heading:
            sections.append({"no": section_number(heading.group(1)), "name": heading.group(2)})
            current = None
            i += 1
            continue
        if NUMBER.match(line) and i + 2 < len(lines) + 1 and sections:
            name, department = lines[i + 1], lines[i + 2] if i + 2 < len(lines) else ""
            current = {
                "seq": int(line),
                "section_no": sections[-1]["no"],
                "section": sections[-1]["name"],
                "name": name,
                "departments_text": re.sub(r"\s+", "", department),
                "departments": split_departments(department),
                "scope_lines": [],
            }
            items.append(current)
            i += 3
            continue
        if current is None:
            raise ValueError(f"第{i + 1}行不属于任何事项：{line}")
        current["scope_lines"].append(line)
        i += 1
    for item in items:
        lines_ = item.pop("scope_lines")
        item["scope_text"] = " ".join(re.sub(r"\s+", " ", x) for x in lines_)
        item["phrases"] = split_phrases(lines_)
    return {"source": "seed 004 监管措施规则 §1.1 上海市市场主体先照后证事项经营范围规范表述目录",
            "sections": sections, "items": items}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m cli.licence_catalogue SEED_004.txt > migrations/data/licence_catalogue.json",
              file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        catalogue = parse(f.read())
    json.dump(catalogue, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
