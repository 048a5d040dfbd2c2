"""The demo district (`flask demo`): a city bureau and one district with its departments,
a joint-conference office, users for every role, and 市法院 as an API client.  Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from infrastructure import clock
from infrastructure.passwords import generate_password
from models import Department, User, UserRole, db
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence import audit
from persistence.org import place_department
from services.auth import set_password

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
    ("xiaolj", "萧丽君", DISTRICT, (Role.EFFICIENCY,), "13880000093"),
    ("songy", "宋洋", "成华区市场监督管理局", (Role.MEMBER_LIAISON,), "13880000017"),
    ("zhoulh", "周丽华", "成华区卫生健康局", (Role.MEMBER_LIAISON,), "13880000024"),
    ("qianm", "钱明", "成华区应急管理局", (Role.MEMBER_LIAISON,), "13880000033"),
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
    load_demo_calendar()
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
        load_demo_libraries()
        load_demo_items()
        from services.joint_items import load_demo_items as load_demo_joint_items

        load_demo_joint_items()
        load_directory_demo()
        load_demo_facts()
        load_demo_inspectors()
        load_demo_plans()
        load_demo_random_check()
        load_demo_conferences()
        load_demo_risk()
        load_demo_notice()
        load_demo_grades()
        load_demo_daily()
        load_demo_campaign()
        return created
    load_demo_libraries()
    load_demo_items()
    load_directory_demo()
    load_demo_facts()
    load_demo_inspectors()
    load_demo_plans()
    load_demo_random_check()
    load_demo_conferences()
    load_demo_risk()
    load_demo_notice()
    load_demo_grades()
    load_demo_daily()
    load_demo_campaign()
    if reset_passwords:
        accounts = {u[0]: u for u in USERS}
        for user in db.session.execute(select(User).where(User.account.in_(accounts))).scalars():
            password = generate_password()
            set_password(user, password, temporary=True)
            _, _, dept_name, roles, _ = accounts[user.account]
            created.append(_row(user, dept_name, roles, password))
        audit.record("password_reset", object_type="demo", summary={"用户": len(created)})
    return created


# ------------------------------------------------------------------ 联席会议 (表32/表33)

CONFERENCE_OFFICE = "成华区“双随机、一公开”监管联席会议办公室"
# (name, duties, ((unit, liaison account or ""), …))
DEMO_CONFERENCES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("成华区部门联合“双随机、一公开”监管联席会议",
     "统筹协调全区部门联合“双随机、一公开”监管工作，审定部门联合抽查事项清单和年度抽查计划，"
     "定期召开会商会议，通报监管情况，研究解决重大问题。",
     (("成华区市场监督管理局", "songy"), ("成华区卫生健康局", "zhoulh"), ("成华区应急管理局", "qianm"),
      ("成华区生态环境局", ""), ("成华区文化广电旅游局", "huy"), ("成华区消防救援大队", ""),
      ("成华区发展和改革局", ""), ("成华区商务局", "huangt"))),
    ("成华区打击传销与无证无照经营联席会议",
     "组织协调全区打击传销和无证无照经营综合治理工作，下发年度工作要点和综合治理工作方案，汇总通报查处情况。",
     (("成华区市场监督管理局", "songy"), ("成华区商务局", "huangt"), ("成华区文化广电旅游局", "huy"),
      ("成华区卫生健康局", "zhoulh"), ("成华区应急管理局", "qianm"), ("成华区消防救援大队", ""))),
)


def load_demo_conferences() -> None:
    """Both conferences of the office with their member units and liaisons, a published
    document of each (awaiting the units' signatures) and a meeting with minutes.  Idempotent."""
    from models.conference import Conference
    from services import conferences, documents, meetings

    office_user = db.session.execute(select(User).where(User.account == "zhengh")).scalar_one_or_none()
    office = db.session.execute(select(Department).where(Department.name == CONFERENCE_OFFICE)).scalar_one_or_none()
    if office_user is None or office is None:
        return
    accounts = {u.account: u for u in db.session.execute(select(User)).scalars()}
    for index, (name, duties, units) in enumerate(DEMO_CONFERENCES):
        if db.session.execute(select(Conference.id).where(Conference.name == name)).first():
            continue
        conference = conferences.create_conference(office_user, office, {"name": name, "duties": duties})
        for unit_name, liaison in units:
            unit = db.session.execute(
                select(Department).where(Department.name == unit_name, Department.path.startswith(office.parent.path))
            ).scalar_one_or_none()
            if unit is None:
                continue
            user = accounts.get(liaison)
            ok = user is not None and user.department_id == unit.id and user.has_role(Role.MEMBER_LIAISON)
            conferences.add_member(office_user, conference, conference.lock_version, unit.id,
                                   user.id if ok and user else None)
        unit_ids = [m.department_id for m in conference.active_members]
        if index == 0:
            document = documents.create_document(office_user, conference, {
                "doc_no": "成华联席办〔2026〕1号",
                "title": "关于报送2026年度部门联合抽查事项清单的通知",
                "body": "各成员单位：\n根据《成都市市场主体智慧监管 业务流程规范》和全区部门联合“双随机、一公开”"
                        "监管工作安排，请各成员单位梳理本部门2026年度部门联合抽查事项，于3月15日前通过智慧监管平台报送。"
                        "\n特此通知。",
            })
            documents.publish_document(office_user, document, document.lock_version, unit_ids)
            meeting = meetings.create_meeting(office_user, conference, {
                "title": "2026年第一季度联席会议", "kind": "regular", "held_at": "2026-03-20T09:30",
                "place": "成华区市场监督管理局三楼会议室",
                "agenda": "一、通报2025年度部门联合抽查工作情况；\n二、审议2026年度部门联合抽查工作计划；\n三、部署一季度重点任务。",
            }, unit_ids)
            meetings.record_minutes(office_user, meeting, meeting.lock_version,
                                    "会议通报了2025年度部门联合抽查工作情况，原则同意2026年度部门联合抽查工作计划，"
                                    "要求各成员单位于3月31日前完成年度计划公开。")
        else:
            document = documents.create_document(office_user, conference, {
                "doc_no": "成华打传办〔2026〕1号",
                "title": "关于印发2026年度打击传销与无证无照经营综合治理工作要点的通知",
                "body": "各成员单位：\n现将《2026年度打击传销与无证无照经营综合治理工作要点》印发给你们，"
                        "请结合实际认真贯彻落实，并按季度报送工作台账。",
            })
            documents.publish_document(office_user, document, document.lock_version, unit_ids)
    from services.unlicensed.demo import load_demo_year

    load_demo_year(office_user, DEMO_CONFERENCES[1][0])  # 无证无照经营综合治理 (表24)


def load_demo_facts() -> None:
    """信息归集: every kind of fact over the demo entities (services/demo_facts.py)."""
    from services.demo_facts import load_demo_facts as load

    load()


def load_demo_grades() -> None:
    """The credit-risk scorecard over the whole registry (services/credit/scoring.py), last: the
    risk demo adds entities of its own."""
    from services.credit.scoring import recompute

    recompute()


def load_demo_risk() -> None:
    """风险预警: the facts every rule needs, a 手工预警, then a full run (services/demo_risk.py)."""
    from services.demo_risk import load_demo_risk as load

    load()


def load_demo_notice() -> None:
    """双告知: names mapped, entities registered that trigger notices (services/demo_notice.py)."""
    from services.demo_notice import load_demo_notice as load

    load()


def load_demo_daily() -> None:
    """日常监管: objects, rules, categories and tasks in every escalation state (services/daily/demo.py)."""
    from services.daily.demo import load_demo_daily as load

    load()


def load_demo_campaign() -> None:
    """专项整治 (表23): a published campaign, some objects checked, one 责令改正 pending (services/campaigns/demo.py)."""
    from services.campaigns.demo import load_demo_campaign as load

    load()


def load_demo_calendar() -> None:
    """The holiday table: the package's years not yet covered (the migration loads them on a
    new database; this fills a database that an administrator emptied or that predates it)."""
    from persistence.workdays import seed_from_library

    seed_from_library()


def load_demo_plans() -> None:
    from services.plans import load_demo_plans as load

    load()


def load_demo_random_check() -> None:
    """表20 for the demo plan's task (load_demo_plans): 王晓燕 writes the scheme (the form's
    prefilled values), 李建国 approves it, the objects are drawn from the item's directory
    (load_directory_demo) and confirmed, two inspectors are drawn and the task is dispatched,
    so the drawn inspectors find it in 我的待办.  Skipped once the task has a scheme."""
    from models import Task
    from services import inspector_draws, object_draws, schemes

    users = {u.account: u for u in db.session.execute(
        select(User).where(User.account.in_(("wangxy", "lijg")))
    ).scalars()}
    if len(users) < 2:
        return
    clerk, leader = users["wangxy"], users["lijg"]
    task = db.session.execute(
        select(Task).where(Task.department_id == clerk.department_id).order_by(Task.id)
    ).scalars().first()
    if task is None or task.scheme is not None:
        return
    values = schemes.scheme_values(task, None)
    form = MultiDict([(k, v) for k, v in values.items() if k not in ("methods", "filter", "sensitive")])
    form.setlist("methods", values["methods"])
    form["duties"] = "食品安全监督管理科牵头，各市场监管所配合"
    form["requirements"] = "依法依规开展检查，检查结果及时录入平台并向社会公示"
    scheme = schemes.save_scheme(clerk, task, form, lock_version=task.lock_version, submit=True)
    schemes.review_scheme(leader, task, lock_version=scheme.lock_version, approve=True, comment="方案可行，同意")
    # seed 002 weighs E at 100 %: over a small demo directory that can exceed the plan's ratio, and
    # the clerk confirms it as the draw form asks (services/draw_ratios.py)
    object_draws.run_draw(clerk, task, lock_version=task.lock_version, confirm_over_plan=True)
    object_draws.confirm(clerk, task, lock_version=task.lock_version)
    for td in sorted(task.departments, key=lambda d: d.id):
        if td.inspectors > 0:
            inspector_draws.draw_inspectors(clerk, task, td.department_id)
    inspector_draws.dispatch(clerk, task, task.department_id)
    db.session.flush()


def _row(user: User, dept_name: str, roles: tuple[Role, ...], password: str) -> CreatedAccount:
    return CreatedAccount(user.account, user.name, "、".join(r.label for r in roles), dept_name, password)


# ------------------------------------------------------------------ 监管对象库 (表3–表6)

# (name, 统一社会信用代码 without its check character, type, industry, 住所, tags)
DEMO_ENTITIES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("成都成华好味餐饮管理有限公司", "91510108MA6CH0001", "enterprise", "H6210", "成华区建设路12号", "餐饮"),
    ("成都蜀香源火锅店", "92510108MA6CH0002", "individual", "H6210", "成华区双桥路88号", "餐饮"),
    ("成都猛追湾老茶馆", "92510108MA6CH0003", "individual", "H6220", "成华区猛追湾街5号", "餐饮"),
    ("成都府青便民超市有限公司", "91510108MA6CH0004", "enterprise", "F5211", "成华区府青路二段3号", "食品"),
    ("成都东郊记忆文化传播有限公司", "91510108MA6CH0005", "enterprise", "R8710", "成华区建设南支路4号", ""),
    ("成都成华阳光幼儿园", "52510108MA6CH0006", "non_profit", "P8310", "成华区青龙街道崔家店路9号", ""),
    ("成华区猛追湾社区服务中心", "12510108MA6CH0007", "non_market", "S9220", "成华区猛追湾街道望平街1号", ""),
)
DEMO_LIBRARIES = ("成华区餐饮服务监管对象库", "成华区非营利性主体监管对象库")


