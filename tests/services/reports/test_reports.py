"""灵活报表 services: the marked template, periods and deadlines, multi-level 分派, filling
(numbers only in number cells, 延迟报 after the deadline), the level-by-level 汇总, the 填报情况
and the reminders of 我的待办."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from infrastructure.errors import Conflict, Forbidden, Invalid
from models.reports import FieldKind, ReportKind, ReportSubmission, ReportValue, SubmissionStatus
from persistence.workdays import CalendarNotCovered, WorkCalendar
from services.reports import filling, layout, periods, summary, todo
from tests.factories.clock import freeze
from tests.factories.reports import make_report, marked_workbook, raw, submission_of, two_levels


def test_the_marked_cells_of_an_uploaded_template_are_its_fields():
    data = marked_workbook({"C3": "{{数值:检查户次}}", "C4": "{{ 数值：发现问题数 }}", "C5": "{{文本:备注}}",
                            "B3": "检查户次"})
    marks = layout.parse_template(data)
    assert [(m.name, m.kind, m.sheet, m.cell) for m in marks] == [
        ("检查户次", FieldKind.NUMBER, "统计表", "C3"), ("发现问题数", FieldKind.NUMBER, "统计表", "C4"),
        ("备注", FieldKind.TEXT, "统计表", "C5")]


def test_a_template_without_marked_cells_is_refused_in_chinese():
    with pytest.raises(Invalid) as refused:
        layout.parse_template(marked_workbook({"C3": 12}))
    assert "模板中没有标记填报单元格" in refused.value.message and "{{数值:项目名称}}" in refused.value.message


def test_a_name_marked_twice_or_a_malformed_mark_is_refused():
    with pytest.raises(Invalid, match="重复标记"):
        layout.parse_template(marked_workbook({"C3": "{{数值:户数}}", "C4": "{{数值:户数}}"}))
    with pytest.raises(Invalid, match="无法识别"):
        layout.parse_template(marked_workbook({"C3": "{{金额:户数}}"}))


def test_a_report_defined_by_fields_gets_a_marked_template(org, session):
    report = make_report(org)
    assert [(f.name, f.kind, f.cell) for f in report.fields] == [
        ("检查户次", FieldKind.NUMBER, "B3"), ("发现问题数", FieldKind.NUMBER, "B4"), ("工作亮点", FieldKind.TEXT, "B5")]
    assert [m.name for m in layout.parse_template(report.template)] == ["检查户次", "发现问题数", "工作亮点"]


def test_monthly_periods_end_the_nth_working_day_after_the_month(org, session):
    report = make_report(org)
    found = periods.periods_of(report)
    assert [(p.key, p.label) for p in found] == [("2026-09", "2026年9月"), ("2026-10", "2026年10月"),
                                                  ("2026-11", "2026年11月")]
    assert found[0].due_on == WorkCalendar().add_workdays(date(2026, 9, 30), 5)
    assert found[0].due_on > date(2026, 10, 8)  # the National Day holiday does not count


def test_other_report_kinds_give_their_periods(org, session):
    report = make_report(org, kind="quarterly", starts_on="2026-01-01", ends_on="2026-09-30")
    assert [p.label for p in periods.periods_of(report)] == [f"2026年第{q}季度" for q in range(1, 4)]
    report.kind = ReportKind.HALF_YEARLY
    with pytest.raises(CalendarNotCovered):  # 2026H2 is due in 2027, which the table does not cover
        periods.periods_of(report)
    report.ends_on = date(2026, 6, 30)
    assert [p.label for p in periods.periods_of(report)] == ["2026年上半年"]
    once = make_report(org, name="一次性报表", kind="once", due_on="2026-11-20")
    assert [(p.key, p.due_on) for p in periods.periods_of(once)] == [("once", date(2026, 11, 20))]


def test_a_once_report_needs_its_deadline(org, session):
    with pytest.raises(Invalid, match="填报截止日期"):
        make_report(org, kind="once", due_on="")


def test_assignment_goes_to_child_units_and_further_down(org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    units = session.execute(select(ReportSubmission.department_id, func.count()).where(
        ReportSubmission.report_id == report.id).group_by(ReportSubmission.department_id)).all()
    assert dict(units) == {org.section_a.id: 3, org.station_a.id: 3, made["grid"].id: 3}
    with pytest.raises(Invalid, match="下级单位"):
        filling.assign(org.clerk_a, report, [made["grid"].id])  # not a child of the bureau
    with pytest.raises(Forbidden):
        filling.assign(org.health_clerk, report, [])  # neither defined nor received it
    assert filling.assign(org.clerk_a, report, [org.section_a.id]) == 0  # already assigned


def test_text_in_a_number_cell_is_refused_and_nothing_written(org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    sub = submission_of(made["report"], made["grid"])
    with pytest.raises(filling.FillInvalid) as refused:
        filling.fill(made["grid_clerk"], sub, raw(made["report"], "十二", "3", ""), submit=True)
    assert "应为数字" in refused.value.errors[made["report"].fields[0].id]
    assert session.scalar(select(func.count()).select_from(ReportValue)) == 0
    assert sub.status == SubmissionStatus.PENDING


def test_only_the_units_clerk_fills_and_a_reported_filling_is_final(org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    sub = submission_of(made["report"], made["grid"])
    with pytest.raises(Forbidden):
        filling.fill(made["station_clerk"], sub, raw(made["report"], "1"), submit=True)
    filling.fill(made["grid_clerk"], sub, raw(made["report"], "1,200", "", "亮点"), submit=True)
    assert sub.status == SubmissionStatus.SUBMITTED and not sub.late
    assert filling.values_of(sub) == {made["report"].fields[0].id: Decimal("1200"),
                                      made["report"].fields[2].id: "亮点"}
    with pytest.raises(Conflict):
        filling.fill(made["grid_clerk"], sub, raw(made["report"], "2"), submit=True)


def test_a_filling_after_the_deadline_is_accepted_as_late(org, session, make_department, make_user, monkeypatch):
    made = two_levels(org, make_department, make_user)
    sub = submission_of(made["report"], made["grid"], "2026-09")  # due in October
    assert sub.due_on < date(2026, 11, 4)
    filling.fill(made["grid_clerk"], sub, raw(made["report"], "5"), submit=True)
    assert sub.late and sub.state_label == "延迟报"


def _report_all(made, org, section_clerk):
    report = made["report"]
    filling.fill(made["grid_clerk"], submission_of(report, made["grid"]), raw(report, "10", "1.5"), submit=True)
    filling.fill(made["station_clerk"], submission_of(report, org.station_a), raw(report, "5", "2"), submit=True)
    filling.fill(section_clerk, submission_of(report, org.section_a), raw(report, "7", ""), submit=False)  # saved only


def test_the_summary_sums_reported_cells_level_by_level(org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    _report_all(made, org, org.section_clerk_a)
    f1, f2, _ = (f.id for f in report.fields)
    assert summary.subtree_sums(report, "2026-10", org.bureau_a) == {f1: Decimal(15), f2: Decimal("3.5")}
    assert summary.level_sums(report, "2026-10", org.bureau_a) == {org.station_a.id: {f1: 15, f2: Decimal("3.5")}}
    assert summary.level_sums(report, "2026-10", org.station_a) == {made["grid"].id: {f1: 10, f2: Decimal("1.5")}}
    assert summary.own_values(report, "2026-10", org.station_a) == {f1: 5, f2: 2}
    every = summary.rollup(report, "2026-10", org.bureau_a)  # all levels at once
    assert every[org.bureau_a.id] == summary.subtree_sums(report, "2026-10", org.bureau_a)
    assert every[org.station_a.id] == {f1: 15, f2: Decimal("3.5")} and every[made["grid"].id] == {f1: 10, f2: 1.5}
    assert org.section_a.id not in every and org.city.id not in every
    sheet = load_workbook(io.BytesIO(summary.export_summary(report, "2026-10", org.bureau_a))).active
    assert (sheet["A3"].value, sheet["B3"].value, sheet["B4"].value, sheet["B5"].value) == ("检查户次", 15, 3.5, None)


def test_the_statistics_count_due_reported_and_late_per_period(org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    _report_all(made, org, org.section_clerk_a)
    filling.fill(made["grid_clerk"], submission_of(report, made["grid"], "2026-09"), raw(report, "1"), submit=True)
    stats = {s.period: s for s in summary.period_stats(report, org.bureau_a)}
    oct_ = stats["2026-10"]
    assert (oct_.due, oct_.submitted, oct_.pending, oct_.on_time, oct_.late) == (3, 2, 1, 2, 0)
    assert (stats["2026-09"].submitted, stats["2026-09"].late) == (1, 1)
    below_station = {s.period: s.due for s in summary.period_stats(report, org.station_a)}
    assert below_station == {"2026-09": 1, "2026-10": 1, "2026-11": 1}
    assert [s.department_id for s in summary.submissions(report, org.bureau_a, "2026-10", "未报")] == [org.section_a.id]
    assert len(summary.submissions(report, org.bureau_a, "2026-09", "延迟报")) == 1


def test_reminders_list_unreported_fillings_due_within_three_working_days(org, session, make_department, make_user,
                                                                          monkeypatch):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    clerk = made["grid_clerk"]
    # 4 November: September's filling is overdue, October's (due 6 November) is within 3 working days
    assert [s.period for s in todo.todo(clerk)] == ["2026-09", "2026-10"]
    filling.fill(clerk, submission_of(report, made["grid"], "2026-09"), raw(report, "1"), submit=True)
    assert [s.period for s in todo.todo(clerk)] == ["2026-10"]
    freeze(monkeypatch, datetime(2026, 10, 1, 2, 0))
    assert todo.todo(clerk) == []  # nothing due yet... September's is due mid-October
    report.active = False
    freeze(monkeypatch)
    assert todo.todo(clerk) == [] and todo.todo(org.inspector_a) == []
