"""The demo district (`flask demo`): a city bureau and one district with its departments,
a joint-conference office, users for every role, and 市法院 as an API client.  Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models import Department, User, UserRole, db
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from services import audit
from services.auth import set_password
from services.org import place_department
from services.passwords import generate_password

CITY = "成都市"
DISTRICT = "成华区"

# (name, level, kind, region code, children)
TREE: tuple = (
    CITY, DepartmentLevel.CITY, DepartmentKind.GOVERNMENT, "510100", [
        ("成都市市场监督管理局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510100", [
            ("信用监督管理处", DepartmentLevel.SECTION, DepartmentKind.SUPERVISION, "510100", []),
            ("执法稽查处", DepartmentLevel.SECTION, DepartmentKind.SUPERVISION, "510100", []),
        ]),
        ("成都市中级人民法院", DepartmentLevel.BUREAU, DepartmentKind.EXTERNAL, "510100", []),
        (DISTRICT, DepartmentLevel.DISTRICT, DepartmentKind.GOVERNMENT, "510108", [
            ("成华区市场监督管理局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", [
                ("信用监督管理科", DepartmentLevel.SECTION, DepartmentKind.SUPERVISION, "510108", []),
                ("食品安全监督管理科", DepartmentLevel.SECTION, DepartmentKind.SUPERVISION, "510108", []),
                ("猛追湾市场监管所", DepartmentLevel.STATION, DepartmentKind.SUPERVISION, "510108", []),
                ("府青路市场监管所", DepartmentLevel.STATION, DepartmentKind.SUPERVISION, "510108", []),
                ("双桥子市场监管所", DepartmentLevel.STATION, DepartmentKind.SUPERVISION, "510108", []),
            ]),
            ("成华区卫生健康局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区应急管理局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区生态环境局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区文化广电旅游局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区消防救援大队", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区发展和改革局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区商务局", DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION, "510108", []),
            ("成华区“双随机、一公开”监管联席会议办公室", DepartmentLevel.BUREAU,
             DepartmentKind.CONFERENCE_OFFICE, "510108", []),
        ]),
    ],
)

# (account, name, department, roles, mobile)
USERS: tuple[tuple[str, str, str, tuple[Role, ...], str], ...] = (
    ("xitong", "冯志刚", CITY, (Role.SYSTEM_ADMIN,), "13880000001"),
    ("anquan", "蒋丽华", CITY, (Role.SECURITY_ADMIN,), "13880000002"),
    ("shenji", "彭建军", CITY, (Role.AUDITOR,), "13880000003"),
    ("chxitong", "邓晓东", DISTRICT, (Role.SYSTEM_ADMIN,), "13880000004"),
    ("chanquan", "曾雪梅", DISTRICT, (Role.SECURITY_ADMIN,), "13880000005"),
    ("shixinyong", "杨文静", "信用监督管理处", (Role.CLERK,), "13880000006"),
    ("wangxy", "王晓燕", "成华区市场监督管理局", (Role.CLERK,), "13880000011"),
    ("lijg", "李建国", "成华区市场监督管理局", (Role.DEPT_LEADER,), "13880000012"),
    ("zhangl", "张磊", "信用监督管理科", (Role.CLERK,), "13880000013"),
    ("chenzq", "陈志强", "猛追湾市场监管所", (Role.INSPECTOR,), "13880000014"),
    ("liuf", "刘芳", "猛追湾市场监管所", (Role.INSPECTOR,), "13880000015"),
    ("huangyh", "黄雨涵", "府青路市场监管所", (Role.INSPECTOR, Role.CLERK), "13880000016"),
    ("zhaom", "赵敏", "成华区卫生健康局", (Role.CLERK,), "13880000021"),
    ("sunw", "孙伟", "成华区卫生健康局", (Role.DEPT_LEADER,), "13880000022"),
    ("zhouj", "周杰", "成华区卫生健康局", (Role.INSPECTOR,), "13880000023"),
    ("wul", "吴磊", "成华区应急管理局", (Role.CLERK,), "13880000031"),
    ("xuq", "徐倩", "成华区应急管理局", (Role.DEPT_LEADER,), "13880000032"),
    ("mah", "马浩", "成华区生态环境局", (Role.CLERK,), "13880000041"),
    ("huy", "胡颖", "成华区文化广电旅游局", (Role.CLERK, Role.MEMBER_LIAISON), "13880000051"),
    ("guoq", "郭强", "成华区消防救援大队", (Role.CLERK,), "13880000061"),
    ("hej", "何静", "成华区发展和改革局", (Role.LEADING_DEPARTMENT, Role.CLERK), "13880000071"),
    ("huangt", "黄涛", "成华区商务局", (Role.MEMBER_LIAISON, Role.CLERK), "13880000081"),
    ("zhengh", "郑红", "成华区“双随机、一公开”监管联席会议办公室", (Role.CONFERENCE_OFFICE,), "13880000091"),
    ("court_api", "市法院接口", "成都市中级人民法院", (Role.API_CLIENT,), ""),
)


@dataclass(frozen=True)
class CreatedAccount:
    account: str
    name: str
    roles: str
    department: str
    password: str


def _build(node: tuple, parent: Department | None, sort: int, by_name: dict[str, Department]) -> None:
    name, level, kind, region, children = node
    dept = Department(name=name, level=level, kind=kind, region_code=region, sort_order=sort, parent=parent)
    db.session.add(dept)
    db.session.flush()
    place_department(dept, parent)
    by_name[name] = dept
    for i, child in enumerate(children):
        _build(child, dept, i, by_name)


def load_demo(reset_passwords: bool = False) -> list[CreatedAccount]:
    """Create the demo district once; return the accounts created (or reset) with passwords."""
    existing = db.session.execute(select(Department).where(Department.name == CITY)).scalar_one_or_none()
    created: list[CreatedAccount] = []
    if existing is None:
        by_name: dict[str, Department] = {}
        _build(TREE, None, 0, by_name)
        for account, name, dept_name, roles, mobile in USERS:
            user = User(account=account, name=name, department=by_name[dept_name], mobile=mobile)
            password = generate_password()
            set_password(user, password, temporary=True)
            user.roles = [UserRole(role=str(r)) for r in roles]
            db.session.add(user)
            created.append(_row(user, dept_name, roles, password))
        db.session.flush()
        audit.record("create", object_type="demo", summary={"部门": len(by_name), "用户": len(USERS)})
        load_directory_demo()
        return created
    load_directory_demo()
    if reset_passwords:
        accounts = {u[0]: u for u in USERS}
        for user in db.session.execute(select(User).where(User.account.in_(accounts))).scalars():
            password = generate_password()
            set_password(user, password, temporary=True)
            _, _, dept_name, roles, _ = accounts[user.account]
            created.append(_row(user, dept_name, roles, password))
        audit.record("password_reset", object_type="demo", summary={"用户": len(created)})
    return created


def _row(user: User, dept_name: str, roles: tuple[Role, ...], password: str) -> CreatedAccount:
    return CreatedAccount(user.account, user.name, "、".join(r.label for r in roles), dept_name, password)


# ------------------------------------------------------------------ 检查对象名录库 (表15)

DEMO_ITEM = "餐饮服务食品安全监督检查"
DEMO_ENTITIES = (
    # (name, uscc body of 17 characters, industry, grade)
    ("成都蓉华餐饮管理有限公司", "91510108MA6DEM001", "H6210", "B"),
    ("成都锦城小吃店", "92510108MA6DEM002", "H6291", "C"),
    ("成都天府火锅有限公司", "91510108MA6DEM003", "H6210", "A"),
    ("成都青城茶餐厅", "92510108MA6DEM004", "H6210", "D"),
    ("成都芙蓉食品超市有限公司", "91510108MA6DEM005", "F5211", "B"),
    ("成都金沙便利店", "92510108MA6DEM006", "F5212", None),
)


def load_directory_demo() -> None:
    """An inspection item of 成华区市场监督管理局 with its 检查对象名录库: restaurants of the
    registry (筛选市场主体录入) and two places (B.2 按模板导入).  The item is written directly:
    the items chapter brings its own pages and demo.  Idempotent."""
    import io

    from openpyxl import Workbook

    from models import CheckItem, MarketEntity
    from models.items import ItemCategory, ItemStatus
    from services import directories, entities
    from services.templates_catalogue import TEMPLATES
    from services.validators import uscc_check_char

    if db.session.execute(select(CheckItem.id).where(CheckItem.name == DEMO_ITEM)).first():
        return
    clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one_or_none()
    if clerk is None:
        return
    for name, body, industry, grade in DEMO_ENTITIES:
        code = body + uscc_check_char(body)
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == code)).first():
            continue
        entities.create_entity(
            clerk,
            {"name": name, "uscc": code, "entity_type": "enterprise" if body.startswith("91") else "individual",
             "division_code": "510108003000", "division_name": "成华区猛追湾街道", "industry_code": industry,
             "status": "active", "credit_grade": grade or "", "business_address": f"成都市成华区建设路{len(name)}号"},
        )
    item = CheckItem(
        department_id=clerk.department_id, name=DEMO_ITEM, domain="食品安全", objects="餐饮服务提供者",
        category=ItemCategory.KEY, methods="实地核查", inspecting_body="成华区市场监督管理局",
        basis="《中华人民共和国食品安全法》第八十七条", status=ItemStatus.PUBLISHED, created_by_id=clerk.id,
    )
    db.session.add(item)
    db.session.flush()
    directories.add_from_filter(clerk, item, entities.parse_filters({"industry": "H62"}))
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES["B.2"].sheet
    ws.append(list(TEMPLATES["B.2"].titles))
    for place, address in (("成华区美食广场", "成都市成华区建设北路三段8号"), ("猛追湾夜市", "成都市成华区猛追湾街50号")):
        ws.append([place, "成华区", "成华区", "成都蓉华餐饮管理有限公司", "", "", "", "", "餐饮集中区", "", None, "",
                   address, "", "成华区", "法人", "510108"])
    buf = io.BytesIO()
    wb.save(buf)
    batch, _check = directories.store_import(clerk, item, "B.2", "成华区餐饮场所.xlsx", buf.getvalue())
    directories.import_batch(clerk, batch)
