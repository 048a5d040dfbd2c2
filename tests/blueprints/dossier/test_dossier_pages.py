"""/entities/<id>/dossier (一户一档), its timeline partial and PDF, and /persons/<id>: roles,
the scope of another district, confidentiality and the audited full ID number."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select

from models import AuditEvent, Officer
from tests.conftest import csrf_token
from tests.factories.clock import freeze
from tests.factories.directories import make_entity
from tests.factories.dossier import every_kind, fact, person

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
SECRETS = ("机密列入原因甲", "机密投诉事项乙", "机密案由丙")


@pytest.fixture()
def facts(org, session, monkeypatch):
    freeze(monkeypatch)
    entity = make_entity(org.clerk_a, 7101, established_on="2017-06-01", domicile="甲区科技路1号",
                         credit_grade="D", credit_grade_source="内部等级来源丁")
    made = every_kind(org, entity)
    session.commit()
    return made


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_the_dossier_on_one_screen(client, login, org, facts):
    entity = facts.entity
    login(org.clerk_a)
    assert f"/entities/{entity.id}/dossier" in text(client.get(f"/entities/{entity.id}"))
    resp = client.get(f"/entities/{entity.id}/dossier")
    html = text(resp)
    assert resp.status_code == 200
    for expected in ("行政许可", "JY-0001", "成华市监罚〔2025〕12号", "日常检查", "经营异常名录", "未按期公示年报",
                     "冻结股权30%", "预警信息", "暂无", "甲区商务秘书有限公司", "D级", *SECRETS):
        assert expected in html, expected
    assert 'href="#section-permit"' in html and f"/persons/{facts.legal_rep.id}" in html
    assert "JY-OLD" not in html  # a replaced version
    # the facts of the clerk's own department link to their 信息归集 page, the others' do not
    assert f"/collection/penalty/{facts.penalty.id}" in html and f"/collection/permit/{facts.permit.id}" not in html
    assert client.get(f"/collection/penalty/{facts.penalty.id}").status_code == 200
    assert "成立：" in html and f"/entities/{entity.id}/dossier.pdf" in html


def test_joint_conference_roles_see_the_confidential_kinds_not_the_grade(client, login, org, facts):
    login(org.office_user)
    html = text(client.get(f"/entities/{facts.entity.id}/dossier"))
    assert "JY-0001" in html and "仅限监管部门工作人员查看" not in html
    assert all(secret in html for secret in SECRETS)
    for secret in ("D级", "信用风险"):
        assert secret not in html, secret
    login(org.sysadmin)
    assert client.get(f"/entities/{facts.entity.id}/dossier").status_code == 403


def test_another_district_gets_404_as_on_the_entity_page(client, login, org, facts):
    login(org.clerk_b)
    entity_id = facts.entity.id
    assert client.get(f"/entities/{entity_id}").status_code == 404
    for url in (f"/entities/{entity_id}/dossier", f"/entities/{entity_id}/dossier/timeline",
                f"/entities/{entity_id}/dossier.pdf", f"/persons/{facts.legal_rep.id}"):
        assert client.get(url).status_code == 404, url


def test_timeline_filter_is_an_htmx_partial(client, login, org, facts):
    login(org.clerk_a)
    url = f"/entities/{facts.entity.id}/dossier/timeline?kind=permit"
    html = text(client.get(url, headers={"HX-Request": "true"}))
    assert "<html" not in html and html.lstrip().startswith('<div id="timeline-events"')
    assert "取得行政许可：食品经营许可证" in html and "成立：" not in html and "受到行政处罚" not in html
    assert f"/entities/{facts.entity.id}/dossier.pdf?kind=permit" in html  # the PDF of what is shown
    html = text(client.get(f"/entities/{facts.entity.id}/dossier/timeline?department={org.health_a.id}",
                           headers={"HX-Request": "true"}))
    assert "接受监督检查" in html and "受到行政处罚" not in html
    full = text(client.get(url))  # without htmx: the whole page, filtered
    assert "<html" in full and 'option value="permit" selected' in full


@needs_poppler
def test_the_dossier_pdf(client, login, org, facts):
    login(org.clerk_a)
    resp = client.get(f"/entities/{facts.entity.id}/dossier.pdf?kind=penalty")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True, check=True).stdout
    flat = "".join(out.decode("utf-8").split())
    assert "市场主体监管档案（一户一档）" in flat and facts.entity.name in flat and "JY-0001" in flat
    assert "受到行政处罚" in flat and "取得行政许可：" not in flat and "第1页" in flat
    login(org.office_user)
    resp = client.get(f"/entities/{facts.entity.id}/dossier.pdf")
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True, check=True).stdout
    flat = "".join(out.decode("utf-8").split())
    assert "JY-0001" in flat and "机密投诉事项乙" in flat and "D级" not in flat


def test_person_page_offices_and_status(client, login, org, facts, session):
    other = make_entity(org.clerk_a, 7102, name="甲区第二家有限公司")
    fact(Officer, org.bureau_a, entity_id=other.id, person_id=facts.legal_rep.id, role="执行董事")
    session.commit()
    login(org.clerk_a)
    html = text(client.get(f"/persons/{facts.legal_rep.id}"))
    assert "李法人" in html and "甲区第二家有限公司" in html and facts.entity.name in html and "执行董事" in html
    assert facts.legal_rep.id_number not in html and facts.legal_rep.masked_id_number in html
    assert "失信被执行人" in html and "当前列入失信名单" in html
    shares = html.split('id="person-shares"')[1]
    assert "（1条）" in shares[:200] and "<td>100</td><td>10</td>" in shares
    login(org.office_user)  # the 失信 status (联合惩戒 needs it), not the full ID number
    html = text(client.get(f"/persons/{facts.legal_rep.id}"))
    assert "拒不履行判决" in html and "显示完整身份证号" not in html
    assert facts.legal_rep.id_number not in html
    assert client.get("/persons/999999").status_code == 404


def test_person_of_no_entity_in_the_area_is_404(client, login, org, session):
    stranger = person("乙区某人", "19900101777")
    entity_b = make_entity(org.clerk_b, 7103, division_code="510109001000")
    fact(Officer, org.bureau_b, entity_id=entity_b.id, person_id=stranger.id, role="经理")
    session.commit()
    login(org.clerk_a)
    assert client.get(f"/persons/{stranger.id}").status_code == 404
    login(org.clerk_b)
    assert client.get(f"/persons/{stranger.id}").status_code == 200


def audit_views(person_id: int) -> list[AuditEvent]:
    from models import db

    return list(db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "view_personal_data", AuditEvent.object_type == "person",
        AuditEvent.object_id == str(person_id))).scalars())


def test_full_id_number_is_audited_and_for_clerks_and_leaders(client, login, org, facts):
    who = facts.legal_rep
    login(org.inspector_a)
    assert "显示完整身份证号" not in text(client.get(f"/persons/{who.id}"))
    token = csrf_token(client, f"/entities/{facts.entity.id}")
    assert client.post(f"/persons/{who.id}/reveal", data={"csrf_token": token}).status_code == 403
    login(org.clerk_a)
    token = csrf_token(client, f"/persons/{who.id}")
    assert client.post(f"/persons/{who.id}/reveal").status_code == 400  # no CSRF token
    assert audit_views(who.id) == []
    resp = client.post(f"/persons/{who.id}/reveal", data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = text(resp)
    assert resp.status_code == 200 and "<html" not in html and who.id_number in html
    (row,) = audit_views(who.id)
    assert row.user_id == org.clerk_a.id
    login(org.clerk_b)
    token = csrf_token(client, "/entities/")
    assert client.post(f"/persons/{who.id}/reveal", data={"csrf_token": token}).status_code == 404
    assert len(audit_views(who.id)) == 1


def test_own_results_link_only_for_who_may_open_the_record(client, login, org, session):
    from tests.factories.followups import published_record

    record = published_record(org, note="发现问题已责令改正")
    link = f'href="/records/{record.id}"'
    login(org.clerk_a)
    html = text(client.get(f"/entities/{record.entity_id}/dossier"))
    assert "发现问题已责令改正" in html or record.task.name in html
    assert link in html and client.get(f"/records/{record.id}").status_code == 200
    login(org.office_user)  # sees the dossier, not the task: the row stays, without a link that would 404
    html = text(client.get(f"/entities/{record.entity_id}/dossier"))
    assert record.task.name in html and link not in html
    assert client.get(f"/records/{record.id}").status_code in (403, 404)
