"""A laid-out process diagram drawn as SVG, and cut into tiles for printing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from workflows.diagram import layout
from workflows.diagram_geometry import (
    AUTO_EXTRA,
    CAPTION_FONT,
    CAPTION_H,
    DOC_FONT,
    DOC_LINE,
    DOC_WAVE,
    FONT_FAMILY,
    HEAD_W,
    LABEL_FONT,
    LABEL_LINE,
    LANE_FONT,
    LANE_LINE,
    NOTE_FONT,
    NOTE_LINE,
    RECT_W,
    START,
    STEP_FONT,
    STEP_LINE,
    TAG_H,
    TAG_W,
    Layout,
    Node,
    Route,
    wrap_text,
)
from workflows.model import END, Process, StepKind, TransitionKind


def _esc(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _n(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


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


def _shape_svg(node: Node) -> str:
    b = node.box
    if node.shape == "diamond":
        pts = [(b.cx, b.y), (b.right, b.cy), (b.cx, b.bottom), (b.x, b.cy)]
        return f'<polygon class="shape" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}"/>'
    radius = b.h / 2 if node.shape == "terminator" else 2
    return (
        f'<rect class="shape" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" '
        f'rx="{_n(radius)}"/>'
    )


def _document_svg(node: Node) -> str:
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


def _step_svg(node: Node, *, visited: bool, current: bool) -> str:
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


def _terminator_svg(node: Node, *, ended: bool) -> str:
    cls = "terminator start" if node.key == START else "terminator end"
    if ended and node.key == END:
        cls += " ended"
    b = node.box
    return (
        f'<g class="{cls}">{_shape_svg(node)}'
        + _text_lines("terminator-name", node.lines, b.cx, b.cy, STEP_FONT, STEP_LINE)
        + "</g>"
    )


def _route_attrs(route: Route) -> str:
    """data-source/data-target (END and START included) and the outcome of an arrow."""
    t = route.transition
    source = route.source.key
    target = route.target.key
    attrs = f'data-source="{_esc(source)}" data-target="{_esc(target)}"'
    if t is not None:
        attrs += f' data-outcome="{_esc(t.outcome)}"'
    return attrs


def _arrow_svg(route: Route, prefix: str, taken: bool) -> str:
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


def _label_svg(route: Route, taken: bool) -> str:
    box = route.label_box
    assert box is not None
    cls = "flow-label taken" if taken else "flow-label"
    return (
        f'<g class="{cls}" {_route_attrs(route)}>'
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="2"/>'
        + _text_lines("label", route.label_lines, box.cx, box.cy, LABEL_FONT, LABEL_LINE)
        + "</g>"
    )


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

    def is_taken(route: Route) -> bool:
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
