"""A fact kind's record check compiled into one function (services/collection/fields.py).

``FactKind.check`` reads each field through its parser, then the subject, then the kind's
rules.  An import or an exchange checks 100,000s of records, and the generic loop paid per
field for the plan's tuple, a parser call or two (``partial`` → parse.py → infrastructure), a
``FieldError`` handler and the rules' closures — a third of an ingest's time.  ``compile_check``
writes the same steps out as straight-line Python per kind, once: each field read by key then
by label, the usual value checked inline (a stripped str within its length; an ISO date; a
choice already folded), anything else handed to
the field's own parser, whose messages therefore stay the only ones; then the subject and the
rules (not_future's "today" taken once per batch, not once per record).  The result is the same
``Checked`` as the generic loop's, value for value and message for message
(tests/services/test_collection_compiled.py compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Any

from infrastructure.excel.cells import fold_width
from services.collection import parse as p

MISSING = object()
MEMO = 65_536  # readings kept per field (dates, amounts)


def _blank(parse: Callable[[Any], Any]) -> tuple[Any] | None:
    """(the parser's value for None,) when it gives the same for "" — every parser of fields.py
    does (None, or "" for text) — else None (then the parser reads blanks too)."""
    try:
        none, empty = parse(None), parse("")
    except (ValueError, TypeError, AttributeError):
        return None
    return (none,) if none == empty and type(none) is type(empty) else None


def _fast_paths(i: int, key: str, func: Any, kw: dict[str, Any], env: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(condition, body) of the usual values of a field, tried in order before its parser."""
    if func is p.parse_text:  # never memoised: stripping is cheaper than a lookup
        limit = int(kw["max_length"])
        return [("v.__class__ is str", ["v = v.strip()", f"if len(v) > {limit}: errors.setdefault("
                                        f"{key!r}, f'不能超过{limit}个字（现有{{len(v)}}个）'); v = M"])]
    paths = []
    if func in (p.parse_date, p.parse_amount):  # pure readings of a few thousand distinct texts
        env[f"C{i}"] = {}
        paths.append((f"v.__class__ is str and (d := C{i}.get(v)) is not None", ["v = d"]))
    if func is p.parse_date:
        paths.append(("v.__class__ is str and len(v) == 10 and v[4] == '-' == v[7] and v.isascii() and "
                      "'1900' <= v[:4] <= '2100' and v[:4].isdigit() and (d := iso(v)) is not None", ["v = d"]))
    elif func is p.parse_choice:
        env[f"A{i}"] = {re.sub(r"\s+", "", fold_width(c)): c for c in kw["choices"]}  # parse_enum's reading
        paths.append((f"v.__class__ is str and v in A{i}", [f"v = A{i}[v]"]))
    return paths


def _field_code(i: int, key: str, label: str, parse: Callable[[Any], Any], required: bool, default: Any,
                env: dict[str, Any]) -> list[str]:
    """The lines that read and check one field into ``values`` / ``errors``: a chain of
    ``if`` (blank) / ``elif`` (the usual values, inline) / ``else`` (the field's parser)."""
    env[f"P{i}"], env[f"D{i}"] = parse, default
    func = parse.func if isinstance(parse, partial) else parse
    kw = parse.keywords if isinstance(parse, partial) else {}
    branches = _fast_paths(i, key, func, kw, env)
    blank = _blank(parse)
    if blank is not None:  # an absent or empty value: what the parser gives for it, without a call
        env[f"B{i}"] = blank[0]
        branches.insert(0, ("v is None or v == ''", [f"v = B{i}"]))
    lines = [f"    v = get({key!r}, M)", f"    if v is M: v = get({label!r})"]
    for n, (condition, body) in enumerate(branches):
        lines += [f"    {'elif' if n else 'if'} {condition}:", *(f"        {b}" for b in body)]
    memo = f"            if v.__class__ is str and w is not None and len(C{i}) < {MEMO}: C{i}[v] = w" \
        if f"C{i}" in env else ""
    lines += ["    else:" if branches else "    if True:", f"        try: w = P{i}(v)",
              f"        except FieldError as exc: errors.setdefault({key!r}, exc.message); v = M",
              "        else:", *([memo] if memo else []), "            v = w",
              "    if v is not M:"]
    if default is not None or required:
        lines += ["        if v is None or v == '':"]
    if default is not None:
        lines += [f"            v = D{i}"]
    if required:
        lines += [f"            if v is None or v == '': errors.setdefault({key!r}, '必填'); v = M"]
    lines += [f"        if v is not M: values[{key!r}] = v"]
    return lines


def _iso(text: str) -> date | None:
    """2024-01-05 as a date, None when it is no real day (then the parser says what is wrong)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _rule_code(j: int, rule: Any, env: dict[str, Any]) -> list[str]:
    """The lines of one rule: the shared rules of fields.py inlined, any other called."""
    shape = getattr(rule, "shape", None)
    if shape is not None and shape[0] == "not_future":
        return [f"    x = values.get({k!r})\n    if x and x > today: errors.setdefault({k!r}, '不能晚于今天')"
                for k in shape[1]]
    if shape is not None and shape[0] == "not_before":
        later, earlier, message = shape[1:]
        return [f"    x = values.get({later!r}); y = values.get({earlier!r})",
                f"    if x and y and x < y: errors.setdefault({later!r}, {message!r})"]
    if shape is not None and shape[0] == "requires":
        key, needed, message = shape[1:]
        return [f"    if values.get({key!r}) and not values.get({needed!r}): errors.setdefault({key!r}, {message!r})"]
    env[f"R{j}"] = rule
    return [f"    for k, message in R{j}(values): errors.setdefault(k, message)"]


def compile_check(kind: Any, checked: type, check_subject: Callable[..., None],
                  today_of: Callable[[], date]) -> Callable[[Mapping[str, Any], date | None], Any]:
    """``check(record, today=None) -> Checked`` of ``kind`` (a fields.FactKind, passed in with
    its ``Checked`` and ``check_subject``: this module imports nothing of fields.py), today
    being the China date of the batch."""
    env: dict[str, Any] = {"M": MISSING, "FieldError": p.FieldError, "iso": _iso, "Checked": checked,
                           "subject": partial(check_subject, kind), "today_of": today_of}
    body = ["def check(record, today=None):", "    values = {}", "    errors = {}", "    get = record.get"]
    for i, f in enumerate(kind.all_fields):
        body += _field_code(i, f.key, f.label, f.parse, f.required, f.default, env)
    if kind.subject == "entity":  # fields.check_subject, inlined for the usual subject
        body += ["    if not (values.get('uscc') or values.get('reg_no') or values.get('entity_name')"
                 " or 'uscc' in errors or 'reg_no' in errors or 'entity_name' in errors):",
                 "        errors.setdefault('uscc', '统一社会信用代码、注册号、市场主体名称至少填写一项')"]
    else:
        body += ["    subject(values, errors)"]
    if any(getattr(r, "shape", ("",))[0] == "not_future" for r in kind.rules):
        body += ["    if today is None: today = today_of()"]
    for j, rule in enumerate(kind.rules):
        body += _rule_code(j, rule, env)
    body += ["    return Checked(values, errors)"]
    exec(compile("\n".join(body), f"<check of {kind.name}>", "exec"), env)  # noqa: S102 (our own text)
    return env["check"]  # type: ignore[no-any-return]
