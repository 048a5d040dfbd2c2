"""/notice pages (docs/notice.md): receipt on opening, feedback, scope, the catalogue and the
mapping kept by the 系统管理员, the 未通过验证清单 export, 我的待办."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEvent, LicenceItem, ScopeNotice, db
from models.notice import NoticeStatus
from tests.conftest import csrf_token
from tests.factories.notice import food_entity, map_food


def _notice(org):
    map_food(org)
    entity = food_entity(org, scope="食品生产")
    return db.session.execute(select(ScopeNotice).where(ScopeNotice.entity_id == entity.id)).scalar_one()


def test_opening_a_notice_sends_the_receipt_once(client, org, login, session):
    notice = _notice(org)
    login(org.clerk_a)  # the registering side sees it but sends no receipt
    assert client.get(f"/notice/{notice.id}").status_code == 200
    session.refresh(notice)
    assert notice.received_at is None
    login(org.health_clerk)
    page = client.get(f"/notice/{notice.id}").get_data(as_text=True)
    session.refresh(notice)
    assert notice.received_by_id == org.health_clerk.id and "回执人：赵敏" in page
    client.get(f"/notice/{notice.id}")
    receipts = session.execute(select(AuditEvent).where(AuditEvent.object_type == "scope_notice",
                                                        AuditEvent.action == "receipt")).scalars().all()
    assert len(receipts) == 1


def test_another_district_gets_404(client, org, login, session):
    notice = _notice(org)
    for user in (org.clerk_b, org.leader_b):
        login(user)
        assert client.get(f"/notice/{notice.id}").status_code == 404
        assert "甲区" not in client.get("/notice/").get_data(as_text=True)
    login(org.safety_clerk)  # same district, not a party
    assert client.get(f"/notice/{notice.id}").status_code == 404


def test_feedback_on_the_page(client, org, login, session):
    notice = _notice(org)
    login(org.health_clerk)
    token = csrf_token(client, f"/notice/{notice.id}")
    bad = client.post(f"/notice/{notice.id}/issued", data={"csrf_token": token, "permit_no": "", "issued_on": ""})
    assert bad.status_code == 400 and "请填写许可证号" in bad.get_data(as_text=True)
    ok = client.post(f"/notice/{notice.id}/issued",
                     data={"csrf_token": token, "permit_no": "JY15101080001", "issued_on": "2026-03-05"})
    assert ok.status_code == 302
    session.refresh(notice)
    assert notice.status == NoticeStatus.ISSUED and notice.permit_no == "JY15101080001"
    again = client.post(f"/notice/{notice.id}/refuse", data={"csrf_token": token, "reason": "迟到"})
    assert again.status_code == 409
    login(org.clerk_a)
    token = csrf_token(client, f"/notice/{notice.id}")
    assert client.post(f"/notice/{notice.id}/refuse", data={"csrf_token": token, "reason": "x"}).status_code == 403


def test_the_inbox_lists_the_departments_notices(client, org, login, session):
    notice = _notice(org)
    login(org.health_clerk)
    page = client.get("/inbox").get_data(as_text=True)
    assert "双告知" in page and f"/notice/{notice.id}" in page
    assert client.get("/inbox/count").get_data(as_text=True) == "1"
    login(org.clerk_a)
    assert f"/notice/{notice.id}" not in client.get("/inbox").get_data(as_text=True)


def test_the_failed_list_and_its_export(client, org, login, session):
    notice = _notice(org)
    login(org.health_clerk)
    assert notice.entity.name in client.get("/notice/failed").get_data(as_text=True)
    resp = client.get("/notice/failed.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("市场主体名称", "统一社会信用代码", "办理事项名称")
    assert rows[1][0] == notice.entity.name and rows[1][6] == "未反馈"


def test_single_verification_and_unmatched_list(client, org, login, session):
    notice = _notice(org)
    plain = food_entity(org, 2, scope="服装销售")
    login(org.clerk_a)
    token = csrf_token(client, "/notice/verify")
    page = client.post("/notice/verify", data={"csrf_token": token, "key": notice.entity.uscc}).get_data(as_text=True)
    assert "未发证" in page
    missing = client.post("/notice/verify", data={"csrf_token": token, "key": "不存在的主体"})
    assert missing.status_code == 404 and "本辖区未找到" in missing.get_data(as_text=True)
    assert plain.name in client.get("/notice/unmatched").get_data(as_text=True)


def test_the_catalogue_by_section_and_its_edit(client, org, login, session):
    login(org.sysadmin)
    page = client.get("/notice/catalogue?section=2").get_data(as_text=True)
    assert "生猪定点屠宰证书核发" in page and "煤炭开采审批" not in page
    item = session.execute(select(LicenceItem).where(LicenceItem.seq == 19)).scalar_one()
    url = f"/notice/catalogue/{item.id}/edit"
    token = csrf_token(client, url)
    form = {"csrf_token": token, "seq": "19", "section_no": "4", "name": "食品生产许可", "phrases": "食品生产\n食品加工",
            "active": "1"}
    bad = client.post(url, data={**form, "departments": "不存在的局"})
    assert bad.status_code == 400 and "审批部门“不存在的局”不在组织机构中" in bad.get_data(as_text=True)
    ok = client.post(url, data={**form, "departments": "甲区卫生健康局"})
    assert ok.status_code == 302
    session.refresh(item)
    assert item.phrase_list == ["食品生产", "食品加工"] and [a.name for a in item.authorities] == ["甲区卫生健康局"]
    login(org.sysadmin_b)  # a district's administrator reads the catalogue, does not edit it
    assert client.get("/notice/catalogue").status_code == 200
    assert client.get(url).status_code == 403
    login(org.clerk_a)
    assert client.get("/notice/catalogue").status_code == 403


def test_the_mapping_page_lists_unmapped_first_and_maps(client, org, login, session):
    login(org.sysadmin_b)
    page = client.get("/notice/authorities").get_data(as_text=True)
    assert "未对应" in page and "甲区" not in page
    from tests.factories.notice import FOOD, authority

    token = csrf_token(client, "/notice/authorities")
    url = f"/notice/authorities/{authority(FOOD).id}"
    refused = client.post(url, data={"csrf_token": token, "department_id": str(org.health_a.id)})
    assert refused.status_code == 400 and "请选择本辖区" in refused.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "department_id": str(org.bureau_b.id)}).status_code == 302


def test_adding_an_item_and_matching_it(client, org, login, session):
    from models import ApprovalAuthority
    from services.notice.matching import Matcher

    login(org.sysadmin)
    token = csrf_token(client, "/notice/catalogue/new")
    form = {"csrf_token": token, "seq": "143", "section_no": "6", "name": "建筑施工企业资质认定",
            "departments": "甲区应急管理局", "phrases": "建筑工程施工", "active": "1"}
    taken = client.post("/notice/catalogue/new", data={**form, "seq": "19"})
    assert taken.status_code == 400 and "序号 19 已被其他事项使用" in taken.get_data(as_text=True)
    assert client.post("/notice/catalogue/new", data=form).status_code == 302
    item = session.execute(select(LicenceItem).where(LicenceItem.seq == 143)).scalar_one()
    assert item.section == "建筑业"
    assert session.execute(select(ApprovalAuthority).where(ApprovalAuthority.name == "甲区应急管理局")).scalar_one()
    assert [h.item_id for h in Matcher.from_catalogue().match("建筑工程施工；劳务分包")] == [item.id]
