"""随机抽取检查对象 (DB5101 表20 根据风险分类结果随机抽取检查对象, 表22 随机抽取检查对象;
seed 003 随机抽取检查对象; docs/draws.md).

The population is the object directory of the task's item and department
(services/directories), whole (不定向) or filtered by the scheme (定向); its strata are the
credit-risk grades A–E and ``-`` for ungraded members.  Quotas come from the scheme's ratio
per grade (services/draw.quotas_by_stratum: rounded up; a general item's cap enforced, key
items uncapped).  ``preview`` shows the arithmetic before anything is drawn.

``run_draw`` makes a fresh seed, ranks with services/draw (the published
infrastructure/draw_algorithm.py), and stores one ``Draw`` row per attempt: algorithm, seed,
parameters, quotas, the population compressed ("key\\tstratum\\tweight\\n" in key order, the
lines the digest hashes), its digest, the result, who, when and how long.  The result becomes
the task's ``TaskObject`` rows and is locked at once: a second draw is refused (409), and the
list changes only through a ``DrawChange`` the department leader approves (seed 003:
名单一经确认不可擅自更改，确需更改的，经本部门主要负责人审批后予以更正).  确认抽取结果 moves
the instance on to 随机抽取执法人员.

``verify_draw`` re-runs a stored draw from its record alone; what the public and the entitled
may download is services/draw_disclosure.py (docs/draws.md).
Nothing here commits.
"""

from __future__ import annotations

import json
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, String, cast, func, literal, select

from infrastructure.errors import Conflict
from infrastructure.memory import gc_paused
from models import (
    DirectoryMember,
    Draw,
    DrawDomain,
    DrawStatus,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    Place,
    PlanStatus,
    Product,
    Task,
    TaskObject,
    User,
    db,
    utcnow,
)
from models.items import ItemCategory
from models.schemes import DrawScope, Scheme, SchemeStatus
from persistence import audit
from persistence.bulk import insert_rows
from services import draw as draw_service
from services import draw_ratios, draw_risk_weight
from services.draw import UNGRADED, DrawError
from services.schemes import (
    STRATA,
    SchemeFilter,
    claim_task,
    fmt_ratio,
    holds_step,
    item_cap,
    load_filter,
    load_ratios,
    stratum_label,
)
from services.task_access import instance_of
from services.trigger import draws as trigger_draws
from services.trigger import extraction as trigger_extraction
from services.trigger import flow as trigger_flow
from workflows import engine

DOMAIN = DrawDomain.OBJECT
AUDIT_TYPE = "draw"
LOCKED = "检查对象名单已抽取并锁定，不能再次抽取；确需更改的，请提出更改申请，经部门负责人审批后更正"


class DrawRefused(DrawError):
    """A draw, preview or change that cannot be done as asked (422, Chinese message)."""


# ------------------------------------------------------------------ the population


def directory_for(task: Task) -> ObjectDirectory | None:
    """The object directory of the task's item kept by the task's department."""
    return db.session.execute(
        select(ObjectDirectory).where(
            ObjectDirectory.item_id == task.item_id, ObjectDirectory.department_id == task.department_id
        )
    ).scalar_one_or_none()


def require_directory(task: Task) -> ObjectDirectory:
    directory = directory_for(task)
    if directory is None:
        raise DrawRefused(f"本部门尚未建立“{task.item.name}”的检查对象名录库，无法抽取，请先在检查对象名录库中新增")
    return directory


