"""表19–表22 end to end in a real browser, up to the task in the inspectors' 我的待办.

(a) single: 表19 plan (uploaded file, elements, published) → split into a task → 表20 scheme →
    the leader approves → preview → 随机抽取检查对象 → 确认抽取结果 → 随机抽取执法人员 → 派发 →
    a drawn inspector of a 市场监管所 signs in, finds the task in 我的待办 and opens it.
(b) joint: 表21 plan (consult, the participant's feedback, form, 报联席会议办公室, the office
    approves and publishes) → task → 表22 scheme → review → 公示方案 → draw → each department
    draws its inspectors and dispatches → the members 确认参加 → the leader 组成联合检查组 → the
    task waits in the inspectors' inbox at 开展双随机检查.

Both check the public verification page (no stratum, seed or quota on it, only commitments) and
re-run the draw with the published draw_algorithm.py on the full record the task's clerk
downloads signed in, outside the app (``python3 -I``), which opens the public commitments.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Department, Draw, Task, TeamMember, db
from models.draws import DrawDomain
from models.org import DepartmentLevel
from models.roles import Role
from tests.browser.conftest import _dept, _user, screenshot
from tests.browser.conftest import signed_in as _as
from tests.browser.steps import fill_elements as _fill_elements
from tests.browser.steps import inspector as _inspector
from tests.factories.plans import PDF, joint_item, single_item
from tests.factories.tasks import fill_directory

pytestmark = pytest.mark.browser

GRADES = ("A类", "B类", "C类", "D类", "E类", "未分级", "信用风险分类")


def _setup(live, tag: str, *, joint: bool) -> dict:
    """A bureau of its own (clerk, leader) with a 市场监管所 of two inspectors; for (b) a
    participating bureau (clerk, one inspector) and the joint item; for (a) a key item."""
    with live.app.app_context():
        district = db.session.query(Department).filter_by(name="锦华区").one()
        bureau = _dept(f"锦华区双随机局{tag}", district, DepartmentLevel.BUREAU)
        station = _dept(f"锦华区双随机所{tag}", bureau, DepartmentLevel.STATION)
        _user(f"c{tag}", "双随机经办人", bureau, Role.CLERK)
        _user(f"l{tag}", "双随机领导", bureau, Role.DEPT_LEADER)
        _inspector(station, f"i1{tag}", f"执法甲{tag}")
        _inspector(station, f"i2{tag}", f"执法乙{tag}")
        ids = {"bureau": bureau.id}
        if joint:
            partner = _dept(f"锦华区协查局{tag}", district, DepartmentLevel.BUREAU)
            _user(f"p{tag}", "协查经办人", partner, Role.CLERK)
            _inspector(partner, f"i3{tag}", f"执法丙{tag}")
            joint_item(bureau, partner, name=f"联合检查事项{tag}")
            ids["partner"] = partner.id
        else:
            single_item(bureau, f"单部门检查事项{tag}")
        db.session.commit()
    return ids


def _task_of(live, name: str) -> int:
    with live.app.app_context():
        return db.session.execute(select(Task.id).where(Task.name == name)).scalar_one()


def _split_into_task(page, name: str, *, participant: int | None = None) -> None:
    form = page.locator("form.task-form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=start_date]").fill("2026-04-01")
    form.locator("input[name=end_date]").fill("2026-06-30")
    form.locator("input[name=inspectors-own]").fill("2")
    if participant is not None:
        form.locator(f"input[name=dept-{participant}]").check()
        form.locator(f"input[name=inspectors-{participant}]").fill("1")
    form.get_by_role("button", name="制定抽查任务").click()
    expect(page.locator(".flash-success")).to_have_text("已制定抽查任务")
    expect(page.locator("table.tasks")).to_contain_text(name)


def _scheme_approved(browser, live, tag: str, task_id: int, clerk) -> None:
    """表20/表22: the clerk writes the scheme (preview of the quotas) and submits it; the leader
    approves it from 我的待办."""
    clerk.goto(f"{live.url}/tasks/")
    clerk.locator("main").get_by_role("link", name=re.compile(tag)).first.click()
    clerk.wait_for_url(re.compile(rf".*/tasks/{task_id}$"))
    expect(clerk.locator(".scheme-form")).to_be_visible()
    clerk.fill("textarea[name=content]", "检查食品经营许可、从业人员健康管理")
    clerk.fill("textarea[name=duties]", "本局负责组织，市场监管所实施")
    clerk.fill("textarea[name=requirements]", "依法依规，进一次门查多项事")
    for stratum, ratio in (("A", "10"), ("B", "20"), ("C", "30"), ("D", "50"), ("E", "100"), ("-", "30")):
        clerk.fill(f"input[name='ratio_{stratum}']", ratio)
    clerk.get_by_role("button", name="预览抽取数量").click()
    expect(clerk.locator("#draw-preview .quota-total")).to_have_text("5")  # 20 × 10% + 10 × 30%
    clerk.get_by_role("button", name="提交审核").click()
    expect(clerk.locator(".flash-success")).to_contain_text("已提交审核")

    ctx, leader = _as(browser, live, f"l{tag}")
    leader.locator("tr", has_text="审核方案可行性").get_by_role("link", name="办理").first.click()
    leader.wait_for_url(re.compile(rf".*/tasks/{task_id}$"))
    leader.get_by_role("button", name="审核通过").click()
    expect(leader.locator(".flash-success")).to_have_text("审核通过")
    ctx.close()


def _draw_objects(clerk, task_id: int) -> str:
    """Preview, 随机抽取, 重新计算, 确认抽取结果; the public verification page's address."""
    clerk.reload()
    expect(clerk.locator("#draw-panel .quota-total")).to_have_text("5")
    clerk.get_by_role("button", name="随机抽取").click()
    expect(clerk.locator(".flash-success")).to_contain_text("名单已锁定")
    expect(clerk.locator("#object-list tbody tr")).to_have_count(5)
    expect(clerk.locator("#object-list thead")).to_contain_text("信用风险分类")  # the clerk sees grades
    clerk.get_by_role("button", name="重新计算").click()
    expect(clerk.locator("#verify-result")).to_contain_text("一致")
    href = clerk.locator("a.public-link").get_attribute("href")
    clerk.get_by_role("button", name="确认抽取结果").click()
    expect(clerk.locator(".flash-success")).to_contain_text("已确认抽取结果")
    expect(clerk.locator(".current-step")).to_have_text("随机抽取执法人员派发抽查任务")
    return href


