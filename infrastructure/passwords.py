"""Password hashing (argon2) and the password policy."""

from __future__ import annotations

import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when an account does not exist, so that timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")

MIN_LENGTH = 8
POLICY_TEXT = "密码至少8位，且包含大写字母、小写字母、数字、特殊字符中的至少三类"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def policy_errors(password: str, account: str = "") -> list[str]:
    """Why ``password`` breaks the policy; empty when it is acceptable."""
    errors: list[str] = []
    if len(password) < MIN_LENGTH:
        errors.append("密码长度不能少于8位")
    if len(password) > 128:
        errors.append("密码长度不能超过128位")
    classes = sum(
        bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    if classes < 3:
        errors.append("密码须包含大写字母、小写字母、数字、特殊字符中的至少三类")
    if account and account.lower() in password.lower():
        errors.append("密码不能包含账号")
    return errors


def generate_password(length: int = 12) -> str:
    """A random initial password that satisfies the policy (all four classes)."""
    # No look-alikes (0/O, 1/l/I) and no symbols that are awkward to read out or type.
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI") + "#@*+=!"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not policy_errors(candidate) and all(
            re.search(p, candidate) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")
        ):
            return candidate
