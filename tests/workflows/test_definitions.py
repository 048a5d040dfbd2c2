"""The declared processes against the standard's own text (tests/data/db5101.txt).

The expected steps are parsed from the text file, never copied from the declarations, so a
mistyped step name, a wrong lane or a missing row fails here.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the project is not installed; pyproject sets no pythonpath
    sys.path.insert(0, str(ROOT))

from models.roles import Role  # noqa: E402
from workflows import guards  # noqa: E402
from workflows.model import END, StepKind, TransitionKind  # noqa: E402
from workflows.registry import PROCESSES  # noqa: E402

SPEC = ROOT / "tests" / "data" / "db5101.txt"
TABLES = [n for n in range(3, 35) if n != 26]

_CJK = "\u4e00-\u9fff"
_HEADING = re.compile(r"^(\d+(?:\.\d+)*) (\S.*)$")
_CAPTION = re.compile(r"^表(\d+) ")
# The vertical 业务环节 label of the first column, whole or as a fragment cut by a page break.
_SIDE_LABEL = {"业务环节", "业务环", "业务", "业", "务环节", "环节", "节"}


def normalise(text: str) -> str:
    """The only changes allowed: the PDF's spaces between CJK characters go, and the
    standard's typo 联系会议办公室 is read as 联席会议办公室."""
    text = re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", text.strip())
    return text.replace("联系会议办公室", "联席会议办公室")


@dataclass
class SpecTable:
    table: int
    section: str
    title: str
    figure: int
    lanes: list[str]
    steps: list[tuple[str, str]]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_spec(path: Path = SPEC) -> dict[int, SpecTable]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[int, SpecTable] = {}
    for i, line in enumerate(lines):
        m = _CAPTION.match(line)
        if not m or "描述表" not in line:
            continue
        table = int(m.group(1))
        # Section: the nearest heading above that is not "业务流程图" / "流程图描述".
        section = title = ""
        figure = 0
        for back in range(i - 1, -1, -1):
            fig = re.match(r"^业务流程图见图(\d+)。", lines[back])
            if fig and not figure:
                figure = int(fig.group(1))
            h = _HEADING.match(lines[back])
            if h and h.group(2) not in ("业务流程图", "流程图描述"):
                section, title = h.group(1), h.group(2).strip()
                break
        lanes: list[str] = []
        steps: list[tuple[str, str]] = []
        # The table runs until the first line that is neither blank nor a table row: the
        # fragments a page break leaves are separated by blank lines only.
        for row in lines[i + 1 :]:
            if not row.strip():
                continue
            if not row.lstrip().startswith("|"):
                break
            if re.fullmatch(r"\s*\|[-|:\s]*", row):
                continue
            cells = [c for c in _cells(row) if c]
            if cells and re.sub(r"\s", "", cells[0]) in _SIDE_LABEL:
                cells = cells[1:]
            if not cells:
                continue
            head = re.sub(r"\s", "", cells[0])
            if head == "参与角色":
                participants = re.sub(r"（[^）]*）", "", cells[1])
                lanes = [normalise(p) for p in participants.split("、")]
            elif head in ("前置条件", "名称") or head.startswith("注"):
                continue
            elif len(cells) >= 2:
                steps.append((normalise(cells[0]), normalise(cells[1])))
            # a single cell is the rest of a 说明 cut by a page break
        found[table] = SpecTable(table, section, title, figure, lanes, steps)
    return found


SPEC_TABLES = parse_spec()


def test_parser_reads_every_table():
    assert sorted(SPEC_TABLES) == TABLES
    for t in SPEC_TABLES.values():
        assert len(t.steps) >= 2, t.table
        assert t.lanes and t.section and t.title.endswith("流程"), t.table
        for name, lane in t.steps:
            assert name and lane and " " not in name, (t.table, name)
    # Rows a page break cuts in two still count once, in order.
    assert SPEC_TABLES[5].steps[-1] == ("新增标签", "监管部门")
    assert SPEC_TABLES[17].steps[3] == ("完成新增操作", "监管部门")
    assert ("上报检查结果", "执法人员、参与部门") in SPEC_TABLES[23].steps
    assert SPEC_TABLES[24].steps[-1] == ("接收通报", "成员单位")
    assert SPEC_TABLES[28].steps[-1] == ("开展双随机检查", "监管部门")
    assert SPEC_TABLES[32].steps[1] == ("判断是否有专项任务要求", "联席会议办公室")
    assert SPEC_TABLES[33].steps[-1] == ("签收公文信息", "成员单位")
    assert ("随机抽取执法人员派发抽查任务", "发起部门、参与部门") in SPEC_TABLES[22].steps
    assert SPEC_TABLES[12].lanes == ["发起部门", "参与部门", "联席会议办公室", "智慧监管平台"]


def test_every_table_is_declared_once():
    assert sorted(PROCESSES) == TABLES


