"""7.1.1 事项清单管理业务流程 (表7–表14)."""

from workflows.lanes import (
    CONFERENCE_OFFICE,
    INITIATOR_DEPT,
    PARTICIPANT,
    PARTICIPANT_DEPT,
    PLATFORM,
    SUPERVISION_DEPT,
)
from workflows.model import END, Process, Step, StepKind, Transition, TransitionKind

SINGLE_ITEM_ADD = Process(
    table=7,
    section="7.1.1.1.1",
    title="单部门事项清单新增业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("add", "新增本部门抽查事项", (SUPERVISION_DEPT,), document="抽查事项清单"),
        Step("publish", "公布事项", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("add", "publish", "提交"),
        Transition("publish", END),
    ),
)

SINGLE_ITEM_EDIT = Process(
    table=8,
    section="7.1.1.1.2",
    title="单部门事项清单编辑业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("select", "选择拟编辑的抽查事项", (SUPERVISION_DEPT,)),
        Step("edit", "编辑抽查事项", (SUPERVISION_DEPT,), document="抽查事项清单"),
        Step("publish", "公布事项", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("select", "edit", "选定"),
        Transition("edit", "publish", "保存并公布"),
        Transition("publish", END),
    ),
)

SINGLE_ITEM_DELETE = Process(
    table=9,
    section="7.1.1.1.3",
    title="单部门事项清单删除业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("select", "选择拟删除的抽查事项", (SUPERVISION_DEPT,)),
        Step("delete", "删除抽查事项", (SUPERVISION_DEPT,)),
        Step("publish", "公布事项", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("select", "delete", "选定"),
        Transition("delete", "publish", "删除"),
        Transition("publish", END),
    ),
)

SINGLE_ITEM_CLAIM = Process(
    table=10,
    section="7.1.1.1.4",
    title="单部门事项清单认领业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("select", "选择拟认领的抽查事项", (SUPERVISION_DEPT,)),
        Step("claim", "认领抽查事项", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("select", "claim", "选定"),
        Transition("claim", END, "认领"),
    ),
)

SINGLE_ITEM_ASSIGN = Process(
    table=11,
    section="7.1.1.1.5",
    title="单部门事项清单指派业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("select", "选择拟指派的抽查事项", (SUPERVISION_DEPT,)),
        # To a lower (区县级) department or an office of the department.
        Step("assign", "指派抽查事项", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("select", "assign", "选定"),
        Transition("assign", END, "指派"),
    ),
)

JOINT_ITEM_ADD = Process(
    table=12,
    section="7.1.1.2.1",
    title="部门联合事项清单新增业务流程",
    lanes=(INITIATOR_DEPT, PARTICIPANT_DEPT, CONFERENCE_OFFICE, PLATFORM),
    party_relations=(PARTICIPANT,),
    steps=(
        Step("add", "新增部门联合抽查事项", (INITIATOR_DEPT,), document="部门联合抽查事项清单"),
        Step("consult", "征求参与部门意见", (INITIATOR_DEPT,)),
        Step("participate", "确认是否参与", (PARTICIPANT_DEPT,), StepKind.DECISION, per_party=True),
        Step("own_list", "确定本部门实施清单", (INITIATOR_DEPT, PARTICIPANT_DEPT), per_party=True),
        Step("submit", "提交审定", (INITIATOR_DEPT,)),
        Step("review", "审定新增依据", (CONFERENCE_OFFICE,), StepKind.DECISION),
        Step("terminate", "判断是否终止", (INITIATOR_DEPT,), StepKind.DECISION),
        Step("publish", "公布事项", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("add", "consult", "提交"),
        Transition("consult", "participate", "发送征求意见"),
        Transition("participate", "own_list", "参与", outcome="yes"),
        Transition("participate", "consult", "不参与", outcome="no", drops_party=True, requires_comment=True),
        Transition("own_list", "submit", "确定"),
        Transition("submit", "review", "提交审定"),
        Transition("review", "publish", "审定通过", outcome="approve"),
        Transition(
            "review", "terminate", "退回", outcome="return", kind=TransitionKind.RETURN, requires_comment=True
        ),
        Transition("terminate", END, "终止", outcome="yes", terminates=True, requires_comment=True),
        Transition("terminate", "own_list", "不终止，重新完善", outcome="no"),
        Transition("publish", END),
    ),
)


JOINT_ITEM_EDIT = Process(
    table=13,
    section="7.1.1.2.2",
    title="部门联合事项清单编辑业务流程",
    lanes=(INITIATOR_DEPT, PARTICIPANT_DEPT, CONFERENCE_OFFICE, PLATFORM),
    party_relations=(PARTICIPANT,),
    steps=(
        Step("select", "选择拟编辑的抽查事项", (INITIATOR_DEPT,)),
        Step("consult", "征求参与部门意见", (INITIATOR_DEPT,)),
        Step("participate", "确认是否参与", (PARTICIPANT_DEPT,), StepKind.DECISION, per_party=True),
        Step("own_list", "确定本部门实施清单", (INITIATOR_DEPT, PARTICIPANT_DEPT), per_party=True),
        Step("collect", "归集形成联合实施清单", (INITIATOR_DEPT,), document="部门联合抽查事项清单"),
        Step("submit", "提交审定", (INITIATOR_DEPT,)),
        Step("review", "审定编辑依据", (CONFERENCE_OFFICE,), StepKind.DECISION),
        Step("terminate", "判断是否终止", (INITIATOR_DEPT,), StepKind.DECISION),
        Step("publish", "公布事项", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("select", "consult", "编辑"),
        Transition("consult", "participate", "发送征求意见"),
        Transition("participate", "own_list", "参与", outcome="yes"),
        Transition("participate", "consult", "不参与", outcome="no", drops_party=True, requires_comment=True),
        Transition("own_list", "collect", "确定"),
        Transition("collect", "submit", "归集"),
        Transition("submit", "review", "提交审定"),
        Transition("review", "publish", "审定通过", outcome="approve"),
        Transition(
            "review", "terminate", "退回", outcome="return", kind=TransitionKind.RETURN, requires_comment=True
        ),
        Transition("terminate", END, "终止", outcome="yes", terminates=True, requires_comment=True),
        Transition("terminate", "own_list", "不终止，重新完善", outcome="no"),
        Transition("publish", END),
    ),
)

JOINT_ITEM_DELETE = Process(
    table=14,
    section="7.1.1.2.3",
    title="部门联合事项清单删除业务流程",
    lanes=(INITIATOR_DEPT, CONFERENCE_OFFICE, PLATFORM),
    steps=(
        Step("select", "选择拟删除的抽查事项", (INITIATOR_DEPT,)),
        # The item's participating departments are told; they are not a lane of this flow.
        Step("notify", "告知参与部门", (INITIATOR_DEPT,)),
        Step("submit", "提交审定", (INITIATOR_DEPT,)),
        Step("review", "审定删除依据", (CONFERENCE_OFFICE,), StepKind.DECISION),
        Step("delete", "删除抽查事项", (INITIATOR_DEPT,)),
        Step("publish", "公布事项", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("select", "notify", "选定"),
        Transition("notify", "submit", "告知"),
        Transition("submit", "review", "提交审定"),
        Transition("review", "delete", "审定通过", outcome="approve"),
        # 审定未通过的，由发起部门重新选择、提交审定.
        Transition(
            "review", "select", "退回", outcome="return", kind=TransitionKind.RETURN, requires_comment=True
        ),
        Transition("delete", "publish", "删除"),
        Transition("publish", END),
    ),
)
