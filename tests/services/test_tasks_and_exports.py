"""抽查任务 (seed 003 制定抽查任务) and the A.2.1 / D.1 exports (Excel and landscape PDF)."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from infrastructure.errors import Forbidden
from models import PlanKind, TaskStatus, db
from services import plan_elements, plan_export, plan_queries, plans, tasks
from tests.factories.plans import PDF, YEAR, elements, joint_item, single_item


def _published_single(org, cap="10", ratio="5"):
    item = single_item(org.bureau_a, "餐饮服务监督检查", cap=cap)
    plan = plans.create_single(org.clerk_a, {"name": "单部门计划", "year": YEAR, "plan_type": "annual"},
                               plan_elements.Upload("计划.pdf", PDF))
    plans.fix_elements(org.clerk_a, plan, plan.lock_version, elements(name="单部门计划", ratio=ratio), [item.id])
    return plan, item


def _published_joint(org, name="=联合计划"):
    item = joint_item(org.bureau_a, org.health_a, org.safety_a, name="餐饮服务联合检查")
    plan = plans.create_joint(org.clerk_a, elements(name=name), [item.id])
    plans.consult(org.clerk_a, plan, plan.lock_version)
    plans.feedback(org.health_clerk, plan, plan.lock_version, True)
    plans.feedback(org.safety_clerk, plan, plan.lock_version, True)
    plans.form(org.clerk_a, plan, plan.lock_version, elements(name=name))
    plans.submit(org.clerk_a, plan, plan.lock_version)
    plans.review(org.office_user, plan, plan.lock_version, True)
    return plan, item


def _task(item, **over):
    values = {"name": "第二季度抽查", "item_id": str(item.id), "methods": ["实地核查"], "ratio": "5",
              "start_date": f"{YEAR}-04-01", "end_date": f"{YEAR}-06-30", "inspectors": {}}
    values.update(over)
    return values


def test_create_task_with_departments(session, org):
    plan, item = _published_joint(org)
    task = tasks.create_task(org.clerk_a, plan, _task(item, inspectors={
        str(org.bureau_a.id): "2", str(org.health_a.id): "1",
    }))
    assert task.status == TaskStatus.NEW and task.department_id == org.bureau_a.id
    assert [(d.department_id, d.role, d.inspectors) for d in task.departments] == [
        (org.bureau_a.id, "initiator", 2), (org.health_a.id, "participant", 1)]
    # a plan splits into several tasks
    tasks.create_task(org.clerk_a, plan, _task(item, name="第三季度抽查", start_date=f"{YEAR}-07-01",
                                               end_date=f"{YEAR}-09-30", inspectors={str(org.bureau_a.id): 2}))
    assert len(tasks.tasks_of_plan(org.clerk_a, plan)) == 2
    visible = db.session.execute(tasks.tasks_for_user(org.health_clerk)).scalars().all()
    assert [t.id for t in visible] == [task.id]
    assert db.session.execute(tasks.tasks_for_user(org.clerk_b)).scalars().all() == []
    assert len(db.session.execute(tasks.tasks_for_user(org.office_user)).scalars().all()) == 2


@pytest.mark.parametrize(("over", "message"), [
    ({"name": ""}, "请填写任务名称"),
    ({"item_id": "999999"}, "请选择本计划中的抽查事项"),
    ({"ratio": "120"}, "抽查比例应在0–100"),
    ({"ratio": "6"}, "不能超过抽查计划的抽查比例5%"),
    ({"start_date": f"{YEAR}-03-01"}, "执行时间应在抽查计划的起止时间"),
    ({"end_date": f"{YEAR}-03-31"}, "起始时间不能晚于截止时间"),
    ({"inspectors": {}}, "发起部门至少抽取1名执法人员"),
    ({"inspectors": {"OWN": 1}}, "参与部门选择有误"),
    ({"inspectors": {"OWN_ONLY": 1}}, "抽取人数合计不能少于2人"),
    ({"inspectors": {"STRANGER": 1, "OWN_ONLY": 1}}, "只能是本计划的发起部门和参与部门"),
    ({"inspectors": {"OWN_ONLY": -1}}, "不小于0的整数"),
])
def test_task_validation(session, org, over, message):
    plan, item = _published_single(org)
    inspectors = over.get("inspectors")
    if inspectors is not None:
        mapped = {}
        for key, value in inspectors.items():
            mapped[{"OWN_ONLY": str(org.bureau_a.id), "STRANGER": str(org.bureau_b.id)}.get(key, key)] = str(value)
        over = {**over, "inspectors": mapped}
    else:
        over = {**over, "inspectors": {str(org.bureau_a.id): "2"}}
    with pytest.raises(plan_elements.Unprocessable, match=message):
        tasks.create_task(org.clerk_a, plan, _task(item, **over))


def test_general_item_cap_and_only_the_owner_on_a_published_plan(session, org):
    plan, item = _published_single(org, cap="4", ratio="4")
    with pytest.raises(plan_elements.Unprocessable, match="上限4%"):
        tasks.create_task(org.clerk_a, plan, _task(item, inspectors={str(org.bureau_a.id): 2}))
    with pytest.raises(Forbidden):
        tasks.create_task(org.health_clerk, plan, _task(item, ratio="3", inspectors={str(org.bureau_a.id): 2}))
    draft = plans.create_single(org.clerk_a, {"name": "草稿", "year": YEAR, "plan_type": "annual"},
                                plan_elements.Upload("a.pdf", PDF))
    with pytest.raises(plan_elements.Unprocessable, match="公开后才能"):
        tasks.create_task(org.clerk_a, draft, _task(item, ratio="3", inspectors={str(org.bureau_a.id): 2}))
    # written inspection alone: one inspector is enough
    task = tasks.create_task(org.clerk_a, plan, _task(item, ratio="3", methods=["书面检查"],
                                                      inspectors={str(org.bureau_a.id): 1}))
    assert task.departments[0].inspectors == 1


# ------------------------------------------------------------------ exports


def test_a21_excel(session, org):
    plan, _ = _published_joint(org)
    plans_ = plan_queries.plans_for_export(org.clerk_a, YEAR, kind=PlanKind.JOINT)
    wb = load_workbook(io.BytesIO(plan_export.a21_xlsx(plans_)))
    ws = wb.active
    assert [c.value for c in ws[1]] == list(plan_export.A21_COLUMNS)
    row = [c.value for c in ws[2]]
    assert row[0] == 1 and row[1] == "'=联合计划"  # a formula-looking cell is escaped
    assert row[3] == "甲区市场监督管理局" and row[4] == "甲区卫生健康局、甲区应急管理局"
    assert row[5] == 30 and row[6] == "实地核查" and row[7] == "区县级" and row[8] == "5%"
    assert row[9] == f"{YEAR}-04-01至{YEAR}-10-31" and row[10] == "餐饮服务联合检查"
    assert "甲区应急管理局：甲区应急管理局本部门检查（区县级）" in row[11]
    assert ws.page_setup.orientation == "landscape"
    # another district sees none of it
    assert plan_queries.plans_for_export(org.clerk_b, YEAR, kind=PlanKind.JOINT) == []
    assert plan in plan_queries.plans_for_export(org.clerk_a, None, [plan.id])


def test_d1_excel_has_the_two_level_header(session, org):
    _published_joint(org, name="年度联合计划")
    plans_ = plan_queries.plans_for_export(org.clerk_a, YEAR, kind=PlanKind.JOINT)
    ws = load_workbook(io.BytesIO(plan_export.d1_xlsx(plans_))).active
    assert [c.value for c in ws[1]] == ["序号", "计划名称", "发起部门", "配合部门", "抽查事项", None, "抽查对象", "抽查时间",
                                        "抽查比例", "抽取对象数量（户）"]
    assert [c.value for c in ws[2]][4:6] == ["发起部门", "配合部门"]
    assert "E1:F1" in {str(r) for r in ws.merged_cells.ranges}
    row = [c.value for c in ws[3]]
    assert row[:4] == [1, "年度联合计划", "甲区市场监督管理局", "甲区卫生健康局、甲区应急管理局"]
    assert row[4] == "餐饮服务联合检查" and "甲区卫生健康局：甲区卫生健康局本部门检查" in row[5]
    assert row[6:] == ["餐饮服务经营者", f"{YEAR}-04-01至{YEAR}-10-31", "5%", 30]


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _pdf_checks(data: bytes, tmp_path, *expected: str) -> None:
    assert data.startswith(b"%PDF-")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
    assert width > height and round(width) == 842 and round(height) == 595  # A4 landscape
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for word in expected:
        assert word in flat, word
    assert "第1页共1页" in flat
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "Noto-Serif-CJK-SC" in line or "FangSong" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded


@needs_poppler
def test_a21_and_d1_pdf(session, org, tmp_path):
    _published_joint(org, name="堃喆年度联合计划")
    plans_ = plan_queries.plans_for_export(org.clerk_a, YEAR, kind=PlanKind.JOINT)
    _pdf_checks(plan_export.a21_pdf(plans_, f"{YEAR}年"), tmp_path, "部门联合“双随机、一公开”抽查计划表",
                "序号", "抽查户数", "实施层级", "发起部门抽查事项", "堃喆年度联合计划", "甲区卫生健康局")
    _pdf_checks(plan_export.d1_pdf(plans_, f"{YEAR}年度"), tmp_path, "年度抽查工作计划表", "序号", "抽查比例",
                "配合部门", "堃喆年度联合计划")


def test_pdf_fetcher_serves_static_files_only(app):
    from infrastructure import pdf

    with app.test_request_context():
        assert pdf.static_fetcher(pdf.BASE_URL + "css/app.css")["string"]
        for url in ("file:///etc/passwd", "http://example.com/x.css", pdf.BASE_URL + "../app.py",
                    pdf.BASE_URL + "fonts/none.otf"):
            with pytest.raises(pdf.FetchRefused):
                pdf.static_fetcher(url)