def load_demo_libraries() -> None:
    """A few registry entities of 成华区 and two libraries of its 市场监督管理局 (one made by
    筛选录入, one by an A.4.1 workbook), each through its service, so that their 表3
    instances exist too.  Idempotent."""
    from infrastructure.validators import uscc_check_char
    from services import entities, libraries
    from services.imports import framework
    from services.imports.libraries import A41
    from services.templates_catalogue import TEMPLATES

    clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one_or_none()
    if clerk is None:
        return
    existing = set(
        db.session.execute(
            select(libraries.ObjectLibrary.name).where(libraries.ObjectLibrary.name.in_(DEMO_LIBRARIES))
        ).scalars()
    )
    if len(existing) == len(DEMO_LIBRARIES):
        return
    from models import MarketEntity

    for name, body, etype, industry, address, tags in DEMO_ENTITIES:
        code = body + uscc_check_char(body)
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == code)).first():
            continue
        entities.create_entity(clerk, {
            "name": name, "uscc": code, "entity_type": etype, "industry_code": industry,
            "division_code": "510108001000", "division_name": "成华区", "domicile": address,
            "legal_rep": "张三", "status": "active", "tags": tags,
        })
    if DEMO_LIBRARIES[0] not in existing:
        libraries.create_from_filter(
            clerk, DEMO_LIBRARIES[0], {"division": "510108", "industry": "H", "status": "active"},
            tags="餐饮、食品安全", description="成华区存续的住宿和餐饮业主体",
        )
    if DEMO_LIBRARIES[1] not in existing:
        import io

        from openpyxl import Workbook

        template = TEMPLATES["A.4.1"]
        wb = Workbook()
        ws = wb.active
        ws.title = template.sheet
        ws.append(list(template.titles))
        ws.append(["成华区青龙街道崔家店路9号", "成华区", "510108001000", "张三", "", "", "非营利性市场主体",
                   "成都成华阳光幼儿园", "存续", "", "", "", ""])
        ws.append(["成华区猛追湾街道望平街1号", "成华区", "510108001000", "张三", "", "", "非市场主体",
                   "", "存续", "社区", "", "", ""])
        buf = io.BytesIO()
        wb.save(buf)
        options = A41.read_options(clerk, {"name": DEMO_LIBRARIES[1], "tags": "非营利"})
        batch, _check = framework.upload(A41, clerk, "成华区非营利性主体.xlsx", buf.getvalue(), options)
        framework.confirm(A41, clerk, batch, valid_only=True)
