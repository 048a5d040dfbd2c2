"""Each process wired in one place (docs/architecture.md, "The engine and the bindings").

A process's steps and lanes are data (workflows/processes/).  What the engine needs from the
chapters is declared here, for every bound table:

- its pages (``PAGES``): the subject's page, the page that starts it, the steps done on the
  subject's page, and the steps done on a page of their own (``STEP_PAGES``).  Endpoints are
  named, not imported, so the CLI wires the processes without loading a blueprint;
  tests/test_process_wiring.py checks that each one exists in the app.
- the guards its transitions name (``GUARDS``), the handlers of its automatic steps
  (``AUTO_STEPS``) and the people who do a step in person (``ASSIGNEES``), all functions of
  the chapters' services.

``wire()`` registers all of it with the engine; create_app and the CLI (cli/commands.py)
call it.  A process not listed keeps the generic pages (/processes/<table>/start and the
instance page) and the engine's default for its automatic steps.
"""

from __future__ import annotations

from services import (
    conference_plans,
    directories,
    documents,
    inspections,
    inspector_draws,
    inspector_enrolment,
    items,
    joint_item_queries,
    joint_items,
    libraries,
    plan_queries,
    plans,
    schemes,
    task_access,
)
from services import inspectors as inspector_directory
from services.campaigns import access as campaigns
from services.court import sharing as court_sharing
from services.risk import rule_changes as risk_rule_changes
from services.sanctions import catalogue as sanction_catalogue
from services.sanctions import lists as sanction_lists
from services.sandbox import clues as sandbox_clues
from services.trigger import flow as trigger_flow
from services.unlicensed import access as unlicensed
from workflows import actions, assignees, bindings, guards
from workflows.actions import AutoAction
from workflows.assignees import AssigneeFn
from workflows.bindings import Binding
from workflows.guards import Guard


def _pages(
    tables: tuple[int, ...], subject_type: str, label: str, subject_endpoint: str, start_endpoint: str,
    steps: dict[int, tuple[str, ...]],
) -> list[Binding]:
    return [Binding(t, subject_type, label, subject_endpoint, start_endpoint, frozenset(steps[t])) for t in tables]


def _joint_item_pages() -> list[Binding]:
    return [
        Binding(t, joint_item_queries.SUBJECT, "部门联合抽查事项", "joint_items.open_subject",
                "joint_items.create" if t == joint_item_queries.ADD else "joint_items.index",
                frozenset(joint_item_queries.BUSINESS_STEPS[t]))
        for t in joint_item_queries.TABLES
    ]


# 表3 starts on the page that chooses how to add a library; 表4–表6 start from a library's
# page.  Every step is done on these pages, in the request that performs it.
_LIBRARY_STEPS = {
    3: ("choose_mode", "download_template", "upload", "filter", "store"),
    4: ("select", "confirm", "delete"),
    5: ("select", "add_tag"),
    6: ("select", "choose", "confirm_delete", "delete_tag", "edit_tag"),
}
_ITEM_STEPS = {7: ("add",), 8: ("select", "edit"), 9: ("select", "delete"), 10: ("select", "claim"),
               11: ("select", "assign")}
_DIRECTORY_STEPS = {
    directories.ADD_TABLE: ("select_item", "choose_mode", "download_template", "filter_entities", "filter_directories"),
    directories.DELETE_TABLE: ("choose_mode", "select_item", "select_directory", "confirm", "delete"),
}
_INSPECTOR_STEPS = {
    17: ("choose_mode", "download_template", "upload", "complete", "decide_role", "assign_role"),
    18: ("select", "choose", "confirm_delete", "delete", "edit"),
}