def _kind_queries(directory_id: int, filt: SchemeFilter) -> list[tuple[MemberKind, Select[Any]]]:
    """One (ident, grade) query per kind of member, with the 定向 filter applied: the division on
    the member itself, the industry and entity type on the entity (a place's or product's
    responsible entity)."""
    kinds = [MemberKind(k) for k in filt.kinds] or list(MemberKind)
    out: list[tuple[MemberKind, Select[Any]]] = []
    for kind in kinds:
        if kind == MemberKind.ENTITY:
            ident = DirectoryMember.entity_id
            query = select(ident.label("ident"), MarketEntity.credit_grade.label("grade")).join(
                MarketEntity, MarketEntity.id == DirectoryMember.entity_id
            )
            division = MarketEntity.division_code
        else:
            owner = Place if kind == MemberKind.PLACE else Product
            ident = DirectoryMember.place_id if kind == MemberKind.PLACE else DirectoryMember.product_id
            query = (
                select(ident.label("ident"), MarketEntity.credit_grade.label("grade"))
                .join(owner, owner.id == ident)
                .outerjoin(MarketEntity, MarketEntity.id == owner.entity_id)
            )
            division = owner.division_code
        query = query.where(DirectoryMember.directory_id == directory_id, ident.is_not(None))
        if filt.division:
            query = query.where(division.startswith(filt.division))
        if filt.industry:
            query = query.where(MarketEntity.industry_code.startswith(filt.industry))
        if filt.entity_type:
            query = query.where(MarketEntity.entity_type == filt.entity_type)
        out.append((kind, query.order_by(ident)))
    return out


def _scope_filter(scheme: Scheme) -> SchemeFilter:
    return load_filter(scheme) if scheme.scope == DrawScope.DIRECTED else SchemeFilter()


def _line_query(kind: MemberKind, query: Select[Any]) -> Select[Any]:
    """``query`` giving one string per member instead, "key<TAB>stratum": the database makes
    the key and the ungraded stratum, the driver hands over one string a row."""
    ident, grade = query.selected_columns
    line = literal(kind.value + ":") + cast(ident, String) + literal("\t") + func.coalesce(
        func.nullif(grade, ""), UNGRADED)
    return query.with_only_columns(line)


def population_lines(directory: ObjectDirectory, filt: SchemeFilter) -> list[str]:
    """The draw's members as "key<TAB>stratum" strings, stratum the credit-risk grade or ``-``,
    kind by kind in id order, streamed through the driver's own cursor in chunks, no ORM
    objects, no row objects kept.  PostgreSQL sends the strings themselves (one column, made by
    the server process, through a server-side cursor); SQLite, in this thread anyway, gives the
    id and the grade, joined here (bench/draws.py: its || was the slower of the two)."""
    connection = db.session.connection()
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    out: list[str] = []
    first = itemgetter(0)
    postgres = dialect.name == "postgresql"
    for kind, query in _kind_queries(directory.id, filt):
        compiled = (_line_query(kind, query) if postgres else query).compile(dialect=dialect)
        params = compiled.construct_params()
        args = [params[k] for k in compiled.positiontup] if compiled.positiontup is not None else params
        cursor = raw.cursor(name="draw_population") if postgres else raw.cursor()  # type: ignore[union-attr]
        prefix = kind.value + ":"
        try:
            cursor.execute(str(compiled), args)
            while rows := cursor.fetchmany(50_000):
                if postgres:  # the server makes the strings, on its own core
                    out.extend(map(first, rows))
                else:  # SQLite makes them in this thread, slower than an f-string
                    out.extend([f"{prefix}{ident}\t{grade or UNGRADED}" for ident, grade in rows])
        finally:
            cursor.close()
    return out


def population(directory: ObjectDirectory, filt: SchemeFilter) -> list[tuple[str, str, float]]:
    """The draw's members as (key, stratum, weight 1) tuples in the order services.directories
    .population() streams them (kind, then object id), or the filtered part."""
    return [(*line.split("\t"), 1.0) for line in population_lines(directory, filt)]  # type: ignore[misc]


def stratum_counts(directory: ObjectDirectory, filt: SchemeFilter) -> dict[str, int]:
    """Members per stratum, counted by the database."""
    found: Counter[str] = Counter()
    for _kind, query in _kind_queries(directory.id, filt):
        sub = query.order_by(None).subquery()
        for grade, n in db.session.execute(select(sub.c.grade, func.count()).group_by(sub.c.grade)):
            found[grade or UNGRADED] += n
    return {s: found[s] for s in STRATA if found[s]}


