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

_WIDTH = str.maketrans({"（": "(", "）": ")", "；": ";", "，": ",", "：": ":", "、": "、"})
_SPACE = re.compile(r"\s+")
_TRAILING_NOTE = re.compile(r"^(.+?)\([^()]*\)$")


def normalise(text: str) -> str:
    return _SPACE.sub("", (text or "").translate(_WIDTH))


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
        # (key, its items) longest first, so the phrase recorded for an item is the most specific
        self._keys = sorted(keys.items(), key=lambda kv: -len(kv[0]))

    @classmethod
    def from_catalogue(cls) -> Matcher:
        rows = db.session.execute(select(LicenceItem.id, LicenceItem.phrases).where(LicenceItem.active.is_(True)))
        return cls((ident, p) for ident, text in rows for p in (text or "").splitlines() if p.strip())

    def match(self, scope: str) -> list[Hit]:
        """The items ``scope`` matches, each once (with the first phrase that matched it)."""
        text = normalise(scope)
        if not text:
            return []
        found: dict[int, Hit] = {}
        for key, items in self._keys:
            if key in text:
                for item_id, phrase in items:
                    found.setdefault(item_id, Hit(item_id, phrase))
        return list(found.values())
