"""联合奖惩事项清单 (表30 新增 → 发布, 表31 选择 → 停用 → 修改/删除 → 发布): services/sanctions/catalogue."""

from __future__ import annotations

import pytest

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Person, ProcessInstance, SanctionTask, db
from models.sanctions import EntryStatus, SanctionList, SanctionObject
from models.workflow import InstanceStatus
from services import publication
from services.sanctions import catalogue
from tests.factories.sanctions import Setup


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def test_add_then_publish_makes_the_entry_effective(sx):
    entry = sx.add()
    assert entry.status == EntryStatus.DRAFT and entry.version == 0
    assert [m.department_id for m in entry.measures] == [sx.org.health_a.id, sx.org.safety_a.id]
    inst = db.session.get(ProcessInstance, entry.instance_id)
    assert inst.process_table == 30 and inst.current_step == "publish"
    catalogue.publish(sx.lead, entry)
    db.session.commit()
    assert entry.status == EntryStatus.PUBLISHED and entry.version == 1 and entry.instance_id is None
    assert inst.status == InstanceStatus.COMPLETED
    [pub] = catalogue.versions(entry)
    body = publication.payload_of(pub)
    assert body["失信行为"] == "严重违法失信企业" and body["措施清单"][0]["措施"] == "限制参加政府采购"


@pytest.mark.parametrize(("over", "message"), [
    ({"ends_on": "2025-12-31"}, "期限结束日期不能早于开始日期"),
    ({"behaviour": ""}, "请填写违法/违规名称"),
    ({"nature": ""}, "请选择失信性质"),
    ({"kind": "x"}, "请选择奖惩类别"),
    ({"starts_on": "明天"}, "期限开始日期不是有效的日期"),
])
def test_form_refusals(sx, over, message):
    with pytest.raises(Invalid, match=message):
        sx.fields(**over)


def test_a_measure_needs_a_department_of_the_area(sx):
    with pytest.raises(Invalid, match="本地区的实施部门"):
        catalogue.read_form(sx.lead, sx.form(), [str(sx.org.bureau_b.id)], ["限制"])
    with pytest.raises(Invalid, match="至少填写一项措施"):
        catalogue.read_form(sx.lead, sx.form(), [""], [""])


def test_a_reward_needs_no_nature(sx):
    fields = sx.fields(kind="reward", nature="严重违法失信名单")
    assert fields["nature"] == ""


def test_only_the_leading_department_adds(sx):
    with pytest.raises(Forbidden):
        catalogue.create_entry(sx.org.clerk_a, sx.fields())
    entry = sx.add()
    with pytest.raises(Forbidden):
        catalogue.publish(sx.lead_b, entry)
    catalogue.publish(sx.lead2, entry)  # a colleague of the same 牵头部门
    assert entry.version == 1


def test_maintenance_edit_keeps_every_version(sx):
    entry = sx.published()
    with pytest.raises(Conflict):
        catalogue.suspend(sx.lead, entry)  # 选择 first
    catalogue.select_for_maintenance(sx.lead, entry)
    assert db.session.get(ProcessInstance, entry.instance_id).process_table == 31
    catalogue.suspend(sx.lead, entry)
    assert entry.status == EntryStatus.SUSPENDED
    assert db.session.execute(publication.current(catalogue.SUBJECT)).scalars().all() == []
    catalogue.edit(sx.lead, entry, entry.lock_version, sx.fields(behaviour="严重违法失信企业（修订）"))
    assert entry.status == EntryStatus.SUSPENDED
    catalogue.publish(sx.lead, entry)
    db.session.commit()
    assert entry.status == EntryStatus.PUBLISHED and entry.version == 2
    history = catalogue.versions(entry)
    assert [p.action.value for p in history] == ["publish", "withdraw", "publish"]
    assert publication.payload_of(history[0])["失信行为"] == "严重违法失信企业"
    assert publication.payload_of(history[2])["失信行为"] == "严重违法失信企业（修订）"


def test_stale_edit_refused(sx):
    entry = sx.published()
    catalogue.select_for_maintenance(sx.lead, entry)
    catalogue.suspend(sx.lead, entry)
    with pytest.raises(Conflict, match="已被他人修改"):
        catalogue.edit(sx.lead, entry, entry.lock_version - 1, sx.fields())


def test_delete_then_publish(sx):
    entry = sx.published()
    catalogue.select_for_maintenance(sx.lead, entry)
    catalogue.suspend(sx.lead, entry)
    catalogue.delete(sx.lead, entry)
    catalogue.publish(sx.lead, entry)
    db.session.commit()
    assert entry.status == EntryStatus.DELETED
    assert publication.payload_of(catalogue.versions(entry)[-1])["状态"] == "已删除"
    assert entry not in db.session.execute(catalogue.list_query(sx.lead)).scalars().all()


def test_delete_refused_while_open_tasks_use_the_entry(sx, org):
    entry = sx.published()
    person = Person(name="张三", id_number="110101199003074514")
    lst = SanctionList(department_id=org.bureau_a.id, title="名单")
    db.session.add_all([person, lst])
    db.session.flush()
    obj = SanctionObject(sanction_list=lst, entry_id=entry.id, name="张三", code=person.id_number,
                         person_id=person.id, decided_on=entry.starts_on)
    db.session.add(obj)
    db.session.flush()
    db.session.add(SanctionTask(object_id=obj.id, measure_id=entry.measures[0].id, department_id=org.health_a.id))
    db.session.flush()
    catalogue.select_for_maintenance(sx.lead, entry)
    catalogue.suspend(sx.lead, entry)
    with pytest.raises(Conflict, match="未办结的联合奖惩任务"):
        catalogue.delete(sx.lead, entry)
    assert entry.status == EntryStatus.SUSPENDED


def test_drafts_are_the_departments_own_and_published_entries_the_areas(sx, org):
    entry = sx.add()
    assert not catalogue.can_view(org.clerk_a, entry)
    assert catalogue.can_view(sx.ndrc_clerk, entry)
    catalogue.publish(sx.lead, entry)
    assert catalogue.can_view(org.clerk_a, entry)
    assert not catalogue.can_view(org.clerk_b, entry)
    assert entry in db.session.execute(catalogue.list_query(org.clerk_a)).scalars().all()
    assert entry not in db.session.execute(catalogue.list_query(org.clerk_b)).scalars().all()
    by_dept = catalogue.list_query(org.clerk_a, department_id=org.safety_a.id)
    assert entry in db.session.execute(by_dept).scalars().all()
    assert db.session.execute(catalogue.list_query(org.clerk_a, agency="卫生")).scalars().all() == []