def _download(page, link: str, tmp_path):
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    return target


def _verify_outside_the_app(browser, live, href: str, task_id: int, tmp_path, account: str) -> None:
    """Anyone: the public page — the list, the commitments, no seed, stratum or quota.  The
    task's clerk, signed in: the full record; the published script re-runs it outside the app
    and opens the commitments the public page shows (docs/draws.md)."""
    ctx = browser.new_context(locale="zh-CN", accept_downloads=True)
    anonymous = ctx.new_page()
    anonymous.goto(live.url + href)
    expect(anonymous.locator(".recompute")).to_have_text("重新计算：与存档结果一致")
    expect(anonymous.locator("#drawn-objects tbody tr")).to_have_count(5)
    body = anonymous.locator("main").inner_text()
    assert not [g for g in GRADES if g in body], body  # no stratum, named or
    assert not re.search(r"\bS[1-6]\b", body), body  # opaque
    public = {
        "seed": anonymous.locator(".seed-commitment code").inner_text().strip(),
        "population": anonymous.locator(".population-commitment code").inner_text().strip(),
        "strata": [c.strip() for c in anonymous.locator(".strata-commitments code").all_inner_texts()],
    }
    assert len(public["strata"]) == 6 and all(len(c) == 64 for c in [public["seed"], *public["strata"]])
    shown = [c.strip() for c in anonymous.locator("#drawn-objects tbody tr td:nth-child(3)").all_inner_texts()]
    assert shown == sorted(shown)  # key order, not stratum by stratum
    published = json.loads(_download(anonymous, "下载公开抽取记录（JSON）", tmp_path).read_text(encoding="utf-8"))
    assert not {"seed", "quotas", "population", "result"} & set(published)
    assert published["commitments"] == public and published["drawn_keys"] == shown
    script = _download(anonymous, "下载核验程序 draw_algorithm.py", tmp_path)
    ctx.close()

    # the entitled: the task's clerk, signed in, downloads the full record from the public page
    ectx, clerk = _as(browser, live, account)
    clerk.goto(live.url + href)
    record = _download(clerk, "完整抽取记录（需登录，限审计员和任务所属部门）", tmp_path)
    ectx.close()
    full = json.loads(record.read_text(encoding="utf-8"))
    assert set(full["quotas"]) <= set("ABCDE-") and full["salt"]

    # -I: isolated mode, so nothing of the app (or its path) is importable by the script.
    out = subprocess.run([sys.executable, "-I", str(script), str(record)], cwd=tmp_path, capture_output=True,
                         text=True, check=True, timeout=60).stdout.splitlines()
    digest = out[0].removeprefix("population digest ")
    by_stratum: dict[str, list[str]] = {}
    opened: dict[str, str] = {}
    for line in out[1:]:
        if line.startswith("commitment "):
            _, name, value = line.split(" ")
            opened[name] = value
        else:
            stratum, key = line.split(" ", 1)
            by_stratum.setdefault(stratum, []).append(key)
    with live.app.app_context():
        drawn = db.session.execute(
            select(Draw).where(Draw.task_id == task_id, Draw.domain == DrawDomain.OBJECT).order_by(Draw.id.desc())
        ).scalars().first()
        stored = {s: keys for s, keys in json.loads(drawn.result).items() if keys}
        stored_digest = drawn.population_digest
    assert digest == stored_digest == full["population_digest"]
    # the same lists per grade, each in rank order
    assert by_stratum == stored and sum(len(k) for k in by_stratum.values()) == 5
    # the full record opens the commitments the public page showed
    assert opened["seed"] == public["seed"] and opened["population"] == public["population"]
    assert [opened[s] for s in "ABCDE-"] == public["strata"]


