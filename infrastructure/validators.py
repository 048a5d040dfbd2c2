"""Format checks for personal data entered by administrators or imported from Excel."""

from __future__ import annotations

import re
from datetime import date
from operator import mul

from infrastructure import clock

_MOBILE = re.compile(r"1[3-9]\d{9}")
_FULL_WIDTH_DIGITS = {**{c: c - 0xFEE0 for c in range(ord("０"), ord("９") + 1)}, ord("＋"): "+"}
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
    if born.year < 1800 or born > clock.china_today():
        return False
    return id_number_check_char(value[:17]) == value[17]


MOBILE_RULE = "应为11位大陆手机号码（可带 +86 或 0086，空格和短横线不影响）"
# Spaces (also full-width), ASCII and full-width hyphens and dashes, and the brackets of
# "(+86)"; the country prefix is dropped only when 11 digits follow it.
_MOBILE_NOISE = re.compile(r"[\s\u3000\-—–－﹣‐()（）]")
_COUNTRY_PREFIX = re.compile(r"^(?:\+|00)86(?=\d{11}$)")


def normalize_mobile(s: str | None) -> str:
    """The one normaliser of mobile numbers (forms, every import, the phone columns): full-width
    digits and plus folded, spaces, dashes and brackets dropped, then a +86/0086 country prefix
    dropped: "+86 138-0000-0021", "0086-13800000021" and "138 0000 0021" all give 13800000021."""
    if not s:
        return ""
    value = _MOBILE_NOISE.sub("", str(s).translate(_FULL_WIDTH_DIGITS))
    return _COUNTRY_PREFIX.sub("", value)


def parse_mobile(s: str | None) -> str:
    """The normalised mobile number, "" for a blank one; ValueError(MOBILE_RULE) when it is
    not a mainland mobile number."""
    value = normalize_mobile(s)
    if value and not valid_mobile(value):
        raise ValueError(MOBILE_RULE)
    return value


def normalize_id_number(s: str | None) -> str:
    """Drop spaces, fold full-width digits and letters to ASCII, upper-case the check character."""
    return re.sub(r"\s+", "", str(s or "").translate(_FULL_WIDTH)).upper()


def upgrade_id_number(s: str) -> str:
    """A 15-digit 身份证号 of the first generation as its 18-digit form (century 19 inserted
    after the 6-digit division code, GB 11643 check character added); anything else as given."""
    if len(s) == 15 and s.isdigit():
        first17 = s[:6] + "19" + s[6:]
        return first17 + id_number_check_char(first17)
    return s


def normalize_code(s: str | None) -> str:
    """A 统一社会信用代码 or a 身份证号 as stored and compared: spaces dropped, full-width folded,
    upper-cased (x → X), a 15-digit old ID number upgraded to 18 digits."""
    return upgrade_id_number(normalize_id_number(s))


# 统一社会信用代码 (GB 32100-2015): 18 characters from 31 symbols (no I, O, S, V, Z); the last
# is a check character over the first 17.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARSET)}
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(ord("！"), ord("～") + 1)}


def uscc_check_char(first17: str) -> str:
    # A lookup table and map(): this runs once per row of a 100,000-row import.
    if len(first17) != 17:
        raise ValueError("uscc_check_char needs the first 17 characters")
    try:
        total = sum(map(mul, map(_USCC_VALUES.__getitem__, first17), _USCC_WEIGHTS))
    except KeyError as exc:
        raise ValueError(f"not a USCC character: {exc}") from None
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(s: str | None) -> str:
    """Upper-case, strip spaces; full-width letters and digits folded to ASCII."""
    if not s:
        return ""
    return re.sub(r"\s+", "", str(s).translate(_FULL_WIDTH)).upper()


def valid_uscc(s: str) -> bool:
    """A well-formed 统一社会信用代码 whose check character matches."""
    if not _USCC.fullmatch(s or ""):
        return False
    return uscc_check_char(s[:17]) == s[17]


