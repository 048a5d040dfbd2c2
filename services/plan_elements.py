"""The elements of a plan (抽查要素) and its uploaded 抽查计划文件: cleaning and checking what a form sends."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from infrastructure.errors import ServiceError
from models import (
    CheckItem,
    Plan,
    PlanType,
)
from models.items import ItemCategory
from services.joint_item_drafts import clean_choices, split_values
from services.templates_catalogue import IMPLEMENTATION_LEVELS, INSPECTION_METHODS

SEP = "、"


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # the app's MAX_CONTENT_LENGTH: one upload per request


DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",
}


FIELD_TITLES = {
    "name": "计划名称",
    "year": "计划年度",
    "plan_type": "计划类型",
    "objects": "检查对象",
    "methods": "检查方式",
    "levels": "实施层级",
    "ratio": "抽查比例",
    "sample_size": "抽查户数",
    "start_date": "起始时间",
    "end_date": "截止时间",
    "note": "备注",
    "items": "抽查事项",
    "document": "抽查计划文件",
}


class Unprocessable(ServiceError):
    """Input that cannot be accepted as it is (422): a bad value or a bad file."""

    status = 422


def clean_text(data: Mapping[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    text = str(data.get(key) or "").strip()
    if required and not text:
        raise Unprocessable(f"请填写{FIELD_TITLES[key]}", field=key)
    if len(text) > limit:
        raise Unprocessable(f"{FIELD_TITLES[key]}不能超过{limit}个字符", field=key)
    return text


def clean_year(data: Mapping[str, Any]) -> int:
    raw = str(data.get("year") or "").strip()
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise Unprocessable("计划年度应为四位年份，例如2026", field="year")
    return int(raw)


def clean_plan_type(data: Mapping[str, Any]) -> PlanType:
    raw = str(data.get("plan_type") or "").strip()
    try:
        return PlanType(raw)
    except ValueError:
        raise Unprocessable("请选择计划类型（年度计划或临时计划）", field="plan_type") from None


def clean_date(data: Mapping[str, Any], key: str) -> date:
    raw = data.get(key)
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise Unprocessable(f"请填写{FIELD_TITLES[key]}", field=key)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Unprocessable(f"{FIELD_TITLES[key]}格式不正确，应为 2026-01-31", field=key) from None


def clean_ratio(raw: Any, items: Sequence[CheckItem] = (), *, key: str = "ratio") -> Decimal:
    """抽查比例 in percent, 0–100, at most the cap of every general item among ``items``."""
    text = str(raw if raw is not None else "").strip().rstrip("%％")
    if not text:
        raise Unprocessable("请填写抽查比例", field=key)
    try:
        ratio = Decimal(text)
    except InvalidOperation:
        raise Unprocessable("抽查比例应为数字（百分比，0–100）", field=key) from None
    if not ratio.is_finite() or ratio < 0 or ratio > 100:
        raise Unprocessable("抽查比例应在0–100（%）之间", field=key)
    if ratio != ratio.quantize(Decimal("0.01")):
        raise Unprocessable("抽查比例最多保留两位小数", field=key)
    for item in items:
        if item.category == ItemCategory.GENERAL and item.ratio_cap is not None and ratio > item.ratio_cap:
            raise Unprocessable(
                f"抽查比例不能超过一般检查事项“{item.name}”的抽查比例上限{item.ratio_cap.normalize():f}%", field=key
            )
    return ratio


def _count(data: Mapping[str, Any], key: str = "sample_size") -> int:
    raw = str(data.get(key) or "").strip()
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise Unprocessable("抽查户数应为不小于0的整数", field=key)
    return int(raw)


@dataclass
class Elements:
    """抽查要素: what 确定抽查要素形成抽查计划 (表19) and the A.2.1 information (表21) fix."""

    name: str
    objects: str
    methods: list[str]
    levels: list[str]
    ratio: Decimal
    sample_size: int
    start_date: date
    end_date: date
    note: str = ""


def clean_elements(data: Mapping[str, Any], year: int, items: Sequence[CheckItem]) -> Elements:
    methods = data.get("methods") or []
    levels = data.get("levels") or []
    start, end = clean_date(data, "start_date"), clean_date(data, "end_date")
    if start > end:
        raise Unprocessable("起始时间不能晚于截止时间", field="end_date")
    if start.year != year or end.year != year:
        raise Unprocessable(f"起止时间应在计划年度{year}年内", field="start_date")
    return Elements(
        name=clean_text(data, "name", 200, required=True),
        objects=clean_text(data, "objects", 2000, required=True),
        methods=clean_choices(methods, INSPECTION_METHODS, "methods"),
        levels=clean_choices(levels, IMPLEMENTATION_LEVELS, "levels"),
        ratio=clean_ratio(data.get("ratio"), items),
        sample_size=_count(data),
        start_date=start,
        end_date=end,
        note=clean_text(data, "note", 2000),
    )


def apply_elements(plan: Plan, e: Elements) -> None:
    plan.name = e.name
    plan.objects = e.objects
    plan.methods = SEP.join(e.methods)
    plan.levels = SEP.join(e.levels)
    plan.ratio = e.ratio
    plan.sample_size = e.sample_size
    plan.start_date = e.start_date
    plan.end_date = e.end_date
    plan.note = e.note


def elements_of(plan: Plan) -> dict[str, Any]:
    """The plan's elements as form values."""
    return {
        "name": plan.name,
        "objects": plan.objects,
        "methods": split_values(plan.methods),
        "levels": split_values(plan.levels),
        "ratio": "" if plan.ratio is None else f"{plan.ratio.normalize():f}",
        "sample_size": "" if plan.sample_size is None else plan.sample_size,
        "start_date": plan.start_date.isoformat() if plan.start_date else "",
        "end_date": plan.end_date.isoformat() if plan.end_date else "",
        "note": plan.note,
    }


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the name says: pdf, ole (doc/xls), docx, xlsx, ofd or ''."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if data.startswith(b"PK\x03\x04"):
        names = _zip_names(data)
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if "OFD.xml" in names:
            return "ofd"
    return ""