def _draw_and_dispatch(page, department_id: int, count: int) -> None:
    part = page.locator(f"#part-{department_id}")
    part.get_by_role("button", name=f"随机抽取执法人员（{count}人）").click()
    expect(page.locator(".flash-success")).to_contain_text("已随机抽取执法人员")
    expect(page.locator(f"#part-{department_id} table.team tbody tr")).to_have_count(count)
    page.locator(f"#part-{department_id}").get_by_role("button", name="派发抽查任务").click()
    expect(page.locator(".flash-success")).to_contain_text("已派发抽查任务")


def _members(live, task_id: int) -> list[tuple[str, str]]:
    """(account, role) of the team's inspectors."""
    with live.app.app_context():
        rows = db.session.execute(select(TeamMember).where(TeamMember.task_id == task_id, TeamMember.active))
        return [(m.inspector.user.account, m.role.value) for m in rows.scalars()]


def _member_sees_the_task(browser, live, account: str, task_name: str, step: str, task_id: int) -> None:
    """我的待办 → 办理 (the task's 检查情况记录表 page, where 开展双随机检查 is done) → the task in
    /tasks → its page with the team, no grades."""
    ctx, page = _as(browser, live, account)
    row = page.locator("tr", has_text=task_name)
    expect(row).to_contain_text(step)
    row.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(rf".*/tasks/{task_id}/records$"))
    expect(page.locator("#current-step")).to_have_text(step)
    page.goto(live.url + "/tasks/")
    page.locator("main").get_by_role("link", name=task_name).click()
    page.wait_for_url(re.compile(rf".*/tasks/{task_id}$"))
    expect(page.locator("#team-panel .my-place")).to_contain_text("您是本检查组的")
    expect(page.locator("#object-list tbody tr")).to_have_count(5)
    objects = page.locator("#object-list").inner_text()
    assert not [g for g in GRADES if g in objects], objects
    ctx.close()


