"""专项整治 services (表23, docs/campaigns.md): the plan, its object library, approval and
publication, each branch of an object's record, the reports, 汇总, 通报 and 接收通报, and what
the dossier, the overview and 我的待办 read of it."""

from __future__ import annotations

from datetime import date

import pytest

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import CalendarYear, Campaign, CampaignObject, db
from models.campaigns import CampaignStatus
from models.campaigns import ObjectStatus as S
from models.workflow import InstanceStatus
from persistence.workdays import CalendarNotCovered, add_workdays
from services import dossier, inspector_draws
from services.campaigns import access, assign, feedback, library, overview, plans, records, reports
from tests.conftest import PASSWORD
from tests.factories.campaigns import TODAY, Setup


@pytest.fixture()
def cs(org, make_user, app, monkeypatch, session):
    return Setup(org, make_user, app, monkeypatch)


def _status(campaign: Campaign) -> str:
    return access.current_step(campaign)


def test_the_library_is_built_from_grades_without_a_and_never_twice(cs):
    c = cs.draft()
    assert library.count(c) == 3  # B, C, D: A left out
    assert {o.grade for o in cs.objects()} == {"B", "C", "D"}
    assert library.build(cs.clerk, c, {"grades": ["A", "B"]}) == 1  # only A is new
    assert library.build(cs.clerk, c, {"industry": "F52"}) == 0  # C's industry: already in
    library.clear(cs.clerk, c)
    assert library.build(cs.clerk, c, {"division": "510108002", "industry": "H62"}) == 1  # D only
    assert cs.objects()[0].source == "主体库筛选" and cs.objects()[0].category == "餐饮业"
    with pytest.raises(Invalid, match="至少设置一个条件"):
        library.build(cs.clerk, c, {})
    with pytest.raises(Forbidden):
        library.build(cs.health_clerk, c, {"grades": ["B"]})


def test_a_plan_is_checked_and_approved_before_publication(cs, org):
    with pytest.raises(Invalid, match="结束日期不能早于开始日期"):
        plans.create_campaign(cs.clerk, cs.form(ends_on="2026-09-01"))
    with pytest.raises(Invalid, match="参与部门"):
        plans.create_campaign(cs.clerk, cs.form(joint="1"))
    empty = plans.create_campaign(cs.clerk, cs.form())
    with pytest.raises(Conflict, match="对象库为空"):
        plans.submit(cs.clerk, empty, empty.lock_version)
    c = cs.draft()
    plans.submit(cs.clerk, c, c.lock_version)
    with pytest.raises(Forbidden):
        plans.decide(cs.clerk, c, c.lock_version, True, "")
    with pytest.raises(Invalid, match="退回须填写理由"):
        plans.decide(cs.leader, c, c.lock_version, False, "")
    plans.decide(cs.leader, c, c.lock_version, False, "请补充依据")
    assert c.status == CampaignStatus.DRAFT
    plans.submit(cs.clerk, c, c.lock_version)
    plans.decide(cs.leader, c, c.lock_version, True, "同意")
    with pytest.raises(Conflict):
        plans.publish(cs.clerk, c, c.lock_version - 1)
    plans.publish(cs.clerk, c, c.lock_version)
    assert c.status == CampaignStatus.PUBLISHED and _status(c) == "enforce"  # not joint


def test_a_numeric_item_with_text_is_refused_and_nothing_written(cs):
    c = cs.assigned()
    obj = cs.objects()[0]
    key = next(f.key for f in c.fields if f.label == "检查餐具数量")
    with pytest.raises(Invalid, match="“检查餐具数量”须填写数字"):
        records.save_record(obj.inspector, obj, obj.lock_version, cs.answers(**{key: "十二"}, lawful="yes"))
    db.session.rollback()
    assert cs.objects()[0].status == S.PENDING and cs.objects()[0].answers == {}
    choice = next(f.key for f in c.fields if f.label == "经营类别")
    with pytest.raises(Invalid, match="请填写反馈项“经营类别”"):
        records.save_record(obj.inspector, obj, obj.lock_version, cs.answers(**{choice: ""}, lawful="yes"))


