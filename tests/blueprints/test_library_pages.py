"""/libraries: the list, a library's page (members paged and searched, tags), 表3 by filter
(count preview, then 入库) and by template (upload → preview → errors → confirm), 表4 and
表6's confirmation pages, roles and another district's 404."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from infrastructure.validators import uscc_check_char
from models import ObjectLibrary, ProcessInstance
from models.workflow import InstanceStatus
from services import entities as entity_svc
from services import libraries as svc
from services.templates_catalogue import TEMPLATES
from tests.conftest import csrf_token, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def uscc(body: str) -> str:
    return body + uscc_check_char(body)


@pytest.fixture()
def registry(org, session):
    made = []
    for i in range(25):
        made.append(entity_svc.create_entity(org.clerk_a, {
            "name": f"甲区餐饮{i:02d}有限公司", "uscc": uscc(f"91510108MA6CX{i:04d}"), "entity_type": "enterprise",
            "division_code": "510108001000", "status": "active", "industry_code": "H6210",
        }))
    made.append(entity_svc.create_entity(org.clerk_a, {
        "name": "甲区超市", "uscc": uscc("91510108MA6CY0001"), "entity_type": "enterprise",
        "division_code": "510108001000", "status": "active", "industry_code": "F5211",
    }))
    session.commit()
    return made


@pytest.fixture()
def library(org, registry, session):
    lib = svc.create_from_filter(org.clerk_a, "甲区餐饮库", {"industry": "H62"}, tags="餐饮")
    session.commit()
    return lib


def post(client, url, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/libraries/"))
    return client.post(url, data=data, **kwargs)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_menu_roles_and_list(client, org, library):
    for user in (org.clerk_a, org.leader_a):
        sign_in(client, user)
        html = text(client.get("/libraries/"))
        assert "监管对象库" in html and "甲区餐饮库" in html and "25" in html
    sign_in(client, org.inspector_a)
    assert client.get("/libraries/").status_code == 403
    assert "/libraries/" not in text(client.get("/inbox"))
    sign_in(client, org.clerk_b)
    assert "甲区餐饮库" not in text(client.get("/libraries/"))
    assert client.get(f"/libraries/{library.id}").status_code == 404
    assert post(client, f"/libraries/{library.id}/delete", {"outcome": "yes"}).status_code == 404
    sign_in(client, org.health_clerk)  # same district, another department
    assert client.get(f"/libraries/{library.id}").status_code == 404


def test_detail_pages_members_and_searches(client, org, library):
    sign_in(client, org.clerk_a)
    html = text(client.get(f"/libraries/{library.id}"))
    assert "共 25 个监管对象" in html and "行业代码：H62" in html and "餐饮" in html
    assert html.count("甲区餐饮") >= 20 and "甲区超市" not in html
    nxt = re.search(r'href="(/libraries/\d+\?after=\d+)"', html).group(1)
    page2 = text(client.get(nxt, headers={"HX-Request": "true"}))
    assert "<html" not in page2 and "甲区餐饮00有限公司" in page2
    found = text(client.get(f"/libraries/{library.id}?q=甲区餐饮07"))
    assert "共 1 个监管对象" in found and "甲区餐饮07有限公司" in found


def test_entity_page_shows_its_libraries_and_tags(client, org, library, registry):
    sign_in(client, org.clerk_a)
    html = text(client.get(f"/entities/{registry[0].id}"))
    assert "所属监管对象库" in html and "甲区餐饮库" in html and "餐饮" in html
    assert "甲区餐饮库" not in text(client.get(f"/entities/{registry[-1].id}"))


def test_filter_preview_then_store(client, org, registry, session):
    sign_in(client, org.clerk_a)
    html = text(client.get("/libraries/new"))
    assert "选择监管对象库新增方式" in html and "按模板导入" in html and "筛选录入" in html
    page = text(client.get("/libraries/new/filter"))
    assert "预览数量" in page and ">入库<" not in page
    frag = text(client.get("/libraries/new/filter?preview=1&industry=F", headers={"HX-Request": "true"}))
    assert "符合条件的市场主体：<strong>1</strong> 个" in frag and ">入库<" in frag and "<html" not in frag
    resp = post(client, "/libraries/new/filter", {"library_name": "超市库", "industry": "F", "tags": "商超"})
    assert resp.status_code == 302
    lib = session.execute(select(ObjectLibrary).where(ObjectLibrary.name == "超市库")).scalar_one()
    assert lib.member_count == 1 and lib.tag_names == ["商超"]
    inst = session.execute(select(ProcessInstance).where(ProcessInstance.subject_id == lib.id,
                                                          ProcessInstance.process_table == 3)).scalar_one()
    html = text(client.get(f"/processes/instances/{inst.id}"))
    for step in ("选择监管对象库新增方式", "筛选符合规则的数据", "入库"):
        assert step in html
    # Refusals: a blank name, an empty result, a duplicate name.
    resp = post(client, "/libraries/new/filter", {"library_name": "", "industry": "F"})
    assert resp.status_code == 400 and "请填写监管对象库名称" in text(resp)
    resp = post(client, "/libraries/new/filter", {"library_name": "空", "industry": "A01"})
    assert resp.status_code == 400 and "没有符合条件" in text(resp)
    resp = post(client, "/libraries/new/filter", {"library_name": "超市库", "industry": "F"})
    assert resp.status_code == 400 and "已有名为" in text(resp)


def test_generic_start_defers_to_the_library_pages(client, org):
    sign_in(client, org.clerk_a)
    assert client.get("/processes/3/start").headers["Location"].endswith("/libraries/new")
    assert client.get("/processes/4/start").headers["Location"].endswith("/libraries/")


def _workbook(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(list(TEMPLATES["A.4.2"].titles))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_download_upload_preview_errors_confirm(client, org, registry, session):
    sign_in(client, org.clerk_a)
    new_page = text(client.get("/libraries/new"))
    for code, kind in (("A.4.1", "library_a41"), ("A.4.2", "library_a42")):
        assert f'href="/imports/{kind}/"' in new_page and f'href="/imports/{kind}/template.xlsx"' in new_page
        resp = client.get(f"/imports/{kind}/template.xlsx")
        assert resp.status_code == 200 and resp.mimetype == XLSX
        titles = [c.value for c in load_workbook(io.BytesIO(resp.data)).worksheets[0][1]]
        assert titles[: len(TEMPLATES[code].titles)] == list(TEMPLATES[code].titles)
    assert client.get("/imports/library_a5/template.xlsx").status_code == 404
    data = _workbook([["甲区餐饮00", registry[0].uscc, "", ""], ["无此", uscc("91510108MA6CX9001"), "", ""]])
    resp = post(client, "/imports/library_a42/", {
        "name": "模板库", "tags": "专项",
        "file": (io.BytesIO(data), "名单.xlsx"),
    }, content_type="multipart/form-data")
    assert resp.status_code == 302
    preview_url = resp.headers["Location"]
    html = text(client.get(preview_url))
    assert "有效 <strong class=\"ok\">1</strong> 行" in html and "第3行" in html and "仅导入有效行" in html
    assert "新建监管对象库：模板库（标签：专项）" in html
    errors = client.get(preview_url + "/errors")
    assert errors.status_code == 200
    ws = load_workbook(io.BytesIO(errors.data)).worksheets[0]
    assert "没有该代码" in ws.cell(row=3, column=5).value
    resp = post(client, preview_url + "/confirm", {"mode": "valid"})
    assert resp.status_code == 302
    lib = session.execute(select(ObjectLibrary).where(ObjectLibrary.name == "模板库")).scalar_one()
    assert lib.member_count == 1 and lib.template_code == "A.4.2"
    assert resp.headers["Location"].endswith(f"/libraries/{lib.id}")
    imported = text(client.get(preview_url))
    assert "已入库" in imported and f'<a href="/libraries/{lib.id}">查看导入结果</a>' in imported
    assert post(client, preview_url + "/confirm", {"mode": "valid"}).status_code == 409
    # Bad uploads: not a workbook, no file, no name, a name already taken.
    resp = post(client, "/imports/library_a42/", {"name": "坏",
                "file": (io.BytesIO(b"hello"), "x.doc")}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "不支持" in text(resp)
    resp = post(client, "/imports/library_a42/", {"name": "坏"}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择要上传的文件" in text(resp)
    for name, message in (("", "请填写监管对象库名称"), ("模板库", "已有名为")):
        resp = post(client, "/imports/library_a42/", {"name": name, "file": (io.BytesIO(data), "名单.xlsx")},
                    content_type="multipart/form-data")
        assert resp.status_code == 400 and message in text(resp)
    # Another clerk cannot see the batch.
    sign_in(client, org.section_clerk_a)
    assert client.get(preview_url).status_code == 404


def test_a_library_file_may_exceed_the_apps_upload_limit(client, org, app, session):
    sign_in(client, org.clerk_a)
    big = b"PK" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)  # over the app's limit, under the kind's
    resp = post(client, "/imports/library_a42/", {"name": "大库", "file": (io.BytesIO(big), "大.xlsx")},
                content_type="multipart/form-data")
    assert resp.status_code == 400  # read and refused as a damaged file, not 413
    huge = b"PK" + b"0" * (21 * 1024 * 1024)
    resp = post(client, "/imports/library_a42/", {"name": "大库", "file": (io.BytesIO(huge), "大.xlsx")},
                content_type="multipart/form-data")
    assert resp.status_code == 413 and "20MB" in text(resp)


def test_delete_confirmation_page(client, org, library, session):
    sign_in(client, org.clerk_a)
    ident = library.id
    html = text(client.get(f"/libraries/{library.id}/delete"))
    assert "确认是否删除" in html and "确认删除" in html and "取消删除" in html
    resp = post(client, f"/libraries/{library.id}/delete", {"outcome": "no"})
    assert resp.status_code == 302
    inst = session.execute(select(ProcessInstance).where(ProcessInstance.process_table == 4)).scalar_one()
    assert inst.status == InstanceStatus.TERMINATED
    assert session.get(ObjectLibrary, library.id) is not None
    resp = post(client, f"/libraries/{ident}/delete", {"outcome": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/libraries/")
    session.expire_all()
    assert session.get(ObjectLibrary, ident) is None
    assert client.get(f"/libraries/{ident}").status_code == 404


def test_tag_pages(client, org, library, session):
    sign_in(client, org.clerk_a)
    frag = post(client, f"/libraries/{library.id}/tags", {"tag": "夜市"}, headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "夜市" in text(frag) and "<html" not in text(frag)
    bad = post(client, f"/libraries/{library.id}/tags", {"tag": "夜市"}, headers={"HX-Request": "true"})
    assert bad.status_code == 400 and "已有标签" in text(bad)
    session.expire_all()
    tag = next(t for t in session.get(ObjectLibrary, library.id).tags if t.tag == "夜市")
    assert "修改标签" in text(client.get(f"/libraries/{library.id}/tags/edit?tag_id={tag.id}"))
    resp = post(client, f"/libraries/{library.id}/tags/edit", {"tag_id": tag.id, "tag": ""})
    assert resp.status_code == 400 and "请填写标签" in text(resp)
    resp = post(client, f"/libraries/{library.id}/tags/edit", {"tag_id": tag.id, "tag": "夜间经济"})
    assert resp.status_code == 302
    html = text(client.get(f"/libraries/{library.id}/tags/delete?tag_id={tag.id}"))
    assert "确认是否删除" in html and "夜间经济" in html
    post(client, f"/libraries/{library.id}/tags/delete", {"tag_id": tag.id, "outcome": "no"})
    session.expire_all()
    assert "夜间经济" in session.get(ObjectLibrary, library.id).tag_names
    post(client, f"/libraries/{library.id}/tags/delete", {"tag_id": tag.id, "outcome": "yes"})
    session.expire_all()
    assert "夜间经济" not in session.get(ObjectLibrary, library.id).tag_names
    assert client.get(f"/libraries/{library.id}/tags/edit?tag_id=999999").status_code == 404