def clean_document(upload: Upload | None) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of an acceptable 抽查计划文件; else Unprocessable."""
    if upload is None or not upload.filename:
        raise Unprocessable("请上传抽查计划文件", field="document")
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in DOCUMENT_TYPES:
        raise Unprocessable("抽查计划文件只能是 PDF、Word（doc/docx）、Excel（xls/xlsx）或 OFD 文件", field="document")
    if not upload.data:
        raise Unprocessable("上传的抽查计划文件是空文件", field="document")
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise Unprocessable(f"抽查计划文件不能超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB", field="document")
    kind = sniff(upload.data)
    expected = {"pdf": "pdf", "doc": "ole", "xls": "ole", "docx": "docx", "xlsx": "xlsx", "ofd": "ofd"}[ext]
    if kind != expected:
        raise Unprocessable(f"文件内容与扩展名 .{ext} 不符，请上传真实的{ext.upper()}文件", field="document")
    return name, DOCUMENT_TYPES[ext], upload.data


def store_document(plan: Plan, upload: Upload) -> None:
    name, mime, data = clean_document(upload)
    plan.document_name, plan.document_type, plan.document = name, mime, data
    plan.document_sha256 = hashlib.sha256(data).hexdigest()


def pick_items(raw_ids: Iterable[Any], allowed: Sequence[CheckItem]) -> list[CheckItem]:
    by_id = {i.id: i for i in allowed}
    chosen: list[CheckItem] = []
    for raw in raw_ids:
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            raise Unprocessable("所选抽查事项有误，请刷新页面后重试", field="items") from None
        if ident not in by_id:
            raise Unprocessable("只能选择本部门已公布的抽查事项", field="items")
        if by_id[ident] not in chosen:
            chosen.append(by_id[ident])
    if not chosen:
        raise Unprocessable("请至少选择一项抽查事项", field="items")
    return chosen