# ------------------------------------------------------------------ 抽查事项清单 (表7–表11)

_FOOD_LAW = "《中华人民共和国食品安全法》第一百一十条；《食品生产经营监督检查管理办法》"
# (抽查类别, 抽查事项, 检查对象, 事项类别, 比例上限, 检查方式, 检查依据, 牵头处室, 实施层级, 行业)
CITY_ITEMS: tuple[tuple[str, ...], ...] = (
    ("食品安全", "食品生产企业监督检查", "食品生产企业", "key", "", "书面检查、实地核查", _FOOD_LAW,
     "食品生产安全监督管理处", "市级、区县级", "C"),
    ("特种设备", "特种设备使用单位监督检查", "特种设备使用单位", "key", "", "实地核查",
     "《中华人民共和国特种设备安全法》第五十七条", "特种设备安全监察处", "区县级", ""),
    ("广告监管", "广告发布行为检查", "广告发布者", "general", "5", "书面检查、网络监测",
     "《中华人民共和国广告法》第四十九条", "广告监督管理处", "区县级", "L"),
    ("企业信息公示", "企业公示信息抽查", "企业", "general", "3", "书面检查、网络监测",
     "《企业信息公示暂行条例》第十四条", "信用监督管理处", "市级、区县级", ""),
)
DISTRICT_ITEMS: tuple[tuple[str, ...], ...] = (
    ("食品安全", "餐饮服务提供者监督检查", "餐饮服务提供者", "key", "", "书面检查、实地核查", _FOOD_LAW,
     "食品安全监督管理科", "区县级", "H"),
    ("产品质量", "流通领域商品质量抽查", "商品经营者", "general", "5", "实地核查、专业检测",
     "《中华人民共和国产品质量法》第十五条", "", "区县级", "F"),
    ("价格监管", "明码标价检查", "经营者", "general", "10", "书面检查、实地核查",
     "《明码标价和禁止价格欺诈规定》", "", "区县级", "F52"),
)


