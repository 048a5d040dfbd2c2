"""7.2 单部门 and 7.3 部门联合“双随机、一公开”抽查业务流程 (表19–表22)."""

from models.roles import Role
from workflows.lanes import (
    CONFERENCE_OFFICE,
    INITIATOR_DEPT,
    INSPECTOR,
    PARTICIPANT,
    PARTICIPANT_DEPT,
    PLATFORM,
    SUPERVISION_DEPT,
)
from workflows.model import END, Process, Step, StepKind, Transition, TransitionKind

SINGLE_PLAN = Process(
    table=19,
    section="7.2.1",
    title="制定单部门双随机抽查计划业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        # "单部门联合" is the standard's wording for this single-department step.
        Step("draft", "建立单部门联合双随机抽查计划", (SUPERVISION_DEPT,), document="抽查计划文件"),
        Step("elements", "确定抽查要素形成抽查计划", (SUPERVISION_DEPT,)),
        Step("publish", "公开抽查计划", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("draft", "elements", "上传计划文件"),
        Transition("elements", "publish", "形成抽查计划"),
        Transition("publish", END),
    ),
)

SINGLE_RANDOM_CHECK = Process(
    table=20,
    section="7.2.2",
    title="单部门双随机抽查业务流程",
    lanes=(SUPERVISION_DEPT, INSPECTOR, PLATFORM),
    steps=(
        Step("scheme", "根据计划制定双随机抽查方案", (SUPERVISION_DEPT,), roles=(Role.CLERK,), document="抽查方案"),
        Step(
            "review_scheme", "审核方案可行性", (SUPERVISION_DEPT,), StepKind.DECISION, roles=(Role.DEPT_LEADER,)
        ),
        Step("draw_objects", "根据风险分类结果随机抽取检查对象", (SUPERVISION_DEPT,), roles=(Role.CLERK,)),
        Step("draw_inspectors", "随机抽取执法人员派发抽查任务", (SUPERVISION_DEPT,), roles=(Role.CLERK,)),
        Step("inspect", "开展双随机检查", (INSPECTOR,), document="检查情况记录表"),
        Step("record", "录入检查结果", (INSPECTOR,)),
        Step("review_results", "审核检查结果一致性、规范性", (INSPECTOR,), StepKind.DECISION),
        Step("publish", "公示检查结果", (PLATFORM,), StepKind.AUTO),
        Step("finish", "完成抽查", (INSPECTOR,)),
    ),
    transitions=(
        Transition("scheme", "review_scheme", "提交审核"),
        Transition("review_scheme", "draw_objects", "审核通过", outcome="approve"),
        Transition(
            "review_scheme", "scheme", "退回修改", outcome="return", kind=TransitionKind.RETURN, requires_comment=True
        ),
        Transition("draw_objects", "draw_inspectors", "确认抽取结果"),
        Transition("draw_inspectors", "inspect", "派发抽查任务"),
        Transition("inspect", "record", "检查完成"),
        Transition("record", "review_results", "提交审核"),
        Transition("review_results", "publish", "审核通过", outcome="approve"),
        Transition(
            "review_results", "record", "退回修改", outcome="return", kind=TransitionKind.RETURN, requires_comment=True
        ),
        Transition("publish", "finish"),
        Transition("finish", END, "完成抽查"),
    ),
)


