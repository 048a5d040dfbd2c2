"""联合奖惩对象名单 (表29, first half): 形成本部门联合奖惩对象名单 → 推送至信用中国(四川成都)公示 →
根据目录清单及措施清单生成任务.

The 发起部门 (its clerks and leaders) adds objects to a list — a market entity of its area by
its 统一社会信用代码, or a natural person by a valid 身份证号 — each under a published catalogue
entry, with 认定依据, 认定日期 and validity.  形成名单 starts the list's 表29 instance with the
departments that implement the entries' measures as 实施部门; 推送公示 publishes the list (a
``Publication``, the signed public feed), records the matching 惩戒信息 facts through the
collection service (source 数据交换, so the risk rules and the credit scorecard see them), and the
platform step generates the tasks in one INSERT … SELECT (object × measure × department).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, literal, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.masking import mask_id_number
from infrastructure.validators import normalize_code, normalize_uscc, valid_id_number, valid_uscc
from models import FactSource, InstanceParty, MarketEntity, Person, ProcessInstance, User, db, utcnow
from models.roles import Role
from models.sanctions import (
    EntryKind,
    EntryStatus,
    ListStatus,
    SanctionEntry,
    SanctionList,
    SanctionMeasure,
    SanctionObject,
    SanctionTask,
)
from models.sanctions import SanctionTaskStatus as TS
from persistence import audit
from persistence.scope import scope_entities
from services import publication
from services.collection.ingest import ingest
from services.collection.kinds import FACT_KINDS
from services.plan_queries import today
from services.sanctions import catalogue
from workflows import engine
from workflows.lanes import IMPLEMENTER

TABLE = 29
SUBJECT = "sanction_list"
BUSINESS_STEPS = ("list", "publicize", "receive", "execute", "record")
TASK_DAYS = 20  # a task is overdue 20 days after it was issued
ENTITY, PERSON = "entity", "person"


def can_view(user: User, lst: SanctionList) -> bool:
    return user.is_active and user.department.is_within(lst.department)


def is_initiator(user: User, lst: SanctionList | None = None) -> bool:
    if not (user.is_active and user.has_role(Role.CLERK, Role.DEPT_LEADER)):
        return False
    return lst is None or lst.department_id == user.department_id


def _require(user: User, lst: SanctionList | None = None) -> None:
    if not is_initiator(user, lst):
        raise Forbidden("只有发起部门的经办人或领导可以办理本部门的联合奖惩对象名单")


def create_list(user: User, title: str) -> SanctionList:
    _require(user)
    title = (title or "").strip()
    if not title:
        raise Invalid("请填写名单名称", "title")
    if len(title) > 200:
        raise Invalid("名单名称不能超过200个字", "title")
    lst = SanctionList(department_id=user.department_id, title=title, created_by_id=user.id)
    db.session.add(lst)
    db.session.flush()
    audit.record("create", object_type=SUBJECT, object_id=lst.id, summary={"名单": title}, user=user)
    return lst


def usable_entries(user: User) -> list[SanctionEntry]:
    """The published catalogue entries of the user's area."""
    query = catalogue.list_query(user, status=EntryStatus.PUBLISHED).order_by(None).order_by(SanctionEntry.id)
    return list(db.session.execute(query).scalars())


def _day(value: Any, title: str, key: str, *, required: bool) -> date | None:
    from infrastructure.excel import parse_date

    try:
        day = parse_date(value if value not in ("", None) else None)
    except ValueError:
        raise Invalid(f"{title}不是有效的日期", key) from None
    if required and day is None:
        raise Invalid(f"请填写{title}", key)
    return day


def check_row(user: User, row: Mapping[str, Any], entries: Mapping[str, SanctionEntry],
              entities: Mapping[str, MarketEntity]) -> dict[str, Any]:
    """One object, checked (the form and the import share it); Invalid names the wrong field.
    ``entries`` maps an entry's id and its 违法/违规名称 to the entry; ``entities`` the codes of
    the area's registry that the rows name."""
    entry = entries.get(str(row.get("entry") or "").strip())
    if entry is None:
        raise Invalid("失信/守信行为不在已发布的联合奖惩事项清单中", "entry")
    code = str(row.get("code") or "").strip()
    name = str(row.get("name") or "").strip()
    values: dict[str, Any] = {"entry": entry}
    if str(row.get("subject") or ENTITY) == PERSON:
        number = normalize_code(code)
        if not valid_id_number(number):
            raise Invalid("身份证号无效（18位，校验位须正确）", "code")
        if not name:
            raise Invalid("请填写自然人姓名", "name")
        values.update(subject=PERSON, code=number, name=name[:100])
    else:
        uscc = normalize_uscc(code)
        entity = entities.get(uscc) if valid_uscc(uscc) else None
        if entity is None:
            raise Invalid("统一社会信用代码无效或不在本地区市场主体库中", "code")
        values.update(subject=ENTITY, code=uscc, name=entity.name, entity=entity)
    basis = str(row.get("basis") or "").strip()
    if not basis:
        raise Invalid("请填写认定依据", "basis")
    values["basis"] = basis[:4000]
    decided = _day(row.get("decided_on"), "认定日期", "decided_on", required=True)
    if decided is not None and decided > today():
        raise Invalid("认定日期不能晚于今天", "decided_on")
    until = _day(row.get("valid_until"), "有效期至", "valid_until", required=False)
    if until is not None and decided is not None and until < decided:
        raise Invalid("有效期至不能早于认定日期", "valid_until")
    values.update(decided_on=decided, valid_until=until)
    return values


