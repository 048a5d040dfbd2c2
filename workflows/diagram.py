"""Swimlane SVG of a process in the symbols of DB5101 表1.

开始/结束 are stadium terminators, 业务流程环节 a rectangle, 判定条件 a diamond, 文档 a
rectangle with a wavy bottom, 状态转移 an orthogonal arrow and each 泳道 a horizontal row
with the lane name in a left header column.  The drawing is computed from the data classes
of ``workflows.model`` only, so any declared process can be drawn.

Layout rules, in lane (row) and column terms first, coordinates last:

* one column per step in the order of ``process.steps``; the start terminator has column
  -1 (in the first step's lane), the end terminator column ``len(steps)`` (in the lane of
  the last step that leads to END);
* a step on several adjacent lanes is one box spanning them; on non-adjacent lanes (and
  for decisions) it is drawn in its first lane with the other lanes noted inside;
* an arrow to a later column leaves the right side of its source and enters the left side
  of its target: straight when both sit on one lane and nothing is in the way, else with
  one vertical turn on its own track in the gap after the source (or before the target),
  else through a channel above the boxes;
* an arrow to the same or an earlier column (a return or loop) leaves the top of its
  source, runs in a channel of the top band of a lane above both boxes and comes down on
  the target, dashed; nested returns get nested channels.

Only vertical segments inside gaps, vertical segments in a step's own column and
horizontal segments in channels or on free lane rows are ever drawn, so arrows never cross
a box.  Labels are placed on the first free spot along their arrow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from workflows.model import END, Process, Step, StepKind, Transition, TransitionKind

__all__ = ["START", "Box", "Layout", "layout", "render_svg", "text_width", "wrap_text"]

START = "__start__"

FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

# Text (px; widths in em of the font size).
STEP_FONT, STEP_LINE, STEP_WRAP_EM = 13.0, 17.0, 7.0
DECISION_WRAP_EM = 6.0
NOTE_FONT, NOTE_LINE = 10.0, 13.0
LABEL_FONT, LABEL_LINE, LABEL_WRAP_EM = 11.0, 13.0, 6.0
DOC_FONT, DOC_LINE, DOC_WRAP_EM = 11.0, 14.0, 8.0
LANE_FONT, LANE_LINE = 14.0, 17.0
CAPTION_FONT, CAPTION_H = 15.0, 40.0

# Shapes.
RECT_W, RECT_MIN_H, RECT_PAD = 120.0, 48.0, 16.0
AUTO_EXTRA = 10.0  # room for the 平台 mark of an automatic step
DIAMOND_MIN_W, DIAMOND_MIN_H = 110.0, 60.0
TERM_W, TERM_H = 64.0, 30.0
DOC_W, DOC_WAVE, DOC_GAP = 112.0, 6.0, 16.0
TAG_W, TAG_H = 54.0, 15.0  # 当前环节 tag above a box's top-left corner

# Grid.
HEAD_W, LEFT_PAD, RIGHT_PAD, TOP_PAD = 40.0, 18.0, 24.0, 0.0
GAP_MIN, TRACK_SP, TRACK_EDGE = 80.0, 12.0, 14.0
BAND_MIN, CHANNEL_TOP, CHANNEL_SP, CHANNEL_BOTTOM = 18.0, 14.0, 14.0, 20.0
LANE_BOTTOM = 12.0
PORT_SP = 14.0
STUB_DY = 12.0

# Punctuation that must not begin a line.
_NO_LINE_START = set("、，。；：？！）》」』】”’,.;:?!)")

Point = tuple[float, float]


# ---------------------------------------------------------------------------------------
# Text


def _char_em(ch: str) -> float:
    """Width of one character in em: CJK (and full-width punctuation) 1, the rest 0.55."""
    return 0.55 if ord(ch) < 0x2E80 else 1.0


def text_width(text: str, size: float = 1.0) -> float:
    """Approximate rendered width of ``text`` at font ``size``."""
    return sum(_char_em(ch) for ch in text) * size


def _greedy_wrap(text: str, max_em: float) -> list[str]:
    lines: list[str] = []
    current, width = "", 0.0
    for ch in text:
        w = _char_em(ch)
        if current and width + w > max_em + 1e-9 and ch not in _NO_LINE_START:
            lines.append(current)
            current, width = "", 0.0
        current += ch
        width += w
    if current:
        lines.append(current)
    return lines or [""]


def wrap_text(text: str, max_em: float) -> list[str]:
    """Break ``text`` into lines of at most ``max_em`` em, balanced so no line is a stub.

    The lines joined give back ``text`` exactly; a punctuation mark never starts a line.
    """
    needed = len(_greedy_wrap(text, max_em))
    if needed <= 1:
        return [text] if text else [""]
    target = max(text_width(text) / needed, 1.0)
    while target < max_em:
        lines = _greedy_wrap(text, target)
        if len(lines) <= needed:
            return lines
        target += 0.25
    return _greedy_wrap(text, max_em)


def _esc(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _n(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


# ---------------------------------------------------------------------------------------
# Layout data


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in SVG user units: a step, a document, a label."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        return (
            self.x - margin < other.right
            and other.x < self.right + margin
            and self.y - margin < other.bottom
            and other.y < self.bottom + margin
        )

    def crosses(self, a: Point, b: Point, margin: float = 0.0) -> bool:
        """Whether the axis-aligned segment a–b passes through this box."""
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        return (
            x0 < self.right + margin
            and self.x - margin < x1 + 1e-6
            and y0 < self.bottom + margin
            and self.y - margin < y1 + 1e-6
        )


@dataclass(eq=False)
class _Node:
    """A step or terminator: its lane rows, column, shape size and wrapped text."""

    key: str
    col: int
    first: int  # first and last lane row the shape covers
    last: int
    shape: str  # "rect", "diamond" or "terminator"
    w: float
    h: float
    lines: list[str]
    step: Step | None = None
    note: str = ""
    doc_lines: list[str] = field(default_factory=list)
    doc_h: float = 0.0
    box: Box = Box(0, 0, 0, 0)
    doc_box: Box | None = None
    # (route index, "out" or "in") → x offset of a return arrow's end on the top edge
    ports: dict[tuple[int, str], float] = field(default_factory=dict)

    @property
    def col_w(self) -> float:
        return max(self.w, DOC_W if self.doc_lines else 0.0)

    def covers(self, lane: int) -> bool:
        return self.first <= lane <= self.last

    def covers_band(self, lane: int) -> bool:
        """Whether the shape hides the top band of ``lane`` (it spans down through it)."""
        return self.first < lane <= self.last

    def top_at(self, x: float) -> float:
        """y of the shape's top edge at ``x`` (slanted for a diamond)."""
        if self.shape != "diamond":
            return self.box.y
        half = self.box.w / 2
        return self.box.cy - self.box.h / 2 * (1 - min(abs(x - self.box.cx), half) / half)


