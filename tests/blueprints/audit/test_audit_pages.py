"""The audit chapter: list with filters and scope, detail, Excel export, chain check."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from infrastructure.excel import XLSX_MIME
from models import AuditEvent
from persistence import audit
from services import audit_query as aq
from tests.conftest import csrf_token
from tests.factories.audit import allow_tampering


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', html)]


@pytest.fixture()
def events(org: Any, session: Any) -> dict[str, AuditEvent]:
    """One event in district A, one in district B, one at city level, one without a department.

    Committed (a savepoint release) like the setup of every page test: a request that fails
    rolls back what is not committed, and requests share the test's session."""
    made = {
        "a": audit.record("login", object_type="user", object_id=org.clerk_a.id, user=org.clerk_a),
        "b": audit.record("login", object_type="user", object_id=org.clerk_b.id, user=org.clerk_b),
        "city": audit.record(
            "update", object_type="department", object_id=org.bureau_a.id, summary={"名称": "甲区市场监督管理局"},
            user=org.sysadmin,
        ),
        "none": audit.record(
            "login_failed", object_type="user", summary={"账号": "ghost", "原因": "账号不存在"}, account="ghost"
        ),
    }
    session.commit()
    return made


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("who", ["clerk_a", "sysadmin", "secadmin", "leader_a", "sysadmin_b"])
@pytest.mark.parametrize("url", ["/audit/", "/audit/export.xlsx", "/audit/verify", "/audit/{id}"])
def test_only_auditors_get_in(client: Any, login: Any, org: Any, events: dict[str, AuditEvent], who: str, url: str) -> None:
    login(getattr(org, who))
    assert client.get(url.format(id=events["a"].id)).status_code == 403


def test_verify_post_is_refused_to_administrators(client: Any, login: Any, org: Any) -> None:
    login(org.secadmin)
    token = csrf_token(client, "/password")
    assert client.post("/audit/verify", data={"csrf_token": token}).status_code == 403
    assert audit.verify() == (0, [])  # nothing ran, nothing recorded


