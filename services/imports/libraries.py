"""表3 按模板导入 of a supervised-object library (监管对象库): one kind per template, A.4.2
(营利性主体: 企业名称, 社会信用代码, 注册号, 标签) and A.4.1 (非营利性主体/非市场主体, no code
column).  The upload form names the new library (名称, 标签, 说明: upload options, kept in the
batch's context); each row is matched to the registry (services/library_matching.py) and the
confirmation stores the library with the matched entities, walking 表3 (选择监管对象库新增方式 →
下载模板 → 根据模板填充数据并上传 → 入库).  A row's 标签 are added to its entity's own tags.
The natural key is the matched entity: two rows naming one entity refuse each other.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.exc import IntegrityError

from infrastructure.errors import Conflict
from infrastructure.excel import Row
from models import ImportBatch, LibraryMember, User, db
from models.library import LibrarySource
from persistence import audit
from persistence.bulk import insert_rows, refresh_statistics
from services import import_batches, library_matching
from services import libraries as svc
from services.entity_fields import SUBJECT_TYPE as ENTITY_SUBJECT
from services.entity_fields import FieldError, parse_tags
from services.entity_tags import add_tags_bulk
from services.imports.framework import ImportKind, ImportRow, UploadOption
from services.imports.registry import register
from services.templates_catalogue import TEMPLATES
from workflows import engine

MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class LibraryImport(ImportKind):
    """What both templates share: the upload options, the library made at the confirmation."""

    match: Callable[[User, list[Row]], library_matching.Matches]
    max_rows = MAX_IMPORT_ROWS
    max_bytes = MAX_UPLOAD_BYTES
    key_label = "（同一市场主体）"
    denied = "只有上传该文件的人员可以入库"
    options = (
        UploadOption("name", "对象库名称 *", "", 100),
        UploadOption("tags", "对象库标签", "多个标签用“、”分隔", 700),
        UploadOption("description", "说明", "", 500),
    )

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return svc.can_edit(actor)

    def read_options(self, actor: User, form: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": svc.clean_name(actor, form.get("name")),
            "tags": svc.clean_tags(form.get("tags")),
            "description": svc.clean_description(form.get("description")),
        }

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        svc.clean_name(actor, context.get("name"))  # another library may have taken the name since

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        tags: dict[int, list[str]] = {}
        for r in rows:
            try:
                tags[r.number] = parse_tags(r.values.get("标签"))
            except FieldError as exc:
                r.add_error("标签", exc.message)
        matches = self.match(actor, rows)
        return [
            ImportRow(r, (matches[r.number], tags.get(r.number, [])) if r.number in matches else None)
            for r in rows
        ]

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.payload[0][0] if item.payload else None

    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        return {"entities": len({r.payload[0][0] for r in rows})}

    def check_note(self, check: dict[str, Any]) -> str:
        return f"（{check.get('entities', 0)} 个市场主体）"

    def context_note(self, context: dict[str, Any]) -> str:
        if not context.get("name"):
            return ""
        tags = "、".join(context.get("tags") or [])
        return f"新建监管对象库：{context['name']}" + (f"（标签：{tags}）" if tags else "")

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """入库: the library, its members and the rows' tags, and 表3's instance."""
        name = svc.clean_name(actor, context.get("name"))
        tags = list(context.get("tags") or [])
        code = self.template.code
        skipped = int(import_batches.batch_summary(batch).get("check", {}).get("rows", len(rows))) - len(rows)
        try:
            library = svc.new_library(actor, name, context.get("description") or "", tags, LibrarySource.TEMPLATE,
                                      template_code=code, filename=batch.filename)
        except IntegrityError:
            raise Conflict("入库期间数据已被他人修改（如同名对象库），请返回预览页重新校验") from None
        instance = svc.start_process(3, actor, f"新增监管对象库：{name}", library.id, [
            ("choose_mode", "template", "按模板导入"),
            ("download_template", "next", f"{code} {self.template.title}"),
            ("upload", "next", f"{batch.filename}：有效行{len(rows)}，问题行{max(skipped, 0)}"),
        ])
        ids = sorted({r.payload[0][0] for r in rows})
        insert_rows(LibraryMember.__table__, ("library_id", "entity_id"), ((library.id, e) for e in ids))
        library.member_count = len(ids)
        added = add_tags_bulk((r.payload[0][0], t) for r in rows for t in r.payload[1])
        by_entity: dict[int, list[str]] = {}
        for ident, tag in added:
            by_entity.setdefault(ident, []).append(tag)
        audit.record_many("update", ENTITY_SUBJECT,
                          [(i, {"追加标签": "、".join(t), "监管对象库": name}) for i, t in by_entity.items()], user=actor)
        if len(ids) >= svc.ANALYZE_AFTER_ROWS:
            refresh_statistics(LibraryMember.__table__)
        db.session.flush()
        engine.advance(actor, instance, "store", "next", comment=f"入库{len(ids)}个市场主体")
        summary = {"名称": name, "方式": "按模板导入", "模板": code, "文件": batch.filename, "成员": len(ids),
                   "跳过问题行": max(skipped, 0), "标签": "、".join(tags)}
        audit.record("create", object_type=svc.SUBJECT_TYPE, object_id=library.id, summary=summary, user=actor)
        return {"名称": name, "模板": code, "成员": len(ids), "library_id": library.id}

    def result_text(self, result: dict[str, Any]) -> str:
        return (f"已入库：监管对象库“{result.get('名称', '')}”，共 {result.get('成员', 0)} 个市场主体，"
                f"跳过问题行 {result.get('跳过问题行', 0)} 行")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "新增监管对象库", "libraries.create", {}

    def done(self, context: dict[str, Any], result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "libraries.detail", {"id": result["library_id"]}


class A42Import(LibraryImport):
    name = "library_a42"
    title = "按模板导入监管对象库（A.4.2 营利性市场主体）"
    template = TEMPLATES["A.4.2"]
    name_column = "企业名称"
    key_column = "社会信用代码"
    match = staticmethod(library_matching.match_a42)
    steps = ("各行按社会信用代码（没有时按注册号）与市场主体库匹配，确认后入库为新的监管对象库，"
             "各行“标签”追加到对应市场主体。",)


class A41Import(LibraryImport):
    name = "library_a41"
    title = "按模板导入监管对象库（A.4.1 非营利性市场主体、非市场主体）"
    template = TEMPLATES["A.4.1"]
    name_column = key_column = library_matching.ADDRESS
    match = staticmethod(library_matching.match_a41)
    steps = ("各行按行政区划编码和地址（住所或经营场所）匹配同一机构性质的主体，同一地址有多个主体时按“其他名称”"
             "（主体名称）区分；确认后入库为新的监管对象库，各行“标签”追加到对应市场主体。",)


A42 = register(A42Import())
A41 = register(A41Import())
KINDS = (A42, A41)
