"""抽查计划 (表19, 表21): steps, guards, validation, publication, the annual-plan warning."""

from __future__ import annotations

from datetime import date

import pytest

from infrastructure import clock
from infrastructure.errors import Conflict, ServiceError
from models import Plan, PlanStatus, Publication, db
from services import plan_elements, plan_queries, plans, publication
from tests.factories.plans import PDF, YEAR, elements, joint_item, single_item
from workflows.errors import NotAllowed
from workflows.guards import GUARDS


def _single(org, **over):
    plan = plans.create_single(org.clerk_a, {"name": "单部门计划", "year": YEAR, "plan_type": "annual"},
                               plan_elements.Upload("计划.pdf", PDF))
    return plan


def _joint(org, plan_type="annual", item=None):
    item = item or joint_item(org.bureau_a, org.health_a, org.safety_a)
    return plans.create_joint(org.clerk_a, elements(name="联合计划", plan_type=plan_type), [item.id])


def _consulted(org, plan_type="annual"):
    plan = _joint(org, plan_type)
    plans.consult(org.clerk_a, plan, plan.lock_version)
    return plan


def _step(plan):
    return plan_queries.active_instance(plan).current_step if plan_queries.active_instance(plan) else None


# ------------------------------------------------------------------ 表19


def test_single_plan_upload_elements_publish(session, org):
    item = single_item(org.bureau_a, cap="10")
    plan = _single(org)
    assert plan.document == PDF and plan.document_type == "application/pdf" and len(plan.document_sha256) == 64
    assert _step(plan) == "elements"
    plans.fix_elements(org.clerk_a, plan, plan.lock_version, elements(), [item.id])
    assert plan.status == PlanStatus.PUBLISHED and plan.version == 1
    assert [i.item_id for i in plan.items] == [item.id]
    pub = session.execute(publication.current("plan").where(Publication.subject_id == plan.id)).scalar_one()
    payload = publication.payload_of(pub)
    assert payload["抽查比例"] == "5%" and payload["起止时间"] == f"{YEAR}-04-01至{YEAR}-10-31"
    assert payload["抽查事项"] == item.name and payload["计划类别"] == "单部门"
    assert not publication.FORBIDDEN_KEYS & set(payload)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("计划.pdf", b"not a pdf at all", "文件内容与扩展名 .pdf 不符"),
    ("计划.docx", PDF, "文件内容与扩展名 .docx 不符"),
    ("计划.exe", PDF, "只能是 PDF"),
    ("计划.pdf", b"", "空文件"),
])
def test_bad_documents_are_refused(session, org, name, data, message):
    with pytest.raises(plan_elements.Unprocessable, match=message) as exc:
        plans.create_single(org.clerk_a, {"name": "x", "year": YEAR, "plan_type": "annual"}, plan_elements.Upload(name, data))
    assert exc.value.status == 422


def test_document_too_large_and_real_office_files(session, org):
    with pytest.raises(plan_elements.Unprocessable, match="不能超过10MB"):
        plan_elements.clean_document(plan_elements.Upload("a.pdf", b"%PDF-" + b"0" * plan_elements.MAX_DOCUMENT_BYTES))
    from openpyxl import Workbook

    from infrastructure.excel import workbook_bytes

    xlsx = workbook_bytes(Workbook())
    assert plan_elements.clean_document(plan_elements.Upload("计划.xlsx", xlsx))[1].endswith("spreadsheetml.sheet")
    with pytest.raises(plan_elements.Unprocessable):
        plan_elements.clean_document(plan_elements.Upload("计划.docx", xlsx))
    assert plan_elements.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest") == "ole"


@pytest.mark.parametrize(("over", "message"), [
    ({"ratio": "120"}, "抽查比例应在0–100"),
    ({"ratio": "-1"}, "抽查比例应在0–100"),
    ({"ratio": "abc"}, "抽查比例应为数字"),
    ({"ratio": "11"}, "抽查比例上限10%"),
    ({"start_date": f"{YEAR}-11-01"}, "起始时间不能晚于截止时间"),
    ({"end_date": f"{YEAR + 1}-01-31"}, "计划年度"),
    ({"sample_size": "-3"}, "抽查户数"),
    ({"methods": []}, "请选择检查方式"),
    ({"objects": ""}, "请填写检查对象"),
])
def test_elements_are_checked(session, org, over, message):
    item = single_item(org.bureau_a, cap="10")
    plan = _single(org)
    version = plan.lock_version
    with pytest.raises(ServiceError, match=message):
        plans.fix_elements(org.clerk_a, plan, version, elements(**over), [item.id])