def test_lawful_objects_go_to_the_report_and_the_campaign_ends(cs):
    c = cs.assigned()
    for obj in cs.objects():
        cs.record(obj, lawful="yes")
    assert {o.status for o in cs.objects()} == {S.LAWFUL}
    assert cs.objects()[0].answers[str(c.fields[0].id)] == "12"
    assert _status(c) == "report"
    reports.inspectors_report(cs.inspector, c, {"lock_version": c.lock_version})
    assert _status(c) == "summary"
    with pytest.raises(Conflict, match="已由执法人员上报"):
        reports.inspectors_report(cs.inspector, c, {"lock_version": c.lock_version})
    reports.summarize(cs.clerk, c, c.lock_version, {"summary_note": "全部符合"})
    s = reports.summary(c)
    assert s.total[:3] == [3, 3, 3] and dict(s.by_result) == {"符合法定条件": 3}
    reports.issue_bulletin(cs.clerk, c, c.lock_version, {"doc_no": "甲市监〔2026〕1号", "title": "通报", "body": "正文"})
    assert c.status == CampaignStatus.NOTIFIED
    assert access.instance_of(c).status == InstanceStatus.COMPLETED  # no 参与部门: 接收通报 skipped
    assert reports.summary_xlsx(c)[:2] == b"PK"
    assert reports.summary_pdf(c, "A3")[:4] == b"%PDF"
    with pytest.raises(Invalid):
        reports.summary_pdf(c, "B5")


def test_ordered_then_corrected_at_the_deadline_not_before(cs):
    c = cs.assigned()
    obj = cs.objects()[0]
    cs.record(obj, lawful="no", order_needed="yes", order_days="5", order_problem="后厨卫生不达标")
    obj = db.session.get(CampaignObject, obj.id)
    assert obj.status == S.ORDERED and obj.order_due == add_workdays(TODAY, 5) and obj.order_no
    assert _status(c) == "corrected"
    assert records.order_pdf(obj)[:4] == b"%PDF"
    assert [o.id for o in overview.reminders(obj.inspector, obj.order_due)] == [obj.id]
    assert overview.reminders(obj.inspector, TODAY) == []  # more than three days ahead
    with pytest.raises(Conflict, match="整改期限.*未到，不能复查"):
        records.recheck(obj.inspector, obj, obj.lock_version, {"corrected": "yes"})
    cs.at(obj.order_due)
    records.recheck(obj.inspector, obj, obj.lock_version, {"corrected": "yes"})
    assert obj.status == S.CORRECTED and _status(c) == "report"


def test_not_corrected_by_the_deadline_is_filed_as_a_case(cs, org):
    c = cs.assigned()
    obj = cs.objects()[0]
    cs.record(obj, lawful="no", order_needed="yes", order_days="3", order_problem="证照不全")
    cs.at(obj.order_due)
    with pytest.raises(Invalid, match="案件编号"):
        records.recheck(obj.inspector, obj, obj.lock_version, {"corrected": "no"})
    records.recheck(obj.inspector, obj, obj.lock_version,
                    {"corrected": "no", "case_no": "甲市监立〔2026〕8号", "case_date": obj.order_due.isoformat()})
    db.session.commit()
    assert obj.status == S.CASE and _status(c) == "report"
    found = dossier.build(cs.clerk, obj.entity)
    assert found.campaigns and found.campaigns[0].case_no == "甲市监立〔2026〕8号"
    titles = [e.title for e in dossier.events(found)]
    assert f"专项整治立案查处：{c.title}" in titles and f"专项整治：{c.title}" in titles
    rows = overview.overview(cs.clerk, "2026")
    assert rows and rows[0].values[0] == 1 and rows[0].values[5] == 1  # one campaign, one case
    assert overview.overview_xlsx(rows)[:2] == b"PK"


def test_not_ordered_goes_straight_to_a_case(cs):
    c = cs.assigned()
    obj = cs.objects()[0]
    cs.record(obj, lawful="no", order_needed="no", case_no="甲立1号", case_date=TODAY.isoformat())
    assert db.session.get(CampaignObject, obj.id).status == S.CASE
    assert _status(c) == "report"


def test_a_deadline_in_a_year_without_its_holiday_table_is_refused(cs):
    cs.assigned()
    db.session.query(CalendarYear).filter(CalendarYear.year == 2026).delete()
    db.session.flush()
    obj = cs.objects()[0]
    with pytest.raises(CalendarNotCovered, match="2026年的节假日安排尚未录入") as caught:
        records.save_record(obj.inspector, obj, obj.lock_version,
                            cs.answers(lawful="no", order_needed="yes", order_days="5", order_problem="x"))
    assert caught.value.status == 422