@dataclass(eq=False)
class _Route:
    """One arrow (状态转移): its form, lane rows, gap tracks, channel and points."""

    index: int
    source: _Node
    target: _Node
    transition: Transition | None
    form: str = ""  # "straight", "early", "late", "channel" or "back"
    exit_lane: int = 0
    entry_lane: int = 0
    exit_dy: float = 0.0  # shifts off the lane centre where stubs of other arrows would touch
    entry_dy: float = 0.0
    gaps: tuple[int, ...] = ()
    band: int = -1
    slot: int = 0
    track_x: dict[int, float] = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    label_lines: list[str] = field(default_factory=list)
    label_box: Box | None = None

    @property
    def back(self) -> bool:
        return self.form == "back"

    @property
    def span(self) -> int:
        return abs(self.target.col - self.source.col)


@dataclass
class Layout:
    """Where everything goes: node boxes, lane rows and routed arrows."""

    process: Process
    nodes: dict[str, _Node]
    routes: list[_Route]
    lane_tops: list[float]
    lane_heights: list[float]
    width: float
    height: float  # the swimlane block, without the caption

    @property
    def boxes(self) -> dict[str, Box]:
        """Step key (and START/END) → the box of its shape."""
        return {key: node.box for key, node in self.nodes.items()}

    @property
    def doc_boxes(self) -> dict[str, Box]:
        return {key: node.doc_box for key, node in self.nodes.items() if node.doc_box}


# ---------------------------------------------------------------------------------------
# Nodes


def _diamond_size(lines: Sequence[str]) -> tuple[float, float]:
    """Smallest diamond (w, h) whose inside holds the centred lines of text."""
    widths = [text_width(line, STEP_FONT) / 2 + 4 for line in lines]
    block = len(lines) * STEP_LINE
    edges = [
        max(abs(-block / 2 + i * STEP_LINE + 2), abs(-block / 2 + (i + 1) * STEP_LINE - 2))
        for i in range(len(lines))
    ]
    best: tuple[float, float, float] | None = None
    half_h = max(edges) + 6
    while half_h < max(edges) + 90:
        half_w = max(wi / (1 - e / half_h) for wi, e in zip(widths, edges, strict=True))
        half_w = max(half_w, 1.3 * half_h)
        if best is None or half_w * half_h < best[0]:
            best = (half_w * half_h, half_w, half_h)
        half_h += 2
    assert best is not None
    return max(2 * best[1], DIAMOND_MIN_W), max(2 * best[2], DIAMOND_MIN_H)


def _step_node(process: Process, col: int, step: Step) -> _Node:
    rows = sorted({process.lanes.index(lane) for lane in step.lanes})
    adjacent = rows[-1] - rows[0] + 1 == len(rows)
    spans = adjacent and step.kind != StepKind.DECISION and len(rows) > 1
    first, last = rows[0], rows[-1] if spans else rows[0]
    note = ""
    if len(rows) > 1 and not spans:
        note = "（及" + "、".join(process.lanes[r].name for r in rows[1:]) + "）"
    if step.kind == StepKind.DECISION:
        lines = wrap_text(step.name, DECISION_WRAP_EM)
        w, h = _diamond_size(lines)
        if note:
            h += NOTE_LINE * 2
        shape = "diamond"
    else:
        lines = wrap_text(step.name, STEP_WRAP_EM)
        w, shape = RECT_W, "rect"
        h = max(RECT_MIN_H, len(lines) * STEP_LINE + RECT_PAD)
        if note:
            h += NOTE_LINE * len(wrap_text(note, RECT_W / NOTE_FONT - 1))
        if step.kind == StepKind.AUTO:
            h += AUTO_EXTRA
    node = _Node(step.key, col, first, last, shape, w, h, lines, step=step, note=note)
    if step.document:
        node.doc_lines = wrap_text(step.document, DOC_WRAP_EM)
        node.doc_h = len(node.doc_lines) * DOC_LINE + 10 + DOC_WAVE
    return node


