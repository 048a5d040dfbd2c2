"""10 风险预警 and 11 触发式监管业务流程 (表25, 表27, 表28; 表26 is the warning-rule table)."""

from workflows.lanes import MARKET_ENTITY, PARTNER, PLATFORM, SUPERVISION_DEPT
from workflows.model import END, Process, Step, StepKind, Transition

RISK_WARNING = Process(
    table=25,
    section="10",
    title="风险预警业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("rules", "建立风险预警规则", (SUPERVISION_DEPT,)),
        # The standard gives this step to 监管部门 although its 说明 says the platform's rules
        # (表26) decide it automatically: the department confirms the rules' verdict.
        Step("check", "判断是否符合规则", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("store", "纳入风险库", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("rules", "check", "建立规则"),
        Transition("check", "store", "符合规则", outcome="yes"),
        Transition("check", END, "不符合规则，不入库", outcome="no"),
        Transition("store", END, "纳入风险库"),
    ),
)

CREDIT_SANDBOX = Process(
    table=27,
    section="11.1",
    title="信用沙盒触发式监管业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM, PARTNER, MARKET_ENTITY),
    steps=(
        Step("entities", "建立信用沙盒主体库", (SUPERVISION_DEPT,)),
        Step("items", "建立信用沙盒事项清单", (SUPERVISION_DEPT,)),
        Step("monitor", "监测形成提示/预警线索", (PLATFORM,), StepKind.AUTO),
        Step("push", "推送信息", (PLATFORM,), StepKind.AUTO),
        Step("sms", "发送短信到市场主体", (PLATFORM,), StepKind.AUTO),
        Step("tell", "告知市场主体", (PARTNER,)),
        Step("rectify", "整改", (MARKET_ENTITY,)),
        Step("feedback_partner", "反馈给第三方合作机构", (MARKET_ENTITY,)),
        Step("feedback_platform", "反馈给智慧监管平台", (PARTNER,)),
    ),
    transitions=(
        Transition("entities", "items", "建立主体库"),
        Transition("items", "monitor", "建立事项清单"),
        # Monitoring runs continuously; an instance follows one clue it formed.
        Transition("monitor", "push"),
        Transition("push", "sms"),
        Transition("sms", "tell"),
        Transition("tell", "rectify", "已告知"),
        Transition("rectify", "feedback_partner", "整改完成"),
        Transition("feedback_partner", "feedback_platform", "已反馈"),
        Transition("feedback_platform", END, "反馈"),
    ),
)

TRIGGERED_RANDOM_CHECK = Process(
    table=28,
    section="11.2",
    title="触发式双随机监管业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    # The table lists 提取监管对象 before the monitoring it draws on; the flow runs
    # 建立触发式规则 → 监测并生成触发式对象库 → 提取监管对象 → 开展双随机检查.
    steps=(
        Step("rules", "建立触发式规则", (SUPERVISION_DEPT,)),
        Step("extract", "提取监管对象", (SUPERVISION_DEPT,)),
        Step("monitor", "监测并生成触发式对象库", (PLATFORM,), StepKind.AUTO),
        Step("inspect", "开展双随机检查", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("rules", "monitor", "建立规则"),
        Transition("monitor", "extract"),
        Transition("extract", "inspect", "提取"),
        Transition("inspect", END, "完成检查"),
    ),
)
