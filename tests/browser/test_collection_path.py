"""信息归集 in a real browser: a 卫生健康局 clerk enters a permit online (code in lower case, dates
in two styles), enters one for an unknown entity (it goes to 归集反馈), imports penalties with a
bad row (仅导入有效行), and finds the permit on 归集成果 and the department on 归集监控."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from infrastructure.validators import uscc_check_char
from services.collection.templates import FACT_TEMPLATES
from tests.browser.conftest import screenshot
from tests.browser.conftest import signed_in as _as

pytestmark = pytest.mark.browser

CODE = "91510108MA6E00001" + uscc_check_char("91510108MA6E00001")
UNKNOWN = "91510108MA6E00002" + uscc_check_char("91510108MA6E00002")


def _entity(live) -> None:
    from sqlalchemy import select

    from models import Department, MarketEntity, db

    with live.app.app_context():
        if db.session.execute(select(MarketEntity.id).where(MarketEntity.uscc == CODE)).first() is None:
            district = db.session.execute(select(Department).where(Department.name == "锦华区")).scalar_one()
            db.session.add(MarketEntity(name="锦华区归集测试餐饮有限公司", uscc=CODE, entity_type="enterprise",
                                        division_code="510108001000", department_id=district.id))
            db.session.commit()


def _penalties() -> bytes:
    template = FACT_TEMPLATES["penalty"]
    wb = Workbook()
    ws = wb.active
    ws.title = template.sheet
    ws.append(list(template.titles))
    for values in ({"统一社会信用代码": CODE, "行政处罚决定书文号": "锦卫罚〔2026〕1号", "处罚决定日期": "2026年1月5日",
                    "罚没金额（元）": "伍拾万元"},
                   {"统一社会信用代码": CODE[:17] + ("0" if CODE[17] != "0" else "1"), "行政处罚决定书文号": "锦卫罚〔2026〕2号",
                    "处罚决定日期": "2026-01-06"}):
        ws.append([values.get(t, "") for t in template.titles])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_online_entry_feedback_import_results_and_monitor(browser, live_server):
    live = live_server
    _entity(live)
    ctx, clerk = _as(browser, live, "zhaom")
    clerk.get_by_text("信息归集", exact=True).click()
    clerk.get_by_role("link", name="归集信息填报").click()
    clerk.locator("tr", has_text="行政许可").get_by_role("link", name="在线填报").click()
    clerk.fill("#f-uscc", CODE.lower())
    clerk.fill("#f-permit_no", "JY25101080000001")
    clerk.fill("#f-name", "食品经营许可证")
    clerk.fill("#f-valid_from", "2026/1/5")
    clerk.fill("#f-valid_to", "2031年1月4日")
    screenshot(clerk, "collection-permit-form")
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.locator(".flash-success")).to_contain_text("已保存")
    expect(clerk.locator("dl.props")).to_contain_text("锦华区归集测试餐饮有限公司")
    expect(clerk.locator("dl.props")).to_contain_text("2031-01-04")

    clerk.goto(live.url + "/collection/permit/new")
    clerk.fill("#f-uscc", UNKNOWN)
    clerk.fill("#f-permit_no", "JY25101080000002")
    clerk.fill("#f-name", "食品经营许可证")
    clerk.get_by_role("button", name="提交").click()
    clerk.wait_for_url(re.compile(r".*/collection/feedback$"))
    expect(clerk.locator(".flash-warning")).to_contain_text("未匹配")
    expect(clerk.locator("table.grid")).to_contain_text(UNKNOWN)

    clerk.goto(live.url + "/imports/facts_penalty/")
    clerk.set_input_files("input[type=file]", files=[{
        "name": "处罚.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": _penalties()}])
    clerk.get_by_role("button", name="上传并校验").click()
    clerk.wait_for_url(re.compile(r".*/imports/facts_penalty/\d+$"))
    expect(clerk.locator(".stats")).to_contain_text("有效 1 行（确认导入时匹配市场主体），有问题 1 行")
    expect(clerk.locator("table.import-problems tr", has_text="第3行")).to_contain_text("校验码")
    clerk.once("dialog", lambda dialog: dialog.accept())
    clerk.get_by_role("button", name="仅导入有效行（1）").click()
    clerk.wait_for_url(re.compile(r".*/collection/penalty/$"))
    expect(clerk.locator(".flash-success")).to_contain_text("新增 1 条")
    expect(clerk.locator("table.grid")).to_contain_text("锦卫罚〔2026〕1号")

    clerk.goto(live.url + "/collection/results")
    expect(clerk.locator("table.grid")).to_contain_text("JY25101080000001")
    expect(clerk.locator("table.grid")).to_contain_text(CODE)
    clerk.goto(live.url + "/collection/monitor")
    expect(clerk.locator("table.grid")).to_contain_text("锦华区卫生健康局")
    screenshot(clerk, "collection-monitor")
    ctx.close()