def _build_nodes(process: Process) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    for col, step in enumerate(process.steps):
        nodes[step.key] = _step_node(process, col, step)
    steps = [nodes[s.key] for s in process.steps]
    start_lane = steps[0].first if steps else 0
    nodes[START] = _Node(START, -1, start_lane, start_lane, "terminator", TERM_W, TERM_H, ["开始"])
    enders = [nodes[t.source] for t in process.transitions if t.target == END and t.source in nodes]
    last = max(enders, key=lambda n: n.col) if enders else (steps[-1] if steps else nodes[START])
    nodes[END] = _Node(END, len(steps), last.first, last.first, "terminator", TERM_W, TERM_H, ["结束"])
    return nodes


# ---------------------------------------------------------------------------------------
# Routing in lane and column terms


def _facing_lanes(source: _Node, target: _Node) -> tuple[int, int]:
    """The lane rows where an arrow leaves ``source`` and enters ``target``."""
    lo, hi = max(source.first, target.first), min(source.last, target.last)
    if lo <= hi:
        return lo, lo
    if source.last < target.first:
        return source.last, target.first
    return source.first, target.last


def _band_free(by_col: dict[int, _Node], lane: int, cols: Iterable[int]) -> bool:
    return not any(by_col[c].covers_band(lane) for c in cols if c in by_col)


def _route_all(nodes: dict[str, _Node], routes: list[_Route], n_lanes: int) -> None:
    """Choose each route's form, rows, gaps and channel band (no coordinates yet)."""
    by_col = {node.col: node for node in nodes.values()}
    passes: dict[tuple[int, int], list[_Route]] = {}

    def blocked(lane: int, cols: range) -> bool:
        return any(by_col[c].covers(lane) for c in cols if c in by_col)

    def conflicts(route: _Route, lane: int, cols: range) -> bool:
        for c in cols:
            for other in passes.get((lane, c), []):
                if other.source is not route.source and other.target is not route.target:
                    return True
        return False

    for route in routes:
        s, t = route.source, route.target
        if t.col <= s.col:
            route.form = "back"
            cols = range(t.col + 1, s.col)
            top = min(s.first, t.first)
            route.band = next((b for b in range(top, -1, -1) if _band_free(by_col, b, cols)), 0)
            continue
        route.exit_lane, route.entry_lane = _facing_lanes(s, t)
        between = range(s.col + 1, t.col)
        options: list[tuple[str, int, tuple[int, ...]]] = []
        if route.exit_lane == route.entry_lane:
            options.append(("straight", route.exit_lane, ()))
        options.append(("early", route.entry_lane, (s.col,)))
        if len(between):
            options.append(("late", route.exit_lane, (t.col - 1,)))
        for form, lane, gaps in options:
            if not blocked(lane, between) and not conflicts(route, lane, between):
                route.form, route.gaps = form, gaps
                for c in between:
                    passes.setdefault((lane, c), []).append(route)
                break
        else:
            route.form, route.gaps = "channel", (s.col, t.col - 1)
            near = min(route.exit_lane, route.entry_lane)
            bands = sorted(range(n_lanes), key=lambda b: (abs(b - near), b))
            route.band = next((b for b in bands if _band_free(by_col, b, between)), 0)


def _assign_slots(routes: list[_Route], n_lanes: int) -> dict[int, int]:
    """Channel slot per route within its band: longer arrows above shorter ones."""
    counts: dict[int, int] = {}
    for band in range(n_lanes):
        members = sorted((r for r in routes if r.band == band), key=lambda r: (-r.span, r.index))
        for slot, route in enumerate(members):
            route.slot = slot
        counts[band] = len(members)
    return counts


def _assign_ports(nodes: dict[str, _Node], routes: list[_Route]) -> None:
    """Spread the ends of return arrows along the top edges (x set after geometry)."""
    for node in nodes.values():
        out = sorted((r for r in routes if r.back and r.source is node), key=lambda r: (r.span, r.index))
        into = sorted((r for r in routes if r.back and r.target is node), key=lambda r: (-r.span, r.index))
        ends = [(r.index, "out") for r in out] + [(r.index, "in") for r in into]
        for k, end in enumerate(ends):
            node.ports[end] = (k - (len(ends) - 1) / 2) * PORT_SP


# ---------------------------------------------------------------------------------------
# Geometry


