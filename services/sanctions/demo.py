"""The demo district's 联合奖惩 (``flask demo``, cli/demo.py): 成华区发展和改革局 (何静, 牵头部门)
publishes two entries of the 联合奖惩事项清单 — a punishment whose measures 卫生健康局, 应急管理局
and the 市场监督管理局 itself implement, and a reward — and 王晓燕 (成华区市场监督管理局, 发起部门)
forms a list of two entities of the registry and one person and pushes it to 信用中国(四川成都)
公示, so the tasks are generated: 卫生健康局 (赵敏) has received its tasks and recorded a result
for one, 应急管理局 has its tasks waiting in 我的待办, and the bureau's own tasks are in 王晓燕's.
Idempotent: skipped once the catalogue has an entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from infrastructure.clock import china_today
from infrastructure.validators import id_number_check_char
from models import MarketEntity, SanctionEntry, SanctionTask, User, db
from persistence.scope import scope_entities
from services.sanctions import catalogue, lists, tasks

ENTRIES = (
    ({"kind": "punish", "nature": "严重违法失信名单", "behaviour": "严重违法失信企业", "source_agency": "成华区市场监督管理局",
      "legal_basis": "《关于对严重违法失信企业开展联合惩戒的合作备忘录》"},
     (("成华区卫生健康局", "限制参加政府采购活动"), ("成华区应急管理局", "限制取得安全生产许可"),
      ("成华区市场监督管理局", "列为重点监管对象，提高抽查比例和频次"))),
    ({"kind": "reward", "nature": "", "behaviour": "诚信示范企业", "source_agency": "成华区发展和改革局",
      "legal_basis": "《关于对诚信典型企业实施联合激励的合作备忘录》"},
     (("成华区商务局", "优先安排扶持资金"), ("成华区市场监督管理局", "行政审批“绿色通道”"))),
)


def _user(account: str) -> User | None:
    return db.session.execute(select(User).where(User.account == account)).scalar_one_or_none()


def _department_ids(lead: User, names: tuple[str, ...]) -> list[str]:
    by_name = {d.name: d.id for d in catalogue.implementing_choices(lead)}
    return [str(by_name[n]) for n in names if n in by_name]


def load_demo_sanctions() -> None:
    lead, clerk, health, safety = (_user(a) for a in ("hej", "wangxy", "zhaom", "wul"))
    if None in (lead, clerk, health, safety) or db.session.execute(select(SanctionEntry.id)).first():
        return
    assert lead is not None and clerk is not None and health is not None
    today = china_today()
    published = []
    for form, measures in ENTRIES:
        data = {**form, "starts_on": (today - timedelta(days=90)).isoformat(),
                "ends_on": (today + timedelta(days=3 * 365)).isoformat()}
        departments = _department_ids(lead, tuple(n for n, _ in measures))
        fields = catalogue.read_form(lead, data, departments, [c for n, c in measures if n])
        entry = catalogue.create_entry(lead, fields)
        catalogue.publish(lead, entry)
        published.append(entry)
    found = list(db.session.execute(scope_entities(select(MarketEntity), clerk).where(MarketEntity.uscc != "")
                                    .order_by(MarketEntity.id).limit(2)).scalars())
    decided = (today - timedelta(days=30)).isoformat()
    until = (today + timedelta(days=3 * 365)).isoformat()
    rows = [{"subject": "entity", "code": e.uscc, "entry": str(published[0].id), "basis": f"成华市监罚〔{today.year}〕{n}号",
             "decided_on": decided, "valid_until": until} for n, e in enumerate(found, start=1)]
    first17 = "51010819850312123"
    rows.append({"subject": "person", "code": first17 + id_number_check_char(first17), "name": "刘某某",
                 "entry": str(published[0].id), "basis": f"（{today.year}）川0108执123号", "decided_on": decided,
                 "valid_until": until})
    lst = lists.create_list(clerk, f"{today.year}年第一批严重违法失信企业名单")
    lists.add_objects(clerk, lst, rows)
    lists.form_list(clerk, lst)
    lists.publicize(clerk, lst)
    mine = list(db.session.execute(select(SanctionTask).where(SanctionTask.department_id == health.department_id)
                                   .order_by(SanctionTask.id)).scalars())
    if mine:
        tasks.receive(health, [t.id for t in mine])
        tasks.execute(health, [mine[0].id])
        tasks.record_result(health, mine[0], "已限制其参加本局组织的政府采购活动")
    db.session.flush()
