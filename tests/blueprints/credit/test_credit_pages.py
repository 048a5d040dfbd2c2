"""/credit pages and the grade partial of the dossier: who sees grades, who edits the scorecards
and the basis, and that no grade reaches a public page (seed 002 五(二))."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infrastructure import clock
from models import AbnormalListing, MarketEntity, Sanction, db
from models.credit import GradeRecord
from models.roles import Role
from services.credit import cards, grades, scoring
from tests.conftest import csrf_token
from tests.factories.directories import make_entity
from tests.factories.dossier import fact


@pytest.fixture()
def graded(org, session):
    e = make_entity(org.clerk_a, 8101, industry_code="L7211", business_address="x", credit_grade="B",
                    credit_grade_source="国家“互联网+监管”系统", credit_grade_on="2026-06-30")
    fact(Sanction, org.bureau_a, entity_id=e.id, list_kind="严重违法失信名单",
         decided_on=clock.china_today() - timedelta(days=3))
    fact(AbnormalListing, org.bureau_a, entity_id=e.id, listed_on=clock.china_today() - timedelta(days=30))
    scoring.recompute()  # local 80: C
    session.commit()
    return e


@pytest.fixture()
def city_leader(org, make_department, make_user):
    credit = make_department("测试市信用监督管理科", org.city, region_code="510100")
    return make_user(credit, Role.DEPT_LEADER, name="市信用科科长")


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_staff_see_the_breakdown_on_the_dossier(client, login, org, graded):
    grades.set_basis(org.leader_a, "worse")
    db.session.commit()
    for user in (org.clerk_a, org.leader_a, org.inspector_a):
        login(user)
        html = text(client.get(f"/entities/{graded.id}/dossier"))
        for expected in ("信用风险分类", "国家等级", "国家“互联网+监管”系统", "本地评分等级", "80.00分", "列入失信名单（未移出）",
                         "列入经营异常名录（未移出）", "等级变更记录", "抽查使用国家等级与本地等级中较差者", "C级"):
            assert expected in html, (user.name, expected)


def test_roles_that_may_not_see_grades_do_not(client, login, org, graded):
    login(org.office_user)
    html = text(client.get(f"/entities/{graded.id}/dossier"))
    assert "信用风险" not in html and "B级" not in html and "本地评分" not in html
    for url in ("/credit/cards", "/credit/cards/default", "/credit/basis"):
        assert client.get(url).status_code == 403, url


def test_admins_and_anonymous_are_kept_out(client, login, org, graded):
    assert client.get("/credit/cards").status_code in (302, 401)
    login(org.sysadmin)
    assert client.get("/credit/basis").status_code == 403


def test_no_grade_on_public_pages(client, org, graded):
    for url in ("/public/items", "/public/draws"):
        resp = client.get(url)
        assert resp.status_code in (200, 404)
        assert "信用风险" not in text(resp) and "本地评分" not in text(resp)


def test_the_editor_for_a_city_leader(client, login, org, city_leader):
    login(city_leader)
    html = text(client.get("/credit/cards/food"))
    assert "食品评分卡" in html and "保存" in html and "修改记录" in html
    form = {k: str(v) for k, v in cards.form_values(cards.DEFAULTS["food"]).items()}
    token = csrf_token(client, "/credit/cards/food")
    bad = client.post("/credit/cards/food", data=form | {"weight_basic": "10", "csrf_token": token, "version": "0"})
    assert bad.status_code == 422 and "各指标组权重之和应为100，当前为105" in text(bad)
    assert cards.card_version("food") == 0
    ok = client.post("/credit/cards/food", data=form | {"points_complaint": "3", "csrf_token": token, "version": "0"})
    assert ok.status_code == 302 and cards.card_version("food") == 1
    html = text(client.get("/credit/cards/food"))
    assert "近一年被投诉举报（每件） 2→3分" in html
    stale = client.post("/credit/cards/food", data=form | {"csrf_token": token, "version": "0"})
    assert stale.status_code == 409


def test_others_read_the_cards_but_cannot_save(client, login, org):
    login(org.leader_a)
    html = text(client.get("/credit/cards/default"))
    assert "评分卡由市级部门的部门领导维护" in html
    form = {k: str(v) for k, v in cards.form_values(cards.DEFAULTS["default"]).items()}
    resp = client.post("/credit/cards/default", data=form | {"csrf_token": csrf_token(client, "/credit/cards/default"),
                                                             "version": "0"})
    assert resp.status_code == 403 and cards.card_version("default") == 0
    assert client.get("/credit/cards/nope").status_code == 404


def test_the_basis_page(client, login, org, graded):
    login(org.clerk_a)
    token = csrf_token(client, "/credit/basis")
    assert client.post("/credit/basis", data={"basis": "worse", "csrf_token": token}).status_code == 403
    login(org.leader_a)
    token = csrf_token(client, "/credit/basis")
    assert client.post("/credit/basis", data={"basis": "x", "csrf_token": token}).status_code == 400
    resp = client.post("/credit/basis", data={"basis": "worse", "csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(MarketEntity, graded.id).credit_grade == "C"  # local 80: C, worse than B
    assert db.session.get(GradeRecord, graded.id).basis == "worse"
    assert "两者中较差者" in text(client.get("/credit/basis"))
