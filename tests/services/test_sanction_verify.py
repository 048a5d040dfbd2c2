"""联合惩戒分类查询, 单体验证, 在线解除: services/sanctions/verify."""

from __future__ import annotations

import pytest

from infrastructure.errors import Conflict, Forbidden, Invalid
from models import Sanction, db
from services import publication
from services.sanctions import lists, tasks, verify
from tests.factories.sanctions import Setup


@pytest.fixture()
def sx(org, make_department, make_user, session):
    return Setup(org, make_department, make_user)


def _ids(user, **filters):
    return [o.id for o in db.session.execute(verify.query(user, **filters)).scalars()]


def test_classified_query_filters(sx, org):
    lst = sx.listed()
    entity, person = lst.objects
    assert _ids(org.clerk_a) == [person.id, entity.id]
    assert _ids(org.clerk_a, entity_name="餐饮") == [entity.id]
    assert _ids(org.clerk_a, person_name="张") == [person.id]
    assert _ids(org.clerk_a, code=person.code) == [person.id]
    assert _ids(org.clerk_a, nature="失信被执行人") == []
    assert _ids(org.clerk_a, measure="政府采购") == [person.id, entity.id]
    assert _ids(org.clerk_a, implementing_id=org.bureau_b.id) == []
    assert _ids(org.clerk_a, entering_id=org.bureau_a.id) == [person.id, entity.id]
    assert _ids(org.clerk_b) == []  # another district


def test_single_verification_for_all_or_one_department(sx, org):
    lst = sx.listed()
    code = lst.objects[0].code
    assert len(verify.single(org.clerk_a, code)) == 2
    [one] = verify.single(org.clerk_a, code, org.safety_a.id)
    assert one["measure"].content == "限制取得安全生产许可"
    assert verify.single(org.clerk_a, "张三")[0]["object"].is_person
    assert verify.single(org.clerk_b, code) == []
    with pytest.raises(Invalid):
        verify.single(org.clerk_a, " ")


def test_release_is_effective_at_once_and_kept(sx, org):
    lst = sx.listed()
    person = lst.objects[1]
    with pytest.raises(Forbidden):
        verify.release(org.health_clerk, person, "履行完毕")
    with pytest.raises(Invalid, match="解除原因"):
        verify.release(org.clerk_a, person, "")
    verify.release(org.clerk_a, person, "已履行法律文书确定的义务")
    db.session.commit()
    assert person.released_at is not None and person.release_reason == "已履行法律文书确定的义务"
    assert tasks.check(person.code) == [] and verify.single(org.clerk_a, person.code) == []
    assert _ids(org.clerk_a, code=person.code) == [person.id]  # the history stays
    live = db.session.query(Sanction).filter_by(person_id=person.person_id, current=True).one()
    assert live.removed_on is not None
    versions = publication.history(lists.SUBJECT, lst.id)
    assert len(versions) == 2 and publication.payload_of(versions[-1])["对象"][1]["状态"] == "已解除"
    with pytest.raises(Conflict):
        verify.release(org.clerk_a, person, "再次")


def test_statistics_per_department_and_overdue(sx, org, app):
    from datetime import timedelta

    from models import SanctionTask
    from services.sanctions import statistics

    sx.listed()
    task = db.session.query(SanctionTask).filter_by(department_id=org.health_a.id).first()
    tasks.record_result(org.health_clerk, task, "已限制")
    late = db.session.query(SanctionTask).filter_by(department_id=org.safety_a.id).first()
    late.due_on = late.due_on - timedelta(days=60)
    db.session.flush()
    rows = {r.department.name: r for r in statistics.by_department(org.clerk_a)}
    assert rows["甲区市场监督管理局"].provided == 2
    assert (rows["甲区卫生健康局"].issued, rows["甲区卫生健康局"].feedback, rows["甲区卫生健康局"].rate) == (2, 1, "50.0%")
    assert rows["甲区应急管理局"].overdue == 1
    assert statistics.by_department(org.clerk_b) == []
    assert db.session.execute(tasks.department_query(org.safety_clerk, overdue=True)).scalars().all() == [late]


def test_batch_verification(sx, org):
    lst = sx.listed()
    entity, person = lst.objects
    found = verify.batch([entity.code, person.code.lower(), "91510108MA6CX99999", ""])
    assert set(found) == {entity.code, person.code} and len(found[entity.code]) == 2
    assert [m for _, m, _ in verify.batch([entity.code], org.health_a.id)[entity.code]] == ["限制参加政府采购"]
