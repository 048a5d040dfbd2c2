"""表3 按模板导入 of a supervised-object library (监管对象库): the clerk uploads A.4.2 (营利性主体:
企业名称, 社会信用代码, 注册号, 标签) or A.4.1 (非营利性主体/非市场主体, no code column); the upload
is checked and kept as an ImportBatch, previewed with each problem by row and column, the
clerk may download the file with an error column, and the confirmation (入库) stores the library
with the rows still valid ("仅导入有效行").  A.4.2 rows are matched to the registry by
社会信用代码, else by 注册号; A.4.1 rows by 行政区划编码 and 地址 (the entity's 住所 or 经营场所)
among entities of the 机构性质's type, narrowed by 其他名称 (the entity's name) and
法定代表人/负责人 when several share the address.  A row's 标签 are added to the entity's own
tags.  The library itself, its process and field rules are services/libraries.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import Row, RowErrors, check_upload, mark_duplicates, read_table
from models import (
    ImportBatch,
    ImportStatus,
    LibraryMember,
    MarketEntity,
    ObjectLibrary,
    User,
    db,
)
from models.entity import EntityType
from models.library import LibrarySource
from persistence import audit
from persistence.bulk import insert_rows, refresh_statistics
from persistence.scope import scope_entities
from services.entity_fields import SUBJECT_TYPE as ENTITY_SUBJECT
from services.entity_fields import FieldError, parse_tags
from services.entity_tags import add_tags_bulk
from services.libraries import (
    ANALYZE_AFTER_ROWS,
    SUBJECT_TYPE,
    _new_library,
    _require_edit,
    _run,
    can_edit,
    clean_description,
    clean_name,
    clean_tags,
)
from services.templates_catalogue import TEMPLATES
from workflows import engine

IMPORT_KIND = "library"
TEMPLATE_CODES = ("A.4.2", "A.4.1")
MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_PROBLEMS = 200
LOOKUP_CHUNK = 500
NATURE_TYPES = {"非营利性市场主体": EntityType.NON_PROFIT, "非市场主体": EntityType.NON_MARKET}


# ------------------------------------------------------------------ 表3 按模板导入


@dataclass
class LibraryCheck:
    template_code: str
    rows: list[Row]
    matches: dict[int, int] = field(default_factory=dict)  # spreadsheet row → entity id
    names: dict[int, str] = field(default_factory=dict)  # entity id → name

    @property
    def valid_rows(self) -> list[Row]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.valid]

    def errors(self) -> RowErrors:
        found = RowErrors()
        found.add_rows(self.rows)
        return found

    def summary(self) -> dict[str, Any]:
        valid = self.valid_rows
        return {
            "template": self.template_code,
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "entities": len({self.matches[r.number] for r in valid}),
            "problems": [
                {"row": r.number, "errors": r.errors} for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }


def _lookup(actor: User, column: Any, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        query = scope_entities(
            select(MarketEntity.id, MarketEntity.name, column).where(column.in_(keys[i : i + LOOKUP_CHUNK])), actor
        )
        for row in db.session.execute(query):
            found[row[2]] = (row[0], row[1])
    return found


NOT_IN_REGISTRY = "本辖区市场主体库中没有该代码的主体（请先在市场主体库登记）"


def _match_a42(actor: User, rows: list[Row], check: LibraryCheck) -> None:
    mark_duplicates(rows, "社会信用代码")
    mark_duplicates(rows, "注册号")
    usccs = sorted({r.values["社会信用代码"] for r in rows if r.values.get("社会信用代码")})
    reg_nos = sorted({r.values["注册号"].upper() for r in rows if r.values.get("注册号")})
    by_uscc = _lookup(actor, MarketEntity.uscc, usccs)
    by_reg = _lookup(actor, MarketEntity.reg_no, reg_nos)
    for r in rows:
        if not r.valid:
            continue
        uscc, reg_no = r.values.get("社会信用代码") or "", (r.values.get("注册号") or "").upper()
        e1 = by_uscc.get(uscc) if uscc else None
        e2 = by_reg.get(reg_no) if reg_no else None
        if e1 and e2 and e1[0] != e2[0]:
            r.add_error("注册号", f"该注册号属于另一主体（{e2[1]}），与社会信用代码不一致")
            continue
        found = e1 or e2
        if found is None:
            r.add_error("社会信用代码" if uscc else "注册号", NOT_IN_REGISTRY)
            continue
        check.matches[r.number] = found[0]
        check.names[found[0]] = found[1]


def _same_text(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _match_a41(actor: User, rows: list[Row], check: LibraryCheck) -> None:
    codes = sorted({r.values["行政区划编码"] for r in rows if r.values.get("行政区划编码")})
    candidates: dict[str, list[Any]] = {}
    for i in range(0, len(codes), LOOKUP_CHUNK):
        query = scope_entities(
            select(
                MarketEntity.id,
                MarketEntity.name,
                MarketEntity.division_code,
                MarketEntity.entity_type,
                MarketEntity.domicile,
                MarketEntity.business_address,
                MarketEntity.legal_rep,
            ).where(
                MarketEntity.division_code.in_(codes[i : i + LOOKUP_CHUNK]),
                MarketEntity.entity_type.in_(tuple(NATURE_TYPES.values())),
            ),
            actor,
        )
        for row in db.session.execute(query):
            candidates.setdefault(row.division_code, []).append(row)
    for r in rows:
        if not r.valid:
            continue
        wanted = NATURE_TYPES[r.values["机构性质"]]
        address = r.values["地址（住所、经营场所）"]
        found = [
            c
            for c in candidates.get(r.values["行政区划编码"], [])
            if c.entity_type == wanted
            and (_same_text(c.domicile, address) or _same_text(c.business_address, address))
        ]
        other = r.values.get("其他名称（关联主体名称，如主办方等）") or ""
        if len(found) > 1 and other:
            found = [c for c in found if _same_text(c.name, other)] or found
        person = r.values.get("法定代表人/负责人") or ""
        if len(found) > 1 and person:
            found = [c for c in found if _same_text(c.legal_rep, person)] or found
        if not found:
            r.add_error(
                "地址（住所、经营场所）",
                f"本辖区市场主体库中没有该行政区划下此地址的{r.values['机构性质']}（地址须与登记的住所或经营场所一致）",
            )
        elif len(found) > 1:
            r.add_error(
                "其他名称（关联主体名称，如主办方等）",
                "该地址有多个主体（" + "、".join(c.name for c in found[:3]) + "），请在此列填写主体名称以区分",
            )
        else:
            check.matches[r.number] = found[0].id
            check.names[found[0].id] = found[0].name


def check_library_import(actor: User, template_code: str, filename: str, data: bytes) -> LibraryCheck:
    """Read an A.4.1/A.4.2 upload and match its rows to the registry (nothing is written)."""
    if template_code not in TEMPLATE_CODES:
        raise Invalid("请选择模板（A.4.1 或 A.4.2）", field="template")
    template = TEMPLATES[template_code]
    check_upload(data, filename, csv_ok=True, max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_IMPORT_ROWS)
    rows = read_table(data, template, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
    for r in rows:
        try:
            r.values["_tags"] = parse_tags(r.values.get("标签"))
        except FieldError as exc:
            r.values["_tags"] = []
            r.add_error("标签", exc.message)
    check = LibraryCheck(template_code, rows)
    if template_code == "A.4.2":
        _match_a42(actor, rows, check)
    else:
        _match_a41(actor, rows, check)
    # Two rows naming one entity: the second is a repetition.
    seen: dict[int, int] = {}
    for r in rows:
        ident = check.matches.get(r.number)
        if ident is None or not r.valid:
            continue
        if ident in seen:
            r.add_error(_key_column(template_code), f"与第{seen[ident]}行是同一市场主体")
            del check.matches[r.number]
        else:
            seen[ident] = r.number
    return check


def _key_column(template_code: str) -> str:
    return "社会信用代码" if template_code == "A.4.2" else "地址（住所、经营场所）"


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and can_edit(actor)


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def store_import(
    actor: User,
    template_code: str,
    filename: str,
    data: bytes,
    *,
    name: Any,
    tags: Any = "",
    description: Any = "",
) -> tuple[ImportBatch, LibraryCheck]:
    """根据模板填充数据并上传: check the upload and keep it for the preview."""
    from services.user_import import purge_stale_imports

    _require_edit(actor)
    clean = clean_name(actor, name)
    text = clean_description(description)
    tag_list = clean_tags(tags)
    check = check_library_import(actor, template_code, filename, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=(filename or "")[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps(
            {"name": clean, "description": text, "tags": tag_list, "check": check.summary()},
            ensure_ascii=False,
        ),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "模板": template_code, "监管对象库": clean,
                 "有效行": len(check.valid_rows), "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def _ensure_pending(batch: ImportBatch) -> None:
    from services.user_import import is_expired

    if batch.status == ImportStatus.IMPORTED.value:
        raise Conflict("该批次已入库")
    if batch.status != ImportStatus.PENDING.value:
        raise Conflict("该批次已放弃，请重新上传")
    if is_expired(batch):
        raise Conflict("该批次上传已超过24小时未确认，已失效，请重新上传")


def _claim(batch: ImportBatch, status: ImportStatus) -> None:
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


def recheck(actor: User, batch: ImportBatch) -> LibraryCheck:
    """Check a stored upload again: the registry may have changed since."""
    code = batch_summary(batch).get("check", {}).get("template", "")
    return check_library_import(actor, code, batch.filename, batch.content)


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    """The upload (a CSV as .xlsx) with an error column beside each problem row."""
    _ensure_pending(batch)
    check = recheck(actor, batch)
    audit.record(
        "export", object_type="import_batch", object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"}, user=actor,
    )
    return check.errors().annotated(batch.content, sheet=TEMPLATES[check.template_code].sheet)


def import_library(actor: User, batch: ImportBatch) -> ObjectLibrary:
    """入库 (仅导入有效行): store the library with the rows that still match the registry."""
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的人员可以入库")
    _ensure_pending(batch)
    stored = batch_summary(batch)
    name = clean_name(actor, stored.get("name"))
    check = recheck(actor, batch)
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可入库的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    tags = list(stored.get("tags") or [])
    library = _new_library(
        actor,
        name,
        stored.get("description") or "",
        tags,
        LibrarySource.TEMPLATE,
        template_code=check.template_code,
        filename=batch.filename,
    )
    instance = _run(
        3,
        actor,
        f"新增监管对象库：{name}",
        library.id,
        [
            ("choose_mode", "template", "按模板导入"),
            ("download_template", "next", f"{check.template_code} {TEMPLATES[check.template_code].title}"),
            ("upload", "next", f"{batch.filename}：有效行{len(valid)}，问题行{len(check.invalid_rows)}"),
        ],
    )
    ids = sorted({check.matches[r.number] for r in valid})
    insert_rows(LibraryMember.__table__, ("library_id", "entity_id"), ((library.id, e) for e in ids))
    library.member_count = len(ids)
    added = add_tags_bulk((check.matches[r.number], t) for r in valid for t in r.values.get("_tags", ()))
    by_entity: dict[int, list[str]] = {}
    for ident, tag in added:
        by_entity.setdefault(ident, []).append(tag)
    audit.record_many(
        "update",
        ENTITY_SUBJECT,
        [(ident, {"追加标签": "、".join(t), "监管对象库": name}) for ident, t in by_entity.items()],
        user=actor,
    )
    if len(ids) >= ANALYZE_AFTER_ROWS:
        refresh_statistics(LibraryMember.__table__)
    db.session.flush()
    engine.advance(actor, instance, "store", "next", comment=f"入库{len(ids)}个市场主体")
    summary = {
        "名称": name,
        "方式": "按模板导入",
        "模板": check.template_code,
        "文件": batch.filename,
        "成员": len(ids),
        "跳过问题行": len(check.invalid_rows),
        "标签": "、".join(tags),
    }
    batch.result = json.dumps({**stored, "library_id": library.id, "result": summary}, ensure_ascii=False)
    batch.content = b""
    db.session.flush()
    audit.record("create", object_type=SUBJECT_TYPE, object_id=library.id, summary=summary, user=actor)
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return library


def discard_import(actor: User, batch: ImportBatch) -> None:
    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的人员可以放弃该批次")
    _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    db.session.flush()
    audit.record("delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor)