def layout(process: Process) -> Layout:
    """Compute the whole drawing of ``process`` (independent of any live instance)."""
    nodes = _build_nodes(process)
    n_lanes = max(len(process.lanes), 1)
    routes = [_Route(0, nodes[START], nodes[process.steps[0].key], None)] if process.steps else []
    for t in process.transitions:
        if t.source in nodes and t.target in nodes:
            routes.append(_Route(len(routes), nodes[t.source], nodes[t.target], t))
    _route_all(nodes, routes, n_lanes)
    slots = _assign_slots(routes, n_lanes)
    _assign_ports(nodes, routes)

    # Columns and gaps (gap g lies between column g and g + 1).
    by_col = {node.col: node for node in nodes.values()}
    last_col = len(process.steps)
    tracks: dict[int, list[_Route]] = {}
    for route in routes:
        for gap in route.gaps:
            tracks.setdefault(gap, []).append(route)
    for gap, members in tracks.items():
        members.sort(key=lambda r, g=gap: _track_key(r, g))
    col_x: dict[int, float] = {}
    x = HEAD_W + LEFT_PAD
    for col in range(-1, last_col + 1):
        col_x[col] = x
        x += by_col[col].col_w
        if col < last_col:
            x += _place_tracks(col, x, tracks.get(col, []), routes)
    width = x + RIGHT_PAD

    # Lane rows: channel band, box band, document band.
    bands, boxes_h, docs_h = [], [], []
    for lane in range(n_lanes):
        count = slots.get(lane, 0)
        bands.append(CHANNEL_TOP + (count - 1) * CHANNEL_SP + CHANNEL_BOTTOM if count else BAND_MIN)
        single = [n.h for n in nodes.values() if n.first == n.last == lane]
        boxes_h.append(max([RECT_MIN_H, *single]))
        docs = [n.doc_h for n in nodes.values() if n.doc_lines and n.last == lane]
        docs_h.append(max(docs) + DOC_GAP if docs else 0.0)
    tops, heights = [], []
    y = TOP_PAD
    for lane in range(n_lanes):
        name = process.lanes[lane].name if lane < len(process.lanes) else ""
        total = bands[lane] + boxes_h[lane] + docs_h[lane] + LANE_BOTTOM
        need = len(name) * LANE_LINE + 24
        if total < need:
            boxes_h[lane] += need - total
            total = need
        tops.append(y)
        heights.append(total)
        y += total
    height = y
    centre = [tops[i] + bands[i] + boxes_h[i] / 2 for i in range(n_lanes)]

    for node in nodes.values():
        cx = col_x[node.col] + node.col_w / 2
        if node.first == node.last:
            node.box = Box(cx - node.w / 2, centre[node.first] - node.h / 2, node.w, node.h)
        else:
            top, bottom = centre[node.first] - RECT_MIN_H / 2, centre[node.last] + RECT_MIN_H / 2
            if bottom - top < node.h:
                top, bottom = (top + bottom - node.h) / 2, (top + bottom + node.h) / 2
            node.box = Box(cx - node.w / 2, top, node.w, bottom - top)
        if node.doc_lines:
            doc_y = tops[node.last] + bands[node.last] + boxes_h[node.last] + DOC_GAP
            node.doc_box = Box(cx - DOC_W / 2, doc_y, DOC_W, node.doc_h)

    _separate_stubs(routes, centre, tops)
    for route in routes:
        _place_points(route, centre, tops)
    _place_labels(routes, nodes, width, height)
    return Layout(process, nodes, routes, tops, heights, width, height)


def _track_key(route: _Route, gap: int) -> tuple[int, int, int]:
    """Order of tracks in a gap: arrows leaving the left column on the left, arrows entering
    the right column on the right, so their stubs never cross each other's turns."""
    if route.form == "channel":
        side = 0 if gap == route.gaps[0] else 2
        extent = abs((route.exit_lane if side == 0 else route.entry_lane) - route.band)
    else:
        exits, enters = route.source.col == gap, route.target.col == gap + 1
        side = 1 if exits and enters else (0 if exits else 2)
        extent = abs(route.exit_lane - route.entry_lane)
    return side, -extent if side == 0 else extent, route.index


def _place_tracks(gap: int, left: float, members: list[_Route], routes: list[_Route]) -> float:
    """Set the x of each vertical track in a gap and return the gap's width.

    A single track sits in the middle.  Otherwise tracks of arrows leaving the left column
    keep to the left edge and those entering the right column to the right edge, leaving the
    middle free for a label of a straight arrow through the gap.
    """
    labels = [
        _label_size(_label_variants(r.transition.label)[1])[0] + 10
        for r in routes
        if r.form == "straight" and r.source.col == gap and r.transition is not None and r.transition.label
    ]
    if not members or (len(members) == 1 and not labels):
        for route in members:
            route.track_x[gap] = left + GAP_MIN / 2
        return GAP_MIN
    sides: dict[int, list[_Route]] = {0: [], 1: [], 2: []}
    for route in members:
        sides[_track_key(route, gap)[0]].append(route)
    middle = GAP_MIN - 2 * TRACK_EDGE if sides[1] else 2 * TRACK_SP
    middle = max([middle, (len(sides[1]) + 1) * TRACK_SP, *labels])
    width = max(GAP_MIN, 2 * TRACK_EDGE + (len(sides[0]) + len(sides[2])) * TRACK_SP + middle)
    for k, route in enumerate(sides[0]):
        route.track_x[gap] = left + TRACK_EDGE + k * TRACK_SP
    for k, route in enumerate(sides[1]):
        route.track_x[gap] = left + width / 2 + (k - (len(sides[1]) - 1) / 2) * TRACK_SP
    for k, route in enumerate(sides[2]):
        route.track_x[gap] = left + width - TRACK_EDGE - (len(sides[2]) - 1 - k) * TRACK_SP
    return width


