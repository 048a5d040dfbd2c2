"""12 联合奖惩业务流程 (表29–表31)."""

from workflows.lanes import IMPLEMENTER, IMPLEMENTING_DEPT, INITIATOR_DEPT, LEADING_DEPT, PLATFORM
from workflows.model import END, Process, Step, StepKind, Transition

JOINT_SANCTIONS = Process(
    table=29,
    section="12.1",
    title="联合奖惩业务流程",
    lanes=(INITIATOR_DEPT, IMPLEMENTING_DEPT, PLATFORM),
    # The platform derives the tasks from the catalogue and measure lists; the implementing
    # departments are the parties those tasks go to.
    party_relations=(IMPLEMENTER,),
    steps=(
        Step("list", "形成本部门联合奖惩对象名单", (INITIATOR_DEPT,), document="联合奖惩对象名单"),
        Step("publicize", "将奖惩对象名单推送至信用中国(四川成都)公示", (INITIATOR_DEPT,)),
        Step("generate", "根据目录清单及措施清单生成任务", (PLATFORM,), StepKind.AUTO),
        Step("receive", "接收联合奖惩任务", (IMPLEMENTING_DEPT,), per_party=True),
        Step("execute", "执行联合奖惩任务", (IMPLEMENTING_DEPT,), per_party=True),
        Step("record", "录入联合奖惩结果", (IMPLEMENTING_DEPT,), per_party=True),
        Step("collect", "将联合奖惩结果归集到市场主体或自然人名下", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("list", "publicize", "形成名单"),
        Transition("publicize", "generate", "推送公示"),
        Transition("generate", "receive"),
        Transition("receive", "execute", "接收任务"),
        Transition("execute", "record", "执行完成"),
        Transition("record", "collect", "录入结果"),
        Transition("collect", END),
    ),
)

SANCTION_LIST_ADD = Process(
    table=30,
    section="12.2.1",
    title="联合奖惩事项清单新增业务流程",
    lanes=(LEADING_DEPT,),
    steps=(
        Step("add", "新增联合奖惩清单", (LEADING_DEPT,)),
        Step("publish", "发布联合奖惩清单", (LEADING_DEPT,)),
    ),
    transitions=(
        Transition("add", "publish", "保存"),
        Transition("publish", END, "发布"),
    ),
)

SANCTION_LIST_MAINTAIN = Process(
    table=31,
    section="12.2.2",
    title="联合奖惩事项清单维护业务流程",
    lanes=(LEADING_DEPT,),
    steps=(
        Step("select", "选择拟维护的联合奖惩清单", (LEADING_DEPT,)),
        Step("suspend", "停用联合奖惩清单", (LEADING_DEPT,)),
        Step("choose", "判断修改/删除?", (LEADING_DEPT,), StepKind.DECISION),
        Step("edit", "修改联合奖惩清单", (LEADING_DEPT,)),
        Step("delete", "删除联合奖惩清单", (LEADING_DEPT,)),
        Step("publish", "发布联合奖惩清单", (LEADING_DEPT,)),
    ),
    transitions=(
        Transition("select", "suspend", "选定"),
        Transition("suspend", "choose", "停用"),
        Transition("choose", "edit", "修改", outcome="edit"),
        Transition("choose", "delete", "删除", outcome="delete"),
        Transition("edit", "publish", "保存修改"),
        Transition("delete", "publish", "删除"),
        Transition("publish", END, "发布"),
    ),
)
