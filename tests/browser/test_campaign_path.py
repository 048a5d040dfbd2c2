"""表23 in a real browser, the main path: the clerk drafts a 专项整治 and builds its object library
from a registry filter, the leader approves it, the clerk publishes, deploys and assigns the
inspector; the inspector records the object as 不符合法定条件 with a 责令改正 (its 通知书 PDF
downloads), and at the deadline 复查 finds it 已改正."""

from __future__ import annotations

import random
import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from infrastructure.passwords import hash_password
from models import CampaignObject, Department, User, UserRole, db, utcnow
from models.org import DepartmentKind, DepartmentLevel
from models.roles import Role
from persistence.org import place_department
from tests.browser.conftest import PASSWORD, screenshot
from tests.factories.directories import make_entity

pytestmark = pytest.mark.browser
TODAY = date(2026, 11, 4)


def _as(browser, live, account):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def _bureau(live, tag):
    """A bureau of its own in 锦华区 (so no other test's 我的待办 changes), its clerk, leader and
    inspector, and one entity whose 经营范围 names the tag."""
    with live.app.app_context():
        district = db.session.execute(select(Department).where(Department.name == "锦华区")).scalar_one()
        bureau = Department(name=f"锦华区专项整治局{tag}", parent=district, level=DepartmentLevel.BUREAU,
                            kind=DepartmentKind.SUPERVISION, region_code=district.region_code)
        db.session.add(bureau)
        db.session.flush()
        place_department(bureau, district)
        people = {}
        for key, name, role in (("c", "专项经办人", Role.CLERK), ("l", "专项领导", Role.DEPT_LEADER),
                                ("i", "专项执法员", Role.INSPECTOR)):
            user = User(account=f"{key}{tag}", name=name, department=bureau, password_hash=hash_password(PASSWORD),
                        must_change_password=False, password_changed_at=utcnow())
            user.roles = [UserRole(role=str(role))]
            db.session.add(user)
            people[key] = user
        db.session.flush()
        make_entity(people["c"], random.randint(10000, 99999), name=f"浏览器专项{tag}餐饮店",
                    business_scope=f"餐饮服务{tag}")
        db.session.commit()


def test_campaign_approved_published_ordered_and_corrected(browser, live_server):
    live, tag = live_server, uuid.uuid4().hex[:6]
    live.app.config["PLANS_TODAY"] = TODAY
    try:
        _bureau(live, tag)
        clerk_ctx, clerk = _as(browser, live, f"c{tag}")
        clerk.goto(f"{live.url}/campaigns/new")
        clerk.fill("input[name=title]", f"餐饮专项整治{tag}")
        clerk.fill("textarea[name=basis]", "《中华人民共和国食品安全法》")
        clerk.fill("textarea[name=scope]", "锦华区餐饮服务提供者")
        clerk.fill("input[name=starts_on]", "2026-10-01")
        clerk.fill("input[name=ends_on]", "2026-12-31")
        clerk.check("input[name=modes][value=信用监管]")
        clerk.click("main button[type=submit]")
        expect(clerk.locator(".flash-success")).to_be_visible()
        campaign_url = clerk.url
        clerk.check("#library input[name=ungraded]")  # a new entity has no credit grade yet
        clerk.fill("#library input[name=scope_word]", tag)
        clerk.click("#library .library-build button")
        expect(clerk.locator("#library h2")).to_contain_text("专项整治对象库（1户）")
        clerk.click("#submit button")
        expect(clerk.locator(".flash-success")).to_be_visible()

        leader_ctx, leader = _as(browser, live, f"l{tag}")
        leader.goto(campaign_url)
        leader.fill("textarea[name=approval_note]", "同意")
        leader.click("#approve button[value=approve]")
        expect(leader.locator(".flash-success")).to_be_visible()

        clerk.goto(campaign_url)
        clerk.click("#publish button")
        expect(clerk.locator(".flash-success")).to_be_visible()
        clerk.fill("textarea[name=deploy_note]", "全区部署")
        clerk.click("#deploy button")
        clerk.check("#assign input[name=inspectors]")
        clerk.click("#assign button")
        expect(clerk.locator(".flash-success")).to_contain_text("已指派执法人员（1户）")

        inspector_ctx, inspector = _as(browser, live, f"i{tag}")
        inspector.goto(f"{campaign_url}/mine")
        inspector.click(f"text=浏览器专项{tag}餐饮店")
        inspector.fill("textarea[name=report_text]", "后厨卫生不达标")
        inspector.check("input[name=lawful][value=no]")
        inspector.check("input[name=order_needed][value=yes]")
        inspector.fill("input[name=order_days]", "5")
        inspector.fill("textarea[name=order_problem]", "后厨地面积水")
        inspector.click("#record button")
        link = inspector.get_by_role("link", name="责令改正通知书（PDF）")
        expect(link).to_be_visible()
        notice = inspector.request.get(live.url + link.get_attribute("href"))
        assert notice.ok and notice.headers["content-type"] == "application/pdf" and notice.body()[:4] == b"%PDF"
        screenshot(inspector, "campaign_order")

        with live.app.app_context():  # the deadline has come
            obj = db.session.execute(select(CampaignObject).join(CampaignObject.entity).where(
                CampaignObject.order_no != "", CampaignObject.inspector.has(account=f"i{tag}"))).scalar_one()
            live.app.config["PLANS_TODAY"] = obj.order_due
        inspector.reload()
        inspector.check("#recheck input[name=corrected][value=yes]")
        inspector.click("#recheck button")
        expect(inspector.locator("dl")).to_contain_text("已改正")
        for ctx in (clerk_ctx, leader_ctx, inspector_ctx):
            ctx.close()
    finally:
        live.app.config.pop("PLANS_TODAY", None)