# ------------------------------------------------------------------ preview


@dataclass
class PreviewRow:
    stratum: str
    population: int
    ratio: Decimal
    quota: int

    @property
    def label(self) -> str:
        return stratum_label(self.stratum)

    @property
    def ratio_text(self) -> str:
        return fmt_ratio(self.ratio)


@dataclass
class Preview:
    directory: ObjectDirectory
    rows: list[PreviewRow]
    cap: Decimal | None
    scope: DrawScope
    filter: SchemeFilter
    key_item: bool = False
    plan_ratio: Decimal | None = None  # the task's 抽查比例 from its plan

    @property
    def population(self) -> int:
        return sum(r.population for r in self.rows)

    @property
    def cap_text(self) -> str:
        return fmt_ratio(self.cap) if self.cap is not None else ""

    @property
    def cap_note(self) -> str:
        if self.cap is not None:
            return f"一般检查事项，抽查比例上限 {self.cap_text}%"
        return "重点检查事项，不设比例上限" if self.key_item else "一般检查事项，未设抽查比例上限"

    @property
    def total(self) -> int:
        return sum(r.quota for r in self.rows)

    @property
    def plan_ratio_text(self) -> str:
        return fmt_ratio(self.plan_ratio) if self.plan_ratio is not None else ""

    @property
    def overall_text(self) -> str:
        return draw_ratios.percent_text(self.total, self.population)

    @property
    def over_plan(self) -> str:
        """The warning when the ratios per grade draw more than the plan's ratio, else ""."""
        return draw_ratios.over_plan_message(self.total, self.population, self.plan_ratio)


def preview(
    task: Task,
    *,
    ratios: dict[str, Decimal] | None = None,
    scope: DrawScope | None = None,
    filt: SchemeFilter | None = None,
) -> Preview:
    """Per stratum: the population, the ratio and the quota (population × ratio %, rounded up).
    Defaults to the task's scheme; the scheme form passes what is being typed."""
    scheme = task.scheme
    if ratios is None:
        if scheme is None:
            raise DrawRefused("尚未制定抽查方案")
        ratios = load_ratios(scheme)
        scope, filt = scheme.scope, _scope_filter(scheme)
    scope = scope or DrawScope.WHOLE
    filt = filt if scope == DrawScope.DIRECTED and filt is not None else SchemeFilter()
    weighted = trigger_extraction.stratum_counts(task)
    directory = require_directory(task) if weighted is None else trigger_draws.source_of(sum(weighted.values()))
    counts = stratum_counts(directory, filt) if weighted is None else {s: weighted[s] for s in STRATA if s in weighted}
    if not counts:
        if filt.empty:
            raise DrawRefused(f"检查对象名录库“{directory.name}”为空，无法抽取")
        raise DrawRefused("检查对象名录库中没有符合定向条件的对象，请调整定向条件")
    cap = item_cap(task)
    quotas = draw_service.quotas_by_stratum(counts, {s: ratios.get(s, 0) for s in counts},
                                            cap=fmt_ratio(cap) if cap is not None else None)
    rows = [PreviewRow(s, counts[s], Decimal(ratios.get(s, 0)), quotas[s]) for s in STRATA if s in counts]
    return Preview(directory, rows, cap, scope, filt, key_item=task.item.category == ItemCategory.KEY,
                   plan_ratio=draw_ratios.plan_ratio(task))


# ------------------------------------------------------------------ the draw


def current_draw(task: Task) -> Draw | None:
    """The task's locked object draw, if any."""
    return db.session.execute(
        select(Draw).where(Draw.task_id == task.id, Draw.domain == DOMAIN, Draw.status == DrawStatus.LOCKED)
        .order_by(Draw.attempt.desc())
    ).scalars().first()


