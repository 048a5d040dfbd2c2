"""Signing for something (签收): deliberate, with the signer's password, for one exact version.

Any subject can be signed for if it offers:

- ``receipt_kind`` (class attribute): the ``Receipt.subject_type``, e.g. "official_document";
- ``id`` and ``version`` (int, > 0 once issued; a changed subject gets a new version);
- ``receipt_content()``: a JSON-able dict of what the signer reads (the canonical content of the
  current version: its SHA-256 goes into the receipt);
- ``receipt_units()``: the departments (member units) that are to sign the current version;
- ``is_recalled``: True once the subject was recalled (nothing more can be signed);
- optionally ``receipt_open``: False while the subject is being changed (an edited document
  not yet published again): nothing can be signed then either (409).

``sign(user, subject, password, version=...)`` re-checks the password (a wrong one counts
toward the sign-in lockout, services/auth: the failure is kept even though the request fails,
see ``PasswordRejected``), refuses a recalled subject, a stale version and a second signature
(409 已签收), and writes one ``Receipt`` (who, which unit, when, from which IP — the audit
trail's — and the hash of the content) plus its audit row.  ``UNIQUE(subject, version, unit)``
holds in the database too, so two liaisons of one unit signing at the same moment give one
receipt and one 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.passwords import verify_password
from models import Department, User, db, utcnow
from models.receipts import Receipt
from models.roles import Role
from persistence import audit
from persistence.audit import client_ip

ALREADY_SIGNED = "已签收：本单位已签收该版本，无需重复签收"
RECALLED = "已撤回，不能签收"
STALE_VERSION = "内容已更新，请查看最新版本后再签收"
WRONG_PASSWORD = "密码不正确，签收未完成。连续输错5次将锁定账号15分钟。"
LOCKED = "账号已被暂时锁定，请稍后再签收"


class Signable(Protocol):
    receipt_kind: str
    id: int
    version: int
    is_recalled: bool

    def receipt_content(self) -> dict[str, Any]: ...

    def receipt_units(self) -> list[Department]: ...


class PasswordRejected(Forbidden):
    """A wrong password at signing.  ``persist``: the app's error handler commits instead of
    rolling back, so that the failure counts toward the lockout (``sign`` writes nothing
    else before raising it; a view must call ``sign`` before any write of its own)."""

    persist = True


@dataclass(frozen=True)
class UnitStatus:
    """One unit's line of a receipt sheet."""

    department: Department
    receipt: Receipt | None


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def content_hash(subject: Signable) -> str:
    """SHA-256 (hex) of the canonical content of the subject's current version."""
    return hashlib.sha256(canonical_json(subject.receipt_content())).hexdigest()


def receipts_for(subject: Signable, version: int | None = None) -> list[Receipt]:
    """The receipts of one version (the current one by default), in signing order."""
    return list(
        db.session.execute(
            select(Receipt)
            .where(
                Receipt.subject_type == subject.receipt_kind,
                Receipt.subject_id == subject.id,
                Receipt.version == (subject.version if version is None else version),
            )
            .order_by(Receipt.signed_at, Receipt.id)
        ).scalars()
    )


def all_receipts(subject: Signable) -> list[Receipt]:
    """Every receipt of every version, newest version first."""
    return list(
        db.session.execute(
            select(Receipt)
            .where(Receipt.subject_type == subject.receipt_kind, Receipt.subject_id == subject.id)
            .order_by(Receipt.version.desc(), Receipt.signed_at, Receipt.id)
        ).scalars()
    )


def receipt_sheet(subject: Signable) -> list[UnitStatus]:
    """Each unit to sign the current version with its receipt, or None while unsigned."""
    by_unit = {r.department_id: r for r in receipts_for(subject)}
    return [UnitStatus(d, by_unit.get(d.id)) for d in subject.receipt_units()]


def unsigned_units(subject: Signable) -> list[Department]:
    return [s.department for s in receipt_sheet(subject) if s.receipt is None]


def all_signed(subject: Signable) -> bool:
    return subject.version > 0 and not unsigned_units(subject)


