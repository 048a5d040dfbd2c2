"""表15 按模板导入 of an object directory (检查对象名录库): an upload of A.4.2 / A.4.1 / B.1 (market
entities, matched in the registry by 统一社会信用代码 or 注册号, by name for A.4.1, which has no
code column), B.2 (places) or B.3 (products): upload → ImportBatch → preview with row and column
errors → annotated copy → confirm (valid rows only, or nothing).  The directory, its process and
its members are services/directories.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Forbidden, Invalid
from infrastructure.excel import ExcelError, Row, RowErrors, mark_duplicates, read_table
from models import (
    CheckItem,
    DirectoryMember,
    ImportBatch,
    ImportStatus,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    Place,
    Product,
    User,
    db,
    utcnow,
)
from models.entity import EntityType
from persistence import audit
from persistence.bulk import allocate_ids, insert_rows, update_rows
from persistence.scope import scope_entities
from services.directories import (
    _REF,
    IMPORT_TEMPLATES,
    AddResult,
    _analyze_if_large,
    _changed,
    _get_or_create,
    _record_add,
    _require_edit,
    can_edit,
    directory_of,
    item_for,
)
from services.entities import (
    region_prefix,
)

IMPORT_KIND = "directory"
MAX_IMPORT_ROWS = 200_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_PROBLEMS = 200
LOOKUP_CHUNK = 500


# ------------------------------------------------------------------ 按模板导入


PLACE_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("场地场所", "name", 200),
    ("所在地区", "area", 100),
    ("行政区划", "division_name", 100),
    ("责任单位", "responsible_unit", 200),
    ("责任单位统一社会信用代码", "responsible_uscc", 18),
    ("责任人", "responsible_person", 100),
    ("责任人证件类型", "id_type", 30),
    ("责任人证件编码", "id_code", 40),
    ("场所用途", "purpose", 100),
    ("场所规模", "scale", 100),
    ("投入使用开始时间", "in_use_since", 0),
    ("使用寿命", "service_life", 50),
    ("检查地址", "address", 255),
    ("检查联系电话", "phone", 60),
    ("所属区县", "county", 100),
    ("行政相对人性质", "nature", 50),
    ("行政区划代码", "division_code", 12),
)
PRODUCT_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("生产许可证编号", "licence_no", 40),
    ("企业名称", "company_name", 200),
    ("统一社会信用代码", "uscc", 18),
    ("发证日期", "issued_on", 0),
    ("有效期至", "valid_until", 0),
    ("检查地址", "address", 255),
    ("检查联系电话", "phone", 60),
    ("所属区县", "county", 100),
    ("行政相对人性质", "nature", 50),
    ("行政区划代码", "division_code", 12),
)


@dataclass
class DirectoryCheck:
    code: str
    rows: list[Row]
    targets: dict[int, int] = field(default_factory=dict)  # row number → entity / existing object id
    links: dict[int, int] = field(default_factory=dict)  # row number → registry entity (places, products)
    already: int = 0  # valid rows whose object is already in the directory

    @property
    def kind(self) -> MemberKind:
        return IMPORT_TEMPLATES[self.code].kind

    @property
    def valid_rows(self) -> list[Row]:
        return [r for r in self.rows if r.valid]

    @property
    def invalid_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.valid]

    def errors(self) -> RowErrors:
        errors = RowErrors()
        errors.add_rows(self.rows)
        return errors

    def summary(self) -> dict[str, Any]:
        valid = self.valid_rows
        label_column = {"A.4.2": "企业名称", "A.4.1": OTHER_NAME, "B.1": "行政相对人名称", "B.2": "场地场所",
                        "B.3": "企业名称"}[self.code]
        existing = sum(1 for r in valid if r.number in self.targets)
        out = {
            "template": self.code,
            "kind": self.kind.value,
            "rows": len(self.rows),
            "valid": len(valid),
            "invalid": len(self.rows) - len(valid),
            "already": self.already,
            "new_members": len(valid) - self.already,
            "problems": [
                {"row": r.number, "name": str(r.values.get(label_column) or ""), "errors": r.errors}
                for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }
        if self.kind != MemberKind.ENTITY:
            out["create"] = len(valid) - existing
            out["update"] = existing
        return out


def _chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _entities_by(actor: User, column: Any, keys: Iterable[str]) -> dict[str, int]:
    """{key: entity id} of the actor's registries, for ``column`` (uscc, reg_no)."""
    wanted = sorted({k for k in keys if k})
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        for key, ident in db.session.execute(
            scope_entities(select(column, MarketEntity.id), actor).where(column.in_(chunk))
        ):
            found[key] = ident
    return found


def _check_lengths(rows: Iterable[Row], fields: Sequence[tuple[str, str, int]]) -> None:
    for row in rows:
        for title, _attr, limit in fields:
            value = row.values.get(title)
            if limit and isinstance(value, str) and len(value) > limit:
                row.add_error(title, f"不能超过{limit}个字（现有{len(value)}个）")


