"""Main paths in a real browser: sign in, 我的待办 with the htmx badge, a swimlane page,
acting on an instance, and the forced change of an initial password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, screenshot
from tests.browser.conftest import sign_in as _sign_in

pytestmark = pytest.mark.browser


def _count_of(live, account: str) -> int:
    from sqlalchemy import select

    from models import User, db
    from services.todo_count import todo_count

    with live.app.app_context():
        count = todo_count(db.session.execute(select(User).where(User.account == account)).scalar_one())
    assert count >= 1
    return count


def test_sign_in_inbox_swimlane_and_act(page, live_server):
    _sign_in(page, live_server, "wangxy")
    page.wait_for_url(re.compile(r".*/inbox$"))
    expect(page.locator("h1")).to_have_text("我的待办")
    expect(page.get_by_text("餐饮服务联合抽查事项")).to_be_visible()
    # the header badge is filled by htmx after load, with the user's count (other browser tests
    # of this session may have left wangxy work of their own, so it is asked, not assumed)
    expect(page.locator("#inbox-count")).to_have_text(str(_count_of(live_server, "wangxy")))
    path = screenshot(page, "inbox")
    assert path.stat().st_size > 10_000

    page.goto(live_server.url + "/processes/12")
    svg = page.locator(".diagram svg")
    expect(svg).to_be_visible()
    assert page.locator('.diagram [data-step="participate"]').count() == 1
    box = svg.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 200
    screenshot(page, "swimlane-12")

    page.goto(live_server.url + "/inbox")
    page.locator("tr", has_text="餐饮服务联合抽查事项").get_by_role("link", name="办理").first.click()
    page.wait_for_url(re.compile(r".*/processes/instances/\d+$"))
    expect(page.locator("dl.props")).to_contain_text("确定风险分类结果")
    # 表23 is bound to the 专项整治 pages (docs/campaigns.md): the step is done there, so the
    # instance page offers no bare "确定" button for it
    assert page.get_by_role("button", name="确定").count() == 0
    screenshot(page, "instance-bound-step")


def test_wrong_password_shows_chinese_message(page, live_server):
    _sign_in(page, live_server, "wangxy", "wrong-password")
    expect(page.locator(".flash-error")).to_contain_text("账号或密码错误")
    _sign_in(page, live_server, "no-such-user", "wrong-password")
    expect(page.locator(".flash-error")).to_contain_text("账号或密码错误")


def test_initial_password_must_be_changed(page, live_server):
    _sign_in(page, live_server, "newbie")
    page.wait_for_url(re.compile(r".*/password$"))
    page.goto(live_server.url + "/inbox")
    page.wait_for_url(re.compile(r".*/password$"))
    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=new]", "Changed#2026x")
    page.fill("input[name=confirm]", "Changed#2026x")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    expect(page.get_by_text("密码已修改")).to_be_visible()


def test_wide_diagram_prints_in_legible_windows(page, live_server):
    _sign_in(page, live_server, "wangxy")
    page.wait_for_url(re.compile(r".*/inbox$"))
    page.goto(live_server.url + "/processes/23")
    expect(page.locator(".diagram-screen")).to_be_visible()
    expect(page.locator(".diagram-print")).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator(".diagram-screen")).to_be_hidden()
    tiles = page.locator(".diagram-print .diagram-tile")
    assert tiles.count() >= 3
    expect(page.locator(".topbar")).to_be_hidden()
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "print-23.pdf").write_bytes(pdf)


def test_administrator_and_auditor_see_only_their_pages(page, live_server):
    _sign_in(page, live_server, "xitong")
    page.wait_for_url(re.compile(r".*/admin/users"))
    expect(page.locator("nav.menu")).to_contain_text("部门管理")
    expect(page.locator("nav.menu")).not_to_contain_text("我的待办")
    expect(page.locator("main")).to_contain_text("王晓燕")
    screenshot(page, "admin-users")
    page.goto(live_server.url + "/admin/departments")
    expect(page.locator("main")).to_contain_text("锦华区市场监督管理局")
    screenshot(page, "admin-departments")
    page.goto(live_server.url + "/audit/")
    expect(page.locator("h1")).to_have_text("无权访问")

    page.context.clear_cookies()
    _sign_in(page, live_server, "shenji")
    page.wait_for_url(re.compile(r".*/audit/"))
    expect(page.locator("main")).to_contain_text("登录")
    screenshot(page, "audit")


def test_a_large_import_shows_a_progress_bar_then_the_result(page, live_server):
    """An import above IMPORT_JOB_ROWS becomes a background job: the batch page shows the
    polling status panel with its progress bar, then the result.  The test runs the job
    itself once the bar is on screen (JOBS_RUNNER=external), so nothing depends on timing."""
    from infrastructure.validators import uscc_check_char
    from models import db
    from persistence import jobs

    app = live_server.app
    saved = {k: app.config.get(k) for k in ("JOBS_RUNNER", "IMPORT_JOB_ROWS")}
    app.config.update(JOBS_RUNNER="external", IMPORT_JOB_ROWS=5)
    try:
        lines = ["主体名称,统一社会信用代码,主体类型,行政区划编码,登记状态"]
        for i in range(8):
            body = f"91510108MA6JB{i:04d}"  # codes no other browser test uses
            lines.append(f"锦华区浏览器测试商行{i},{body + uscc_check_char(body)},个体工商户,510108,存续")
        _sign_in(page, live_server, "wangxy")
        page.wait_for_url(re.compile(r".*/inbox$"))
        page.goto(live_server.url + "/imports/entities/")
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "名录.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()}],
        )
        page.get_by_role("button", name="上传并校验").click()
        page.wait_for_url(re.compile(r".*/imports/entities/\d+$"))
        page.get_by_role("button", name=re.compile("全部导入")).click()
        panel = page.locator(".job-panel")
        expect(panel.locator("progress")).to_be_visible()
        expect(panel).to_have_attribute("data-job-status", "queued")
        expect(panel).to_contain_text("排队中")
        screenshot(page, "import-job-progress")

        with app.app_context():
            try:
                assert jobs.run_pending() == 1
            finally:
                db.session.remove()
        # the panel polls itself every second and then shows the outcome
        expect(page.locator(".job-panel .job-result")).to_contain_text("已导入：新增 8 个", timeout=10_000)
        expect(page.locator(".job-panel")).to_have_attribute("data-job-status", "done")
        expect(page.locator(".job-panel .job-percent")).to_have_text("100%")
        screenshot(page, "import-job-done")
        page.get_by_role("link", name="查看结果").click()
        expect(page.locator("main")).to_contain_text("该批次已导入：新增 8 个")
    finally:
        app.config.update(saved)