PAGES: list[Binding] = [
    *_pages((3,), libraries.SUBJECT_TYPE, "监管对象库", "libraries.detail", "libraries.create", _LIBRARY_STEPS),
    *_pages((4, 5, 6), libraries.SUBJECT_TYPE, "监管对象库", "libraries.detail", "libraries.index", _LIBRARY_STEPS),
    *_pages((7,), items.SUBJECT_TYPE, "抽查事项", "items.detail", "items.create", _ITEM_STEPS),
    *_pages((8, 9, 11), items.SUBJECT_TYPE, "抽查事项", "items.detail", "items.index", _ITEM_STEPS),
    *_pages((10,), items.SUBJECT_TYPE, "抽查事项", "items.detail", "items.claim_list", _ITEM_STEPS),
    *_joint_item_pages(),
    *_pages((directories.ADD_TABLE,), directories.SUBJECT_TYPE, "检查对象名录库", "directories.subject",
            "directories.new", _DIRECTORY_STEPS),
    *_pages((directories.DELETE_TABLE,), directories.SUBJECT_TYPE, "检查对象名录库", "directories.subject",
            "directories.delete_start", _DIRECTORY_STEPS),
    *_pages((17,), inspector_directory.SUBJECT_TYPE, "执法检查人员", "inspectors.subject", "inspectors.create",
            _INSPECTOR_STEPS),
    *_pages((18,), inspector_directory.SUBJECT_TYPE, "执法检查人员", "inspectors.subject", "inspectors.index",
            _INSPECTOR_STEPS),
    *_pages(plan_queries.TABLES, plan_queries.SUBJECT, "抽查计划", "plans.show", "plans.new",
            plan_queries.BUSINESS_STEPS),
    *_pages(task_access.TABLES, task_access.TASK_SUBJECT, "抽查任务", "tasks.show", "tasks.index",
            schemes.BUSINESS_STEPS),
    *_pages((conference_plans.TABLE,), conference_plans.SUBJECT, "联席会议计划", "conference_plans.show",
            "conference_plans.new", {conference_plans.TABLE: conference_plans.BUSINESS_STEPS}),
    *_pages((documents.TABLE,), documents.SUBJECT, "公文", "conferences.document", "conferences.index",
            {documents.TABLE: ("draft", "publish", "sign")}),
    *_pages((unlicensed.TABLE,), unlicensed.SUBJECT, "无证无照经营综合治理（成员单位）", "unlicensed.unit",
            "unlicensed.new", {unlicensed.TABLE: unlicensed.UNIT_STEPS}),
    # 表23: one instance per campaign; the inspectors' steps on their list of objects.
    *_pages((campaigns.TABLE,), campaigns.SUBJECT, "专项整治", "campaigns.show", "campaigns.new",
            {campaigns.TABLE: campaigns.BUSINESS_STEPS}),
    # 表25: one instance per rule change, from 提交审批 to the leader's decision (services/risk).
    *_pages((risk_rule_changes.TABLE,), risk_rule_changes.SUBJECT, "风险预警规则修改", "risk.change", "risk.rules",
            {risk_rule_changes.TABLE: risk_rule_changes.BUSINESS_STEPS}),
    # 表34: the 市法院's steps are its calls of /api/v1 (services/api/court.py): 获取 starts the
    # instance about the entity, the feedback call completes 进行案件送达 and 反馈.  Staff read it all
    # on the entity's court page.
    *_pages((court_sharing.TABLE,), court_sharing.SUBJECT, "企业送达信息共享（市场主体）", "court.entity",
            "api.get_court_entity", {court_sharing.TABLE: (court_sharing.SERVE, court_sharing.FEEDBACK)}),
    # 表28: one instance per trigger rule, from its saving to the check of what it helped extract.
    *_pages((trigger_flow.TABLE,), trigger_flow.SUBJECT, "触发式规则", "trigger.rule", "trigger.new_rule",
            {trigger_flow.TABLE: trigger_flow.BUSINESS_STEPS}),
    # 表27: one instance per clue (services/sandbox/clues.py); the library and the item list are
    # the 监管部门's pages, the partner's steps (and the entity's, which it reports) its API calls.
    *_pages((sandbox_clues.TABLE,), sandbox_clues.SUBJECT, "信用沙盒线索", "sandbox.clue", "sandbox.library",
            {sandbox_clues.TABLE: (sandbox_clues.LIBRARY_STEP, sandbox_clues.ITEMS_STEP,
                                   *sandbox_clues.PARTNER_STEPS)}),
    # 表30 starts on the entry form; 表31 from a published entry's page (选择维护).
    *_pages((sanction_catalogue.ADD_TABLE,), sanction_catalogue.SUBJECT, "联合奖惩事项", "sanctions.entry",
            "sanctions.catalogue_new", sanction_catalogue.BUSINESS_STEPS),
    *_pages((sanction_catalogue.MAINTAIN_TABLE,), sanction_catalogue.SUBJECT, "联合奖惩事项", "sanctions.entry",
            "sanctions.catalogue_index", sanction_catalogue.BUSINESS_STEPS),
    # 表29: the list's page (形成名单, 推送公示); the implementing departments' steps on the task list.
    *_pages((sanction_lists.TABLE,), sanction_lists.SUBJECT, "联合奖惩对象名单", "sanctions.list_page",
            "sanctions.lists_index", {sanction_lists.TABLE: sanction_lists.BUSINESS_STEPS}),
]

