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

from collections.abc import Iterable

from workflows.diagram_geometry import (
    AUTO_EXTRA,
    BAND_MIN,
    CHANNEL_BOTTOM,
    CHANNEL_SP,
    CHANNEL_TOP,
    DECISION_WRAP_EM,
    DOC_GAP,
    DOC_LINE,
    DOC_W,
    DOC_WAVE,
    DOC_WRAP_EM,
    GAP_MIN,
    HEAD_W,
    LANE_BOTTOM,
    LANE_LINE,
    LEFT_PAD,
    NOTE_FONT,
    NOTE_LINE,
    PORT_SP,
    RECT_MIN_H,
    RECT_PAD,
    RECT_W,
    RIGHT_PAD,
    START,
    STEP_LINE,
    STEP_WRAP_EM,
    STUB_DY,
    TERM_H,
    TERM_W,
    TOP_PAD,
    TRACK_EDGE,
    TRACK_SP,
    Box,
    Layout,
    Node,
    Point,
    Route,
    diamond_size,
    wrap_text,
)
from workflows.diagram_labels import label_size, label_variants, place_labels
from workflows.model import END, Process, Step, StepKind

# ---------------------------------------------------------------------------------------
# Text


# ---------------------------------------------------------------------------------------
# Layout data


# ---------------------------------------------------------------------------------------
# Nodes


def _step_node(process: Process, col: int, step: Step) -> Node:
    rows = sorted({process.lanes.index(lane) for lane in step.lanes})
    adjacent = rows[-1] - rows[0] + 1 == len(rows)
    spans = adjacent and step.kind != StepKind.DECISION and len(rows) > 1
    first, last = rows[0], rows[-1] if spans else rows[0]
    note = ""
    if len(rows) > 1 and not spans:
        note = "（及" + "、".join(process.lanes[r].name for r in rows[1:]) + "）"
    if step.kind == StepKind.DECISION:
        lines = wrap_text(step.name, DECISION_WRAP_EM)
        w, h = diamond_size(lines)
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
    node = Node(step.key, col, first, last, shape, w, h, lines, step=step, note=note)
    if step.document:
        node.doc_lines = wrap_text(step.document, DOC_WRAP_EM)
        node.doc_h = len(node.doc_lines) * DOC_LINE + 10 + DOC_WAVE
    return node


def _build_nodes(process: Process) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for col, step in enumerate(process.steps):
        nodes[step.key] = _step_node(process, col, step)
    steps = [nodes[s.key] for s in process.steps]
    start_lane = steps[0].first if steps else 0
    nodes[START] = Node(START, -1, start_lane, start_lane, "terminator", TERM_W, TERM_H, ["开始"])
    enders = [nodes[t.source] for t in process.transitions if t.target == END and t.source in nodes]
    last = max(enders, key=lambda n: n.col) if enders else (steps[-1] if steps else nodes[START])
    nodes[END] = Node(END, len(steps), last.first, last.first, "terminator", TERM_W, TERM_H, ["结束"])
    return nodes


# ---------------------------------------------------------------------------------------
# Routing in lane and column terms


def _facing_lanes(source: Node, target: Node) -> tuple[int, int]:
    """The lane rows where an arrow leaves ``source`` and enters ``target``."""
    lo, hi = max(source.first, target.first), min(source.last, target.last)
    if lo <= hi:
        return lo, lo
    if source.last < target.first:
        return source.last, target.first
    return source.first, target.last


def _band_free(by_col: dict[int, Node], lane: int, cols: Iterable[int]) -> bool:
    return not any(by_col[c].covers_band(lane) for c in cols if c in by_col)


def _route_all(nodes: dict[str, Node], routes: list[Route], n_lanes: int) -> None:
    """Choose each route's form, rows, gaps and channel band (no coordinates yet)."""
    by_col = {node.col: node for node in nodes.values()}
    passes: dict[tuple[int, int], list[Route]] = {}

    def blocked(lane: int, cols: range) -> bool:
        return any(by_col[c].covers(lane) for c in cols if c in by_col)

    def conflicts(route: Route, lane: int, cols: range) -> bool:
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


def _assign_slots(routes: list[Route], n_lanes: int) -> dict[int, int]:
    """Channel slot per route within its band: longer arrows above shorter ones."""
    counts: dict[int, int] = {}
    for band in range(n_lanes):
        members = sorted((r for r in routes if r.band == band), key=lambda r: (-r.span, r.index))
        for slot, route in enumerate(members):
            route.slot = slot
        counts[band] = len(members)
    return counts


def _assign_ports(nodes: dict[str, Node], routes: list[Route]) -> None:
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
    routes = [Route(0, nodes[START], nodes[process.steps[0].key], None)] if process.steps else []
    for t in process.transitions:
        if t.source in nodes and t.target in nodes:
            routes.append(Route(len(routes), nodes[t.source], nodes[t.target], t))
    _route_all(nodes, routes, n_lanes)
    slots = _assign_slots(routes, n_lanes)
    _assign_ports(nodes, routes)

    # Columns and gaps (gap g lies between column g and g + 1).
    by_col = {node.col: node for node in nodes.values()}
    last_col = len(process.steps)
    tracks: dict[int, list[Route]] = {}
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
    place_labels(routes, nodes, width, height)
    return Layout(process, nodes, routes, tops, heights, width, height)


def _track_key(route: Route, gap: int) -> tuple[int, int, int]:
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


def _place_tracks(gap: int, left: float, members: list[Route], routes: list[Route]) -> float:
    """Set the x of each vertical track in a gap and return the gap's width.

    A single track sits in the middle.  Otherwise tracks of arrows leaving the left column
    keep to the left edge and those entering the right column to the right edge, leaving the
    middle free for a label of a straight arrow through the gap.
    """
    labels = [
        label_size(label_variants(r.transition.label)[1])[0] + 10
        for r in routes
        if r.form == "straight" and r.source.col == gap and r.transition is not None and r.transition.label
    ]
    if not members or (len(members) == 1 and not labels):
        for route in members:
            route.track_x[gap] = left + GAP_MIN / 2
        return GAP_MIN
    sides: dict[int, list[Route]] = {0: [], 1: [], 2: []}
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


def _separate_stubs(routes: list[Route], centre: list[float], tops: list[float]) -> None:
    """Shift an arrow end by STUB_DY where, in one gap and on one lane, an arrow leaving the
    left column and an unrelated arrow entering the right column would meet in one line."""
    exits: dict[tuple[int, int], list[Route]] = {}
    entries: dict[tuple[int, int], list[Route]] = {}
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


def _channel_y(route: Route, tops: list[float]) -> float:
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


def _place_points(route: Route, centre: list[float], tops: list[float]) -> None:
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


# ---------------------------------------------------------------------------------------
# SVG pieces


# ---------------------------------------------------------------------------------------
# Entry point


