"""services/followups.py: corrections, clue transfers, case filing, stop of publication."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from infrastructure import clock
from infrastructure.errors import Conflict, Forbidden
from models import (
    AuditEvent,
    ChangeStatus,
    ClueStatus,
    CorrectionRequest,
    InspectionResultVersion,
    Publication,
    PublicationAction,
    ResultCategory,
    StopPublicationRequest,
    db,
)
from services import followup_clues, followup_rules
from services import followups as svc
from tests.factories.followups import member_user, published_record
from workflows.errors import StaleSubmission


def _request(org, record, *, user=None, result="no_problem", note=None, reason="录入时误选检查结果"):
    values = {"result": result}
    if note is not None:
        values["result_note"] = note
    return svc.request_correction(user or org.clerk_a, record, values=values, reason=reason, base_version=1)


# ------------------------------------------------------------------ corrections


def test_approved_correction_writes_version_two_and_keeps_version_one(org, session):
    record = published_record(org)
    first = followup_rules.current_version(record)
    before = first.snapshot
    request = _request(org, record, note="经复核未发现问题")
    svc.decide_correction(org.leader_a, record, request, approve=True, comment="同意更正")
    session.commit()

    rows = followup_rules.versions(record)
    assert [v.version for v in rows] == [1, 2]
    assert rows[0].snapshot == before  # the published version never changes in place
    new = rows[1]
    data = json.loads(new.snapshot)
    assert data["检查结果"] == "未发现问题" and data["结果说明"] == "经复核未发现问题"
    assert new.corrected_from == 1 and new.reason == "录入时误选检查结果"
    from services.inspection_publication import digest_of

    assert new.digest == digest_of(new.snapshot)
    assert record.version == 2 and record.result == ResultCategory.NO_PROBLEM
    assert request.status == ChangeStatus.APPROVED and request.version_id == new.id
    assert request.pending_record_id is None
    pubs = session.execute(select(Publication).where(Publication.subject_type == svc.RESULT_SUBJECT,
                                                     Publication.subject_id == record.id)
                           .order_by(Publication.version)).scalars().all()
    assert [p.latest for p in pubs] == [False, True]
    assert json.loads(pubs[-1].payload)["检查结果"] == "未发现问题"
    actions = {e.action for e in session.query(AuditEvent).filter(AuditEvent.object_type == "correction_request")}
    assert {"correction_request", "correction_approve"} <= actions


def test_public_state_shows_current_version_corrected_and_earlier(org, session):
    record = published_record(org)
    state = svc.public_state(record)
    assert state.current.version == 1 and not state.corrected and state.earlier == []
    request = _request(org, record, reason="执法人员录入检查结果时选择错误，经复核应为未发现问题" * 3)
    svc.decide_correction(org.leader_a, record, request, approve=True)
    state = svc.public_state(record)
    assert state.current.version == 2 and state.corrected
    assert [v.version for v in state.earlier] == [1]
    assert state.reason_summary.endswith("…") and len(state.reason_summary) == followup_rules.SUMMARY_CHARS + 1


def test_correction_needs_a_reason_and_changes_nothing(org, session):
    record = published_record(org)
    with pytest.raises(followup_rules.Refused) as exc:
        _request(org, record, reason="  ")
    assert exc.value.status == 422 and exc.value.message == "请填写更正理由"
    assert svc.pending_correction(record) is None
    assert len(followup_rules.versions(record)) == 1


def test_correction_must_change_something_and_use_a_known_category(org, session):
    record = published_record(org)
    with pytest.raises(followup_rules.Refused, match="更正内容与当前公示内容相同"):
        _request(org, record, result=record.result.value, note=record.result_note)
    with pytest.raises(followup_rules.Refused, match="请选择检查结果"):
        _request(org, record, result="excellent")


def test_one_pending_correction_per_record(org, session):
    record = published_record(org)
    _request(org, record)
    with pytest.raises(Conflict):
        _request(org, record, result="qualified")


def test_database_refuses_a_second_pending_correction(org, session):
    record = published_record(org)
    _request(org, record)
    session.commit()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(CorrectionRequest(record_id=record.id, department_id=record.department_id, base_version=1,
                                      proposed="{}", reason="并发", pending_record_id=record.id))
        session.flush()


def test_database_refuses_a_duplicate_version(org, session):
    record = published_record(org)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(InspectionResultVersion(record_id=record.id, version=1, snapshot="{}", digest="x"))
        session.flush()


def test_second_decision_is_409_and_refusal_needs_comment(org, session):
    record = published_record(org)
    request = _request(org, record)
    with pytest.raises(followup_rules.Refused, match="请填写审批意见"):
        svc.decide_correction(org.leader_a, record, request, approve=False, comment="")
    svc.decide_correction(org.leader_a, record, request, approve=False, comment="证据不足")
    assert request.status == ChangeStatus.REJECTED and len(followup_rules.versions(record)) == 1
    with pytest.raises(StaleSubmission) as exc:
        svc.decide_correction(org.leader_a2, record, request, approve=True)
    assert exc.value.status == 409
    # Refused: a new request may be made.
    assert _request(org, record, result="qualified").status == ChangeStatus.PENDING


def test_stale_request_after_another_correction(org, session):
    record = published_record(org)
    with pytest.raises(StaleSubmission):
        svc.request_correction(org.clerk_a, record, values={"result": "no_problem"}, reason="x", base_version=2)


def test_who_may_request_and_decide(org, session):
    record = published_record(org, with_member="孙检查")
    inspector_user = member_user(record)
    with pytest.raises(Forbidden):
        _request(org, record, user=org.health_clerk)  # another department
    with pytest.raises(Forbidden):
        _request(org, record, user=org.clerk_b)  # another district
    with pytest.raises(Forbidden):
        _request(org, record, user=org.inspector_a)  # an inspector not on the team
    request = _request(org, record, user=inspector_user)  # a team member
    with pytest.raises(Forbidden):
        svc.decide_correction(org.clerk_a, record, request, approve=True)
    with pytest.raises(Forbidden):
        svc.decide_correction(org.leader_b, record, request, approve=True)
    assert svc.can_decide(org.leader_a, request) and not svc.can_decide(org.leader_b, request)


def test_unpublished_record_cannot_be_corrected(org, session):
    from models import RecordStatus

    record = published_record(org)
    record.status = RecordStatus.APPROVED
    with pytest.raises(followup_rules.Refused, match="尚未公示"):
        _request(org, record)


# ------------------------------------------------------------------ clue transfers


def test_clue_sent_received_concluded(org, session):
    record = published_record(org)
    assert org.health_a in followup_clues.clue_targets(record) and org.bureau_a not in followup_clues.clue_targets(record)
    clue = followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="后厨卫生许可证过期")
    session.commit()
    assert svc.waiting_for(org.health_clerk).clues == [clue]
    assert svc.waiting_for(org.safety_clerk).clues == []
    assert svc.waiting_for(org.clerk_b).clues == []
    with pytest.raises(Forbidden):
        followup_clues.receive_clue(org.clerk_a, clue, receipt="", lock_version=clue.lock_version)
    with pytest.raises(followup_rules.Refused, match="请先签收"):
        followup_clues.record_outcome(org.health_clerk, clue, outcome="已处理", lock_version=clue.lock_version)
    followup_clues.receive_clue(org.health_clerk, clue, receipt="已收到，转卫生监督所办理", lock_version=clue.lock_version)
    session.commit()
    assert clue.status == ClueStatus.RECEIVED and clue.received_by_id == org.health_clerk.id
    with pytest.raises(StaleSubmission):
        followup_clues.receive_clue(org.health_clerk, clue, receipt="", lock_version=clue.lock_version)
    with pytest.raises(StaleSubmission):
        followup_clues.record_outcome(org.health_clerk, clue, outcome="x", lock_version=clue.lock_version - 1)
    with pytest.raises(followup_rules.Refused, match="请填写处理结果"):
        followup_clues.record_outcome(org.health_clerk, clue, outcome=" ", lock_version=clue.lock_version)
    followup_clues.record_outcome(org.health_clerk, clue, outcome="已立案，罚款五千元", lock_version=clue.lock_version)
    session.commit()
    assert clue.status == ClueStatus.CONCLUDED
    assert svc.waiting_for(org.health_clerk).clues == []
    assert followup_clues.can_view_clue(org.health_clerk, clue) and followup_clues.can_view_clue(org.clerk_a, clue)
    assert not followup_clues.can_view_clue(org.clerk_b, clue) and not followup_clues.can_view_clue(org.safety_clerk, clue)


def test_clue_refusals(org, session):
    record = published_record(org)
    with pytest.raises(followup_rules.Refused, match="其他监管部门"):
        followup_clues.send_clue(org.clerk_a, record, to_department_id=org.bureau_b.id, content="x")
    with pytest.raises(followup_rules.Refused, match="请填写线索内容"):
        followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="")
    with pytest.raises(Forbidden):
        followup_clues.send_clue(org.health_clerk, record, to_department_id=org.safety_a.id, content="x")
    followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="x")
    with pytest.raises(Conflict):
        followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="再次移送")
    clean = published_record(org, result=ResultCategory.NO_PROBLEM, note="")
    with pytest.raises(followup_rules.Refused, match="未发现问题"):
        followup_clues.send_clue(org.clerk_a, clean, to_department_id=org.health_a.id, content="x")


# ------------------------------------------------------------------ case filing


def test_case_filing(org, session):
    record = published_record(org)
    with pytest.raises(followup_rules.Refused, match="请填写立案编号"):
        followup_clues.file_case(org.clerk_a, record, case_no="", filed_on="2026-05-20")
    with pytest.raises(followup_rules.Refused, match="立案日期格式不正确"):
        followup_clues.file_case(org.clerk_a, record, case_no="成华市监立〔2026〕12号", filed_on="五月")
    with pytest.raises(followup_rules.Refused, match="不能晚于今天"):
        followup_clues.file_case(org.clerk_a, record, case_no="A1", filed_on=(clock.china_today() + timedelta(days=5)).isoformat())
    with pytest.raises(Forbidden):
        followup_clues.file_case(org.health_clerk, record, case_no="A1", filed_on="2026-05-20")
    filing = followup_clues.file_case(org.clerk_a, record, case_no="成华市监立〔2026〕12号", filed_on="2026-05-20")
    assert followup_clues.case_filing(record) is filing and filing.filed_on == date(2026, 5, 20)
    with pytest.raises(Conflict):
        followup_clues.file_case(org.clerk_a, record, case_no="A2", filed_on="2026-05-21")


# ------------------------------------------------------------------ stop of publication


def test_stop_publication_only_after_the_legal_period(app, org, session):
    record = published_record(org, days_ago=10)
    today = clock.china_today().isoformat()
    with pytest.raises(followup_rules.Refused, match="公示未满法定期限"):
        svc.request_stop(org.clerk_a, record, applicant="某公司", applied_on=today, reason="公示期满")
    old = published_record(org, days_ago=svc.publicity_days() + 1)
    with pytest.raises(followup_rules.Refused, match="请填写申请理由"):
        svc.request_stop(org.clerk_a, old, applicant="某公司", applied_on=today, reason="")
    with pytest.raises(Forbidden):
        svc.request_stop(org.leader_a, old, applicant="某公司", applied_on=today, reason="公示期满")
    request = svc.request_stop(org.clerk_a, old, applicant=old.subject_name, applied_on=today, reason="公示期满，申请停止公示")
    with pytest.raises(Conflict):
        svc.request_stop(org.clerk_a, old, applicant="x", applied_on=today, reason="再次申请")
    assert svc.waiting_for(org.leader_a).stops == [request]
    with pytest.raises(Forbidden):
        svc.decide_stop(org.leader_b, old, request, approve=True)
    svc.decide_stop(org.leader_a, old, request, approve=True, comment="同意")
    session.commit()
    assert svc.stopped(old) is request
    state = svc.public_state(old)
    assert state.current is None and state.stopped_on is not None
    latest = session.execute(select(Publication).where(Publication.subject_type == svc.RESULT_SUBJECT,
                                                       Publication.subject_id == old.id,
                                                       Publication.latest.is_(True))).scalar_one()
    assert latest.action == PublicationAction.WITHDRAW
    with pytest.raises(StaleSubmission):
        svc.decide_stop(org.leader_a, old, request, approve=False, comment="x")
    with pytest.raises(followup_rules.Refused, match="已停止公示"):
        _request(org, old)


def test_stop_refused_keeps_publication(org, session):
    old = published_record(org, days_ago=svc.publicity_days() + 1)
    request = svc.request_stop(org.clerk_a, old, applicant="某公司", applied_on=clock.china_today().isoformat(), reason="期满")
    with pytest.raises(followup_rules.Refused, match="请填写审核意见"):
        svc.decide_stop(org.leader_a, old, request, approve=False)
    svc.decide_stop(org.leader_a, old, request, approve=False, comment="仍在整改期内")
    assert request.status == ChangeStatus.REJECTED and svc.stopped(old) is None
    assert svc.public_state(old).current.version == 1
    assert session.query(StopPublicationRequest).filter_by(record_id=old.id).count() == 1


def test_leader_inbox_lists_pending_corrections_of_own_subtree(org, session):
    record = published_record(org)
    request = _request(org, record)
    assert svc.waiting_for(org.leader_a).corrections == [request]
    assert svc.waiting_for(org.leader_b).corrections == []
    assert svc.waiting_for(org.clerk_a).corrections == []
    db.session.flush()


def test_a_decision_taken_meanwhile_is_409_and_writes_no_version(org, session):
    """The leader's page was loaded while pending; another leader decided since (a direct
    UPDATE stands for the other request): the conditional UPDATE matches nothing."""
    from sqlalchemy import update

    record = published_record(org)
    request = _request(org, record)
    session.commit()
    session.execute(update(CorrectionRequest).where(CorrectionRequest.id == request.id)
                    .values(status="rejected", pending_record_id=None).execution_options(synchronize_session=False))
    assert request.status == ChangeStatus.PENDING  # the stale copy in memory
    with pytest.raises(StaleSubmission):
        svc.decide_correction(org.leader_a, record, request, approve=True)
    assert len(followup_rules.versions(record)) == 1 and record.version == 1


def test_a_clue_changed_meanwhile_is_409(org, session):
    from sqlalchemy import update

    from models import ClueTransfer

    record = published_record(org)
    clue = followup_clues.send_clue(org.clerk_a, record, to_department_id=org.health_a.id, content="x")
    session.commit()
    seen = clue.lock_version
    session.execute(update(ClueTransfer).where(ClueTransfer.id == clue.id)
                    .values(lock_version=seen + 1).execution_options(synchronize_session=False))
    with pytest.raises(StaleSubmission):
        followup_clues.receive_clue(org.health_clerk, clue, receipt="", lock_version=seen)