# 我的待办 of a team member opens the team page (组成联合检查组), and so does the clerks'
# 随机抽取执法人员派发抽查任务; 开展双随机检查 … 完成抽查 open the task's records.
STEP_PAGES: dict[tuple[int, str], str] = {
    (task_access.SINGLE_TABLE, inspector_draws.DRAW_STEP): "teams.page",
    (task_access.JOINT_TABLE, inspector_draws.DRAW_STEP): "teams.page",
    (task_access.JOINT_TABLE, inspector_draws.TEAM_STEP): "teams.page",
    **{
        (table, step): "inspections.task_records"
        for table in inspections.TABLES
        for step in (inspections.INSPECT_STEP, inspections.RECORD_STEP, inspections.REVIEW_STEP,
                     inspections.FINISH_STEP)
    },
    # 表24: the office's steps are done on the cycle's page, for every member unit at once.
    **{(unlicensed.TABLE, step): "unlicensed.office_page" for step in unlicensed.OFFICE_STEPS},
    # 表34: 进行案件送达 and 反馈案件信息及送达信息 are recorded by the court's feedback call.
    **{(court_sharing.TABLE, step): "api.post_court_feedback" for step in (court_sharing.SERVE, court_sharing.FEEDBACK)},
    # 表28: 提取监管对象 on the 触发式对象库 (filtered by the rule), 开展双随机检查 on the task.
    (trigger_flow.TABLE, trigger_flow.EXTRACT_STEP): "trigger.rule_extract",
    (trigger_flow.TABLE, trigger_flow.INSPECT_STEP): "trigger.rule_inspect",
    # 表23: each object's record is on its own page, reached from the inspector's list.
    **{(campaigns.TABLE, step): "campaigns.mine" for step in campaigns.OBJECT_STEPS},
    # 表27: 建立信用沙盒事项清单 on the item list; 第三方合作机构 through /api/v1/sandbox.
    (sandbox_clues.TABLE, sandbox_clues.ITEMS_STEP): "sandbox.items",
    (sandbox_clues.TABLE, sandbox_clues.TELL_STEP): "api.post_sandbox_clues_id_told",
    **{(sandbox_clues.TABLE, step): "api.post_sandbox_clues_id_feedback" for step in sandbox_clues.FEEDBACK_STEPS},
    **{(sanction_lists.TABLE, step): "sanctions.tasks_index" for step in ("receive", "execute", "record")},
}

GUARDS: dict[str, Guard] = {
    "has_account": inspector_enrolment.has_account,
    "no_account": inspector_enrolment.no_account,
    "ad_hoc_plan": plans.is_ad_hoc,
    "not_ad_hoc_plan": plans.is_not_ad_hoc,
    "has_participants": guards.has_participants,
}

AUTO_STEPS: dict[tuple[int, str], AutoAction] = {
    **{(table, "publish"): items.publish_item for table in (7, 8, 9)},
    (joint_item_queries.ADD, "publish"): joint_items.publish_added,
    (joint_item_queries.EDIT, "publish"): joint_items.publish_edited,
    (joint_item_queries.DELETE, "publish"): joint_items.publish_deleted,
    (directories.ADD_TABLE, "store"): directories.store_note,
    (inspector_directory.ADD_TABLE, "check_account"): inspector_enrolment.check_account_step,
    (inspector_directory.ADD_TABLE, "grant"): inspector_enrolment.grant_step,
    (inspector_directory.ADD_TABLE, "create_account"): inspector_enrolment.create_account_step,
    **{(table, "publish"): plans.publish_plan for table in plan_queries.TABLES},
    (task_access.JOINT_TABLE, "publish_scheme"): schemes.publish_scheme,
    **{(table, inspections.PUBLISH_STEP): inspections.publish_results for table in inspections.TABLES},
    (trigger_flow.TABLE, trigger_flow.MONITOR_STEP): trigger_flow.monitor_step,
    (sandbox_clues.TABLE, "monitor"): sandbox_clues.monitor_step,
    (sandbox_clues.TABLE, "push"): sandbox_clues.push_step,
    (sandbox_clues.TABLE, "sms"): sandbox_clues.sms_step,
    (sanction_lists.TABLE, "generate"): sanction_lists.generate_tasks,
}

ASSIGNEES: dict[tuple[int, str], AssigneeFn] = {
    (task_access.SINGLE_TABLE, inspector_draws.INSPECT_STEP): inspector_draws.team_assignees,
    (task_access.JOINT_TABLE, inspector_draws.TEAM_STEP): inspector_draws.team_assignees,
    (task_access.JOINT_TABLE, inspector_draws.INSPECT_STEP): inspector_draws.team_assignees,
    **{(table, inspections.RECORD_STEP): inspections.record_assignees for table in inspections.TABLES},
    **{(table, inspections.REVIEW_STEP): inspections.leader_assignee for table in inspections.TABLES},
    **{(table, inspections.FINISH_STEP): inspections.leader_assignee for table in inspections.TABLES},
}


_wired: list[bool] = []


def wire() -> None:
    """Register the declarations above with the engine, once per process (create_app runs
    more than once in the tests, and the CLI calls it too)."""
    if _wired:
        return
    _wired.append(True)
    for page in PAGES:
        bindings.bind(page.table, page.subject_type, page.subject_label, page.subject_endpoint,
                      start_endpoint=page.start_endpoint, business_steps=page.business_steps)
    for (table, step), endpoint in STEP_PAGES.items():
        bindings.bind_step_page(table, step, endpoint)
    for name, predicate in GUARDS.items():
        guards.register_guard(name, predicate)
    for (table, step), handler in AUTO_STEPS.items():
        actions.register_auto_step(table, step, handler)
    for (table, step), fn in ASSIGNEES.items():
        assignees.register_assignees(table, step, fn)
