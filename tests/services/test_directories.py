"""services.directories: 表15 (filter, copy, template import of entities, places and
products), 表16, scope, members, population and the entity's directories."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from infrastructure.errors import Forbidden, Invalid
from infrastructure.excel import ExcelError
from models import (
    AuditEvent,
    DirectoryMember,
    ImportStatus,
    MarketEntity,
    MemberKind,
    ObjectDirectory,
    Place,
    ProcessInstance,
    Product,
)
from models.items import CheckItemPart, ItemKind, ItemStatus, PartRole
from models.workflow import InstanceStatus
from services import directories as svc
from services import directory_members, entities, import_batches
from services.entity_search import parse_filters
from services.imports import framework
from services.imports.directory_entities import A41, A42, B1
from services.imports.directory_objects import PLACES, PRODUCTS
from tests.factories.directories import make_entity, make_item, uscc, workbook


@pytest.fixture()
def registry(org, session):
    """Twelve entities of district A: six restaurants (H6210, two of grade C), six shops."""
    made = []
    for n in range(12):
        industry = "H6210" if n < 6 else "F5211"
        made.append(make_entity(org.clerk_a, n, industry_code=industry, credit_grade="C" if n in (1, 2) else ""))
    session.commit()
    return made


@pytest.fixture()
def item(org, session):
    item = make_item(org.bureau_a)
    session.commit()
    return item


def steps(instance: ProcessInstance) -> list[str]:
    return [h.step_name for h in sorted(instance.history, key=lambda h: h.seq)]


def member_ids(directory, kind=MemberKind.ENTITY):
    column = {"entity": DirectoryMember.entity_id, "place": DirectoryMember.place_id,
              "product": DirectoryMember.product_id}[kind.value]
    return set(
        svc.db.session.execute(
            select(column).where(DirectoryMember.directory_id == directory.id, DirectoryMember.kind == kind)
        ).scalars()
    )


# ------------------------------------------------------------------ 筛选市场主体录入


def test_filter_counts_then_stores_and_walks_table_15(org, registry, item, session):
    filters = parse_filters({"industry": "H62"})
    assert svc.filter_count(org.clerk_a, filters) == (6, False)
    result = svc.add_from_filter(org.clerk_a, item, filters)
    session.commit()
    assert result.created and result.added == 6 and result.already == 0
    directory = result.directory
    assert directory.department_id == org.bureau_a.id and directory.item_id == item.id
    assert member_ids(directory) == {e.id for e in registry[:6]}
    inst = result.instance
    assert inst.process_table == 15 and inst.status == InstanceStatus.COMPLETED
    assert inst.subject_type == "object_directory" and inst.subject_id == directory.id
    assert steps(inst)[1:] == ["选择拟新增检查对象名录库的抽查事项", "选择监管对象名录库新增方式", "筛选符合条件的市场主体", "入库"]
    store = [h for h in inst.history if h.step_key == "store"][0]
    assert "市场主体6个" in store.comment
    assert any(h.comment == "筛选市场主体录入" for h in inst.history)

    # Again with a wider filter: the same directory, only the new ones are added.
    again = svc.add_from_filter(org.clerk_a, item, parse_filters({"grade": "C"}))
    assert not again.created and again.added == 0 and again.already == 2
    wider = svc.add_from_filter(org.clerk_a, item, parse_filters({}))
    assert wider.directory.id == directory.id and wider.added == 6 and wider.already == 6
    assert svc.counts([directory.id])[directory.id] == {MemberKind.ENTITY: 12}
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "object_directory")).all()
    assert {e.action for e in events} == {"create", "update"}


def test_filter_refusals(org, registry, item):
    with pytest.raises(Invalid, match="没有符合条件"):
        svc.add_from_filter(org.clerk_a, item, parse_filters({"industry": "A01"}))
    with pytest.raises(Invalid, match="筛选条件有误"):
        svc.add_from_filter(org.clerk_a, item, parse_filters({"division": "abc"}))
    with pytest.raises(Forbidden):
        svc.add_from_filter(org.leader_a, item, parse_filters({}))
    assert svc.db.session.scalar(select(func.count()).select_from(ObjectDirectory)) == 0


def test_scope_items_and_directories(org, registry, item, session):
    assert svc.item_for(org.clerk_a, item.id) is item
    for user in (org.clerk_b, org.health_clerk):
        with pytest.raises(svc.NotFound):
            svc.item_for(user, item.id)
    # A joint item: each participating department keeps its own directory.
    joint = make_item(org.bureau_a, "联合检查事项", kind=ItemKind.JOINT)
    session.add(CheckItemPart(item_id=joint.id, department_id=org.health_a.id, role=PartRole.PARTICIPANT))
    deleted = make_item(org.bureau_a, "已删除事项", status=ItemStatus.DELETED)
    session.commit()
    assert svc.item_for(org.health_clerk, joint.id) is joint
    with pytest.raises(svc.NotFound):
        svc.item_for(org.clerk_a, deleted.id)
    mine = svc.add_from_filter(org.clerk_a, joint, parse_filters({"industry": "H"})).directory
    theirs = svc.add_from_filter(org.health_clerk, joint, parse_filters({"industry": "F"})).directory
    session.commit()
    assert mine.id != theirs.id and theirs.department_id == org.health_a.id
    listed = lambda user: set(session.scalars(svc.directories_query(user)).all())  # noqa: E731
    assert listed(org.clerk_a) == {mine}
    assert listed(org.health_clerk) == {theirs}
    assert listed(org.clerk_b) == set()


# ------------------------------------------------------------------ 筛选库录入


def test_copy_another_directory(org, registry, item, session):
    source = svc.add_from_filter(org.clerk_a, item, parse_filters({"industry": "F"})).directory
    other = make_item(org.bureau_a, "商品质量监督检查")
    session.commit()
    assert source in svc.copy_sources(org.clerk_a, other)
    assert source not in svc.copy_sources(org.clerk_a, item)
    result = svc.add_from_directory(org.clerk_a, other, source)
    session.commit()
    assert result.created and result.added == 6
    assert member_ids(result.directory) == member_ids(source)
    assert steps(result.instance)[3] == "筛选符合条件的名录库"
    again = svc.add_from_directory(org.clerk_a, other, source)
    assert again.added == 0 and again.already == 6
    foreign_item = make_item(org.bureau_b, "乙区事项")
    session.commit()
    with pytest.raises(svc.NotFound):
        svc.add_from_directory(org.clerk_b, foreign_item, source)


# ------------------------------------------------------------------ 按模板导入

KINDS = {"A.4.2": A42, "A.4.1": A41, "B.1": B1, "B.2": PLACES, "B.3": PRODUCTS}


def store(actor, item, code, filename, data):
    """Upload ``data`` as template ``code`` for ``item``'s directory (nothing imported yet)."""
    return framework.upload(KINDS[code], actor, filename, data, {"item_id": item.id})


