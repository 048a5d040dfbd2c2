"""7.1.2 检查对象名录库 and 7.1.3 执法检查人员名录库管理业务流程 (表15–表18)."""

from workflows.lanes import PLATFORM, SUPERVISION_DEPT
from workflows.model import END, Process, Step, StepKind, Transition

CHECK_DIRECTORY_ADD = Process(
    table=15,
    section="7.1.2.1",
    title="检查对象名录库新增业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("select_item", "选择拟新增检查对象名录库的抽查事项", (SUPERVISION_DEPT,)),
        Step("choose_mode", "选择监管对象名录库新增方式", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("download_template", "下载模板", (SUPERVISION_DEPT,), document="监管对象导入模板"),
        Step("filter_entities", "筛选符合条件的市场主体", (SUPERVISION_DEPT,)),
        Step("filter_directories", "筛选符合条件的名录库", (SUPERVISION_DEPT,)),
        Step("store", "入库", (PLATFORM,), StepKind.AUTO),
    ),
    transitions=(
        Transition("select_item", "choose_mode", "选定"),
        Transition("choose_mode", "download_template", "按模板导入", outcome="template"),
        Transition("choose_mode", "filter_entities", "筛选市场主体录入", outcome="entities"),
        Transition("choose_mode", "filter_directories", "筛选库录入", outcome="directories"),
        # 表15 has no separate upload row: the filled template is uploaded from this step.
        Transition("download_template", "store", "上传"),
        Transition("filter_entities", "store", "确认筛选结果"),
        Transition("filter_directories", "store", "复制到新名录库"),
        Transition("store", END),
    ),
)

CHECK_DIRECTORY_DELETE = Process(
    table=16,
    section="7.1.2.2",
    title="检查对象名录库删除业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("choose_mode", "选择删除方式", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("select_item", "选择拟删除检查对象名录库的抽查事项", (SUPERVISION_DEPT,)),
        Step("select_directory", "选择拟删除的对象名录库", (SUPERVISION_DEPT,)),
        Step("confirm", "确认是否删除", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("delete", "删除", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("choose_mode", "select_item", "筛选特定检查事项删除", outcome="by_item"),
        Transition("choose_mode", "select_directory", "直接选择对象名录库删除", outcome="direct"),
        Transition("select_item", "select_directory", "选定"),
        Transition("select_directory", "confirm", "删除"),
        Transition("confirm", "delete", "确认删除", outcome="yes"),
        Transition("confirm", END, "取消删除", outcome="no", terminates=True),
        Transition("delete", END, "执行删除"),
    ),
)

INSPECTOR_DIRECTORY_ADD = Process(
    table=17,
    section="7.1.3.1",
    title="执法检查人员名录库新增业务流程",
    lanes=(SUPERVISION_DEPT, PLATFORM),
    steps=(
        Step("choose_mode", "选择新增方式", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("download_template", "下载模板", (SUPERVISION_DEPT,), document="执法检查人员导入模板"),
        Step("upload", "根据模板填充数据并上传", (SUPERVISION_DEPT,), document="执法检查人员导入模板"),
        Step("complete", "完成新增操作", (SUPERVISION_DEPT,)),
        Step("check_account", "判断是否有系统操作账号", (PLATFORM,), StepKind.AUTO),
        Step("grant", "开通双随机检查权限", (PLATFORM,), StepKind.AUTO),
        Step("create_account", "新增系统操作账号", (PLATFORM,), StepKind.AUTO),
        Step("decide_role", "判断是否分配角色", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("assign_role", "分配角色", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("choose_mode", "download_template", "按模板导入", outcome="template"),
        Transition("choose_mode", "complete", "非模板导入", outcome="manual"),
        Transition("download_template", "upload", "已下载模板"),
        Transition("upload", "complete", "上传"),
        Transition("complete", "check_account", "完成新增"),
        Transition("check_account", "grant", "有账号", outcome="yes", guard="has_account"),
        Transition("check_account", "create_account", "无账号", outcome="no", guard="no_account"),
        # An existing account only gains the 双随机 permission; a new account has no roles yet,
        # so the department decides whether to assign some.
        Transition("grant", END),
        Transition("create_account", "decide_role"),
        Transition("decide_role", "assign_role", "分配角色", outcome="yes"),
        Transition("decide_role", END, "不分配，结束", outcome="no"),
        Transition("assign_role", END, "保存"),
    ),
)

INSPECTOR_DIRECTORY_MAINTAIN = Process(
    table=18,
    section="7.1.3.2",
    title="执法检查人员名录库维护业务流程",
    lanes=(SUPERVISION_DEPT,),
    steps=(
        Step("select", "选择拟维护人员", (SUPERVISION_DEPT,)),
        Step("choose", "判断修改/删除", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("confirm_delete", "确认是否删除", (SUPERVISION_DEPT,), StepKind.DECISION),
        Step("delete", "删除执法检查人员", (SUPERVISION_DEPT,)),
        Step("edit", "修改执法检查人员", (SUPERVISION_DEPT,)),
    ),
    transitions=(
        Transition("select", "choose", "选定"),
        Transition("choose", "edit", "修改", outcome="edit"),
        Transition("choose", "confirm_delete", "删除", outcome="delete"),
        Transition("confirm_delete", "delete", "确认删除", outcome="yes"),
        Transition("confirm_delete", END, "取消删除", outcome="no", terminates=True),
        Transition("delete", END, "执行删除"),
        Transition("edit", END, "保存修改"),
    ),
)
