"""表32 plans and tasks, and the A.6 work ledgers: row checks, signing, reporting driving the
engine, the office's matrix, aggregation, the A.6 import and the exports."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from infrastructure.errors import Conflict, Forbidden, Invalid
from infrastructure.excel import ExcelError
from models import ConferencePlan, Ledger, LedgerRow, PlanUnit, ProcessInstance, WorkItem, db
from models.workflow import InstanceStatus, WorkItemStatus
from services import conference_plans as svc
from services import ledger_export, ledgers
from services.imports import framework
from services.imports.ledgers import KIND as A6_IMPORT
from services.plan_queries import today
from services.receipts import PasswordRejected
from tests.conftest import PASSWORD
from tests.factories.ledgers import Setup, a6_file, a6_row, row


@pytest.fixture()
def setup(org, make_user, session):
    return Setup(org, make_user)


def _instance(plan: ConferencePlan, department_id: int) -> ProcessInstance:
    unit = next(u for u in plan.units if u.department_id == department_id)
    return db.session.get(ProcessInstance, unit.instance_id)


def _reported(setup, plan, liaison, task, rows=1):
    ledger = ledgers.open_ledger(liaison, task)
    for n in range(rows):
        ledgers.add_row(liaison, ledger, row(**{"经营者/名称": f"经营者{n}"}), version=None)
    svc.report_ledger(liaison, ledger, version=None)
    db.session.commit()
    return ledger


# ------------------------------------------------------------------ one row


def test_check_values_accepts_a_good_row():
    fields, errors = ledgers.check_values(row(**{"联系电话": "(028)86123456"}))
    assert errors == []
    assert fields["operator"] == "张三便利店" and fields["guidance_issued"] is True and fields["notice_copied"] is False
    assert fields["fine"] == Decimal("0.5") and fields["phone"] == "028-86123456" and fields["filled_on"] == today()


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"罚款金额（万元）": "-1"}, "罚款金额（万元）", "罚款金额不能为负数"),
        ({"罚款金额（万元）": "abc"}, "罚款金额（万元）", "应为数字"),
        ({"罚款金额（万元）": "1.23456"}, "罚款金额（万元）", "最多保留4位小数"),
        ({"填报日期": (today() + timedelta(days=1)).isoformat()}, "填报日期", "不能晚于今天"),
        ({"填报日期": "2026-02-30"}, "填报日期", ""),
        ({"经营者/名称": "  "}, "经营者/名称", "必填"),
        ({"联系电话": "12345"}, "联系电话", "手机号码"),
        ({"已抄告": "也许"}, "已抄告", "应为以下之一：是、否"),
    ],
)
def test_check_values_refuses_bad_cells(changes, column, message):
    _, errors = ledgers.check_values(row(**changes))
    assert [c for c, _ in errors] == [column]
    assert message in errors[0][1]


# ------------------------------------------------------------------ plan, sign, report


def test_issue_starts_one_instance_per_unit_waiting_at_sign(setup):
    plan = setup.plan()
    assert plan.version == 1 and len(plan.units) == 3
    for unit in plan.units:
        instance = _instance(plan, unit.department_id)
        assert instance.process_table == 32 and instance.current_step == "sign"
        assert instance.subject_type == "conference_plan" and instance.subject_id == plan.id
        steps = [h.step_key for h in instance.history]
        assert steps[:4] == ["plan", "plan", "special", "special_task"]
        items = [i for i in instance.work_items if i.status == WorkItemStatus.OPEN]
        assert [(i.step_key, i.department_id) for i in items] == [("sign", unit.department_id)]


def test_plan_without_special_task_skips_the_special_step(setup):
    plan = setup.plan(special=False)
    instance = _instance(plan, setup.units[0].id)
    assert "special_task" not in [h.step_key for h in instance.history]
    assert instance.current_step == "sign"


def test_issued_plan_cannot_change_and_empty_plan_cannot_issue(setup):
    plan = setup.plan()
    with pytest.raises(Conflict, match="已下发"):
        svc.add_task(setup.office, plan, {"title": "x", "due_date": today().isoformat()}, [setup.units[0].id],
                     lock_version=None)
    empty = svc.create_plan(setup.office, setup.conference, {"title": "空计划", "year": "2026"})
    with pytest.raises(Invalid, match="至少一项任务"):
        svc.issue(setup.office, empty, lock_version=None)


def test_add_task_checks(setup):
    plan = svc.create_plan(setup.office, setup.conference, {"title": "计划", "year": "2026"})
    ids = [setup.units[0].id]
    with pytest.raises(Invalid, match="台账类型"):
        svc.add_task(setup.office, plan, {"title": "专项", "due_date": today().isoformat(), "special": "1"}, ids,
                     lock_version=None)
    with pytest.raises(Invalid, match="不是该联席会议的成员单位"):
        svc.add_task(setup.office, plan, {"title": "t", "due_date": today().isoformat()}, [setup.org.bureau_b.id],
                     lock_version=None)
    with pytest.raises(Invalid, match="早于今天"):
        svc.add_task(setup.office, plan, {"title": "t", "due_date": (today() - timedelta(days=1)).isoformat()}, ids,
                     lock_version=None)
    with pytest.raises(Conflict, match="已被他人修改"):
        svc.add_task(setup.office, plan, {"title": "t", "due_date": today().isoformat()}, ids,
                     lock_version=plan.lock_version + 1)
    with pytest.raises(Forbidden):
        svc.add_task(setup.liaisons[0], plan, {"title": "t", "due_date": today().isoformat()}, ids, lock_version=None)


def test_sign_needs_the_password_and_happens_once(setup):
    plan = setup.plan()
    liaison = setup.liaisons[0]
    with pytest.raises(PasswordRejected):
        svc.sign(liaison, plan, "wrong", version=1)
    db.session.rollback()
    unit = svc.sign(liaison, plan, PASSWORD, version=1)
    db.session.commit()
    assert unit.signed_at is not None and unit.receipt is not None and len(unit.receipt.content_sha256) == 64
    assert _instance(plan, liaison.department_id).current_step == "ledger"
    with pytest.raises(Conflict, match="已签收"):
        svc.sign(liaison, plan, PASSWORD, version=1)
    # the other units still wait at 签收
    assert _instance(plan, setup.units[1].id).current_step == "sign"


def test_sign_refused_for_a_unit_not_concerned(setup, org, make_user):
    plan = setup.plan(units=[setup.units[0].id])
    outsider = setup.liaisons[1]
    with pytest.raises(Forbidden, match="不是该计划涉及的成员单位"):
        svc.sign(outsider, plan, PASSWORD, version=1)
    assert not svc.can_view(outsider, plan)


def test_report_before_signing_or_for_a_task_not_concerned_is_refused(setup):
    plan = setup.plan()
    special, general = plan.tasks
    liaison = setup.liaisons[1]  # concerned by the special task only
    with pytest.raises(Conflict, match="请先签收"):
        ledgers.open_ledger(liaison, special)
    svc.sign(liaison, plan, PASSWORD, version=1)
    with pytest.raises(Forbidden, match="不是该任务涉及的成员单位"):
        ledgers.open_ledger(liaison, general)
    assert db.session.execute(db.select(Ledger)).scalars().all() == []


def test_reporting_drives_the_engine_to_the_end(setup):
    plan = setup.plan()
    special, general = plan.tasks
    liaison = setup.liaisons[0]  # both tasks; the special one requires a ledger
    svc.sign(liaison, plan, PASSWORD, version=1)
    _reported(setup, plan, liaison, general)
    instance = _instance(plan, liaison.department_id)
    assert instance.current_step == "report" and instance.status == InstanceStatus.ACTIVE
    _reported(setup, plan, liaison, special, rows=2)
    db.session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert [h.step_key for h in instance.history][-3:] == ["sign", "ledger", "report"]


def test_report_is_once_and_needs_rows(setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    svc.sign(liaison, plan, PASSWORD, version=1)
    ledger = ledgers.open_ledger(liaison, plan.tasks[0])
    with pytest.raises(Invalid, match="没有任何记录"):
        svc.report_ledger(liaison, ledger, version=None)
    ledgers.add_row(liaison, ledger, row(), version=None)
    with pytest.raises(Conflict, match="已被他人修改"):
        ledgers.add_row(liaison, ledger, row(), version=ledger.lock_version - 1)
    svc.report_ledger(liaison, ledger, version=ledger.lock_version)
    with pytest.raises(Conflict, match="已上报"):
        ledgers.add_row(liaison, ledger, row(), version=None)
    with pytest.raises(Conflict, match="已上报"):
        svc.report_ledger(liaison, ledger, version=None)


def test_a_bad_row_writes_nothing(setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    svc.sign(liaison, plan, PASSWORD, version=1)
    ledger = ledgers.open_ledger(liaison, plan.tasks[0])
    version = ledger.lock_version
    with pytest.raises(Invalid, match="罚款金额（万元）：罚款金额不能为负数"):
        ledgers.add_row(liaison, ledger, row(**{"罚款金额（万元）": "-0.1"}), version=None)
    with pytest.raises(Invalid, match="填报日期：填报日期不能晚于今天"):
        ledgers.add_row(liaison, ledger, row(**{"填报日期": (today() + timedelta(days=3)).isoformat()}), version=None)
    assert db.session.execute(db.select(LedgerRow)).scalars().all() == [] and ledger.lock_version == version


def test_no_ledger_only_when_no_task_requires_one(setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    svc.sign(liaison, plan, PASSWORD, version=1)
    with pytest.raises(Invalid, match="要求上报工作台账"):
        svc.declare_no_ledger(liaison, plan)
    plain = setup.plan(special=False)
    svc.sign(liaison, plain, PASSWORD, version=1)
    svc.declare_no_ledger(liaison, plain)
    instance = _instance(plain, liaison.department_id)
    assert instance.status == InstanceStatus.COMPLETED and instance.history[-1].action == "no"
    with pytest.raises(Conflict):
        svc.declare_no_ledger(liaison, plain)
    with pytest.raises(Conflict, match="无台账"):
        svc.report_ledger(liaison, ledgers.open_ledger(liaison, plain.tasks[0]), version=None)


def test_matrix_states(setup):
    plan = setup.plan()
    special, general = plan.tasks
    a, b, c = setup.liaisons
    svc.sign(a, plan, PASSWORD, version=1)
    svc.sign(b, plan, PASSWORD, version=1)
    _reported(setup, plan, a, special)
    ledger_b = ledgers.open_ledger(b, special)
    ledgers.add_row(b, ledger_b, row(), version=None)
    db.session.commit()
    states = {r.unit.department_id: [c.state for c in r.cells] for r in svc.matrix(plan)}
    assert states[a.department_id] == [svc.REPORTED, svc.SIGNED]
    assert states[b.department_id] == [svc.DRAFTING, ""]
    assert states[c.department_id] == [svc.UNSIGNED, ""]
    late = svc.matrix(plan, on=special.due_date + timedelta(days=1))
    states = {r.unit.department_id: [c.state for c in r.cells] for r in late}
    assert states[a.department_id] == [svc.REPORTED, svc.SIGNED]  # the general task asks for no ledger
    assert states[b.department_id] == [svc.LATE, ""]
    assert states[c.department_id] == [svc.LATE, ""]
    assert svc.counts(late) == {"units": 3, "signed": 2, "late": 2}


def test_aggregate_totals_across_units(setup):
    plan = setup.plan()
    special = plan.tasks[0]
    a, b, c = setup.liaisons
    for liaison in (a, b):
        svc.sign(liaison, plan, PASSWORD, version=1)
    la = ledgers.open_ledger(a, special)
    ledgers.add_row(a, la, row(**{"罚款金额（万元）": "1.5", "已立案查处": "是"}), version=None)
    ledgers.add_row(a, la, row(**{"罚款金额（万元）": "", "已下达行政指导文书": "否"}), version=None)
    svc.report_ledger(a, la, version=None)
    lb = ledgers.open_ledger(b, special)
    ledgers.add_row(b, lb, row(**{"罚款金额（万元）": "0.25"}), version=None)
    svc.report_ledger(b, lb, version=None)
    draft = ledgers.open_ledger(setup.liaisons[0], plan.tasks[1])
    ledgers.add_row(a, draft, row(**{"罚款金额（万元）": "100"}), version=None)  # a draft: not counted
    agg = ledgers.aggregate(plan.tasks, title=plan.title)
    assert [u.department.name for u in agg.units] == [setup.units[0].name, setup.units[1].name]
    assert agg.totals.rows == 3 and agg.totals.fine == Decimal("1.75")
    assert agg.totals.flags["已下达行政指导文书"] == 2 and agg.totals.flags["已立案查处"] == 1
    assert agg.units[0].totals.fine == Decimal("1.5") and agg.units[0].totals.rows == 2


# ------------------------------------------------------------------ A.6 import


def _signed_task(setup):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    svc.sign(liaison, plan, PASSWORD, version=1)
    db.session.commit()
    return liaison, plan.tasks[0]


def test_import_all_rows(setup):
    liaison, task = _signed_task(setup)
    data = a6_file([a6_row("甲"), a6_row("乙", fine=None, phone="13900001111")])
    batch, check = framework.upload(A6_IMPORT, liaison, "台账.xlsx", data, {"task_id": task.id})
    assert check.counts() == {"rows": 2, "valid": 2, "invalid": 0}
    added = framework.confirm(A6_IMPORT, liaison, batch, valid_only=False)["新增"]
    assert added == 2
    ledger = ledgers.ledger_for(task, liaison.department_id)
    assert [r.operator for r in ledger.rows] == ["甲", "乙"]
    assert ledger.rows[0].fine == Decimal("1.25") and ledger.rows[0].phone == "028-86123456"
    assert ledger.rows[0].case_filed is True and ledger.rows[1].fine is None and ledger.rows[0].source == "import"
    with pytest.raises(Conflict):
        framework.confirm(A6_IMPORT, liaison, batch, valid_only=False)["新增"]


def test_import_missing_columns_names_them(setup):
    liaison, task = _signed_task(setup)
    header = [c for c in ledgers.COLUMNS if c not in ("联系电话", "罚款金额（万元）")]
    with pytest.raises(ExcelError) as caught:
        framework.upload(A6_IMPORT, liaison, "台账.xlsx", a6_file([["甲"] + [""] * 10], header=header), {"task_id": task.id})
    assert "缺少列 联系电话" in str(caught.value) and "缺少列 罚款金额（万元）" in str(caught.value)


def test_import_bad_rows_all_or_valid_only(setup):
    liaison, task = _signed_task(setup)
    future = today() + timedelta(days=2)
    data = a6_file([a6_row("好"), a6_row("负数", fine=-2), a6_row("未来", filled=future)])
    batch, check = framework.upload(A6_IMPORT, liaison, "台账.xlsx", data, {"task_id": task.id})
    assert check.counts() == {"rows": 3, "valid": 1, "invalid": 2}
    messages = check.errors.messages()
    assert "第3行 罚款金额（万元）：罚款金额不能为负数" in messages
    assert any(m.startswith("第4行 填报日期：填报日期不能晚于今天") for m in messages)
    with pytest.raises(Invalid, match="2行有问题"):
        framework.confirm(A6_IMPORT, liaison, batch, valid_only=False)["新增"]
    assert db.session.execute(db.select(LedgerRow)).scalars().all() == []
    annotated = load_workbook(io.BytesIO(framework.annotated_copy(A6_IMPORT, liaison, batch))).active
    assert annotated.cell(row=1, column=14).value == "错误说明" and "不能为负数" in annotated.cell(row=3, column=14).value
    assert framework.confirm(A6_IMPORT, liaison, batch, valid_only=True)["新增"] == 1


def test_import_refused_for_a_reported_ledger_or_another_unit(setup):
    liaison, task = _signed_task(setup)
    batch, _ = framework.upload(A6_IMPORT, liaison, "台账.xlsx", a6_file([a6_row()]), {"task_id": task.id})
    assert not A6_IMPORT.can_use(setup.liaisons[0], batch)
    with pytest.raises(Forbidden):
        framework.confirm(A6_IMPORT, setup.liaisons[0], batch, valid_only=True)["新增"]
    framework.confirm(A6_IMPORT, liaison, batch, valid_only=True)["新增"]
    svc.report_ledger(liaison, ledgers.ledger_for(task, liaison.department_id), version=None)
    with pytest.raises(Conflict, match="已上报"):
        framework.upload(A6_IMPORT, liaison, "台账.xlsx", a6_file([a6_row()]), {"task_id": task.id})


# ------------------------------------------------------------------ exports


def _aggregate(setup):
    plan = setup.plan()
    a, b = setup.liaisons[:2]
    for liaison, name in ((a, "=HYPERLINK(\"x\")"), (b, "王五超市")):
        svc.sign(liaison, plan, PASSWORD, version=1)
        ledger = ledgers.open_ledger(liaison, plan.tasks[0])
        ledgers.add_row(liaison, ledger, row(**{"经营者/名称": name, "联系电话": "02886123456",
                                               "罚款金额（万元）": "2"}), version=None)
        svc.report_ledger(liaison, ledger, version=None)
    db.session.commit()
    return plan, ledgers.aggregate([plan.tasks[0]], title=plan.title)


def test_xlsx_export(setup):
    plan, agg = _aggregate(setup)
    ws = load_workbook(io.BytesIO(ledger_export.xlsx(agg, "小标题"))).active
    header = [c.value for c in ws[2]]
    assert header == ["序号", "填报单位", *ledgers.COLUMNS]
    first = [c.value for c in ws[3]]
    assert first[2] == "'=HYPERLINK(\"x\")"  # escaped, never a formula
    assert ws.cell(row=3, column=6).value == "028-86123456" and ws.cell(row=3, column=6).number_format == "@"
    last = [c.value for c in ws[ws.max_row]]
    assert last[2] == "合计（2户）" and last[13] == 4 and last[7] == 2  # fines summed, 已下达 counted
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A3 and ws.page_setup.orientation == "landscape"
    assert ws.cell(row=ws.max_row, column=3).font.bold


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_export_a3_header_totals_and_embedded_font(setup, tmp_path):
    plan, agg = _aggregate(setup)
    data = ledger_export.pdf_bytes(agg, plan.title)
    path = tmp_path / "ledger.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "联席会议工作台账汇总表" in text and "王五超市" in text and "合计（2户）" in text
    assert "第1页共1页" in "".join(text.split())
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "1190.55 x 841.89" in info or "1191 x 842" in info  # A3 landscape, in points
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in fonts.splitlines()[2:] if ln.strip()]
    assert lines and all(" yes " in ln for ln in lines)  # every font embedded
    # the shipped font itself (infrastructure/pdf.py loads it through the static fetcher), or 仿宋
    assert any("ZHJG-Noto-Serif-CJK-SC" in ln or "FangSong" in ln for ln in lines)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_ends_with_the_preparer_reviewer_date_block(setup, tmp_path):
    plan, agg = _aggregate(setup)
    path = tmp_path / "signoff.pdf"
    path.write_bytes(ledger_export.pdf_bytes(agg, plan.title, preparer="郑红"))
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    last = "".join([p for p in pages if p.strip()][-1].split())
    assert "填报人：郑红" in last and "审核人：" in last and "日期：" in last
    assert last.index("合计（2户）") < last.index("填报人：")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_repeats_the_header_on_every_page(setup, tmp_path):
    plan = setup.plan()
    liaison = setup.liaisons[1]
    svc.sign(liaison, plan, PASSWORD, version=1)
    ledger = ledgers.open_ledger(liaison, plan.tasks[0])
    fields, _ = ledgers.check_values(row())
    ledgers.add_rows(ledger, [{**fields, "operator": f"经营者{n:03d}"} for n in range(120)], source="import")
    svc.report_ledger(liaison, ledger, version=None)
    data = ledger_export.pdf_bytes(ledgers.aggregate([plan.tasks[0]], title=plan.title), plan.title)
    path = tmp_path / "long.pdf"
    path.write_bytes(data)
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert "经营者/名称" in page and f"第{n}页共{len(pages)}页" in "".join(page.split())
    assert "合计（120户）" in pages[-1]


def test_plan_unit_model_keeps_one_row_per_unit(setup):
    plan = setup.plan()
    assert db.session.execute(
        db.select(db.func.count()).select_from(PlanUnit).where(PlanUnit.plan_id == plan.id)
    ).scalar_one() == 3
    assert db.session.execute(
        db.select(db.func.count()).select_from(WorkItem).where(WorkItem.process_table == 32,
                                                              WorkItem.status == WorkItemStatus.OPEN)
    ).scalar_one() == 3


def test_remind_the_units_that_have_not_signed_or_reported(setup):
    from models import Message

    plan = setup.plan()
    a, b, c = setup.liaisons
    svc.sign(a, plan, PASSWORD, version=1)
    _reported(setup, plan, a, plan.tasks[0])
    svc.sign(b, plan, PASSWORD, version=1)
    with pytest.raises(Forbidden):
        svc.remind(a, plan)
    assert svc.remind(setup.office, plan) == 2  # b has not reported, c has not signed
    messages = db.session.execute(db.select(Message).order_by(Message.id)).scalars().all()
    assert [m.user_id for m in messages] == [b.id, c.id]
    assert "上报“无证无照经营专项排查”无证无照线索台账" in messages[0].body
    assert "签收计划及任务" in messages[1].body and messages[1].link == f"/conference-plans/{plan.id}"
    assert svc.remind(setup.office, plan, [c.department_id]) == 1
    for liaison in (b, c):
        if liaison is c:
            svc.sign(c, plan, PASSWORD, version=1)
        _reported(setup, plan, liaison, plan.tasks[0])
    with pytest.raises(Invalid, match="没有需要提醒"):
        svc.remind(setup.office, plan)
