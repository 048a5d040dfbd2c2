"""/directories: the list, a directory's members (kind, search, pages), the 表15 wizard by
filter, copy and template import, the 表16 confirmation, roles, scope and the entity page."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import DirectoryMember, ImportBatch, ImportStatus, ObjectDirectory, ProcessInstance
from services import directories as svc
from services.entity_search import parse_filters
from tests.conftest import csrf_token
from tests.factories.directories import make_entity, make_item, uscc, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def text(resp) -> str:
    return resp.get_data(as_text=True)


def post(client, url, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/directories/"))
    return client.post(url, data=data, **kwargs)


@pytest.fixture()
def registry(org, session):
    made = [make_entity(org.clerk_a, n, industry_code="H6210" if n < 25 else "F5211") for n in range(30)]
    session.commit()
    return made


@pytest.fixture()
def item(org, session):
    item = make_item(org.bureau_a)
    session.commit()
    return item


def test_menu_and_roles(client, org, login, item):
    for user in (org.clerk_a, org.leader_a):
        login(user)
        assert "检查对象名录库" in text(client.get("/inbox"))
        assert client.get("/directories/").status_code == 200
    login(org.leader_a)
    assert client.get("/directories/new").status_code == 403
    assert client.get(f"/directories/new/entities?item={item.id}").status_code == 403
    for user in (org.inspector_a, org.sysadmin, org.office_user):
        login(user)
        assert "检查对象名录库" not in text(client.get("/password"))
        assert client.get("/directories/").status_code == 403


def test_filter_path_count_preview_then_store(client, org, login, registry, item, session):
    login(org.clerk_a)
    html = text(client.get("/directories/new"))
    assert item.name in html and "选择拟新增检查对象名录库的抽查事项" in html
    html = text(client.get(f"/directories/new/mode?item={item.id}"))
    assert "按模板导入" in html and "筛选市场主体录入" in html and "筛选库录入" in html
    html = text(client.get(f"/directories/new/entities?item={item.id}&industry=H62"))
    assert '<strong id="filter-count">25</strong>' in html
    # htmx: the preview block alone
    fragment = text(client.get(f"/directories/new/entities?item={item.id}&industry=F", headers={"HX-Request": "true"}))
    assert fragment.lstrip().startswith('<section class="card" id="filter-preview">') and ">5</strong>" in fragment
    assert session.scalar(select(func.count()).select_from(DirectoryMember)) == 0
    resp = post(client, "/directories/new/entities", {"item": item.id, "industry": "H62"})
    assert resp.status_code == 302
    directory = session.scalars(select(ObjectDirectory)).one()
    assert resp.headers["Location"].endswith(f"/directories/{directory.id}")
    html = text(client.get(resp.headers["Location"]))
    assert "新增 25 个检查对象" in html and "共 25 个检查对象" in html
    listed = text(client.get("/directories/"))
    assert directory.name in listed
    inst = session.scalars(select(ProcessInstance).where(ProcessInstance.process_table == 15)).one()
    page = text(client.get(f"/processes/instances/{inst.id}"))
    assert "筛选符合条件的市场主体" in page and "入库" in page and "/directories/subject?id=" in page
    assert client.get(f"/directories/subject?id={directory.id}").status_code == 302
    # The generic start page of 表15 and 表16 sends the clerk here.
    assert client.get("/processes/15/start").headers["Location"].endswith("/directories/new")
    assert client.get("/processes/16/start").headers["Location"].endswith("/directories/delete")


def test_filter_refusals(client, org, login, registry, item, session):
    login(org.clerk_a)
    resp = post(client, "/directories/new/entities", {"item": item.id, "industry": "A01"})
    assert resp.status_code == 400 and "没有符合条件" in text(resp)
    resp = post(client, "/directories/new/entities", {"item": item.id, "division": "abc"})
    assert resp.status_code == 400
    assert client.get("/directories/new/entities?item=999999").status_code == 404
    assert client.get("/directories/new/entities").status_code == 404
    assert session.scalar(select(func.count()).select_from(ObjectDirectory)) == 0


def test_detail_members_kind_search_and_pages(client, org, login, registry, item, session):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({})).directory
    session.commit()
    login(org.leader_a)
    html = text(client.get(f"/directories/{directory.id}"))
    assert "共 30 个检查对象" in html and "下一页" in html and registry[0].name in html
    assert registry[25].name not in html
    after = re.search(r"after=(\d+)", html).group(1)
    second = text(client.get(f"/directories/{directory.id}?after={after}", headers={"HX-Request": "true"}))
    assert second.lstrip().startswith('<div id="members">') and registry[25].name in second
    listed = text(client.get("/directories/"))
    assert re.search(r"<td>30</td>\s*<td>0</td>\s*<td>0</td>", listed)
    found = text(client.get(f"/directories/{directory.id}?q=0007"))
    assert "共 1 个检查对象" in found and registry[7].name in found
    assert "共 0 个检查对象" in text(client.get(f"/directories/{directory.id}?kind=place"))


def test_copy_path(client, org, login, registry, item, session):
    source = svc.add_from_filter(org.clerk_a, item, parse_filters({"industry": "F"})).directory
    other = make_item(org.bureau_a, "商品质量监督检查")
    session.commit()
    login(org.clerk_a)
    html = text(client.get(f"/directories/new/copy?item={other.id}"))
    assert source.name in html and "复制到新名录库" in html
    resp = post(client, "/directories/new/copy", {"item": other.id, "source": source.id})
    assert resp.status_code == 302
    assert "新增 5 个检查对象" in text(client.get(resp.headers["Location"]))
    # a directory of another district cannot be the source
    foreign_item = make_item(org.bureau_b, "乙区事项")
    session.commit()
    login(org.clerk_b)
    assert post(client, "/directories/new/copy", {"item": foreign_item.id, "source": source.id}).status_code == 404


KINDS = {"A.4.2": "directory_a42", "A.4.1": "directory_a41", "B.1": "directory_b1", "B.2": "directory_b2",
         "B.3": "directory_b3"}


def upload(client, item, code, data, filename="名录.xlsx"):
    return post(
        client,
        f"/imports/{KINDS[code]}/?item_id={item.id}",
        {"file": (io.BytesIO(data), filename, XLSX)},
        content_type="multipart/form-data",
    )


def batch_of(resp) -> int:
    return int(re.search(r"/imports/directory_\w+/(\d+)", resp.headers["Location"]).group(1))


def test_template_path(client, org, login, registry, item, session):
    login(org.clerk_a)
    html = text(client.get(f"/directories/new/mode?item={item.id}"))
    assert "B.2 检查对象名录库样表（场地场所）" in html and "下载模板" in html
    for code in svc.IMPORT_TEMPLATES:
        assert f'href="/imports/{KINDS[code]}/?item_id={item.id}"' in html
        resp = client.get(f"/imports/{KINDS[code]}/template.xlsx")
        assert resp.status_code == 200 and resp.mimetype == XLSX
    assert client.get("/imports/directory_a5/template.xlsx").status_code == 404
    assert client.get("/imports/directory_a42/?item_id=999999").status_code == 404
    assert f"抽查事项：{item.name}" in text(client.get(f"/imports/directory_b2/?item_id={item.id}"))
    data = workbook("A.4.2", [["好味", registry[0].uscc, "", ""], ["无此主体", uscc("91510108MA6Y99999"), "", ""]])
    resp = upload(client, item, "A.4.2", data)
    assert resp.status_code == 302, text(resp)[:800]
    batch_id = batch_of(resp)
    html = text(client.get(f"/imports/directory_a42/{batch_id}"))
    assert '有效 <strong class="ok">1</strong>' in html and "第3行" in html and "本辖区市场主体库中没有该主体" in html
    errors = client.get(f"/imports/directory_a42/{batch_id}/errors")
    assert errors.status_code == 200 and errors.mimetype == XLSX
    ws = load_workbook(io.BytesIO(errors.data)).active
    assert ws.cell(1, 5).value == "错误说明" and "没有该主体" in ws.cell(3, 5).value
    # another clerk cannot see or confirm the batch
    login(org.section_clerk_a)
    assert client.get(f"/imports/directory_a42/{batch_id}").status_code == 404
    assert post(client, f"/imports/directory_a42/{batch_id}/confirm", {"mode": "valid"}).status_code == 404
    login(org.clerk_a)
    resp = post(client, f"/imports/directory_a42/{batch_id}/confirm", {"mode": "valid"})
    assert resp.status_code == 302
    directory = session.execute(select(ObjectDirectory).where(ObjectDirectory.item_id == item.id)).scalar_one()
    assert resp.headers["Location"].endswith(f"/directories/{directory.id}")
    assert "新增 1 个检查对象" in text(client.get(resp.headers["Location"]))
    assert post(client, f"/imports/directory_a42/{batch_id}/confirm", {"mode": "valid"}).status_code == 409
    assert "该批次已入库" in text(client.get(f"/imports/directory_a42/{batch_id}"))
    # refusals
    resp = upload(client, item, "B.2", data)
    assert resp.status_code == 400 and "文件与模板不一致" in text(resp)
    resp = upload(client, item, "A.4.2", b"not a workbook")
    assert resp.status_code == 400
    # discard
    resp = upload(client, item, "A.4.2", data)
    batch_id = batch_of(resp)
    resp = post(client, f"/imports/directory_a42/{batch_id}/discard")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/imports/directory_a42/?item_id={item.id}")
    assert session.get(ImportBatch, batch_id).status == ImportStatus.DISCARDED.value


def test_place_import_preview_shows_the_update_count(client, org, login, item, session):
    """check.update would be the dict's method in Jinja: the preview reads check["update"]."""
    login(org.clerk_a)
    row = ["甲区体育馆", "甲区", "甲区", "甲区商业管理公司", "", "李四", "居民身份证", "", "商场", "建筑面积5000平方米",
           "2019-05-01", "50年", "甲区二环路1号", "028-84321234", "甲区", "法人", "510108"]
    resp = upload(client, item, "B.2", workbook("B.2", [row]))
    batch_id = batch_of(resp)
    html = text(client.get(f"/imports/directory_b2/{batch_id}"))
    assert "built-in method" not in html and "1 个，更新已有的 0 个" in html


