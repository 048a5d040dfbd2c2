"""/assessment per role: the office computes, checks, judges and downloads; a leader sees
their own unit's card only (another unit's card, run or evidence answers 404 or 403)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from models import AssessmentEvidence, AssessmentRun
from models.facts import Sanction
from tests.conftest import csrf_token
from tests.factories import assessment as f
from tests.factories.clock import freeze


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch, f.AFTER_CUTOFF)


def _late_sanction(org):
    return f.fact(Sanction, org.bureau_a, f.cn(2026, 6, 12, 9), list_kind="严重违法失信名单",
                  decided_on=date(2026, 6, 1), entity_id=f.entity(org).id)


def _compute(client, year="2026"):
    return client.post("/assessment/runs", data={"csrf_token": csrf_token(client, "/assessment/"), "year": year})


def _cards(session):
    run = session.execute(select(AssessmentRun).order_by(AssessmentRun.id.desc())).scalars().first()
    return run, {c.department.name: c for c in run.cards}


def test_office_computes_the_scorecard_and_follows_a_deduction_to_its_record(client, login, org, session):
    fact = _late_sanction(org)
    login(org.office_user)
    index = client.get("/assessment/").get_data(as_text=True)
    assert "平台应用考核" in index and "计算考核结果" in index and "甲区卫生健康局" in index
    made = _compute(client)
    assert made.status_code == 302
    run, cards = _cards(session)
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "2026年度考核评分表" in page and "不予评分" in page and "甲区市场监督管理局" in page
    card = client.get(f"/assessment/cards/{cards['甲区市场监督管理局'].id}").get_data(as_text=True)
    cited = cards["甲区市场监督管理局"].deductions[0]
    assert f'href="/assessment/deductions/{cited.id}"' in card and "−5" in card and "2026-06-08" in card
    assert f"惩戒信息 #{fact.id}" in card
    record = client.get(f"/assessment/deductions/{cited.id}").get_data(as_text=True)
    assert "认定日期" in record and "2026-06-01" in record and "2026-06-12 09:00" in record
    assert "/collection/sanction/" not in record  # the office may not open the clerks' page
    login(org.clerk_a)
    assert client.get(f"/assessment/deductions/{cited.id}").status_code == 403
    login(org.leader_b)
    assert client.get(f"/assessment/deductions/{cited.id}").status_code == 404
    login(org.office_user)
    empty = client.get(f"/assessment/cards/{cards['甲区应急管理局'].id}").get_data(as_text=True)
    assert "不予评分" in empty and "没有归集信息" in empty
    assert "复核一致" in client.get(f"/assessment/runs/{run.id}/verify").get_data(as_text=True)
    pdf = client.get(f"/assessment/runs/{run.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    xlsx = client.get(f"/assessment/runs/{run.id}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")


@pytest.mark.parametrize(("year", "message"), [("2016", "2017年1月1日起施行"), ("2027", "尚未开始"), ("abc", "请填写考核年度")])
def test_a_bad_year_is_refused_in_chinese_and_nothing_is_stored(client, login, org, session, year, message):
    login(org.office_user)
    answer = _compute(client, year)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert session.execute(select(AssessmentRun)).first() is None


def test_leader_sees_own_unit_only(client, login, org, session):
    _late_sanction(org)
    login(org.office_user)
    _compute(client)
    run, cards = _cards(session)
    login(org.leader_a)
    own = client.get("/assessment/").get_data(as_text=True)
    assert "甲区市场监督管理局" in own and f"/assessment/cards/{cards['甲区市场监督管理局'].id}" in own
    assert client.get(f"/assessment/cards/{cards['甲区市场监督管理局'].id}").status_code == 200
    assert client.get(f"/assessment/cards/{cards['甲区市场监督管理局'].id}.pdf").status_code == 200
    assert client.get(f"/assessment/cards/{cards['甲区卫生健康局'].id}").status_code == 404
    assert client.get(f"/assessment/cards/{cards['甲区卫生健康局'].id}.xlsx").status_code == 404
    assert client.get(f"/assessment/runs/{run.id}").status_code == 403
    login(org.leader_b)
    assert client.get(f"/assessment/cards/{cards['甲区市场监督管理局'].id}").status_code == 404
    login(org.office_b_user)
    assert client.get(f"/assessment/runs/{run.id}").status_code == 404
    for user in (org.clerk_a, org.inspector_a, org.sysadmin):
        login(user)
        assert client.get("/assessment/").status_code == 403


def _judge(client, unit_id, data, files=None):
    url = f"/assessment/2026/units/{unit_id}/judge"
    body = {"csrf_token": csrf_token(client, url), **data}
    for key, (name, content) in (files or {}).items():
        body[key] = (io.BytesIO(content), name)
    return client.post(url, data=body, content_type="multipart/form-data")


def test_office_judges_with_evidence_and_the_next_run_counts_it(client, login, org, session):
    _late_sanction(org)
    login(org.office_user)
    bad = _judge(client, org.bureau_a.id, {"points_S2": "3", "note_S2": "x"})
    assert bad.status_code == 400 and "5分的倍数" in bad.get_data(as_text=True)
    no_note = _judge(client, org.bureau_a.id, {"points_S1": "5"})
    assert no_note.status_code == 400 and "评定依据" in no_note.get_data(as_text=True)
    fake = _judge(client, org.bureau_a.id, {"points_S1": "5", "note_S1": "未见制度"},
                  {"evidence_S1": ("制度.pdf", b"not a pdf")})
    assert fake.status_code == 422 and "不符" in fake.get_data(as_text=True)
    done = _judge(client, org.bureau_a.id, {"points_S1": "5", "note_S1": "未提交使用管理制度"},
                  {"evidence_S1": ("核查记录.pdf", b"%PDF-1.4 evidence")})
    assert done.status_code == 302
    evidence = session.execute(select(AssessmentEvidence)).scalar_one()
    _compute(client)
    _run, cards = _cards(session)
    card = client.get(f"/assessment/cards/{cards['甲区市场监督管理局'].id}").get_data(as_text=True)
    assert "未提交使用管理制度" in card and "核查记录.pdf" in card
    assert cards["甲区市场监督管理局"].total == 90 and cards["甲区市场监督管理局"].pending == 5
    assert client.get(f"/assessment/evidence/{evidence.id}").data == b"%PDF-1.4 evidence"
    login(org.leader_a)
    assert client.get(f"/assessment/evidence/{evidence.id}").status_code == 200
    assert client.get(f"/assessment/2026/units/{org.bureau_a.id}/judge").status_code == 403
    login(org.leader_b)
    assert client.get(f"/assessment/evidence/{evidence.id}").status_code == 404
    login(org.office_b_user)
    assert client.get(f"/assessment/2026/units/{org.bureau_a.id}/judge").status_code == 404
    assert client.get(f"/assessment/evidence/{evidence.id}").status_code == 404