def draws_of(task: Task) -> list[Draw]:
    return list(db.session.execute(
        select(Draw).where(Draw.task_id == task.id, Draw.domain == DOMAIN).order_by(Draw.attempt)
    ).scalars())


def _key_ids(key: str) -> tuple[int | None, int | None, int | None]:
    kind, _, ident = key.partition(":")
    n = int(ident)
    return (n, None, None) if kind == "entity" else (None, n, None) if kind == "place" else (None, None, n)


def insert_objects(task: Task, draw_id: int | None, rows: Iterable[tuple[str, str, int]],
                    change_id: int | None = None) -> int:
    now = utcnow()
    columns = ("task_id", "draw_id", "key", "entity_id", "place_id", "product_id", "grade", "rank", "removed",
               "change_id", "created_at")
    return insert_rows(
        TaskObject.__table__,
        columns,
        ((task.id, draw_id, key, *_key_ids(key), grade, rank, False, change_id, now) for key, grade, rank in rows),
    )


def _next_attempt(task: Task) -> int:
    last = db.session.execute(
        select(func.max(Draw.attempt)).where(
            Draw.task_id == task.id, Draw.domain == DOMAIN, Draw.department_id == task.department_id
        )
    ).scalar()
    return (last or 0) + 1


def _population_and_quotas(task: Task, scheme: Scheme) -> tuple:
    """The directory, the scheme's filter, the population it selects, the ratios per grade,
    the item's cap and the quota per stratum."""
    weighted = trigger_extraction.population(task)  # 触发式: the extraction's members, weighted
    if weighted is not None:
        directory, filt, members, counts = None, SchemeFilter(), weighted, Counter(m[1] for m in weighted)
    else:
        directory = require_directory(task)
        filt = _scope_filter(scheme)
        members = draw_service.SortedPopulation.from_lines(population_lines(directory, filt))
        if not members.keys:
            if filt.empty:
                raise DrawRefused(f"检查对象名录库“{directory.name}”为空，无法抽取")
            raise DrawRefused("检查对象名录库中没有符合定向条件的对象，请调整定向条件")
        counts = Counter(members.strata)
        if scheme.risk_weight:  # 风险库命中加权: the weighted draw of the trigger chapter
            members = draw_risk_weight.weighted(members, directory.id, scheme.risk_weight)
    ratios = load_ratios(scheme)
    cap = item_cap(task)
    quotas = draw_service.quotas_by_stratum(
        {s: counts[s] for s in STRATA if counts[s]}, {s: ratios.get(s, 0) for s in counts},
        cap=fmt_ratio(cap) if cap is not None else None,
    )
    return directory, filt, members, ratios, cap, quotas


def _ranked(members: Any, quotas: dict[str, int]) -> tuple[draw_service.SortedDraw, str, dict[str, str]]:
    """(the draw, salt, commitments): weighted for a trigger extraction (a list of tuples),
    else from the directory's sorted weight-1 population."""
    if isinstance(members, list):
        return trigger_draws.run_weighted(members, quotas, domain=DOMAIN.value, seed=draw_service.new_seed())
    record = draw_service.run_sorted(members, quotas, domain=DOMAIN.value, seed=draw_service.new_seed())
    return (record, *draw_service.seal_sorted(record))


def _weighting(directory: ObjectDirectory | None, scheme: Scheme) -> dict[str, Any]:
    """What the draw's params say of its weights: a 触发式 extraction's, or the scheme's 风险库命中加权."""
    if directory is None:
        return {"trigger_extraction": True}
    return {"risk_weight": scheme.risk_weight} if scheme.risk_weight else {}