def test_two_inspectors_saving_the_same_object_the_second_gets_409(cs):
    cs.assigned()
    obj = cs.objects()[0]
    seen = obj.lock_version
    records.save_record(cs.inspector, obj, seen, cs.answers())
    with pytest.raises(Conflict, match="已被他人修改"):
        records.save_record(cs.inspector2, obj, seen, cs.answers(report_text="第二位"))
    assert obj.started_at is not None and obj.status == S.PENDING  # saved, not decided


def test_an_object_removed_after_its_record_started_is_kept_and_marked(cs):
    c = cs.assigned()
    first, second = cs.objects()[:2]
    records.save_record(cs.inspector, first, first.lock_version, cs.answers())
    assert library.remove(cs.clerk, c, first) is False
    assert first.removed_at is not None and "已移出对象库" in first.status_label
    assert library.remove(cs.clerk, c, second) is True
    assert db.session.get(CampaignObject, second.id) is None
    assert library.count(c) == 1


def test_records_wait_for_every_department_to_assign(cs):
    c = cs.published(joint=True)
    assert _status(c) == "joint_enforce"
    with pytest.raises(Forbidden):
        plans.receive(cs.clerk, c, c.lock_version, {"receive_note": "x"})
    party = c.parties[0]
    with pytest.raises(Conflict, match="请先接收"):
        library.allocate(cs.clerk, c, {"target": str(cs.org.health_a.id)})
        db.session.flush()
        assign.assign(cs.health_clerk, c, {"mode": "manual", "inspectors": [str(cs.health_inspector.id)]})
    db.session.rollback()
    plans.receive(cs.health_clerk, c, party.lock_version, {"receive_note": "已部署"})
    assert _status(c) == "assign"
    assign.assign(cs.clerk, c, {"mode": "draw", "inspectors": [str(cs.inspector.id), str(cs.inspector2.id)]})
    obj = cs.objects()[0]
    with pytest.raises(Conflict, match="尚有部门未完成接收或指派"):
        records.save_record(obj.inspector, obj, obj.lock_version, cs.answers())
    assert {o.inspector_id for o in cs.objects()} == {cs.inspector.id, cs.inspector2.id}


def test_a_joint_campaign_reports_through_the_party_and_it_signs_the_bulletin(cs, org):
    c = cs.assigned(joint=True)
    own, theirs = [], []
    for o in cs.objects():
        (theirs if o.department_id == org.health_a.id else own).append(o)
    assert own and theirs and all(o.inspector_id == cs.health_inspector.id for o in theirs)
    for o in cs.objects():
        cs.record(o, lawful="yes")
    party = c.parties[0]
    with pytest.raises(Conflict, match="执法人员尚未上报"):
        reports.party_report(cs.health_clerk, c, party.lock_version, {})
    reports.inspectors_report(cs.health_inspector, c, {"lock_version": party.lock_version})
    reports.inspectors_report(cs.inspector, c, {"lock_version": c.lock_version})
    with pytest.raises(Conflict, match="尚有部门未上报"):
        reports.summarize(cs.clerk, c, c.lock_version, {"summary_note": "x"})
    with pytest.raises(Conflict, match="情况通报尚未下发"):
        reports.bulletin_pdf(c)
    reports.party_report(cs.health_clerk, c, party.lock_version, {"report_note": "本部门完成"})
    assert _status(c) == "summary"
    reports.summarize(cs.clerk, c, c.lock_version, {"summary_note": "联合执法完成"})
    assert [n for n, _ in reports.summary(c).by_department] == sorted([org.bureau_a.name, org.health_a.name])
    reports.issue_bulletin(cs.clerk, c, c.lock_version, {"doc_no": "甲市监〔2026〕2号", "title": "通报", "body": "正文"})
    assert _status(c) == "receive"
    db.session.commit()
    with pytest.raises(Forbidden):
        reports.receive_bulletin(cs.health_clerk, c, "wrong-password", c.bulletin.version)
    db.session.rollback()
    reports.receive_bulletin(cs.health_clerk, c, PASSWORD, c.bulletin.version)
    assert party.received_bulletin_at is not None
    assert access.instance_of(c).status == InstanceStatus.COMPLETED
    html = reports.bulletin_html(c)
    assert "甲市监〔2026〕2号" in html and org.health_a.name in html and "已接收（" in html
    assert reports.bulletin_pdf(c).startswith(b"%PDF")