OTHER_NAME = "其他名称（关联主体名称，如主办方等）"
NOT_REGISTERED = "本辖区市场主体库中没有该主体，请先在市场主体库登记或导入后再加入名录库"


def _check_entities(actor: User, code: str, rows: list[Row], check: DirectoryCheck) -> None:
    if code == "A.4.2":
        mark_duplicates(rows, "社会信用代码")
        mark_duplicates(rows, "注册号")
        by_uscc = _entities_by(actor, MarketEntity.uscc, (r.values.get("社会信用代码", "") for r in rows))
        by_reg = _entities_by(actor, MarketEntity.reg_no, (r.values.get("注册号", "") for r in rows))
        for r in rows:
            if not r.valid:
                continue
            uscc, reg_no = r.values.get("社会信用代码", ""), r.values.get("注册号", "")
            a, b = by_uscc.get(uscc) if uscc else None, by_reg.get(reg_no) if reg_no else None
            if a and b and a != b:
                r.add_error("注册号", "社会信用代码和注册号分别属于市场主体库中的两个不同主体")
            elif a or b:
                check.targets[r.number] = a or b  # type: ignore[assignment]
            else:
                r.add_error("社会信用代码" if uscc else "注册号", NOT_REGISTERED)
    elif code == "B.1":
        mark_duplicates(rows, "行政相对人编码")
        keys = [r.values.get("行政相对人编码", "") for r in rows]
        by_uscc = _entities_by(actor, MarketEntity.uscc, keys)
        by_reg = _entities_by(actor, MarketEntity.reg_no, keys)
        for r in rows:
            if not r.valid:
                continue
            key = r.values["行政相对人编码"]
            target = by_uscc.get(key) or by_reg.get(key)
            if target:
                check.targets[r.number] = target
            else:
                r.add_error("行政相对人编码", NOT_REGISTERED)
    else:  # A.4.1: no code column; the name (其他名称) among non-profit and non-market entities
        names = sorted({r.values.get(OTHER_NAME, "") for r in rows if r.values.get(OTHER_NAME)})
        candidates: dict[str, list[tuple[int, str]]] = {}
        for chunk in _chunks(names):
            query = scope_entities(select(MarketEntity.name, MarketEntity.id, MarketEntity.division_code), actor).where(
                MarketEntity.name.in_(chunk),
                MarketEntity.entity_type.in_((EntityType.NON_PROFIT, EntityType.NON_MARKET)),
            )
            for name, ident, division in db.session.execute(query):
                candidates.setdefault(name, []).append((ident, division))
        for r in rows:
            if not r.valid:
                continue
            name = r.values.get(OTHER_NAME, "")
            if not name:
                r.add_error(OTHER_NAME, "请填写主体名称：A.4.1 按名称匹配市场主体库中的非营利性市场主体、非市场主体")
                continue
            prefix = region_prefix(r.values.get("行政区划编码", ""))
            found = [i for i, division in candidates.get(name, []) if division.startswith(prefix)]
            if not found:
                r.add_error(OTHER_NAME, NOT_REGISTERED)
            elif len(found) > 1:
                r.add_error(OTHER_NAME, f"市场主体库中该行政区划内有{len(found)}个同名主体，请改用A.4.2按代码导入")
            else:
                check.targets[r.number] = found[0]
    # Two rows naming one entity (a code and a registration number, say).
    seen: dict[int, Row] = {}
    for r in rows:
        target = check.targets.get(r.number)
        if target is None or not r.valid:
            continue
        if target in seen:
            r.add_error("", f"与第{seen[target].number}行是市场主体库中的同一主体")
            del check.targets[r.number]
        else:
            seen[target] = r


def _check_places(actor: User, rows: list[Row], check: DirectoryCheck) -> None:
    _check_lengths(rows, PLACE_FIELDS)
    keyed: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        if r.values.get("场地场所") and r.values.get("检查地址"):
            keyed.setdefault((r.values["场地场所"], r.values["检查地址"]), []).append(r)
    for group in keyed.values():
        if len(group) > 1:
            for r in group:
                others = "、".join(str(x.number) for x in group if x is not r)
                r.add_error("场地场所", f"与第{others}行的场地场所和检查地址相同")
    existing: dict[tuple[str, str], int] = {}
    names = sorted({k[0] for k in keyed})
    for chunk in _chunks(names):
        for name, address, ident in db.session.execute(
            select(Place.name, Place.address, Place.id).where(
                Place.department_id == actor.department_id, Place.name.in_(chunk)
            )
        ):
            existing[(name, address)] = ident
    links = _entities_by(actor, MarketEntity.uscc, (r.values.get("责任单位统一社会信用代码", "") for r in rows))
    for r in rows:
        ident = existing.get((r.values.get("场地场所", ""), r.values.get("检查地址", "")))
        if ident:
            check.targets[r.number] = ident
        link = links.get(r.values.get("责任单位统一社会信用代码", ""))
        if link:
            check.links[r.number] = link


