"""/items: list and filters, 新增/编辑/删除/指派/认领 pages, scope, the import of A.1.1."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models import CheckItem, ImportBatch, ImportStatus, ItemStatus, Publication, PublicationAction
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from services import items as svc
from services.imports import check_items as item_import
from tests.conftest import csrf_token, sign_in
from tests.factories.items import FOOD, general

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post_form(**overrides):
    data = {k: v for k, v in FOOD.items() if k not in ("methods", "levels")}
    data.update({"methods": FOOD["methods"], "levels": FOOD["levels"]})
    data.update(overrides)
    return data


def test_menu_and_list(client, org, session):
    svc.create_item(org.clerk_a, FOOD)
    svc.create_item(org.clerk_a, general())
    session.commit()
    sign_in(client, org.clerk_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert "抽查事项清单" in html
    html = client.get("/items/").get_data(as_text=True)
    assert FOOD["name"] in html and "广告发布者检查" in html and "上限5%" in html
    html = client.get("/items/?category=key").get_data(as_text=True)
    assert FOOD["name"] in html and "广告发布者检查" not in html
    frag = client.get("/items/?industry=L", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in frag and "广告发布者检查" in frag and FOOD["name"] not in frag
    sign_in(client, org.inspector_a)
    assert client.get("/items/").status_code == 403
    assert "抽查事项清单" not in client.get("/inbox").get_data(as_text=True)


def test_add_page_publishes_and_shows_errors(client, org, session):
    sign_in(client, org.clerk_a)
    assert client.get("/processes/7/start").headers["Location"].endswith("/items/new")
    token = csrf_token(client, "/items/new")
    resp = client.post("/items/new", data={**post_form(category="general", name=""), "csrf_token": token})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "一般检查事项须填写抽查比例上限" in html and "必填" in html
    assert session.execute(select(func.count()).select_from(CheckItem)).scalar_one() == 0
    resp = client.post("/items/new", data={**post_form(), "csrf_token": token})
    assert resp.status_code == 302
    item = session.execute(select(CheckItem)).scalar_one()
    assert resp.headers["Location"].endswith(f"/items/{item.id}")
    html = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "第1版" in html and "表7 单部门事项清单新增业务流程" in html and "公开页面" in html
    # the instance page links back to the item
    inst_id = re.search(r"/processes/instances/(\d+)", html).group(1)
    assert f'href="/items/{item.id}"' in client.get(f"/processes/instances/{inst_id}").get_data(as_text=True)


def test_edit_page_and_stale_form(client, org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    session.commit()
    sign_in(client, org.leader_a)
    html = client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in html and "checked" in html
    token = csrf_token(client, f"/items/{item.id}/edit")
    resp = client.post(f"/items/{item.id}/edit", data={**post_form(objects="食品经营者"), "version": 1,
                                                        "csrf_token": token})
    assert resp.status_code == 302
    session.refresh(item)
    assert item.version == 2 and item.objects == "食品经营者"
    resp = client.post(f"/items/{item.id}/edit", data={**post_form(objects="过期表单"), "version": 1,
                                                        "csrf_token": token})
    assert resp.status_code == 409 and "已被他人处理" in resp.get_data(as_text=True)
    session.refresh(item)
    assert item.objects == "食品经营者"


def test_delete_and_assign_pages(client, org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    session.commit()
    sign_in(client, org.clerk_a)
    html = client.get(f"/items/{item.id}/assign").get_data(as_text=True)
    assert "甲区信用监督管理科" in html and "乙区" not in html
    token = csrf_token(client, f"/items/{item.id}/assign")
    resp = client.post(f"/items/{item.id}/assign", data={"department_id": org.bureau_b.id, "version": 1,
                                                          "csrf_token": token})
    assert resp.status_code == 400
    resp = client.post(f"/items/{item.id}/assign", data={"department_id": org.section_a.id, "version": 1,
                                                          "csrf_token": token})
    assert resp.status_code == 302
    # the section sees the assigned item
    sign_in(client, org.section_clerk_a)
    assert client.get(f"/items/{item.id}").status_code == 200
    assert client.get(f"/items/{item.id}/edit").status_code == 403
    sign_in(client, org.clerk_a)
    resp = client.post(f"/items/{item.id}/delete", data={"version": 1, "reason": "职能调整", "csrf_token": token})
    assert resp.status_code == 302
    session.refresh(item)
    assert item.status == ItemStatus.DELETED
    last = session.execute(select(Publication).order_by(Publication.id.desc())).scalars().first()
    assert last.action == PublicationAction.WITHDRAW
    assert client.get(f"/items/{item.id}/edit").status_code == 403
    assert "已删除" in client.get(f"/items/{item.id}").get_data(as_text=True)


def test_another_districts_item_is_404(client, org, session):
    item = svc.create_item(org.clerk_a, FOOD)
    session.commit()
    sign_in(client, org.clerk_b)
    for url in (f"/items/{item.id}", f"/items/{item.id}/edit", f"/items/{item.id}/delete", f"/items/{item.id}/assign"):
        assert client.get(url).status_code == 404, url
    assert FOOD["name"] not in client.get("/items/").get_data(as_text=True)
    token = csrf_token(client, "/items/")
    assert client.post(f"/items/claim/{item.id}", data={"csrf_token": token}).status_code == 404


def test_claim_page(client, org, session, make_department, make_user):
    bureau = make_department("测试市市场监督管理局", org.city, DepartmentLevel.BUREAU, DepartmentKind.SUPERVISION)
    city_clerk = make_user(bureau, Role.CLERK, name="市局经办人")
    source = svc.create_item(city_clerk, general())
    session.commit()
    sign_in(client, org.clerk_a)
    assert client.get("/processes/10/start").headers["Location"].endswith("/items/claim")
    html = client.get("/items/claim").get_data(as_text=True)
    assert "广告发布者检查" in html and "测试市市场监督管理局" in html
    token = csrf_token(client, "/items/claim")
    assert client.post(f"/items/claim/{source.id}", data={"csrf_token": token}).status_code == 302
    assert "已认领" in client.get("/items/claim").get_data(as_text=True)
    resp = client.post(f"/items/claim/{source.id}", data={"csrf_token": token})
    assert resp.status_code == 409 and "重复认领" in resp.get_data(as_text=True)
    copy = session.execute(select(CheckItem).where(CheckItem.source_id == source.id)).scalar_one()
    assert "认领自测试市市场监督管理局" in client.get(f"/items/{copy.id}").get_data(as_text=True)


# ------------------------------------------------------------------ import


def workbook(rows, *, extended=True):
    wb = Workbook()
    ws = wb.active
    template = item_import.EXTENDED if extended else item_import.STANDARD
    ws.title = template.sheet
    ws.append(list(template.titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ROW_KEY = ["1", "食品安全", "食品生产经营者监督检查", "食品生产经营者", "重点检查事项", "书面检查、实地核查",
           "甲区市场监督管理局", "《食品安全法》第一百一十条", "食品科", "", "区县级", "H", ""]
ROW_GENERAL = ["2", "广告", "广告发布者检查", "广告发布者", "一般检查事项", "书面检查", "甲区市场监督管理局",
               "《广告法》", "广告科", "5", "区县级", "L", "备注"]
ROW_BAD = ["3", "广告", "", "广告发布者", "一般检查事项", "飞行检查", "甲区市场监督管理局", "《广告法》", "", "", "",
           "", ""]


def upload(client, data, token, name="清单.xlsx", **extra):
    return client.post(
        "/imports/check_items/",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def test_import_preview_errors_and_valid_rows(client, org, session):
    sign_in(client, org.clerk_a)
    resp = client.get("/imports/check_items/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    titles = [c.value for c in load_workbook(io.BytesIO(resp.data)).worksheets[0][1]]
    assert titles[:9] == ["序号", "抽查类别", "抽查事项", "检查对象", "事项类别", "检查方式", "检查主体", "检查依据", "牵头处室"]
    standard = client.get("/imports/check_items/template.xlsx?variant=standard")
    assert [c.value for c in load_workbook(io.BytesIO(standard.data)).worksheets[0][1]] == titles[:9]
    token = csrf_token(client, "/imports/check_items/")
    resp = upload(client, b"not a workbook", token, name="x.xls")
    assert resp.status_code == 400
    resp = upload(client, workbook([ROW_KEY, ROW_GENERAL, ROW_BAD]), token)
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "有效 <strong class=\"ok\">2</strong>" in html and "第4行" in html and "飞行检查" in html
    assert "全部导入（" not in html and "仅导入有效行" in html
    batch = session.execute(select(ImportBatch)).scalar_one()
    errors = client.get(f"/imports/check_items/{batch.id}/errors")
    ws = load_workbook(io.BytesIO(errors.data)).worksheets[0]
    assert any("抽查事项" in str(c.value) for c in ws[4] if c.value)
    resp = client.post(f"/imports/check_items/{batch.id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 400 and "未导入任何数据" in resp.get_data(as_text=True)
    resp = client.post(f"/imports/check_items/{batch.id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 302
    items = session.execute(select(CheckItem).order_by(CheckItem.id)).scalars().all()
    assert [(i.name, i.status, i.version) for i in items] == [
        ("食品生产经营者监督检查", ItemStatus.PUBLISHED, 1), ("广告发布者检查", ItemStatus.PUBLISHED, 1)
    ]
    assert str(items[1].ratio_cap.normalize()) == "5" and items[1].note == "备注"
    session.refresh(batch)
    assert batch.status == ImportStatus.IMPORTED.value and batch.content == b""
    assert "新增并公布 2 个" in client.get(preview).get_data(as_text=True)
    assert client.post(f"/imports/check_items/{batch.id}/confirm", data={"csrf_token": token}).status_code == 409

    # re-import with the standard template: updates, never duplicates; the cap stays
    changed = ROW_GENERAL[:9]
    changed[3] = "广告发布者和广告经营者"
    resp = upload(client, workbook([ROW_KEY[:9], changed], extended=False), token)
    batch2 = int(resp.headers["Location"].rsplit("/", 1)[1])
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "更新已有的 1 个" in html and "没有变化 1 个" in html and "全部导入" in html
    resp = client.post(f"/imports/check_items/{batch2}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 302
    items = session.execute(select(CheckItem).order_by(CheckItem.id)).scalars().all()
    assert len(items) == 2
    assert items[1].objects == "广告发布者和广告经营者" and items[1].version == 2
    assert str(items[1].ratio_cap.normalize()) == "5" and items[1].industry_code == "L"


def test_import_of_the_standard_template_needs_a_cap_for_general_items(client, org, session):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/imports/check_items/")
    data = workbook([ROW_GENERAL[:9]], extended=False)
    html = client.get(upload(client, data, token).headers["Location"]).get_data(as_text=True)
    assert "默认上限" in html and "有问题 <strong class=\"error\">1</strong>" in html
    resp = upload(client, data, token, default_cap="8")
    batch_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/imports/check_items/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    item = session.execute(select(CheckItem)).scalar_one()
    assert str(item.ratio_cap.normalize()) == "8"
    assert upload(client, data, token, default_cap="abc").status_code == 400


def test_import_batches_belong_to_their_uploader(client, org, session):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/imports/check_items/")
    resp = upload(client, workbook([ROW_KEY]), token)
    preview = resp.headers["Location"]
    sign_in(client, org.leader_a)
    assert client.get(preview).status_code == 404
    sign_in(client, org.clerk_a)
    batch_id = int(preview.rsplit("/", 1)[1])
    assert client.post(f"/imports/check_items/{batch_id}/discard", data={"csrf_token": token}).status_code == 302
    assert "已放弃" in client.get(preview).get_data(as_text=True)


@pytest.mark.parametrize("url", ["/items/", "/items/new", "/items/claim", "/imports/check_items/"])
def test_pages_need_sign_in(client, url):
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
