"""导入联合奖惩对象 (/imports/sanction_objects/?list_id=): the 发起部门 imports the objects of a list
being formed; each row checked as the form's object is (unknown code, invalid ID number, behaviour
not published, 认定日期 in the future, validity before 认定日期), the annotated copy names the
problems, a re-import updates by the natural key (code and behaviour)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from models import SanctionList, SanctionObject, db
from services.imports import kinds
from tests.conftest import csrf_token, sign_in
from tests.factories.dossier import id_number
from tests.factories.import_kinds import workbook
from tests.factories.sanctions import Setup

KIND = kinds.KINDS["sanction_objects"]
BEHAVIOUR = "严重违法失信企业"


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def _upload(client, lst, rows):
    url = f"/imports/sanction_objects/?list_id={lst.id}"
    token = csrf_token(client, url)
    resp = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(workbook(KIND, rows)), "名单.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    preview = resp.headers["Location"]
    return preview, int(preview.rstrip("/").rsplit("/", 1)[-1]), token


def test_rows_checked_annotated_and_reimported_by_natural_key(client, sx, org):
    sx.published()
    uscc = sx.entity(1).uscc
    person = id_number("19900307451")
    lst = SanctionList(department_id=org.bureau_a.id, title="导入名单", created_by_id=org.clerk_a.id)
    db.session.add(lst)
    db.session.commit()
    sign_in(client, org.clerk_a)
    assert client.get(f"/sanctions/lists/{lst.id}").get_data(as_text=True).count("批量导入对象") == 1
    template = client.get("/imports/sanction_objects/template.xlsx")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).worksheets[0][1]][:4] == [
        "序号", "对象类型", "名称", "统一社会信用代码/身份证号"]
    rows = [
        [1, "市场主体", "", uscc.lower(), BEHAVIOUR, "（2026）川0108执1号", "2026-03-01", "2029-03-01"],
        [2, "自然人", "张三", person[:-1] + ("0" if person[-1] != "0" else "1"), BEHAVIOUR, "依据", "2026-03-01", ""],
        [3, "市场主体", "", "91510108MA6CX99999", BEHAVIOUR, "依据", "2026-03-01", ""],
        [4, "市场主体", "", uscc, "未发布的行为", "依据", "2026-03-01", ""],
        [5, "自然人", "李四", person, BEHAVIOUR, "依据", "2099-03-01", ""],
        [6, "自然人", "李四", person, BEHAVIOUR, "依据", "2026-03-01", "2026-01-01"],
        [7, "自然人", "王五", " " + person + " ", BEHAVIOUR, "依据", "2026-03-01", ""],
    ]
    preview, batch_id, token = _upload(client, lst, rows)
    html = client.get(preview).get_data(as_text=True)
    for message in ("身份证号无效", "不在本地区市场主体库中", "不在已发布的联合奖惩事项清单中", "认定日期不能晚于今天",
                    "有效期至不能早于认定日期"):
        assert message in html, message
    ws = load_workbook(io.BytesIO(client.get(f"/imports/sanction_objects/{batch_id}/errors").data)).active
    notes = {r: ws.cell(row=r, column=ws.max_column).value for r in range(2, 9)}
    assert not notes[2] and "身份证号无效" in notes[3] and not notes[8]
    resp = client.post(f"/imports/sanction_objects/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 400 and db.session.query(SanctionObject).count() == 0
    resp = client.post(f"/imports/sanction_objects/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 302
    objects = {o.code: o for o in db.session.query(SanctionObject).filter_by(list_id=lst.id)}
    assert set(objects) == {uscc, person} and objects[person].name == "王五"
    # the same objects again: updated by (code, behaviour), nothing added
    again = [[1, "市场主体", "", uscc, BEHAVIOUR, "（2026）川0108执1号之一", "2026-03-02", ""],
             [2, "自然人", "王五", person, BEHAVIOUR, "依据", "2026-03-01", ""]]
    preview, batch_id, token = _upload(client, lst, again)
    resp = client.post(f"/imports/sanction_objects/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 302
    assert "新增 0 个，更新 1 个" in client.get(preview).get_data(as_text=True)
    entity = db.session.query(SanctionObject).filter_by(list_id=lst.id, code=uscc).one()
    db.session.refresh(entity)
    assert entity.basis == "（2026）川0108执1号之一" and entity.valid_until is None
    assert db.session.query(SanctionObject).filter_by(list_id=lst.id).count() == 2


def test_only_the_initiating_department_on_a_draft_list(client, sx, org):
    lst = sx.listed(people=False)  # formed and published
    sign_in(client, org.clerk_a)
    assert client.get(f"/imports/sanction_objects/?list_id={lst.id}").status_code == 409
    sign_in(client, org.clerk_b)
    assert client.get(f"/imports/sanction_objects/?list_id={lst.id}").status_code == 404
    sign_in(client, org.health_clerk)
    assert client.get(f"/imports/sanction_objects/?list_id={lst.id}").status_code == 404
