"""/reports pages per role (clerk, leader, inspector), another district's report and filling
(404), and the bad input of issue 21: a template with no marked cells, text in a number cell
(400, the form keeps what was typed), an upload after the deadline (accepted as 延迟报)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from models import ImportBatch
from models.reports import FlexReport, SubmissionStatus
from services.reports import filling, layout
from tests.conftest import csrf_token
from tests.factories.clock import freeze
from tests.factories.reports import FORM, marked_workbook, raw, submission_of, two_levels


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    freeze(monkeypatch)  # 2026-11-04 in China


def _post(client, url, data, page="/reports/", **kw):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data}, **kw)


def test_clerk_defines_by_fields_and_assigns(client, login, org, session):
    login(org.clerk_a)
    assert "制定报表" in client.get("/reports/").get_data(as_text=True)
    made = _post(client, "/reports/new", FORM)
    assert made.status_code == 302
    report = session.query(FlexReport).one()
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "检查户次" in page and "甲区第一市场监管所" in page and "月报" in page
    done = _post(client, f"/reports/{report.id}/assign", {"departments": [str(org.station_a.id)]})
    assert done.status_code == 302
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "（已分派）" in page and 'class="stat-应报"' in page


def test_a_template_with_no_marked_cells_is_refused_and_the_form_kept(client, login, org, session):
    login(org.clerk_a)
    data = {**FORM, "fields": "", "template": (io.BytesIO(marked_workbook({"C3": 5})), "统计表.xlsx")}
    refused = _post(client, "/reports/new", data, content_type="multipart/form-data")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "模板中没有标记填报单元格" in text and "食品安全监管月报" in text
    assert session.query(FlexReport).count() == 0


def test_an_uploaded_template_keeps_its_layout_in_the_summary_export(client, login, org, session):
    login(org.clerk_a)
    data = {**FORM, "fields": "", "template": (io.BytesIO(marked_workbook(
        {"B3": "户数", "C3": "{{数值:户数}}", "B4": "备注", "C4": "{{文本:备注}}"})), "统计表.xlsx")}
    assert _post(client, "/reports/new", data, content_type="multipart/form-data").status_code == 302
    report = session.query(FlexReport).one()
    assert [(f.name, f.cell) for f in report.fields] == [("户数", "C3"), ("备注", "C4")]
    filling.assign(org.clerk_a, report, [org.section_a.id])
    filling.fill(org.section_clerk_a, submission_of(report, org.section_a), raw(report, "8", "好"), submit=True)
    session.commit()
    got = client.get(f"/reports/{report.id}/summary.xlsx?period=2026-10")
    sheet = load_workbook(io.BytesIO(got.data)).active
    assert (sheet["A1"].value, sheet["B3"].value, sheet["C3"].value, sheet["C4"].value) == ("季度统计表", "户数", 8, None)


def test_roles_and_another_districts_report(client, login, org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    sub = submission_of(report, org.station_a)
    session.commit()
    login(org.leader_a)
    assert client.get(f"/reports/{report.id}/summary").status_code == 200
    assert client.get("/reports/new").status_code == 403
    login(org.inspector_a)
    assert client.get("/reports/").status_code == 403
    login(org.clerk_b)
    assert client.get("/reports/").status_code == 200
    assert "食品安全监管月报" not in client.get("/reports/").get_data(as_text=True)
    for url in (f"/reports/{report.id}", f"/reports/{report.id}/summary", f"/reports/{report.id}/summary.xlsx",
                f"/reports/{report.id}/submissions", f"/reports/submissions/{sub.id}",
                f"/reports/submissions/{sub.id}/template.xlsx", f"/imports/report_fill/?submission_id={sub.id}"):
        assert client.get(url).status_code == 404, url
    assert _post(client, f"/reports/{report.id}/assign", {"departments": "1"}).status_code == 404
    # a unit sees the report it was assigned, not its sibling's filling
    login(org.section_clerk_a)
    assert client.get(f"/reports/{report.id}").status_code == 200
    assert client.get(f"/reports/submissions/{sub.id}").status_code == 404


def test_text_in_a_number_cell_answers_400_and_keeps_what_was_typed(client, login, org, session, make_department,
                                                                    make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    sub = submission_of(report, made["grid"])
    session.commit()
    login(made["grid_clerk"])
    url = f"/reports/submissions/{sub.id}"
    f1, f2, f3 = (f"f{f.id}" for f in report.fields)
    refused = _post(client, url, {f1: "十二户", f2: "3", f3: "亮点", "action": "submit"}, page=url)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "应为数字" in text
    assert 'value="十二户"' in text and 'value="亮点"' in text
    session.refresh(sub)
    assert sub.status == SubmissionStatus.PENDING and filling.values_of(sub) == {}
    assert _post(client, url, {f1: "12", f2: "3", f3: "", "action": "submit"}, page=url).status_code == 302
    session.refresh(sub)
    assert sub.status == SubmissionStatus.SUBMITTED and "正常报" in client.get(url).get_data(as_text=True)


def _upload(client, sub, data):
    url = f"/imports/report_fill/?submission_id={sub.id}"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), "填报.xlsx")},
                       content_type="multipart/form-data")


def _filled(report, values):
    wb = load_workbook(io.BytesIO(layout.fill_template(report.template, report.fields)))
    for field, value in zip(report.fields, values, strict=False):
        wb[field.sheet][field.cell] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_upload_after_the_deadline_is_accepted_as_late(client, login, org, session, make_department, make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    sub = submission_of(report, made["grid"], "2026-09")  # due in October, today is 4 November
    session.commit()
    login(made["grid_clerk"])
    template = client.get(f"/reports/submissions/{sub.id}/template.xlsx")
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.data)).active["B3"].value is None
    page = client.get(f"/imports/report_fill/?submission_id={sub.id}").get_data(as_text=True)
    assert f"/reports/submissions/{sub.id}/template.xlsx" in page and "截止日期" in page
    bad = _upload(client, sub, _filled(report, ["很多", 2, "说明"]))
    assert bad.status_code == 302
    batch = session.query(ImportBatch).order_by(ImportBatch.id.desc()).first()
    preview = client.get(bad.headers["Location"]).get_data(as_text=True)
    assert "应为数字" in preview and "有问题 <strong class=\"error\">1</strong>" in preview
    errors = client.get(f"/imports/report_fill/{batch.id}/errors")
    assert load_workbook(io.BytesIO(errors.data)).active["B3"].comment is not None
    good = _upload(client, sub, _filled(report, [9, 2, "说明"]))
    batch_id = int(re.search(r"/(\d+)$", good.headers["Location"]).group(1))
    url = f"/imports/report_fill/{batch_id}"
    done = client.post(url + "/confirm", data={"csrf_token": csrf_token(client, url), "mode": "all"})
    assert done.status_code == 302
    session.refresh(sub)
    assert sub.status == SubmissionStatus.SUBMITTED and sub.late and sub.source == "upload"
    assert "延迟报" in client.get(f"/reports/submissions/{sub.id}").get_data(as_text=True)


def test_statistics_link_to_the_fillings_and_the_inbox_reminds(client, login, org, session, make_department,
                                                              make_user):
    made = two_levels(org, make_department, make_user)
    report = made["report"]
    filling.fill(made["grid_clerk"], submission_of(report, made["grid"]), raw(report, "4"), submit=True)
    session.commit()
    login(org.clerk_a)
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*period=2026-10[^"]*state=%E6%9C%AA%E6%8A%A5[^"]*)"', page)  # 未报
    assert link, page
    listed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "甲区信用监督管理科" in listed and "甲区第一市场监管所" in listed and "甲区第一所东片区" not in listed
    summary_page = client.get(f"/reports/{report.id}/summary?period=2026-10").get_data(as_text=True)
    assert "甲区第一市场监管所" in summary_page and ">4<" in summary_page
    login(made["grid_clerk"])
    inbox = client.get("/inbox").get_data(as_text=True)
    assert 'id="reports-todo"' in inbox and "食品安全监管月报" in inbox and "已逾期" in inbox
    assert int(client.get("/inbox/count").get_data(as_text=True)) >= 1
