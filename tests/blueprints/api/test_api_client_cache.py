"""The client snapshots of services/api/clients.py: a token's credential is read once and kept
briefly, yet a revocation, an expiry, a disabled account or a lost role stops the token at
once in this process, in another process as soon as the shared generation is bumped, and
within API_TOKEN_CACHE_SECONDS otherwise."""

from __future__ import annotations

from typing import Any as Api

from sqlalchemy import event, update

from models import ApiCredential, db, utcnow
from services.api import clients, tokens
from tests.factories.api import issue_token
from tests.factories.directories import make_entity


def _statements(app) -> list[str]:
    seen: list[str] = []
    event.listen(db.session.get_bind(), "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def test_a_second_call_reads_no_credential(api: Api, app, org, session):
    entity = make_entity(org.clerk_a, 1)
    for _ in range(2):  # the first snapshot is tagged with the generation known before it was read
        assert api.get(f"/entities/{entity.uscc}").status_code == 200
    seen = _statements(app)
    assert api.get(f"/entities/{entity.uscc}").status_code == 200
    assert not [s for s in seen if "api_credential" in s and s.lstrip().upper().startswith("SELECT")]
    assert [s for s in seen if "market_entity" in s]


def test_a_revocation_stops_a_cached_token_at_once(api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 1)
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    assert api.get(f"/entities/{entity.uscc}", token=token).status_code == 200
    tokens.revoke(org.sysadmin, credential.id)
    db.session.commit()
    assert api.get(f"/entities/{entity.uscc}", token=token).get_json()["type"].endswith("token-revoked")


def test_a_disabled_account_stops_a_cached_token_at_once(api: Api, org, court, session):
    from models.org import UserStatus

    entity = make_entity(org.clerk_a, 1)
    assert api.get(f"/entities/{entity.uscc}").status_code == 200
    court.status = UserStatus.DISABLED
    db.session.commit()
    assert api.get(f"/entities/{entity.uscc}").status_code == 401


def _revoke_elsewhere(credential_id: int) -> None:
    """What another process's revocation leaves here: the row changed, no flush in this process."""
    db.session.execute(update(ApiCredential.__table__).where(ApiCredential.__table__.c.id == credential_id)
                       .values(revoked_at=utcnow()))
    db.session.commit()


def test_another_process_revocation_is_seen_through_the_shared_generation(api: Api, app, org, court, session):
    entity = make_entity(org.clerk_a, 1)
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    assert api.get(f"/entities/{entity.uscc}", token=token).status_code == 200
    _revoke_elsewhere(credential.id)
    # Without the bump the snapshot holds until API_TOKEN_CACHE_SECONDS (the documented bound)…
    assert api.get(f"/entities/{entity.uscc}", token=token).status_code == 200
    # …the revoking process bumps the generation in the shared store after its commit.
    app.extensions["zhjg_api_limiter"].bump(clients.GENERATION_KEY)
    assert api.get(f"/entities/{entity.uscc}", token=token).get_json()["type"].endswith("token-revoked")


def test_without_a_cache_every_call_reads_the_credential(api: Api, app, org, court, session, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_CACHE_SECONDS", 0)
    entity = make_entity(org.clerk_a, 1)
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    assert api.get(f"/entities/{entity.uscc}", token=token).status_code == 200
    _revoke_elsewhere(credential.id)
    assert api.get(f"/entities/{entity.uscc}", token=token).status_code == 401


def test_the_last_use_is_written_without_invalidating_the_snapshots(api: Api, org, court, session):
    entity = make_entity(org.clerk_a, 1)
    token, credential = issue_token(org.sysadmin, court, ["entities:read"])
    clients._TOUCHED.pop(credential.id, None)
    assert api.get(f"/entities/{entity.uscc}", token=token).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiCredential, credential.id).last_used_at is not None
    assert clients.cached(tokens.token_hash(token), 60) is not None