def import_batch(actor, batch, code):
    """仅导入有效行; returns the result and the directory."""
    result = framework.confirm(KINDS[code], actor, batch, valid_only=True)
    return result, svc.db.session.get(ObjectDirectory, result["directory_id"])


def last_add(directory) -> ProcessInstance:
    return svc.db.session.execute(
        select(ProcessInstance).where(ProcessInstance.subject_type == svc.SUBJECT_TYPE,
                                      ProcessInstance.subject_id == directory.id).order_by(ProcessInstance.id.desc())
    ).scalars().first()


def targets(check) -> dict[int, int]:
    return {r.number: r.payload.object_id for r in check.valid_rows}


def test_entity_template_preview_annotated_copy_and_confirm(org, registry, item, session):
    unknown = uscc("91510108MA6Y99999")
    data = workbook(
        "A.4.2",
        [
            ["甲区测试0000餐饮有限公司", registry[0].uscc, "", ""],
            ["甲区测试0001餐饮有限公司", registry[1].uscc, "", ""],
            ["无此主体", unknown, "", ""],
            ["重复", registry[0].uscc, "", ""],
            ["缺代码", "", "", ""],
        ],
    )
    batch, check = store(org.clerk_a, item, "A.4.2", "主体.xlsx", data)
    session.commit()
    summary = import_batches.batch_summary(batch)["check"]
    assert (summary["rows"], summary["valid"], summary["invalid"]) == (5, 1, 4)
    problems = {p["row"]: p["errors"] for p in summary["problems"]}
    assert any("本辖区市场主体库中没有该主体" in m for m in problems[4])
    assert any("重复" in m for m in problems[5])
    assert any("至少填写一项" in m for m in problems[6])
    # Nothing stored yet.
    assert session.scalar(select(func.count()).select_from(ObjectDirectory)) == 0

    copy = load_workbook(io.BytesIO(framework.annotated_copy(A42, org.clerk_a, batch)))
    ws = copy.active
    header = [c.value for c in ws[1]]
    assert header[-1] == "错误说明"
    assert "本辖区市场主体库中没有该主体" in ws.cell(4, len(header)).value

    result, directory = import_batch(org.clerk_a, batch, "A.4.2")
    session.commit()
    assert batch.status == ImportStatus.IMPORTED.value and batch.content == b""
    assert member_ids(directory) == {registry[1].id}
    assert steps(last_add(directory))[3] == "下载模板"
    with pytest.raises(Exception, match="已导入"):
        import_batch(org.clerk_a, batch, "A.4.2")


