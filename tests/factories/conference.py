"""Helpers for the conference tests: a conference of district A with three member units, two
liaisons, and a published document."""

from __future__ import annotations

from dataclasses import dataclass

from models import User
from models.conference import Conference, OfficialDocument
from models.roles import Role
from services import conferences, documents
from tests.factories.plans import PDF


@dataclass
class ConferenceSetup:
    conference: Conference
    health_liaison: User
    safety_liaison: User
    bureau_liaison: User


def make_conference(org, make_user, session, name: str = "甲区打击传销与无证无照经营联席会议") -> ConferenceSetup:
    health = make_user(org.health_a, Role.MEMBER_LIAISON, name="卫健联络员", mobile="13900000001",
                       email="health@example.invalid")
    safety = make_user(org.safety_a, Role.MEMBER_LIAISON, name="应急联络员", mobile="13900000002")
    bureau = make_user(org.bureau_a, Role.MEMBER_LIAISON, name="市监联络员")
    conference = conferences.create_conference(org.office_user, org.office_a, {"name": name, "duties": "统筹协调"})
    conferences.add_member(org.office_user, conference, conference.lock_version, org.health_a.id, health.id)
    conferences.add_member(org.office_user, conference, conference.lock_version, org.safety_a.id, safety.id)
    conferences.add_member(org.office_user, conference, conference.lock_version, org.bureau_a.id, bureau.id)
    session.commit()
    return ConferenceSetup(conference, health, safety, bureau)


def draft(org, conference: Conference, doc_no: str = "甲联办〔2026〕1号", title: str = "关于报送工作台账的通知",
          body: str = "各成员单位：\n请于月底前报送工作台账。", attachments=()) -> OfficialDocument:
    return documents.create_document(org.office_user, conference, {"doc_no": doc_no, "title": title, "body": body},
                                     list(attachments))


def published(org, setup: ConferenceSetup, units=None, **kwargs) -> OfficialDocument:
    document = draft(org, setup.conference, **kwargs)
    chosen = units if units is not None else [org.health_a.id, org.safety_a.id]
    documents.publish_document(org.office_user, document, document.lock_version, chosen)
    return document


PDF_ATTACHMENT = documents.Upload("附件1.pdf", PDF)
