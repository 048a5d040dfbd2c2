"""The role catalogue (GLOSSARY) and who may grant what.

Roles are a fixed catalogue in code, because the process engine's lanes refer to them;
which user holds which role is data (``UserRole``).  The three administration roles are
kept apart (三员分立): a user holds at most one of them, and none of them acts in business
processes by virtue of that role.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"
    DEPT_LEADER = "dept_leader"
    INSPECTOR = "inspector"
    CONFERENCE_OFFICE = "conference_office"
    MEMBER_LIAISON = "member_liaison"
    LEADING_DEPARTMENT = "leading_department"
    PARTNER = "partner_institution"
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"
    API_CLIENT = "api_client"
    EFFICIENCY = "efficiency_monitor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def description(self) -> str:
        return ROLE_DESCRIPTIONS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "监管部门经办人",
    Role.DEPT_LEADER: "部门领导",
    Role.INSPECTOR: "执法人员",
    Role.CONFERENCE_OFFICE: "联席会议办公室",
    Role.MEMBER_LIAISON: "成员单位联络员",
    Role.LEADING_DEPARTMENT: "牵头部门",
    Role.PARTNER: "第三方合作机构",
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDITOR: "审计员",
    Role.API_CLIENT: "接口调用方",
    Role.EFFICIENCY: "效能监察",
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.CLERK: "维护一单两库，制定抽查计划与方案，随机抽取检查对象和执法人员",
    Role.DEPT_LEADER: "审核抽查方案、名单变更和结果更正",
    Role.INSPECTOR: "开展检查，录入检查结果",
    Role.CONFERENCE_OFFICE: "审定部门联合事项和计划，下发公文和任务",
    Role.MEMBER_LIAISON: "代表成员单位签收公文和任务，上报工作台账",
    Role.LEADING_DEPARTMENT: "牵头负责联合奖惩事项清单",
    Role.PARTNER: "信用沙盒中接收线索并反馈整改情况（受限账号）",
    Role.SYSTEM_ADMIN: "管理本级及下级的部门和用户账号",
    Role.SECURITY_ADMIN: "为本级及下级用户分配角色",
    Role.AUDITOR: "查阅和导出审计日志",
    Role.API_CLIENT: "通过授权接口调用平台数据（如市法院）",
    Role.EFFICIENCY: "查看超过截止时间未办理的监管任务（效能监察部门）",
}

ADMIN_ROLES: frozenset[Role] = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
BUSINESS_ROLES: tuple[Role, ...] = tuple(r for r in Role if r not in ADMIN_ROLES)


def role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return code


def grantable_roles(granter_roles: set[str], same_department: bool) -> set[Role]:
    """Roles a security administrator may grant to a user in its subtree.

    Business roles may be granted anywhere in the subtree.  Administration roles may be
    granted only to users of a strictly lower department (seed 004 §2.4: a lower-level
    administrator cannot change the rights of an administrator of its own or a higher level).
    """
    if Role.SECURITY_ADMIN not in granter_roles:
        return set()
    roles = set(BUSINESS_ROLES)
    if not same_department:
        roles |= ADMIN_ROLES
    return roles
