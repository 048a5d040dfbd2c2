"""The 先照后证 catalogue as data, kept by the 系统管理员 (docs/notice.md).

Migration 0037 loads the items from migrations/data/licence_catalogue.json; from then on the
catalogue is edited here: the items are city-wide, so only a 系统管理员 of the 市 edits or adds
them (a district's administrator reads them and maps the department names of their area,
services/notice/mapping.py).  Each 审批部门 of an item must be known to the org tree: a
catalogue name already mapped in the administrator's area, or the exact name of a department
of that area (which then becomes a catalogue name mapped to it); anything else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from infrastructure.errors import Forbidden, Invalid, NotFound
from models import ApprovalAuthority, AuthorityMapping, Department, LicenceItem, User, db, utcnow
from models.org import DepartmentLevel
from models.roles import Role
from persistence import audit
from persistence.org import region_root
from services.notice.mapping import Resolver

SUBJECT = "licence_item"
SECTIONS = (
    "综合", "农、林、牧、渔业", "采矿业", "制造业", "电力、热力、燃气及水的生产和供应业", "建筑业", "批发和零售业",
    "交通运输、仓储和邮政业", "住宿和餐饮业", "信息传输、软件和信息技术服务业", "金融业", "房地产业",
    "租赁和商务服务业", "科学研究和技术服务业", "水利、环境和公共设施管理业", "居民服务、修理和其他服务业", "教育",
    "卫生和社会工作", "文化、体育和娱乐业", "公共管理、社会保障和社会组织", "国际组织",
)
SECTION_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
                    "十五", "十六", "十七", "十八", "十九", "二十", "二十一")


def section_label(no: int) -> str:
    return f"{SECTION_NUMERALS[no - 1]}、{SECTIONS[no - 1]}" if 1 <= no <= len(SECTIONS) else str(no)


def can_view(actor: User) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN)


def can_edit(actor: User) -> bool:
    return actor.has_role(Role.SYSTEM_ADMIN) and region_root(actor.department).level == DepartmentLevel.CITY


def items(section: int | None = None, q: str = "") -> list[LicenceItem]:
    query = select(LicenceItem).order_by(LicenceItem.seq)
    if section:
        query = query.where(LicenceItem.section_no == section)
    if q.strip():
        query = query.where(LicenceItem.name.contains(q.strip()) | LicenceItem.phrases.contains(q.strip()))
    return list(db.session.execute(query).scalars())


def get_item(ident: int) -> LicenceItem:
    item = db.session.get(LicenceItem, ident)
    if item is None:
        raise NotFound("先照后证事项不存在")
    return item


@dataclass
class Cleaned:
    seq: int
    section_no: int
    name: str
    departments: list[str]
    phrases: list[str]
    active: bool


def _split_names(text: str) -> list[str]:
    names = [n.strip() for n in re.split(r"[、,，;；\n]", text or "") if n.strip()]
    return list(dict.fromkeys(names))


def _clean(raw: Mapping[str, Any], item: LicenceItem | None) -> Cleaned:
    seq_raw = str(raw.get("seq") or (item.seq if item else "")).strip()
    if not seq_raw.isdigit() or int(seq_raw) < 1:
        raise Invalid("请填写正确的序号（正整数）", field="seq")
    taken = db.session.execute(select(LicenceItem.id).where(LicenceItem.seq == int(seq_raw))).scalar()
    if taken is not None and (item is None or taken != item.id):
        raise Invalid(f"序号 {seq_raw} 已被其他事项使用", field="seq")
    section = str(raw.get("section_no") or "").strip()
    if not section.isdigit() or not 1 <= int(section) <= len(SECTIONS):
        raise Invalid("请选择所属门类", field="section_no")
    name = str(raw.get("name") or "").strip()
    if not name:
        raise Invalid("请填写项目名称", field="name")
    if len(name) > 200:
        raise Invalid("项目名称不能超过200个字", field="name")
    phrases = [p.strip() for p in str(raw.get("phrases") or "").splitlines() if p.strip()]
    if any(len(p) > 200 for p in phrases):
        raise Invalid("每条经营范围规范表述不能超过200个字", field="phrases")
    return Cleaned(int(seq_raw), int(section), name, _split_names(str(raw.get("departments") or "")), phrases,
                   str(raw.get("active", "1")) in ("1", "on", "true", "True"))


def _authorities(actor: User, names: list[str]) -> list[ApprovalAuthority]:
    """Each name as a catalogue name known to the org tree of the actor's area (see the module)."""
    region = region_root(actor.department)
    resolver = Resolver()
    found: list[ApprovalAuthority] = []
    for name in names:
        authority = db.session.execute(select(ApprovalAuthority).where(ApprovalAuthority.name == name)).scalar()
        if authority is not None and resolver.department(region.id, authority.id) is not None:
            found.append(authority)
            continue
        department = db.session.execute(
            select(Department).where(Department.name == name, Department.path.startswith(region.path),
                                     Department.active.is_(True)).order_by(Department.path)
        ).scalars().first()
        if department is None:
            raise Invalid(f"审批部门“{name}”不在组织机构中：请填写组织机构中的部门名称，"
                          "或先在审批部门对照中将该名称对应到组织机构的部门", field="departments")
        if authority is None:
            authority = ApprovalAuthority(name=name)
            db.session.add(authority)
            db.session.flush()
        db.session.add(AuthorityMapping(authority_id=authority.id, region_id=region.id, department_id=department.id,
                                        updated_by_id=actor.id))
        db.session.flush()
        found.append(authority)
    return found


def save_item(actor: User, raw: Mapping[str, Any], item: LicenceItem | None = None) -> LicenceItem:
    """修改 (``item``) or 新增 an item; returns it."""
    if not can_edit(actor):
        raise Forbidden("只有市级系统管理员可以维护先照后证事项目录")
    values = _clean(raw, item)
    authorities = _authorities(actor, values.departments)
    before = _summary(item) if item else {}
    if item is None:
        item = LicenceItem()
        db.session.add(item)
    item.seq, item.section_no, item.section = values.seq, values.section_no, SECTIONS[values.section_no - 1]
    item.name, item.departments_text = values.name, "、".join(values.departments)
    item.phrases, item.scope_text = "\n".join(values.phrases), " ".join(values.phrases)
    item.active, item.updated_at = values.active, utcnow()
    item.authorities = authorities
    db.session.flush()
    after = _summary(item)
    changes = {k: [before.get(k, ""), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        audit.record("update" if before else "create", object_type=SUBJECT, object_id=item.id, user=actor,
                     summary={"序号": item.seq, **changes})
    return item


def _summary(item: LicenceItem) -> dict[str, Any]:
    return {"门类": item.section, "项目名称": item.name, "审批部门": item.departments_text,
            "经营范围规范表述": item.phrases.replace("\n", "；"), "启用": "是" if item.active else "否"}