@pytest.mark.parametrize("mode", ["by_item", "direct"])
def test_delete_confirmation_lists_the_item_then_deletes(client, org, login, registry, item, session, mode):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({})).directory
    session.commit()
    login(org.clerk_a)
    html = text(client.get(f"/directories/delete?mode={mode}"))
    assert directory.name in html
    assert ("选择拟删除检查对象名录库的抽查事项" if mode == "by_item" else "选择拟删除的对象名录库") in html
    html = text(client.get(f"/directories/{directory.id}/delete?mode={mode}"))
    assert "确认是否删除" in html and f"抽查事项：{item.name}" in html and "市场主体 30 个" in html
    login(org.leader_a)
    assert post(client, f"/directories/{directory.id}/delete", {"mode": mode}).status_code == 403
    login(org.clerk_a)
    resp = post(client, f"/directories/{directory.id}/delete", {"mode": mode})
    assert resp.status_code == 302 and "已删除检查对象名录库" in text(client.get(resp.headers["Location"]))
    assert session.scalar(select(func.count()).select_from(ObjectDirectory)) == 0
    inst = session.scalars(select(ProcessInstance).where(ProcessInstance.process_table == 16)).one()
    assert ("select_item" in {h.step_key for h in inst.history}) == (mode == "by_item")
    assert client.get(f"/processes/instances/{inst.id}").status_code == 200


