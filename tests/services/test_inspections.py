"""开展双随机检查 → 录入检查结果 → 审核 → 公示检查结果 → 完成抽查 through services/inspections.py."""

from __future__ import annotations

import json

import pytest

from infrastructure.errors import Conflict, Forbidden, ServiceError
from models import (
    AuditEvent,
    InspectionRecord,
    InspectionResultVersion,
    Publication,
    RecordStatus,
    ResultCategory,
    db,
)
from models.plans import TaskStatus
from models.workflow import WorkItemStatus
from services import inspection_prep as prep
from services import inspection_publication, inspection_review
from services import inspections as svc
from tests.factories.inspections import (
    HEALTH_NAME,
    LEADER_NAME,
    MEMBER_NAME,
    complete,
    dispatched,
    open_all,
    record_form,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _to_record_step(ready):
    inspection_review.finish_inspection(ready.leader, ready.task)
    db.session.commit()
    assert ready.instance.current_step == "record"


def test_single_task_from_inspection_to_finish(org, session):
    ready = dispatched(org)
    task = ready.task
    records = open_all(ready)
    assert len(records) == 2 and task.status == TaskStatus.INSPECTING
    first = records[0]
    assert first.record_no.startswith("2026-JC-") and first.subject_name.startswith("甲区测试")
    assert first.uscc and first.district
    # opening again returns the same record
    assert svc.open_record(ready.member, task, first.task_object_id, first.department_id).id == first.id
    for r in records:
        complete(ready, r)
    with pytest.raises(Conflict) as exc:
        inspection_review.submit(ready.member, first, first.lock_version)
    assert "检查完成" in exc.value.message
    _to_record_step(ready)
    # 录入检查结果 reaches every member in person
    items = [i for i in ready.instance.work_items if i.step_key == "record" and i.status == WorkItemStatus.OPEN]
    assert {i.user_id for i in items} == {ready.leader.id, ready.member.id}
    inspection_review.submit(ready.member, records[0], records[0].lock_version)
    assert ready.instance.current_step == "record"
    inspection_review.submit(ready.member, records[1], records[1].lock_version)
    db.session.commit()
    assert ready.instance.current_step == "review_results"
    review_items = [i for i in ready.instance.work_items if i.step_key == "review_results"
                    and i.status == WorkItemStatus.OPEN]
    assert [i.user_id for i in review_items] == [ready.leader.id]
    # only the leader reviews
    with pytest.raises(Forbidden):
        inspection_review.review(ready.member, records[0], records[0].lock_version, approve=True)
    inspection_review.review(ready.leader, records[0], records[0].lock_version, approve=True)
    assert ready.instance.current_step == "review_results"
    inspection_review.review(ready.leader, records[1], records[1].lock_version, approve=True)
    db.session.commit()
    # 公示检查结果 ran on its own: version 1 of each, with the feed's rows
    assert ready.instance.current_step == "finish"
    assert task.status == TaskStatus.PUBLISHED
    for r in records:
        assert r.status == RecordStatus.PUBLISHED and r.version == 1
        v = inspection_publication.latest_version(r)
        assert v.version == 1 and v.digest == inspection_publication.digest_of(v.snapshot)
        snap = json.loads(v.snapshot)
        assert snap["记录编号"] == r.record_no and snap["检查结果"] == "未发现问题"
        assert not {"信用风险分类", "联系电话", "法定代表人", "身份证号"} & set(snap)
        assert db.session.query(Publication).filter_by(subject_type=inspection_publication.SUBJECT, subject_id=r.id).count() == 1
    # after publication nothing changes
    with pytest.raises(Conflict) as exc:
        svc.save_record(ready.leader, records[0], record_form(), records[0].lock_version)
    assert exc.value.message == svc.AFTER_PUBLICATION
    with pytest.raises(Conflict):
        svc.add_evidence(ready.leader, records[0], records[0].lock_version, filename="a.png", data=PNG)
    # 完成抽查 by the leader
    with pytest.raises(Forbidden):
        inspection_review.finish(ready.member, task)
    inspection_review.finish(ready.leader, task)
    db.session.commit()
    assert task.status == TaskStatus.DONE and ready.instance.status.value == "completed"


def test_joint_task_needs_a_record_per_department(org, session):
    ready = dispatched(org, joint=True, objects=1)
    task = ready.task
    assert {d.name for d in svc.record_departments(task)} == {"甲区市场监督管理局", "甲区卫生健康局"}
    obj = svc.task_objects(task)[0]
    own = svc.open_record(ready.leader, task, obj.id, task.department_id)
    # a member of the health bureau cannot open the market bureau's record, and vice versa
    with pytest.raises(Forbidden):
        svc.open_record(ready.member, task, obj.id, org.health_a.id)
    complete(ready, own)
    # 检查完成 is refused while the health bureau's record is missing
    assert len(svc.missing_records(task)) == 1
    with pytest.raises(svc.Unprocessable) as exc:
        inspection_review.finish_inspection(ready.leader, task)
    assert "甲区卫生健康局" in exc.value.message and "未填写" in exc.value.message
    health = svc.open_record(ready.health, task, obj.id, org.health_a.id)
    assert health.inspector_names == HEALTH_NAME  # the department's own inspectors
    complete(ready, health, editor=ready.health)
    _to_record_step(ready)
    inspection_review.submit(ready.leader, own, own.lock_version)
    assert ready.instance.current_step == "record"  # the health bureau's record is not submitted
    inspection_review.submit(ready.health, health, health.lock_version)
    db.session.commit()
    assert ready.instance.current_step == "review_results"


def test_return_goes_back_to_recording(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    complete(ready, record)
    _to_record_step(ready)
    inspection_review.submit(ready.member, record, record.lock_version)
    with pytest.raises(ServiceError) as exc:
        inspection_review.review(ready.leader, record, record.lock_version, approve=False, reason="")
    assert "理由" in exc.value.message
    inspection_review.review(ready.leader, record, record.lock_version, approve=False, reason="检查结果与记录情况不一致")
    db.session.commit()
    assert record.status == RecordStatus.RETURNED and ready.instance.current_step == "record"
    hist = [h for h in ready.instance.history if h.step_key == "review_results"]
    assert "检查结果与记录情况不一致" in hist[-1].comment
    # the member fixes it: the confirmations are reset by the change
    svc.save_record(ready.member, record, record_form(result="corrected", findings="灭火器过期，已当场更换"),
                    record.lock_version)
    assert record.confirmations == []
    with pytest.raises(ServiceError) as exc:
        inspection_review.submit(ready.member, record, record.lock_version)
    assert "未确认" in exc.value.message
    for m in svc.confirmers(ready.task):
        inspection_review.confirm(m.inspector.user, record, record.lock_version)
    inspection_review.submit(ready.member, record, record.lock_version)
    inspection_review.review(ready.leader, record, record.lock_version, approve=True)
    db.session.commit()
    assert ready.instance.current_step == "finish"
    assert json.loads(inspection_publication.latest_version(record).snapshot)["检查结果"] == "发现问题已当场改正"


def test_stale_form_and_concurrent_saves(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    seen = record.lock_version
    svc.save_record(ready.leader, record, record_form(findings="组长填写"), seen)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        svc.save_record(ready.member, record, record_form(findings="组员同时填写"), seen)
    assert "未保存" in exc.value.message
    db.session.rollback()
    assert db.session.get(InspectionRecord, record.id).findings == "组长填写"


def test_form_rules(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    bad = [
        (record_form(method="电话检查"), "检查方式"),
        (record_form(result="nonsense"), "检查结果"),
        (record_form(result="other", result_note=""), "其他情况"),
        (record_form(inspected_at="昨天"), "检查时间"),
        (record_form(line_item=["", "x"], line_content=["内容", ""], line_outcome=["符合", ""]), "第1行"),
        (record_form(subject_name=""), "主体名称"),
    ]
    for form, needle in bad:
        with pytest.raises(ServiceError) as exc:
            svc.save_record(ready.leader, record, form, record.lock_version)
        assert needle in exc.value.message
        db.session.rollback()
    # refusal needs a note and a witness or a recording
    with pytest.raises(ServiceError):
        svc.refuse(ready.leader, record, record.lock_version, note="拒绝签字")
    svc.refuse(ready.leader, record, record.lock_version, note="负责人拒绝签字", witness="社区网格员孙𬌗")
    assert record.refused and record.signed_at is None
    svc.sign(ready.leader, record, record.lock_version, signer_name="店长")
    assert not record.refused and record.signed_at is not None
    # incomplete record cannot be confirmed
    with pytest.raises(ServiceError) as exc:
        inspection_review.confirm(ready.member, record, record.lock_version)
    assert "不能确认" in exc.value.message


def test_evidence_checks(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    item = svc.add_evidence(ready.member, record, record.lock_version, filename="现场照片.jpg", data=JPEG, note="门头")
    assert item.content_type == "image/jpeg" and len(item.sha256) == 64
    with pytest.raises(ServiceError) as exc:
        svc.add_evidence(ready.member, record, record.lock_version, filename="照片.png", data=JPEG)
    assert exc.value.status == 422 and ".png" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        svc.add_evidence(ready.member, record, record.lock_version, filename="脚本.exe", data=b"MZ")
    assert exc.value.status == 422
    with pytest.raises(ServiceError) as exc:
        svc.add_evidence(ready.member, record, record.lock_version, filename="大.png",
                         data=PNG + b"\x00" * svc.MAX_EVIDENCE_BYTES)
    assert exc.value.status == 413
    svc.remove_evidence(ready.member, record, item, record.lock_version)
    assert record.evidence == []
    actions = {a for (a,) in db.session.query(AuditEvent.action).filter(AuditEvent.object_id == str(record.id))}
    assert {"evidence_add", "evidence_remove"} <= actions


def test_confirmations_reset_on_change(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    complete(ready, record)
    assert len(record.confirmations) == 2
    svc.add_evidence(ready.member, record, record.lock_version, filename="p.png", data=PNG)
    assert record.confirmations == [] and len(inspection_review.unconfirmed(record)) == 2
    inspection_review.confirm(ready.member, record, record.lock_version)
    with pytest.raises(Conflict):
        inspection_review.confirm(ready.member, record, record.lock_version)


def test_advance_notice_rule_table(org, session):
    ready = dispatched(org, objects=1)
    obj = svc.task_objects(ready.task)[0]
    # a catering entity (H6210) of a food-safety item: no advance notice
    assert prep.no_notice_reason(ready.task, obj) == "餐饮服务"
    with pytest.raises(Conflict) as exc:
        prep.record_notice(ready.leader, ready.task, obj, method="phone", notified_at="2026-05-08 10:00",
                           recipient="店长", may_act=True)
    assert "不予提前告知" in exc.value.message
    # a software company inspected for an advertising item may be told
    ready.task.item.name, ready.task.item.domain, ready.task.item.objects = "广告发布监督检查", "广告", "广告经营者"
    info = prep.object_info(obj)
    info.entity.industry_code = "I6510"
    db.session.flush()
    assert prep.no_notice_reason(ready.task, obj) is None
    notice = prep.record_notice(ready.leader, ready.task, obj, method="written", notified_at="2026-05-08 10:00",
                                recipient="张经理", content="5月10日上午检查，请备好资料", may_act=True)
    assert notice.method.label == "书面"
    with pytest.raises(ServiceError):
        prep.record_notice(ready.leader, ready.task, obj, method="email", notified_at="2026-05-08 10:00",
                           recipient="张经理", may_act=True)
    with pytest.raises(Forbidden):
        prep.record_notice(org.clerk_a, ready.task, obj, method="fax", notified_at="2026-05-08", recipient="x",
                           may_act=False)
    d = prep.dossier(ready.task, obj)
    assert ("许可信息", "无") in d.rows and d.notices == [notice]


def test_pre_visit_dossier_reads_the_collected_facts(org, session):
    """许可、备案、处罚 come from the fact tables (current versions); a 备案 is a permit of a 备案 kind."""
    from datetime import date
    from decimal import Decimal

    from models import Penalty, Permit
    from tests.factories.dossier import fact

    ready = dispatched(org, objects=1)
    obj = svc.task_objects(ready.task)[0]
    entity_id = prep.object_info(obj).entity.id
    old = fact(Permit, org.health_a, entity_id=entity_id, permit_no="JY-OLD", name="旧许可", current=False)
    fact(Permit, org.health_a, entity_id=entity_id, permit_no="JY-0001", name="食品经营许可证", kind="食品经营许可",
         valid_to=date(2030, 2, 28), replaces_id=old.id)
    fact(Permit, org.bureau_a, entity_id=entity_id, permit_no="BA-0002", name="预包装食品销售备案",
         kind="仅销售预包装食品备案")
    fact(Penalty, org.bureau_a, entity_id=entity_id, decision_no="甲市监罚〔2025〕3号", decided_on=date(2025, 8, 12),
         violation="销售过期食品", kind="罚款", amount=Decimal("5000.00"))
    rows = dict(prep.dossier(ready.task, obj).rows)
    assert rows["许可信息"] == "食品经营许可证（JY-0001，食品经营许可，有效期至2030-02-28，有效）"
    assert rows["备案信息"] == "预包装食品销售备案（BA-0002，仅销售预包装食品备案，有效）"
    assert rows["行政处罚信息"] == "甲市监罚〔2025〕3号：销售过期食品（2025-08-12，罚款，罚没5,000元）"


def test_versions_are_immutable_and_corrections_add_one(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    complete(ready, record)
    _to_record_step(ready)
    inspection_review.submit(ready.member, record, record.lock_version)
    inspection_review.review(ready.leader, record, record.lock_version, approve=True)
    db.session.commit()
    second = inspection_publication.publish_version(record, user=org.leader_a, corrected_from=1, reason="检查日期录入错误")
    db.session.commit()
    assert second.version == 2 and inspection_publication.latest_version(record).id == second.id
    assert json.loads(second.snapshot)["更正"].startswith("更正第1版")
    dup = InspectionResultVersion(record_id=record.id, version=2, snapshot="{}", digest="0" * 64)
    db.session.add(dup)
    with pytest.raises(Exception):  # noqa: B017 - UNIQUE(record_id, version)
        db.session.flush()
    db.session.rollback()


def test_rare_characters_round_trip(org, session):
    ready = dispatched(org, objects=1)
    (record,) = open_all(ready)
    assert LEADER_NAME in record.inspector_names and MEMBER_NAME in record.inspector_names
    svc.save_record(ready.leader, record, record_form(subject_name="成都堃喆昇𬌗餐饮店"), record.lock_version)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(InspectionRecord, record.id).subject_name == "成都堃喆昇𬌗餐饮店"
    assert ResultCategory("no_problem").label == "未发现问题"
