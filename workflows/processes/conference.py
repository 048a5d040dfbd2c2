"""13 联席会议业务流程 (表32, 表33)."""

from workflows.lanes import CONFERENCE_OFFICE, MEMBER, MEMBER_UNIT
from workflows.model import END, Process, Step, StepKind, Transition

JOINT_CONFERENCE = Process(
    table=32,
    section="13.1",
    title="联席会议业务流程",
    lanes=(CONFERENCE_OFFICE, MEMBER_UNIT),
    party_relations=(MEMBER,),
    steps=(
        Step("plan", "建立联席会议计划及任务", (CONFERENCE_OFFICE,)),
        Step("special", "判断是否有专项任务要求", (CONFERENCE_OFFICE,), StepKind.DECISION),
        Step("special_task", "建立专项任务", (CONFERENCE_OFFICE,)),
        Step("sign", "签收计划及任务", (MEMBER_UNIT,), per_party=True),
        Step("ledger", "判断有无台账", (MEMBER_UNIT,), StepKind.DECISION, per_party=True),
        Step("report", "上报工作台账", (MEMBER_UNIT,), per_party=True, document="工作台账"),
    ),
    transitions=(
        Transition("plan", "special", "建立计划及任务"),
        Transition("special", "special_task", "有专项任务要求", outcome="yes"),
        Transition("special", "sign", "无专项任务要求，下发", outcome="no"),
        Transition("special_task", "sign", "下发"),
        Transition("sign", "ledger", "签收"),
        # Units with a ledger go on to report it; a unit without one is done.
        Transition("ledger", "report", "有台账", outcome="yes"),
        Transition("ledger", END, "无台账，结束", outcome="no", drops_party=True),
        Transition("report", END, "上报"),
    ),
)

CONFERENCE_DOCUMENT = Process(
    table=33,
    section="13.2",
    title="联席会议公文发送业务流程",
    lanes=(CONFERENCE_OFFICE, MEMBER_UNIT),
    party_relations=(MEMBER,),
    steps=(
        Step("draft", "新增公文信息", (CONFERENCE_OFFICE,), document="公文"),
        Step("publish", "发布公文信息", (CONFERENCE_OFFICE,), document="公文"),
        Step("sign", "签收公文信息", (MEMBER_UNIT,), per_party=True),
    ),
    transitions=(
        Transition("draft", "publish", "保存"),
        Transition("publish", "sign", "发布并推送"),
        Transition("sign", END, "签收"),
    ),
)