def test_scope_another_district_gets_404(client, org, login, registry, item, session):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({})).directory
    session.commit()
    login(org.clerk_b)
    assert client.get(f"/directories/{directory.id}").status_code == 404
    assert client.get(f"/directories/{directory.id}/delete").status_code == 404
    assert post(client, f"/directories/{directory.id}/delete").status_code == 404
    assert client.get(f"/directories/subject?id={directory.id}").status_code == 404
    assert client.get(f"/directories/new/mode?item={item.id}").status_code == 404
    assert directory.name not in text(client.get("/directories/"))
    assert item.name not in text(client.get("/directories/new"))


def test_entity_page_lists_its_directories(client, org, login, registry, item, session):
    directory = svc.add_from_filter(org.clerk_a, item, parse_filters({"industry": "F"})).directory
    session.commit()
    login(org.clerk_a)
    html = text(client.get(f"/entities/{registry[26].id}"))
    assert "所在检查对象名录库" in html and directory.name in html
    html = text(client.get(f"/entities/{registry[0].id}"))
    assert "所在检查对象名录库" in html and directory.name not in html


def test_a_concurrent_addition_answers_409(client, org, login, registry, item, session, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    def clash(*_args, **_kwargs):
        raise IntegrityError("INSERT", {}, Exception("uq_object_directory_item_id_department_id"))

    monkeypatch.setattr(svc, "add_from_filter", clash)
    login(org.clerk_a)
    resp = post(client, "/directories/new/entities", {"item": item.id, "industry": "H62"})
    assert resp.status_code == 409 and "同时新增" in text(resp)