def _check_products(actor: User, rows: list[Row], check: DirectoryCheck) -> None:
    _check_lengths(rows, PRODUCT_FIELDS)
    mark_duplicates(rows, "生产许可证编号")
    existing: dict[str, int] = {}
    numbers = sorted({r.values["生产许可证编号"] for r in rows if r.values.get("生产许可证编号")})
    for chunk in _chunks(numbers):
        for number, ident in db.session.execute(
            select(Product.licence_no, Product.id).where(
                Product.department_id == actor.department_id, Product.licence_no.in_(chunk)
            )
        ):
            existing[number] = ident
    links = _entities_by(actor, MarketEntity.uscc, (r.values.get("统一社会信用代码", "") for r in rows))
    for r in rows:
        ident = existing.get(r.values.get("生产许可证编号", ""))
        if ident:
            check.targets[r.number] = ident
        link = links.get(r.values.get("统一社会信用代码", ""))
        if link:
            check.links[r.number] = link


def _count_already(directory: ObjectDirectory | None, check: DirectoryCheck) -> None:
    if directory is None:
        check.already = 0
        return
    column = getattr(DirectoryMember, _REF[check.kind])
    valid = {r.number for r in check.valid_rows}
    ids = sorted({t for n, t in check.targets.items() if n in valid})
    present: set[int] = set()
    for chunk in _chunks(ids):
        present.update(
            db.session.execute(
                select(column).where(DirectoryMember.directory_id == directory.id, column.in_(chunk))
            ).scalars()
        )
    check.already = sum(1 for n, t in check.targets.items() if n in valid and t in present)


def check_import(actor: User, item: CheckItem, code: str, data: bytes) -> DirectoryCheck:
    """Read an upload against template ``code`` and check every row (nothing is written)."""
    spec = IMPORT_TEMPLATES.get(code)
    if spec is None:
        raise ExcelError("请选择模板")
    rows = read_table(data, spec.template, csv_ok=True, max_rows=MAX_IMPORT_ROWS)
    check = DirectoryCheck(code, rows)
    if spec.kind == MemberKind.ENTITY:
        _check_entities(actor, code, rows, check)
    elif spec.kind == MemberKind.PLACE:
        _check_places(actor, rows, check)
    else:
        _check_products(actor, rows, check)
    _count_already(directory_of(actor, item), check)
    return check


def can_use_batch(actor: User, batch: ImportBatch) -> bool:
    return batch.kind == IMPORT_KIND and batch.created_by_id == actor.id and can_edit(actor)


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return json.loads(batch.result) if batch.result else {}


def store_import(actor: User, item: CheckItem, code: str, filename: str, data: bytes) -> tuple[ImportBatch, DirectoryCheck]:
    """Check an upload and keep it, with its summary, for preview and confirmation."""
    from services.user_import import purge_stale_imports

    _require_edit(actor)
    check = check_import(actor, item, code, data)
    purge_stale_imports(actor)
    batch = ImportBatch(
        kind=IMPORT_KIND,
        filename=filename[-255:],
        content=data,
        created_by_id=actor.id,
        department_id=actor.department_id,
        status=ImportStatus.PENDING.value,
        result=json.dumps({"item_id": item.id, "template": code, "check": check.summary()}, ensure_ascii=False),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        object_type="import_batch",
        object_id=batch.id,
        summary={"文件": batch.filename, "模板": code, "抽查事项": item.name, "有效行": len(check.valid_rows),
                 "问题行": len(check.invalid_rows)},
        user=actor,
    )
    return batch, check


def batch_item(actor: User, batch: ImportBatch) -> CheckItem:
    return item_for(actor, batch_summary(batch).get("item_id"))


def recheck(actor: User, batch: ImportBatch) -> DirectoryCheck:
    summary = batch_summary(batch)
    return check_import(actor, batch_item(actor, batch), summary.get("template", ""), batch.content)


def _ensure_pending(batch: ImportBatch) -> None:
    from services.user_import import _ensure_pending as ensure

    ensure(batch)


def annotated_copy(actor: User, batch: ImportBatch) -> bytes:
    """The upload (a CSV as .xlsx) with an 错误说明 column beside each faulty row."""
    _ensure_pending(batch)
    check = recheck(actor, batch)
    audit.record(
        "export", object_type="import_batch", object_id=batch.id,
        summary={"文件": batch.filename, "内容": "问题标注"}, user=actor,
    )
    return check.errors().annotated(batch.content, sheet=IMPORT_TEMPLATES[check.code].template.sheet)