def test_single_random_check_from_plan_to_the_inspectors_inbox(browser, live_server, tmp_path):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    ids = _setup(live, tag, joint=False)
    plan_name = f"2026年度单部门双随机抽查计划{tag}"
    task_name = f"第二季度双随机抽查{tag}"
    doc = tmp_path / "抽查计划.pdf"
    doc.write_bytes(PDF)

    # 表19: the plan with its file, the elements, published, split into a task
    ctx, clerk = _as(browser, live, f"c{tag}")
    clerk.goto(live.url + "/plans/")
    clerk.get_by_role("link", name="建立单部门抽查计划").click()
    clerk.fill("input[name=name]", plan_name)
    clerk.fill("input[name=year]", "2026")
    clerk.set_input_files("input[name=document]", str(doc))
    clerk.get_by_role("button", name="建立抽查计划").click()
    clerk.wait_for_url(re.compile(r".*/plans/\d+$"))
    form = "form[action$='/elements']"
    clerk.locator(form).get_by_label(f"单部门检查事项{tag}").check()
    _fill_elements(clerk, form, name=plan_name, ratio="30")
    clerk.get_by_role("button", name="形成抽查计划").click()
    expect(clerk.locator(".flash-success")).to_have_text("已形成抽查计划并公开")
    _split_into_task(clerk, task_name)
    task_id = _task_of(live, task_name)
    with live.app.app_context():
        fill_directory(db.session.get(Task, task_id), {"A": 20, "C": 10})

    # 表20: scheme, approval, the objects drawn and confirmed
    _scheme_approved(browser, live, tag, task_id, clerk)
    href = _draw_objects(clerk, task_id)
    _verify_outside_the_app(browser, live, href, task_id, tmp_path, f"c{tag}")

    # 随机抽取执法人员派发抽查任务, from the task page's team panel
    expect(clerk.locator("#team-panel")).to_contain_text("尚未抽取")
    clerk.locator("#team-panel").get_by_role("link", name="检查组页面").click()
    clerk.wait_for_url(re.compile(rf".*/tasks/{task_id}/team$"))
    _draw_and_dispatch(clerk, ids["bureau"], 2)
    expect(clerk.locator("#current-step")).to_have_text("开展双随机检查")
    clerk.get_by_role("link", name="返回抽查任务").click()
    expect(clerk.locator("#team-panel h2")).to_contain_text("已派发")
    expect(clerk.locator("#team-panel .team-members tbody tr")).to_have_count(2)
    expect(clerk.locator("#team-panel .team-leader")).to_contain_text("组长")
    screenshot(clerk, "e2e-single-dispatched")
    ctx.close()

    members = _members(live, task_id)
    assert sorted(role for _, role in members) == ["leader", "member"]
    for account, _ in members:
        _member_sees_the_task(browser, live, account, task_name, "开展双随机检查", task_id)