def test_key_item_has_no_cap_and_items_must_be_own(session, org, make_user):
    key = single_item(org.bureau_a)
    other = single_item(org.health_a)
    plan = _single(org)
    with pytest.raises(plan_elements.Unprocessable, match="只能选择本部门已公布的抽查事项"):
        plans.fix_elements(org.clerk_a, plan, plan.lock_version, elements(), [other.id])
    plans.fix_elements(org.clerk_a, plan, plan.lock_version, elements(ratio="100"), [key.id])
    assert plan.status == PlanStatus.PUBLISHED


def test_stale_form_and_wrong_user(session, org):
    item = single_item(org.bureau_a)
    plan = _single(org)
    old = plan.lock_version
    plans.replace_document(org.clerk_a, plan, old, plan_elements.Upload("新计划.pdf", PDF))
    assert plan.document_name == "新计划.pdf"
    with pytest.raises(Conflict):
        plans.fix_elements(org.clerk_a, plan, old, elements(), [item.id])
    with pytest.raises(NotAllowed):
        plans.fix_elements(org.health_clerk, plan, plan.lock_version, elements(), [item.id])


# ------------------------------------------------------------------ 表21


def test_joint_plan_feedback_review_return_adjust_publish(session, org):
    plan = _consulted(org)
    assert {p.department_id for p in plan_queries.participants(plan)} == {org.health_a.id, org.safety_a.id}
    assert plan.status == PlanStatus.CONSULTING and _step(plan) == "feedback"
    version = plan.lock_version
    plans.feedback(org.health_clerk, plan, version, True)
    with pytest.raises(plan_elements.Unprocessable, match="请填写反馈意见"):
        plans.feedback(org.safety_clerk, plan, version, False, "")
    plans.feedback(org.safety_clerk, plan, version, False, "建议抽查户数调整为20户")
    party = next(p for p in plan_queries.participants(plan) if p.department_id == org.safety_a.id)
    assert party.agreed is False and party.feedback == "建议抽查户数调整为20户"
    assert _step(plan) == "form"
    plans.form(org.clerk_a, plan, plan.lock_version, elements(name="联合计划", sample_size="20"))
    assert plan.sample_size == 20 and _step(plan) == "submit"
    plans.submit(org.clerk_a, plan, plan.lock_version)
    assert plan.status == PlanStatus.REVIEW and _step(plan) == "review"
    with pytest.raises(plan_elements.Unprocessable, match="退回调整须填写理由"):
        plans.review(org.office_user, plan, plan.lock_version, False, "")
    plans.review(org.office_user, plan, plan.lock_version, False, "抽查比例偏低")
    assert plan.status == PlanStatus.RETURNED and plan_queries.return_reason(plan) == "抽查比例偏低"
    plans.adjust(org.clerk_a, plan, plan.lock_version, elements(name="联合计划", ratio="8", sample_size="20"))
    assert _step(plan) == "review" and plan_queries.return_reason(plan) == ""
    plans.review(org.office_user, plan, plan.lock_version, True, "同意")
    assert plan.status == PlanStatus.PUBLISHED and _step(plan) is None
    payload = publication.payload_of(publication.history("plan", plan.id)[-1])
    assert payload["参与部门"] == "甲区卫生健康局、甲区应急管理局"
    assert "甲区卫生健康局：甲区卫生健康局本部门检查（区县级）" in payload["参与部门抽查事项及实施层级"]
    assert payload["抽查比例"] == "8%"


def test_ad_hoc_joint_plan_skips_the_conference_office(session, org):
    plan = _consulted(org, "ad_hoc")
    plans.feedback(org.health_clerk, plan, plan.lock_version, True)
    plans.feedback(org.safety_clerk, plan, plan.lock_version, True)
    inst = plan_queries.active_instance(plan)
    assert GUARDS["ad_hoc_plan"](inst) and not GUARDS["not_ad_hoc_plan"](inst)
    plans.form(org.clerk_a, plan, plan.lock_version, elements(name="联合计划", plan_type="ad_hoc"))
    assert plan.status == PlanStatus.PUBLISHED
    steps = [h.step_key for h in plan_queries.instances_of(plan)[0].history]
    assert "submit" not in steps and "review" not in steps


def test_guards_read_the_plan_type(session, org):
    plan = _joint(org)
    inst = plan_queries.active_instance(plan)
    assert GUARDS["not_ad_hoc_plan"](inst) and not GUARDS["ad_hoc_plan"](inst)


def test_joint_plan_items_must_be_the_initiators_published_joint_items(session, org):
    foreign = joint_item(org.health_a, org.bureau_a)
    with pytest.raises(plan_elements.Unprocessable, match="只能选择本部门已公布的抽查事项"):
        plans.create_joint(org.clerk_a, elements(), [foreign.id])
    with pytest.raises(plan_elements.Unprocessable, match="请至少选择一项抽查事项"):
        plans.create_joint(org.clerk_a, elements(), [])