def discard_import(actor: User, batch: ImportBatch) -> None:
    from services.user_import import _claim

    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    _ensure_pending(batch)
    _claim(batch, ImportStatus.DISCARDED)
    batch.content = b""
    audit.record("delete", object_type="import_batch", object_id=batch.id, summary={"文件": batch.filename}, user=actor)


def _object_values(row: Row, fields: Sequence[tuple[str, str, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for title, attr, limit in fields:
        value = row.values.get(title)
        out[attr] = value if value not in ("",) else ("" if limit else None)
    return out


def _upsert(
    actor: User,
    table: Any,
    fields: Sequence[tuple[str, str, int]],
    valid: list[Row],
    check: DirectoryCheck,
) -> list[int]:
    """Create the new places/products and update the known ones (filled cells replace the
    stored values, blank cells keep them); returns every row's object id, in row order."""
    now = utcnow()
    attrs = [attr for _t, attr, _l in fields]
    creates = [r for r in valid if r.number not in check.targets]
    new_ids = allocate_ids(table, len(creates))
    rows = []
    for r, ident in zip(creates, new_ids, strict=True):
        values = _object_values(r, fields)
        rows.append([ident, actor.department_id, *[values[a] for a in attrs], check.links.get(r.number), now, now])
    insert_rows(table, ["id", "department_id", *attrs, "entity_id", "created_at", "updated_at"], rows)
    by_keys: dict[tuple[str, ...], list[list[Any]]] = {}
    for r in valid:
        if r.number not in check.targets:
            continue
        values = _object_values(r, fields)
        keys = [a for a in attrs if values[a] not in ("", None)]
        vals = [values[a] for a in keys]
        if r.number in check.links:
            keys.append("entity_id")
            vals.append(check.links[r.number])
        keys.append("updated_at")
        vals.append(now)
        by_keys.setdefault(tuple(keys), []).append([*vals, check.targets[r.number]])
    for keys, group in by_keys.items():
        update_rows(table, "id", keys, group)
    ids = dict(zip((r.number for r in creates), new_ids, strict=True))
    return [check.targets.get(r.number) or ids[r.number] for r in valid]


def _add_members(directory: ObjectDirectory, kind: MemberKind, object_ids: Iterable[int]) -> int:
    """Insert the objects not yet in the directory; returns how many were added."""
    ref = _REF[kind]
    column = getattr(DirectoryMember, ref)
    wanted = list(dict.fromkeys(object_ids))
    present: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        present.update(
            db.session.execute(
                select(column).where(DirectoryMember.directory_id == directory.id, column.in_(chunk))
            ).scalars()
        )
    now = utcnow()
    fresh = [(directory.id, kind, ident, now) for ident in wanted if ident not in present]
    insert_rows(DirectoryMember.__table__, ["directory_id", "kind", ref, "added_at"], fresh)
    _analyze_if_large(len(fresh))
    return len(fresh)


def import_batch(actor: User, batch: ImportBatch) -> AddResult:
    """仅导入有效行: store the batch's valid rows in the item's directory, all or nothing."""
    from services.user_import import _claim

    if not can_use_batch(actor, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    _ensure_pending(batch)
    item = batch_item(actor, batch)
    check = recheck(actor, batch)
    valid = check.valid_rows
    if not valid:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    _claim(batch, ImportStatus.IMPORTED)
    directory, created = _get_or_create(actor, item)
    details: dict[str, Any] = {}
    if check.kind == MemberKind.ENTITY:
        ids = [check.targets[r.number] for r in valid]
    else:
        table, fields = (
            (Place.__table__, PLACE_FIELDS) if check.kind == MemberKind.PLACE else (Product.__table__, PRODUCT_FIELDS)
        )
        updated = sum(1 for r in valid if r.number in check.targets)
        ids = _upsert(actor, table, fields, valid, check)
        details = {f"新建{check.kind.label}": len(valid) - updated, f"更新{check.kind.label}": updated}
    added = _add_members(directory, check.kind, ids)
    summary = {
        "方式": "按模板导入",
        "模板": check.code,
        "文件": batch.filename,
        "有效行": len(valid),
        "新增": added,
        "已在库中": len(ids) - added,
        "跳过问题行": len(check.invalid_rows),
        **details,
    }
    _changed(actor, directory, summary)
    template = IMPORT_TEMPLATES[check.code].template
    instance = _record_add(
        actor, directory, "template", f"{template.code} {template.title}：{batch.filename}，新增{added}个"
    )
    batch.result = json.dumps(
        {"item_id": item.id, "template": check.code, "directory_id": directory.id, "imported": summary},
        ensure_ascii=False,
    )
    batch.content = b""
    db.session.flush()
    audit.record("import", object_type="import_batch", object_id=batch.id, summary=summary, user=actor)
    return AddResult(directory, created, added, len(ids) - added, instance, details)