def test_signed_out_users_are_sent_to_the_login_page(client: Any, session: Any) -> None:
    resp = client.get("/audit/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_auditor_menu_and_home(client: Any, login: Any, org: Any) -> None:
    login(org.auditor)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/audit/")
    html = client.get("/audit/").get_data(as_text=True)
    assert "审计日志" in html and "我的待办" not in html


# ------------------------------------------------------------------ scope


def test_city_auditor_sees_everything_including_events_without_department(
    client: Any, login: Any, org: Any, events: dict[str, AuditEvent]
) -> None:
    login(org.auditor)
    resp = client.get("/audit/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert _ids(html) == [events[k].id for k in ("none", "city", "b", "a")]  # newest first
    assert "共 4 条" in html


def test_district_auditor_sees_only_its_subtree(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor_b)
    html = client.get("/audit/").get_data(as_text=True)
    assert _ids(html) == [events["b"].id]
    assert "王晓燕" not in html and "ghost" not in html
    assert client.get(f"/audit/{events['a'].id}").status_code == 404
    assert client.get(f"/audit/{events['none'].id}").status_code == 404
    assert client.get(f"/audit/{events['b'].id}").status_code == 200
    # a department outside the subtree is neither offered nor honoured
    assert f'value="{org.bureau_a.id}"' not in html
    assert _ids(client.get(f"/audit/?department={org.bureau_a.id}").get_data(as_text=True)) == []


def test_department_filter_takes_the_subtree(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor)
    html = client.get(f"/audit/?department={org.district_a.id}").get_data(as_text=True)
    assert _ids(html) == [events["a"].id]
    html = client.get(f"/audit/?department={org.city.id}").get_data(as_text=True)
    assert _ids(html) == [events[k].id for k in ("city", "b", "a")]  # not the department-less one


# ------------------------------------------------------------------ rows and filters


def test_row_shows_china_time_names_label_object_and_readable_summary(
    client: Any, login: Any, org: Any, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("persistence.audit.utcnow", lambda: datetime(2026, 3, 1, 16, 30, 5))
    event = audit.record(
        "update", object_type="department", object_id=42, summary={"名称": "新名称", "排序": 3}, user=org.clerk_a
    )
    session.commit()
    login(org.auditor)
    html = client.get("/audit/").get_data(as_text=True)
    row = html[html.index(f'data-event-id="{event.id}"') :].split("</tr>")[0]
    assert "2026-03-02 00:30:05" in row
    for part in (org.clerk_a.account, "王晓燕", "甲区市场监督管理局", "修改", "部门 42", "名称：新名称", "排序：3"):
        assert part in row
    assert "{" not in row


def test_action_filter(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor)
    html = client.get("/audit/?action=login").get_data(as_text=True)
    assert _ids(html) == [events["b"].id, events["a"].id]
    assert '<option value="login_failed" >登录失败</option>' in html
    assert '<option value="verify" >校验审计日志</option>' in html
    assert '<option value="login" selected>登录</option>' in html


def test_keyword_filter_matches_account_or_name(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor)
    assert _ids(client.get("/audit/?q=晓燕").get_data(as_text=True)) == [events["a"].id]
    assert _ids(client.get("/audit/?q=GHO").get_data(as_text=True)) == [events["none"].id]
    account = org.clerk_b.account
    assert _ids(client.get(f"/audit/?q={account[2:8].upper()}").get_data(as_text=True)) == [events["b"].id]
    assert _ids(client.get("/audit/?q=%25").get_data(as_text=True)) == []  # LIKE wildcards are literal


def test_object_and_ip_filters(
    client: Any, login: Any, org: Any, events: dict[str, AuditEvent], session: Any
) -> None:
    login(org.auditor)
    html = client.get(f"/audit/?object_type=department&object_id={org.bureau_a.id}").get_data(as_text=True)
    assert _ids(html) == [events["city"].id]
    # the test client signs in from 127.0.0.1: the page visits above recorded nothing, so
    # make one event with an address
    with client.application.test_request_context(environ_base={"REMOTE_ADDR": "10.20.30.40"}):
        tagged = audit.record("export", object_type="audit_event", user=org.auditor)
    session.commit()
    assert _ids(client.get("/audit/?ip=10.20.").get_data(as_text=True)) == [tagged.id]
    assert _ids(client.get("/audit/?ip=10.20.30.40").get_data(as_text=True)) == [tagged.id]
    assert _ids(client.get("/audit/?ip=10.21").get_data(as_text=True)) == []


def test_date_range_boundaries_are_china_days(
    client: Any, login: Any, org: Any, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = {}
    for key, at in {
        "late_1st": datetime(2026, 3, 1, 15, 59, 59, 999999),  # 2026-03-01 23:59:59.999999 in China
        "early_2nd": datetime(2026, 3, 1, 16, 0, 0),  # 2026-03-02 00:00:00 in China
        "late_2nd": datetime(2026, 3, 2, 15, 59, 59),  # 2026-03-02 23:59:59 in China
        "early_3rd": datetime(2026, 3, 2, 16, 0, 0),  # 2026-03-03 00:00:00 in China
    }.items():
        monkeypatch.setattr("persistence.audit.utcnow", lambda at=at: at)
        made[key] = audit.record("login", user=org.clerk_a).id
    session.commit()
    login(org.auditor)

    def ids(query: str) -> set[int]:
        return set(_ids(client.get("/audit/?" + query).get_data(as_text=True)))

    assert ids("from=2026-03-02&to=2026-03-02") == {made["early_2nd"], made["late_2nd"]}
    assert ids("to=2026-03-01") == {made["late_1st"]}
    assert ids("from=2026-03-03") == {made["early_3rd"]}
    assert ids("from=2026-03-02") == {made["early_2nd"], made["late_2nd"], made["early_3rd"]}
    html = client.get("/audit/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert "2026-03-02 00:00:00" in html and "2026-03-02 23:59:59" in html


def test_bad_dates_are_explained(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor)
    resp = client.get("/audit/?from=2026-13-01")
    assert resp.status_code == 400
    assert "起始日期格式不正确" in resp.get_data(as_text=True)
    resp = client.get("/audit/?from=2026-03-05&to=2026-03-01")
    assert "起始日期不能晚于截止日期" in resp.get_data(as_text=True)
    assert _ids(resp.get_data(as_text=True)) == []
    # htmx swaps only 2xx answers in, so the fragment with the message comes with 200
    resp = client.get("/audit/?from=2026-13-01", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "起始日期格式不正确" in resp.get_data(as_text=True)


def test_paged_on_the_server_fifty_per_page(client: Any, login: Any, org: Any, session: Any) -> None:
    made = [audit.record("update", object_id=i, user=org.clerk_a).id for i in range(55)]
    session.commit()
    login(org.auditor)
    first = _ids(client.get("/audit/").get_data(as_text=True))
    second_html = client.get("/audit/?page=2").get_data(as_text=True)
    assert first == made[::-1][:50]
    assert _ids(second_html) == made[:5][::-1]
    assert "第 2 / 2 页，共 55 条" in second_html
    # the pager keeps the filter
    html = client.get("/audit/?action=update").get_data(as_text=True)
    assert "page=2" in html and "action=update" in html


def test_htmx_request_gets_only_the_results_block(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor)
    resp = client.get("/audit/?action=login", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.startswith('<div id="audit-results">')
    assert "<html" not in html and "audit-filters" not in html
    assert _ids(html) == [events["b"].id, events["a"].id]
    assert "export.xlsx?action=login" in html
    assert "HX-Request" in resp.headers.get("Vary", "")
    # a history restore after "back" needs the whole page
    full = client.get("/audit/?action=login", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in full.get_data(as_text=True)


def test_full_page_has_an_htmx_filter_form(client: Any, login: Any, org: Any) -> None:
    login(org.auditor)
    html = client.get("/audit/").get_data(as_text=True)
    form = html[html.index("<form class=\"card audit-filters\"") :].split(">")[0]
    assert 'hx-get="/audit/"' in form and 'hx-target="#audit-results"' in form and 'hx-push-url="true"' in form
    for name in ("from", "to", "q", "department", "action", "object_type", "object_id", "ip"):
        assert f'name="{name}"' in html


def test_detail_shows_the_hashes(client: Any, login: Any, org: Any, events: dict[str, AuditEvent]) -> None:
    login(org.auditor)
    event = events["city"]
    html = client.get(f"/audit/{event.id}").get_data(as_text=True)
    assert event.prev_hash in html and event.hash in html
    assert events["b"].hash == event.prev_hash
    assert "名称：甲区市场监督管理局" in html
    assert html.count("badge-ok") == 2
    assert client.get("/audit/999999").status_code == 404


# ------------------------------------------------------------------ export


def _sheet(data: bytes) -> list[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(data))
    return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_export_is_a_real_xlsx_with_escaped_cells(
    client: Any, login: Any, org: Any, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("persistence.audit.utcnow", lambda: datetime(2026, 3, 1, 16, 0, 0))
    formula = audit.record("update", object_type="user", object_id=5, summary="=HYPERLINK(\"http://x\")", user=org.clerk_a)
    plain = audit.record("login", object_type="user", object_id=6, summary={"原因": "测试"}, user=org.clerk_b)
    session.commit()
    login(org.auditor)
    resp = client.get("/audit/export.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype == XLSX_MIME
    assert "attachment" in resp.headers["Content-Disposition"] and ".xlsx" in resp.headers["Content-Disposition"]
    rows = _sheet(resp.data)
    assert rows[0] == ("时间", "账号", "姓名", "部门", "IP地址", "操作", "对象类型", "对象编号", "摘要", "哈希")
    assert len(rows) == 3  # the export's own audit row is not in the file
    assert rows[1] == (
        datetime(2026, 3, 2, 0, 0, 0), org.clerk_b.account, "乙区经办人", "乙区市场监督管理局", None,  # no IP
        "登录", "用户", "6", "原因：测试", plain.hash,
    )
    assert rows[2][8] == "'=HYPERLINK(\"http://x\")"
    assert rows[2][9] == formula.hash


def test_export_uses_the_filter_and_the_scope_and_is_audited(
    client: Any, login: Any, org: Any, events: dict[str, AuditEvent], session: Any
) -> None:
    login(org.auditor_b)
    rows = _sheet(client.get("/audit/export.xlsx").data)
    assert [r[1] for r in rows[1:]] == [org.clerk_b.account]
    login(org.auditor)
    rows = _sheet(client.get("/audit/export.xlsx?action=login&q=晓燕").data)
    assert [r[1] for r in rows[1:]] == [org.clerk_a.account]
    exports = session.execute(
        select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).scalars().all()
    assert [(e.user_id, e.object_type) for e in exports] == [(org.auditor_b.id, "audit_event"), (org.auditor.id, "audit_event")]
    summary = json.loads(exports[-1].summary)
    assert summary == {"导出条数": 1, "筛选条件": {"操作": "登录", "账号或姓名": "晓燕"}}
    assert json.loads(exports[0].summary)["筛选条件"] == {"范围": "全部"}
    assert exports[-1].ip == "127.0.0.1"
    assert audit.verify() == (6, [])


def test_export_with_a_bad_filter_goes_back_to_the_page(client: Any, login: Any, org: Any, session: Any) -> None:
    login(org.auditor)
    resp = client.get("/audit/export.xlsx?from=yesterday")
    assert resp.status_code == 302 and "/audit/?from=yesterday" in resp.headers["Location"]
    assert session.execute(select(AuditEvent).where(AuditEvent.action == "export")).first() is None


def test_export_is_capped_with_a_message_on_the_page(
    client: Any, login: Any, org: Any, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aq, "EXPORT_LIMIT", 3)
    monkeypatch.setattr(aq, "EXPORT_BATCH", 2)  # several batches, and the cap mid-batch
    made = [audit.record("update", object_id=i, user=org.clerk_a).id for i in range(5)]
    session.commit()
    login(org.auditor)
    html = client.get("/audit/").get_data(as_text=True)
    assert "超过单次导出上限 3 条" in html
    rows = _sheet(client.get("/audit/export.xlsx").data)
    assert [r[7] for r in rows[1:]] == ["4", "3", "2"]  # the newest three
    summary = json.loads(session.execute(select(AuditEvent.summary).where(AuditEvent.action == "export")).scalar_one())
    assert summary["导出条数"] == 3 and "5 条" in summary["说明"]
    assert len(made) == 5
    assert "超过单次导出上限" not in client.get("/audit/?object_id=4").get_data(as_text=True)


def test_export_rows_streams_in_batches(org: Any, session: Any) -> None:
    made = [audit.record("update", object_id=i, user=org.clerk_a).id for i in range(7)]
    rows = list(aq.export_rows(org.auditor, aq.AuditFilter(), up_to_id=made[5], batch=2))
    assert [r[7] for r in rows] == ["5", "4", "3", "2", "1", "0"]


def test_stream_workbook_writes_styled_header_escaped_cells_and_dates() -> None:
    from infrastructure.excel import Column, stream_workbook

    rows = ([datetime(2026, 3, 2, 8, i), f"+{i}", "@x", "-1", "纯文本", 7] for i in range(3))
    fh = stream_workbook("审计日志" * 10, [Column(t) for t in "ABCDEF"], rows)
    wb = load_workbook(fh)
    ws = wb.worksheets[0]
    assert ws.title == ("审计日志" * 10)[:31]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert [c.value for c in ws[2]] == [datetime(2026, 3, 2, 8, 0), "'+0", "'@x", "'-1", "纯文本", 7]
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws.max_row == 4


# ------------------------------------------------------------------ verify page


def test_verify_page_checks_the_chain_and_records_the_run(
    client: Any, login: Any, org: Any, events: dict[str, AuditEvent], session: Any
) -> None:
    login(org.auditor)
    page = client.get("/audit/verify")
    assert page.status_code == 200 and "开始校验" in page.get_data(as_text=True)
    token = csrf_token(client, "/audit/verify")
    resp = client.post("/audit/verify", data={"csrf_token": token})
    assert resp.status_code == 200
    assert "已校验 4 条记录，哈希链完整" in resp.get_data(as_text=True)
    run = session.execute(select(AuditEvent).where(AuditEvent.action == "verify")).scalar_one()
    assert run.user_id == org.auditor.id
    summary = json.loads(run.summary)
    assert {k: summary[k] for k in ("已校验条数", "异常数")} == {"已校验条数": 4, "异常数": 0}
    assert summary["检查点"]["条数"] == 4  # a clean run writes a signed checkpoint
    assert audit.action_label(run.action) == "校验审计日志"


def test_verify_page_names_tampered_rows(
    client: Any, login: Any, org: Any, events: dict[str, AuditEvent], session: Any
) -> None:
    allow_tampering(session)
    session.execute(text("UPDATE audit_event SET summary = 'x' WHERE id = :i"), {"i": events["b"].id})
    session.commit()
    login(org.auditor)
    token = csrf_token(client, "/audit/verify")
    html = client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert "发现 1 处异常" in html
    assert f'data-problem-id="{events["b"].id}"' in html
    run = session.execute(select(AuditEvent).where(AuditEvent.action == "verify")).scalar_one()
    assert json.loads(run.summary)["异常记录"] == [events["b"].id]


def test_verify_post_needs_the_csrf_token(client: Any, login: Any, org: Any) -> None:
    login(org.auditor)
    resp = client.post("/audit/verify")
    assert resp.status_code == 400
    assert "页面已过期或缺少安全令牌" in resp.get_data(as_text=True)
