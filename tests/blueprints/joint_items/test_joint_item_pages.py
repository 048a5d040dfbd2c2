"""/joint-items: 表12 across the initiator's, a participant's and the office's pages, the inbox
link, stale forms, strangers, 表13/表14 on the page, the A.1.2 import and 一业一单."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from models import CheckItem, ImportBatch, ItemStatus, db
from services import joint_item_queries
from services import joint_items as svc
from services.templates_catalogue import TEMPLATES
from tests.conftest import csrf_token, sign_in

FORM = {
    "name": "住宿业联合检查",
    "objects": "旅馆、宾馆",
    "methods": ["实地核查"],
    "levels": ["区县级"],
    "own_tasks": "住宿业食品安全检查",
    "domain": "住宿业",
    "industry_code": "H",
}


def _version(html: str, action: str) -> str:
    match = re.search(rf'action="[^"]*/{action}"[^>]*>\s*<input[^>]*csrf_token[^>]*>\s*<input type="hidden" '
                      r'name="version" value="(\d+)"', html)
    assert match, f"no {action} form on the page"
    return match.group(1)


def _post(client, user, item_id, action, **data):
    sign_in(client, user)
    page = client.get(f"/joint-items/{item_id}").get_data(as_text=True)
    data.setdefault("version", _version(page, action))
    data["csrf_token"] = csrf_token(client, f"/joint-items/{item_id}")
    return client.post(f"/joint-items/{item_id}/{action}", data=data)


def _create(client, org, participants=None):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/joint-items/new")
    resp = client.post(
        "/joint-items/new",
        data={**FORM, "participants": participants or [org.health_a.id], "csrf_token": token},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_add_across_three_users(client, org, session):
    item_id = _create(client, org)
    resp = _post(client, org.clerk_a, item_id, "consult", **FORM, participants=[org.health_a.id])
    assert resp.status_code == 302
    # The participant finds it in the inbox, linked to the item's page.
    sign_in(client, org.health_clerk)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f"/joint-items/open?id={item_id}" in inbox
    assert client.get(f"/joint-items/open?id={item_id}").status_code == 302
    assert _post(client, org.health_clerk, item_id, "participate", outcome="yes").status_code == 302
    assert _post(client, org.clerk_a, item_id, "own-list", tasks="住宿业食品安全检查", levels="区县级").status_code == 302
    assert _post(client, org.health_clerk, item_id, "own-list", tasks="公共场所卫生检查",
                 levels="区县级").status_code == 302
    assert _post(client, org.clerk_a, item_id, "submit").status_code == 302
    resp = _post(client, org.office_user, item_id, "review", outcome="return", comment="")
    assert resp.status_code == 400 and "退回须填写理由" in resp.get_data(as_text=True)
    assert _post(client, org.office_user, item_id, "review", outcome="approve").status_code == 302
    item = session.get(CheckItem, item_id)
    assert item.status == ItemStatus.PUBLISHED
    page = client.get(f"/joint-items/{item_id}").get_data(as_text=True)
    assert "已公布" in page and "公共场所卫生检查" in page


def test_decline_reason_shows_on_the_item(client, org, session):
    item_id = _create(client, org, [org.health_a.id, org.safety_a.id])
    _post(client, org.clerk_a, item_id, "consult", **FORM, participants=[org.health_a.id, org.safety_a.id])
    resp = _post(client, org.safety_clerk, item_id, "participate", outcome="no", reason="")
    assert resp.status_code == 400 and "不参与意见" in resp.get_data(as_text=True)
    assert _post(client, org.safety_clerk, item_id, "participate", outcome="no",
                 reason="本局不承担该行业检查职责").status_code == 302
    sign_in(client, org.clerk_a)
    page = client.get(f"/joint-items/{item_id}").get_data(as_text=True)
    assert "本局不承担该行业检查职责" in page


def test_stale_form_is_409_and_strangers_404(client, org, session):
    item_id = _create(client, org)
    sign_in(client, org.clerk_a)
    page = client.get(f"/joint-items/{item_id}").get_data(as_text=True)
    version = _version(page, "consult")
    data = {**FORM, "participants": [org.health_a.id], "version": version,
            "csrf_token": csrf_token(client, f"/joint-items/{item_id}")}
    assert client.post(f"/joint-items/{item_id}/consult", data=data).status_code == 302
    resp = client.post(f"/joint-items/{item_id}/consult", data=data)
    assert resp.status_code == 409 and "已被他人处理" in resp.get_data(as_text=True)
    # A participant may not do the initiator's step.
    sign_in(client, org.health_clerk)
    resp = client.post(f"/joint-items/{item_id}/submit",
                       data={"version": 1, "csrf_token": csrf_token(client, f"/joint-items/{item_id}")})
    assert resp.status_code == 403
    for stranger in (org.clerk_b, org.office_b_user, org.safety_clerk):  # 乙区, and a non-party of 甲区
        sign_in(client, stranger)
        assert client.get(f"/joint-items/{item_id}").status_code == 404
        assert "住宿业联合检查" not in client.get("/joint-items/").get_data(as_text=True)


def test_edit_and_delete_on_the_page(client, org, session):
    item = svc.create(org.clerk_a, {**FORM, "name": "已公布事项"}, [org.health_a.id])
    v = lambda u, s: joint_item_queries.my_steps(u, joint_item_queries.active_instance(item))[s].version  # noqa: E731
    svc.consult(org.clerk_a, item, v(org.clerk_a, "consult"), {**FORM, "name": "已公布事项"}, [org.health_a.id])
    svc.participate(org.health_clerk, item, v(org.health_clerk, "participate"), True)
    svc.own_list(org.clerk_a, item, v(org.clerk_a, "own_list"), "甲", ["区县级"])
    svc.own_list(org.health_clerk, item, v(org.health_clerk, "own_list"), "乙", ["区县级"])
    svc.submit(org.clerk_a, item, v(org.clerk_a, "submit"))
    svc.review(org.office_user, item, v(org.office_user, "review"), True)
    session.commit()
    sign_in(client, org.clerk_a)
    token = csrf_token(client, f"/joint-items/{item.id}")
    assert client.post(f"/joint-items/{item.id}/edit", data={"csrf_token": token, "reason": "调整"}).status_code == 302
    resp = _post(client, org.clerk_a, item.id, "consult", **{**FORM, "name": "改后名称"}, participants=[org.health_a.id])
    assert resp.status_code == 302
    page = client.get(f"/joint-items/{item.id}").get_data(as_text=True)
    assert "拟编辑内容" in page and "改后名称" in page and "已公布内容" in page and "编辑依据：调整" in page
    db.session.refresh(item)
    assert item.name == "已公布事项"
    # Finish the edit by terminating it, then delete.
    _post(client, org.health_clerk, item.id, "participate", outcome="yes")
    _post(client, org.clerk_a, item.id, "own-list", tasks="甲", levels="区县级")
    _post(client, org.health_clerk, item.id, "own-list", tasks="乙", levels="区县级")
    _post(client, org.clerk_a, item.id, "collect")
    _post(client, org.clerk_a, item.id, "submit")
    _post(client, org.office_user, item.id, "review", outcome="return", comment="不同意")
    assert _post(client, org.clerk_a, item.id, "terminate", outcome="yes", comment="放弃").status_code == 302
    sign_in(client, org.clerk_a)
    token = csrf_token(client, f"/joint-items/{item.id}")
    resp = client.post(f"/joint-items/{item.id}/delete", data={"csrf_token": token, "reason": "事项取消"})
    assert resp.status_code == 302
    _post(client, org.clerk_a, item.id, "notify")
    sign_in(client, org.health_clerk)
    assert "拟删除部门联合抽查事项" in client.get("/joint-items/").get_data(as_text=True)
    _post(client, org.clerk_a, item.id, "submit")
    _post(client, org.office_user, item.id, "review", outcome="approve")
    assert _post(client, org.clerk_a, item.id, "remove").status_code == 302
    db.session.refresh(item)
    assert item.status == ItemStatus.DELETED and item.name == "已公布事项"


def _a12(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATES["A.1.2"].sheet
    ws.append([c.title for c in TEMPLATES["A.1.2"].columns])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, content, filename="a.xlsx"):
    token = csrf_token(client, "/imports/joint_items/")
    return client.post("/imports/joint_items/", data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _batch_id(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


GOOD_ROW = [1, "事项一", "对象", "甲区市场监督管理局", "甲区卫生健康局", "实地核查、书面检查", "区县级",
            "本局事项", "甲区卫生健康局：卫生检查（区县级）"]


def test_import_previews_annotates_and_imports_valid_rows_only(client, org, session):
    sign_in(client, org.clerk_a)
    assert client.get("/imports/joint_items/template.xlsx").status_code == 200
    content = _a12([
        GOOD_ROW,
        [2, "事项二", "对象", "甲区市场监督管理局", "甲区卫生健康局、不存在局", "实地核查", "区县级", "本局事项", ""],
        [3, "事项三", "对象", "乙区市场监督管理局", "甲区应急管理局", "实地核查", "区县级", "本局事项", ""],
    ])
    batch_id = _batch_id(_upload(client, content))
    # The preview lists the problems by row and column; nothing is imported yet.
    html = client.get(f"/imports/joint_items/{batch_id}").get_data(as_text=True)
    assert "有效 <strong class=\"ok\">1</strong> 行" in html
    assert "参与部门：未找到参与部门“不存在局”" in html and "第3行" in html and "发起部门：" in html
    assert "仅导入有效行（1）" in html and "全部导入（" not in html
    assert session.execute(select(CheckItem)).first() is None
    # The annotated copy: the uploaded sheet with an error column on the faulty rows.
    resp = client.get(f"/imports/joint_items/{batch_id}/errors")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-1] == "错误说明" and header[1] == "联合抽查事项"
    assert ws.cell(2, len(header)).value in (None, "")
    assert "不存在局" in ws.cell(3, len(header)).value and "发起部门" in ws.cell(4, len(header)).value
    # 全部导入 is refused while a row has a problem, and writes nothing.
    token = csrf_token(client, f"/imports/joint_items/{batch_id}")
    resp = client.post(f"/imports/joint_items/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 400 and "仅导入有效行" in resp.get_data(as_text=True)
    assert session.execute(select(CheckItem)).first() is None
    resp = client.post(f"/imports/joint_items/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 302
    item = session.execute(select(CheckItem)).scalar_one()
    assert item.name == "事项一" and item.methods == "书面检查、实地核查"  # in the template's order
    assert joint_item_queries.active_instance(item).current_step == "consult"
    assert [p.tasks for p in item.parts] == ["本局事项", "卫生检查"]
    # The batch is done: a second confirmation is refused, the preview says what was imported.
    resp = client.post(f"/imports/joint_items/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 409
    assert "新增 1 个部门联合抽查事项，跳过问题行 2 行" in client.get(f"/imports/joint_items/{batch_id}").get_data(
        as_text=True)
    assert len(session.execute(select(CheckItem)).all()) == 1


def test_import_all_when_every_row_is_valid_and_discard(client, org, session):
    sign_in(client, org.clerk_a)
    second = [2, "事项二", "对象", "甲区市场监督管理局", "甲区卫生健康局", "实地核查", "区县级", "本局事项", ""]
    batch_id = _batch_id(_upload(client, _a12([GOOD_ROW, second])))
    html = client.get(f"/imports/joint_items/{batch_id}").get_data(as_text=True)
    assert "全部导入（2）" in html and "下载问题标注文件" not in html
    token = csrf_token(client, f"/imports/joint_items/{batch_id}")
    # Another clerk cannot see or use the batch.
    sign_in(client, org.health_clerk)
    assert client.get(f"/imports/joint_items/{batch_id}").status_code == 404
    assert client.post(f"/imports/joint_items/{batch_id}/confirm",
                       data={"csrf_token": csrf_token(client, "/joint-items/"), "mode": "all"}).status_code == 404
    sign_in(client, org.clerk_a)
    token = csrf_token(client, f"/imports/joint_items/{batch_id}")
    assert client.post(f"/imports/joint_items/{batch_id}/confirm",
                       data={"csrf_token": token, "mode": "all"}).status_code == 302
    assert sorted(i.name for i in session.execute(select(CheckItem)).scalars()) == ["事项一", "事项二"]
    # A file repeating a name is flagged; 放弃 drops the batch and its file.
    batch_id = _batch_id(_upload(client, _a12([GOOD_ROW, GOOD_ROW]), "b.xlsx"))
    assert "与第3行重复" in client.get(f"/imports/joint_items/{batch_id}").get_data(as_text=True)
    token = csrf_token(client, f"/imports/joint_items/{batch_id}")
    assert client.post(f"/imports/joint_items/{batch_id}/discard", data={"csrf_token": token}).status_code == 302
    batch = session.get(ImportBatch, batch_id)
    session.refresh(batch)
    assert batch.status == "discarded" and batch.content == b""
    assert client.get(f"/imports/joint_items/{batch_id}/errors").status_code == 409


def test_an_expired_batch_is_refused(client, org, session):
    from datetime import timedelta

    from models import utcnow

    sign_in(client, org.clerk_a)
    batch_id = _batch_id(_upload(client, _a12([GOOD_ROW])))
    batch = session.get(ImportBatch, batch_id)
    batch.created_at = utcnow() - timedelta(hours=25)
    session.commit()
    assert "已超过24小时未确认，已失效" in client.get(f"/imports/joint_items/{batch_id}").get_data(as_text=True)
    token = csrf_token(client, "/joint-items/")
    resp = client.post(f"/imports/joint_items/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 409 and session.execute(select(CheckItem)).first() is None


def test_import_reads_csv(client, org, session):
    sign_in(client, org.clerk_a)
    titles = ",".join(c.title for c in TEMPLATES["A.1.2"].columns)
    body = f"{titles}\n1,CSV事项,对象,甲区市场监督管理局,不存在局,实地核查,区县级,本局事项,\n".encode()
    batch_id = _batch_id(_upload(client, body, "a.csv"))
    resp = client.get(f"/imports/joint_items/{batch_id}/errors")
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert "不存在局" in ws.cell(2, ws.max_column).value


def _many(session, org, count):
    from models import CheckItemPart, ItemKind, PartRole

    for n in range(count):
        item = CheckItem(kind=ItemKind.JOINT, status=ItemStatus.PUBLISHED, department_id=org.bureau_a.id,
                         name=f"联合事项{n:03d}", objects="对象" if n % 2 else "餐馆", methods="实地核查",
                         levels="区县级")
        session.add(item)
        session.flush()
        session.add(CheckItemPart(item_id=item.id, department_id=org.bureau_a.id, role=PartRole.INITIATOR))
        if n % 3 == 0:
            session.add(CheckItemPart(item_id=item.id, department_id=org.health_a.id, role=PartRole.PARTICIPANT))
    session.commit()


def test_list_is_paged_with_filters_kept(client, org, session):
    _many(session, org, joint_item_queries.PER_PAGE + 5)
    sign_in(client, org.clerk_a)
    html = client.get("/joint-items/").get_data(as_text=True)
    assert f"共 {joint_item_queries.PER_PAGE + 5} 条" in html and "第 1 / 2 页" in html
    assert "联合事项034" in html and "联合事项000" not in html
    page2 = client.get("/joint-items/?page=2").get_data(as_text=True)
    assert "联合事项000" in page2 and "联合事项034" not in page2
    # Filters narrow the rows and stay in the pager's links.
    html = client.get("/joint-items/?q=餐馆&status=published").get_data(as_text=True)
    assert "共 18 条" in html and "联合事项001" not in html
    sign_in(client, org.health_clerk)
    resp = client.get("/joint-items/?side=participating", headers={"HX-Request": "true"})
    fragment = resp.get_data(as_text=True)
    assert "<html" not in fragment and 'id="joint-results"' in fragment and "共 12 条" in fragment
    html = client.get("/joint-items/?side=participating&q=联合&page=1").get_data(as_text=True)
    assert "共 12 条" in html
    many = client.get("/joint-items/?side=initiated").get_data(as_text=True)
    assert "共 0 条" in many


def test_industry_page(client, org, session):
    sign_in(client, org.clerk_a)
    assert client.get("/joint-items/industries").status_code == 200
    assert "本区域暂无" in client.get("/joint-items/industries").get_data(as_text=True)


def test_generic_start_of_12_opens_the_joint_item_form(client, org, session):
    sign_in(client, org.clerk_a)
    resp = client.get("/processes/12/start")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/joint-items/new")
    assert client.get("/processes/13/start").headers["Location"].endswith("/joint-items/")


def test_import_refuses_a_file_that_is_not_a_workbook(client, org, session):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/imports/joint_items/")
    resp = client.post("/imports/joint_items/", data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "不支持" in resp.get_data(as_text=True)
    resp = client.post("/imports/joint_items/", data={"csrf_token": token}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择要上传的文件" in resp.get_data(as_text=True)
    sign_in(client, org.office_user)
    assert client.get("/imports/joint_items/").status_code == 403
