"""The per-instance path of imports (表7 / 表8 per row, in one transaction) is pinned here:
whatever is done to make it cheaper, it must leave the same history rows, instance and work
item versions, publications and audit rows in one verifiable hash chain."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEvent, ProcessHistory, ProcessInstance, Publication, WorkItem
from persistence import audit
from services import items as svc

ITEM = {
    "domain": "食品安全",
    "objects": "食品生产经营者",
    "category": "key",
    "methods": ["书面检查", "实地核查"],
    "inspecting_body": "甲区市场监督管理局",
    "basis": "《中华人民共和国食品安全法》第一百一十条",
    "levels": ["区县级"],
    "industry_code": "h",
}


def _trace(session, since_audit: int) -> dict:
    instances = session.execute(select(ProcessInstance).order_by(ProcessInstance.id)).scalars().all()
    out: dict = {"instances": [], "audit": []}
    for inst in instances:
        history = session.execute(
            select(ProcessHistory).where(ProcessHistory.instance_id == inst.id).order_by(ProcessHistory.seq)
        ).scalars()
        items = session.execute(
            select(WorkItem).where(WorkItem.instance_id == inst.id).order_by(WorkItem.id)
        ).scalars()
        out["instances"].append((
            inst.process_table, inst.status.value, inst.current_step, inst.version,
            [(h.seq, h.step_key, h.step_name, h.action, h.target_step, h.version, h.actor_name) for h in history],
            [(w.step_key, w.lane, w.status.value, w.outcome, w.version) for w in items],
        ))
    out["publications"] = [
        (p.subject_id, p.version, p.latest, p.action.value)
        for p in session.execute(select(Publication).order_by(Publication.id)).scalars()
    ]
    out["audit"] = [
        (a.action, a.object_type)
        for a in session.execute(select(AuditEvent).where(AuditEvent.id > since_audit).order_by(AuditEvent.id)).scalars()
    ]
    return out


def _t7(actor: str) -> tuple:
    return (7, "completed", "", 5, [
        (1, "add", "发起", "start", "add", 1, actor),
        (2, "add", "新增本部门抽查事项", "next", "publish", 2, actor),
        (3, "publish", "公布事项", "auto", "__end__", 4, "智慧监管平台"),
    ], [("add", "监管部门", "done", "next", 2)])


def _t8(actor: str) -> tuple:
    return (8, "completed", "", 7, [
        (1, "select", "发起", "start", "select", 1, actor),
        (2, "select", "选择拟编辑的抽查事项", "next", "edit", 2, actor),
        (3, "edit", "编辑抽查事项", "next", "publish", 4, actor),
        (4, "publish", "公布事项", "auto", "__end__", 6, "智慧监管平台"),
    ], [("select", "监管部门", "done", "next", 2), ("edit", "监管部门", "done", "next", 2)])


T7_AUDIT = [("create", "check_item"), ("process_start", "process_instance"),
            ("process_step", "process_instance"), ("publish", "check_item")]
T8_AUDIT = [("process_start", "process_instance"), ("process_step", "process_instance"), ("update", "check_item"),
            ("process_step", "process_instance"), ("publish", "check_item")]


def test_many_items_in_one_transaction_leave_the_same_trace(org, session):
    since = session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)).scalar() or 0
    created = [svc.create_item(org.clerk_a, ITEM | {"name": f"事项{i}"}, source="批量导入") for i in range(3)]
    svc.edit_item(org.clerk_a, created[1], ITEM | {"name": "事项1", "objects": "食品经营者"}, version=1)
    session.flush()
    trace = _trace(session, since)
    actor = org.clerk_a.name
    assert trace["instances"] == [_t7(actor), _t7(actor), _t7(actor), _t8(actor)]
    assert trace["audit"] == T7_AUDIT * 3 + T8_AUDIT
    ids = [c.id for c in created]
    assert trace["publications"] == [
        (ids[0], 1, True, "publish"), (ids[1], 1, False, "publish"), (ids[2], 1, True, "publish"),
        (ids[1], 2, True, "publish"),
    ]
    assert [c.version for c in created] == [1, 2, 1]
    checked, problems = audit.verify()
    assert problems == [] and checked >= len(trace["audit"])


def test_only_the_starting_transaction_skips_the_lock(org, session):
    """An instance started in this transaction is completed without locking and reloading it
    (nobody else can see it); once committed, completing it locks and reloads as always, so a
    stale version is still refused."""
    import pytest
    from sqlalchemy import event

    from workflows import engine
    from workflows.errors import StaleSubmission

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    inst = engine.start(7, org.clerk_a, title="新实例")
    assert engine._fresh(inst.id)
    item = inst.work_items[0]
    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        engine.complete(org.clerk_a, item.id, "next", version=item.version)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT") and "process_instance" in s]

    other = engine.start(7, org.clerk_a, title="另一实例")
    session.commit()
    assert not engine._fresh(other.id)
    item = other.work_items[0]
    with pytest.raises(StaleSubmission):
        engine.complete(org.clerk_a, item.id, "next", version=item.version + 1)
    engine.complete(org.clerk_a, item.id, "next", version=item.version)
