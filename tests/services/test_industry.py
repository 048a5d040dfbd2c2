"""一业一评 and 一业一册 (services/industry; docs/industry.md)."""

from __future__ import annotations

import subprocess

import pytest

from infrastructure.errors import Invalid, NotFound
from models import RecordStatus, db
from models.inspections import ResultCategory
from services.industry import documents, evaluation, handbook
from tests.factories.deadlines import objects_of, record
from tests.factories.industry import OK, ORDERED, industry_task

H = evaluation.Key("H", 2026)


def test_parse_key_refuses_bad_input_in_chinese() -> None:
    assert evaluation.parse_key(" h ", "2026") == H
    for industry, year, message in (("", "2026", "请选择行业"), ("Z", "2026", "行业应为国民经济行业门类（A–T）"),
                                    ("H", "", "请选择年度"), ("H", "20x6", "年度不正确"), ("H", "1999", "年度不正确")):
        with pytest.raises(Invalid, match=message):
            evaluation.parse_key(industry, year)


def test_evaluation_counts_items_objects_results_and_common_problems(org) -> None:
    industry_task(org, results=(OK, ORDERED, ORDERED, ResultCategory.NOT_DISCLOSED, None), lines={
        0: [("食品经营许可", "符合")],
        1: [("食品经营许可", "符合"), ("从业人员健康管理", "2名从业人员未取得健康证明")],
        2: [("从业人员健康管理", "健康证明过期"), ("餐具消毒", "消毒记录不全"), ("原料进货查验", " 符合 ")],
    })
    industry_task(org, results=(ORDERED,), lines={0: [("餐具消毒", "未消毒")]})
    ev = evaluation.evaluate(org.clerk_a, H)
    assert len(ev.tasks) == 2 and len(ev.items) == 2
    assert ev.objects == 6 and ev.inspected_objects == 5 and ev.records == 5
    assert ev.problem_records == 4 and ev.problem_rate == "80.0%"
    assert dict(ev.categories) == {"未发现问题": 1, "未按规定公示应当公示的信息": 1, "发现问题依法责令改正": 3}
    # per record (户次), conforming answers ignored; a problem record with no flagged row counts by its result
    assert [(p.name, p.records) for p in ev.problems] == [
        ("从业人员健康管理", 2), ("餐具消毒", 2), ("未按规定公示应当公示的信息", 1),
    ]
    assert ev.departments == ["甲区市场监督管理局"]


def test_evaluation_takes_only_joint_tasks_of_the_industry_year_and_area(org) -> None:
    industry_task(org)
    industry_task(org, joint=False)  # a single-department plan
    industry_task(org, industry="F5211")  # another industry
    industry_task(org, year=2025)  # another year
    industry_task(org, department=org.bureau_b)  # another district
    assert len(evaluation.evaluate(org.clerk_a, H).tasks) == 1
    assert len(evaluation.evaluate(org.office_user, H).tasks) == 1  # the office sees its district
    assert [(r.key, r.tasks) for r in evaluation.overview(org.health_clerk)] == [
        (evaluation.Key("F", 2026), 1), (H, 1), (evaluation.Key("H", 2025), 1)]
    assert [(r.key, r.tasks) for r in evaluation.overview(org.clerk_b)] == [(H, 1)]


def test_unpublished_records_do_not_count(org) -> None:
    task = industry_task(org, results=(None, None))
    obj = objects_of(task)[0]
    record(task, obj, org.bureau_a, status=RecordStatus.APPROVED, result=ORDERED)
    ev = evaluation.evaluate(org.clerk_a, H)
    assert ev.objects == 2 and ev.records == 0 and ev.problems == [] and ev.problem_rate == "—"


def test_no_joint_inspection_is_a_chinese_refusal(org) -> None:
    industry_task(org, industry="F52")
    with pytest.raises(NotFound, match="甲区2026年度H 住宿和餐饮业没有已派发的部门联合抽查任务"):
        evaluation.evaluate(org.clerk_a, H)


def test_handbook_lists_items_basis_and_problems_without_confidential_data(org) -> None:
    task = industry_task(org, results=(ORDERED,), lines={0: [("餐具消毒", "未消毒")]})
    task.item.inspecting_body = "甲区市场监督管理局"
    hb = handbook.compile_handbook(org.clerk_a, H)
    assert [i.basis for i in hb.items] == ["《中华人民共和国食品安全法》第五十五条"]
    assert [(p.name, p.records) for p in hb.problems] == [("餐具消毒", 1)] and hb.inspected
    html = documents.handbook_html(hb)
    assert "住宿和餐饮业合规经营指导手册" in html and "餐具消毒" in html and "第五十五条" in html
    rec = db.session.execute(db.select(evaluation.InspectionRecord)).scalars().first()
    for secret in (rec.record_no, rec.subject_name or "甲区测试", "信用风险", "检查员"):
        assert secret not in html


def test_handbook_of_a_year_without_inspections_still_lists_items(org) -> None:
    industry_task(org, year=2025)
    hb = handbook.compile_handbook(org.clerk_a, H)
    assert hb.items and hb.problems == [] and not hb.inspected
    assert "2026年度尚未开展本行业部门联合抽查" in documents.handbook_html(hb)


def test_handbook_of_an_industry_without_items_is_refused(org) -> None:
    industry_task(org)
    with pytest.raises(NotFound, match="尚无已公布的抽查事项，无法编制合规经营指导手册"):
        handbook.compile_handbook(org.clerk_a, evaluation.Key("C", 2026))


def _pdf_text_and_fonts(data: bytes, tmp_path) -> tuple[str, list[str]]:
    path = tmp_path / "i.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return "".join(text.split()), fonts.splitlines()[2:]


def test_pdfs_are_real_and_embed_the_cjk_font(org, tmp_path) -> None:
    industry_task(org, results=(OK, ORDERED), lines={1: [("餐具消毒", "未消毒")]})
    ev = evaluation.evaluate(org.clerk_a, H)
    data = documents.evaluation_pdf(ev)
    text, fonts = _pdf_text_and_fonts(data, tmp_path)
    for word in ("2026年度住宿和餐饮业双随机“一业一查”一业一评", "发现问题依法责令改正", "餐具消毒", "第1页共1页"):
        assert word in text, word
    assert fonts and all("ZHJG-Noto-Serif-CJK-SC" in line and line.split()[-5] == "yes" for line in fonts)
    assert documents.evaluation_pdf(ev) == data  # deterministic
    text, fonts = _pdf_text_and_fonts(documents.handbook_pdf(handbook.compile_handbook(org.clerk_a, H)), tmp_path)
    assert "住宿和餐饮业合规经营指导手册" in text and "抽查事项及检查依据" in text
    assert fonts and all("ZHJG-Noto-Serif-CJK-SC" in line for line in fonts)