def _separate_stubs(routes: list[_Route], centre: list[float], tops: list[float]) -> None:
    """Shift an arrow end by STUB_DY where, in one gap and on one lane, an arrow leaving the
    left column and an unrelated arrow entering the right column would meet in one line."""
    exits: dict[tuple[int, int], list[_Route]] = {}
    entries: dict[tuple[int, int], list[_Route]] = {}
    for r in routes:
        if r.form in ("early", "channel"):
            exits.setdefault((r.gaps[0], r.exit_lane), []).append(r)
        if r.form in ("early", "late", "channel"):
            entries.setdefault((r.gaps[-1], r.entry_lane), []).append(r)
    for key, leaving in exits.items():
        for b in entries.get(key, []):
            for a in leaving:
                if a is b or a.source is b.source or a.target is b.target:
                    continue
                lane_y = centre[key[1]]
                if b.target.shape == "rect" and b.entry_dy == 0:
                    came_from = _channel_y(b, tops) if b.form == "channel" else centre[b.exit_lane]
                    b.entry_dy = STUB_DY if came_from > lane_y else -STUB_DY
                elif a.source.shape == "rect" and a.exit_dy == 0:
                    going_to = _channel_y(a, tops) if a.form == "channel" else centre[a.entry_lane]
                    a.exit_dy = STUB_DY if going_to > lane_y else -STUB_DY


def _channel_y(route: _Route, tops: list[float]) -> float:
    return tops[route.band] + CHANNEL_TOP + route.slot * CHANNEL_SP


def _simplify(points: list[Point]) -> list[Point]:
    """Drop repeated and collinear middle points."""
    out: list[Point] = []
    for p in points:
        if out and abs(out[-1][0] - p[0]) < 1e-6 and abs(out[-1][1] - p[1]) < 1e-6:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if (abs(a[0] - b[0]) < 1e-6 and abs(b[0] - p[0]) < 1e-6) or (
                abs(a[1] - b[1]) < 1e-6 and abs(b[1] - p[1]) < 1e-6
            ):
                out[-1] = p
                continue
        out.append(p)
    return out


def _place_points(route: _Route, centre: list[float], tops: list[float]) -> None:
    s, t = route.source, route.target
    if route.back:
        ys = _channel_y(route, tops)
        sx = s.box.cx + s.ports[(route.index, "out")]
        tx = t.box.cx + t.ports[(route.index, "in")]
        route.points = _simplify([(sx, s.top_at(sx)), (sx, ys), (tx, ys), (tx, t.top_at(tx))])
        return
    start = (s.box.right, centre[route.exit_lane] + route.exit_dy)
    end = (t.box.x, centre[route.entry_lane] + route.entry_dy)
    if route.form == "straight":
        points = [start, end]
    elif route.form in ("early", "late"):
        gx = route.track_x[route.gaps[0]]
        points = [start, (gx, start[1]), (gx, end[1]), end]
    else:
        g1, g2 = route.track_x[route.gaps[0]], route.track_x[route.gaps[1]]
        ys = _channel_y(route, tops)
        points = [start, (g1, start[1]), (g1, ys), (g2, ys), (g2, end[1]), end]
    route.points = _simplify(points)


# ---------------------------------------------------------------------------------------
# Labels


def _label_size(lines: Sequence[str]) -> tuple[float, float]:
    return max(text_width(line, LABEL_FONT) for line in lines) + 6, len(lines) * LABEL_LINE + 3


def _label_variants(label: str) -> tuple[list[str], list[str]]:
    """The label on one line (for horizontal runs) and wrapped (for vertical runs)."""
    wrapped = wrap_text(label, LABEL_WRAP_EM)
    one = [label] if text_width(label) <= 2 * LABEL_WRAP_EM else wrapped
    return one, wrapped


