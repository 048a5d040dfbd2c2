"""Import of the entity registry (市场主体库导入) from a full-registry workbook (.xlsx) or a
CSV (UTF-8 with or without BOM, GBK/GB18030), following the ImportBatch pattern of
services/user_import.py: the upload is validated and stored as a batch (kind "entities"), the
clerk previews the result, downloads an annotated copy of the problem rows, and confirms; the
confirmation imports every still-valid row in the request's one transaction, or nothing.

Columns are matched by their Chinese titles (with the names other systems use for them, see
services.entity_fields.FIELDS), in any order; a title row above the header is skipped.  A row that
names an existing entity by 统一社会信用代码 (else by 注册号) updates it: the cells it fills
replace the stored values, blank cells leave them as they are (a partial file never erases
data), and its tags are added.

Speed (bench/entities.py): rows are parsed with the same rules as the form, existing entities
are looked up in chunks of 500 keys, new rows are inserted with ``insert()`` over lists of
dicts and changed rows updated by primary key in chunks, without ORM objects; the audit rows
(one per created or changed entity) are chained and inserted the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from models import EntityTag, ImportBatch, ImportStatus, Job, MarketEntity, User, db, utcnow
from services import audit, jobs
from services import entity_import_write as write
from services.bulk import refresh_statistics
from services.collection.pending import rematch_entities
from services.config import default as config_default
from services.entities import Registries, can_edit
from services.entity_fields import (
    FIELD_BY_KEY,
    FIELDS,
    INDUSTRY_SECTIONS,
    ONE_OF_MESSAGE,
    SUBJECT_TYPE,
    TITLE,
    FieldError,
    TextRule,
)
from services.entity_import_read import (
    MAX_IMPORT_ROWS,
    MAX_UPLOAD_BYTES,
    EntityRow,
    Table,
    _blank,
    annotated_csv,
    problem_rows_workbook,
    read_table,
)
from services.entity_tags import add_tags_bulk
from services.errors import Conflict, Forbidden, Invalid
from services.excel import Column, ExcelError, annotate_errors
from services.import_rows import duplicate_messages

IMPORT_KIND = "entities"
JOB_KIND = "entity_import"
BATCH_SUBJECT = "import_batch"
# A confirmation of more rows than this runs as a background job (config IMPORT_JOB_ROWS).
IMPORT_JOB_ROWS: int = config_default("IMPORT_JOB_ROWS")
PROGRESS_ROWS = 2_000  # rows between two progress reports while checking
# Above this many rows the error report lists the problem rows only: re-writing a whole
# 100,000-row workbook with openpyxl takes about a minute.
FULL_COPY_ROWS = 5_000
PREVIEW_PROBLEMS = 200
CHUNK = 2_000
LOOKUP_CHUNK = 500
ANALYZE_AFTER_ROWS = 5_000  # services.bulk.refresh_statistics
FORMULA = "单元格为公式，请复制后“选择性粘贴—数值”再导入"

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
        if not values and all(_blank(v) for v in cells):
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
    report: Report | None = None,
) -> EntityCheck:
    """Read and validate an upload against the rules and the registry (nothing is written).
    ``formulas``: see read_table; ``report(rows, message)`` is told of the rows checked."""
    table = read_table(filename, data, formulas=formulas)
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


# ------------------------------------------------------------------ batches


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    """A batch belongs to the clerk who uploaded it."""
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and can_edit(actor)


def store_import(actor: User, filename: str, data: bytes) -> tuple[ImportBatch, EntityCheck]:
    """Validate an upload and keep it, with its check summary, for preview and confirmation."""
    from services.user_import import purge_stale_imports

    if not can_edit(actor):
        raise Forbidden("只有监管部门经办人可以导入市场主体")
    check = check_import(actor, filename, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"check": check.summary()}, ensure_ascii=False, default=str),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "有效行": len(check.valid_rows), "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def _stored_formulas(batch: ImportBatch) -> dict[int, set[int]]:
    """The formula cells the upload check found in this batch's file."""
    found = batch_summary(batch).get("check", {}).get("formulas", {})
    return {int(row): set(cols) for row, cols in found.items()}


def recheck(actor: User, batch: ImportBatch, report: Report | None = None) -> EntityCheck:
    """Validate a stored batch again (the registry may have changed since the upload); the
    file's bytes were checked at the upload and are not inspected twice."""
    return check_import(actor, batch.filename, batch.content, formulas=_stored_formulas(batch), report=report)


def _ensure_pending(batch: ImportBatch) -> None:
    from services.user_import import is_expired

    if batch.status == ImportStatus.IMPORTED.value:
        raise Conflict("该批次已导入")
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已放弃，请重新上传")
    if is_expired(batch):
        raise Conflict("该批次上传已超过24小时未确认，已失效，请重新上传")


def _claim(batch: ImportBatch, status: ImportStatus) -> None:
    """Move a pending batch to ``status`` atomically: of two concurrent requests one wins."""
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.PENDING.value)
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    if claimed != 1:
        _ensure_pending(batch)
        raise Conflict("该批次已被处理")


