"""双告知 in a real browser (docs/notice.md): the approval department's clerk finds the 抄告 in
我的待办, opens it (接收回执 is sent on opening) and answers it with 已发证."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import AuthorityMapping, Department, User, db
from tests.browser.conftest import screenshot
from tests.browser.conftest import sign_in as _sign_in
from tests.factories.directories import make_entity
from tests.factories.notice import CATERING, FOOD, authority

pytestmark = pytest.mark.browser


def test_the_approval_clerk_receives_and_answers_a_notice(page, live_server):
    n = random.randint(88000, 88999)
    name = f"锦华区告知测试{n}食品有限公司"
    with live_server.app.app_context():
        health = db.session.query(Department).filter_by(name="锦华区卫生健康局").one()
        city = db.session.query(Department).filter_by(name="测试市").one()
        for source in (FOOD, CATERING):  # the catalogue's food names → the 卫生健康局, at the top of the area
            found = authority(source)
            if db.session.execute(select(AuthorityMapping.id).where(AuthorityMapping.authority_id == found.id,
                                                                   AuthorityMapping.region_id == city.id)).first() is None:
                db.session.add(AuthorityMapping(authority_id=found.id, region_id=city.id, department_id=health.id))
        db.session.commit()
        clerk = db.session.query(User).filter_by(account="wangxy").one()
        make_entity(clerk, n, name=name, business_scope="食品生产")
        db.session.commit()

    _sign_in(page, live_server, "zhaom")
    page.wait_for_url(re.compile(r".*/inbox$"))
    row = page.locator(".notices-waiting tr", has_text=name)
    expect(row).to_contain_text("接收抄告")
    row.get_by_role("link", name="办理").click()
    expect(page.locator("h1")).to_have_text("抄告信息")
    expect(page.locator(".receipt")).to_contain_text("回执人：赵敏")  # the receipt is sent on opening
    page.fill("input[name=permit_no]", f"SC{n}")
    page.fill("input[name=issued_on]", "2026-03-05")
    page.get_by_role("button", name="已发证").click()
    expect(page.locator(".feedback")).to_contain_text(f"许可证号：SC{n}")
    expect(page.locator(".feedback .badge")).to_have_text("已发证")
    screenshot(page, "notice_answered")