def _item_fields(row: tuple[str, ...], body: str) -> dict[str, object]:
    domain, name, objects, category, cap, methods, basis, office, levels, industry = row
    return {
        "domain": domain, "name": name, "objects": objects, "category": category, "ratio_cap": cap,
        "methods": methods, "inspecting_body": body, "basis": basis, "lead_office": office,
        "levels": levels, "industry_code": industry,
    }


def load_demo_items() -> int:
    """A city list and a district list with key and general items, a claim and an assignment;
    each goes through its process (表7 新增 → 公布事项 …).  Only once: skipped when any exists."""
    from models import CheckItem
    from services import item_claims, items

    if db.session.execute(select(CheckItem.id).limit(1)).first() is not None:
        return 0
    users = {u.account: u for u in db.session.execute(
        select(User).where(User.account.in_(("shixinyong", "wangxy")))
    ).scalars()}
    city_clerk, district_clerk = users.get("shixinyong"), users.get("wangxy")
    if city_clerk is None or district_clerk is None:
        return 0
    created = [items.create_item(city_clerk, _item_fields(r, "成都市市场监督管理局")) for r in CITY_ITEMS]
    own = [items.create_item(district_clerk, _item_fields(r, "成华区市场监督管理局")) for r in DISTRICT_ITEMS]
    items.edit_item(
        district_clerk, own[2], items.form_values(own[2]) | {"ratio_cap": "8"}, version=own[2].version
    )
    claimed = item_claims.claim_item(district_clerk, created[2])
    section = db.session.execute(select(Department).where(Department.name == "食品安全监督管理科")).scalar_one()
    item_claims.assign_item(district_clerk, own[0], section.id, version=own[0].version)
    return len(created) + len(own) + (1 if claimed else 0)


