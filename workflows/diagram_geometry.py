"""The geometry of a process diagram (附录 B figures): sizes, text metrics and wrapping, and the
boxes, nodes and routes a layout is made of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from workflows.model import Process, Step, Transition

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
class Node:
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
class Route:
    """One arrow (状态转移): its form, lane rows, gap tracks, channel and points."""

    index: int
    source: Node
    target: Node
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
    nodes: dict[str, Node]
    routes: list[Route]
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


def diamond_size(lines: Sequence[str]) -> tuple[float, float]:
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
