"""Resource ``entities``: a market entity's basic information by 统一社会信用代码 or 注册号.

Data minimisation: ``entities:read`` gives the identity (name, codes, type, status); each part
adds fields — ``entities.address:read`` the registered and business addresses,
``entities.legal_rep:read`` the legal representative, ``entities.detail:read`` the
establishment date, capital, industry, division and business scope.  A client sees the entities
of its department's area only (persistence.scope.scope_entities, ``find``), as a user of that department
would; another area's entity is not found.  The credit-risk grade is never returned.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, or_, select

from models import Department, MarketEntity, db
from persistence.org import region_root
from services.api.problems import ApiProblem
from services.api.registry import READ, Call, Operation, Param, Reply, Resource, register

CODE_RE = re.compile(r"^[0-9A-Z]{1,30}$")
MAX_CODES = 100

PARTS = {"address": "注册地址和经营地址", "legal_rep": "法定代表人", "detail": "成立日期、注册资本、行业、区划和经营范围"}


def _text(description: str, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "description": description}


ENTITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "市场主体基本信息；除标识字段外，只返回凭证授权范围内的字段",
    "required": ["name", "uscc", "reg_no", "entity_type", "status"],
    "additionalProperties": False,
    "properties": {
        "name": _text("名称"),
        "uscc": _text("统一社会信用代码", True),
        "reg_no": _text("注册号", True),
        "entity_type": _text("市场主体类型"),
        "status": _text("登记状态（存续、吊销、注销、迁出）"),
        "domicile": _text("住所（注册地址）；entities.address"),
        "business_address": _text("经营地址；entities.address"),
        "legal_rep": _text("法定代表人（负责人、经营者）；entities.legal_rep"),
        "established_on": {"type": ["string", "null"], "format": "date", "description": "成立日期；entities.detail"},
        "registered_capital": {"type": ["string", "null"], "description": "注册资本（万元）；entities.detail"},
        "industry": _text("行业；entities.detail"),
        "division": _text("行政区划；entities.detail"),
        "business_scope": _text("经营范围；entities.detail"),
    },
}

SCHEMAS = {
    "Entity": ENTITY_SCHEMA,
    "EntityList": {
        "type": "object",
        "required": ["items", "not_found"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Entity"}},
            "not_found": {"type": "array", "items": {"type": "string"}, "description": "未找到的代码"},
        },
    },
}


def entity_record(entity: Any, parts: frozenset[str]) -> dict[str, Any]:
    """The fields of one entity that ``parts`` grant (a MarketEntity, or a row of COLUMNS)."""
    out: dict[str, Any] = {
        "name": entity.name,
        "uscc": entity.uscc or None,
        "reg_no": entity.reg_no or None,
        "entity_type": entity.entity_type.label,
        "status": entity.status.label,
    }
    if "address" in parts:
        out["domicile"] = entity.domicile
        out["business_address"] = entity.business_address
    if "legal_rep" in parts:
        out["legal_rep"] = entity.legal_rep
    if "detail" in parts:
        out["established_on"] = entity.established_on.isoformat() if entity.established_on else None
        capital = entity.registered_capital
        out["registered_capital"] = format(capital.normalize(), "f") if capital is not None else None
        out["industry"] = " ".join(x for x in (entity.industry_code, entity.industry_name) if x)
        out["division"] = " ".join(x for x in (entity.division_code, entity.division_name) if x)
        out["business_scope"] = entity.business_scope
    return out


def normalise(code: str) -> str:
    return (code or "").strip().upper()


_AREAS: dict[str, str] = {}  # a department's path → the path of its area (persistence.org.region_root)


def area_path(department: Department) -> str:
    """The path of the department's area, remembered by the department's own path (a department
    moved elsewhere has another path): one query less on every call."""
    found = _AREAS.get(department.path)
    if found is None:
        if len(_AREAS) > 10_000:
            _AREAS.clear()
        found = _AREAS[department.path] = region_root(department).path
    return found


_ENTITY = MarketEntity.__table__.c
# What entity_record reads: a lookup selects these columns on the Core, no ORM object.
COLUMNS = (_ENTITY.id, _ENTITY.name, _ENTITY.uscc, _ENTITY.reg_no, _ENTITY.entity_type, _ENTITY.status,
           _ENTITY.domicile, _ENTITY.business_address, _ENTITY.legal_rep, _ENTITY.established_on,
           _ENTITY.registered_capital, _ENTITY.industry_code, _ENTITY.industry_name, _ENTITY.division_code,
           _ENTITY.division_name, _ENTITY.business_scope)


def _area(call: Call) -> str:
    """The path of the client's area; the client snapshot's department path finds it without
    loading the account (services/api/clients.py)."""
    path = getattr(call.credential, "department_path", None)
    found = _AREAS.get(path) if path else None
    return found if found is not None else area_path(call.user.department)


def _where(call: Call, wanted: list[str]) -> Any:
    return (or_(_ENTITY.uscc.in_(wanted), _ENTITY.reg_no.in_(wanted)),
            Department.__table__.c.path.startswith(_area(call)))


_DEPARTMENT = Department.__table__.c
# Built once: a lookup binds the codes and the area's path (no statement built per call).
_FIND = (select(*COLUMNS).join(Department.__table__, _ENTITY.department_id == _DEPARTMENT.id)
         .where(or_(_ENTITY.uscc.in_(bindparam("by_uscc", expanding=True)),
                    _ENTITY.reg_no.in_(bindparam("by_reg_no", expanding=True))),
                _DEPARTMENT.path.startswith(bindparam("area"))))


def _by_code(rows: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entity in rows:
        for code in (entity.uscc, entity.reg_no):
            if code:
                found[code] = entity
    return found


def find(call: Call, codes: list[str]) -> dict[str, Any]:
    """The entities of the client's area with these codes (统一社会信用代码 or 注册号), by code,
    as rows of COLUMNS: persistence.scope.scope_entities as one join."""
    wanted = [c for c in codes if CODE_RE.match(c)]
    if not wanted:
        return {}
    return _by_code(db.session.connection().execute(  # the Core statement on the session's connection
        _FIND, {"by_uscc": wanted, "by_reg_no": wanted, "area": _area(call)}))


def find_entities(call: Call, codes: list[str]) -> dict[str, MarketEntity]:
    """``find`` as ORM objects, for the handlers that write about the entity (表34)."""
    wanted = [c for c in codes if CODE_RE.match(c)]
    if not wanted:
        return {}
    return _by_code(db.session.execute(
        select(MarketEntity).join(Department, MarketEntity.department_id == Department.id)
        .where(*_where(call, wanted))).scalars())


def get_one(call: Call) -> Reply:
    code = normalise(call.params["code"])
    entity = find(call, [code]).get(code)
    if entity is None:
        raise ApiProblem("entity-not-found", f"本区域市场主体库中未找到统一社会信用代码或注册号为“{code[:30]}”的市场主体")
    call.touched.append(entity.uscc or entity.reg_no or str(entity.id))
    return Reply(entity_record(entity, call.parts))


def search(call: Call) -> Reply:
    raw = call.query.get("codes", "")
    codes = list(dict.fromkeys(normalise(c) for c in re.split(r"[,，\s]+", raw) if c.strip()))
    if not codes:
        raise ApiProblem("invalid-request", "请用 codes 参数给出统一社会信用代码或注册号，以逗号分隔")
    if len(codes) > MAX_CODES:
        raise ApiProblem("invalid-request", f"一次最多查询{MAX_CODES}个代码")
    found = find(call, codes)
    items, missing, seen = [], [], set()
    for code in codes:
        entity = found.get(code)
        if entity is None:
            missing.append(code)
        elif entity.id not in seen:
            seen.add(entity.id)
            items.append(entity_record(entity, call.parts))
            call.touched.append(entity.uscc or entity.reg_no or str(entity.id))
    return Reply({"items": items, "not_found": missing})


RESOURCE = register(Resource(
    name="entities",
    title="市场主体基本信息",
    tag_description="按统一社会信用代码或注册号查询本区域市场主体的基本信息（按授权范围最小化返回字段）",
    parts=PARTS,
    whole_covers_parts=False,
    schemas=SCHEMAS,
    operations=(
        Operation("GET", "/entities/{code}", READ, "按代码查询一个市场主体", get_one, "Entity",
                  params=(Param("code", "path", "统一社会信用代码或注册号", required=True),), problems=(404,),
                  pure=True),
        Operation("GET", "/entities", READ, "按代码列表批量查询市场主体（最多100个）", search, "EntityList",
                  params=(Param("codes", "query", "统一社会信用代码或注册号，以逗号分隔", required=True),),
                  problems=(400,), pure=True),
    ),
))
