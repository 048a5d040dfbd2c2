"""发证验证 (seed 004 §1.1): whether an entity has obtained its permits.

An entity's outcome is read from its notices: 不予发证 when any notice was refused, 未发证 when
any is still without feedback, 已发证 when all were issued; an entity without notices is 已发证
when 信息归集 holds a live permit of it, else 无抄告.  未发证 and 不予发证 do not pass
(未通过验证清单).  Single verification is by 市场主体名称 or 统一社会信用代码 on the page; a batch is
an uploaded list through the import framework (services/imports/notice_verify.py), both of the
entities of the user's area only.  Each verification is recorded (``PermitVerification``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from infrastructure.errors import Invalid, NotFound
from models import ImportBatch, MarketEntity, Permit, PermitVerification, ScopeNotice, User, db, utcnow
from models.notice import NoticeStatus
from models.roles import Role
from persistence.bulk import insert_rows
from persistence.scope import scope_entities

ISSUED, NOT_ISSUED, REFUSED, NO_NOTICE = "已发证", "未发证", "不予发证", "无抄告"
FAILED = (NOT_ISSUED, REFUSED)
CHUNK = 2_000


def can_verify(actor: User) -> bool:
    return actor.has_role(Role.CLERK, Role.DEPT_LEADER)


@dataclass
class Verdict:
    entity_id: int
    outcome: str
    detail: str


def find_entities(actor: User, keys: Sequence[str]) -> dict[str, int]:
    """{key: entity id} of the keys (统一社会信用代码, 注册号 or exact name) found in the actor's area."""
    keys = [k.strip() for k in keys if k and k.strip()]
    found: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        upper = [k.upper() for k in part]
        rows = db.session.execute(scope_entities(
            select(MarketEntity.id, MarketEntity.uscc, MarketEntity.reg_no, MarketEntity.name)
            .where(MarketEntity.uscc.in_(upper) | MarketEntity.reg_no.in_(part) | MarketEntity.name.in_(part)),
            actor,
        )).all()
        for ident, uscc, reg_no, name in rows:
            for key in (uscc, reg_no, name):
                if key:
                    found.setdefault(key, ident)
    return found


def verdicts(entity_ids: Sequence[int]) -> dict[int, Verdict]:
    """The outcome of each entity (see the module), set-based."""
    out: dict[int, Verdict] = {}
    wanted = sorted(set(entity_ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        statuses: dict[int, list[tuple[NoticeStatus, str]]] = {}
        for entity_id, status, reason in db.session.execute(
            select(ScopeNotice.entity_id, ScopeNotice.status, ScopeNotice.refusal_reason)
            .where(ScopeNotice.entity_id.in_(chunk))
        ):
            statuses.setdefault(entity_id, []).append((status, reason))
        permitted = set(db.session.execute(
            select(Permit.entity_id).where(Permit.entity_id.in_(chunk), Permit.current.is_(True),
                                           Permit.status == "有效")
        ).scalars())
        for ident in chunk:
            seen = statuses.get(ident, [])
            refused = [r for s, r in seen if s == NoticeStatus.REFUSED]
            pending = sum(1 for s, _ in seen if s == NoticeStatus.PENDING)
            if refused:
                out[ident] = Verdict(ident, REFUSED, "；".join(refused))
            elif pending:
                out[ident] = Verdict(ident, NOT_ISSUED, f"{pending}项抄告未反馈发证情况")
            elif seen or ident in permitted:
                out[ident] = Verdict(ident, ISSUED, "")
            else:
                out[ident] = Verdict(ident, NO_NOTICE, "")
    return out


def record(actor: User, results: Sequence[Verdict], batch: ImportBatch | None = None) -> int:
    now = utcnow()
    return insert_rows(
        PermitVerification.__table__,
        ["entity_id", "batch_id", "outcome", "detail", "department_id", "checked_by_id", "checked_at"],
        ([v.entity_id, batch.id if batch else None, v.outcome, v.detail[:1000], actor.department_id, actor.id, now]
         for v in results),
    )


def verify_one(actor: User, key: str) -> tuple[MarketEntity, Verdict]:
    """单一验证 by 市场主体名称 or 统一社会信用代码."""
    key = (key or "").strip()
    if not key:
        raise Invalid("请输入市场主体名称或统一社会信用代码", field="key")
    ident = find_entities(actor, [key]).get(key) or find_entities(actor, [key]).get(key.upper())
    if ident is None:
        raise NotFound(f"本辖区未找到市场主体“{key}”")
    verdict = verdicts([ident])[ident]
    record(actor, [verdict])
    entity = db.session.get(MarketEntity, ident)
    assert entity is not None
    return entity, verdict


def batch_results(actor: User, batch_id: int) -> list[PermitVerification]:
    """The verifications of one of the actor's uploaded lists (the failed ones first)."""
    rows = db.session.execute(
        select(PermitVerification).join(ImportBatch, ImportBatch.id == PermitVerification.batch_id)
        .where(PermitVerification.batch_id == batch_id, ImportBatch.created_by_id == actor.id)
        .order_by(PermitVerification.id)
    ).scalars().all()
    return sorted(rows, key=lambda v: v.outcome not in FAILED)
