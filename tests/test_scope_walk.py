"""Every URL of every blueprint, walked as users of another district.

District A owns an instance, a work item, users, departments, an import batch, a market entity,
a supervised-object library, a background job, an inspection item (published, so its public page is
open to everyone), an object directory and audit rows.
Each user of district B (clerk, leader, conference office and the three administrators) asks
for every route: a route that names an object of district A must answer 403 or 404; a page
without such an object must not show anything of district A.  A new route with a parameter
this test does not know fails here until it is added to ``PARAMETERS``.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from models import AuditEvent, CampaignObject, Job, Message, db
from models.imports import ImportBatch
from models.roles import Role
from persistence import audit
from services import (
    directories,
    entities,
    entity_search,
    inspector_enrolment,
    joint_items,
    libraries,
    object_draws,
    plans,
)
from services import inspectors as inspector_svc
from services import items as check_items
from tests.conftest import csrf_token, sign_in
from tests.factories.plans import elements as plan_elements
from tests.factories.plans import joint_item
from tests.factories.tasks import approved, fill_directory, make_task
from workflows import engine
from workflows.lanes import PARTICIPANT

# Routes anyone signed in may use whatever their district (the standard's catalogue), or
# that act on the signed-in user's own session.
UNSCOPED_PARAMETERS = {"table", "subject_id"}
# /public/records/<record_no>/verify answers every 记录编号 (it is printed on paper); before the
# result is published it shows only the number, the status and the digest (tests/blueprints/
# records checks that the entity's name is not on it).
UNSCOPED_PARAMETERS |= {"record_no"}
# 双告知's catalogue names are city-wide; a district's administrator maps them in their own area.
UNSCOPED_PARAMETERS |= {"authority_id"}
# /imports/<kind>: the kind is a name of the catalogue of imports (blueprints/imports); its
# batches are scoped by batch_id.
UNSCOPED_PARAMETERS |= {"kind"}
# /collection/<fact_kind>/…: a kind of collected facts (services/collection/kinds.py); the facts
# are scoped by fact_id.
UNSCOPED_PARAMETERS |= {"fact_kind"}
# /api/v1/entities/<code>: the data interface authenticates each call by its token, never by a
# session: every route answers 401 to a signed-in user without one (the district scope of the
# tokens is tested in tests/blueprints/api).
UNSCOPED_PARAMETERS |= {"code"}
# /api/v1/sanction-tasks/<id>/result likewise (another department's task is 403 by token:
# tests/blueprints/api/test_api_sanctions.py).
UNSCOPED_PARAMETERS |= {"sanction_task_id"}
# /risk/rules/<rule_id>: the warning rules are the platform's (表26); a rule's page names only the
# changes of the user's own area (district A's proposals are "其他区县监管部门" there).
UNSCOPED_PARAMETERS |= {"rule_id"}
# 一公开: published for everyone, district A's items included (tests/blueprints/public checks
# that nothing internal is shown there).
PUBLIC_PREFIX = "public."
# /api/v1 routes with an object id (/api/v1/sandbox/clues/<id>) authenticate by token, never by a
# session: a signed-in user without one is told 401 (tests/blueprints/api/test_sandbox_api.py
# checks another district's token gets 404).
TOKEN_PREFIX = "api."
SKIP_ENDPOINTS = {"static", "auth.login", "auth.logout", "auth.change_password"}
B_USERS = ("clerk_b", "leader_b", "office_b_user", "sysadmin_b", "secadmin_b", "auditor_b")
MARKERS = ("甲区", "王晓燕", "机密联合事项")
# (the conference objects of district A are named 甲区… too: tests/factories/conference.py)


@pytest.fixture()
def district_a(org, make_user, make_department, session, monkeypatch):
    admin_a = make_user(org.district_a, Role.SYSTEM_ADMIN, name="甲区系统管理员")
    inst = engine.start(12, org.clerk_a, title="机密联合事项", parties={PARTICIPANT: [org.health_a.id]})
    audit.record("update", object_type="department", object_id=org.bureau_a.id, summary="甲区修改", user=org.clerk_a)
    batch = ImportBatch(
        kind="users", filename="甲区用户.xlsx", content=b"x", created_by_id=admin_a.id, department_id=org.district_a.id
    )
    session.add(batch)
    aux_batch = ImportBatch(kind="auxiliary_inspectors", filename="甲区辅助人员.xlsx", content=b"x",
                            created_by_id=org.clerk_a.id, department_id=org.bureau_a.id)
    session.add(aux_batch)
    entity = entities.create_entity(
        org.clerk_a,
        {"name": "甲区机密餐饮有限公司", "uscc": "91510108MA6CX0001W", "entity_type": "enterprise",
         "division_code": "510108001000", "status": "active", "credit_grade": "E"},
    )
    library = libraries.create_from_filter(org.clerk_a, "甲区机密对象库", {"division": "510108"}, tags="甲区标签")
    job = Job(kind="import", title="甲区机密导入", status="done", created_by_id=org.clerk_a.id,
              department_id=org.bureau_a.id, subject_type="import_batch")
    session.add(job)
    joint = joint_items.create(
        org.clerk_a,
        {"name": "机密联合事项", "objects": "甲区对象", "methods": ["实地核查"], "levels": ["区县级"],
         "own_tasks": "甲区事项"},
        [org.health_a.id],
    )
    check_item = check_items.create_item(
        org.clerk_a,
        {"domain": "食品安全", "name": "甲区机密抽查事项", "objects": "食品经营者", "category": "key",
         "methods": ["书面检查"], "inspecting_body": "甲区市场监督管理局", "basis": "《食品安全法》"},
    )
    directory = directories.add_from_filter(org.clerk_a, check_item, entity_search.parse_filters({})).directory
    inspector = inspector_enrolment.create_inspector(
        org.clerk_a,
        {"name": "王晓燕", "id_number": "11010519491231002X", "mobile": "13900000777",
         "department_id": org.station_a.id, "cert_no": "甲区ZF0001", "cert_valid_to": "2099-12-31"},
    ).inspector
    aux = inspector_svc.save_auxiliary(org.clerk_a, {"kind": "expert", "name": "甲区食品安全专家"})
    plan_item = joint_item(org.bureau_a, org.health_a, name="甲区机密联合抽查事项")
    plan = plans.create_joint(org.clerk_a, plan_elements(name="甲区机密抽查计划"), [plan_item.id])
    # A task with its team, a replacement request and a declared conflict (services/teams.py).
    from models import DrawChange, InspectorConflict, TeamMember
    from tests.factories.teams import make_task as make_team_task

    team_task = make_team_task(org, name="甲区机密抽查任务（检查组）")
    member = TeamMember(task_id=team_task.id, department_id=org.bureau_a.id, inspector_id=inspector.id)
    session.add(member)
    session.flush()
    change = DrawChange(task_id=team_task.id, domain="inspector", department_id=org.bureau_a.id, reason_code="健康状况",
                        reason="甲区", details=f'{{"replace": {member.id}, "by": {inspector.id}}}')
    conflict = InspectorConflict(inspector_id=inspector.id, entity_id=entity.id, reason="甲区回避")
    session.add_all([change, conflict])
    session.commit()
    # A task with a sensitive scheme and a locked draw: its public verification page is closed.
    task = make_task(org.bureau_a, name="甲区机密抽查任务")
    fill_directory(task, {"A": 3, "E": 1})
    approved(task, org.clerk_a, org.leader_a, sensitive="1")
    draw = object_draws.run_draw(org.clerk_a, task, lock_version=task.lock_version)
    session.commit()
    # A dispatched task with an inspection record and its evidence (services/inspections.py).
    from services import inspections
    from tests.factories.inspections import dispatched

    ready = dispatched(org, objects=1, start=8800, name="甲区机密抽查任务（检查）")
    obj = inspections.task_objects(ready.task)[0]
    record = inspections.open_record(ready.leader, ready.task, obj.id, ready.task.department_id)
    evidence = inspections.add_evidence(ready.leader, record, record.lock_version, filename="甲区.png",
                                        data=b"\x89PNG\r\n\x1a\n" + b"0" * 16)
    # A result (another record) published, with a correction request, a clue sent to another
    # department of district A and a stop of publication (approved, so that the public list stays
    # empty of district A) (services/followups.py).  ``record_id`` stays the draft above:
    # /followups/records/<record_id>/… refuse another district's user at the record, before they
    # look at the correction or stop request.
    from services import followup_clues, followup_rules, followups
    from tests.factories.followups import published_record

    published = published_record(org, n=8850, days_ago=followups.publicity_days() + 1)
    correction = followups.request_correction(org.clerk_a, published, values={"result": "no_problem"},
                                              reason="甲区更正", base_version=1)
    clue = followup_clues.send_clue(org.clerk_a, published, to_department_id=org.health_a.id, content="甲区机密线索")
    stop = followups.request_stop(org.clerk_a, published, applicant="甲区", applied_on=followup_rules.today(),
                                  reason="甲区")
    followups.decide_stop(org.leader_a, published, stop, approve=True)
    # A joint-conference plan of district A's office, signed by a member unit, with a ledger row.
    from services import conference_plans, ledgers
    from tests.conftest import PASSWORD
    from tests.factories.ledgers import Setup
    from tests.factories.ledgers import row as ledger_row

    conference = Setup(org, make_user)
    conference_plan = conference.plan()
    liaison = conference.liaisons[0]
    conference_plans.sign(liaison, conference_plan, PASSWORD, version=1)
    ledger = ledgers.open_ledger(liaison, conference_plan.tasks[0])
    ledger_row_id = ledgers.add_row(liaison, ledger, ledger_row(), version=None).id
    # A conference of the district's office with a published document (and its attachment), a
    # meeting, and a message in a user's message centre (services/conferences, documents, …).
    from persistence import notifications
    from services import documents as document_svc
    from services import meetings as meeting_svc
    from tests.factories.conference import PDF_ATTACHMENT
    from tests.factories.conference import make_conference as make_conf
    from tests.factories.conference import published as published_document

    conf = make_conf(org, make_user, session)
    document = published_document(org, conf, attachments=[PDF_ATTACHMENT])
    document_svc.sign_document(conf.health_liaison, document, "Passw0rd!2026", 1)
    meeting = meeting_svc.create_meeting(
        org.office_user, conf.conference,
        {"title": "甲区会商", "held_at": "2026-03-01T09:00", "agenda": "甲区议程"}, [org.health_a.id])
    notifications.notify([org.clerk_a], "甲区消息", "甲区", "/conferences/")
    message = notifications.messages_for(org.clerk_a)[0]
    # A dispatched task past its deadline, with a published record and a reminder (statistics,
    # 逾期未公示 and 我的待办).
    from datetime import date as _date

    from services.deadlines import remind
    from tests.factories.deadlines import dispatched_task, objects_of
    from tests.factories.deadlines import record as add_record

    late = dispatched_task(org, objects=2, end=_date(2026, 9, 30), name="甲区机密逾期任务")
    add_record(late, objects_of(late)[0], org.bureau_a)
    remind(_date(2026, 11, 5))
    # 信息归集: a permit filed under the entity and one waiting in the pending pool, both
    # submitted by district A's health bureau (services/collection).
    from models import FactSource
    from services.collection.ingest import ingest
    from services.collection.kinds import FACT_KINDS

    filed = ingest(FACT_KINDS["permit"], [
        {"uscc": entity.uscc, "permit_no": "甲区机密许可1", "name": "甲区许可"},
        {"uscc": "91510108MA6CX00020", "entity_name": "甲区未登记主体", "permit_no": "甲区机密许可2", "name": "甲区许可"},
    ], source_kind=FactSource.ONLINE, department=org.bureau_a, actor=org.clerk_a)
    # A natural person who holds office in district A's entity (the person page, /persons/<id>).
    from models import Officer
    from tests.factories.dossier import fact, person

    officer = person("甲区法定代表人", "19800101999")
    fact(Officer, org.bureau_a, entity_id=entity.id, person_id=officer.id, role="法定代表人")
    # 无证无照经营综合治理 of district A's office: a cycle, its units, an operator (services/unlicensed).
    from tests.factories.unlicensed import Setup as UnlicensedSetup

    unlicensed = UnlicensedSetup(org, make_user)
    unlicensed_cycle = unlicensed.assigned()
    unlicensed_op = unlicensed.operator(unlicensed.health, unlicensed.health_inspector, "甲区机密经营者")
    # An interface client of district A (the admin page of credentials, /admin/api-clients).
    from tests.factories.api import api_user, issue_token

    _token, credential = issue_token(admin_a, api_user(make_user, org.health_a), ["entities:read"])
    # 风险库: a warning on the entity and a pending rule change proposed by district A (services/risk).
    from services.risk import rule_changes
    from tests.factories import risk_pages

    risk_warning = risk_pages.warning(entity, "lawsuits", department=org.bureau_a, reason="甲区机密预警")
    lawsuits = risk_pages.rule("lawsuits")
    risk_change = rule_changes.propose(org.clerk_a, lawsuits, {
        "p_min_count": "5", "p_window_days": "90", "enabled": "1", "base_version": str(lawsuits.version)})
    # A 风险预警 day digest of a district-A clerk (their 我的待办 entry, /risk/digests/<id>).
    from persistence import notifications

    notifications.notify([org.clerk_a], "风险预警：甲区机密摘要", "司法涉诉预警1条", f"/risk/warnings?department={org.bureau_a.id}")
    digest_message = session.query(Message).filter(Message.user_id == org.clerk_a.id).order_by(Message.id.desc()).first()
    # 表34: the court's lookup and an unserved case of the entity (services/court).
    from services.court import sharing as court_sharing
    from tests.factories.court import feed as court_feed

    court_user = api_user(make_user, org.health_a)
    court_sharing.record_lookup(court_user, None, entity, entity.uscc, [])
    court_case = court_feed(court_user, entity).case
    # 触发式双随机监管: a trigger rule of district A (services/trigger).
    from services.trigger import rules as trigger_rules

    trigger_rule = trigger_rules.create(org.clerk_a, {
        "name": "甲区机密触发规则", "source": "risk_rule", "weight": "2", "valid_from": "2020-01-01", "active": "1"},
        {"codes": ["lawsuits"]})
    # 专项整治 of district A: a published campaign, an object with an attachment (services/campaigns).
    from models import CampaignAttachment
    from services.campaigns import feedback as campaign_feedback
    from services.campaigns import library as campaign_library
    from services.campaigns import plans as campaign_plans

    campaign = campaign_plans.create_campaign(org.clerk_a, {
        "title": "甲区机密专项整治", "basis": "依据", "scope": "甲区", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "modes": ["重点监管"], "text_report": "1"})
    campaign_field = campaign_feedback.add_field(org.clerk_a, campaign, {"kind": "text", "label": "甲区反馈项"})
    campaign_library.build(org.clerk_a, campaign, {"grades": ["E"]})
    campaign_plans.submit(org.clerk_a, campaign, campaign.lock_version)
    campaign_plans.decide(org.leader_a, campaign, campaign.lock_version, True, "")
    campaign_plans.publish(org.clerk_a, campaign, campaign.lock_version)
    campaign_object = session.query(CampaignObject).filter_by(campaign_id=campaign.id).first()
    campaign_attachment = CampaignAttachment(object=campaign_object, filename="甲区.pdf", content=b"%PDF-1.4")
    session.add(campaign_attachment)
    # 双告知: a notice of district A's entity to its health bureau (services/notice).
    from tests.factories.notice import food_entity, map_food

    map_food(org)
    notice_entity = food_entity(org, 77, scope="食品生产")
    from models import LicenceItem, ScopeNotice

    notice = session.query(ScopeNotice).filter(ScopeNotice.entity_id == notice_entity.id).one()
    licence_item = session.query(LicenceItem).filter(LicenceItem.seq == 19).one()
    # 日常监管 of district A's bureau: an object, its rules, a category and a task (services/daily).
    from tests.factories.daily import daily_setup

    daily = daily_setup(org, entity)
    # 信用沙盒 of district A: a library entry, an item, a clue and a failed push (services/sandbox).
    from models import SandboxClue, SandboxDelivery, SandboxEntity
    from services.sandbox import clues as sandbox_clues
    from services.sandbox import library as sandbox_library
    from services.sandbox import monitor as sandbox_monitor
    from services.sandbox import queries as sandbox_queries
    from tests.factories.sandbox import Sandbox, fake_dns

    fake_dns(monkeypatch)  # the webhook's host name, resolved without DNS
    sandbox = Sandbox(org, make_user)
    (sandbox_entity,) = sandbox.triggered(1, name="甲区机密沙盒主体")
    sandbox_item = sandbox_library.save_item(org.clerk_a, None, {"name": "甲区机密沙盒事项", "level": "预警",
                                                                 "condition": "complaints", "count": "2", "days": "400"})
    sandbox_queries.set_webhook(org.clerk_a, sandbox.partner.id, "http://partner.invalid/hook")
    sandbox_monitor.evaluate(session)
    sandbox_clues.dispatch()
    sandbox_clue = session.query(SandboxClue).one()
    sandbox_delivery = session.query(SandboxDelivery).one()
    sandbox_delivery.status = "failed"
    sandbox_member = session.query(SandboxEntity).filter_by(entity_id=sandbox_entity.id).one()
    # 联合奖惩: a published catalogue entry of district A's 牵头部门 (services/sanctions).
    from models import SanctionTask
    from tests.factories.sanctions import Setup as SanctionSetup

    sanction_setup = SanctionSetup(org, make_department, make_user)
    sanction_entry = sanction_setup.published()
    sanction_list = sanction_setup.listed(sanction_entry, people=False)
    sanction_task = sanction_list.objects[0].id and session.query(SanctionTask).first()
    # 考核: a run of district A's scorecards and a judgement's evidence (services/assessment).
    from models import AssessmentDeduction, AssessmentEvidence, AssessmentJudgement
    from services.assessment import runs as assessment_runs

    assessment_run = assessment_runs.run(org.office_user, org.district_a, 2026)
    assessment_card = next(c for c in assessment_run.cards if c.department_id == org.bureau_a.id)
    assessment_deduction = AssessmentDeduction(item="D3", points=5, record_kind="fact_permit", record_id=1,
                                               detail="甲区机密扣分")
    assessment_card.deductions.append(assessment_deduction)
    judgement = AssessmentJudgement(year=2026, department_id=org.bureau_a.id, item="S1", points=5, note="甲区机密评定")
    judgement.evidence.append(AssessmentEvidence(filename="甲区.pdf", content=b"%PDF-1.4"))
    session.add(judgement)
    # 灵活报表 of district A's bureau, assigned to its station (services/reports).
    from services.reports import filling as report_filling
    from tests.factories.reports import make_report, submission_of

    flex_report = make_report(org, name="甲区机密灵活报表")
    report_filling.assign(org.clerk_a, flex_report, [org.station_a.id])
    flex_submission = submission_of(flex_report, org.station_a)
    # 效能管理 of district A: a rule and a 督办 on an open work item (services/efficiency).
    from services.efficiency import urges as efficiency_urges
    from tests.factories.efficiency import rule as efficiency_rule

    efficiency_item = engine.start(7, org.clerk_a, title="甲区机密效能事项").work_items[0]
    efficiency_urge = efficiency_urges.send(org.office_user, efficiency_item, "甲区机密督办")
    efficiency_rule_row = efficiency_rule(org, 5)
    session.commit()
    event = session.query(AuditEvent).filter(AuditEvent.department_id == org.bureau_a.id).first()
    return {
        "code": entity.uscc,
        "credential_id": credential.id,
        "department_id": org.bureau_a.id,
        "parent_id": org.bureau_a.id,
        "user_id": org.clerk_a.id,
        "instance_id": inst.id,
        "item_id": inst.work_items[0].id,
        "batch_id": {c: batch.id for c in ("admin", "directories", "entities", "libraries")}
        | {"imports": aux_batch.id},
        "kind": "auxiliary_inspectors",
        "event_id": event.id,
        "entity_id": entity.id,
        # Subject pages of bound processes take ``id``: one object of district A per blueprint.
        "id": {"libraries": library.id, "items": check_item.id, "plans": plan.id, "teams": team_task.id,
               "tasks": task.id, "inspections": ready.task.id, "conference_plans": conference_plan.id,
               "conferences": conf.conference.id, "messages": message.id,
               # endpoints of one chapter about different objects
               "conferences.document": document.id, "conferences.document_pdf": document.id,
               "conferences.edit_document": document.id, "conferences.publish_document": document.id,
               "conferences.sign_document": document.id, "conferences.recall_document": document.id,
               "conferences.attachment": document.id, "conferences.meeting": meeting.id,
               "conferences.minutes": meeting.id, "conferences.publish_minutes": meeting.id,
               "unlicensed": unlicensed_cycle.id,
               **{f"unlicensed.{e}": unlicensed.health.id for e in (
                   "unit", "office_page", "plan", "campaign", "assign", "add_operator", "inspectors_report", "report",
                   "receive")},
               **{f"unlicensed.{e}": unlicensed_op.id for e in (
                   "operator", "eligible", "case", "willing", "guide", "licence", "columns")},
               "risk": risk_change.id, "risk.warning": risk_warning.id, "risk.close_warning": risk_warning.id,
               "court": entity.id, "trigger": trigger_rule.id, "campaigns": campaign.id,
               "daily": daily["task"], "daily.remove_object": daily["object"], "daily.delete_rule": daily["rule"],
               "daily.delete_officer_rule": daily["officer_rule"],
               **{f"daily.{e}": daily["category"] for e in ("category", "classify", "place")},
               "sandbox.remove_entity": sandbox_member.id, "sandbox.item": sandbox_item.id,
               "sandbox.clue": sandbox_clue.id, "sandbox.retry_delivery": sandbox_delivery.id,
               # /api/v1 answers 401 to a session without a token, whatever the id
               "api": sandbox_clue.id,
               "sanctions": sanction_entry.id,
               **{f"sanctions.{e}": sanction_list.id for e in (
                   "list_page", "list_add", "list_remove", "list_form", "list_publicize")},
               "sanctions.task_result": sanction_task.id,
               "sanctions.object_release": sanction_list.objects[0].id,
               "assessment": assessment_run.id,
               **{f"assessment.{e}": assessment_card.id for e in ("card_page", "card_xlsx", "card_pdf")},
               "assessment.evidence": judgement.evidence[0].id, "assessment.deduction": assessment_deduction.id,
               "reports": flex_report.id,
               "efficiency.urge": efficiency_urge.id, "efficiency.rule": efficiency_rule_row.id,
               "efficiency.rule_delete": efficiency_rule_row.id},
        "sid": flex_submission.id,
        "case_id": court_case.id,
        "field_id": campaign_field.id,
        "oid": campaign_object.id,
        "aid": campaign_attachment.id,
        "record_id": record.id,
        "object_id": obj.id,
        "evidence_id": evidence.id,
        "record_no": record.record_no,
        "attachment_id": document.attachments[0].id,
        "draw_id": draw.id,
        "job_id": job.id,
        "subject_id": check_item.id,
        "directory_id": directory.id,
        "inspector_id": inspector.id,
        "aux_id": aux.id,
        "table": 12,
        "joint_id": joint.id,
        "member_id": member.id,
        "change_id": change.id,
        "conflict_id": conflict.id,
        "correction_id": correction.id,
        "clue_id": clue.id,
        "stop_id": stop.id,
        # the record PDFs and the 检查通知书 (blueprints/records) and a conference plan's task:
        # a parameter may be keyed by blueprint (or endpoint) as "id" is
        "task_id": {"record_pdfs": ready.task.id, "conference_plans": conference_plan.tasks[0].id},
        "sanction_task_id": sanction_task.id,
        "task_object_id": obj.id,
        "row_id": ledger_row_id,
        "fact_kind": "permit",
        "fact_id": filed.facts[0].id,
        "pending_id": filed.pending[0].id,
        "person_id": officer.id,
        "rule_id": lawsuits.id,
        "message_id": digest_message.id,
        "notice_id": notice.id,
        "licence_item_id": licence_item.id,
        "authority_id": notice.authority_id,
        "year": 2026,
    }


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _text(resp) -> str:
    if resp.mimetype and "spreadsheetml" in resp.mimetype:
        wb = load_workbook(io.BytesIO(resp.data), read_only=True)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    if resp.mimetype == "application/pdf":
        import subprocess

        done = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True, check=True)
        return done.stdout.decode("utf-8")
    return resp.get_data(as_text=True)


def test_every_route_is_closed_to_another_district(app, client, org, district_a):
    unknown = set()
    checked = 0
    for rule, method in _routes(app):
        params = set(rule.arguments)
        if params - set(district_a):
            unknown |= params - set(district_a)
            continue
        values = {p: district_a[p] for p in params}
        chapter = rule.endpoint.split(".")[0]
        missing = [p for p, v in values.items() if isinstance(v, dict) and rule.endpoint not in v and chapter not in v]
        if missing:
            unknown |= {f"{p} of {chapter}" for p in missing}
            continue
        values = {p: v.get(rule.endpoint, v.get(chapter)) if isinstance(v, dict) else v for p, v in values.items()}
        url = rule.build(values, append_unknown=False)[1]
        scoped = bool(params - UNSCOPED_PARAMETERS)
        for name in B_USERS:
            sign_in(client, getattr(org, name))
            if method == "GET":
                resp = client.get(url)
            else:
                token = csrf_token(client, "/processes/" if not getattr(org, name).is_admin_only else "/password")
                resp = client.post(url, data={"csrf_token": token, "version": 1, "outcome": "next"})
            checked += 1
            assert resp.status_code < 500, (method, url, name, resp.status_code)
            if scoped:
                refusals = (401, 403, 404) if rule.endpoint.startswith(TOKEN_PREFIX) else (403, 404)
                assert resp.status_code in refusals, (method, url, name, resp.status_code)
            elif resp.status_code == 200 and not rule.endpoint.startswith(PUBLIC_PREFIX):
                body = _text(resp)
                for marker in MARKERS:
                    assert marker not in body, (method, url, name, marker)
    assert not unknown, f"add these route parameters to the walk: {sorted(unknown)}"
    assert checked > 100


def test_walk_knows_every_parameter(app):
    names = {a for rule in app.url_map.iter_rules() for a in rule.arguments} - {"filename"}
    assert names <= {
        "department_id", "parent_id", "user_id", "instance_id", "item_id", "batch_id", "event_id", "table", "entity_id",
        "id",
        "job_id",
        "joint_id",
        "subject_id",
        "directory_id",
        "inspector_id", "aux_id",
        "member_id", "change_id", "conflict_id",
        "draw_id",
        "record_id", "object_id", "evidence_id", "record_no",
        "correction_id", "clue_id", "stop_id",
        "attachment_id",
        "task_id", "task_object_id", "row_id", "sanction_task_id",
        "kind",
        "fact_kind", "fact_id", "pending_id",
        "person_id",
        "year",
        "code", "credential_id",
        "rule_id",
        "message_id",
        "case_id",
        "oid", "aid", "field_id",  # 专项整治: an object, its attachment, a feedback item
        "notice_id", "licence_item_id", "authority_id",
        "sid",  # 灵活报表: a unit's filling
    }


def test_list_pages_filter_to_own_district(client, org, district_a):
    for name, url in (
        ("clerk_b", "/processes/instances"),
        ("clerk_b", "/entities/"),
        ("clerk_b", "/libraries/"),
        ("leader_b", "/libraries/?q=机密"),
        ("clerk_b", "/joint-items/"),
        ("clerk_b", "/joint-items/?q=机密&page=1"),
        ("office_b_user", "/joint-items/industries"),
        ("clerk_b", "/inspectors/"),
        ("leader_b", "/inspectors/auxiliary"),
        ("clerk_b", "/inspectors/?cert=valid"),
        ("leader_b", "/entities/?grade=E"),
        ("clerk_b", "/items/"),
        ("leader_b", "/items/?status=all"),
        ("clerk_b", "/items/claim"),
        ("clerk_b", "/directories/"),
        ("clerk_b", "/plans/"),
        ("office_b_user", "/plans/?kind=joint&status=consulting"),
        ("leader_b", "/plans/?year=2026"),
        ("clerk_b", "/fairness"),
        ("clerk_b", "/followups/clues"),
        ("leader_b", "/followups/clues"),
        ("leader_b", "/inbox"),
        ("leader_b", "/fairness?years=10"),
        ("clerk_b", "/tasks/"),
        ("clerk_b", "/reports/"),
        ("leader_b", "/tasks/?status=drawing"),
        ("leader_b", "/tasks/ratios"),
        ("clerk_b", "/public/results"),
        ("clerk_b", "/directories/new"),
        ("clerk_b", "/directories/delete?mode=direct"),
        ("leader_b", "/directories/"),
        ("office_b_user", "/conference-plans/"),
        ("clerk_b", "/statistics/"),
        ("leader_b", "/statistics/?group=task"),
        ("leader_b", "/statistics/?group=plan&year=2026"),
        ("clerk_b", "/statistics/overdue?show=soon"),
        ("clerk_b", "/court/calls?kind=feedback&result=unserved"),
        ("leader_b", "/court/statistics?by=month"),
        ("clerk_b", "/inbox"),
        ("sysadmin_b", "/admin/calendar/"),
        ("sysadmin_b", "/admin/users"),
        ("auditor_b", "/audit/"),
        ("office_b_user", "/conferences/"),
        ("sysadmin_b", "/conferences/"),
        ("office_b_user", "/messages/"),
        ("clerk_b", "/messages/"),
        ("clerk_b", "/collection/"),
        ("clerk_b", "/collection/permit/"),
        ("clerk_b", "/collection/feedback?closed=1"),
        ("clerk_b", "/collection/results?kind=permit"),
        ("leader_b", "/collection/monitor"),
    ):
        sign_in(client, getattr(org, name))
        html = client.get(url).get_data(as_text=True)
        assert not re.search("|".join(MARKERS), html), (name, url)
    db.session.rollback()