def test_only_participants_give_feedback_and_only_the_office_reviews(session, org):
    plan = _consulted(org)
    with pytest.raises(NotAllowed):
        plans.feedback(org.clerk_b, plan, plan.lock_version, True)
    for user in (org.health_clerk, org.safety_clerk):
        plans.feedback(user, plan, plan.lock_version, True)
    plans.form(org.clerk_a, plan, plan.lock_version, elements(name="联合计划"))
    plans.submit(org.clerk_a, plan, plan.lock_version)
    with pytest.raises(NotAllowed):
        plans.review(org.clerk_a, plan, plan.lock_version, True)
    with pytest.raises(NotAllowed):
        plans.review(org.office_b_user, plan, plan.lock_version, True)


def test_visibility(session, org):
    plan = _consulted(org)
    assert plan_queries.can_view(org.health_clerk, plan)
    assert plan_queries.can_view(org.office_user, plan)
    assert not plan_queries.can_view(org.clerk_b, plan)
    assert not plan_queries.can_view(org.office_b_user, plan)
    assert not plan_queries.can_view(org.inspector_a, plan)


# ------------------------------------------------------------------ the annual plan warning


def test_annual_plan_warning_dates(session, org):
    joint_item(org.bureau_a, org.health_a)
    assert plan_queries.annual_plan_warning(org.clerk_a, date(YEAR, 2, 28)) == ""
    assert "应在3月31日前" in plan_queries.annual_plan_warning(org.clerk_a, date(YEAR, 3, 1))
    assert "应在3月31日前" in plan_queries.annual_plan_warning(org.clerk_a, date(YEAR, 3, 31))
    assert "已逾期" in plan_queries.annual_plan_warning(org.clerk_a, date(YEAR, 4, 1))
    # a department that initiates no joint item is not reminded
    assert plan_queries.annual_plan_warning(org.health_clerk, date(YEAR, 4, 1)) == ""


def test_annual_plan_warning_ends_with_a_published_annual_joint_plan(session, org):
    plan = _consulted(org)
    for user in (org.health_clerk, org.safety_clerk):
        plans.feedback(user, plan, plan.lock_version, True)
    plans.form(org.clerk_a, plan, plan.lock_version, elements(name="联合计划"))
    assert "已逾期" in plan_queries.annual_plan_warning(org.clerk_a, date(YEAR, 5, 1))  # not yet published
    plans.submit(org.clerk_a, plan, plan.lock_version)
    plans.review(org.office_user, plan, plan.lock_version, True)
    assert plan_queries.annual_plan_warning(org.clerk_a, date(YEAR, 5, 1)) == ""
    assert "应在3月31日前" in plan_queries.annual_plan_warning(org.clerk_a, date(YEAR + 1, 3, 2))


def test_today_is_injectable(app, session):
    app.config["PLANS_TODAY"] = "2026-03-15"
    try:
        assert plan_queries.today() == date(2026, 3, 15)
    finally:
        app.config.pop("PLANS_TODAY")
    assert plan_queries.today() == clock.china_today()


def test_list_filters(session, org):
    _consulted(org)
    single = _single(org)
    query = plan_queries.list_query(org.clerk_a, plan_queries.parse_filters({"kind": "single", "year": str(YEAR)}))
    assert [p.id for p in db.session.execute(query).scalars()] == [single.id]
    assert plan_queries.parse_filters({"year": "abc", "kind": "x", "type": "ad_hoc"}) == plan_queries.PlanFilters(plan_type="ad_hoc")
    assert isinstance(single, Plan)


def test_demo_plans_load_once(session):
    from cli.demo import load_demo

    load_demo()
    load_demo()
    # this year's plans (the 一业一评 demo adds last year's joint inspection as history)
    year = clock.china_today().year
    rows = db.session.execute(db.select(Plan).where(Plan.year == year).order_by(Plan.id)).scalars().all()
    assert [(p.kind.value, p.status.value) for p in rows] == [("single", "published"), ("joint", "consulting")]
    assert len(rows[0].tasks) == 1 and rows[0].document.startswith(b"%PDF-")
    assert {p.department.name for p in plan_queries.participants(rows[1])}


def test_the_row_lock_rereads_a_plan_changed_meanwhile(session, org):
    """``_lock`` must refresh the plan from the locked row: a stale copy in the session would let
    a form built from the old lock_version through (two clerks at once on PostgreSQL)."""
    from sqlalchemy import text

    plan = _single(org)
    before = plan.lock_version
    db.session.execute(text("UPDATE inspection_plan SET lock_version = lock_version + 1 WHERE id = :id"), {"id": plan.id})
    plans._lock(plan)
    assert plan.lock_version == before + 1