def run_draw(user: User, task: Task, *, lock_version: int | None, confirm_over_plan: bool = False) -> Draw:
    """随机抽取检查对象: draw, store the attempt, lock the list.  When the ratios per grade draw
    more than the plan's ratio, only with ``confirm_over_plan`` (the clerk's explicit 确认)."""
    scheme = task.scheme
    if scheme is None or scheme.status != SchemeStatus.APPROVED:
        raise DrawRefused("抽查方案尚未审核通过，不能抽取检查对象")
    if current_draw(task) is not None:
        raise Conflict(LOCKED)
    inst = instance_of(task)
    if inst is None:
        raise Conflict("该事项已被他人处理或已发生变化，请刷新页面查看最新状态")
    holds_step(user, inst, "draw_objects")
    claim_task(task, lock_version)
    started = time.perf_counter()
    with gc_paused():
        directory, filt, members, ratios, cap, quotas = _population_and_quotas(task, scheme)
        plan_ratio = draw_ratios.plan_ratio(task)
        size = len(members) if isinstance(members, list) else len(members.keys)
        over_plan = draw_ratios.over_plan_message(sum(quotas.values()), size, plan_ratio)
        if over_plan and not confirm_over_plan:
            raise DrawRefused(over_plan + "；请修改抽查方案的比例，或勾选确认后再抽取")
        record, salt, sealed = _ranked(members, quotas)
        del members  # the text and the lists go as soon as they are packed
        now = utcnow()
        attempt = _next_attempt(task)
        row = Draw(
            task_id=task.id,
            domain=DOMAIN,
            department_id=task.department_id,
            attempt=attempt,
            status=DrawStatus.LOCKED,
            algorithm=record.algorithm,
            seed=record.seed,
            params=json.dumps(
                {
                    "ratios": {s: fmt_ratio(r) for s, r in ratios.items()},
                    "cap": fmt_ratio(cap) if cap is not None else None,
                    "item_category": task.item.category.value,
                    "scope": scheme.scope.value,
                    "filter": filt.as_dict(),
                    "directory_id": directory.id if directory is not None else None,
                    **_weighting(directory, scheme),
                    "scheme_id": scheme.id,
                    "plan_ratio": fmt_ratio(plan_ratio) if plan_ratio is not None else None,
                    "confirmed_over_plan": bool(over_plan),
                },
                ensure_ascii=False,
            ),
            quotas=json.dumps(record.quotas),
            population_size=record.size,
            population_digest=record.packed.digest,
            population=record.packed.blob,
            result=json.dumps(record.result),
            result_size=sum(len(v) for v in record.result.values()),
            drawn_by_id=user.id,
            drawn_at=now,
            salt=salt,
            commitments=json.dumps(sealed),
            committed_at=now,
        )
        db.session.add(row)
        db.session.flush()
        # in key order, not stratum by stratum: every list in id order (the records page, the
        # record numbers) then shows no grouping by grade (docs/draws.md)
        insert_objects(
            task, row.id, sorted(((key, stratum, rank) for stratum, keys in record.result.items()
                                  for rank, key in enumerate(keys, 1)), key=itemgetter(0))
        )
        row.duration_ms = int((time.perf_counter() - started) * 1000)
        audit.record(
            "draw",
            object_type=AUDIT_TYPE,
            object_id=row.id,
            summary={"任务": task.name, "第几次": attempt, "随机种子": row.seed, "总体": row.population_size,
                     "摘要": row.population_digest, "抽取": row.result_size,
                     **({"确认超出计划比例": over_plan} if over_plan else {})},
            user=user,
        )
        db.session.flush()
    return row


def confirm(user: User, task: Task, *, lock_version: int | None) -> None:
    """确认抽取结果: on to 随机抽取执法人员."""
    inst = instance_of(task)
    if inst is None:
        raise Conflict("该事项已被他人处理或已发生变化，请刷新页面查看最新状态")
    holds_step(user, inst, "draw_objects")
    draw = current_draw(task)
    if draw is None:
        raise DrawRefused("尚未抽取检查对象，不能确认抽取结果")
    claim_task(task, lock_version)
    engine.advance(user, inst, "draw_objects", "next", comment=f"第{draw.attempt}次抽取，检查对象{draw.result_size}户")
    trigger_flow.draw_confirmed(user, task, draw.result_size)  # 表28 开展双随机检查, when extracted