# Telephone numbers (one implementation for forms, the Excel toolkit and the registry import).
#
# * Mobile: 11 digits, 1[3-9]xxxxxxxxx.
# * Landline: the area code (0 and 2 or 3 digits: 010 and 020–029 are the large cities, whose
#   local numbers have 8 digits; 0[3-9]xx have 7 or 8), then the local (subscriber) number,
#   which never begins with 0 or 1: 0 is the trunk prefix that dialling an area code starts
#   with, and 1 opens the special-service and short numbers (110, 114, 12345, 12315 …), so a
#   local number beginning with 1 is not one anybody can be called on.  028-12345678 is
#   therefore refused (a typing placeholder); 028-86123456 is a number.  An extension of 1–6
#   digits may follow ("-801", "转801", "ext 801").
# * Service: 400 and 800 numbers, 10 digits (400-820-8820).
_LANDLINE_BIG = re.compile(r"(0(?:10|2\d))-?([2-9]\d{7})(?:-(\d{1,6}))?")
_LANDLINE_OTHER = re.compile(r"(0[3-9]\d{2})-?([2-9]\d{6,7})(?:-(\d{1,6}))?")
_SERVICE = re.compile(r"([48]00)-?(\d{3})-?(\d{4})")
# The canonical forms canonical_phone returns (the fast path of a bulk import).
_CANONICAL_PHONE = re.compile(r"1[3-9]\d{9}|0(?:10|2\d)-[2-9]\d{7}|0[3-9]\d{2}-[2-9]\d{6,7}")
_PHONE_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "﹣": "-", "‐": "-"})

PHONE_RULE = "应为11位手机号码，或“区号-号码[-分机]”格式的固定电话（如 028-86123456、0817-2234567-801），或400/800号码"


def normalize_phone(s: str | None) -> str:
    """Fold full-width digits and dashes, drop spaces, read "(028)86123456" as 028-86123456,
    "转801" as an extension, and drop a +86/0086 country prefix."""
    if not s:
        return ""
    folded = "".join(chr(ord(c) - 0xFEE0) if "０" <= c <= "９" else c for c in str(s))
    value = re.sub(r"[\s\u3000]", "", folded.translate(_PHONE_DASHES))
    value = re.sub(r"^[(（](0\d{2,3})[)）]-?", r"\1-", value)
    value = re.sub(r"(?:转|ext\.?|x)(\d{1,6})$", r"-\1", value, flags=re.IGNORECASE)
    value = re.sub(r"^(?:\+|00)86-?", "", value)
    return re.sub(r"-{2,}", "-", value).strip("-")


def canonical_phone(s: str | None) -> str | None:
    """One telephone number in its canonical form (13812345678, 028-86123456,
    0817-2234567-801, 400-820-8820), or None when it is not one (the rules above)."""
    if s and _CANONICAL_PHONE.fullmatch(s):
        return s
    mobile = normalize_mobile(s)
    if _MOBILE.fullmatch(mobile):
        return mobile
    value = normalize_phone(s)
    if not value:
        return None
    m = _LANDLINE_BIG.fullmatch(value) or _LANDLINE_OTHER.fullmatch(value)
    if m:
        return f"{m.group(1)}-{m.group(2)}" + (f"-{m.group(3)}" if m.group(3) else "")
    m = _SERVICE.fullmatch(value)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return None


def valid_phone(s: str) -> bool:
    """A mobile number, a landline with its area code (028-86123456, 0817-2234567-801) or a
    400/800 number; spaces, brackets and full-width characters are tolerated.  A local
    number beginning with 0 or 1 is refused (see the rules above)."""
    return canonical_phone(s) is not None


# 行政区划代码: 6 digits (county level, GB/T 2260), 9 (township, GB/T 10114) or 12 (village,
# the statistical division code).
_DIVISION = re.compile(r"[1-9]\d{5}(?:\d{3}(?:\d{3})?)?")


def valid_division_code(s: str) -> bool:
    """A 6-, 9- or 12-digit administrative division code."""
    return bool(_DIVISION.fullmatch(s or ""))
