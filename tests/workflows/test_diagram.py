"""The swimlane SVG (workflows.diagram) of every declared process, without app or database."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the project is not installed; pyproject sets no pythonpath
    sys.path.insert(0, str(ROOT))

from workflows.diagram import layout  # noqa: E402
from workflows.diagram_geometry import START, text_width, wrap_text  # noqa: E402
from workflows.diagram_svg import render_svg  # noqa: E402
from workflows.lanes import PARTICIPANT_DEPT, PLATFORM, SUPERVISION_DEPT  # noqa: E402
from workflows.model import (  # noqa: E402
    END,
    Lane,
    LaneKind,
    Process,
    Step,
    StepKind,
    Transition,
    TransitionKind,
)
from workflows.registry import PROCESSES  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
ALL = list(PROCESSES.values())
IDS = [f"表{p.table}" for p in ALL]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def _text(el: ET.Element) -> str:
    return "".join(el.itertext())


def _step_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {el.get("data-step"): el for el in root.iter() if el.get("data-step") is not None}


def _with_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in _classes(el)]


def _child_with_class(group: ET.Element, cls: str) -> ET.Element:
    found = [el for el in group.iter() if cls in _classes(el)]
    assert len(found) == 1, (cls, len(found))
    return found[0]


# ---------------------------------------------------------------------------------------
# Text wrapping


@pytest.mark.parametrize(
    "text",
    [
        "审核检查结果一致性、规范性",
        "根据风险分类结果随机抽取检查对象",
        "引导办证/办照",
        "将奖惩对象名单推送至信用中国(四川成都)公示",
        "入库",
    ],
)
def test_wrap_keeps_every_character_and_width(text: str) -> None:
    lines = wrap_text(text, 7)
    assert "".join(lines) == text
    for line in lines:
        assert text_width(line) <= 8  # one punctuation mark may hang over
        assert line[0] not in "、，。；：）"


def test_wrap_balances_lines() -> None:
    assert wrap_text("不终止，重新完善", 6) == ["不终止，", "重新完善"]
    assert wrap_text("入库", 7) == ["入库"]


# ---------------------------------------------------------------------------------------
# Every process


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_svg_is_standalone_and_parses(process: Process) -> None:
    svg = render_svg(process)
    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0
    caption = f"图{process.figure} {process.title}"
    assert _text(root.find(f"{SVG}title")) == caption
    assert [_text(el) for el in _with_class(root, "caption")] == [caption]
    assert root.find(f"{SVG}style") is not None
    assert svg == render_svg(process)  # deterministic


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_one_group_per_step_with_its_name(process: Process) -> None:
    root = _parse(render_svg(process))
    groups = _step_groups(root)
    assert sorted(groups) == sorted(s.key for s in process.steps)
    assert len([el for el in root.iter() if el.get("data-step") is not None]) == len(process.steps)
    for step in process.steps:
        group = groups[step.key]
        assert {"step", f"step-{step.kind.value}"} <= _classes(group)
        assert _text(_child_with_class(group, "step-name")) == step.name
        if step.document:
            assert _text(_child_with_class(group, "doc-name")) == step.document


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_lane_names(process: Process) -> None:
    root = _parse(render_svg(process))
    names = [_text(el) for el in _with_class(root, "lane-name")]
    assert names == [lane.name for lane in process.lanes]


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_shapes_by_kind(process: Process) -> None:
    groups = _step_groups(_parse(render_svg(process)))
    for step in process.steps:
        shapes = [el for el in groups[step.key] if "shape" in _classes(el)]
        assert len(shapes) == 1
        if step.kind == StepKind.DECISION:
            assert shapes[0].tag == f"{SVG}polygon"
            assert len(shapes[0].get("points").split()) == 4
        else:
            assert shapes[0].tag == f"{SVG}rect"


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_start_end_and_arrows(process: Process) -> None:
    root = _parse(render_svg(process))
    starts, ends = _with_class(root, "start"), _with_class(root, "end")
    assert [_text(el) for el in starts] == ["开始"]
    assert [_text(el) for el in ends] == ["结束"]
    flows = [el for el in _with_class(root, "flow") if "entry" not in _classes(el)]
    pairs = sorted((el.get("data-source"), el.get("data-target")) for el in flows)
    assert pairs == sorted((t.source, t.target) for t in process.transitions)
    for el in _with_class(root, "flow"):
        path = el.find(f"{SVG}path")
        assert path is not None and path.get("marker-end", "").startswith("url(#dg")
    labels = sorted(_text(el) for el in _with_class(root, "flow-label"))
    assert labels == sorted(t.label for t in process.transitions if t.label)


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_geometry_is_clean(process: Process) -> None:
    lay = layout(process)
    shapes = dict(lay.boxes)
    shapes.update({f"doc:{k}": b for k, b in lay.doc_boxes.items()})
    for (ka, a), (kb, b) in combinations(shapes.items(), 2):
        assert not a.overlaps(b), f"{ka} overlaps {kb}"
    labels = [r.label_box for r in lay.routes if r.label_box is not None]
    for label in labels:
        for key, box in shapes.items():
            assert not label.overlaps(box), f"label over {key}"
    for a, b in combinations(labels, 2):
        assert not a.overlaps(b)
    for route in lay.routes:
        points = route.points
        assert len(points) >= 2
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            assert abs(x0 - x1) < 1e-6 or abs(y0 - y1) < 1e-6  # orthogonal
            for key, box in shapes.items():
                if key in (route.source.key, route.target.key):
                    continue
                assert not box.crosses((x0, y0), (x1, y1), -1), (
                    f"{route.source.key}->{route.target.key} {key}"
                )
        target = lay.boxes[route.target.key]
        ex, ey = points[-1]
        if route.back:
            assert target.x < ex < target.right and ey >= target.y - 1e-6
        else:
            assert abs(ex - target.x) < 1e-6 and target.y <= ey <= target.bottom


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_returns_are_dashed(process: Process) -> None:
    root = _parse(render_svg(process))
    for el in _with_class(root, "flow"):
        if el.get("data-source") in (START,):
            continue
        source = process.step(el.get("data-source"))
        index = [s.key for s in process.steps].index
        target = el.get("data-target")
        backwards = target != END and index(target) <= index(source.key)
        if backwards:
            assert "back" in _classes(el)
        kinds = {t.kind for t in process.transitions if t.source == source.key and t.target == target}
        if TransitionKind.RETURN in kinds:
            assert "return" in _classes(el)


# ---------------------------------------------------------------------------------------
# Live overlay


@pytest.mark.parametrize("process", ALL, ids=IDS)
def test_overlay_marks_exactly_the_instance(process: Process) -> None:
    first = process.steps[0]
    move = process.outgoing(first.key)[0]
    current = move.target if move.target != END else first.key
    visited = {first.key}
    taken = [(move.source, move.target)]
    root = _parse(render_svg(process, visited=visited, taken=taken, current=current))
    assert {el.get("data-step") for el in _with_class(root, "visited")} == visited
    assert [el.get("data-step") for el in _with_class(root, "current")] == [current]
    current_group = _step_groups(root)[current]
    assert [_text(el) for el in _with_class(current_group, "current-tag")] == ["当前环节"]
    assert len(_with_class(root, "current-tag")) == 1
    flows = [el for el in _with_class(root, "taken") if "flow" in _classes(el)]
    same_pair = [t for t in process.transitions if (t.source, t.target) == taken[0]]
    assert [(el.get("data-source"), el.get("data-target")) for el in flows] == taken * len(same_pair)
    for el in _with_class(root, "taken"):
        assert (el.get("data-source"), el.get("data-target")) in taken
    assert not _with_class(root, "ended")


def test_overlay_ended_and_plain() -> None:
    process = PROCESSES[20]
    plain = _parse(render_svg(process))
    for cls in ("visited", "current", "current-tag", "taken", "ended"):
        assert not _with_class(plain, cls)
    done = _parse(render_svg(process, visited={s.key for s in process.steps}, ended=True))
    assert [_text(el) for el in _with_class(done, "ended")] == ["结束"]
    ends = [t.source for t in process.transitions if t.target == END]
    taken = _parse(render_svg(process, taken=[(ends[0], END)], ended=True))
    flows = [el for el in _with_class(taken, "taken") if "flow" in _classes(el)]
    assert [(el.get("data-source"), el.get("data-target")) for el in flows] == [(ends[0], END)]
    assert "arrow-taken" in flows[0].find(f"{SVG}path").get("marker-end")


def test_title_off_keeps_svg_title() -> None:
    process = PROCESSES[12]
    root = _parse(render_svg(process, title=False))
    assert not _with_class(root, "caption")
    assert _text(root.find(f"{SVG}title")) == f"图{process.figure} {process.title}"
    with_caption = _parse(render_svg(process))
    assert float(with_caption.get("height")) > float(root.get("height"))


# ---------------------------------------------------------------------------------------
# Synthetic processes: escaping, spanning and non-adjacent lanes


def test_text_is_escaped() -> None:
    lane = Lane("A&B<部门>", LaneKind.ROLE)
    process = Process(
        table=99,
        section="x",
        title='标题 "<&>"',
        lanes=(lane,),
        steps=(Step("a", "检查<&>环节", (lane,), document="表&单"),),
        transitions=(Transition("a", END, "通过 & <结束>"),),
    )
    root = _parse(render_svg(process, current="a"))
    assert _text(_child_with_class(_step_groups(root)["a"], "step-name")) == "检查<&>环节"
    assert [_text(el) for el in _with_class(root, "lane-name")] == ["A&B<部门>"]
    assert [_text(el) for el in _with_class(root, "flow-label")] == ["通过 & <结束>"]
    assert _text(root.find(f"{SVG}title")) == '图96 标题 "<&>"'


def test_spanning_and_non_adjacent_lanes() -> None:
    process = Process(
        table=98,
        section="x",
        title="跨泳道",
        lanes=(SUPERVISION_DEPT, PARTICIPANT_DEPT, PLATFORM),
        steps=(
            Step("a", "第一步", (SUPERVISION_DEPT,)),
            Step("both", "两个部门共同完成", (PARTICIPANT_DEPT, SUPERVISION_DEPT)),
            Step("apart", "隔开的两个泳道", (SUPERVISION_DEPT, PLATFORM)),
            Step("check", "是否通过", (PARTICIPANT_DEPT,), StepKind.DECISION),
            Step("auto", "平台处理", (PLATFORM,), StepKind.AUTO),
        ),
        transitions=(
            Transition("a", "both"),
            Transition("both", "apart"),
            Transition("apart", "check"),
            Transition("check", "auto", "通过", outcome="yes"),
            Transition("check", "a", "退回", outcome="no", kind=TransitionKind.RETURN),
            Transition("auto", END),
        ),
    )
    lay = layout(process)
    rows = [(top, top + h) for top, h in zip(lay.lane_tops, lay.lane_heights, strict=True)]
    both, apart = lay.boxes["both"], lay.boxes["apart"]
    assert both.y < rows[0][1] < both.bottom  # spans lanes 0 and 1
    assert rows[0][0] <= apart.y and apart.bottom <= rows[0][1]  # drawn in its first lane only
    root = _parse(render_svg(process))
    groups = _step_groups(root)
    assert "step-span" in _classes(groups["both"])
    assert _text(_child_with_class(groups["apart"], "step-note")) == "（及智慧监管平台）"
    back = [el for el in _with_class(root, "back") if el.get("data-source") == "check"]
    assert len(back) == 1 and "return" in _classes(back[0])
    assert lay.boxes[END].cy == pytest.approx(lay.boxes["auto"].cy)
