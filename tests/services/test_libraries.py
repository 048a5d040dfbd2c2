"""services.libraries: 表3 by filter and by template (A.4.1, A.4.2), 表4 delete, 表5/表6
tags, scope, and the process history each verb leaves."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import ExcelError
from infrastructure.validators import uscc_check_char
from models import AuditEvent, ImportStatus, LibraryMember, LibraryTag, ObjectLibrary, ProcessInstance
from models.library import LibrarySource
from models.workflow import InstanceStatus
from services import entities as entity_svc
from services import import_batches
from services import libraries as svc
from services.imports import framework
from services.imports.libraries import A41, A42, KINDS
from services.templates_catalogue import TEMPLATES


def uscc(body: str) -> str:
    return body + uscc_check_char(body)


def entity(org, name, code, *, user=None, **extra):
    values = {
        "name": name,
        "uscc": code,
        "entity_type": "enterprise",
        "division_code": "510108001000",
        "status": "active",
        "industry_code": "H6210",
    }
    values.update(extra)
    return entity_svc.create_entity(user or org.clerk_a, values)


@pytest.fixture()
def registry(org, session):
    """Six entities of district A (four restaurants, one shop, one school) and one of B."""
    made = {
        "r1": entity(org, "甲区好味餐饮有限公司", uscc("91510108MA6CX0001"), credit_grade="C"),
        "r2": entity(org, "甲区老街餐饮店", uscc("92510108MA6CX0002"), entity_type="individual"),
        "r3": entity(org, "甲区川味餐饮有限公司", uscc("91510108MA6CX0003"), credit_grade="C"),
        "r4": entity(org, "甲区已注销餐饮有限公司", uscc("91510108MA6CX0004"), status="cancelled"),
        "shop": entity(org, "甲区便民超市", None, reg_no="510108600012345", industry_code="F5211"),
        "school": entity(
            org, "甲区阳光幼儿园", uscc("52510108MA6CX0005"), entity_type="non_profit",
            industry_code="P8310", domicile="甲区建设路9号", legal_rep="刘园长",
        ),
        "b1": entity(org, "乙区餐饮有限公司", uscc("91510109MA6CX0009"), user=org.clerk_b,
                     division_code="510109001000"),
    }
    session.flush()
    return made


def history(library_id: int, table: int) -> list[tuple[str, str]]:
    inst = ProcessInstance.query.filter_by(subject_type=svc.SUBJECT_TYPE, subject_id=library_id,
                                           process_table=table).order_by(ProcessInstance.id.desc()).first()
    assert inst is not None
    return inst, [(h.step_name, h.action) for h in inst.history]


def members(library: ObjectLibrary) -> set[int]:
    return set(
        svc.db.session.execute(
            select(LibraryMember.entity_id).where(LibraryMember.library_id == library.id)
        ).scalars()
    )


# ------------------------------------------------------------------ 表3 筛选录入


def test_preview_counts_the_filter_in_the_actors_registry(org, registry):
    assert svc.preview_filter(org.clerk_a, {"industry": "H62"}).count == 4
    assert svc.preview_filter(org.clerk_a, {"industry": "H62", "status": "active"}).count == 3
    assert svc.preview_filter(org.clerk_a, {"industry": "H62", "grade": "C"}).count == 2
    assert svc.preview_filter(org.clerk_b, {"industry": "H62"}).count == 1  # district B's own


def test_create_from_filter_stores_members_filter_and_history(org, registry, session):
    lib = svc.create_from_filter(
        org.clerk_a, "餐饮重点库", {"industry": "H62", "status": "active", "library_name": "x"},
        tags="餐饮、重点", description="存续的餐饮主体",
    )
    assert lib.source == LibrarySource.FILTER and lib.member_count == 3
    assert members(lib) == {registry["r1"].id, registry["r2"].id, registry["r3"].id}
    assert json.loads(lib.filter_json) == {"industry": "H62", "status": "active"}
    assert svc.describe_filter(svc.filter_args(lib)) == [("行业代码", "H62"), ("登记状态", "存续")]
    assert lib.tag_names == ["重点", "餐饮"] or sorted(lib.tag_names) == ["重点", "餐饮"]
    inst, steps = history(lib.id, 3)
    assert inst.status == InstanceStatus.COMPLETED
    names = [s for s, _ in steps]
    assert names[1:] == ["选择监管对象库新增方式", "筛选符合规则的数据", "入库"]
    assert "下载模板" not in names
    event = session.execute(
        select(AuditEvent).where(AuditEvent.object_type == svc.SUBJECT_TYPE, AuditEvent.object_id == str(lib.id))
    ).scalar_one()
    assert "筛选录入" in event.summary and '"成员": 3' in event.summary


def test_create_from_filter_refusals(org, registry, session):
    with pytest.raises(Invalid, match="名称"):
        svc.create_from_filter(org.clerk_a, "  ", {"industry": "H62"})
    with pytest.raises(Invalid, match="没有符合条件"):
        svc.create_from_filter(org.clerk_a, "空库", {"industry": "A01"})
    with pytest.raises(Forbidden):
        svc.create_from_filter(org.inspector_a, "检查员库", {"industry": "H62"})
    svc.create_from_filter(org.clerk_a, "同名库", {"industry": "H62"})
    with pytest.raises(Invalid, match="已有名为"):
        svc.create_from_filter(org.clerk_a, "同名库", {"industry": "F"})
    # Another department may use the same name.
    svc.create_from_filter(org.health_clerk, "同名库", {"industry": "F"})
    too_many = svc.MAX_MEMBERS
    try:
        svc.MAX_MEMBERS = 2
        with pytest.raises(Invalid, match="超过2个"):
            svc.create_from_filter(org.clerk_a, "太大", {"industry": "H62"})
    finally:
        svc.MAX_MEMBERS = too_many
    assert session.execute(select(func.count()).select_from(ObjectLibrary)).scalar_one() == 2
    # A refused filter leaves no library, member or process instance behind.
    assert session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(LibraryMember)).scalar_one() == 4 + 1


def test_scope_is_the_department_subtree(org, registry, session):
    lib = svc.create_from_filter(org.clerk_a, "甲区库", {"industry": "H62"}, tags="餐饮")
    section_lib = svc.create_from_filter(org.section_clerk_a, "科室库", {"industry": "F"})
    names = lambda user: [x.name for x in session.execute(svc.libraries_query(user)).scalars()]  # noqa: E731
    assert names(org.clerk_a) == ["科室库", "甲区库"]  # the bureau sees its section's
    assert names(org.section_clerk_a) == ["科室库"]
    assert names(org.health_clerk) == []
    assert names(org.clerk_b) == []
    assert svc.list_libraries(org.clerk_a, "甲区").total == 1
    # The entity page lists the libraries (and their tags) its viewer may see.
    assert [x.name for x in svc.libraries_of_entity(org.clerk_a, registry["r1"])] == ["甲区库"]
    assert svc.libraries_of_entity(org.health_clerk, registry["r1"]) == []
    assert section_lib.id != lib.id


def test_members_page_is_keyset_paged_and_searchable(org, registry):
    lib = svc.create_from_filter(org.clerk_a, "全部", {"division": "510108"})
    assert lib.member_count == 6
    first = svc.members_page(lib, per_page=4)
    assert len(first.items) == 4 and first.has_next and first.total == 6
    second = svc.members_page(lib, after=first.next_after, per_page=4)
    assert len(second.items) == 2 and not second.has_next and second.has_prev
    back = svc.members_page(lib, before=second.prev_before, per_page=4)
    assert [e.id for e in back.items] == [e.id for e in first.items]
    found = svc.members_page(lib, "甲区川味")
    assert [e.name for e in found.items] == ["甲区川味餐饮有限公司"] and found.total == 1
    assert svc.members_page(lib, "510108600012345").items[0].name == "甲区便民超市"
    # The member table has no foreign keys: a member whose entity vanished is never shown.
    svc.db.session.add(LibraryMember(library_id=lib.id, entity_id=10**9))
    svc.db.session.flush()
    assert 10**9 not in {e.id for e in svc.members_page(lib).items}


def test_deleting_an_entity_updates_the_count(org, registry, session):
    lib = svc.create_from_filter(org.clerk_a, "餐饮", {"industry": "H62"})
    entity_svc.delete_entity(org.clerk_a, registry["r4"])
    session.refresh(lib)
    assert lib.member_count == 3 and len(members(lib)) == 3


# ------------------------------------------------------------------ 表3 按模板导入


def workbook(code: str, rows: list[list]) -> bytes:
    template = TEMPLATES[code]
    wb = Workbook()
    ws = wb.active
    ws.title = template.sheet
    ws.append(list(template.titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def store(kind, filename, data, name, tags="", *, actor):
    """Upload ``data`` as a new library named ``name`` (the upload form's options)."""
    options = kind.read_options(actor, {"name": name, "tags": tags})
    return framework.upload(kind, actor, filename, data, options)


def problems_of(batch) -> dict[int, list[str]]:
    return {p["row"]: p["errors"] for p in import_batches.batch_summary(batch)["check"]["problems"]}


def confirm(kind, actor, batch) -> ObjectLibrary:
    result = framework.confirm(kind, actor, batch, valid_only=True)
    return svc.db.session.get(ObjectLibrary, result["library_id"])


def test_a42_import_matches_by_code_reports_rows_and_imports_valid_rows(org, registry, session):
    data = workbook("A.4.2", [
        ["甲区好味餐饮有限公司", registry["r1"].uscc, "", "重点、食品"],
        ["甲区便民超市", "", "510108600012345", ""],
        ["不存在的公司", uscc("91510108MA6CX0099"), "", ""],
        ["乙区餐饮有限公司", registry["b1"].uscc, "", ""],  # another district's
        ["坏代码", "91510108MA6CX00XX", "", ""],
    ])
    batch, check = store(A42, "名单.xlsx", data, "模板库", "专项", actor=org.clerk_a)
    summary = import_batches.batch_summary(batch)["check"]
    assert summary["rows"] == 5 and summary["valid"] == 2 and summary["invalid"] == 3
    problems = problems_of(batch)
    assert problems[4][0].startswith("社会信用代码：") and "没有该代码" in problems[4][0]
    assert "没有该代码" in problems[5][0]
    assert problems[6][0].startswith("社会信用代码：")
    annotated = load_workbook(io.BytesIO(framework.annotated_copy(A42, org.clerk_a, batch)))
    ws = annotated.worksheets[0]
    assert ws.cell(row=1, column=5).value == "错误说明"
    assert "没有该代码" in ws.cell(row=4, column=5).value and ws.cell(row=2, column=5).value is None
    lib = confirm(A42, org.clerk_a, batch)
    assert lib.source == LibrarySource.TEMPLATE and lib.template_code == "A.4.2"
    assert members(lib) == {registry["r1"].id, registry["shop"].id} and lib.member_count == 2
    assert lib.tag_names == ["专项"]
    session.refresh(registry["r1"])
    assert {"重点", "食品"} <= set(registry["r1"].tag_names)  # the row's tags on the entity
    assert batch.status == ImportStatus.IMPORTED and batch.content == b""
    inst, steps = history(lib.id, 3)
    assert [s for s, _ in steps][1:] == ["选择监管对象库新增方式", "下载模板", "根据模板填充数据并上传", "入库"]
    assert inst.status == InstanceStatus.COMPLETED
    with pytest.raises(Conflict):
        framework.confirm(A42, org.clerk_a, batch, valid_only=True)


def test_a41_import_matches_by_division_and_address(org, registry, session):
    entity(org, "甲区阳光小学", uscc("52510108MA6CX0006"), entity_type="non_profit", domicile="甲区建设路9号",
           industry_code="P8321")
    entity(org, "甲区社区服务中心", uscc("12510108MA6CX0007"), entity_type="non_market", domicile="甲区双林路1号",
           industry_code="S9210")
    rows = [
        # address shared by two non-profits: 其他名称 decides
        ["甲区建设路9号", "甲区", "510108001000", "", "", "", "非营利性市场主体", "甲区阳光幼儿园", "", "", "", "", ""],
        ["甲区双林路 1号", "甲区", "510108001000", "", "", "", "非市场主体", "", "", "", "", "", ""],
        ["甲区建设路9号", "甲区", "510108001000", "", "", "", "非营利性市场主体", "", "", "", "", "", ""],
        ["甲区无此路1号", "甲区", "510108001000", "", "", "", "非市场主体", "", "", "", "", "", ""],
        ["甲区双林路1号", "甲区", "510108001000", "", "", "", "非营利性市场主体", "", "", "", "", "", ""],
    ]
    batch, check = store(A41, "非营利.xlsx", workbook("A.4.1", rows), "非营利库", actor=org.clerk_a)
    problems = problems_of(batch)
    assert set(problems) == {4, 5, 6}
    assert problems[4][0].startswith("其他名称（关联主体名称，如主办方等）：") and "多个主体" in problems[4][0]
    assert problems[5][0].startswith("地址（住所、经营场所）：")
    assert problems[6][0].startswith("地址（住所、经营场所）：")  # the type differs
    lib = confirm(A41, org.clerk_a, batch)
    assert lib.member_count == 2
    names = {e.name for e in svc.members_page(lib).items}
    assert names == {"甲区阳光幼儿园", "甲区社区服务中心"}


def test_import_refuses_bad_files(org, registry, session):
    clerk = org.clerk_a
    with pytest.raises(ExcelError, match="模板"):
        store(A42, "x.xlsx", workbook("A.4.1", [["a"] * 13]), "错模板", actor=clerk)
    with pytest.raises(ExcelError):
        store(A42, "x.xls", b"\xd0\xcf\x11\xe0" + b"0" * 100, "旧格式", actor=clerk)
    with pytest.raises(ExcelError, match="没有数据行"):
        store(A42, "x.xlsx", workbook("A.4.2", []), "空", actor=clerk)
    # A library is imported from A.4.2 or A.4.1, nothing else.
    assert [k.template.code for k in KINDS] == ["A.4.2", "A.4.1"]
    # A CSV (GBK) is read too.
    buf = io.StringIO()
    csv.writer(buf).writerows([list(TEMPLATES["A.4.2"].titles), ["甲区好味", registry["r1"].uscc, "", ""]])
    batch, check = store(A42, "x.csv", buf.getvalue().encode("gbk"), "CSV库", actor=clerk)
    assert import_batches.batch_summary(batch)["check"]["valid"] == 1
    twice = workbook("A.4.2", [["a", registry["r1"].uscc, "", ""], ["b", registry["r1"].uscc, "", ""],
                               ["c", "", registry["shop"].reg_no, ""], ["d", registry["school"].uscc, "", ""]])
    _batch, check = store(A42, "twice.xlsx", twice, "重复库", actor=clerk)
    problems = problems_of(_batch)
    assert set(problems) == {2, 3} and "重复" in problems[2][0]
    only_bad = workbook("A.4.2", [["无", uscc("91510108MA6CX0098"), "", ""]])
    batch, _ = store(A42, "bad.xlsx", only_bad, "坏库", actor=clerk)
    with pytest.raises(Invalid, match="没有可导入"):
        framework.confirm(A42, clerk, batch, valid_only=True)
    with pytest.raises(Forbidden):
        framework.confirm(A42, org.health_clerk, batch, valid_only=True)
    framework.discard(A42, clerk, batch)
    assert batch.status == ImportStatus.DISCARDED


def test_the_upload_names_a_new_library(org, registry, session):
    svc.create_from_filter(org.clerk_a, "已有库", {"industry": "H62"})
    with pytest.raises(Invalid, match="已有名为"):
        A42.read_options(org.clerk_a, {"name": "已有库"})
    with pytest.raises(Invalid, match="请填写"):
        A42.read_options(org.clerk_a, {"name": " "})
    data = workbook("A.4.2", [["甲区好味", registry["r1"].uscc, "", ""]])
    batch, _ = store(A42, "名单.xlsx", data, "新库", actor=org.clerk_a)
    svc.create_from_filter(org.clerk_a, "新库", {"industry": "H62"})  # the name is taken meanwhile
    with pytest.raises(Invalid, match="已有名为"):
        framework.confirm(A42, org.clerk_a, batch, valid_only=True)
    assert batch.status == ImportStatus.PENDING


# ------------------------------------------------------------------ 表4, 表5, 表6


def test_delete_confirmed_or_cancelled(org, registry, session):
    lib = svc.create_from_filter(org.clerk_a, "待删", {"industry": "H62"}, tags="临时")
    ident = lib.id
    assert svc.delete_library(org.clerk_a, lib, confirmed=False) is False
    inst, steps = history(ident, 4)
    assert inst.status == InstanceStatus.TERMINATED
    assert [s for s, _ in steps][1:] == ["选择拟删除的对象库", "确认是否删除"]
    assert session.get(ObjectLibrary, ident) is not None
    assert svc.delete_library(org.clerk_a, lib, confirmed=True) is True
    session.expire_all()
    assert session.get(ObjectLibrary, ident) is None
    assert session.execute(select(func.count()).select_from(LibraryMember)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(LibraryTag)).scalar_one() == 0
    inst, steps = history(ident, 4)
    assert inst.status == InstanceStatus.COMPLETED
    assert [s for s, _ in steps][1:] == ["选择拟删除的对象库", "确认是否删除", "删除"]
    assert session.get(type(registry["r1"]), registry["r1"].id) is not None  # entities stay


def test_tags_add_edit_delete(org, registry, session):
    lib = svc.create_from_filter(org.clerk_a, "标签库", {"industry": "H62"})
    tag = svc.add_tag(org.clerk_a, lib, "夜市")
    inst, steps = history(lib.id, 5)
    assert [s for s, _ in steps][1:] == ["选择拟新增标签的对象库", "新增标签"]
    with pytest.raises(Invalid, match="已有标签"):
        svc.add_tag(org.clerk_a, lib, "夜市")
    with pytest.raises(Invalid):
        svc.add_tag(org.clerk_a, lib, "甲、乙")
    with pytest.raises(Invalid):
        svc.add_tag(org.clerk_a, lib, "长" * 31)
    svc.edit_tag(org.clerk_a, lib, tag.id, "夜间经济")
    assert lib.tag_names == ["夜间经济"]
    inst, steps = history(lib.id, 6)
    assert [s for s, _ in steps][1:] == ["选择拟维护标签的对象库", "确认修改/删除标签", "修改标签"]
    assert svc.delete_tag(org.clerk_a, lib, tag.id, confirmed=False) is False
    inst, steps = history(lib.id, 6)
    assert inst.status == InstanceStatus.TERMINATED
    assert lib.tag_names == ["夜间经济"]
    assert svc.delete_tag(org.clerk_a, lib, tag.id, confirmed=True) is True
    assert lib.tag_names == []
    inst, steps = history(lib.id, 6)
    assert [s for s, _ in steps][-1] == "删除标签" and inst.status == InstanceStatus.COMPLETED
    with pytest.raises(Invalid, match="不存在"):
        svc.edit_tag(org.clerk_a, lib, tag.id, "x")
    with pytest.raises(Forbidden):
        svc.add_tag(org.inspector_a, lib, "x")
