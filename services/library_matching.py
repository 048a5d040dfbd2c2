"""How a row of a library upload (表3 按模板导入) finds its entity in the registry: A.4.2 rows
(营利性主体) by 社会信用代码, else by 注册号; A.4.1 rows (非营利性主体/非市场主体, no code
column) by 行政区划编码 and 地址 (the entity's 住所 or 经营场所) among entities of the
机构性质's type, narrowed by 其他名称 (the entity's name) and 法定代表人/负责人 when several share
the address.  Only entities the clerk's registries hold are found (persistence.scope).

The import itself is services/imports/libraries.py; the library, its process and field rules
are services/libraries.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from infrastructure.excel import Row
from models import MarketEntity, User, db
from models.entity import EntityType
from persistence.scope import scope_entities

LOOKUP_CHUNK = 500
NATURE_TYPES = {"非营利性市场主体": EntityType.NON_PROFIT, "非市场主体": EntityType.NON_MARKET}
NOT_IN_REGISTRY = "本辖区市场主体库中没有该代码的主体（请先在市场主体库登记）"
ADDRESS = "地址（住所、经营场所）"
OTHER_NAME = "其他名称（关联主体名称，如主办方等）"

Matches = dict[int, tuple[int, str]]  # spreadsheet row → (entity id, entity name)


def _lookup(actor: User, column: Any, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        query = scope_entities(
            select(MarketEntity.id, MarketEntity.name, column).where(column.in_(keys[i : i + LOOKUP_CHUNK])), actor
        )
        for row in db.session.execute(query):
            found[row[2]] = (row[0], row[1])
    return found


def match_a42(actor: User, rows: list[Row]) -> Matches:
    """The entity of each valid A.4.2 row (an error on the row when there is none)."""
    usccs = sorted({r.values["社会信用代码"] for r in rows if r.valid and r.values.get("社会信用代码")})
    reg_nos = sorted({r.values["注册号"].upper() for r in rows if r.valid and r.values.get("注册号")})
    by_uscc = _lookup(actor, MarketEntity.uscc, usccs)
    by_reg = _lookup(actor, MarketEntity.reg_no, reg_nos)
    matches: Matches = {}
    for r in rows:
        if not r.valid:
            continue
        uscc, reg_no = r.values.get("社会信用代码") or "", (r.values.get("注册号") or "").upper()
        e1 = by_uscc.get(uscc) if uscc else None
        e2 = by_reg.get(reg_no) if reg_no else None
        if e1 and e2 and e1[0] != e2[0]:
            r.add_error("注册号", f"该注册号属于另一主体（{e2[1]}），与社会信用代码不一致")
        elif e1 or e2:
            matches[r.number] = e1 or e2  # type: ignore[assignment]
        else:
            r.add_error("社会信用代码" if uscc else "注册号", NOT_IN_REGISTRY)
    return matches


def _same_text(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _candidates(actor: User, rows: list[Row]) -> dict[str, list[Any]]:
    """Non-profit and non-market entities of the rows' divisions, by division code."""
    codes = sorted({r.values["行政区划编码"] for r in rows if r.valid and r.values.get("行政区划编码")})
    candidates: dict[str, list[Any]] = {}
    for i in range(0, len(codes), LOOKUP_CHUNK):
        query = scope_entities(
            select(
                MarketEntity.id, MarketEntity.name, MarketEntity.division_code, MarketEntity.entity_type,
                MarketEntity.domicile, MarketEntity.business_address, MarketEntity.legal_rep,
            ).where(
                MarketEntity.division_code.in_(codes[i : i + LOOKUP_CHUNK]),
                MarketEntity.entity_type.in_(tuple(NATURE_TYPES.values())),
            ),
            actor,
        )
        for row in db.session.execute(query):
            candidates.setdefault(row.division_code, []).append(row)
    return candidates


def match_a41(actor: User, rows: list[Row]) -> Matches:
    """The entity of each valid A.4.1 row (an error on the row when none, or several, fit)."""
    candidates = _candidates(actor, rows)
    matches: Matches = {}
    for r in rows:
        if not r.valid:
            continue
        wanted = NATURE_TYPES[r.values["机构性质"]]
        address = r.values[ADDRESS]
        found = [
            c
            for c in candidates.get(r.values["行政区划编码"], [])
            if c.entity_type == wanted
            and (_same_text(c.domicile, address) or _same_text(c.business_address, address))
        ]
        other = r.values.get(OTHER_NAME) or ""
        if len(found) > 1 and other:
            found = [c for c in found if _same_text(c.name, other)] or found
        person = r.values.get("法定代表人/负责人") or ""
        if len(found) > 1 and person:
            found = [c for c in found if _same_text(c.legal_rep, person)] or found
        if not found:
            r.add_error(
                ADDRESS,
                f"本辖区市场主体库中没有该行政区划下此地址的{r.values['机构性质']}（地址须与登记的住所或经营场所一致）",
            )
        elif len(found) > 1:
            r.add_error(OTHER_NAME, "该地址有多个主体（" + "、".join(c.name for c in found[:3]) + "），请在此列填写主体名称以区分")
        else:
            matches[r.number] = (found[0].id, found[0].name)
    return matches