# ------------------------------------------------------------------ 检查对象名录库 (表15)

DEMO_ITEM = "餐饮服务提供者监督检查"  # an item of DISTRICT_ITEMS
DIRECTORY_DEMO_ENTITIES = (
    # (name, uscc body of 17 characters, industry, grade)
    ("成都蓉华餐饮管理有限公司", "91510108MA6DEM001", "H6210", "B"),
    ("成都锦城小吃店", "92510108MA6DEM002", "H6291", "C"),
    ("成都天府火锅有限公司", "91510108MA6DEM003", "H6210", "A"),
    ("成都青城茶餐厅", "92510108MA6DEM004", "H6210", "D"),
    ("成都芙蓉食品超市有限公司", "91510108MA6DEM005", "F5211", "B"),
    ("成都金沙便利店", "92510108MA6DEM006", "F5212", None),
)


def load_directory_demo() -> None:
    """The 检查对象名录库 of 成华区's item 餐饮服务提供者监督检查 (load_demo_items): restaurants of the
    registry (筛选市场主体录入) and two places (B.2 按模板导入).  Idempotent."""
    import io

    from openpyxl import Workbook

    from infrastructure.validators import uscc_check_char
    from models import CheckItem, MarketEntity, ObjectDirectory
    from services import directories, entities, entity_search
    from services.imports import framework
    from services.imports.directory_objects import PLACES
    from services.templates_catalogue import TEMPLATES

    clerk = db.session.execute(select(User).where(User.account == "wangxy")).scalar_one_or_none()
    if clerk is None:
        return
    item = db.session.execute(
        select(CheckItem).where(CheckItem.name == DEMO_ITEM, CheckItem.department_id == clerk.department_id)
    ).scalar_one_or_none()
    if item is None or db.session.execute(
        select(ObjectDirectory.id).where(ObjectDirectory.item_id == item.id)
    ).first():
        return
    for name, body, industry, grade in DIRECTORY_DEMO_ENTITIES:
        code = body + uscc_check_char(body)
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == code)).first():
            continue
        entities.create_entity(
            clerk,
            {"name": name, "uscc": code, "entity_type": "enterprise" if body.startswith("91") else "individual",
             "division_code": "510108003000", "division_name": "成华区猛追湾街道", "industry_code": industry,
             "status": "active", "credit_grade": grade or "", "business_address": f"成都市成华区建设路{len(name)}号"},
        )
    directories.add_from_filter(
        clerk, item, entity_search.parse_filters({"division": "510108003", "industry": "H62"})
    )
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES["B.2"].sheet
    ws.append(list(TEMPLATES["B.2"].titles))
    for place, address in (("成华区美食广场", "成都市成华区建设北路三段8号"), ("猛追湾夜市", "成都市成华区猛追湾街50号")):
        ws.append([place, "成华区", "成华区", "成都蓉华餐饮管理有限公司", "", "", "", "", "餐饮集中区", "", None, "",
                   address, "", "成华区", "法人", "510108"])
    buf = io.BytesIO()
    wb.save(buf)
    batch, _check = framework.upload(PLACES, clerk, "成华区餐饮场所.xlsx", buf.getvalue(), {"item_id": item.id})
    framework.confirm(PLACES, clerk, batch, valid_only=True)
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
    from infrastructure.validators import id_number_check_char

    first17 = "510108" + body
    return first17 + id_number_check_char(first17)


def load_demo_inspectors() -> int:
    """The demo district's inspector directory (表17 run for each, matching the demo accounts)
    and two entries of the auxiliary pool.  Skipped once the directory has entries."""
    from datetime import timedelta

    from models import AuxiliaryInspector, Inspector
    from services import inspector_enrolment, inspectors

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
            "cert_valid_from": "2023-01-01", "cert_valid_to": (clock.china_today() + timedelta(days=days)).isoformat(),
            "area": "成华区", "duty": duty, "specialities": specialities, "matters": matters,
            "reported_on": clock.china_today().isoformat(),
        }
        inspector_enrolment.create_inspector(actor, raw)
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
