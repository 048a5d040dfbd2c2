"""/inspectors: list and filters, the 表17 form with the one-time password and the role
decision, 表18 edit and delete, the A.5 and C.1 import pages, the auxiliary pool, menu and scope."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from infrastructure import clock
from infrastructure.masking import mask_id_number
from models import Inspector, ProcessInstance, User
from models.inspectors import AuxiliaryInspector
from models.org import UserStatus
from models.roles import Role
from models.workflow import InstanceStatus
from services import inspector_enrolment
from services import inspectors as svc
from services.templates_catalogue import TEMPLATES
from tests.conftest import csrf_token, sign_in
from tests.factories.inspector_rows import ID_MAN, ID_WOMAN, a5, a5_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALID_TO = (clock.china_today() + timedelta(days=400)).isoformat()


def post_form(org, **over):
    data = {
        "name": "陈志强",
        "id_number": ID_MAN,
        "sex": "",
        "mobile": "13900000001",
        "department_id": str(org.station_a.id),
        "section": "",
        "post": "科员",
        "area": "甲区",
        "category": "行政执法类公务员",
        "cert_issuer": "甲区人民政府",
        "cert_no": "ZF0001",
        "cert_valid_from": "2024-01-01",
        "cert_valid_to": VALID_TO,
        "reported_on": "",
        "duty": "on",
        "specialities": "食品安全",
        "qualifications": "",
        "matters": "食品经营许可检查",
        "note": "",
    }
    data.update(over)
    return data


def test_menu_and_roles(client, org, session):
    sign_in(client, org.clerk_a)
    assert "执法检查人员名录库" in client.get("/inbox").get_data(as_text=True)
    sign_in(client, org.leader_a)
    assert client.get("/inspectors/").status_code == 200
    assert client.get("/inspectors/new").status_code == 403
    sign_in(client, org.inspector_a)
    assert "执法检查人员名录库" not in client.get("/inbox").get_data(as_text=True)
    assert client.get("/inspectors/").status_code == 403


def test_generic_start_of_table_17_goes_to_the_form(client, org, session):
    sign_in(client, org.clerk_a)
    resp = client.get("/processes/17/start")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inspectors/new")


def test_add_by_form_shows_the_password_once_then_the_role_decision(client, org, session):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/inspectors/new")
    resp = client.post("/inspectors/new", data={"csrf_token": token, **post_form(org)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "初始密码只显示这一次" in html
    entry = session.query(Inspector).one()
    user = entry.user
    assert user.account in html and re.search(r'<code class="password">[^<]{8,}</code>', html)
    page = client.get(f"/inspectors/{entry.id}").get_data(as_text=True)
    assert "判断是否分配角色" in page and ID_MAN not in page and mask_id_number(ID_MAN) in page
    assert '<code class="password">' not in page
    resp = client.post(f"/inspectors/{entry.id}/role", data={"csrf_token": token, "assign": "yes"})
    assert resp.status_code == 302
    session.refresh(user)
    assert user.has_role(Role.INSPECTOR)
    inst = session.query(ProcessInstance).filter_by(process_table=17).one()
    assert inst.status == InstanceStatus.COMPLETED
    # the instance page links back to the entry
    html = client.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert f"/inspectors/subject?id={entry.id}" in html
    assert client.get(f"/inspectors/subject?id={entry.id}").headers["Location"].endswith(f"/inspectors/{entry.id}")


def test_form_errors_stay_on_the_form(client, org, session):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/inspectors/new")
    bad = post_form(org, id_number=ID_MAN[:17] + ("0" if ID_MAN[17] != "0" else "1"), cert_valid_to="2020-01-01")
    resp = client.post("/inspectors/new", data={"csrf_token": token, **bad})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "校验位" in html and "不得早于" in html
    assert session.query(Inspector).count() == 0
    assert session.query(ProcessInstance).count() == 0


def test_list_filters_and_existing_account(client, org, session):
    org.inspector_a.mobile = "13900000001"
    session.commit()
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/inspectors/new")
    client.post("/inspectors/new", data={"csrf_token": token, **post_form(org)})
    client.post(
        "/inspectors/new",
        data={"csrf_token": token, **post_form(org, name="刘芳", id_number=ID_WOMAN, mobile="13900000002", duty="off")},
    )
    html = client.get("/inspectors/").get_data(as_text=True)
    assert "陈志强" in html and "刘芳" in html and "已开通" in html
    html = client.get("/inspectors/?duty=off", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "刘芳" in html and "陈志强" not in html and "<html" not in html
    assert "陈志强" in client.get("/inspectors/?speciality=食品安全&duty=on").get_data(as_text=True)
    chen = svc.find_by_id_number(ID_MAN)
    assert chen.user_id == org.inspector_a.id
    sign_in(client, org.clerk_b)
    assert "陈志强" not in client.get("/inspectors/").get_data(as_text=True)
    assert client.get(f"/inspectors/{chen.id}").status_code == 404


def test_edit_and_delete(client, org, session):
    result = inspector_enrolment.create_inspector(org.clerk_a, post_form(org))
    inspector_enrolment.decide_role(org.clerk_a, result.inspector, assign=True)
    session.commit()
    entry, user = result.inspector, result.inspector.user
    sign_in(client, org.clerk_a)
    html = client.get(f"/inspectors/{entry.id}/edit").get_data(as_text=True)
    assert "陈志强" in html and "角色" not in re.sub(r"<p class=\"muted\">可修改除角色、权限以外的信息。</p>", "", html)
    assert ID_MAN not in html and "13900000001" not in html and mask_id_number(ID_MAN) in html
    token = csrf_token(client, f"/inspectors/{entry.id}/edit")
    resp = client.post(
        f"/inspectors/{entry.id}/edit",
        data={"csrf_token": token, **post_form(org, post="副所长", id_number="", mobile="")},
    )
    assert resp.status_code == 302
    session.refresh(entry)
    assert entry.post == "副所长" and entry.id_number == ID_MAN and entry.mobile == "13900000001"
    html = client.get(f"/inspectors/{entry.id}/delete").get_data(as_text=True)
    assert "删除名录并停用其系统操作账号" in html and "收回执法人员角色" in html
    resp = client.post(f"/inspectors/{entry.id}/delete", data={"csrf_token": token, "scope": "account"})
    assert resp.status_code == 302
    session.refresh(user)
    assert user.status == UserStatus.DISABLED
    assert client.get(f"/inspectors/{entry.id}").status_code == 404


def test_import_pages(client, org, session):
    sign_in(client, org.clerk_a)
    resp = client.get("/imports/inspectors/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    token = csrf_token(client, "/imports/inspectors/")
    data = a5([a5_row(1, "刘芳", ID_WOMAN, "13900000002"), a5_row(2, "坏", "123", "13900000003")])
    resp = client.post(
        "/imports/inspectors/", data={"csrf_token": token, "file": (io.BytesIO(data), "A.5.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "有效 <strong class=\"ok\">1</strong>" in html and "第3行" in html and "身份证号" in html
    batch_id = int(preview.rstrip("/").rsplit("/", 1)[-1])
    resp = client.get(f"/imports/inspectors/{batch_id}/errors")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    resp = client.post(f"/imports/inspectors/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 400 and session.query(Inspector).count() == 0
    resp = client.post(f"/imports/inspectors/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "初始密码只显示这一次" in html and "刘芳" in html
    entry = session.query(Inspector).one()
    assert session.get(User, entry.user_id).has_role(Role.INSPECTOR)
    # a wrong file is refused with the reason, nothing stored
    resp = client.post(
        "/imports/inspectors/", data={"csrf_token": token, "file": (io.BytesIO(b"hello"), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    # another clerk cannot open the batch
    sign_in(client, org.clerk_b)
    assert client.get(preview).status_code == 404
    assert TEMPLATES["A.5"].titles[0] == "序号"


def test_c1_import_from_the_downloaded_template(client, org, session):
    """渝 C.1: download the template, fill it, upload (found by its header), preview, import;
    the entry without ID number can then be edited (表18) without one."""
    from openpyxl import load_workbook

    sign_in(client, org.clerk_a)
    resp = client.get("/imports/inspectors/template.xlsx?variant=C.1")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert "C.1" in resp.headers["Content-Disposition"] or "C.1" in resp.headers.get("Content-Disposition", "")
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]][:7] == list(TEMPLATES["C.1"].titles)
    for r, row in enumerate([
        [1, "刘芳", "13900000002", "甲区", "甲区第一市场监管所", "具有行政执法资格的工作人员", "食品安全、广告监管"],
        [2, "错部门", "13900000004", "甲区", "不存在的部门", "", ""],
    ], start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    token = csrf_token(client, "/imports/inspectors/")
    page = client.get("/imports/inspectors/").get_data(as_text=True)
    assert "C.1 执法人员名录库样表" in page and "variant=C.1" in page
    resp = client.post(
        "/imports/inspectors/",
        data={"csrf_token": token, "template": "", "file": (io.BytesIO(buf.getvalue()), "名录.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "C.1 执法人员名录库样表" in html and "第3行" in html and "所属部门" in html
    batch_id = int(preview.rstrip("/").rsplit("/", 1)[-1])
    copy = load_workbook(io.BytesIO(client.get(f"/imports/inspectors/{batch_id}/errors").data)).worksheets[0]
    assert copy.cell(row=1, column=8).value == "错误说明" and "所属部门" in copy.cell(row=3, column=8).value
    resp = client.post(f"/imports/inspectors/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 200 and "初始密码只显示这一次" in resp.get_data(as_text=True)
    entry = session.query(Inspector).one()
    assert entry.id_number is None and entry.department_id == org.station_a.id
    assert entry.specialities == ["食品安全", "广告监管"] and entry.user.has_role(Role.INSPECTOR)
    # the detail and the edit form of an entry without ID number
    assert "未登记" in client.get(f"/inspectors/{entry.id}").get_data(as_text=True)
    assert "未登记" in client.get(f"/inspectors/{entry.id}/edit").get_data(as_text=True)
    resp = client.post(
        f"/inspectors/{entry.id}/edit",
        data=post_form(org, csrf_token=token, name="刘芳", id_number="", mobile="", sex="", post="副所长"),
    )
    assert resp.status_code == 302
    session.refresh(entry)
    assert entry.post == "副所长" and entry.id_number is None and entry.mobile == "13900000002"
    # the same file again (the valid row only): matched by 电话, nothing new
    resp = client.post(
        "/imports/inspectors/",
        data={"csrf_token": token, "template": "C.1", "file": (io.BytesIO(buf.getvalue()), "名录.xlsx")},
        content_type="multipart/form-data",
    )
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "更新已在名录库中的 1 人" in html and "新增 0 人" in html
    # A.5 chosen for a C.1 file: refused with the reason
    resp = client.post(
        "/imports/inspectors/",
        data={"csrf_token": token, "template": "A.5", "file": (io.BytesIO(buf.getvalue()), "名录.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and "缺少列" in resp.get_data(as_text=True)


def test_auxiliary_pool(client, org, session):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/inspectors/auxiliary/new")
    resp = client.post(
        "/inspectors/auxiliary/new",
        data={"csrf_token": token, "kind": "testing", "name": "甲区食品检验所", "organization": "", "contact": "李工",
              "phone": "028-84321234", "field": "食品检测", "qualification": "CMA"},
    )
    assert resp.status_code == 302
    entry = session.query(AuxiliaryInspector).one()
    assert "甲区食品检验所" in client.get("/inspectors/auxiliary?kind=testing").get_data(as_text=True)
    resp = client.post("/inspectors/auxiliary/new", data={"csrf_token": token, "kind": "expert", "name": ""})
    assert resp.status_code == 400
    sign_in(client, org.clerk_b)
    assert "甲区食品检验所" not in client.get("/inspectors/auxiliary").get_data(as_text=True)
    assert client.get(f"/inspectors/auxiliary/{entry.id}/edit").status_code == 404


def test_auxiliary_pool_import_pages(client, org, session):
    from openpyxl import load_workbook

    sign_in(client, org.clerk_a)
    assert "按模板导入" in client.get("/inspectors/auxiliary").get_data(as_text=True)
    resp = client.get("/imports/auxiliary_inspectors/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    for r, row in enumerate([[1, "专家学者", "王教授", "四川大学", "", "", "食品安全", ""], [2, "", "缺类别"]], start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    token = csrf_token(client, "/imports/auxiliary_inspectors/")
    resp = client.post(
        "/imports/auxiliary_inspectors/", data={"csrf_token": token, "file": (io.BytesIO(buf.getvalue()), "辅助.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "有效 <strong class=\"ok\">1</strong>" in html and "第3行" in html and "仅导入有效行" in html
    batch_id = int(preview.rstrip("/").rsplit("/", 1)[-1])
    assert client.get(f"/imports/auxiliary_inspectors/{batch_id}/errors").mimetype == XLSX
    resp = client.post(f"/imports/auxiliary_inspectors/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 400 and session.query(AuxiliaryInspector).count() == 0
    resp = client.post(f"/imports/auxiliary_inspectors/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 302
    assert "王教授" in client.get("/inspectors/auxiliary").get_data(as_text=True)
    # an inspector batch is not an auxiliary batch, another clerk sees neither; leaders cannot import
    sign_in(client, org.clerk_b)
    assert client.get(preview).status_code == 404
    sign_in(client, org.leader_a)
    assert client.get("/imports/auxiliary_inspectors/").status_code == 403
