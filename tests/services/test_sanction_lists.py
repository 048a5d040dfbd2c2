"""联合奖惩对象名单 and tasks (表29): services/sanctions/lists and tasks."""

from __future__ import annotations

import pytest

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Sanction, db
from models.sanctions import ListStatus, SanctionTask
from models.sanctions import SanctionTaskStatus as TS
from models.workflow import InstanceStatus
from services import publication
from services.sanctions import lists, tasks
from tests.factories.dossier import id_number
from tests.factories.sanctions import Setup


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def test_publishing_generates_object_by_measure_tasks_and_facts(sx, org):
    lst = sx.listed()
    assert lst.status == ListStatus.PUBLISHED
    found = db.session.query(SanctionTask).all()
    assert len(found) == 4  # 2 objects × 2 measures
    assert {t.department_id for t in found} == {org.health_a.id, org.safety_a.id}
    inst = lists.instance_of(lst)
    assert inst.current_step == "receive"
    body = publication.payload_of(publication.history(lists.SUBJECT, lst.id)[0])
    assert [o["对象类型"] for o in body["对象"]] == ["市场主体", "自然人"]
    assert "*" in body["对象"][1]["证件号码"]
    facts = db.session.query(Sanction).all()
    assert len(facts) == 2 and {f.list_kind for f in facts} == {"严重违法失信名单"}
    assert all(o.fact_id for o in lst.objects)


@pytest.mark.parametrize(("over", "message"), [
    ({"code": "91510108MA6CX99999"}, "不在本地区市场主体库"),
    ({"subject": "person", "code": "510108199003074510", "name": "李四"}, "身份证号无效"),
    ({"subject": "person", "code": id_number("19900307451"), "name": ""}, "请填写自然人姓名"),
    ({"entry": "999999"}, "不在已发布的联合奖惩事项清单"),
    ({"valid_until": "2020-01-01"}, "有效期至不能早于认定日期"),
    ({"basis": ""}, "请填写认定依据"),
])
def test_row_errors(sx, org, over, message):
    entry = sx.published()
    lst = lists.create_list(org.clerk_a, "名单")
    with pytest.raises(Invalid, match=message):
        lists.add_objects(org.clerk_a, lst, [{**sx.obj_row(entry, sx.entity(1).uscc), **over}])


def test_batch_errors_name_the_row_and_write_nothing(sx, org):
    entry = sx.published()
    lst = lists.create_list(org.clerk_a, "名单")
    rows = [sx.obj_row(entry, sx.entity(1).uscc), sx.obj_row(entry, "91510108MA6CX99999")]
    with pytest.raises(Invalid, match="第2行"):
        lists.add_objects(org.clerk_a, lst, rows)
    assert lst.objects == []


def test_another_districts_entity_is_unknown(sx, org):
    from tests.factories.risk_pages import entity_b

    entry = sx.published()
    lst = lists.create_list(org.clerk_a, "名单")
    with pytest.raises(Invalid, match="不在本地区"):
        lists.add_objects(org.clerk_a, lst, [sx.obj_row(entry, entity_b(org, 1).uscc)])


def test_departments_work_their_own_tasks_and_the_instance_follows(sx, org):
    lst = sx.listed()
    health = [t.id for t in db.session.query(SanctionTask).filter_by(department_id=org.health_a.id)]
    safety = [t.id for t in db.session.query(SanctionTask).filter_by(department_id=org.safety_a.id)]
    with pytest.raises(Forbidden):
        tasks.receive(org.health_clerk, safety)
    with pytest.raises(Forbidden):
        tasks.receive(org.clerk_b, health)
    tasks.receive(org.health_clerk, health)
    tasks.receive(org.safety_clerk, safety)
    inst = lists.instance_of(lst)
    assert inst.current_step == "execute"
    tasks.execute(org.health_clerk, health)
    tasks.execute(org.safety_clerk, safety)
    for ids, user in ((health, org.health_clerk), (safety, org.safety_clerk)):
        for task_id in ids:
            assert tasks.record_result(user, db.session.get(SanctionTask, task_id), "已限制") is True
    assert inst.status == InstanceStatus.COMPLETED
    task = db.session.get(SanctionTask, health[0])
    assert task.status == TS.RECORDED
    assert tasks.record_result(org.health_clerk, task, "已限制") is False  # the same again: harmless
    with pytest.raises(Conflict):
        tasks.record_result(org.health_clerk, task, "另一个结果")
    entity_results = tasks.results_of(entity_id=lst.objects[0].entity_id)
    assert len(entity_results) == 2 and all(t.result == "已限制" for t in entity_results)


def test_check_lists_the_measures_in_force(sx, org):
    lst = sx.listed()
    code = lst.objects[0].code
    found = tasks.check(code)
    assert {r["measure"] for r in found} == {"限制参加政府采购", "限制取得安全生产许可"}
    assert [r["measure"] for r in tasks.check(code, org.health_a.id)] == ["限制参加政府采购"]
    assert tasks.check("91510108MA6CX99999") == []


def test_only_the_initiating_department_forms_its_list(sx, org):
    entry = sx.published()
    lst = lists.create_list(org.clerk_a, "名单")
    with pytest.raises(Forbidden):
        lists.add_objects(org.health_clerk, lst, [sx.obj_row(entry, sx.entity(1).uscc)])
    with pytest.raises(Invalid, match="还没有对象"):
        lists.form_list(org.clerk_a, lst)
