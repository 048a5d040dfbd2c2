"""Published result versions: the database refuses to change them, ``verify_published`` and
``flask audit verify`` recompute every digest, the public page warns on a mismatch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import InspectionResultVersion, db
from services import inspection_publication, inspection_review
from services.result_integrity import MISMATCH, verify_published
from tests.conftest import csrf_token
from tests.factories.audit import allow_result_tampering
from tests.factories.inspections import complete, dispatched, open_all


def _published(org: Any) -> Any:
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    complete(ready, record)
    inspection_review.finish_inspection(ready.leader, ready.task)
    db.session.commit()
    inspection_review.submit(ready.member, record, record.lock_version)
    inspection_review.review(ready.leader, record, record.lock_version, approve=True)
    db.session.commit()
    if inspection_publication.latest_version(record) is None:
        inspection_publication.publish_version(record, user=org.leader_a)
        db.session.commit()
    return record


def _edit(session: Any, version: InspectionResultVersion, field: str, value: str) -> None:
    snapshot = json.loads(version.snapshot)
    snapshot[field] = value
    session.execute(
        text("UPDATE inspection_result_version SET snapshot = :s WHERE id = :i"),
        {"s": json.dumps(snapshot, ensure_ascii=False), "i": version.id},
    )
    session.expire_all()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE inspection_result_version SET snapshot = '{}' WHERE id = :i",
     "UPDATE inspection_result_version SET digest = :z WHERE id = :i",
     "DELETE FROM inspection_result_version WHERE id = :i"],
)
def test_the_database_refuses_to_change_a_published_version(org: Any, session: Any, statement: str) -> None:
    record = _published(org)
    version = inspection_publication.latest_version(record)
    with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
        session.execute(text(statement), {"i": version.id, "z": "0" * 64})
    stored = session.execute(
        select(InspectionResultVersion.snapshot).where(InspectionResultVersion.id == version.id)
    ).scalar_one()
    assert stored == version.snapshot
    assert verify_published() == (1, [])


def test_a_correction_still_adds_a_version(org: Any, session: Any) -> None:
    record = _published(org)
    second = inspection_publication.publish_version(record, user=org.leader_a, corrected_from=1, reason="检查日期录入错误")
    session.commit()
    assert second.version == 2
    assert verify_published() == (2, [])


def test_verify_finds_a_version_edited_in_the_database(org: Any, session: Any) -> None:
    record = _published(org)
    version = inspection_publication.latest_version(record)
    allow_result_tampering(session)
    _edit(session, version, "检查结果", "未发现问题（已篡改）")
    checked, problems = verify_published()
    assert checked == 1
    assert [(p.record_no, p.version, p.problem) for p in problems] == [(record.record_no, 1, MISMATCH)]


def test_the_public_page_warns_when_the_digest_does_not_match(client: Any, org: Any, session: Any) -> None:
    record = _published(org)
    page = f"/public/results/{record.record_no}"
    html = client.get(page).get_data(as_text=True)
    assert 'id="digest-mismatch"' not in html and "摘要不符" not in html
    allow_result_tampering(session)
    _edit(session, inspection_publication.latest_version(record), "结果说明", "已整改完毕")
    resp = client.get(page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="digest-mismatch"' in html and "内容可能在公示后被篡改" in html


def test_the_history_marks_the_edited_version(client: Any, org: Any, session: Any) -> None:
    record = _published(org)
    first = inspection_publication.latest_version(record)
    inspection_publication.publish_version(record, user=org.leader_a, corrected_from=1, reason="检查日期录入错误")
    session.commit()
    allow_result_tampering(session)
    _edit(session, first, "检查结果", "合格")
    html = client.get(f"/public/results/{record.record_no}").get_data(as_text=True)
    assert 'id="digest-mismatch"' not in html  # the latest version is intact
    assert html.count("摘要不符") == 1


def test_audit_verify_reports_an_edited_version(app: Any, client: Any, login: Any, org: Any, session: Any) -> None:
    record = _published(org)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "已校验已公示检查结果 1 版，摘要一致" in result.output
    allow_result_tampering(session)
    _edit(session, inspection_publication.latest_version(record), "检查结果", "合格")
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"检查结果 {record.record_no} 第1版: {MISMATCH}" in result.output
    login(org.auditor)
    token = csrf_token(client, "/audit/verify")
    html = client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert 'id="result-problems"' in html and record.record_no in html