def lookups(user: User, rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, SanctionEntry], dict[str, MarketEntity]]:
    entries: dict[str, SanctionEntry] = {}
    for e in usable_entries(user):
        entries[str(e.id)] = e
        entries.setdefault(e.behaviour, e)
    codes = {normalize_uscc(str(r.get("code") or "")) for r in rows if str(r.get("subject") or ENTITY) == ENTITY}
    found = db.session.execute(scope_entities(select(MarketEntity).where(MarketEntity.uscc.in_(codes)), user)
                               ).scalars() if codes else []
    return entries, {e.uscc: e for e in found}


def _person(number: str, name: str) -> Person:
    person = db.session.execute(select(Person).where(Person.id_number == number)).scalar_one_or_none()
    if person is None:
        person = Person(name=name, id_number=number)
        db.session.add(person)
        db.session.flush()
    return person


def add_objects(user: User, lst: SanctionList, rows: Sequence[Mapping[str, Any]]) -> list[SanctionObject]:
    """Add checked rows to a list still being formed; all or nothing (Invalid names the row)."""
    _require(user, lst)
    if lst.status != ListStatus.DRAFT:
        raise Conflict("名单已形成，不能再增加对象")
    entries, entities = lookups(user, rows)
    checked = []
    for n, row in enumerate(rows, start=1):
        try:
            checked.append(check_row(user, row, entries, entities))
        except Invalid as exc:
            raise Invalid(exc.message if len(rows) == 1 else f"第{n}行：{exc.message}", exc.field) from None
    seen = {(o.code, o.entry_id) for o in lst.objects}
    for n, v in enumerate(checked, start=1):
        key = (v["code"], v["entry"].id)
        if key in seen:
            where = "" if len(rows) == 1 else f"第{n}行："
            raise Invalid(f"{where}该对象已以同一失信/守信行为列入本名单", "code")
        seen.add(key)
    added = [_insert(lst, v) for v in checked]
    db.session.flush()
    db.session.expire(lst, ["objects"])
    return added


def _insert(lst: SanctionList, v: Mapping[str, Any]) -> SanctionObject:
    person_id = _person(v["code"], v["name"]).id if v["subject"] == PERSON else None
    obj = SanctionObject(list_id=lst.id, entry_id=v["entry"].id, name=v["name"], code=v["code"], basis=v["basis"],
                         decided_on=v["decided_on"], valid_until=v["valid_until"], person_id=person_id,
                         entity_id=v["entity"].id if v["subject"] == ENTITY else None)
    db.session.add(obj)
    return obj