def _label_candidates(route: _Route, label: str) -> list[tuple[Box, list[str]]]:
    """Label boxes (with their lines) along the arrow, most natural first."""
    one, wrapped = _label_variants(label)
    segs = list(zip(route.points, route.points[1:], strict=False))
    horizontal = [s for s in segs if abs(s[0][1] - s[1][1]) < 1e-6]
    vertical = [s for s in segs if abs(s[0][0] - s[1][0]) < 1e-6]
    order: list[tuple[tuple[Point, Point], str]] = []
    if route.back:
        order += [(s, "on") for s in horizontal] + [(s, "above") for s in horizontal]
        order += [(s, "on") for s in vertical]
    elif route.form == "channel" and len(horizontal) == 3:
        order += [(horizontal[1], "on"), (horizontal[1], "above"), (segs[0], "above")]
        order += [(s, "on") for s in vertical] + [(segs[-1], "above")]
    else:
        middle = horizontal[1:-1] if len(horizontal) > 2 else []
        order.append((segs[0], "above"))
        order += [(s, "on") for s in vertical]
        order.append((segs[-1], "above"))
        order += [(s, "on") for s in middle] + [(s, "above") for s in middle]
        order += [(segs[0], "on"), (segs[-1], "on")]
    found: list[tuple[Box, list[str]]] = []
    for (a, b), mode in order:
        is_vertical = abs(a[0] - b[0]) < 1e-6
        for lines in (wrapped, one) if is_vertical else (one, wrapped):
            w, h = _label_size(lines)
            if is_vertical:
                lo, hi = sorted((a[1], b[1]))
                if mode != "on" or hi - lo < h + 12:
                    continue
                for frac in (0.5, 0.35, 0.65, 0.2, 0.8):
                    cy = min(max(lo + (hi - lo) * frac, lo + h / 2 + 6), hi - h / 2 - 6)
                    found.append((Box(a[0] - w / 2, cy - h / 2, w, h), lines))
            else:
                lo, hi = sorted((a[0], b[0]))
                room = w + (6 if mode == "above" else 16)
                if hi - lo < room:
                    continue
                fracs = (0.1, 0.3, 0.5, 0.7, 0.9) if route.form == "channel" else (0.5, 0.35, 0.65, 0.2, 0.8)
                for frac in fracs:
                    cx = min(max(lo + (hi - lo) * frac, lo + room / 2), hi - room / 2)
                    cy = a[1] - h / 2 - 1 if mode == "above" else a[1]
                    found.append((Box(cx - w / 2, cy - h / 2, w, h), lines))
    unique: list[tuple[Box, list[str]]] = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def _label_free(
    box: Box, strict: int, obstacles: list[Box], placed: list[Box], others: list[tuple[Point, Point]]
) -> bool:
    """Whether a label box is clear of shapes; of other labels (strict ≥ 1); of other arrows (2)."""
    if any(box.overlaps(o, 2) for o in obstacles):
        return False
    if strict >= 1 and any(box.overlaps(p, 1) for p in placed):
        return False
    return not (strict >= 2 and any(box.crosses(a, b) for a, b in others))


def _place_labels(routes: list[_Route], nodes: dict[str, _Node], width: float, height: float) -> None:
    """Put each transition label on the first spot along its arrow that hides nothing."""
    obstacles: list[Box] = [Box(0, 0, HEAD_W, height)]
    for node in nodes.values():
        obstacles.append(node.box)
        if node.doc_box:
            obstacles.append(node.doc_box)
        if node.step is not None:
            obstacles.append(Box(node.box.x - 2, node.box.y - TAG_H + 4, TAG_W, TAG_H))
    placed: list[Box] = []
    for route in routes:
        if route.transition is None or not route.transition.label:
            continue
        label = route.transition.label
        candidates = [
            (box, lines)
            for box, lines in _label_candidates(route, label)
            if box.x >= HEAD_W and box.right <= width and box.y >= 0 and box.bottom <= height
        ]
        others = [
            (a, b) for r in routes if r is not route for a, b in zip(r.points, r.points[1:], strict=False)
        ]
        choice = next(
            (
                item
                for strict in (2, 1, 0)
                for item in candidates
                if _label_free(item[0], strict, obstacles, placed, others)
            ),
            None,
        )
        if choice is None:
            lines = _label_variants(label)[1]
            w, h = _label_size(lines)
            (ax, ay), (bx, by) = max(
                zip(route.points, route.points[1:], strict=False),
                key=lambda s: abs(s[0][0] - s[1][0]) + abs(s[0][1] - s[1][1]),
            )
            choice = (Box((ax + bx) / 2 - w / 2, (ay + by) / 2 - h / 2, w, h), lines)
        route.label_box, route.label_lines = choice
        placed.append(choice[0])


# ---------------------------------------------------------------------------------------
# SVG pieces


def _css() -> str:
    return f"""
.dg text {{ font-family: {FONT_FAMILY}; fill: #000; }}
.dg .lane-row {{ fill: #fff; stroke: #000; stroke-width: 1; }}
.dg .lane-head {{ fill: #eeeeee; stroke: #000; stroke-width: 1; }}
.dg .lane-name {{ font-size: {_n(LANE_FONT)}px; font-weight: bold; text-anchor: middle; }}
.dg .shape {{ fill: #fff; stroke: #000; stroke-width: 1.4; }}
.dg .step-auto > .shape {{ fill: #f2f2f2; stroke-dasharray: 5 3; }}
.dg .step.visited > .shape {{ fill: #d9f2d4; }}
.dg .step.current > .shape {{ fill: #ffe2bf; stroke: #d35400; stroke-width: 3; }}
.dg .terminator.ended > .shape {{ fill: #d9f2d4; stroke: #1e7b34; stroke-width: 3; }}
.dg .step-name, .dg .terminator text {{ font-size: {_n(STEP_FONT)}px; text-anchor: middle; }}
.dg .step.current .step-name {{ font-weight: bold; }}
.dg .step-note {{ font-size: {_n(NOTE_FONT)}px; fill: #444; text-anchor: middle; }}
.dg .auto-mark {{ font-size: 10px; fill: #555; text-anchor: end; }}
.dg .current-tag rect {{ fill: #d35400; stroke: none; }}
.dg .current-tag text {{ fill: #fff; font-size: 10px; font-weight: bold; text-anchor: middle; }}
.dg .doc .shape {{ fill: #fff; }}
.dg .doc-link {{ fill: none; stroke: #000; stroke-width: 1; stroke-dasharray: 2 3; }}
.dg .doc-name {{ font-size: {_n(DOC_FONT)}px; text-anchor: middle; }}
.dg .flow path {{ fill: none; stroke: #000; stroke-width: 1.2; }}
.dg .flow.back path, .dg .flow.return path {{ stroke-dasharray: 6 4; }}
.dg .flow.taken path {{ stroke: #1e7b34; stroke-width: 2.6; }}
.dg .flow-label rect {{ fill: #fff; fill-opacity: 0.92; stroke: none; }}
.dg .flow-label text {{ font-size: {_n(LABEL_FONT)}px; text-anchor: middle; }}
.dg .flow-label.taken text {{ fill: #1e7b34; font-weight: bold; }}
.dg .caption {{ font-size: {_n(CAPTION_FONT)}px; font-weight: bold; text-anchor: middle; }}
"""


