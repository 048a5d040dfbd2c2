"""The main menu, grouped by what each role does.

Who may see an entry is not written here: it is read from the target view's
``roles_required`` (blueprints.web), so an entry is shown exactly when opening it does not
answer 403.  A view open to every signed-in user is a business page, hidden from a user who
holds administration roles only (三员分立).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, session


@dataclass(frozen=True)
class MenuEntry:
    label: str
    endpoint: str


@dataclass(frozen=True)
class MenuGroup:
    label: str
    entries: tuple[MenuEntry, ...]

    @property
    def blueprints(self) -> frozenset[str]:
        return frozenset(e.endpoint.partition(".")[0] for e in self.entries)


def _group(label: str, *entries: tuple[str, str]) -> MenuGroup:
    return MenuGroup(label, tuple(MenuEntry(name, endpoint) for name, endpoint in entries))


# 我的待办 stands alone (it carries the count badge); a group one user sees a single entry
# of is shown as that entry's link rather than as a dropdown.
MENU: tuple[MenuGroup, ...] = (
    _group("我的待办", ("我的待办", "main.inbox")),
    # 日常监管 (docs/daily.md) has no group of its own: one more would not fit the widest bar at
    # 1366 px (tests/browser/test_menu_layout.py); its tasks sit with the processes, its
    # objects with the registries.
    _group(
        "业务流程",
        ("业务流程目录", "processes.catalogue"),
        ("流程实例", "processes.instances"),
        ("日常监管任务", "daily.tasks_page"),
        ("任务警示", "daily.warnings"),
        ("灵活报表", "reports.index"),  # seed 004 §8.2 (docs/reports.md)
    ),
    _group(
        "一单两库",
        ("市场主体库", "entities.index"),
        ("监管对象库", "libraries.index"),
        ("抽查事项清单", "items.index"),
        ("部门联合抽查事项", "joint_items.index"),
        ("检查对象名录库", "directories.index"),
        ("执法检查人员名录库", "inspectors.index"),
        ("监管对象维护", "daily.objects_page"),
        ("监管认领", "daily.claim_page"),
        ("监管分类", "daily.categories_page"),
    ),
    _group(
        "双随机抽查",
        ("抽查计划", "plans.index"),
        ("抽查任务", "tasks.index"),
        ("公平性监测", "teams.fairness"),
        ("线索移送", "followups.clues"),
        ("抽查统计", "statistics.index"),
        ("一业一评、一业一册", "industry.index"),
        ("触发式对象库", "trigger.library"),
        ("触发式规则", "trigger.rules_page"),
        ("专项整治", "campaigns.index"),
        ("信用风险评分卡", "credit.cards_index"),
        ("抽查使用等级", "credit.basis"),
    ),
    _group(
        "信息归集",
        ("归集信息填报", "collection.index"),
        ("归集反馈", "collection.feedback_page"),
        ("归集成果", "collection.results"),
        ("归集监控", "collection.monitor_page"),
        # 监管预警 comes from the collected information (seed 004 §1.5 预警信息); a group of its own
        # would not fit the widest bar at 1366 px (tests/browser/test_menu_layout.py).
        ("风险库", "risk.warnings"),
        ("风险预警规则", "risk.rules"),
        ("法院调用记录", "court.calls"),
        ("送达信息统计", "court.statistics"),
        ("告知查询", "notice.index"),
        ("发证验证", "notice.verify_page"),
        ("信用沙盒", "sandbox.clues"),
        # 联合奖惩 shares the collected 惩戒信息 (seed 004 §5); a group of its own would not fit either.
        ("联合奖惩事项清单", "sanctions.catalogue_index"),
        ("联合奖惩对象名单", "sanctions.lists_index"),
        ("联合奖惩任务", "sanctions.tasks_index"),
        ("联合惩戒分类查询", "sanctions.objects"),
        ("联合惩戒批量验证", "sanctions.batch_checks"),
        ("惩戒信息统计", "sanctions.statistics"),
    ),
    _group(
        "联席会议",
        ("联席会议", "conferences.index"),
        ("联席会议计划及任务", "conference_plans.index"),
        ("无证无照经营综合治理", "unlicensed.index"),
        ("平台应用考核", "assessment.index"),
        # 效能管理 (docs/efficiency.md) is for leaders, 效能监察 and the office; a group of its own
        # would not fit the widest bar at 1366 px (tests/browser/test_menu_layout.py).
        ("效能管理", "efficiency.overview_page"),
    ),
    _group(
        "系统管理",
        ("部门管理", "admin.departments"),
        ("用户管理", "admin.users"),
        ("角色管理", "admin.roles"),
        ("接口凭证", "api_clients.index"),
        ("节假日", "calendar.index"),
        ("先照后证事项目录", "notice.catalogue_index"),
        ("审批部门对照", "notice.authorities"),
        ("审计日志", "audit.index"),
    ),
)


def required_roles(endpoint: str) -> frozenset[str] | None:
    """The role codes the view behind ``endpoint`` admits, or None when any user may open it."""
    view = current_app.view_functions[endpoint]
    roles = getattr(view, "required_roles", None)
    return None if roles is None else frozenset(str(r) for r in roles)


def may_open(user: Any, endpoint: str) -> bool:
    roles = required_roles(endpoint)
    if roles is None:
        return not user.is_admin_only
    return user.has_role(*roles)


def menu_for(user: Any) -> list[MenuGroup]:
    """The groups and entries ``user`` may open, in menu order; empty groups are left out."""
    if not user.is_authenticated or session.get("must_change_password"):
        return []
    groups = []
    for group in MENU:
        entries = tuple(e for e in group.entries if may_open(user, e.endpoint))
        if entries:
            groups.append(MenuGroup(group.label, entries))
    return groups