def test_joint_random_check_from_plan_to_the_joint_team(browser, live_server, tmp_path):
    live = live_server
    tag = uuid.uuid4().hex[:6]
    ids = _setup(live, tag, joint=True)
    plan_name = f"2026年度部门联合抽查计划{tag}"
    task_name = f"联合双随机抽查{tag}"

    # 表21: select the joint item, consult, the participant's feedback
    ctx, clerk = _as(browser, live, f"c{tag}")
    clerk.goto(live.url + "/plans/new?kind=joint")
    clerk.get_by_label(re.compile(f"联合检查事项{tag}")).check()
    clerk.fill("input[name=year]", "2026")
    clerk.select_option("select[name=plan_type]", "annual")
    _fill_elements(clerk, "main form", name=plan_name, ratio="30")
    clerk.get_by_role("button", name="填写计划信息").click()
    clerk.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_url = clerk.url
    clerk.get_by_role("button", name="发送征求意见").click()
    expect(clerk.locator(".flash-success")).to_have_text("已发送征求意见")

    pctx, partner = _as(browser, live, f"p{tag}")
    partner.locator("tr", has_text=plan_name).get_by_role("link", name="办理").click()
    partner.wait_for_url(re.compile(r".*/plans/\d+$"))
    partner.fill("textarea[name=feedback]", "同意，我局派1名执法人员参加")
    partner.get_by_role("button", name="提出意见").click()
    expect(partner.locator(".flash-success")).to_have_text("已反馈意见")

    # form the plan, submit it to the conference office, which approves and publishes it
    clerk.goto(plan_url)
    expect(clerk.locator("table.parties")).to_contain_text("我局派1名执法人员参加")
    clerk.get_by_role("button", name="确认形成抽查计划").click()
    expect(clerk.locator(".current-step")).to_have_text("报联席会议办公室")
    clerk.get_by_role("button", name="报联席会议办公室审定").click()
    expect(clerk.locator(".flash-success")).to_have_text("已报联席会议办公室审定")
    octx, office = _as(browser, live, "zhengh")
    office.locator("tr", has_text=plan_name).get_by_role("link", name="办理").click()
    office.wait_for_url(re.compile(r".*/plans/\d+$"))
    office.get_by_role("button", name="审定通过").click()
    expect(office.locator("h1 .badge")).to_have_text("已公开")
    octx.close()

    # the task, with the participating department sending one inspector
    clerk.goto(plan_url)
    _split_into_task(clerk, task_name, participant=ids["partner"])
    task_id = _task_of(live, task_name)
    with live.app.app_context():
        fill_directory(db.session.get(Task, task_id), {"A": 20, "C": 10})

    # 表22: scheme, review, 公示方案 (the public page lists it), draw, confirm
    _scheme_approved(browser, live, tag, task_id, clerk)
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(live.url + "/public/schemes")
    expect(public.locator("main")).to_contain_text(task_name)
    public.context.close()
    href = _draw_objects(clerk, task_id)
    _verify_outside_the_app(browser, live, href, task_id, tmp_path, f"c{tag}")

    # each department draws its inspectors and dispatches
    clerk.locator("#team-panel").get_by_role("link", name="检查组页面").click()
    _draw_and_dispatch(clerk, ids["bureau"], 2)
    ctx.close()
    partner.goto(live.url + "/inbox")
    partner.locator("tr", has_text=task_name).get_by_role("link", name="办理").click()
    partner.wait_for_url(re.compile(rf".*/tasks/{task_id}/team$"))
    _draw_and_dispatch(partner, ids["partner"], 1)
    expect(partner.locator("#current-step")).to_have_text("组成联合检查组")
    pctx.close()

    # the members confirm, the leader (of the initiating department) forms the team
    members = _members(live, task_id)
    assert sorted(role for _, role in members) == ["leader", "member", "member"]
    leader = next(a for a, role in members if role == "leader")
    for account, role in members:
        if role == "leader":
            continue
        mctx, page = _as(browser, live, account)
        row = page.locator("tr", has_text=task_name)
        expect(row).to_contain_text("组成联合检查组")
        row.get_by_role("link", name="办理").click()
        page.get_by_role("button", name="确认参加").click()
        expect(page.locator(".flash-success")).to_contain_text("已确认参加联合检查组")
        mctx.close()
    lctx, page = _as(browser, live, leader)
    page.locator("tr", has_text=task_name).get_by_role("link", name="办理").click()
    expect(page.locator("#team-step")).to_contain_text("全体组员已确认参加")
    page.get_by_role("button", name="组成检查组").click()
    expect(page.locator(".flash-success")).to_contain_text("已组成联合检查组")
    expect(page.locator("#current-step")).to_have_text("开展双随机检查")
    screenshot(page, "e2e-joint-team-formed")
    lctx.close()

    # the task waits in every inspector's inbox, and the task page tells the whole story
    for account, _ in members:
        _member_sees_the_task(browser, live, account, task_name, "开展双随机检查", task_id)