JOINT_PLAN = Process(
    table=21,
    section="7.3.1",
    title="制定部门联合双随机抽查计划业务流程",
    lanes=(INITIATOR_DEPT, PARTICIPANT_DEPT, CONFERENCE_OFFICE, PLATFORM),
    party_relations=(PARTICIPANT,),
    steps=(
        Step("select", "选择部门联合双随机抽查事项", (INITIATOR_DEPT,)),
        Step("consult", "征求参与部门意见", (INITIATOR_DEPT,)),
        Step("feedback", "反馈意见", (PARTICIPANT_DEPT,), per_party=True),
        Step("form", "确认形成联合双随机抽查计划", (INITIATOR_DEPT,), document="抽查计划表"),
        Step("submit", "报联席会议办公室", (INITIATOR_DEPT,)),
        Step("review", "审定计划可行性", (CONFERENCE_OFFICE,), StepKind.DECISION),
        Step("adjust", "调整抽查计划", (INITIATOR_DEPT,)),
        Step("publish", "公开抽查计划", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("select", "consult", "填写计划信息"),
        Transition("consult", "feedback", "发送征求意见"),
        Transition("feedback", "form", "反馈意见"),
        # 注：临时计划不需要报联席会议办公室审定.
        Transition("form", "publish", "确认（临时计划，直接公开）", outcome="ad_hoc", guard="ad_hoc_plan"),
        Transition("form", "submit", "确认", outcome="regular", guard="not_ad_hoc_plan"),
        Transition("submit", "review", "报送审定"),
        Transition("review", "publish", "审定通过", outcome="approve"),
        Transition(
            "review",
            "adjust",
            "退回调整",
            outcome="return",
            kind=TransitionKind.RETURN,
            requires_comment=True,
        ),
        Transition("adjust", "review", "重新提交审定"),
        Transition("publish", END),
    ),
)

JOINT_RANDOM_CHECK = Process(
    table=22,
    section="7.3.2",
    title="部门联合双随机抽查业务流程",
    # 审核方案可行性 is given to 监管部门 (the initiating department's leader), a role 参与角色
    # does not list: it comes after the listed lanes.
    lanes=(INITIATOR_DEPT, PARTICIPANT_DEPT, INSPECTOR, PLATFORM, SUPERVISION_DEPT),
    party_relations=(PARTICIPANT,),
    steps=(
        Step(
            "scheme",
            "根据计划制定部门联合双随机抽查方案",
            (INITIATOR_DEPT,),
            roles=(Role.CLERK,),
            document="抽查方案",
        ),
        Step(
            "review_scheme",
            "审核方案可行性",
            (SUPERVISION_DEPT,),
            StepKind.DECISION,
            roles=(Role.DEPT_LEADER,),
        ),
        Step("publish_scheme", "公示方案", (PLATFORM,), StepKind.AUTO),
        Step("draw_objects", "随机抽取检查对象", (INITIATOR_DEPT,), roles=(Role.CLERK,)),
        # The text file reads "随机抽取执法人员 派发抽查任务": the space is the PDF's line break.
        Step(
            "draw_inspectors",
            "随机抽取执法人员派发抽查任务",
            (INITIATOR_DEPT, PARTICIPANT_DEPT),
            roles=(Role.CLERK,),
            per_party=True,
        ),
        Step("team", "组成联合检查组", (INSPECTOR,)),
        Step("inspect", "开展双随机检查", (INSPECTOR,), document="检查情况记录表"),
        Step("record", "录入检查结果", (INSPECTOR,)),
        Step("review_results", "审核检查结果一致性、规范性", (INSPECTOR,), StepKind.DECISION),
        Step("publish", "公示检查结果", (PLATFORM,), StepKind.AUTO),
        Step("finish", "完成抽查", (INSPECTOR,)),
    ),
    transitions=(
        Transition("scheme", "review_scheme", "提交审核"),
        Transition("review_scheme", "publish_scheme", "审核通过", outcome="approve"),
        Transition(
            "review_scheme",
            "scheme",
            "退回修改",
            outcome="return",
            kind=TransitionKind.RETURN,
            requires_comment=True,
        ),
        Transition("publish_scheme", "draw_objects"),
        Transition("draw_objects", "draw_inspectors", "确认抽取结果"),
        Transition("draw_inspectors", "team", "派发抽查任务"),
        Transition("team", "inspect", "组成检查组"),
        Transition("inspect", "record", "检查完成"),
        Transition("record", "review_results", "提交审核"),
        Transition("review_results", "publish", "审核通过", outcome="approve"),
        Transition(
            "review_results",
            "record",
            "退回修改",
            outcome="return",
            kind=TransitionKind.RETURN,
            requires_comment=True,
        ),
        Transition("publish", "finish"),
        Transition("finish", END, "完成抽查"),
    ),
)
