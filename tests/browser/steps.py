"""Steps the browser tests share: data made in the live server, forms filled in a page."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from models import Department, Inspector, MarketEntity, User, db
from models.entity import EntityType
from models.roles import Role
from services import inspector_draws as draws
from services import teams
from tests.browser.conftest import _user
from tests.factories.teams import make_task, start_task


def inspector(dept: Department, account: str, name: str) -> Inspector:
    user = _user(account, name, dept, Role.INSPECTOR)
    inspector = Inspector(department_id=dept.id, name=name, cert_no=f"ZF{account}", cert_valid_from=date(2020, 1, 1),
                          cert_valid_to=date(2099, 12, 31), random_permission=True, user_id=user.id)
    db.session.add(inspector)
    db.session.flush()
    return inspector


def dispatched_task(live, tag: str, joint: bool) -> SimpleNamespace:
    with live.app.app_context():
        bureau = db.session.query(Department).filter_by(name="锦华区市场监督管理局").one()
        health = db.session.query(Department).filter_by(name="锦华区卫生健康局").one()
        org = SimpleNamespace(
            bureau_a=bureau,
            clerk_a=db.session.query(User).filter_by(account="wangxy").one(),
            leader_a=db.session.query(User).filter_by(account="lijg").one(),
        )
        for other in db.session.query(Inspector).filter(Inspector.department_id.in_([bureau.id, health.id])):
            other.random_permission = False
        lead = inspector(bureau, f"lead{tag}", f"王堃{tag}")
        if not joint:
            inspector(bureau, f"memb{tag}", f"李喆{tag}")
        partner = inspector(health, f"hlth{tag}", f"赵昇{tag}") if joint else None
        entity = MarketEntity(name=f"锦华区𬌗记餐饮店{tag}", uscc=f"92510108{tag.upper()}0000"[:18],
                              entity_type=EntityType.INDIVIDUAL, division_code="510108001000",
                              division_name="锦华区", industry_code="H6210", phone="13800000000",
                              legal_rep="孙堃", department_id=bureau.id)
        db.session.add(entity)
        db.session.flush()
        task = make_task(org, inspectors=1 if joint else 2, participants=(health,) if joint else (),
                         participant_inspectors=1, entities=[entity], name=f"餐饮抽查任务{tag}")
        start_task(org, task)
        draws.draw_inspectors(org.clerk_a, task, bureau.id)
        if joint:
            draws.draw_inspectors(db.session.query(User).filter_by(account="zhaom").one(), task, health.id)
        draws.dispatch(org.clerk_a, task, bureau.id)
        if joint:
            draws.dispatch(db.session.query(User).filter_by(account="zhaom").one(), task, health.id)
            teams.confirm(partner.user, task)
            teams.form_team(lead.user, task)
        db.session.commit()
        # the leader is the first drawn of the initiating department (random in the single task)
        chief = draws.leader_of(task).inspector.user.account
        others = [a for a in (f"lead{tag}", f"memb{tag}", f"hlth{tag}") if a != chief]
        members = [chief, others[0] if not joint else f"hlth{tag}"]
        return SimpleNamespace(task_id=task.id, name=task.name, members=members, entity=entity.name,
                               departments=[bureau.id, health.id] if joint else [bureau.id])


def fill_elements(page, scope, *, name, ratio="5", count="30", start="2026-04-01", end="2026-10-31"):
    form = page.locator(scope)
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=objects]").fill("餐饮服务经营者")
    form.locator("input[name=ratio]").fill(ratio)
    form.locator("input[name=sample_size]").fill(count)
    form.locator("input[name=start_date]").fill(start)
    form.locator("input[name=end_date]").fill(end)
    form.locator("input[name=methods][value=实地核查]").check()
    form.locator("input[name=levels][value=区县级]").check()
