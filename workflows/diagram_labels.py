"""Where a diagram's arrow labels go: candidate spots along each route, the first one free of boxes
and other labels."""

from __future__ import annotations

from collections.abc import Sequence

from workflows.diagram_geometry import (
    HEAD_W,
    LABEL_FONT,
    LABEL_LINE,
    LABEL_WRAP_EM,
    TAG_H,
    TAG_W,
    Box,
    Node,
    Point,
    Route,
    text_width,
    wrap_text,
)


def label_size(lines: Sequence[str]) -> tuple[float, float]:
    return max(text_width(line, LABEL_FONT) for line in lines) + 6, len(lines) * LABEL_LINE + 3


def label_variants(label: str) -> tuple[list[str], list[str]]:
    """The label on one line (for horizontal runs) and wrapped (for vertical runs)."""
    wrapped = wrap_text(label, LABEL_WRAP_EM)
    one = [label] if text_width(label) <= 2 * LABEL_WRAP_EM else wrapped
    return one, wrapped


def _label_candidates(route: Route, label: str) -> list[tuple[Box, list[str]]]:
    """Label boxes (with their lines) along the arrow, most natural first."""
    one, wrapped = label_variants(label)
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
            w, h = label_size(lines)
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


def place_labels(routes: list[Route], nodes: dict[str, Node], width: float, height: float) -> None:
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
            lines = label_variants(label)[1]
            w, h = label_size(lines)
            (ax, ay), (bx, by) = max(
                zip(route.points, route.points[1:], strict=False),
                key=lambda s: abs(s[0][0] - s[1][0]) + abs(s[0][1] - s[1][1]),
            )
            choice = (Box((ax + bx) / 2 - w / 2, (ay + by) / 2 - h / 2, w, h), lines)
        route.label_box, route.label_lines = choice
        placed.append(choice[0])