def test_feedback_items_are_checked_and_reusable(cs):
    c = cs.draft()
    with pytest.raises(Invalid, match="至少填写两个选项"):
        feedback.add_field(cs.clerk, c, {"kind": "choice", "label": "类别", "options": "一"})
    with pytest.raises(Conflict, match="已存在"):
        feedback.add_field(cs.clerk, c, {"kind": "text", "label": "检查餐具数量"})
    second = plans.create_campaign(cs.clerk, cs.form(title="第二次专项整治"))
    assert feedback.copy_fields(cs.clerk, second, c.id) == 2
    assert [f.kind for f in second.fields] == ["number", "choice"]
    assert date(2026, 1, 1) < TODAY


def test_objects_are_imported_through_the_import_framework(cs):
    from services.imports import campaign_objects, framework
    from tests.factories.import_kinds import workbook

    c = cs.draft()
    kind = campaign_objects.KIND
    graded_a = cs.entities[0]  # left out by the grades: imported now
    rows = [[e.name, e.uscc, "", ""] for e in (graded_a, cs.entities[1])]
    batch, _ = framework.upload(kind, cs.clerk, "对象.xlsx", workbook(kind, rows), {"campaign_id": c.id})
    result = framework.confirm(kind, cs.clerk, batch, valid_only=False)
    assert result["新增对象"] == 1 and result["已在对象库"] == 1
    assert library.count(c) == 4 and {o.source for o in cs.objects()} == {"信用风险分类", "导入"}
    with pytest.raises(Exception, match="专项整治不存在"):
        kind.load_context(cs.health_clerk, {"campaign_id": str(c.id)})


def test_the_random_assignment_is_an_inspector_draw_recomputed_from_its_record(cs):
    c = cs.published()
    plans.deploy(cs.clerk, c, c.lock_version, {"deploy_note": "全区部署"})
    both = [str(cs.inspector.id), str(cs.inspector2.id)]
    with pytest.raises(Invalid, match="抽取人数须为1至2之间的整数"):
        assign.assign(cs.clerk, c, {"mode": "draw", "inspectors": both, "draw_count": "3"})
    assign.assign(cs.clerk, c, {"mode": "draw", "inspectors": both, "draw_count": "1"})
    (drawn, check), = assign.draws(cs.clerk, c)
    assert drawn.subject_type == "campaign" and drawn.subject_id == c.id and drawn.population_size == 2
    assert check is True
    (winner,) = inspector_draws.drawn_ids(drawn, "user")
    assert {o.inspector_id for o in cs.objects()} == {winner}
    # a second draw over both: the objects in id order go to the drawn ranks in turn
    assign.assign(cs.clerk, c, {"mode": "draw", "inspectors": both})
    second = inspector_draws.draws_of(inspector_draws.Subject(inspector_draws.CAMPAIGN, c.id))[-1]
    ranks = inspector_draws.drawn_ids(second, "user")
    live = [o for o in cs.objects() if o.removed_at is None]
    assert second.attempt == 2 and [o.inspector_id for o in live] == [ranks[i % 2] for i in range(len(live))]


def test_the_demo_district_shows_a_published_campaign_with_a_pending_order(app, session):
    from cli.demo import load_demo
    from services.campaigns.demo import load_demo_campaign

    load_demo()
    session.commit()
    c = session.execute(db.select(Campaign)).scalar_one()
    assert c.status == CampaignStatus.PUBLISHED and c.department.name == "成华区市场监督管理局"
    objects = session.execute(db.select(CampaignObject).where(CampaignObject.campaign_id == c.id)).scalars().all()
    statuses = [o.status for o in objects]
    assert statuses.count(S.ORDERED) == 1 and statuses.count(S.LAWFUL) >= 1
    assert all(o.inspector_id for o in objects)
    (drawn,) = inspector_draws.draws_of(inspector_draws.Subject(inspector_draws.CAMPAIGN, c.id))
    assert inspector_draws.verify(drawn)
    assert load_demo_campaign() is None  # once