def test_entity_templates_b1_and_a41(org, registry, item, session):
    nonprofit = make_entity(org.clerk_a, 500, name="甲区志愿者协会", entity_type="non_profit")
    session.commit()
    b1 = workbook("B.1", [["甲区测试0003餐饮有限公司", registry[3].uscc, "甲区建设路1号", "", "", "", ""]])
    batch, check = store(org.clerk_a, item, "B.1", "b1.xlsx", b1)
    assert targets(check) == {2: registry[3].id}
    import_batch(org.clerk_a, batch, "B.1")
    a41 = workbook(
        "A.4.1",
        [
            ["甲区某路", "甲区", "510108", "", "", "", "非营利性市场主体", "甲区志愿者协会", "", "", "", "", ""],
            ["甲区某路", "甲区", "510108", "", "", "", "非市场主体", "不存在的组织", "", "", "", "", ""],
        ],
    )
    batch2, check2 = store(org.clerk_a, item, "A.4.1", "a41.xlsx", a41)
    assert targets(check2) == {2: nonprofit.id} and len(check2.invalid_rows) == 1
    result, directory = import_batch(org.clerk_a, batch2, "A.4.1")
    session.commit()
    assert member_ids(directory) == {registry[3].id, nonprofit.id}


def test_wrong_template_and_bad_files_are_refused(org, item):
    with pytest.raises(ExcelError, match="文件与模板不一致"):
        store(org.clerk_a, item, "B.2", "x.xlsx", workbook("A.4.2", [["a", "", "x", ""]]))
    with pytest.raises(ExcelError):
        store(org.clerk_a, item, "A.4.2", "x.xlsx", b"not a workbook")
    with pytest.raises(ExcelError, match="没有数据行"):
        store(org.clerk_a, item, "A.4.2", "x.xlsx", workbook("A.4.2", []))


def place_row(name, address, responsible_uscc="", purpose="商场"):
    return [name, "甲区", "甲区", "甲区商业管理公司", responsible_uscc, "李四", "居民身份证", "", purpose,
            "建筑面积5000平方米", "2019-05-01", "50年", address, "028-84321234", "甲区", "法人", "510108"]