@pytest.mark.parametrize("table", TABLES)
def test_process_matches_standard(table):
    spec = SPEC_TABLES[table]
    process = PROCESSES[table]
    assert process.table == table
    assert process.section == spec.section
    assert process.title == spec.title
    assert [(s.name, s.lane_name) for s in process.steps] == spec.steps
    # Lanes: 参与角色 in order, then any role a row names that 参与角色 forgot (表22 监管部门).
    expected = list(spec.lanes)
    for _, lane in spec.steps:
        for name in lane.split("、"):
            if name not in expected:
                expected.append(name)
    assert [lane.name for lane in process.lanes] == expected
    assert process.figure == spec.figure


def test_figures_are_numbered_without_gaps():
    assert sorted(p.figure for p in PROCESSES.values()) == list(range(1, 32))


@pytest.mark.parametrize("table", TABLES)
def test_process_is_consistent(table):
    process = PROCESSES[table]
    process.validate()
    for step in process.steps:
        out = process.outgoing(step.key)
        if step.kind == StepKind.DECISION:
            assert len(out) >= 2, (table, step.name)
        if step.automatic and len(out) > 1:
            assert all(t.guard for t in out), (table, step.name)
        if not step.automatic:
            assert all(t.label for t in out), (table, step.name)
        for t in out:
            if t.kind == TransitionKind.RETURN:
                assert t.requires_comment, (table, step.name)
            if t.guard:
                assert t.guard in guards.DECLARED_GUARDS, t.guard
            if t.terminates:
                assert t.target == END
        if step.automatic:
            assert all(lane.automatic for lane in step.lanes)
        elif any(lane.name == "智慧监管平台" for lane in step.lanes):
            pytest.fail(f"表{table} {step.name}: a platform step must be automatic")


def _route(table: int, source_name: str) -> dict[str, tuple[str, object]]:
    process = PROCESSES[table]
    (source,) = [s for s in process.steps if s.name == source_name]
    routes = {}
    for t in process.outgoing(source.key):
        target = END if t.target == END else process.step(t.target).name
        routes[t.outcome] = (target, t)
    return routes


def test_joint_item_delete_returns_to_selection():
    routes = _route(14, "审定删除依据")
    target, t = routes["return"]
    assert target == "选择拟删除的抽查事项"
    assert t.kind == TransitionKind.RETURN and t.requires_comment
    assert routes["approve"][0] == "删除抽查事项"


def test_ad_hoc_joint_plan_skips_the_conference_office():
    routes = _route(21, "确认形成联合双随机抽查计划")
    by_guard = {t.guard: target for target, t in routes.values()}
    assert by_guard == {"ad_hoc_plan": "公开抽查计划", "not_ad_hoc_plan": "报联席会议办公室"}
    assert _route(21, "审定计划可行性")["return"][0] == "调整抽查计划"


def test_joint_item_terminate_and_rework():
    for table, review in ((12, "审定新增依据"), (13, "审定编辑依据")):
        assert _route(table, review)["return"][0] == "判断是否终止"
        routes = _route(table, "判断是否终止")
        assert routes["yes"][0] == END and routes["yes"][1].terminates
        assert routes["no"][0] == "确定本部门实施清单"


def test_normal_ends_are_not_terminations():
    assert _route(17, "判断是否分配角色")["no"][0] == END
    assert not _route(17, "判断是否分配角色")["no"][1].terminates
    target, t = _route(32, "判断有无台账")["no"]
    assert target == END and not t.terminates and t.drops_party


def test_platform_decides_accounts_by_guard():
    process = PROCESSES[17]
    (check,) = [s for s in process.steps if s.name == "判断是否有系统操作账号"]
    assert check.kind == StepKind.AUTO
    targets = {t.guard: process.step(t.target).name for t in process.outgoing(check.key)}
    assert targets == {"has_account": "开通双随机检查权限", "no_account": "新增系统操作账号"}


def test_per_party_steps():
    per_party = {(table, s.name) for table, p in PROCESSES.items() for s in p.steps if s.per_party}
    for expected in [
        (12, "确认是否参与"),
        (13, "确认是否参与"),
        (13, "确定本部门实施清单"),
        (21, "反馈意见"),
        (22, "随机抽取执法人员派发抽查任务"),
        (24, "上报年度工作计划"),
        (29, "接收联合奖惩任务"),
        (32, "签收计划及任务"),
        (33, "签收公文信息"),
    ]:
        assert expected in per_party


def test_leader_reviews_schemes():
    for table in (20, 22):
        process = PROCESSES[table]
        for step in process.steps:
            if step.name == "审核方案可行性":
                assert step.roles == (Role.DEPT_LEADER,)
                assert step.lane_name == "监管部门"
            elif any(lane.name in ("监管部门", "发起部门") for lane in step.lanes):
                assert step.roles == (Role.CLERK,), (table, step.name)


def test_starters_choose_their_partners():
    from workflows.lanes import IMPLEMENTER, MEMBER, PARTICIPANT

    for table in (12, 13, 21, 22):
        assert PARTICIPANT in PROCESSES[table].party_relations, table
    # a 专项整治 may be run by the initiator alone (判断是否联合执法: 否)
    assert PARTICIPANT in PROCESSES[23].optional_relations
    for table in (24, 32, 33):
        assert MEMBER in PROCESSES[table].party_relations, table
    assert IMPLEMENTER in PROCESSES[29].party_relations
