"""The 监管部门's court pages (/court, the dossier's section): what the court called and fed back
about the entities of the reader's area; another district's entity or case answers 404; the
Excel exports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from services.court import sharing
from tests.factories.api import api_user
from tests.factories.clock import freeze
from tests.factories.court import court_client, feed
from tests.factories.directories import make_entity


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)


@pytest.fixture()
def data(org, make_user, session):
    court = court_client(make_user, org)
    mine = make_entity(org.clerk_a, 3601, name="甲区送达测试有限公司")
    sharing.record_lookup(court, None, mine, mine.uscc, ["法定代表人"])
    case = feed(court, mine, case_no="(2026)川0108民初601号").case
    theirs = make_entity(org.clerk_b, 3602, division_code="510109001000", name="乙区送达测试有限公司")
    other_case = feed(api_user(make_user, org.bureau_b), theirs, case_no="(2026)川0109民初602号").case
    session.commit()
    return mine, case, theirs, other_case


def test_the_calls_page_lists_the_areas_calls_with_filters(client, login, org, data):
    mine, case, _theirs, _other = data
    login(org.clerk_a)
    html = client.get("/court/calls").get_data(as_text=True)
    assert "甲区送达测试有限公司" in html and "(2026)川0108民初601号" in html and "获取市场主体基本信息" in html
    assert "乙区送达测试有限公司" not in html and "(2026)川0109民初602号" not in html
    html = client.get("/court/calls?kind=lookup").get_data(as_text=True)
    assert "(2026)川0108民初601号" not in html and "返回字段：法定代表人" in html
    html = client.get("/court/calls?result=served&since=bad").get_data(as_text=True)
    assert "没有符合条件的调用记录" in html and "调用日期（起）格式不正确" in html


def test_the_entity_and_case_pages_and_another_district(client, login, org, data):
    mine, case, theirs, other_case = data
    login(org.clerk_a)
    html = client.get(f"/court/entities/{mine.id}").get_data(as_text=True)
    assert "(2026)川0108民初601号" in html and "未送达" in html and "企业送达信息共享：" in html
    html = client.get(f"/court/cases/{case.id}").get_data(as_text=True)
    assert "成都市锦江区人民法院" in html and "司法送达失败预警" in html and "成都市甲区一路1号" in html
    assert client.get(f"/court/entities/{theirs.id}").status_code == 404
    assert client.get(f"/court/cases/{other_case.id}").status_code == 404
    assert client.get("/court/cases/999999").status_code == 404


def test_the_dossier_has_a_court_section_for_staff(client, login, org, make_user, data):
    from models.roles import Role

    mine = data[0]
    login(org.clerk_a)
    html = client.get(f"/entities/{mine.id}/dossier").get_data(as_text=True)
    assert 'id="section-court"' in html and "(2026)川0108民初601号" in html
    liaison = make_user(org.health_a, Role.MEMBER_LIAISON)
    login(liaison)
    html = client.get(f"/entities/{mine.id}/dossier").get_data(as_text=True)
    assert 'id="section-court"' not in html


def test_the_risk_warning_links_to_the_case(client, login, org, data):
    _mine, case, _theirs, _other = data
    login(org.clerk_a)
    html = client.get("/risk/warnings?status=open").get_data(as_text=True)
    assert "司法送达失败预警" in html


def test_statistics_and_the_exports(client, login, org, data):
    login(org.leader_a)
    html = client.get("/court/statistics").get_data(as_text=True)
    assert "2026-11-04" in html and "甲区送达测试有限公司" in html and "乙区送达测试有限公司" not in html
    response = client.get("/court/statistics.xlsx?by=month")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    periods = [row for row in wb["送达信息统计"].iter_rows(values_only=True)]
    assert periods[1] == ("2026-11", 1, 1, 0, 1) and periods[-1][0] == "合计"
    names = [row[0] for row in wb["有未送达案件的市场主体"].iter_rows(values_only=True)]
    assert names == ["市场主体", "甲区送达测试有限公司"]
    response = client.get("/court/calls.xlsx")
    rows = list(load_workbook(io.BytesIO(response.data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {"获取市场主体基本信息", "反馈案件信息及送达信息"}
    assert all("乙区" not in str(c) for r in rows for c in r)


def test_roles_other_than_staff_are_refused(client, login, org, data):
    login(org.office_user)
    assert client.get("/court/calls").status_code == 403
    assert client.get("/court/statistics").status_code == 403
    login(org.sysadmin)
    assert client.get("/court/calls").status_code == 403
