"""The keyed audit chain and its signed checkpoints: an attacker with database access (the
append-only triggers lifted) who changes a row, rewrites the tail or deletes the last rows is
caught by ``verify_all`` and ``flask audit verify``."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from infrastructure import audit_key
from models import AuditEvent
from persistence import audit
from persistence.audit import _canonical
from services.audit_checkpoints import checkpoint_file, read_all, verify_all
from tests.factories.audit import allow_tampering


def _chain(org: Any, n: int) -> list[AuditEvent]:
    return [audit.record("update", object_type="user", object_id=i, summary={"序号": i}, user=org.clerk_a)
            for i in range(n)]


def _rows(session: Any) -> list[Any]:
    table = AuditEvent.__table__
    return list(session.execute(select(table).order_by(table.c.id)).all())


def _rewrite_from(session: Any, start_id: int, *, summary: str, version: int | None = None,
                  upto: int | None = None) -> None:
    """What an attacker without the key can do: change the row ``start_id`` and recompute every
    later hash with plain SHA-256 (the scheme the unkeyed chain used)."""
    rows = _rows(session)
    prev = audit.GENESIS
    for row in rows:
        if row.id < start_id:
            prev = row.hash
            continue
        if upto is not None and row.id > upto:
            break
        values = row._asdict()
        if row.id == start_id:
            values["summary"] = summary
        values["prev_hash"] = prev
        if version is not None:
            values["chain_version"] = version
        new_hash = hashlib.sha256(_canonical(SimpleNamespace(**values)).encode("utf-8")).hexdigest()
        session.execute(
            text("UPDATE audit_event SET summary = :s, prev_hash = :p, hash = :h, chain_version = :v WHERE id = :i"),
            {"s": values["summary"], "p": prev, "h": new_hash, "v": values["chain_version"], "i": row.id},
        )
        prev = new_hash


def test_new_rows_are_hashed_with_the_key(org: Any, session: Any) -> None:
    event = audit.record("update", object_type="user", object_id=1, user=org.clerk_a)
    assert event.chain_version >= audit_key.FIRST_KEY_VERSION
    assert event.hash != hashlib.sha256(_canonical(event).encode("utf-8")).hexdigest()
    assert event.hash == audit_key.digest(event.chain_version, _canonical(event))
    assert audit.record_many("import", "user", [(1, "a"), (2, "b")], user=org.clerk_a) == 2
    assert audit.verify() == (3, [])


def test_the_key_file_is_private_and_created_once(app: Flask, session: Any) -> None:
    audit_key.keyring()
    path = audit_key.key_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert audit_key.keyring() == audit_key.keyring()


def test_a_changed_row_is_found_and_no_checkpoint_is_written(org: Any, session: Any) -> None:
    events = _chain(org, 5)
    assert verify_all().ok
    allow_tampering(session)
    session.execute(text("UPDATE audit_event SET summary = :s WHERE id = :i"), {"s": '{"序号": 99}', "i": events[2].id})
    report = verify_all()
    assert [(p.event_id, p.problem) for p in report.problems] == [(events[2].id, "记录内容与其哈希不符：该记录被修改")]
    assert report.written is None and len(read_all()) == 1


def test_a_rewritten_tail_is_found(org: Any, session: Any) -> None:
    events = _chain(org, 6)
    assert verify_all().written is not None
    allow_tampering(session)
    _rewrite_from(session, events[3].id, summary='{"序号": "改"}')
    report = verify_all()
    assert not report.ok
    ids = {p.event_id for p in report.problems}
    assert {e.id for e in events[3:]} <= ids  # every rewritten row fails its keyed hash
    assert any("与检查点" in p.problem and "不符" in p.problem for p in report.problems)


def test_a_tail_rewritten_as_unkeyed_rows_is_found(org: Any, session: Any) -> None:
    events = _chain(org, 6)
    assert verify_all().ok
    allow_tampering(session)
    _rewrite_from(session, events[3].id, summary='{"序号": "改"}', version=audit_key.LEGACY_VERSION)
    problems = verify_all().problems
    assert {p.event_id for p in problems if "未加密钥" in p.problem} == {e.id for e in events[3:]}


def test_a_whole_chain_rewritten_as_unkeyed_rows_is_found_by_the_checkpoint(org: Any, session: Any) -> None:
    _chain(org, 4)
    assert verify_all().ok
    rows = _rows(session)
    allow_tampering(session)
    _rewrite_from(session, rows[0].id, summary='{"序号": "改"}', version=audit_key.LEGACY_VERSION)
    assert audit.verify()[1] == []  # the chain alone looks like a valid legacy chain
    problems = verify_all().problems
    assert any("第一条加密钥记录与检查点" in p.problem for p in problems)


def test_the_last_20_rows_deleted_are_found(org: Any, session: Any) -> None:
    events = _chain(org, 30)
    first = verify_all()
    assert first.ok and first.written is not None and first.written.count == len(_rows(session))
    allow_tampering(session)
    session.execute(text("DELETE FROM audit_event WHERE id >= :i"), {"i": events[10].id})
    assert audit.verify()[1] == []  # the shortened chain is still a valid chain
    report = verify_all()
    assert not report.ok and report.written is None
    messages = " ".join(p.problem for p in report.problems)
    assert "末尾的记录被删除" in messages and "记录被删除" in messages


def test_rows_deleted_before_the_checkpointed_tail_are_found(org: Any, session: Any) -> None:
    events = _chain(org, 5)
    assert verify_all().ok
    allow_tampering(session)
    session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": events[1].id})
    messages = [p.problem for p in verify_all().problems]
    assert any("删除" in m for m in messages)


def test_an_edited_checkpoint_line_is_refused(org: Any, session: Any) -> None:
    _chain(org, 3)
    assert verify_all().ok
    path = checkpoint_file()
    data = json.loads(path.read_text().splitlines()[0])
    data["count"] = 1  # pretend fewer rows were there
    path.write_text(json.dumps(data) + "\n")
    report = verify_all()
    assert [p.problem for p in report.problems] == ["检查点文件第1行签名无效或格式错误：检查点文件被改动"]
    assert read_all()[0].valid is False


def test_legacy_rows_verify_and_are_anchored_by_the_first_keyed_row(org: Any, session: Any) -> None:
    """Rows written before keying (chain_version 1, plain SHA-256) verify; rewriting them and
    recomputing their SHA-256 chain breaks the link of the first keyed row."""
    legacy = _chain(org, 3)
    allow_tampering(session)
    _rewrite_from(session, legacy[0].id, summary='{"序号": 0}', version=audit_key.LEGACY_VERSION)
    session.commit()  # the next record reads the tail again
    keyed = _chain(org, 2)
    assert audit.verify() == (5, [])
    state = audit.walk()
    assert state.keyed_from == keyed[0].id
    _rewrite_from(session, legacy[1].id, summary='{"序号": "改"}', upto=legacy[-1].id)
    problems = audit.verify()[1]
    assert [(p.event_id, p.problem) for p in problems] == [
        (keyed[0].id, "与上一条记录的链接不符：其前的记录被删除或修改")
    ]


def test_rotation_keeps_old_rows_verifiable(app: Flask, org: Any, session: Any, tmp_path: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "AUDIT_KEY_FILE", str(tmp_path / "audit_key"))
    monkeypatch.delenv("AUDIT_KEYS", raising=False)
    before = _chain(org, 2)
    assert {e.chain_version for e in before} == {2}
    assert verify_all().ok
    assert audit_key.rotate() == 3
    after = _chain(org, 2)
    assert {e.chain_version for e in after} == {3}
    report = verify_all()
    assert report.ok and report.baseline is not None and report.written is not None
    assert report.written.key == 3 and all(cp.valid for cp in read_all())


def test_keys_from_the_environment(app: Flask, org: Any, session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_KEYS", "2:" + "ab" * 32 + ",5:" + "cd" * 32)
    event = audit.record("update", object_type="user", object_id=1, user=org.clerk_a)
    assert event.chain_version == 5
    with pytest.raises(audit_key.AuditKeyError):
        audit_key.rotate()
    monkeypatch.setenv("AUDIT_KEYS", "2:abcd")
    with pytest.raises(audit_key.AuditKeyError, match="至少16字节"):
        audit_key.keyring()


def test_cli_verify_checkpoint_and_list(app: Flask, org: Any, session: Any) -> None:
    events = _chain(org, 4)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "哈希链完整" in result.output and "已对照检查点" in result.output
    listing = runner.invoke(args=["audit", "checkpoints"])
    assert listing.exit_code == 0 and listing.output.count("签名有效") == 2
    allow_tampering(session)
    session.execute(text("DELETE FROM audit_event WHERE id >= :i"), {"i": events[2].id})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "末尾的记录被删除" in result.output
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1 and "未写入检查点" in result.output
    assert len(read_all()) == 2


def test_the_auditor_lists_the_checkpoints_for_printing(client: Any, login: Any, org: Any, session: Any) -> None:
    _chain(org, 3)
    written = verify_all().written
    assert written is not None
    session.commit()
    login(org.sysadmin)
    assert client.get("/audit/checkpoints").status_code == 403
    login(org.auditor)
    resp = client.get("/audit/checkpoints")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert written.last_hash in html and f"#{written.last_id}" in html and "有效" in html


def test_cli_says_when_the_key_cannot_be_read(app: Flask, session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_KEYS", "2:not-hex")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "无法读取审计密钥" in result.output and "格式错误" in result.output


def test_a_malformed_audit_keys_stops_the_app_at_start_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from app import create_app

    audit_key.check_environment({"AUDIT_KEYS": "2:" + "ab" * 32})  # well-formed: nothing said
    audit_key.check_environment({})
    with pytest.raises(audit_key.AuditKeyError, match="第2项格式错误"):
        audit_key.check_environment({"AUDIT_KEYS": "2:" + "ab" * 32 + ",3 zz"})
    monkeypatch.setenv("AUDIT_KEYS", "2:not-hex")
    with pytest.raises(audit_key.AuditKeyError, match="AUDIT_KEYS 第1项格式错误"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x", "TESTING": True})
