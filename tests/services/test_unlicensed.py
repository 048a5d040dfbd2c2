"""无证无照经营综合治理 (表24): each branch of the flow, the office's steps, the reports, the
汇总 and 通报, and the bad input the services refuse."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Permit, ProcessHistory, db
from models.facts import FactSource
from models.roles import Role
from models.unlicensed import OperatorStatus as S
from models.workflow import InstanceStatus
from services import inspector_draws
from services.plan_queries import today
from services.unlicensed import access, cycles, operators, reports
from tests.conftest import PASSWORD
from tests.factories.directories import make_entity
from tests.factories.unlicensed import Setup


@pytest.fixture()
def ul(org, make_user, session):
    return Setup(org, make_user)


def _path(unit):
    inst = access.instance_of(unit)
    rows = db.session.query(ProcessHistory).filter_by(instance_id=inst.id).order_by(ProcessHistory.seq).all()
    return [r.step_key for r in rows if r.action not in ("start",)]


def test_the_notice_opens_one_instance_per_member_unit_at_the_annual_plan(ul):
    cycle = ul.start()
    assert cycle.notice.status.value == "published"
    assert {r.department_id for r in cycle.notice.recipients} == {ul.org.health_a.id, ul.org.safety_a.id}
    for unit, liaison, _ in ul.pairs():
        assert access.current_step(unit) == "annual_plan"
        assert access.step_open(liaison, unit, "annual_plan")
        assert not access.step_open(ul.safety_liaison if unit is ul.health else ul.health_liaison, unit, "annual_plan")


def test_a_second_cycle_of_the_same_year_is_refused(ul):
    ul.start()
    with pytest.raises(Conflict):
        cycles.start_cycle(ul.office, ul.conference, {"year": "2026", "doc_no": "x2", "title": "通知"})


def test_a_year_in_words_is_refused(ul):
    with pytest.raises(Invalid, match="年度须为四位数字"):
        cycles.start_cycle(ul.office, ul.conference, {"year": "二〇二六", "doc_no": "x", "title": "通知"})


def test_only_the_office_issues_the_notice(ul):
    with pytest.raises(Forbidden):
        cycles.start_cycle(ul.health_liaison, ul.conference, {"year": "2026", "doc_no": "x", "title": "通知"})


def test_collect_waits_for_every_plan_and_a_plan_is_reported_once(ul):
    cycle = ul.start()
    cycles.report_plan(ul.health_liaison, ul.health, ul.health.lock_version, {"plan_content": "计划"})
    db.session.commit()
    with pytest.raises(Conflict, match="甲区应急管理局"):
        cycles.collect_plans(ul.office, cycle, cycle.lock_version, {"plans_summary": "汇总"})
    db.session.rollback()
    with pytest.raises(Conflict):
        cycles.report_plan(ul.health_liaison, ul.health, ul.health.lock_version, {"plan_content": "再次"})


def test_a_stale_form_is_refused(ul):
    ul.start()
    old = ul.health.lock_version
    cycles.report_plan(ul.health_liaison, ul.health, old, {"plan_content": "计划"})
    db.session.commit()
    with pytest.raises(Conflict, match="已被他人修改"):
        cycles.make_campaign(ul.health_liaison, ul.health, old, {"campaign_title": "a", "campaign_content": "b"})


def test_scheme_then_campaign_and_assignment(ul):
    cycle = ul.schemed()
    assert cycle.scheme.recipient_ids == {ul.org.health_a.id, ul.org.safety_a.id}
    assert access.current_step(ul.health) == "campaign"
    unit = ul.health
    with pytest.raises(Conflict, match="请先制定专项整治方案"):
        cycles.assign_inspectors(ul.health_liaison, unit, unit.lock_version, [ul.health_inspector.id])
    db.session.rollback()
    cycles.make_campaign(ul.health_liaison, unit, unit.lock_version, {"campaign_title": "专项", "campaign_content": "内容"})
    with pytest.raises(Invalid, match="不是本单位的执法人员"):
        cycles.assign_inspectors(ul.health_liaison, unit, unit.lock_version, [ul.safety_inspector.id])
    cycles.assign_inspectors(ul.health_liaison, unit, unit.lock_version, [ul.health_inspector.id])
    assert access.current_step(unit) == "enforce"
    assert access.is_assigned(ul.health_inspector, unit)


def test_the_member_unit_draws_its_inspectors_with_the_shared_draw(ul, make_user):
    cycle = ul.schemed()
    unit = ul.health
    second = make_user(ul.org.health_a, Role.INSPECTOR, name="卫健执法员二")
    cycles.make_campaign(ul.health_liaison, unit, unit.lock_version, {"campaign_title": "专项", "campaign_content": "内容"})
    with pytest.raises(Invalid, match="抽取人数须为1至2之间的整数"):
        cycles.assign_inspectors(ul.health_liaison, unit, unit.lock_version, [], mode="draw", count="3")
    assert inspector_draws.draws_of(inspector_draws.Subject(inspector_draws.UNLICENSED_UNIT, unit.id)) == []
    cycles.assign_inspectors(ul.health_liaison, unit, unit.lock_version, [], mode="draw", count="1")
    (drawn, check), = cycles.unit_draws(unit)
    assert check is True and drawn.population_size == 2 and drawn.department_id == unit.department_id
    assert unit.inspector_ids == set(inspector_draws.drawn_ids(drawn, "user")) <= {ul.health_inspector.id, second.id}
    assert access.current_step(unit) == "enforce" and cycle.year


def test_not_eligible_goes_to_case_filing(ul):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    op = ul.operator(unit, inspector)
    assert access.current_step(unit) == "eligible"
    operators.judge_eligible(inspector, op, op.lock_version, "no")
    assert op.status == S.INELIGIBLE and access.current_step(unit) == "case"
    with pytest.raises(Invalid, match="不能早于发现日期"):
        operators.file_case(inspector, op, op.lock_version,
                            {"case_no": "甲市监立〔2026〕1号", "case_date": (op.found_on - timedelta(days=1)).isoformat()})
    operators.file_case(inspector, op, op.lock_version, {"case_no": "甲市监立〔2026〕1号", "case_date": today().isoformat()})
    assert op.status == S.CASE and op.case_filed
    assert access.current_step(unit) == "report"
    assert [k for k in _path(unit) if k in ("enforce", "eligible", "case", "willing", "guide")] == [
        "enforce", "eligible", "case"]


def test_eligible_and_willing_is_guided_and_tracked_until_licensed(ul, session):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    entity = make_entity(ul.org.clerk_a, 7)
    op = ul.operator(unit, inspector, "老王烧烤", found_on=(today() - timedelta(days=10)).isoformat())
    operators.judge_eligible(inspector, op, op.lock_version, "yes")
    operators.judge_willing(inspector, op, op.lock_version, "yes")
    assert access.current_step(unit) == "guide"
    with pytest.raises(Invalid, match="请选择引导办证"):
        operators.guide(inspector, op, op.lock_version, {"licence_kind": "", "guided_on": today().isoformat()})
    operators.guide(inspector, op, op.lock_version,
                    {"licence_kind": "办照", "guided_on": today().isoformat(), "guidance_issued": "1"})
    assert op.status == S.GUIDING and op.licensing_guided and op.guidance_issued
    assert access.current_step(unit) == "report"
    # the licence: its date not before the finding, matched to the registry
    with pytest.raises(Invalid, match="不能早于发现日期"):
        operators.record_licence(inspector, op, op.lock_version,
                                 {"licensed_on": (today() - timedelta(days=11)).isoformat(), "licensed_code": entity.uscc})
    with pytest.raises(Invalid, match="市场主体库中没有"):
        operators.record_licence(inspector, op, op.lock_version,
                                 {"licensed_on": today().isoformat(), "licensed_code": "91510108MA6DXXXXXX"})
    operators.record_licence(inspector, op, op.lock_version,
                             {"licensed_on": today().isoformat(), "licensed_code": entity.uscc})
    assert op.status == S.LICENSED and op.licensed_entity_id == entity.id and op.licence == "已办理证照"


def test_a_licence_matched_to_a_collected_permit(ul, session):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    entity = make_entity(ul.org.clerk_a, 9)
    session.add(Permit(entity_id=entity.id, permit_no="JY15101080009999", name="食品经营许可证", kind="食品经营",
                       source_department_id=ul.org.health_a.id, source_kind=FactSource.ONLINE))
    op = ul.operator(unit, inspector)
    operators.judge_eligible(inspector, op, op.lock_version, "yes")
    operators.judge_willing(inspector, op, op.lock_version, "yes")
    operators.guide(inspector, op, op.lock_version, {"licence_kind": "办证", "guided_on": today().isoformat()})
    with pytest.raises(Invalid, match="行政许可信息中没有"):
        operators.record_licence(inspector, op, op.lock_version, {"licensed_on": today().isoformat(), "licence_no": "NOPE"})
    operators.record_licence(inspector, op, op.lock_version,
                             {"licensed_on": today().isoformat(), "licence_no": "JY15101080009999"})
    assert op.permit.permit_no == "JY15101080009999" and op.licensed_entity_id == entity.id


def test_no_will_to_operate_records_the_outcome(ul):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    op = ul.operator(unit, inspector)
    operators.judge_eligible(inspector, op, op.lock_version, "yes")
    with pytest.raises(Invalid, match="停业或关闭"):
        operators.judge_willing(inspector, op, op.lock_version, "no", "")
    operators.judge_willing(inspector, op, op.lock_version, "no", "停业")
    assert op.status == S.CLOSED and op.closed and op.outcome == "停业"
    assert access.current_step(unit) == "report"
    assert [k for k in _path(unit) if k in ("enforce", "eligible", "case", "willing", "guide")] == [
        "enforce", "eligible", "willing"]


def test_a_second_operator_records_its_own_branch_without_moving_the_instance(ul):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    first = ul.operator(unit, inspector, "甲店")
    second = ul.operator(unit, inspector, "乙店")
    operators.judge_eligible(inspector, first, first.lock_version, "no")
    operators.judge_eligible(inspector, second, second.lock_version, "yes")  # the instance is at 立案查处
    assert access.current_step(unit) == "case"
    operators.judge_willing(inspector, second, second.lock_version, "no", "关闭")
    assert access.current_step(unit) == "case" and second.status == S.CLOSED
    db.session.commit()
    with pytest.raises(Conflict, match="甲店"):
        reports.inspectors_report(inspector, unit, unit.lock_version, {})
    db.session.rollback()
    operators.file_case(inspector, first, first.lock_version, {"case_no": "案1", "case_date": today().isoformat()})
    reports.inspectors_report(inspector, unit, unit.lock_version, {"report_note": "2户"})
    assert unit.inspectors_reported_at is not None


def test_operator_input_is_checked(ul):
    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    with pytest.raises(Invalid, match="经营者/名称"):
        operators.record_operator(inspector, unit, {"operator": ""})
    with pytest.raises(Invalid, match="联系电话"):
        operators.record_operator(inspector, unit, {"operator": "店", "phone": "12345"})
    with pytest.raises(Invalid, match="市场主体库中没有"):
        operators.record_operator(inspector, unit, {"operator": "店", "code": "91510108MA6DZZZZZZ"})
    with pytest.raises(Invalid, match="发现日期不能晚于今天"):
        operators.record_operator(inspector, unit, {"operator": "店", "found_on": (today() + timedelta(days=1)).isoformat()})
    ul.operator(unit, inspector, "重复店")
    with pytest.raises(Conflict, match="不能重复录入"):
        ul.operator(unit, inspector, "重复店")
    with pytest.raises(Forbidden):
        operators.record_operator(ul.safety_inspector, unit, {"operator": "别家"})


def test_a_registered_operator_is_matched_by_its_code(ul):
    ul.assigned()
    entity = make_entity(ul.org.clerk_a, 8)
    op = ul.operator(ul.health, ul.health_inspector, "有照无证店", code=entity.uscc.lower())
    assert op.entity_id == entity.id


def test_the_fine_must_be_a_number(ul):
    ul.assigned()
    op = ul.operator(ul.health, ul.health_inspector)
    with pytest.raises(Invalid, match="罚款金额"):
        operators.update_columns(ul.health_inspector, op, op.lock_version, {"fine": "五千元"})
    db.session.rollback()
    operators.update_columns(ul.health_inspector, op, op.lock_version,
                             {"fine": "0.5", "notice_copied": "1", "police_transferred": ""})
    assert op.fine == Decimal("0.5") and op.notice_copied and not op.police_transferred


def test_reports_are_refused_twice_and_in_the_wrong_order(ul):
    ul.assigned()
    unit = ul.health
    with pytest.raises(Conflict, match="尚未录入"):
        reports.inspectors_report(ul.health_inspector, unit, unit.lock_version, {})
    db.session.rollback()
    with pytest.raises(Conflict, match="执法人员尚未上报"):
        reports.unit_report(ul.health_liaison, unit, unit.lock_version)
    db.session.rollback()
    ul.closed_operator(unit, ul.health_inspector)
    reports.inspectors_report(ul.health_inspector, unit, unit.lock_version, {})
    version = unit.lock_version
    reports.unit_report(ul.health_liaison, unit, version)
    db.session.commit()
    with pytest.raises(Conflict):
        reports.unit_report(ul.health_liaison, unit, unit.lock_version)
    db.session.rollback()
    with pytest.raises(Conflict, match="已上报"):
        operators.record_operator(ul.health_inspector, unit, {"operator": "晚到的店"})


def test_summary_bulletin_and_receipt_end_every_instance(ul):
    cycle = ul.reported()
    agg = reports.aggregate(cycle)
    assert agg.row_count == 2 and agg.totals.flags["停业关闭"] == 2
    assert [u.department.name for u in agg.units] == ["甲区卫生健康局", "甲区应急管理局"]
    book = load_workbook(__import__("io").BytesIO(reports.xlsx(cycle)))
    header = [c.value for c in book.active[2]]
    assert header[:4] == ["序号", "填报单位", "经营者/名称", "经营地址"] and "已立案查处" in header
    with pytest.raises(Conflict, match="请先汇总"):
        reports.issue_bulletin(ul.office, cycle, cycle.lock_version, {"doc_no": "9", "title": "通报"})
    db.session.rollback()
    reports.summarize(ul.office, cycle, cycle.lock_version, {"results_summary": "汇总"})
    reports.issue_bulletin(ul.office, cycle, cycle.lock_version, {"doc_no": "甲联办〔2026〕9号", "title": "通报"})
    db.session.commit()
    with pytest.raises(Forbidden):
        reports.receive_bulletin(ul.health_inspector, ul.health, PASSWORD, cycle.bulletin.version)
    reports.receive_bulletin(ul.health_liaison, ul.health, PASSWORD, cycle.bulletin.version)
    with pytest.raises(Conflict, match="已接收"):
        reports.receive_bulletin(ul.health_liaison, ul.health, PASSWORD, cycle.bulletin.version)
    reports.receive_bulletin(ul.safety_liaison, ul.safety, PASSWORD, cycle.bulletin.version)
    for unit in cycle.units:
        assert access.instance_of(unit).status == InstanceStatus.COMPLETED
    assert cycle.bulletin.status.value == "signed"


def test_the_summary_waits_for_every_unit(ul):
    cycle = ul.assigned()
    unit = ul.health
    ul.closed_operator(unit, ul.health_inspector)
    reports.inspectors_report(ul.health_inspector, unit, unit.lock_version, {})
    reports.unit_report(ul.health_liaison, unit, unit.lock_version)
    with pytest.raises(Conflict, match="甲区应急管理局"):
        reports.summarize(ul.office, cycle, cycle.lock_version, {"results_summary": "汇总"})


def test_who_sees_what(ul, org):
    cycle = ul.start()
    assert access.can_view_unit(ul.health_liaison, ul.health)
    assert not access.can_view_unit(ul.health_liaison, ul.safety)
    assert not access.can_view_unit(ul.safety_inspector, ul.health)
    assert access.can_view_unit(ul.office, ul.safety)
    assert not access.can_view_cycle(org.office_b_user, cycle)
    assert not access.can_view_cycle(org.clerk_a, cycle)
    listed = db.session.execute(access.list_query(ul.health_liaison)).scalars().all()
    assert listed == [cycle]
    assert db.session.execute(access.list_query(org.office_b_user)).scalars().all() == []


def test_operators_found_are_imported_through_the_import_framework(ul):
    from services.imports import framework, unlicensed_operators
    from tests.factories.import_kinds import workbook

    ul.assigned()
    unit, inspector = ul.health, ul.health_inspector
    ul.operator(unit, inspector, "已录入小吃店")
    kind = unlicensed_operators.KIND
    rows = [[1, "老李修车铺", "甲区建设路9号", "李四", "汽车修理", "13800000000", "", today().isoformat()],
            [2, "已录入小吃店", "甲区建设路1号", "张三", "餐饮", "", "", ""],  # recorded already
            [3, "无名杂货", "甲区建设路10号", "", "零售", "", "NOPE", ""]]  # not in the registry
    twice = workbook(kind, [rows[0], rows[0]])
    _, check = framework.upload(kind, inspector, "重复.xlsx", twice, {"unit_id": unit.id})
    assert all("重复（经营者/名称和经营地址相同）" in r.row.errors[0][1] for r in check.rows)
    batch, check = framework.upload(kind, inspector, "经营者.xlsx", workbook(kind, rows), {"unit_id": unit.id})
    problems = {r.number: [m for _, m in r.row.errors] for r in check.rows if not r.row.valid}
    assert set(problems) == {3, 4}, problems
    assert "已录入" in problems[3][0] and "NOPE" in problems[4][0]
    with pytest.raises(Invalid, match="未导入任何数据"):
        framework.confirm(kind, inspector, batch, valid_only=False)
    result = framework.confirm(kind, inspector, batch, valid_only=True)
    assert result["录入经营者"] == 1
    found = next(o for o in unit.operators if o.operator == "老李修车铺")
    assert found.person == "李四" and found.entity is None and found.status == S.FOUND
    with pytest.raises(Exception, match="成员单位不存在"):
        kind.load_context(ul.safety_inspector, {"unit_id": str(unit.id)})
    with pytest.raises(Forbidden):
        framework.upload(kind, ul.health_liaison, "x.xlsx", workbook(kind, rows), {"unit_id": unit.id})