def test_places_are_created_then_updated_and_linked(org, registry, item, session):
    rows = [place_row("甲区万象商场", "甲区建设路9号", registry[0].uscc), place_row("甲区体育馆", "甲区二环路1号")]
    batch, check = store(org.clerk_a, item, "B.2", "places.xlsx", workbook("B.2", rows))
    assert import_batches.batch_summary(batch)["check"]["create"] == 2
    result, directory = import_batch(org.clerk_a, batch, "B.2")
    session.commit()
    places = {p.name: p for p in session.scalars(select(Place)).all()}
    assert set(places) == {"甲区万象商场", "甲区体育馆"}
    mall = places["甲区万象商场"]
    assert mall.department_id == org.bureau_a.id and mall.entity_id == registry[0].id
    assert mall.in_use_since == date(2019, 5, 1) and mall.purpose == "商场"
    assert member_ids(directory, MemberKind.PLACE) == {p.id for p in places.values()}
    # Re-import: the same place (name and address) is updated, not duplicated.
    again = [place_row("甲区万象商场", "甲区建设路9号", purpose="购物中心"), place_row("甲区体育馆", "甲区二环路1号")]
    again[1][8] = ""  # a blank cell keeps the stored value
    batch2, _ = store(org.clerk_a, item, "B.2", "places2.xlsx", workbook("B.2", again))
    summary = import_batches.batch_summary(batch2)["check"]
    assert (summary["update"], summary["already"], summary["new_members"]) == (2, 2, 0)
    import_batch(org.clerk_a, batch2, "B.2")
    session.commit()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Place)) == 2
    assert session.get(Place, mall.id).purpose == "购物中心"
    assert session.get(Place, places["甲区体育馆"].id).purpose == "商场"
    dup = framework.run_check(PLACES, org.clerk_a, workbook("B.2", [place_row("甲", "乙"), place_row("甲", "乙")]),
                              {"item_id": item.id})
    assert len(dup.invalid_rows) == 2


def test_products_population_and_grades(org, registry, item, session):
    rows = [
        ["QS5101-0001", "甲区测试0001餐饮有限公司", registry[1].uscc, "2024-01-01", "2029-01-01", "", "", "", "", ""],
        ["QS5101-0002", "外地企业", uscc("91440300MA5XX0001"), "", "", "", "", "", "", ""],
        ["QS5101-0002", "重复", uscc("91440300MA5XX0001"), "", "", "", "", "", "", ""],
    ]
    batch, check = store(org.clerk_a, item, "B.3", "p.xlsx", workbook("B.3", rows))
    assert len(check.valid_rows) == 1 and len(check.invalid_rows) == 2
    result, directory = import_batch(org.clerk_a, batch, "B.3")
    svc.add_from_filter(org.clerk_a, item, parse_filters({"grade": "C"}))
    pbatch, _ = store(org.clerk_a, item, "B.2", "pl.xlsx", workbook("B.2", [place_row("馆", "路")]))
    import_batch(org.clerk_a, pbatch, "B.2")
    session.commit()
    product = session.scalars(select(Product)).one()
    assert product.entity_id == registry[1].id and product.valid_until == date(2029, 1, 1)
    place = session.scalars(select(Place)).one()
    population = list(svc.population(directory))
    assert population == [
        (f"entity:{registry[1].id}", MemberKind.ENTITY, "C"),
        (f"entity:{registry[2].id}", MemberKind.ENTITY, "C"),
        (f"place:{place.id}", MemberKind.PLACE, None),
        (f"product:{product.id}", MemberKind.PRODUCT, "C"),
    ]
    assert population[0].key.startswith("entity:") and population[3].grade == "C"
    assert list(svc.population(directory.id)) == population
    assert svc.directories_of_entity(org.clerk_a, registry[1]) == [
        (directory, "市场主体"),
        (directory, "产品的生产企业"),
    ]


# ------------------------------------------------------------------ members, entity page, delete