def _defs(prefix: str) -> str:
    def marker(name: str, colour: str) -> str:
        return (
            f'<marker id="{prefix}-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
            f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )

    return f"<defs>{marker('arrow', '#000')}{marker('arrow-taken', '#1e7b34')}</defs>"


def _text_lines(cls: str, lines: Sequence[str], cx: float, cy: float, size: float, line_h: float) -> str:
    """A centred multi-line <text>: one <tspan> per line, no whitespace between them."""
    first = cy - len(lines) * line_h / 2 + line_h / 2 + size * 0.36
    spans = "".join(
        f'<tspan x="{_n(cx)}" y="{_n(first + i * line_h)}">{_esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{cls}">{spans}</text>'


def _lanes_svg(process: Process, lay: Layout) -> str:
    parts = []
    for lane, top, height in zip(process.lanes, lay.lane_tops, lay.lane_heights, strict=False):
        name = lane.name
        spans = "".join(
            f'<tspan x="{_n(HEAD_W / 2)}" y="{_n(top + height / 2 - len(name) * LANE_LINE / 2 + (i + 0.5) * LANE_LINE + LANE_FONT * 0.36)}">'
            f"{_esc(ch)}</tspan>"
            for i, ch in enumerate(name)
        )
        parts.append(
            f'<g class="lane lane-{_esc(lane.kind.value)}" data-lane="{_esc(name)}">'
            f'<rect class="lane-row" x="0" y="{_n(top)}" width="{_n(lay.width)}" height="{_n(height)}"/>'
            f'<rect class="lane-head" x="0" y="{_n(top)}" width="{_n(HEAD_W)}" height="{_n(height)}"/>'
            f'<text class="lane-name">{spans}</text></g>'
        )
    return "\n".join(parts)


def _shape_svg(node: _Node) -> str:
    b = node.box
    if node.shape == "diamond":
        pts = [(b.cx, b.y), (b.right, b.cy), (b.cx, b.bottom), (b.x, b.cy)]
        return f'<polygon class="shape" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}"/>'
    radius = b.h / 2 if node.shape == "terminator" else 2
    return (
        f'<rect class="shape" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" '
        f'rx="{_n(radius)}"/>'
    )


def _document_svg(node: _Node) -> str:
    """The 文档 symbol below the step, linked to it by a dotted line."""
    d, b = node.doc_box, node.box
    assert d is not None and node.step is not None
    wave = DOC_WAVE
    path = (
        f"M{_n(d.x)},{_n(d.y)} H{_n(d.right)} V{_n(d.bottom - wave)} "
        f"C{_n(d.x + d.w * 0.75)},{_n(d.bottom - 3 * wave)} {_n(d.x + d.w * 0.25)},{_n(d.bottom + wave)} "
        f"{_n(d.x)},{_n(d.bottom - wave)} Z"
    )
    return (
        f'<g class="doc" data-document="{_esc(node.step.document)}">'
        f'<path class="doc-link" d="M{_n(b.cx)},{_n(b.bottom)} V{_n(d.y)}"/>'
        f'<path class="shape" d="{path}"/>'
        + _text_lines("doc-name", node.doc_lines, d.cx, d.y + (d.h - wave) / 2, DOC_FONT, DOC_LINE)
        + "</g>"
    )


def _step_svg(node: _Node, *, visited: bool, current: bool) -> str:
    step = node.step
    assert step is not None
    classes = ["step", f"step-{step.kind.value}"]
    if node.first != node.last:
        classes.append("step-span")
    if visited:
        classes.append("visited")
    if current:
        classes.append("current")
    b = node.box
    parts = [
        f'<g class="{" ".join(classes)}" data-step="{_esc(step.key)}" data-lane="{_esc(step.lane_name)}">'
    ]
    if node.doc_box is not None:
        parts.append(_document_svg(node))
    parts.append(f"<title>{_esc(step.name)}（{_esc(step.lane_name)}）</title>")
    parts.append(_shape_svg(node))
    note_lines = wrap_text(node.note, RECT_W / NOTE_FONT - 1) if node.note else []
    text_h = len(node.lines) * STEP_LINE + len(note_lines) * NOTE_LINE
    cy = b.cy + (AUTO_EXTRA / 2 if step.kind == StepKind.AUTO else 0)
    name_cy = cy - text_h / 2 + len(node.lines) * STEP_LINE / 2
    parts.append(_text_lines("step-name", node.lines, b.cx, name_cy, STEP_FONT, STEP_LINE))
    if note_lines:
        note_cy = cy + text_h / 2 - len(note_lines) * NOTE_LINE / 2
        parts.append(_text_lines("step-note", note_lines, b.cx, note_cy, NOTE_FONT, NOTE_LINE))
    if step.kind == StepKind.AUTO:
        parts.append(f'<text class="auto-mark" x="{_n(b.right - 5)}" y="{_n(b.y + 12)}">平台</text>')
    if current:
        tx, ty = b.x - 2, b.y - TAG_H + 4
        parts.append(
            f'<g class="current-tag"><rect x="{_n(tx)}" y="{_n(ty)}" width="{_n(TAG_W)}" '
            f'height="{_n(TAG_H)}" rx="3"/><text x="{_n(tx + TAG_W / 2)}" y="{_n(ty + 11)}">当前环节</text></g>'
        )
    parts.append("</g>")
    return "".join(parts)


def _terminator_svg(node: _Node, *, ended: bool) -> str:
    cls = "terminator start" if node.key == START else "terminator end"
    if ended and node.key == END:
        cls += " ended"
    b = node.box
    return (
        f'<g class="{cls}">{_shape_svg(node)}'
        + _text_lines("terminator-name", node.lines, b.cx, b.cy, STEP_FONT, STEP_LINE)
        + "</g>"
    )


def _route_attrs(route: _Route) -> str:
    """data-source/data-target (END and START included) and the outcome of an arrow."""
    t = route.transition
    source = route.source.key
    target = route.target.key
    attrs = f'data-source="{_esc(source)}" data-target="{_esc(target)}"'
    if t is not None:
        attrs += f' data-outcome="{_esc(t.outcome)}"'
    return attrs


def _arrow_svg(route: _Route, prefix: str, taken: bool) -> str:
    classes = ["flow", "back" if route.back else "forward"]
    if route.transition is not None and route.transition.kind == TransitionKind.RETURN:
        classes.append("return")
    if route.transition is None:
        classes.append("entry")
    if taken:
        classes.append("taken")
    d = "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in route.points)
    marker = f"url(#{prefix}-arrow-taken)" if taken else f"url(#{prefix}-arrow)"
    return f'<g class="{" ".join(classes)}" {_route_attrs(route)}><path d="{d}" marker-end="{marker}"/></g>'


def _label_svg(route: _Route, taken: bool) -> str:
    box = route.label_box
    assert box is not None
    cls = "flow-label taken" if taken else "flow-label"
    return (
        f'<g class="{cls}" {_route_attrs(route)}>'
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="2"/>'
        + _text_lines("label", route.label_lines, box.cx, box.cy, LABEL_FONT, LABEL_LINE)
        + "</g>"
    )


# ---------------------------------------------------------------------------------------
# Entry point


def render_svg(
    process: Process,
    *,
    visited: set[str] | None = None,
    taken: list[tuple[str, str]] | None = None,
    current: str | None = None,
    ended: bool = False,
    title: bool = True,
) -> str:
    """The swimlane diagram of ``process`` as a standalone SVG document.

    With a live instance, ``visited`` steps are filled green, ``current`` is highlighted and
    tagged 当前环节, the ``taken`` (source, target) transitions are drawn strong and, when
    ``ended``, the end symbol too.
    """
    lay = layout(process)
    visited = visited or set()
    taken_pairs = set(taken or [])
    prefix = f"dg{process.table}"
    caption = f"图{process.figure} {process.title}"
    width = lay.width
    height = lay.height + (CAPTION_H if title else 0)

    def is_taken(route: _Route) -> bool:
        return route.transition is not None and (route.source.key, route.target.key) in taken_pairs

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dg swimlane" role="img" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'font-family="{_esc(FONT_FAMILY)}" data-table="{process.table}">',
        f"<title>{_esc(caption)}</title>",
        f"<style>{_css()}</style>",
        _defs(prefix),
        _lanes_svg(process, lay),
    ]
    parts += [_arrow_svg(route, prefix, is_taken(route)) for route in lay.routes]
    for node in lay.nodes.values():
        if node.step is None:
            parts.append(_terminator_svg(node, ended=ended))
        else:
            parts.append(_step_svg(node, visited=node.key in visited, current=node.key == current))
    parts += [_label_svg(route, is_taken(route)) for route in lay.routes if route.label_box is not None]
    if title:
        parts.append(
            f'<text class="caption" x="{_n(width / 2)}" y="{_n(lay.height + CAPTION_H / 2 + 6)}">'
            f"{_esc(caption)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


_ROOT_SIZE = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)" width="[\d.]+" height="[\d.]+"')


def print_tiles(svg: str, max_width: float = 1500, overlap: float = 60) -> list[str]:
    """Cut a wide diagram into windows for print: a 4000px-wide figure scaled onto one A4 page
    would print its 12px labels at 3px; windows of ``max_width`` keep them legible.  Each
    window is the same SVG with another viewBox, so nothing is drawn twice differently."""
    match = _ROOT_SIZE.search(svg)
    if match is None:
        return [svg]
    width, height = float(match.group(1)), float(match.group(2))
    if width <= max_width:
        return [svg]
    tiles: list[str] = []
    x = 0.0
    while x < width - overlap:
        w = min(max_width, width - x)
        root = f'viewBox="{_n(x)} 0 {_n(w)} {_n(height)}" width="{_n(w)}" height="{_n(height)}"'
        tiles.append(_ROOT_SIZE.sub(root, svg, count=1))
        x += max_width - overlap
    return tiles
