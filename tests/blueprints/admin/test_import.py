"""用户批量导入 (the import kind "users", services/imports/users.py, pages /imports/users/): template,
upload and validation preview, annotated copy, confirmation with the initial passwords shown once."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from infrastructure.passwords import verify_password
from models import ImportBatch, ImportStatus, User
from tests.blueprints.admin.admin_helpers import audit_rows, post, text

HEADER = ["账号 *", "姓名 *", "所属部门 *", "手机号码 *", "身份证号"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALID = {"mode": "valid"}  # 仅导入有效行


def xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def messy(org) -> bytes:
    """Two valid rows among the usual mistakes."""
    return xlsx(
        [
            [
                "  zhangsan01 ",
                " 张三 ",
                " 甲区市场监督管理局 ",
                " 138 1234 5678 ",
                " 11010519491231002x ",
            ],  # 2 valid
            [
                "lisi_02",
                "李四",
                "甲区第一市场监管所",
                13912345678,
                440524188001010014,
            ],  # 3 ID stored as a number
            ["wangwu", "王五", "甲区卫生健康局", "13700000001", None],  # 4 duplicate of 5
            ["WangWu", "王五二", "甲区卫生健康局", "13700000002", None],  # 5
            ["zhaoliu", "赵六", "不存在的局", "13700000003", None],  # 6 unknown department
            [None, None, None, None, None],  # 7 empty: skipped
            ["sunqi", "孙七", "甲区信用监督管理科", 13700000004, None],  # 8 valid, mobile as a number
            [org.clerk_a.account, "重名", "甲区应急管理局", "13700000005", None],  # 9 account exists
            ["zhouba", "", "乙区市场监督管理局", "1370000000", "110105194912310021"],  # 10 several errors
        ]
    )


def upload(client, data: bytes, filename: str = "用户.xlsx"):
    return post(
        client,
        "/imports/users/",
        {"file": (io.BytesIO(data), filename, XLSX)},
        content_type="multipart/form-data",
    )


def _batch_id(response) -> int:
    assert response.status_code == 302, text(response)[:2000]
    return int(re.search(r"/imports/users/(\d+)", response.headers["Location"]).group(1))


def _accounts(session) -> set[str]:
    session.expire_all()
    return set(session.execute(select(User.account)).scalars())


def test_template_download(org, login):
    response = login(org.sysadmin).get("/imports/users/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ["账号 *", "姓名 *", "所属部门 *", "手机号码 *", "身份证号"]
    assert ws["A2"].number_format == "@" and ws["D2"].number_format == "@" and ws["E2"].number_format == "@"
    assert wb.sheetnames[1] == "填写说明"
    notes = "\n".join(str(c.value) for c in wb["填写说明"]["A"] if c.value)
    assert "甲区市场监督管理局" in notes and "文本" in notes
    # a district administrator's template lists its own departments only
    wb_b = load_workbook(io.BytesIO(login(org.sysadmin_b).get("/imports/users/template.xlsx").data))
    notes_b = "\n".join(str(c.value) for c in wb_b["填写说明"]["A"] if c.value)
    assert "乙区市场监督管理局" in notes_b and "甲区" not in notes_b


def test_messy_file_is_previewed_and_nothing_is_written_until_confirmed(org, login, session):
    client = login(org.sysadmin)
    before = _accounts(session)
    batch_id = _batch_id(upload(client, messy(org)))
    batch = session.get(ImportBatch, batch_id)
    assert batch.status == ImportStatus.PENDING and batch.created_by_id == org.sysadmin.id and batch.content
    page = text(client.get(f"/imports/users/{batch_id}"))
    assert (
        '有效 <strong class="ok">2</strong> 行' in page
        and '有问题 <strong class="error">6</strong> 行' in page
    )
    for fragment in (
        "第3行",
        "文本格式（科学计数法已丢失位数）",
        "与第5行重复",
        "与第4行重复",
        "部门不存在",
        "系统中已有该账号",
        "应为11位大陆手机号",
    ):
        assert fragment in page, fragment
    assert "第7行" not in page
    assert _accounts(session) == before  # preview only
    # the annotated copy marks the faulty rows
    response = client.get(f"/imports/users/{batch_id}/errors")
    assert response.status_code == 200 and response.mimetype == XLSX
    ws = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert ws.cell(row=1, column=6).value == "错误说明"
    assert ws.cell(row=2, column=6).value is None
    assert "重复" in ws.cell(row=4, column=6).value
    assert "所属部门" in ws.cell(row=6, column=6).value
    assert "姓名：必填" in ws.cell(row=10, column=6).value
    assert _accounts(session) == before


def test_confirm_imports_exactly_the_valid_rows_once(org, login, session):
    client = login(org.sysadmin)
    before = _accounts(session)
    batch_id = _batch_id(upload(client, messy(org)))
    response = post(client, f"/imports/users/{batch_id}/confirm", VALID)
    assert response.status_code == 200
    html = text(response)
    assert _accounts(session) - before == {"zhangsan01", "sunqi"}
    zhang = session.execute(select(User).where(User.account == "zhangsan01")).scalar_one()
    assert zhang.name == "张三" and zhang.mobile == "13812345678" and zhang.id_number == "11010519491231002X"
    assert zhang.department_id == org.bureau_a.id and zhang.must_change_password
    sun = session.execute(select(User).where(User.account == "sunqi")).scalar_one()
    assert sun.mobile == "13700000004" and sun.department_id == org.section_a.id and sun.id_number is None
    passwords = re.findall(r'<code class="password">([^<]+)</code>', html)
    assert len(passwords) == 2
    assert verify_password(zhang.password_hash, passwords[0].replace("&amp;", "&"))
    (imported,) = audit_rows("import")
    assert imported.object_id == str(batch_id) and "zhangsan01" in imported.summary
    assert not any(p in imported.summary for p in passwords)
    creates = [r for r in audit_rows("create", "user")]
    assert {r.object_id for r in creates} == {str(zhang.id), str(sun.id)}
    batch = session.get(ImportBatch, batch_id)
    assert batch.status == ImportStatus.IMPORTED and batch.content == b"" and "sunqi" in batch.result
    # the preview now shows the outcome, not the passwords
    page = text(client.get(f"/imports/users/{batch_id}"))
    assert "已导入 2 个用户" in page and passwords[0] not in page
    # a second confirmation is refused
    again = post(client, f"/imports/users/{batch_id}/confirm", VALID)
    assert again.status_code == 409 and "该批次已导入" in text(again)
    assert len(audit_rows("import")) == 1
    assert client.get(f"/imports/users/{batch_id}/errors").status_code == 409


def test_rows_are_revalidated_at_confirmation(org, login, session, make_user):
    client = login(org.sysadmin)
    batch_id = _batch_id(upload(client, messy(org)))
    make_user(org.bureau_a, account="SunQi", name="抢先一步")  # taken meanwhile
    post(client, f"/imports/users/{batch_id}/confirm", VALID)
    assert (
        session.execute(select(func.count(User.id)).where(func.lower(User.account) == "sunqi")).scalar_one()
        == 1
    )
    assert session.execute(select(User).where(User.account == "zhangsan01")).scalar_one()


def test_nothing_valid_nothing_imported(org, login, session):
    client = login(org.sysadmin)
    batch_id = _batch_id(upload(client, xlsx([["x", "无效", "不存在", "1", None]])))
    before = _accounts(session)
    response = post(client, f"/imports/users/{batch_id}/confirm", VALID)
    assert response.status_code == 400 and "没有可导入的有效行" in text(response)
    assert _accounts(session) == before
    assert session.get(ImportBatch, batch_id).status == ImportStatus.PENDING


def test_discard(org, login, session):
    client = login(org.sysadmin)
    batch_id = _batch_id(upload(client, messy(org)))
    assert post(client, f"/imports/users/{batch_id}/discard").status_code == 302
    batch = session.get(ImportBatch, batch_id)
    session.refresh(batch)
    assert batch.status == ImportStatus.DISCARDED and batch.content == b""
    response = post(client, f"/imports/users/{batch_id}/confirm", VALID)
    assert response.status_code == 409 and "已放弃" in text(response)


def test_another_admins_batch_is_404(org, login, session):
    batch_id = _batch_id(upload(login(org.sysadmin), messy(org)))
    for who in ("sysadmin_b", "secadmin"):  # a batch one may not use is not found
        client = login(getattr(org, who))
        expected = 404
        assert client.get(f"/imports/users/{batch_id}").status_code == expected
        assert client.get(f"/imports/users/{batch_id}/errors").status_code == expected
        assert post(client, f"/imports/users/{batch_id}/confirm", VALID).status_code == expected
        assert post(client, f"/imports/users/{batch_id}/discard").status_code == expected
    assert session.get(ImportBatch, batch_id).status == ImportStatus.PENDING


def test_department_must_be_in_the_importers_subtree(org, login, session):
    client = login(org.sysadmin_b)
    batch_id = _batch_id(
        upload(
            client,
            xlsx(
                [
                    ["from_a", "甲区人", "甲区市场监督管理局", "13700000009", None],
                    ["from_b", "乙区人", "乙区市场监督管理局", "13700000008", None],
                ]
            ),
        )
    )
    page = text(client.get(f"/imports/users/{batch_id}"))
    assert "不在您的管理范围内" in page
    post(client, f"/imports/users/{batch_id}/confirm", VALID)
    assert {"from_b"} == _accounts(session) & {"from_a", "from_b"}


@pytest.mark.parametrize(
    "data,filename,message",
    [
        (b"not a spreadsheet", "users.xlsx", "不是 Excel 工作簿"),
        (b"PK\x03\x04broken zip", "users.xlsx", "文件已损坏"),
        (b"", "users.xlsx", "上传的文件为空"),
        (b"a,b,c\n", "users.csv", "只接受 .xlsx"),
        (b"\xd0\xcf\x11\xe0 old excel", "users.xls", "不支持旧版 Excel 工作簿"),
    ],
)
def test_bad_files_are_400(org, login, session, data, filename, message):
    response = upload(login(org.sysadmin), data, filename)
    assert response.status_code == 400
    assert message in text(response)
    assert session.execute(select(func.count(ImportBatch.id))).scalar_one() == 0


def test_missing_columns_and_empty_sheets_are_400(org, login, session):
    client = login(org.sysadmin)
    response = upload(client, xlsx([["a", "b"]], header=["账号", "姓名"]))
    assert response.status_code == 400
    assert "缺少列 所属部门" in text(response) and "缺少列 手机号码" in text(response)
    response = upload(client, xlsx([]))
    assert response.status_code == 400 and "没有数据行" in text(response)
    assert session.execute(select(func.count(ImportBatch.id))).scalar_one() == 0


def test_too_many_rows(org, login):
    rows = [[f"bulk{i:04d}", "批量", "甲区市场监督管理局", "13700000000", None] for i in range(101)]
    response = upload(login(org.sysadmin), xlsx(rows))
    assert response.status_code == 400 and "数据超过100行" in text(response)


def test_upload_needs_a_file_and_csrf_and_a_system_admin(org, login):
    client = login(org.sysadmin)
    assert "上传并校验" in text(client.get("/imports/users/"))
    response = post(client, "/imports/users/", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and "请选择要上传的文件" in text(response)
    response = client.post(
        "/imports/users/",
        data={"file": (io.BytesIO(messy(org)), "u.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    secadmin = login(org.secadmin)
    assert secadmin.get("/imports/users/").status_code == 403
    assert upload(secadmin, messy(org)).status_code == 403
    assert secadmin.get("/imports/users/template.xlsx").status_code == 403


def test_unconfirmed_uploads_expire_and_are_purged(org, login, session):
    from datetime import timedelta

    from models import utcnow

    client = login(org.sysadmin)
    old_id = _batch_id(upload(client, messy(org)))
    old = session.get(ImportBatch, old_id)
    old.created_at = utcnow() - timedelta(hours=25)
    session.commit()
    assert "已失效" in text(client.get(f"/imports/users/{old_id}"))
    response = post(client, f"/imports/users/{old_id}/confirm", VALID)
    assert response.status_code == 409 and "已失效" in text(response)
    # the next upload drops the stale file
    _batch_id(upload(client, messy(org)))
    session.refresh(old)
    assert old.status == ImportStatus.DISCARDED and old.content == b""


def test_upload_over_the_size_limit_is_413(org, login, app):
    client = login(org.sysadmin)
    response = upload(client, b"PK" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert "10MB" in text(response)
