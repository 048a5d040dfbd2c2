"""The rules of the entity registry import (市场主体库导入): its template, and the check of a
full-registry workbook (.xlsx) or CSV (UTF-8 with or without BOM, GBK/GB18030) against the
field rules and the registry.  The import kind (services/imports/entities.py) runs it on the
import framework: upload, preview, annotated copy, confirmation (a background job for a large
file) and 放弃.

Columns are matched by their Chinese titles (with the names other systems use for them, see
services.entity_fields.FIELDS), in any order; a title row above the header is skipped.  A row that
names an existing entity by 统一社会信用代码 (else by 注册号) updates it: the cells it fills
replace the stored values, blank cells leave them as they are (a partial file never erases
data), and its tags are added.  A code repeated within the file refuses every row carrying it
(both keys are checked here: the framework's natural key knows one).

Speed (bench/entities.py): rows are parsed with the same rules as the form, existing entities
are looked up in chunks of 500 keys; the writing is services/entity_import_write.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from infrastructure.excel import FORMULA_CELL, Column, ExcelError
from infrastructure.import_rows import duplicate_messages
from models import MarketEntity, User, db
from services.entities import Registries
from services.entity_fields import (
    FIELD_BY_KEY,
    FIELDS,
    INDUSTRY_SECTIONS,
    ONE_OF_MESSAGE,
    TITLE,
    FieldError,
    TextRule,
)
from services.entity_import_read import (
    MAX_IMPORT_ROWS,
    MAX_UPLOAD_BYTES,
    EntityRow,
    Table,
    is_blank,
    read_table,
)

PROGRESS_ROWS = 2_000  # rows between two progress reports while checking
PREVIEW_PROBLEMS = 200
LOOKUP_CHUNK = 500
FORMULA = FORMULA_CELL  # the framework's words: a formula refuses its row

TEMPLATE_COLUMNS = tuple(
    Column(f.title, f.width, text=f.text, choices=f.choices, required=f.required) for f in FIELDS
)


def template_instructions() -> list[str]:
    return [
        "市场主体库导入填写说明",
        "1. 带 * 的列为必填项；统一社会信用代码和注册号至少填写一项。列的顺序可以调整，列名须与模板一致"
        "（其他系统导出的常用列名，如“企业名称”“法定代表人”“经营状态”，也能识别）；未识别的列将被忽略。",
        "2. 统一社会信用代码、注册号、行政区划编码、行业代码、联系电话请使用“文本”格式：以数字格式保存的"
        "18位代码会变成 9.1E+17 这样的科学计数法并丢失末几位，系统会拒绝这样的行。",
        "3. 已登记的主体（按统一社会信用代码匹配，没有时按注册号匹配）将被更新：填写的单元格覆盖原值，"
        "留空的单元格保持原值不变；标签为追加。",
        "4. 主体类型：" + "、".join(FIELD_BY_KEY["entity_type"].choices) + "。",
        "5. 登记状态：" + "、".join(FIELD_BY_KEY["status"].choices) + "（“在营”“开业”“吊销，未注销”等写法也可识别）。",
        "6. 行政区划编码：6位（县级）、9位（乡级）或12位（村级）数字，须在本辖区范围内；"
        "主体归入其行政区划所在区（市）县的主体库。",
        "7. 行业代码：国民经济行业分类（GB/T 4754-2017）门类字母加代码，如 F5211；只填数字（5211）时自动补门类字母。",
        "8. 成立日期、评定日期：如 2024-01-05、2024/1/5、20240105 或Excel日期。",
        "9. 注册资本：单位万元，填写数字。联系电话：手机号码、带区号的固定电话（如 028-86123456，本地号码不以0或1开头）或400/800号码，"
        "多个号码用“、”分隔。",
        "10. 标签：多个标签用“、”分隔，每个不超过30个字。",
        "11. 信用风险等级：A、B、C、D、E（A级风险最低），仅供内部监管使用，不对外公开；可同时填写等级来源和评定日期。",
        f"12. 每个文件最多{MAX_IMPORT_ROWS}行、不超过{MAX_UPLOAD_BYTES // 1024 // 1024}MB；也可上传CSV文件"
        "（UTF-8或GBK编码）。",
        "",
        "行业门类：",
        *[f"{letter} {name}（{lo:02d}–{hi:02d}大类）" for letter, (name, lo, hi) in INDUSTRY_SECTIONS.items()],
    ]


# ------------------------------------------------------------------ checking


@dataclass
class EntityCheck:
    kind: str
    rows: list[EntityRow]
    columns: list[str]  # field keys found in the file
    ignored: list[str]
    formulas: dict[int, set[int]] = field(default_factory=dict)

    @property
    def valid_rows(self) -> list[EntityRow]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[EntityRow]:
        return [r for r in self.rows if not r.valid]

    def error_map(self) -> dict[int, list[str]]:
        """{spreadsheet row: ["列：问题", …]} for the annotated copy."""
        return {r.number: [f"{col}：{msg}" for col, msg in r.errors] for r in self.rows if r.errors}

    def summary(self) -> dict[str, Any]:
        """What the preview shows, kept in the batch so that it is not recomputed."""
        valid = self.valid_rows
        problems = [
            {"row": r.number, "name": r.label, "code": r.code, "errors": r.errors}
            for r in self.invalid_rows[:PREVIEW_PROBLEMS]
        ]
        return {
            "kind": self.kind,
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "create": sum(1 for r in valid if r.target_id is None),
            "update": sum(1 for r in valid if r.target_id is not None),
            "columns": [TITLE[k] for k in self.columns],
            "ignored": self.ignored,
            "problems": problems,
            "formulas": {str(row): sorted(cols) for row, cols in self.formulas.items()},
        }


Report = Callable[[int, str], None]  # (rows done, message)


def _parse_rows(table: Table, report: Report | None = None) -> list[EntityRow]:
    """Apply the field rules to every non-blank row.  Plain text cells, most of a file, are
    checked inline: this loop runs two million times for a 100,000-row file."""
    text_plan, rule_plan = [], []
    for key, idx in table.columns.items():
        spec = FIELD_BY_KEY[key]
        if isinstance(spec.parse, TextRule):
            text_plan.append((key, idx, spec.parse, spec.required, spec.title))
        else:
            rule_plan.append((key, idx, spec.parse, spec.required, spec.title))
    width = max(table.columns.values()) + 1
    formulas = table.formulas
    out: list[EntityRow] = []
    seen = 0
    for number, cells in table.rows:
        if report is not None:
            seen += 1
            if seen % PROGRESS_ROWS == 0:
                report(seen, f"正在校验：已校验 {seen} 行")
        if len(cells) < width:
            cells = [*cells, *([None] * (width - len(cells)))]
        values: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        if formulas and number in formulas:
            cells = list(cells)
            for idx in formulas[number]:
                if idx < width:
                    cells[idx] = _Formula()
        for key, idx, rule, required, title in text_plan:
            value = cells[idx]
            if type(value) is str:
                value = value.strip()
                if value:
                    if len(value) > rule.max_length:
                        errors.append((title, rule.too_long(value)))
                    else:
                        values[key] = value
                    continue
            elif value is not None:
                try:
                    value = rule(value)
                except FieldError as exc:
                    errors.append((title, exc.message))
                    continue
                if value:
                    values[key] = value
                    continue
            if required:
                errors.append((title, "必填"))
        for key, idx, parse, required, title in rule_plan:
            value = cells[idx]
            if value is not None and value != "":
                try:
                    value = parse(value)
                except FieldError as exc:
                    errors.append((title, exc.message))
                    continue
                if value is not None and value != "" and value != []:
                    values[key] = value
                    continue
            if required:
                errors.append((title, "必填"))
        if not values and all(is_blank(v) for v in cells):
            continue  # an empty row (or one of spaces)
        if len(out) >= MAX_IMPORT_ROWS:
            raise ExcelError(f"数据超过{MAX_IMPORT_ROWS}行，请拆分后分批上传")
        if "uscc" not in values and "reg_no" not in values and not any(
            t in (TITLE["uscc"], TITLE["reg_no"]) for t, _ in errors
        ):
            errors.append((TITLE["uscc"], ONE_OF_MESSAGE))
        if "credit_grade_on" in values and "credit_grade" not in values:
            errors.append((TITLE["credit_grade"], "填写了评定日期，请同时填写信用风险等级"))
        out.append(EntityRow(number, values, errors))
    return out


class _Formula:
    """Stands for a formula cell: every rule refuses it."""

    def __str__(self) -> str:
        raise FieldError(FORMULA)


def _mark_duplicates(rows: list[EntityRow], key: str) -> None:
    counts = Counter(r.values[key] for r in rows if key in r.values)
    repeated = {v for v, n in counts.items() if n > 1}
    if not repeated:
        return
    lines: dict[Any, list[int]] = {}
    for r in rows:
        if r.values.get(key) in repeated:
            lines.setdefault(r.values[key], []).append(r.number)
    messages = {value: duplicate_messages(numbers) for value, numbers in lines.items()}
    for r in rows:
        value = r.values.get(key)
        if value in repeated:
            r.errors.append((TITLE[key], messages[value][r.number]))


def _existing(column: Any, keys: list[str]) -> dict[str, Any]:
    """Registered entities by ``column`` for ``keys`` (looked up in chunks, Core rows)."""
    found: dict[str, Any] = {}
    connection = db.session.connection()
    for i in range(0, len(keys), LOOKUP_CHUNK):
        for row in connection.execute(
            select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no, MarketEntity.department_id).where(
                column.in_(keys[i : i + LOOKUP_CHUNK])
            )
        ):
            found[getattr(row, column.key)] = row
    return found


def check_import(
    actor: User,
    filename: str,
    data: bytes,
    *,
    formulas: dict[int, set[int]] | None = None,
    checked: bool = False,
    report: Report | None = None,
) -> EntityCheck:
    """Read and validate an upload against the rules and the registry (nothing is written).
    ``formulas``, ``checked``: see read_table; ``report(rows, message)`` is told of the rows
    checked."""
    table = read_table(filename, data, formulas=formulas, checked=checked)
    rows = _parse_rows(table, report)
    if not rows:
        raise ExcelError("文件中没有数据行：列名行之下没有内容")
    if report is not None:
        report(len(rows), "正在比对已登记的主体")
    _mark_duplicates(rows, "uscc")
    _mark_duplicates(rows, "reg_no")
    registries = Registries(actor)
    by_uscc = _existing(MarketEntity.uscc, sorted({r.values["uscc"] for r in rows if "uscc" in r.values}))
    by_reg = _existing(MarketEntity.reg_no, sorted({r.values["reg_no"] for r in rows if "reg_no" in r.values}))
    targets: dict[int, list[EntityRow]] = {}
    for r in rows:
        division = r.values.get("division_code")
        if division:
            r.owner = registries.owner(division)
            if r.owner is None:
                r.errors.append((TITLE["division_code"], registries.outside_message(division)))
        uscc, reg_no = r.values.get("uscc"), r.values.get("reg_no")
        e1 = by_uscc.get(uscc) if uscc else None
        e2 = by_reg.get(reg_no) if reg_no else None
        if e1 is not None and e2 is not None and e1.id != e2.id:
            r.errors.append((TITLE["reg_no"], f"该注册号已登记在另一主体名下（统一社会信用代码 {e2.uscc or '无'}）"))
            continue
        target = e1 or e2
        if target is None:
            continue
        if e1 is None and uscc and target.uscc and target.uscc != uscc:
            r.errors.append((TITLE["reg_no"], f"该注册号已登记在统一社会信用代码为 {target.uscc} 的主体名下"))
            continue
        if target.department_id not in registries.ids:
            r.errors.append(
                (TITLE["uscc"] if e1 else TITLE["reg_no"], "该主体已登记在其他辖区的主体库，不在您的数据范围内，不能更新")
            )
            continue
        r.target_id = target.id
        targets.setdefault(target.id, []).append(r)
    for group in targets.values():
        if len(group) > 1:
            for r in group:
                others = "、".join(str(x.number) for x in group if x is not r)
                r.errors.append((TITLE["uscc"], f"与第{others}行是同一个已登记主体"))
    return EntityCheck(table.kind, rows, list(table.columns), table.ignored, table.formulas)
