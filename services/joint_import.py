"""Import of template A.1.2 (部门联合“双随机、一公开”抽查事项清单), in the batch pattern of
services/entity_import.py and services/item_import.py: the upload is checked and kept as an
ImportBatch (kind "joint_items"); the preview lists the problems by row and column; an
annotated copy marks them in the file; the confirmation imports every row (全部导入, only when
none has a problem) or the valid rows only (仅导入有效行), in the request's one transaction.

Each imported row becomes a joint item that has done 新增部门联合抽查事项 (表12) and waits at
征求参与部门意见 for the initiator, who checks it and sends it: a file cannot consult other
departments on its own.  发起部门 must be the importing user's own department; 参与部门 (and the
departments named in 参与部门抽查事项及实施层级) are matched by name to the other 监管部门 of the
area.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from models import CheckItem, ImportBatch, User
from services import import_batches, joint_item_drafts, joint_item_queries
from services import joint_items as svc
from services.errors import Forbidden, Invalid, ServiceError
from services.excel import Row, RowErrors, check_upload, mark_duplicates, read_table
from services.templates_catalogue import IMPLEMENTATION_LEVELS, TEMPLATES

IMPORT_KIND = "joint_items"
MAX_ROWS = 500
PREVIEW_PROBLEMS = 200
TEMPLATE = TEMPLATES["A.1.2"]
_PART = re.compile(r"^(?P<dept>[^：:]+)[：:](?P<tasks>.*?)(?:[（(](?P<levels>[^（）()]*)[)）])?$")


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[、,，;；\s]+", text or "") if n.strip()]


def _parse_parts(text: str) -> tuple[dict[str, tuple[str, list[str]]], list[str]]:
    """"区卫生健康局：公共场所卫生监督检查（区县级）；…" → {name: (tasks, levels)}, problems."""
    found: dict[str, tuple[str, list[str]]] = {}
    problems: list[str] = []
    for chunk in [c.strip() for c in re.split(r"[；;\n]+", text or "") if c.strip()]:
        match = _PART.match(chunk)
        if match is None:
            problems.append(f"“{chunk}”应写作“部门：抽查事项（实施层级）”")
            continue
        levels = _names((match.group("levels") or "").replace("、", " "))
        bad = [lv for lv in levels if lv not in IMPLEMENTATION_LEVELS]
        if bad:
            problems.append(f"“{chunk}”的实施层级应为{'、'.join(IMPLEMENTATION_LEVELS)}")
            continue
        found[match.group("dept").strip()] = (match.group("tasks").strip(), levels)
    return found, problems


def _row_data(user: User, row: Row, by_name: dict[str, int]) -> tuple[dict[str, Any], list[int], dict[int, Any]]:
    if row["发起部门"] and row["发起部门"] != user.department.name:
        row.add_error("发起部门", f"发起部门应为本部门“{user.department.name}”（只能发起本部门的联合抽查事项）")
    participants: list[int] = []
    for name in _names(row["参与部门"]):
        ident = by_name.get(name)
        if ident is None:
            row.add_error("参与部门", f"未找到参与部门“{name}”（应为本区域其他监管部门的全称）")
        elif ident not in participants:
            participants.append(ident)
    parts, problems = _parse_parts(row.get("参与部门抽查事项及实施层级", ""))
    for problem in problems:
        row.add_error("参与部门抽查事项及实施层级", problem)
    own_parts: dict[int, Any] = {}
    for name, value in parts.items():
        ident = by_name.get(name)
        if ident is None or ident not in participants:
            row.add_error("参与部门抽查事项及实施层级", f"“{name}”不在本行的参与部门中")
        else:
            own_parts[ident] = value
    data = {
        "name": row["联合抽查事项"],
        "objects": row["检查对象"],
        "methods": row["检查方式"],
        "levels": row["实施层级"],
        "own_tasks": row["发起部门抽查事项"],
    }
    return data, participants, own_parts


@dataclass
class CheckedRow:
    row: Row
    data: dict[str, Any]
    participants: list[int]
    own_parts: dict[int, Any]

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def valid(self) -> bool:
        return self.row.valid


@dataclass
class JointCheck(import_batches.CheckedFile):
    rows: list[CheckedRow]
    errors: RowErrors = field(default_factory=RowErrors)

    def summary(self) -> dict[str, Any]:
        errors = self.errors.as_dict()
        return {
            **self.counts(),
            "problems": [
                {"row": r.number, "name": r.row.get("联合抽查事项") or "", "errors": errors.get(r.number, [])}
                for r in self.invalid_rows[:PREVIEW_PROBLEMS]
            ],
        }


def check_import(user: User, content: bytes) -> JointCheck:
    """Read and check an A.1.2 upload (nothing is written); ExcelError when the file as a whole
    cannot be used."""
    rows = read_table(content, TEMPLATE, csv_ok=True, max_rows=MAX_ROWS)
    mark_duplicates(rows, "联合抽查事项")
    by_name = {d.name: d.id for d in svc.participant_choices(user)}
    checked: list[CheckedRow] = []
    for row in rows:
        data, participants, own_parts = _row_data(user, row, by_name)
        if row.valid:
            try:
                joint_item_drafts.clean_fields(data)
            except ServiceError as exc:
                row.add_error(joint_item_drafts.FIELD_TITLES.get(exc.field or "", "联合抽查事项"), exc.message)
        checked.append(CheckedRow(row, data, participants, own_parts))
    result = JointCheck(checked)
    result.errors.add_rows(rows)
    return result


def can_use_batch(user: User, batch: ImportBatch) -> bool:
    """A batch belongs to the clerk who uploaded it, while they stay in that department."""
    return (
        batch.kind == IMPORT_KIND
        and batch.created_by_id == user.id
        and batch.department_id == user.department_id
        and user.has_role(*joint_item_queries.EDIT_ROLES)
    )


def store_import(user: User, filename: str, content: bytes) -> tuple[ImportBatch, JointCheck]:
    """上传: check the file and keep it for the preview."""
    if not user.has_role(*joint_item_queries.EDIT_ROLES):
        raise Forbidden("只有监管部门经办人或部门领导可以导入部门联合抽查事项")
    check_upload(content, filename, csv_ok=True, max_rows=MAX_ROWS)
    check = check_import(user, content)
    batch = import_batches.open_batch(
        user, IMPORT_KIND, filename, content, template=TEMPLATE.code, summary=check.summary()
    )
    return batch, check


def annotated_copy(user: User, batch: ImportBatch) -> bytes:
    """The upload with an error column beside each problem row."""
    import_batches.ensure_pending(batch)
    return import_batches.annotated(user, batch, check_import(user, batch.content).errors, sheet=TEMPLATE.sheet)


def import_items(user: User, batch: ImportBatch, *, valid_only: bool) -> list[CheckItem]:
    """全部导入 (nothing when any row has a problem) or 仅导入有效行: each row runs 表12's
    新增 and waits at 征求参与部门意见.  All in the caller's one transaction."""
    if not can_use_batch(user, batch):
        raise Forbidden("只有上传该文件的经办人可以导入")
    import_batches.ensure_pending(batch)
    check = check_import(user, batch.content)
    if check.invalid_rows and not valid_only:
        raise Invalid(
            f"文件中有{len(check.invalid_rows)}行有问题，未导入任何事项：请修改后重新上传，或选择“仅导入有效行”"
        )
    if not check.valid_rows:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    import_batches.claim(batch)
    created: list[CheckItem] = []
    for r in check.valid_rows:
        item = svc.create(user, r.data, r.participants)
        for part in item.parts:
            if part.department_id in r.own_parts:
                tasks, levels = r.own_parts[part.department_id]
                part.tasks, part.levels = tasks, "、".join(levels)
        created.append(item)
    import_batches.close_batch(
        user, batch, {"文件": batch.filename, "新增": len(created), "跳过问题行": len(check.invalid_rows)}
    )
    return created


def discard_import(user: User, batch: ImportBatch) -> None:
    if not can_use_batch(user, batch):
        raise Forbidden("只有上传该文件的经办人可以放弃该批次")
    import_batches.discard_batch(user, batch)