# ------------------------------------------------------------------ the list and its changes


@dataclass
class ObjectRow:
    key: str
    name: str
    code: str
    address: str
    grade: str
    rank: int
    removed: bool
    added: bool


def describe_keys(keys: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """(name, code, address) of each key, a few queries per kind."""
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, _, ident = key.partition(":")
        by_kind.setdefault(kind, []).append(int(ident))
    out: dict[str, tuple[str, str, str]] = {}
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            if kind == "entity":
                rows = db.session.execute(select(MarketEntity.id, MarketEntity.name,
                                                 func.coalesce(MarketEntity.uscc, MarketEntity.reg_no),
                                                 MarketEntity.business_address)
                                          .where(MarketEntity.id.in_(chunk)))
            elif kind == "place":
                rows = db.session.execute(select(Place.id, Place.name, Place.responsible_uscc, Place.address)
                                          .where(Place.id.in_(chunk)))
            else:
                rows = db.session.execute(select(Product.id, Product.company_name, Product.licence_no,
                                                 Product.address).where(Product.id.in_(chunk)))
            for ident, name, code, address in rows:
                out[f"{kind}:{ident}"] = (name or "", code or "", address or "")
    return out


def object_rows(task: Task, *, include_removed: bool = True) -> list[ObjectRow]:
    query = select(TaskObject).where(TaskObject.task_id == task.id)
    if not include_removed:
        query = query.where(TaskObject.removed.is_(False))
    objs = list(db.session.execute(query.order_by(TaskObject.id)).scalars())
    names = describe_keys(o.key for o in objs)
    return [
        ObjectRow(o.key, *names.get(o.key, ("（已删除的对象）", "", "")), o.grade, o.rank, o.removed,
                  o.draw_id is None)
        for o in objs
    ]


# ------------------------------------------------------------------ verification


def stored_population(draw: Draw) -> list[tuple[str, str, float]]:
    """The stored population as (key, stratum, weight), in key order."""
    return [tuple(m) for m in draw_service.unpack_population(draw.population)]


def stored_record(draw: Draw) -> dict[str, Any]:
    """The record as services/draw.DrawRecord.as_json writes it, from the stored row."""
    record = _stored_header(draw)  # the population in its place, before its digest
    digest, result = record.pop("population_digest"), record.pop("result")
    return {**record, "population": stored_population(draw), "population_digest": digest, "result": result}


def _stored_header(draw: Draw) -> dict[str, Any]:
    """The stored record without its population."""
    return {
        "algorithm": draw.algorithm,
        "seed": draw.seed,
        "domain": draw.domain.value,
        "quotas": json.loads(draw.quotas),
        "population_digest": draw.population_digest,
        "result": json.loads(draw.result),
    }


@dataclass
class Verification:
    matches: bool
    recomputed: dict[str, list[str]]
    seconds: float

    @property
    def label(self) -> str:
        return "一致" if self.matches else "不一致"


def verify_draw(draw: Draw) -> Verification:
    """重新计算: decompress the stored population and re-run the draw from the record alone."""
    started = time.perf_counter()
    try:
        with gc_paused():
            text = zlib.decompress(draw.population).decode()
            matches, recomputed = draw_service.verify_text(_stored_header(draw), text)
    except (zlib.error, ValueError, UnicodeDecodeError):
        matches, recomputed = False, {}
    return Verification(matches, recomputed, time.perf_counter() - started)


def is_public(draw: Draw) -> bool:
    """The verification page is open when the plan is published and the scheme not sensitive."""
    task = draw.task
    scheme = task.scheme
    return (
        draw.domain == DOMAIN
        and task.plan.status == PlanStatus.PUBLISHED
        and scheme is not None
        and not scheme.sensitive
    )
