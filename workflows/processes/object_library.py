"""6 监管对象库管理业务流程 (表3–表6)."""

from workflows.lanes import SUPERVISION_DEPT
from workflows.model import END, Process, Step, StepKind, Transition

OBJECT_LIBRARY_ADD = Process(
    table=3,
    section="6.1",
    title="监管对象库新增业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("choose_mode", "选择监管对象库新增方式", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("download_template", "下载模板", (SUPERVISION_DEPT,), document="监管对象导入模板"),
        Step("upload", "根据模板填充数据并上传", (SUPERVISION_DEPT,), document="监管对象导入模板"),
        Step("filter", "筛选符合规则的数据", (SUPERVISION_DEPT,)),
        # The standard gives 入库 to 监管部门 although its 说明 says the platform stores the
        # data: the department confirms, the platform tags the objects.
        Step("store", "入库", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("choose_mode", "download_template", "按模板导入", outcome="template"),
        Transition("choose_mode", "filter", "筛选录入", outcome="filter"),
        Transition("download_template", "upload", "已下载模板"),
        Transition("upload", "store", "上传"),
        Transition("filter", "store", "确认筛选结果"),
        Transition("store", END, "入库"),
    ),
)

OBJECT_LIBRARY_DELETE = Process(
    table=4,
    section="6.2",
    title="监管对象库删除业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("select", "选择拟删除的对象库", (SUPERVISION_DEPT,)),
        Step("confirm", "确认是否删除", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("delete", "删除", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("select", "confirm", "删除"),
        Transition("confirm", "delete", "确认删除", outcome="yes"),
        Transition("confirm", END, "取消删除", outcome="no", terminates=True),
        Transition("delete", END, "执行删除"),
    ),
)

OBJECT_TAG_ADD = Process(
    table=5,
    section="6.3",
    title="监管对象库标签新增业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("select", "选择拟新增标签的对象库", (SUPERVISION_DEPT,)),
        Step("add_tag", "新增标签", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("select", "add_tag", "选定"),
        Transition("add_tag", END, "保存标签"),
    ),
)

OBJECT_TAG_MAINTAIN = Process(
    table=6,
    section="6.4",
    title="监管对象库标签维护业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("select", "选择拟维护标签的对象库", (SUPERVISION_DEPT,)),
        Step("choose", "确认修改/删除标签", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("confirm_delete", "确认是否删除", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("delete_tag", "删除标签", (SUPERVISION_DEPT,)),
        Step("edit_tag", "修改标签", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("select", "choose", "选定"),
        Transition("choose", "edit_tag", "修改", outcome="edit"),
        Transition("choose", "confirm_delete", "删除", outcome="delete"),
        Transition("confirm_delete", "delete_tag", "确认删除", outcome="yes"),
        Transition("confirm_delete", END, "取消删除", outcome="no", terminates=True),
        Transition("delete_tag", END, "执行删除"),
        Transition("edit_tag", END, "保存修改"),
    ),
)
