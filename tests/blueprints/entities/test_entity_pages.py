"""/entities: the list and its htmx filters, an entity's page, the forms, delete, tags, the
import pages, and the guard that keeps credit-risk grades off every public page."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from infrastructure.validators import uscc_check_char
from models import ImportBatch, ImportStatus, MarketEntity, db
from models.roles import Role
from services import entities as svc
from services import entity_search
from tests.conftest import csrf_token
from workflows import engine

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_MARKER = "内部等级来源甲乙丙"  # a credit_grade_source no public page may show


def uscc(body: str) -> str:
    return body + uscc_check_char(body)


U1 = uscc("91510108MA6CX0001")
U2 = uscc("91510108MA6CX0002")


def form(**overrides):
    values = {
        "name": "成都甲区好味餐饮有限公司",
        "uscc": U1,
        "reg_no": "",
        "entity_type": "enterprise",
        "legal_rep": "张三",
        "domicile": "甲区建设路1号",
        "business_address": "",
        "division_code": "510108001000",
        "division_name": "甲区建设路街道",
        "industry_code": "H6210",
        "industry_name": "正餐服务",
        "business_scope": "餐饮服务",
        "status": "active",
        "established_on": "2015/3/4",
        "registered_capital": "100.5",
        "phone": "028-84321234",
        "tags": "餐饮、重点",
        "credit_grade": "C",
        "credit_grade_source": GRADE_MARKER,
        "credit_grade_on": "2024-06-30",
    }
    values.update(overrides)
    return values


@pytest.fixture()
def entity(org, session):
    made = svc.create_entity(org.clerk_a, form())
    session.commit()
    return made


def post(client, url, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/entities/"))
    return client.post(url, data=data, **kwargs)


def text(resp) -> str:
    return resp.get_data(as_text=True)


# ------------------------------------------------------------------ list


def test_menu_and_roles(client, org, login, entity):
    for user in (org.clerk_a, org.leader_a, org.inspector_a):
        login(user)
        resp = client.get("/entities/")
        assert resp.status_code == 200, user.name
        assert "市场主体库" in text(resp) and entity.name in text(resp)
    login(org.sysadmin)
    assert client.get("/entities/").status_code == 403
    assert "市场主体库" not in text(client.get("/admin/users"))
    login(org.leader_a)
    html = text(client.get("/entities/"))
    assert "登记市场主体" not in html and "批量导入" not in html
    assert client.get("/entities/new").status_code == 403


def test_filters_rerender_the_results_block_alone(client, org, login, entity, session, monkeypatch):
    svc.create_entity(org.clerk_a, form(name="锦城药房", uscc=U2, industry_code="F5251", credit_grade="A", tags=""))
    session.commit()
    login(org.clerk_a)
    page = text(client.get("/entities/"))
    assert 'hx-push-url="true"' in page and 'hx-target="#entity-results"' in page
    resp = client.get("/entities/?industry=F52&grade=A&division=510108", headers={"HX-Request": "true"})
    html = text(resp)
    assert resp.status_code == 200
    assert "<html" not in html and 'id="entity-results"' in html
    assert "锦城药房" in html and entity.name not in html
    assert "共 1 个市场主体" in html
    # a history restore gets the whole page
    full = text(client.get("/entities/?grade=A", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}))
    assert "<html" in full
    # a contains search over too many rows says why it fell back to a prefix search
    html = text(client.get("/entities/?name=药房&contains=1", headers={"HX-Request": "true"}))
    assert "锦城药房" in html
    monkeypatch.setattr(entity_search, "SCAN_LIMIT", 1)
    html = text(client.get("/entities/?name=药房&contains=1", headers={"HX-Request": "true"}))
    assert "名称包含" in html and "没有符合条件的市场主体" in html


def test_keyset_pager_links(client, org, login, session):
    for i in range(25):
        svc.create_entity(org.clerk_a, form(name=f"主体{i:02d}", uscc=uscc(f"91510108MA6CX{i:04d}"), tags=""))
    session.commit()
    login(org.clerk_a)
    html = text(client.get("/entities/"))
    assert "主体24" in html and "主体04" not in html and "共 25 个" in html
    after = re.search(r'href="/entities/\?after=(\d+)"', html).group(1)
    second = text(client.get(f"/entities/?after={after}"))
    assert "主体04" in second and "主体24" not in second and "上一页" in second


def test_other_districts_do_not_see_the_entity(client, org, login, entity):
    login(org.clerk_b)
    assert entity.name not in text(client.get("/entities/"))
    for url in (f"/entities/{entity.id}", f"/entities/{entity.id}/edit", f"/entities/{entity.id}/delete"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/entities/{entity.id}/delete").status_code == 404
    assert post(client, f"/entities/{entity.id}/tags", {"tags": "x"}).status_code == 404
    assert post(client, f"/entities/{entity.id}/edit", form(name="改名")).status_code == 404


# ------------------------------------------------------------------ entity page


def test_entity_page_is_the_first_dossier(client, org, login, entity, session):
    inst = engine.start(7, org.clerk_a, title="好味餐饮专项检查", subject_type="market_entity", subject_id=entity.id)
    session.commit()
    login(org.clerk_a)
    html = text(client.get(f"/entities/{entity.id}"))
    for expected in (
        entity.name, U1, "企业", "张三", "510108001000", "H6210 正餐服务", "存续", "2015-03-04", "100.5 万元",
        "028-84321234", "C级", GRADE_MARKER, "2024-06-30", "重点", "餐饮", "好味餐饮专项检查", "新增", "王晓燕",
        "编辑", "删除",
    ):
        assert expected in html, expected
    assert f"/processes/instances/{inst.id}" in html
    # an inspector of a 市场监管所 reads the entity, not the bureau's process, and cannot edit
    login(org.inspector_a)
    html = text(client.get(f"/entities/{entity.id}"))
    assert entity.name in html and "C级" in html
    assert "好味餐饮专项检查" not in html and f"/entities/{entity.id}/edit" not in html


# ------------------------------------------------------------------ forms


def test_create_and_its_validation_messages(client, org, login, session):
    login(org.clerk_a)
    assert client.get("/entities/new").status_code == 200
    bad_uscc = U1[:17] + ("0" if U1[17] != "0" else "1")
    resp = post(client, "/entities/new", form(name="", uscc=bad_uscc, phone="12345", established_on="2024-02-30",
                                              registered_capital="一百"))
    html = text(resp)
    assert resp.status_code == 400
    for message in ("必填", "校验码", "固定电话", "日期不存在", "应为数字"):
        assert message in html, message
    resp = post(client, "/entities/new", form(division_code="510109001000"))
    assert resp.status_code == 400 and "不在本辖区" in text(resp)
    resp = post(client, "/entities/new", form())
    assert resp.status_code == 302
    entity = session.execute(select(MarketEntity).where(MarketEntity.uscc == U1)).scalar_one()
    assert resp.headers["Location"].endswith(f"/entities/{entity.id}")
    assert entity.established_on.isoformat() == "2015-03-04" and entity.tag_names == ["重点", "餐饮"]
    resp = post(client, "/entities/new", form(name="重复登记"))
    assert resp.status_code == 400 and "已登记" in text(resp)
    bad_csrf = client.post("/entities/new", data=form(csrf_token="x"))
    assert bad_csrf.status_code == 400


def test_edit(client, org, login, entity, session):
    login(org.clerk_a)
    html = text(client.get(f"/entities/{entity.id}/edit"))
    assert GRADE_MARKER in html and 'value="H6210"' in html
    resp = post(client, f"/entities/{entity.id}/edit", form(phone="1381234567"))
    assert resp.status_code == 400 and "固定电话" in text(resp)
    resp = post(client, f"/entities/{entity.id}/edit", form(phone="138 1234 5678", credit_grade="E"))
    assert resp.status_code == 302
    session.expire_all()
    assert entity.phone == "13812345678" and entity.credit_grade == "E"
    assert "13812345678" in text(client.get(f"/entities/{entity.id}"))


def test_tags_with_htmx(client, org, login, entity, session):
    login(org.clerk_a)
    resp = post(client, f"/entities/{entity.id}/tags", {"tags": "食品、特种设备"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and 'id="entity-tags"' in text(resp) and "<html" not in text(resp)
    session.expire_all()
    assert entity.tag_names == ["特种设备", "食品"]
    resp = post(client, f"/entities/{entity.id}/tags", {"tags": "x" * 40}, headers={"HX-Request": "true"})
    assert resp.status_code == 400 and "超过30个字" in text(resp)


def test_delete_with_confirmation(client, org, login, entity, session):
    login(org.clerk_a)
    html = text(client.get(f"/entities/{entity.id}/delete"))
    assert "确认删除" in html and entity.name in html
    ident = entity.id
    resp = post(client, f"/entities/{ident}/delete")
    assert resp.status_code == 302
    assert session.get(MarketEntity, ident) is None


def test_an_entity_in_a_process_is_not_deleted(client, org, login, entity, session):
    engine.start(7, org.clerk_a, title="检查", subject_type="market_entity", subject_id=entity.id)
    session.commit()
    login(org.clerk_a)
    assert "确认删除" not in text(client.get(f"/entities/{entity.id}/delete"))
    resp = post(client, f"/entities/{entity.id}/delete")
    assert resp.status_code == 409 and "业务流程引用" in text(resp)
    assert session.get(MarketEntity, entity.id) is not None


# ------------------------------------------------------------------ import

HEADER = ["主体名称 *", "统一社会信用代码", "主体类型 *", "行政区划编码 *", "登记状态 *", "成立日期", "信用风险等级"]


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, data: bytes, filename: str = "名录.xlsx"):
    return post(client, "/imports/entities/", {"file": (io.BytesIO(data), filename, XLSX)},
                content_type="multipart/form-data")


def test_import_pages(client, org, login, session):
    login(org.clerk_a)
    template = client.get("/imports/entities/template.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX
    assert "导入市场主体" in text(client.get("/imports/entities/"))
    data = workbook([
        ["好味餐饮", U1, "企业", "510108001000", "存续", 45296, "B"],
        ["科学计数法", 9.1e17, "企业", "510108001000", "存续", None, None],
        ["鲜果店", U2, "个体工商户", "510108001000", "存续", "2024/1/5", None],
    ])
    resp = upload(client, data)
    assert resp.status_code == 302, text(resp)[:500]
    batch_id = int(re.search(r"/imports/entities/(\d+)", resp.headers["Location"]).group(1))
    html = text(client.get(f"/imports/entities/{batch_id}"))
    assert "有效 <strong class=\"ok\">2</strong>" in html and "科学计数法" in html and "第3行" in html
    assert "built-in method" not in html and "更新已登记的 0 个" in html  # check["update"], not dict.update
    assert session.scalar(select(func.count()).select_from(MarketEntity)) == 0
    errors = client.get(f"/imports/entities/{batch_id}/errors")
    assert errors.status_code == 200 and errors.mimetype == XLSX
    resp = post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"})
    assert resp.status_code == 302
    assert "新增 2 个" in text(client.get(resp.headers["Location"]))
    assert session.scalar(select(func.count()).select_from(MarketEntity)) == 2
    again = post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"})
    assert again.status_code == 409


def test_import_batches_of_another_clerk_are_404(client, org, login, session):
    login(org.clerk_a)
    resp = upload(client, workbook([["好味餐饮", U1, "企业", "510108001000", "存续", None, None]]))
    batch_id = int(re.search(r"/imports/entities/(\d+)", resp.headers["Location"]).group(1))
    login(org.clerk_b)
    assert client.get(f"/imports/entities/{batch_id}").status_code == 404
    assert client.get(f"/imports/entities/{batch_id}/errors").status_code == 404
    assert post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"}).status_code == 404
    assert post(client, f"/imports/entities/{batch_id}/discard").status_code == 404
    assert session.get(ImportBatch, batch_id).status == ImportStatus.PENDING
    # a user import batch is not an entity batch
    login(org.clerk_a)
    session.get(ImportBatch, batch_id).kind = "users"
    session.commit()
    assert client.get(f"/imports/entities/{batch_id}").status_code == 404


def test_import_refusals_are_400_and_the_size_limit_is_20mb(client, org, login, app, session):
    login(org.clerk_a)
    resp = upload(client, b"not a workbook")
    assert resp.status_code == 400 and "不是" in text(resp)
    resp = upload(client, workbook([]))
    assert resp.status_code == 400 and "没有数据行" in text(resp)
    big = b"PK" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)  # over the app's limit, under ours
    resp = upload(client, big)
    assert resp.status_code == 400  # read and refused as a damaged file, not 413
    huge = b"PK" + b"0" * (21 * 1024 * 1024)
    resp = upload(client, huge)
    assert resp.status_code == 413 and "20MB" in text(resp)
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_gbk_csv_upload(client, org, login, session):
    login(org.clerk_a)
    content = "主体名称,统一社会信用代码,主体类型,行政区划编码,登记状态\n甲区豆花饭," + U1 + ",个体工商户,510108,存续\n"
    resp = post(client, "/imports/entities/", {"file": (io.BytesIO(content.encode("gbk")), "名录.csv", "text/csv")},
                content_type="multipart/form-data")
    assert resp.status_code == 302
    batch_id = int(re.search(r"/imports/entities/(\d+)", resp.headers["Location"]).group(1))
    assert post(client, f"/imports/entities/{batch_id}/confirm", {"mode": "valid"}).status_code == 302
    assert session.execute(select(MarketEntity.name).where(MarketEntity.uscc == U1)).scalar_one() == "甲区豆花饭"


# ------------------------------------------------------------------ credit grades stay internal


def test_credit_grade_is_on_no_public_page(app, client, entity, org):
    """Every route an anonymous visitor can reach (the sign-in page, the public item lists and
    their feed) must not show an entity's credit-risk grade or its source."""
    from services import items

    published = items.create_item(
        org.clerk_a,
        {"domain": "食品安全", "name": "公开事项", "objects": "餐饮服务提供者", "category": "key",
         "methods": ["实地核查"], "inspecting_body": "甲区市场监督管理局", "basis": "《食品安全法》"},
    )
    db.session.commit()
    params = {"entity_id": entity.id, "batch_id": 1, "instance_id": 1, "item_id": 1, "table": 12,
              "department_id": 1, "parent_id": 1, "user_id": 1, "event_id": 1, "filename": "css/app.css",
              "id": published.id, "subject_id": published.id}
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or set(rule.arguments) - set(params):
            continue
        url = rule.build({p: params[p] for p in rule.arguments}, append_unknown=False)[1]
        resp = client.get(url)
        if resp.status_code == 200:
            seen += 1
            body = resp.data
            for secret in (GRADE_MARKER, "信用风险", entity.name):
                assert secret.encode() not in body, (url, secret)
        else:
            assert resp.status_code in (302, 401, 403, 404), (url, resp.status_code)
    assert seen >= 5  # the sign-in page and the public list, item page, JSON and CSV