def test_members_page_filters_and_pages(org, registry, item, session):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({})).directory
    pbatch, _ = store(org.clerk_a, item, "B.2", "pl.xlsx", workbook("B.2", [place_row("体育馆", "路")]))
    import_batch(org.clerk_a, pbatch, "B.2")
    session.commit()
    page = directory_members.members_page(directory, per_page=5)
    assert page.total == 13 and len(page.rows) == 5 and page.has_next and not page.has_prev
    second = directory_members.members_page(directory, per_page=5, after=page.next_after)
    assert second.rows[0].id > page.rows[-1].id and second.has_prev
    back = directory_members.members_page(directory, per_page=5, before=second.prev_before)
    assert [r.id for r in back.rows] == [r.id for r in page.rows]
    places = directory_members.members_page(directory, kind=MemberKind.PLACE)
    assert [r.name for r in places.rows] == ["体育馆"] and places.total == 1
    found = directory_members.members_page(directory, search="0007")
    assert [r.entity_id for r in found.rows] == [registry[7].id]
    by_code = directory_members.members_page(directory, search=registry[2].uscc)
    assert by_code.total == 1 and by_code.rows[0].grade == "C"


def test_entity_page_directories_and_entity_delete_cascades(org, registry, item, session):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({"grade": "C"})).directory
    session.commit()
    assert svc.directories_of_entity(org.clerk_a, registry[1]) == [(directory, "市场主体")]
    assert svc.directories_of_entity(org.clerk_b, registry[1]) == []
    assert svc.directories_of_entity(org.clerk_a, registry[5]) == []
    entities.delete_entity(org.clerk_a, registry[1])
    session.commit()
    assert member_ids(directory) == {registry[2].id}


@pytest.mark.parametrize("mode", ["by_item", "direct"])
def test_delete_walks_table_16(org, registry, item, session, mode):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({})).directory
    pbatch, _ = store(org.clerk_a, item, "B.2", "pl.xlsx", workbook("B.2", [place_row("馆", "路")]))
    import_batch(org.clerk_a, pbatch, "B.2")
    session.commit()
    refs = svc.references(directory)
    assert refs[0][0] == "抽查事项" and item.name in refs[0][1]
    with pytest.raises(Forbidden):
        svc.delete_directory(org.leader_a, directory, mode)
    ident = directory.id
    inst = svc.delete_directory(org.clerk_a, directory, mode)
    session.commit()
    assert session.get(ObjectDirectory, ident) is None
    assert session.scalar(select(func.count()).select_from(DirectoryMember)) == 0
    assert session.scalar(select(func.count()).select_from(Place)) == 1  # the department keeps its places
    assert session.scalar(select(func.count()).select_from(MarketEntity)) == 12
    expected = ["选择删除方式", "选择拟删除的对象名录库", "确认是否删除", "删除"]
    if mode == "by_item":
        expected.insert(1, "选择拟删除检查对象名录库的抽查事项")
    assert steps(inst)[1:] == expected
    assert inst.process_table == 16 and inst.status == InstanceStatus.COMPLETED
    # The item may get a new directory afterwards.
    assert svc.add_from_filter(org.clerk_a, item, parse_filters({})).created


def test_demo_district_has_a_directory(app, session):
    from cli.demo import DEMO_ITEM, load_demo

    load_demo()
    session.commit()
    directory = session.scalars(select(ObjectDirectory)).one()
    assert directory.item.name == DEMO_ITEM and directory.department.name == "成华区市场监督管理局"
    assert svc.counts([directory.id])[directory.id] == {MemberKind.ENTITY: 4, MemberKind.PLACE: 2}
    load_demo()  # idempotent
    session.commit()
    assert session.scalar(select(func.count()).select_from(DirectoryMember)) == 6
    assert session.scalar(
        select(func.count()).select_from(ProcessInstance).where(ProcessInstance.process_table == 15)
    ) == 2