def unit_of(user: User, subject: Signable) -> Department | None:
    """The unit among the subject's units that is the user's own department (as the engine's
    成员单位 lane: a liaison works in the member unit itself)."""
    return next((d for d in subject.receipt_units() if d.id == user.department_id), None)


def signed_by_unit(subject: Signable, unit: Department) -> Receipt | None:
    return db.session.execute(
        select(Receipt).where(
            Receipt.subject_type == subject.receipt_kind,
            Receipt.subject_id == subject.id,
            Receipt.version == subject.version,
            Receipt.department_id == unit.id,
        )
    ).scalar_one_or_none()


def _open(subject: Signable) -> bool:
    return bool(getattr(subject, "receipt_open", True))


def can_sign(user: User, subject: Signable) -> bool:
    """A member-unit liaison of one of the subject's units, while unsigned and not recalled."""
    if subject.is_recalled or subject.version <= 0 or not _open(subject) or not user.has_role(Role.MEMBER_LIAISON):
        return False
    unit = unit_of(user, subject)
    return unit is not None and signed_by_unit(subject, unit) is None


def _count_failure(user: User) -> None:
    """The same accounting as a failed sign-in (services/auth.authenticate)."""
    threshold: int = current_app.config["LOCKOUT_THRESHOLD"]
    minutes: int = current_app.config["LOCKOUT_MINUTES"]
    db.session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
    db.session.refresh(user)
    audit.record("sign_failed", object_type="user", object_id=user.id, summary={"原因": "签收时密码错误"}, user=user)
    if user.failed_logins >= threshold:
        user.locked_until = utcnow() + timedelta(minutes=minutes)
        user.failed_logins = 0
        audit.record("account_locked", object_type="user", object_id=user.id, summary={"锁定分钟": minutes}, user=user)
    db.session.flush()


def sign(
    user: User,
    subject: Signable,
    password: str,
    *,
    version: int | None = None,
    label: str = "",
    signer_roles: tuple[Role, ...] = (Role.MEMBER_LIAISON,),
) -> Receipt:
    """Sign for the current version of ``subject`` on behalf of the user's unit.

    ``version`` is the version the signer was shown (from the form): a different current
    version is refused (409), so nobody signs for what they did not read.  ``label`` names the
    subject in the audit row (e.g. the document's 文号 and title)."""
    kind_label = label or subject.receipt_kind
    if subject.is_recalled:
        raise Conflict(f"{kind_label}{RECALLED}")
    if subject.version <= 0:
        raise Conflict("尚未发布，不能签收")
    if not _open(subject):
        raise Conflict("正在修改，尚未重新发布，不能签收")
    if version is not None and version != subject.version:
        raise Conflict(STALE_VERSION)
    if not user.has_role(*signer_roles):
        # ``signer_roles``: a 专项整治's 参与部门 sign with their clerks and leaders.
        raise Forbidden("只有成员单位联络员可以签收" if signer_roles == (Role.MEMBER_LIAISON,) else "您无权签收")
    unit = unit_of(user, subject)
    if unit is None:
        raise Forbidden("本单位不在签收范围内")
    if signed_by_unit(subject, unit) is not None:
        raise Conflict(ALREADY_SIGNED)
    if not password:
        raise Invalid("请输入登录密码以确认签收", field="password")
    if user.locked_until and user.locked_until > utcnow():
        raise Forbidden(LOCKED)
    if not verify_password(user.password_hash, password):
        _count_failure(user)
        raise PasswordRejected(WRONG_PASSWORD, field="password")
    user.failed_logins = 0
    digest = content_hash(subject)
    receipt = Receipt(
        subject_type=subject.receipt_kind,
        subject_id=subject.id,
        version=subject.version,
        content_sha256=digest,
        department_id=unit.id,
        user_id=user.id,
        user_name=user.name,
        signed_at=utcnow(),
        ip=client_ip(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(receipt)
            db.session.flush()
    except IntegrityError:
        raise Conflict(ALREADY_SIGNED) from None
    audit.record(
        "sign",
        object_type=subject.receipt_kind,
        object_id=subject.id,
        summary={"签收": kind_label, "版本": subject.version, "单位": unit.name, "内容摘要": digest},
        user=user,
    )
    return receipt
