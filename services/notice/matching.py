"""Matching a 经营范围 against the 先照后证 catalogue (the rule, docs/notice.md).

The rule: an item matches a scope when one of its 经营范围规范表述 phrases occurs in the scope
text, both normalised the same way —

* whitespace removed, full-width parentheses and punctuation read as their half-width forms
  （）→ (), ；→ ;, ，→ , (so "娱乐场所（歌舞娱乐场所）" and "娱乐场所(歌舞娱乐场所)" are alike);
* a phrase's trailing parenthesised qualifier is a note, not part of what must appear:
  "林区木材经营(加工)" matches a scope that says 林区木材经营, "消毒产品生产(除一次性使用医疗用品)"
  one that says 消毒产品生产; a parenthesis inside a phrase stays ("道路运输站(场)经营").

Items without a phrase (不指定, 按商务部门批准内容核定, or a blank cell) never match; inactive
items are left out.  The matcher is built once from the catalogue (about 150 phrases) and then
asked per scope with plain substring tests, which is what makes 100,000 scopes a few seconds
(bench/notice.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from models import LicenceItem, db

_WIDTH = (("（", "("), ("）", ")"), ("；", ";"), ("，", ","), ("：", ":"))
_TRAILING_NOTE = re.compile(r"^(.+?)\([^()]*\)$")


def normalise(text: str) -> str:
    """Whitespace dropped, full-width punctuation read as half-width (str.replace: a translate
    table over non-ASCII text costs five times as much)."""
    text = "".join((text or "").split())
    for wide, narrow in _WIDTH:
        if wide in text:
            text = text.replace(wide, narrow)
    return text


def match_key(phrase: str) -> str:
    """What must occur in a scope for ``phrase`` to match (see the module's docstring)."""
    key = normalise(phrase)
    trailing = _TRAILING_NOTE.match(key)
    if trailing and not key.startswith("("):
        head = trailing.group(1)
        # "道路运输站(场)经营" ends with 经营, not with ")": only a final qualifier is dropped
        key = head
    return key


@dataclass(frozen=True)
class Hit:
    item_id: int
    phrase: str


class Matcher:
    """The catalogue's phrases, loaded once: ``match(scope)`` gives the items a scope names."""

    def __init__(self, phrases: Iterable[tuple[int, str]]) -> None:
        keys: dict[str, list[tuple[int, str]]] = {}
        for item_id, phrase in phrases:
            key = match_key(phrase)
            if key:
                keys.setdefault(key, []).append((item_id, phrase))
        # by first character, each group longest first: a scope is tested only against the keys
        # that begin with one of its characters (a few of 150); an item records the first phrase found
        self._by_first: dict[str, list[tuple[str, list[tuple[int, str]]]]] = {}
        for key, items in sorted(keys.items(), key=lambda kv: -len(kv[0])):
            self._by_first.setdefault(key[0], []).append((key, items))
        # one alternation of every key: most scopes name no item, and one regex search (in C)
        # says so at a quarter of the cost of the per-key tests
        self._any = re.compile("|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))) if keys else None

    @classmethod
    def from_catalogue(cls) -> Matcher:
        rows = db.session.execute(select(LicenceItem.id, LicenceItem.phrases).where(LicenceItem.active.is_(True)))
        return cls((ident, p) for ident, text in rows for p in (text or "").splitlines() if p.strip())

    def match(self, scope: str) -> list[Hit]:
        """The items ``scope`` matches, each once (with the first phrase that matched it)."""
        text = normalise(scope)
        if not text or self._any is None or self._any.search(text) is None:
            return []
        found: dict[int, Hit] = {}
        by_first = self._by_first
        for ch in set(text).intersection(by_first):
            for key, items in by_first[ch]:
                if key in text:
                    for item_id, phrase in items:
                        if item_id not in found:
                            found[item_id] = Hit(item_id, phrase)
        return sorted(found.values(), key=lambda h: h.item_id)
