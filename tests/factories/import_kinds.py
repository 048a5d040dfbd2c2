"""A valid data row of each registered import kind, for the tests of the framework's shared
policies (tests/services/test_import_framework.py)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from infrastructure.validators import id_number_check_char, uscc_check_char
from services.collection.templates import FACT_TEMPLATES
from services.imports.framework import ImportKind
from services.templates_catalogue import TEMPLATES
from tests.factories.directories import make_entity, make_item, uscc
from tests.factories.ledgers import a6_row


def workbook(kind: ImportKind, rows: list[list[Any]], *, title: str | None = None) -> bytes:
    """A file of the kind's template: an optional title row, the header, then ``rows``."""
    wb = Workbook()
    ws = wb.active
    ws.title = kind.template.sheet
    if title is not None:
        ws.append([title])
    ws.append(list(kind.template.titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _auxiliary(n: int) -> list[Any]:
    return [n, "专家学者", f"专家{n}", "四川大学", "", "", "食品安全", ""]


def _joint(n: int) -> list[Any]:
    return [n, f"联合事项{n}", "对象", "甲区市场监督管理局", "甲区卫生健康局", "实地核查", "区县级", "本局事项", ""]


def _check_item(n: int) -> list[Any]:
    return [n, "食品安全", f"抽查事项{n}", "食品生产经营者", "重点检查事项", "书面检查", "甲区市场监督管理局",
            "《食品安全法》", "食品科", "", "区县级", "H", ""]


def _user(n: int) -> list[Any]:
    return [f"import{n:03d}", f"用户{n}", "甲区市场监督管理局", f"137{n:08d}", ""]


def _entity(n: int) -> list[Any]:
    body = f"91510108MA6KJ{n:04d}"
    return [f"甲区导入商行{n}", body + uscc_check_char(body), "", "个体工商户", "", "", "", "510108", "", "", "", "",
            "存续", "", "", "", "", "", "", ""]


def _inspector(n: int) -> list[Any]:
    first17 = f"51010819850312{n:03d}"
    cells = {"序号": n, "姓名": f"人员{n}", "身份证号": first17 + id_number_check_char(first17),
             "电话号码": f"1390000{n:04d}", "单位": "甲区市场监督管理局", "执法检查人员类别": "行政执法类公务员",
             "执法证编号": f"ZF{n:04d}", "执法证有效期起": "2024-01-01", "执法证有效期止": "2030-12-31",
             "在岗状态": "在岗"}
    return [cells.get(t, "") for t in TEMPLATES["A.5"].titles]


def _person_id(n: int) -> str:
    body = f"11010519800101{n:03d}"
    return body + id_number_check_char(body)


# One valid row of each 信息归集 kind, by column title (n varies the natural key).
_FACT_SAMPLES: dict[str, Callable[[int], dict[str, Any]]] = {
    "permit": lambda n: {"许可证编号": f"JY{n:014d}", "许可证名称": "食品经营许可证", "有效期起": "2026-01-05",
                         "有效期止": "2031/1/4"},
    "penalty": lambda n: {"行政处罚决定书文号": f"甲市监罚〔2026〕{n}号", "处罚决定日期": "2026年1月5日",
                          "罚没金额（元）": "伍拾万元"},
    "supervision": lambda n: {"检查日期": "2026-01-05", "监管方式": f"日常监管{n}", "检查结果": "未发现问题"},
    "sanction": lambda n: {"名单类别": "严重违法失信名单", "认定日期": f"2025-01-{n:02d}"},
    "abnormal": lambda n: {"列入日期": f"2025-02-{n:02d}", "列入原因": "未按规定报送年度报告"},
    "capital": lambda n: {"股东（发起人）": f"股东{n}", "认缴出资额（万元）": "50万元", "信息来源": "即时信息"},
    "officer": lambda n: {"姓名": f"人员{n}", "身份证号": _person_id(n), "职务": "监事"},
    "cluster_address": lambda n: {"登记地址": f"甲区科技路{n}号"},
    "complaint": lambda n: {"受理日期": "2026-01-05", "投诉举报事项": f"投诉事项{n}"},
    "lawsuit": lambda n: {"案号": f"（2026）川0108民初{n}号", "诉讼地位": "被告"},
    "other": lambda n: {"信息类别": "股权冻结", "事项": f"冻结股权{n}"},
}


def _fact_row(name: str) -> Callable[[int], list[Any]]:
    def row(n: int) -> list[Any]:
        values = {"统一社会信用代码": uscc("91510108MA6D00001"), **_FACT_SAMPLES[name](n)}
        return [values.get(title, "") for title in FACT_TEMPLATES[name].titles]

    return row


ROWS: dict[str, Callable[[int], list[Any]]] = {
    "users": _user,
    "entities": _entity,
    **{f"facts_{name}": _fact_row(name) for name in _FACT_SAMPLES},
    "auxiliary_inspectors": _auxiliary,
    "joint_items": _joint,
    "check_items": _check_item,
    "conference_ledger": lambda n: a6_row(f"经营者{n}"),
    "inspectors": _inspector,
}

# ------------------------------------------------------------------ libraries and directories
# Their rows name registry entities: SETUP makes those of rows 1 and 2 (and the directory's
# item) and gives the upload's context.


def _code(n: int) -> str:
    return uscc(f"91510108MA6D{n:05d}")  # make_entity's code for entity n


def _a42(n: int) -> list[Any]:
    return [f"甲区测试{n:04d}餐饮有限公司", _code(n), "", ""]


def _library_a41(n: int) -> list[Any]:
    return [f"甲区建设路{n}号", "甲区", "510108001000", "", "", "", "非营利性市场主体", "", "", "", "", "", ""]


def _directory_a41(n: int) -> list[Any]:
    return [f"甲区某路{n}号", "甲区", "510108", "", "", "", "非营利性市场主体", f"甲区协会{n}", "", "", "", "", ""]


def _place(n: int) -> list[Any]:
    return [f"场所{n}", "甲区", "甲区", "甲区商业管理公司", "", "李四", "居民身份证", "", "商场", "", "2019-05-01",
            "50年", f"甲区二环路{n}号", "", "甲区", "法人", "510108"]


ROWS.update({
    "library_a42": _a42,
    "library_a41": _library_a41,
    "directory_a42": _a42,
    "directory_a41": _directory_a41,
    "directory_b1": lambda n: [f"甲区测试{n:04d}餐饮有限公司", _code(n), "甲区建设路1号", "", "", "", ""],
    "directory_b2": _place,
    "directory_b3": lambda n: [f"QS5101-{n:04d}", f"企业{n}", _code(n), "", "", "", "", "", "", ""],
    "campaign_a42": _a42,
    "notice_verify": lambda n: [n, "", _code(n)],  # 发证验证 of registry entities 1 and 2
    "daily_claims": lambda n: [n, f"甲区测试{n:04d}餐饮有限公司", _code(n)],
    "unlicensed_operators": lambda n: [n, f"无照摊点{n}", f"甲区建设路{n}号", "张三", "餐饮", "", "", ""],
})


def _entities(org: Any) -> dict[str, Any]:
    for n in (1, 2):
        make_entity(org.clerk_a, n)
        make_entity(org.clerk_a, 100 + n, entity_type="non_profit", domicile=f"甲区建设路{n}号",
                    industry_code="P8310")
        make_entity(org.clerk_a, 200 + n, name=f"甲区协会{n}", entity_type="non_profit")
    return {}


def _item(org: Any) -> dict[str, Any]:
    _entities(org)
    return {"item_id": make_item(org.bureau_a).id}


def _campaign(org: Any) -> dict[str, Any]:
    from services.campaigns import plans

    _entities(org)
    campaign = plans.create_campaign(org.clerk_a, {
        "title": "导入测试专项整治", "basis": "依据", "scope": "范围", "starts_on": "2026-10-01",
        "ends_on": "2026-12-31", "modes": ["重点监管"]})
    return {"campaign_id": campaign.id}


def _sanction_row(n: int) -> list[Any]:
    return [n, "市场主体", "", _code(n), "严重违法失信企业", f"（2026）川0108执{n}号", "2026-03-01", "2029-03-01"]


def _sanction_list(org: Any) -> dict[str, Any]:
    """A published catalogue entry of a 牵头部门 of district A and a draft list of the bureau."""
    import uuid

    from models import Department, User, UserRole, db
    from models.roles import Role
    from persistence.org import place_department
    from services.sanctions import lists
    from tests.factories.sanctions import Setup

    def department(name: str, parent: Any, region_code: str = "510108") -> Any:
        dept = Department(name=name, parent=parent, level=org.bureau_a.level, kind=org.bureau_a.kind,
                          region_code=region_code)
        db.session.add(dept)
        db.session.flush()
        place_department(dept, parent)
        return dept

    def user(dept: Any, *roles: Any, name: str = "") -> Any:
        made = User(account=f"u{uuid.uuid4().hex[:10]}", name=name, department=dept, password_hash="x",
                    must_change_password=False)
        made.roles = [UserRole(role=str(r)) for r in roles]
        db.session.add(made)
        db.session.flush()
        return made

    _entities(org)
    setup = Setup(org, department, user)
    setup.published()
    assert Role.LEADING_DEPARTMENT in {Role(r.role) for r in setup.lead.roles}
    return {"list_id": lists.create_list(org.clerk_a, "导入测试名单").id}


ROWS["sanction_objects"] = _sanction_row

def _unlicensed_unit(org: Any) -> dict[str, Any]:
    """A 表24 unit of bureau A whose inspectors (clerk_a, given the 执法人员 role) are assigned."""
    from models import UserRole, db, utcnow
    from models.conference import Conference
    from models.roles import Role
    from models.unlicensed import UnlicensedAssignment, UnlicensedCycle, UnlicensedUnit

    org.clerk_a.roles.append(UserRole(role=str(Role.INSPECTOR)))
    conference = Conference(name="导入测试联席会议", office_id=org.office_a.id)
    cycle = UnlicensedCycle(conference=conference, office_id=org.office_a.id, year=2026)
    unit = UnlicensedUnit(cycle=cycle, department_id=org.bureau_a.id, assigned_at=utcnow())
    unit.assignments = [UnlicensedAssignment(user_id=org.clerk_a.id)]
    db.session.add_all([conference, cycle, unit])
    db.session.flush()
    return {"unit_id": unit.id}


SETUP: dict[str, Callable[[Any], dict[str, Any]]] = {
    "sanction_objects": _sanction_list,
    "campaign_a42": _campaign,
    "unlicensed_operators": _unlicensed_unit,
    "library_a42": _entities,
    "library_a41": _entities,
    "notice_verify": _entities,
    "daily_claims": _entities,
    **{name: _item for name in ROWS if name.startswith("directory_")},
}

ROWS["sanction_verify"] = lambda n: [n, f"甲区测试{n:04d}餐饮有限公司", _code(n)]
