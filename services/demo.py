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
        load_demo_inspectors()
        return created
    load_demo_inspectors()
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


# 执法检查人员名录库: (clerk who adds, name, account, department, birth+seq, duty, days the
# certificate still runs, specialities, matters).  Matched to the demo accounts by mobile number.
INSPECTORS: tuple[tuple[str, str, str, str, str, str, int, str, str], ...] = (
    ("wangxy", "陈志强", "chenzq", "猛追湾市场监管所", "19820514031", "在岗", 900, "食品安全、特种设备", "食品经营许可检查、特种设备使用单位检查"),
    ("wangxy", "刘芳", "liuf", "猛追湾市场监管所", "19880921042", "在岗", 600, "食品安全、价格监督", "食品经营许可检查、价格行为检查"),
    ("wangxy", "黄雨涵", "huangyh", "府青路市场监管所", "19910305064", "在岗", 20, "计量、广告监测", "计量器具使用检查"),
    ("zhaom", "周杰", "zhouj", "成华区卫生健康局", "19850717015", "在岗", 700, "公共场所卫生", "公共场所卫生监督检查"),
)
AUXILIARY = (
    ("expert", "王明远", "四川大学食品科学系", "王明远", "13980000101", "食品安全、食品检验", "教授"),
    ("testing", "成都市食品药品检验研究院", "", "李工", "028-84321234", "食品、药品检验检测", "CMA资质认定"),
)


def _demo_id(body: str) -> str:
    from services.validators import id_number_check_char

    first17 = "510108" + body
    return first17 + id_number_check_char(first17)


def load_demo_inspectors() -> int:
    """The demo district's inspector directory (表17 run for each, matching the demo accounts)
    and two entries of the auxiliary pool.  Skipped once the directory has entries."""
    from datetime import date, timedelta

    from models import AuxiliaryInspector, Inspector
    from services import inspectors

    if db.session.execute(select(Inspector.id).limit(1)).first() is not None:
        return 0
    users = {u.account: u for u in db.session.execute(select(User)).scalars()}
    depts = {d.name: d for d in db.session.execute(select(Department)).scalars()}
    added = 0
    for clerk, name, account, dept, body, duty, days, specialities, matters in INSPECTORS:
        actor, user = users.get(clerk), users.get(account)
        if actor is None or user is None or dept not in depts:
            continue
        raw = {
            "name": name, "id_number": _demo_id(body), "mobile": user.mobile, "department_id": depts[dept].id,
            "category": "行政执法类公务员", "cert_issuer": "成都市人民政府", "cert_no": f"5101080{added + 1:05d}",
            "cert_valid_from": "2023-01-01", "cert_valid_to": (date.today() + timedelta(days=days)).isoformat(),
            "area": "成华区", "duty": duty, "specialities": specialities, "matters": matters,
            "reported_on": date.today().isoformat(),
        }
        inspectors.create_inspector(actor, raw)
        added += 1
    clerk = users.get("wangxy")
    if clerk is not None and db.session.execute(select(AuxiliaryInspector.id).limit(1)).first() is None:
        for kind, name, org, contact, phone, field, qualification in AUXILIARY:
            inspectors.save_auxiliary(
                clerk,
                {"kind": kind, "name": name, "organization": org, "contact": contact, "phone": phone,
                 "field": field, "qualification": qualification},
            )
    return added