def test_only_signed_in_staff_see_grades(client, org, login, entity):
    assert client.get(f"/entities/{entity.id}").status_code == 302  # to the sign-in page
    login(org.clerk_a)
    assert GRADE_MARKER in text(client.get(f"/entities/{entity.id}"))
    assert any(r == Role.CLERK for r in svc.VIEW_ROLES)


def test_fact_filters_on_the_list(client, org, login, entity, session):
    """持有有效许可、经营异常、处罚、失信 (services/entity_fact_filters.py) on the list's form."""
    from datetime import date

    from models import AbnormalListing, Permit
    from tests.factories.dossier import fact

    other = svc.create_entity(org.clerk_a, form(name="锦城药房", uscc=U2, tags=""))
    fact(Permit, org.health_a, entity_id=other.id, permit_no="YP-1", name="药品经营许可证", kind="药品经营许可")
    fact(AbnormalListing, org.bureau_a, entity_id=entity.id, listed_on=date(2025, 1, 1))
    session.commit()
    login(org.clerk_a)
    page = text(client.get("/entities/"))
    for expected in ('name="permit"', 'name="abnormal"', 'name="penalised"', 'name="blacklisted"',
                     '<option value="药品经营许可">'):
        assert expected in page, expected
    html = text(client.get("/entities/?permit=药品经营许可", headers={"HX-Request": "true"}))
    assert "锦城药房" in html and entity.name not in html and "共 1 个市场主体" in html
    html = text(client.get("/entities/?abnormal=1", headers={"HX-Request": "true"}))
    assert entity.name in html and "锦城药房" not in html
