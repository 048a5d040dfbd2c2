"""Who can do a team member's work: the one predicate the team, task-records and 我的待办 pages
and the inspector draw's eligibility share, so a drawn inspector can always act.

The member's steps (确认参加, 组成联合检查组, 检查完成, 开展双随机检查, 录入检查结果, 审核, 完成抽查)
are open to the 执法人员 role (blueprints/teams, blueprints/inspections); an inspector whose
account lacks it would be drawn, even as 组长, and then refused by their own 我的待办.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from models import Inspector, User, UserRole
from models.roles import Role

TEAM_WORK_ROLE = Role.INSPECTOR
NO_WORK_ROLE = f"账号无{TEAM_WORK_ROLE.label}角色"  # the draw panel's reason


def can_do_team_work(user: User) -> bool:
    """Whether ``user``'s account may act as a team member (the views' role check)."""
    return user.has_role(TEAM_WORK_ROLE)


def account_can_do_team_work() -> ColumnElement[bool]:
    """The same as a SQL condition on ``Inspector.user_id`` (eligible_inspectors)."""
    return exists().where(UserRole.user_id == Inspector.user_id, UserRole.role == str(TEAM_WORK_ROLE))
