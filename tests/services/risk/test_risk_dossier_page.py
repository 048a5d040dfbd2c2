"""The 预警信息 section of /entities/<id>/dossier: warnings for staff, a note for other roles."""

from __future__ import annotations

from services.risk.evaluate import evaluate
from services.risk.manual import raise_manual
from tests.factories.risk import NOW, entity, listed


def test_the_dossier_page_lists_warnings_for_staff_only(client, login, org, session):
    e = entity(org)
    listed(org, e)
    evaluate(session, codes=["abnormal_list"], now=NOW)
    raise_manual(session, org.clerk_a, e, "群众反映夜间经营扰民")
    session.commit()
    login(org.clerk_a)
    page = client.get(f"/entities/{e.id}/dossier").get_data(as_text=True)
    assert "经营异常预警" in page and "手工预警" in page and "群众反映夜间经营扰民" in page and "预警中" in page
    client.post("/logout")
    login(org.office_user)
    assert "群众反映夜间经营扰民" in client.get(f"/entities/{e.id}/dossier").get_data(as_text=True)
