"""The lanes (参与角色) of the standard's processes, each once.

监管部门 is the instance's own department acting through its clerks and leaders; 发起部门,
参与部门, 实施部门 and 成员单位 are relations of a department to one instance; 智慧监管平台 is
the system's own lane.  The standard's typo 联系会议办公室 is written 联席会议办公室 here.
"""

from __future__ import annotations

from models.roles import Role
from workflows.model import Lane, LaneKind

# Relations a department can hold to an instance (InstanceParty.relation).
OWNER = "owner"
INITIATOR = "initiator"
PARTICIPANT = "participant"
IMPLEMENTER = "implementer"
MEMBER = "member"
CONFERENCE = "conference_office"
COURT = "court"

# Departments whose inspectors make up an instance's teams (执法人员 of 联合检查组).
TEAM_RELATIONS = (OWNER, INITIATOR, PARTICIPANT, MEMBER, IMPLEMENTER)

RELATION_LABELS = {
    OWNER: "监管部门",
    INITIATOR: "发起部门",
    PARTICIPANT: "参与部门",
    IMPLEMENTER: "实施部门",
    MEMBER: "成员单位",
    CONFERENCE: "联席会议办公室",
    COURT: "市法院",
}

_DEPT_ROLES = (Role.CLERK, Role.DEPT_LEADER)

SUPERVISION_DEPT = Lane("监管部门", LaneKind.RELATION, _DEPT_ROLES, OWNER)
INITIATOR_DEPT = Lane("发起部门", LaneKind.RELATION, _DEPT_ROLES, INITIATOR)
PARTICIPANT_DEPT = Lane("参与部门", LaneKind.RELATION, _DEPT_ROLES, PARTICIPANT)
IMPLEMENTING_DEPT = Lane("实施部门", LaneKind.RELATION, _DEPT_ROLES, IMPLEMENTER)
MEMBER_UNIT = Lane("成员单位", LaneKind.RELATION, (Role.MEMBER_LIAISON,), MEMBER)
CONFERENCE_OFFICE = Lane("联席会议办公室", LaneKind.RELATION, (Role.CONFERENCE_OFFICE,), CONFERENCE)
LEADING_DEPT = Lane("牵头部门", LaneKind.RELATION, (Role.LEADING_DEPARTMENT,), OWNER)
INSPECTOR = Lane("执法人员", LaneKind.RELATION, (Role.INSPECTOR,), OWNER, subtree=True)
PLATFORM = Lane("智慧监管平台", LaneKind.PLATFORM)
PARTNER = Lane("第三方合作机构", LaneKind.EXTERNAL, (Role.PARTNER,), OWNER)
# 市场主体 have no accounts: what they do is recorded by the partner institution that hears of it.
MARKET_ENTITY = Lane("市场主体", LaneKind.EXTERNAL, (Role.PARTNER,), OWNER)
COURT_LANE = Lane("市法院", LaneKind.EXTERNAL, (Role.API_CLIENT,), COURT)