def _check_reporter(batch: ImportBatch, progress: Callable[[int, int, str], None] | None) -> Report | None:
    """The check's share of ``progress``: one unit per row of the file to check it, then one
    per valid row to write it and one per valid row for its audit row (a third of the time on
    PostgreSQL), so the bar moves through every stage."""
    if progress is None:
        return None
    guess = max(int(batch_summary(batch).get("check", {}).get("rows") or 0), 1) * 3
    progress(0, guess, "正在校验")

    def checked(done: int, message: str) -> None:
        progress(min(done, guess // 3), guess, message)

    return checked


def import_entities(
    actor: User, batch: ImportBatch, progress: Callable[[int, int, str], None] | None = None
) -> dict[str, Any]:
    """仅导入有效行: create or update every row that is still valid, in the caller's one
    transaction (all or nothing).  The file is dropped once imported.

    ``progress(done, total, message)`` (a background job's reporter) hears of the rows checked
    and then written (services/entity_import_write.py)."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _ensure_pending(batch)
    check = recheck(actor, batch, _check_reporter(batch, progress))
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    total = len(check.rows) + 2 * len(valid)

    def written(count: int, what: str) -> None:
        if progress is not None:
            progress(len(check.rows) + count, total, what)

    written(0, f"正在写入：共 {len(valid)} 行")
    _claim(batch, ImportStatus.IMPORTED)
    now = utcnow()
    creates = [r for r in valid if r.target_id is None]
    updates = [r for r in valid if r.target_id is not None]
    new_ids, created_audit, new_tags = write.insert_new(batch, creates, now, written)
    changes = write.update_existing(batch, updates, now, lambda n, what: written(len(creates) + n, what))
    added = add_tags_bulk([*new_tags, *changes.tag_pairs], set(new_ids))
    updated_audit = write.update_audit(batch, added, changes)
    written(len(valid), "正在记录审计日志")
    if len(creates) + len(updates) >= ANALYZE_AFTER_ROWS:
        refresh_statistics(MarketEntity.__table__, EntityTag.__table__)
    audit.record_many("create", SUBJECT_TYPE, created_audit, user=actor)
    audit.record_many("update", SUBJECT_TYPE, updated_audit, user=actor)
    written(len(valid), "正在重新匹配待处理的归集信息")
    rematched = rematch_entities(
        [c for r in valid for c in (r.values.get("uscc"), r.values.get("reg_no")) if c],
        [r.values.get("name") or "" for r in valid],
    )
    summary = {
        "文件": batch.filename,
        "新增": len(creates),
        "更新": len(updates) - changes.unchanged,
        "无变化": changes.unchanged,
        "新增标签": len(added),
        "跳过问题行": len(check.invalid_rows),
        "归集信息匹配": rematched.filed,
    }
    batch.result = json.dumps(summary, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return summary


def summary_text(summary: dict[str, Any]) -> str:
    """The one-line outcome of an import, as the pages show it."""
    return (
        f"已导入：新增 {summary['新增']} 个、更新 {summary['更新']} 个市场主体"
        + (f"，{summary['无变化']} 个没有变化" if summary.get("无变化") else "")
        + (f"，新增标签 {summary['新增标签']} 个" if summary.get("新增标签") else "")
        + (f"，跳过问题行 {summary['跳过问题行']} 行" if summary.get("跳过问题行") else "")
        + (f"；待处理的归集信息中有 {summary['归集信息匹配']} 条已匹配到市场主体" if summary.get("归集信息匹配") else "")
    )


def runs_as_job(batch: ImportBatch, threshold: int = IMPORT_JOB_ROWS) -> bool:
    """Whether confirming this batch goes to a background job (more rows than ``threshold``)."""
    return int(batch_summary(batch).get("check", {}).get("rows") or 0) > threshold


def _lock_batch(batch: ImportBatch) -> None:
    """Serialise two confirmations of one batch: PostgreSQL locks the row, SQLite takes its
    write lock, until the transaction ends."""
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(status=ImportBatch.status)
        .execution_options(synchronize_session=False)
    )


def enqueue_import(actor: User, batch: ImportBatch) -> Job:
    """仅导入有效行, as a background job (a large file): the job imports in its own transaction,
    all or nothing, and reports its progress; the batch page follows it."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _lock_batch(batch)
    db.session.refresh(batch)
    _ensure_pending(batch)
    if jobs.active_for(BATCH_SUBJECT, batch.id) is not None:
        raise Conflict("该批次正在导入，请稍候查看结果")
    return jobs.enqueue(
        JOB_KIND,
        actor,
        title=f"导入市场主体：{batch.filename}",
        payload={"batch_id": batch.id},
        subject_type=BATCH_SUBJECT,
        subject_id=batch.id,
    )


def _batch_page(job: Job) -> str:
    from flask import url_for

    return url_for("entities.import_preview", batch_id=job.subject_id)


@jobs.register(JOB_KIND, link=_batch_page)
def _import_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    batch = db.session.get(ImportBatch, job.params.get("batch_id"))
    if batch is None:
        raise Conflict("导入批次不存在或已被删除")
    summary = import_entities(job.created_by, batch, progress=progress)
    return {"text": summary_text(summary), "summary": summary, "batch_id": batch.id}


def discard_import(actor: User, batch: ImportBatch) -> None:
    """放弃: drop a pending batch and its file."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    if batch.status != ImportStatus.PENDING.value:
        _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record(
        "delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor
    )


# ------------------------------------------------------------------ error report


def annotated_copy(actor: User, batch: ImportBatch) -> tuple[bytes, str]:
    """The upload with an error column (CSV as CSV, a workbook as a workbook; for a workbook of
    more than FULL_COPY_ROWS rows the problem rows only).  Returns (content, extension)."""
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已处理，原文件不再保留")
    _ensure_pending(batch)
    check = recheck(actor, batch)
    audit.record(
        "export",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"},
        user=actor,
    )
    errors = check.error_map()
    if check.kind == "csv":
        return annotated_csv(batch.content, errors), "csv"
    if len(check.rows) > FULL_COPY_ROWS:
        return problem_rows_workbook(batch.content, batch.filename, check.formulas, errors), "xlsx"
    return annotate_errors(batch.content, errors), "xlsx"
