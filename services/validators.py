"""Format checks for personal data entered by administrators or imported from Excel."""

from __future__ import annotations

import re
from datetime import date

_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_NUMBER = re.compile(r"[1-9]\d{16}[\dX]")
_ACCOUNT = re.compile(r"[A-Za-z0-9_.-]{4,64}")
# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

ACCOUNT_RULE = "账号为4–64位字母、数字或 _ . -"


def valid_account(s: str) -> bool:
    """4–64 characters of A–Z, a–z, 0–9, underscore, dot or hyphen."""
    return bool(_ACCOUNT.fullmatch(s or ""))


def valid_mobile(s: str) -> bool:
    """An 11-digit mainland China mobile number (1[3-9]xxxxxxxxx)."""
    return bool(_MOBILE.fullmatch(s or ""))


def id_number_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_id_number(s: str) -> bool:
    """An 18-character resident ID number (GB 11643): digits, a real birth date no later than
    today, and the right check character (a lower-case x is accepted)."""
    value = (s or "").upper()
    if not _ID_NUMBER.fullmatch(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born.year < 1800 or born > date.today():
        return False
    return id_number_check_char(value[:17]) == value[17]


def normalize_mobile(s: str | None) -> str:
    """Drop spaces (also full-width) and hyphens people type into phone numbers."""
    return re.sub(r"[\s\u3000-]", "", s or "")


def normalize_id_number(s: str | None) -> str:
    """Drop spaces and upper-case the check character."""
    return re.sub(r"[\s\u3000]", "", s or "").upper()


# 统一社会信用代码 (GB 32100-2015): 18 characters from 31 symbols (no I, O, S, V, Z); the last
# is a check character over the first 17.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(s: str | None) -> str:
    """Upper-case, strip spaces; full-width letters and digits folded to ASCII."""
    if not s:
        return ""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in str(s))
    return re.sub(r"\s+", "", folded).upper()


def valid_uscc(s: str) -> bool:
    """A well-formed 统一社会信用代码 whose check character matches."""
    if not _USCC.fullmatch(s or ""):
        return False
    return uscc_check_char(s[:17]) == s[17]
