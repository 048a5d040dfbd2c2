"""Processes bound to their chapter's pages: engine.advance, the generic pages' refusals and links."""

from __future__ import annotations

import pytest

from models.workflow import InstanceStatus
from tests.conftest import csrf_token, sign_in
from workflows import bindings, engine
from workflows.errors import NotAllowed, StaleSubmission


@pytest.fixture
def bound_12(app, monkeypatch):
    """Bind 表12 to a throwaway subject page for the test's duration (its URLs are faked:
    the shared app has served requests and takes no new routes)."""
    saved = dict(bindings.BINDINGS), dict(bindings.SUBJECT_PAGES)
    real_url_for = bindings.url_for
    fake = {"fake_subject.page": "/fake/{id}", "fake_subject.start": "/fake/start"}

    def url_for(endpoint, **values):
        if endpoint in fake:
            return fake[endpoint].format(**values)
        return real_url_for(endpoint, **values)

    monkeypatch.setattr(bindings, "url_for", url_for)
    bindings.BINDINGS.pop(12, None)
    bindings.bind(12, "fake", "测试对象", "fake_subject.page", start_endpoint="fake_subject.start",
                  business_steps=("own_list",))
    yield
    bindings.BINDINGS.clear()
    bindings.BINDINGS.update(saved[0])
    bindings.SUBJECT_PAGES.clear()
    bindings.SUBJECT_PAGES.update(saved[1])


def test_bind_rejects_unknown_steps_and_double_binding(app, bound_12):
    with pytest.raises(ValueError, match="no steps"):
        bindings.bind(13, "fake", "x", "fake_subject.page", business_steps=("nope",))
    with pytest.raises(ValueError, match="bound twice"):
        bindings.bind(12, "fake", "x", "fake_subject.page")


def test_advance_completes_the_users_item_and_refuses_others(org, session):
    inst = engine.start(7, org.clerk_a, title="事项")
    with pytest.raises(NotAllowed):
        engine.advance(org.clerk_b, inst, "add", "next")
    assert engine.open_item(org.clerk_b, inst, "add") is None
    assert engine.open_item(org.clerk_a, inst, "add") is not None
    engine.advance(org.clerk_a, inst, "add", "next")
    assert inst.status == InstanceStatus.COMPLETED
    with pytest.raises(StaleSubmission):  # the step is no longer open
        engine.advance(org.clerk_a, inst, "add", "next")


def _run_to_own_list(org):
    inst = engine.start(12, org.clerk_a, title="联合事项", parties={"participant": [org.health_a.id]},
                        subject_type="fake", subject_id=41)
    engine.advance(org.clerk_a, inst, "add", "next")
    engine.advance(org.clerk_a, inst, "consult", "next")
    engine.advance(org.health_clerk, inst, "participate", "yes")
    assert inst.current_step == "own_list"
    return inst


def test_generic_pages_defer_to_the_business_page(org, session, client, bound_12):
    inst = _run_to_own_list(org)
    session.commit()
    sign_in(client, org.clerk_a)
    resp = client.get("/processes/12/start")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/fake/start")
    html = client.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert "业务对象" in html and "/fake/41" in html and "到业务页面办理" in html
    assert 'name="outcome" value="next"' not in html  # no bare button for the bound step
    assert 'href="/fake/41"' in client.get("/inbox").get_data(as_text=True)
    item = engine.open_item(org.clerk_a, inst, "own_list")
    resp = client.post(
        f"/processes/instances/{inst.id}/items/{item.id}",
        data={"csrf_token": csrf_token(client), "version": item.version, "outcome": "next"},
    )
    assert resp.status_code in (400, 409, 422)
    assert "业务页面" in resp.get_data(as_text=True)
    session.refresh(item)
    assert item.status.value == "open"


def test_unbound_processes_keep_the_generic_pages(org, session, client, monkeypatch):
    # Every table of the standard is bound now (services/process_wiring.py); a process without a
    # binding — here 表23 with its binding taken away — keeps the generic pages.
    monkeypatch.delitem(bindings.BINDINGS, 23)
    for key in [k for k in bindings.STEP_PAGES if k[0] == 23]:
        monkeypatch.delitem(bindings.STEP_PAGES, key)
    inst = engine.start(23, org.clerk_a, title="联合整治", parties={"participant": [org.health_a.id]})
    session.commit()
    sign_in(client, org.clerk_a)
    html = client.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert "业务对象" not in html and 'name="outcome" value="next"' in html
