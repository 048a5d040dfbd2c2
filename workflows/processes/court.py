"""14 企业送达信息共享业务流程 (表34): the city court works through the platform's API."""

from workflows.lanes import COURT_LANE
from workflows.model import END, Process, Step, Transition

SERVICE_INFO_SHARING = Process(
    table=34,
    section="14",
    title="企业送达信息共享业务流程",
    lanes=(COURT_LANE,),
    steps=(
        Step("fetch", "获取市场主体基本信息", (COURT_LANE,)),
        Step("serve", "进行案件送达", (COURT_LANE,)),
        # The platform puts enterprises that could not be served into the risk library.
        Step("feedback", "反馈案件信息及送达信息", (COURT_LANE,)),
    ),
    transitions=(
        Transition("fetch", "serve", "获取"),
        Transition("serve", "feedback", "送达完成"),
        Transition("feedback", END, "反馈"),
    ),
)