def import_objects(user: User, lst: SanctionList, checked: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Rows checked by ``check_row`` (the import): an object already in the list under the
    same entry (the natural key: code and entry) is updated — 认定依据, dates, a person's
    name — the others are added.  Returns (added, updated)."""
    _require(user, lst)
    if lst.status != ListStatus.DRAFT:
        raise Conflict("名单已形成，不能再导入对象")
    present = {(o.code, o.entry_id): o for o in lst.objects}
    added = updated = 0
    for v in checked:
        obj = present.get((v["code"], v["entry"].id))
        if obj is None:
            present[(v["code"], v["entry"].id)] = _insert(lst, v)
            added += 1
            continue
        changed = (obj.name, obj.basis, obj.decided_on, obj.valid_until) != (
            v["name"], v["basis"], v["decided_on"], v["valid_until"])
        obj.name, obj.basis, obj.decided_on, obj.valid_until = v["name"], v["basis"], v["decided_on"], v["valid_until"]
        updated += int(changed)
    db.session.flush()
    db.session.expire(lst, ["objects"])
    return added, updated


def remove_object(user: User, lst: SanctionList, obj: SanctionObject) -> None:
    _require(user, lst)
    if lst.status != ListStatus.DRAFT or obj.list_id != lst.id:
        raise Conflict("名单已形成，不能再删除对象")
    db.session.delete(obj)


def implementers(lst: SanctionList) -> list[int]:
    rows = db.session.execute(
        select(SanctionMeasure.department_id).join(SanctionObject, SanctionObject.entry_id == SanctionMeasure.entry_id)
        .where(SanctionObject.list_id == lst.id).distinct()
    ).scalars()
    return sorted(set(rows))


def form_list(user: User, lst: SanctionList) -> None:
    """形成本部门联合奖惩对象名单: the list is fixed, its 表29 instance starts."""
    _require(user, lst)
    if lst.status != ListStatus.DRAFT:
        raise Conflict("名单已形成")
    if not lst.objects:
        raise Invalid("名单中还没有对象")
    departments = implementers(lst)
    if not [d for d in departments if d != lst.department_id]:
        raise Invalid("名单涉及的措施没有其他实施部门，无需联合奖惩")
    # The initiating department is a 实施部门 too when it implements measures of its own list.
    inst = engine.start(TABLE, user, title=f"联合奖惩：{lst.title}", parties={IMPLEMENTER: departments},
                        subject_type=SUBJECT, subject_id=lst.id)
    if lst.department_id in departments:  # the engine leaves the starter out of the parties it is given
        inst.parties.append(InstanceParty(department_id=lst.department_id, relation=IMPLEMENTER))
    lst.instance_id = inst.id
    engine.advance(user, inst, "list", "next")
    lst.status = ListStatus.FORMED


def instance_of(lst: SanctionList) -> ProcessInstance | None:
    return db.session.get(ProcessInstance, lst.instance_id) if lst.instance_id else None


def public_fields(lst: SanctionList) -> dict[str, Any]:
    objects = []
    for o in lst.objects:
        kind = o.entry.kind_enum
        objects.append({
            "对象类型": "自然人" if o.is_person else "市场主体",
            "名称": o.name,
            "证件号码": mask_id_number(o.code) if o.is_person else o.code,
            "奖惩类别": kind.label,
            kind.behaviour_label: o.entry.behaviour,
            "认定依据": o.basis,
            "认定日期": o.decided_on.isoformat(),
            "有效期至": o.valid_until.isoformat() if o.valid_until else "长期",
            "状态": "已解除" if o.released_at else "有效",
        })
    return {"名单名称": lst.title, "发起部门": publication.department_name(lst.department), "对象": objects}


def publicize(user: User, lst: SanctionList) -> None:
    """将奖惩对象名单推送至信用中国(四川成都)公示; the platform then generates the tasks."""
    _require(user, lst)
    inst = instance_of(lst)
    if lst.status != ListStatus.FORMED or inst is None or engine.open_item(user, inst, "publicize") is None:
        raise Conflict(catalogue.NOT_OPEN)
    publication.publish(SUBJECT, lst.id, title=lst.title, payload=public_fields(lst), department_id=lst.department_id,
                        instance_id=inst.id, user=user)
    record_facts(lst, lst.objects)
    lst.status, lst.published_at = ListStatus.PUBLISHED, utcnow()
    engine.advance(user, inst, "publicize", "next")  # → 根据目录清单及措施清单生成任务 (generate_tasks)


def fact_row(o: SanctionObject) -> dict[str, Any] | None:
    """The 惩戒信息 record of a 失信 object (None for a reward or an entry without 失信性质)."""
    if o.entry.kind != EntryKind.PUNISH or not o.entry.nature:
        return None
    subject = {"id_number": o.code, "person_name": o.name} if o.is_person else {"uscc": o.code}
    return {**subject, "list_kind": o.entry.nature, "decided_on": o.decided_on.isoformat(),
            "reason": f"{o.entry.behaviour}：{o.basis}"[:4000], "deciding_department": o.sanction_list.department.name,
            "valid_until": o.valid_until.isoformat() if o.valid_until else ""}


def record_facts(lst: SanctionList, objects: Sequence[SanctionObject], **extra: Any) -> None:
    """失信 objects become 惩戒信息 facts (数据交换 from the 发起部门): what the risk rules read."""
    rows, kept = [], []
    for o in objects:
        row = fact_row(o)
        if row is not None:
            rows.append({**row, **extra})
            kept.append(o)
    if not rows:
        return
    result = ingest(FACT_KINDS["sanction"], rows, source_kind=FactSource.EXCHANGE, department=lst.department)
    for outcome in result.outcomes:
        if outcome.fact_id is not None:
            kept[outcome.index].fact_id = outcome.fact_id


def generate_tasks(instance: ProcessInstance) -> str:
    """根据目录清单及措施清单生成任务: one INSERT … SELECT of object × measure × department."""
    lst = db.session.get(SanctionList, instance.subject_id) if instance.subject_id else None
    if lst is None:
        return ""
    count = insert_tasks(lst.id)
    return f"生成联合奖惩任务{count}项"


def insert_tasks(list_id: int) -> int:
    now = utcnow()
    due = today() + timedelta(days=TASK_DAYS)
    source = (
        select(SanctionObject.id, SanctionMeasure.id, SanctionMeasure.department_id, literal(TS.ISSUED.value),
               literal(due), literal(now), literal(""), literal(""))
        .join(SanctionMeasure, SanctionMeasure.entry_id == SanctionObject.entry_id)
        .where(SanctionObject.list_id == list_id, SanctionObject.released_at.is_(None))
    )
    db.session.execute(insert(SanctionTask).from_select(
        ["object_id", "measure_id", "department_id", "status", "due_on", "created_at", "result", "channel"], source))
    return db.session.execute(
        select(func.count()).select_from(SanctionTask).join(SanctionObject, SanctionObject.id == SanctionTask.object_id)
        .where(SanctionObject.list_id == list_id)
    ).scalar_one()
