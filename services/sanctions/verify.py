"""惩戒对象验证 (seed 004 §5.3) and 在线解除 (§5.2): 联合惩戒分类查询, 单体验证, and releasing an
object with a reason, effective at once.

The query reads the objects of published lists of the user's area (the initiating department's
area); 单体验证 answers for a code or a name, optionally for one department and one measure.
在线解除 is done by the department that listed the object: it stamps the object (the row stays,
with who, when and why), republishes the list (every version of the feed is kept) and closes
the matching 惩戒信息 fact (its 移出日期), so the risk rules see the change at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select

from infrastructure.errors import Conflict, Invalid
from infrastructure.validators import normalize_code
from models import Department, SanctionList, SanctionObject, User, db, utcnow
from models.sanctions import SanctionEntry, SanctionMeasure
from persistence import audit
from persistence.org import region_root
from services import publication
from services.plan_queries import today
from services.sanctions import lists, tasks
from services.sanctions.lists import ListStatus


def query(user: User, *, entity_name: str = "", person_name: str = "", code: str = "", nature: str = "",
          measure: str = "", entering_id: int | None = None, implementing_id: int | None = None,
          in_force_only: bool = False) -> Select[Any]:
    """联合惩戒分类查询: by 市场主体名称, 自然人姓名, 证件号码, 失信性质, 惩戒措施, 录入部门, 实施部门."""
    area = region_root(user.department)
    q = (select(SanctionObject).join(SanctionList, SanctionList.id == SanctionObject.list_id)
         .join(SanctionEntry, SanctionEntry.id == SanctionObject.entry_id)
         .join(Department, Department.id == SanctionList.department_id)
         .where(SanctionList.status == ListStatus.PUBLISHED, Department.path.startswith(area.path)))
    if entity_name:
        q = q.where(SanctionObject.entity_id.is_not(None), SanctionObject.name.contains(entity_name, autoescape=True))
    if person_name:
        q = q.where(SanctionObject.person_id.is_not(None), SanctionObject.name.contains(person_name, autoescape=True))
    if code:
        q = q.where(SanctionObject.code == normalize_code(code))
    if nature:
        q = q.where(SanctionEntry.nature == nature)
    if entering_id:
        q = q.where(SanctionList.department_id == entering_id)
    if measure or implementing_id:
        m = exists().where(SanctionMeasure.entry_id == SanctionObject.entry_id)
        if measure:
            m = m.where(SanctionMeasure.content.contains(measure, autoescape=True))
        if implementing_id:
            m = m.where(SanctionMeasure.department_id == implementing_id)
        q = q.where(m)
    if in_force_only:
        q = q.where(tasks.in_force())
    return q.order_by(SanctionObject.id.desc())


def single(user: User, code_or_name: str, department_id: int | None = None, measure_id: int | None = None
           ) -> list[dict[str, Any]]:
    """单体验证: the reasons and measures in force for one entity or person (all departments and
    measures, or one department, or one measure)."""
    value = (code_or_name or "").strip()
    if not value:
        raise Invalid("请输入统一社会信用代码、身份证号或名称", "q")
    objects = db.session.execute(
        query(user, in_force_only=True).where((SanctionObject.code == normalize_code(value)) | (SanctionObject.name == value))
    ).scalars().all()
    found = []
    for o in objects:
        for m in o.entry.measures:
            if department_id and m.department_id != department_id or measure_id and m.id != measure_id:
                continue
            found.append({"object": o, "measure": m})
    return found


def can_release(user: User, obj: SanctionObject) -> bool:
    return lists.is_initiator(user, obj.sanction_list)


def release(user: User, obj: SanctionObject, reason: str) -> None:
    """在线解除 with a reason: effective at once; the object keeps who, when and why."""
    lst = obj.sanction_list
    if not can_release(user, obj):
        from infrastructure.errors import Forbidden

        raise Forbidden("只有录入该对象的发起部门可以解除")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写解除原因", "reason")
    if len(reason) > 2000:
        raise Invalid("解除原因不能超过2000个字", "reason")
    if obj.released_at is not None:
        raise Conflict("该对象已解除")
    obj.released_at, obj.release_reason, obj.released_by_id = utcnow(), reason, user.id
    lists.record_facts(lst, [obj], removed_on=max(today(), obj.decided_on).isoformat())
    db.session.flush()
    publication.publish(lists.SUBJECT, lst.id, title=lst.title, payload=lists.public_fields(lst),
                        department_id=lst.department_id, user=user)
    audit.record("sanction_release", object_type="sanction_object", object_id=obj.id,
                 summary={"对象": obj.name, "名单": lst.title, "解除原因": reason[:200]}, user=user)


BATCH_CHUNK = 900  # bound parameters per IN (SQLite's limit is 999 on old builds)


def batch(codes: list[str], department_id: int | None = None, *, area: Department | None = None
          ) -> dict[str, list[tuple[str, str, str]]]:
    """联合惩戒批量验证: code → [(惩戒原因, 措施, 实施部门 id)] in force, for many codes (the
    normalised codes are the keys); the lists of ``area`` (a department's region) only, if
    given; one indexed query per chunk of codes (ix_sanction_object_code)."""
    wanted = sorted({normalize_code(c) for c in codes if c})
    found: dict[str, list[tuple[str, str, str]]] = {}
    for start in range(0, len(wanted), BATCH_CHUNK):
        chunk = wanted[start:start + BATCH_CHUNK]
        q = (select(SanctionObject.code, SanctionEntry.behaviour, SanctionMeasure.content, SanctionMeasure.department_id)
             .join(SanctionEntry, SanctionEntry.id == SanctionObject.entry_id)
             .join(SanctionMeasure, SanctionMeasure.entry_id == SanctionEntry.id)
             .join(SanctionList, SanctionList.id == SanctionObject.list_id)
             .where(SanctionObject.code.in_(chunk), tasks.in_force(), SanctionList.published_at.is_not(None)))
        if department_id is not None:
            q = q.where(SanctionMeasure.department_id == department_id)
        if area is not None:
            q = q.join(Department, Department.id == SanctionList.department_id).where(Department.path.startswith(area.path))
        for code, behaviour, measure, dept in db.session.execute(q):
            found.setdefault(code, []).append((behaviour, measure, str(dept)))
    return found
