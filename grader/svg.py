"""Small inline-SVG charts for the HTML reports, with no plotting dependency.

Every number is written with a fixed format, so the same data always gives the same bytes. Charts
use a viewBox and scale to the width of their container (phones included). Callers pass trusted
numbers; every piece of text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 46, 22, 22, 40
BAR, UNIFORM, NORMAL, BOUND, LINE = "#8fb3dc", "#d9822b", "#238b45", "#c0392b", "#2f5d9a"


def _f(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def nice_step(span: float, target: int = 4) -> float:
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10 * magnitude


def _ticks(lo: float, hi: float, target: int = 4) -> list[float]:
    step = nice_step(hi - lo, target)
    first = math.ceil(lo / step - 1e-9) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(max(0, count))]


def _tick_label(value: float, step: float) -> str:
    decimals = 0
    while decimals < 6 and abs(step * 10 ** decimals - round(step * 10 ** decimals)) > 1e-9:
        decimals += 1
    return f"{value:.{decimals}f}"


class Frame:
    """A plot area with linear scales; collects SVG elements."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float], label: str) -> None:
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.label = label
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        return LEFT + (value - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (value - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def axes(self, x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[tuple[float, str]],
             x_title: str, y_title: str) -> None:
        bottom, top = HEIGHT - BOTTOM, TOP
        for value, text in y_ticks:
            y = self.y(value)
            self.add(f'<line x1="{LEFT}" y1="{_f(y)}" x2="{WIDTH - RIGHT}" y2="{_f(y)}" stroke="#e3e7ee"/>')
            self.add(f'<text x="{LEFT - 4}" y="{_f(y + 3.5)}" text-anchor="end">{_t(text)}</text>')
        for value, text in x_ticks:
            x = self.x(value)
            self.add(f'<line x1="{_f(x)}" y1="{bottom}" x2="{_f(x)}" y2="{bottom + 4}" stroke="#555"/>')
            self.add(f'<text x="{_f(x)}" y="{bottom + 15}" text-anchor="middle">{_t(text)}</text>')
        self.add(f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#555"/>')
        self.add(f'<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}" stroke="#555"/>')
        self.add(f'<text x="{_f((LEFT + WIDTH - RIGHT) / 2)}" y="{HEIGHT - 6}" text-anchor="middle" '
                 f'class="axis">{_t(x_title)}</text>')
        self.add(f'<text x="12" y="{_f((top + bottom) / 2)}" text-anchor="middle" class="axis" '
                 f'transform="rotate(-90 12 {_f((top + bottom) / 2)})">{_t(y_title)}</text>')

    def svg(self) -> str:
        # Inline in HTML5 an <svg> needs no xmlns: the page holds no URL at all.
        return (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
                f'role="img" aria-label="{_t(self.label)}" font-family="system-ui, sans-serif" font-size="10">'
                f'<title>{_t(self.label)}</title>' + "".join(self.parts) + "</svg>")


def _y_ticks(y_max: float) -> list[tuple[float, str]]:
    step = nice_step(y_max)
    return [(v, _tick_label(v, step)) for v in _ticks(0, y_max)]


def weight_histogram(layer: dict[str, object], title: str) -> str:
    """A Linear layer's initial weights binned over [lo, hi], with what Xavier predicts per bin.

    Expected count per bin = n * density * bin width, for the uniform density 1/(2 bound) on
    [-bound, bound] (drawn as a step) and the normal N(0, xavier_std^2) (drawn as a curve).
    Returns "" when the layer's data is not in the expected shape.
    """
    try:
        counts = [int(c) for c in layer["counts"]]  # type: ignore[attr-defined]
        lo, hi = float(layer["lo"]), float(layer["hi"])  # type: ignore[arg-type]
        bound, std = float(layer["bound"]), float(layer["xavier_std"])  # type: ignore[arg-type]
        n = int(layer["n"])  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError):
        return ""
    if not counts or not (hi > lo) or bound <= 0 or std <= 0 or n <= 0 or min(counts) < 0:
        return ""
    width = (hi - lo) / len(counts)
    uniform = n * width / (2 * bound)

    def normal(x: float) -> float:
        return n * width * math.exp(-x * x / (2 * std * std)) / (std * math.sqrt(2 * math.pi))

    y_max = max(max(counts), uniform, normal(0.0)) * 1.15
    frame = Frame((lo, hi), (0, y_max), title)
    frame.axes([(v, f"{v:.3f}") for v in (lo, -bound, 0.0, bound, hi)], _y_ticks(y_max), "initial weight value",
               "weights per bin")
    for i, count in enumerate(counts):
        if count:
            x0, x1 = frame.x(lo + i * width), frame.x(lo + (i + 1) * width)
            frame.add(f'<rect x="{_f(x0 + 0.4)}" y="{_f(frame.y(count))}" width="{_f(max(0.1, x1 - x0 - 0.8))}" '
                      f'height="{_f(frame.y(0) - frame.y(count))}" fill="{BAR}"><title>{count} weights in '
                      f'[{lo + i * width:.4f}, {lo + (i + 1) * width:.4f})</title></rect>')
    step = (f"M{_f(frame.x(lo))} {_f(frame.y(0))} H{_f(frame.x(-bound))} V{_f(frame.y(uniform))} "
            f"H{_f(frame.x(bound))} V{_f(frame.y(0))} H{_f(frame.x(hi))}")
    frame.add(f'<path d="{step}" fill="none" stroke="{UNIFORM}" stroke-width="1.8"/>')
    curve = " ".join(f"{_f(frame.x(x))},{_f(frame.y(normal(x)))}"
                     for x in (lo + (hi - lo) * i / 120 for i in range(121)))
    frame.add(f'<polyline points="{curve}" fill="none" stroke="{NORMAL}" stroke-width="1.8"/>')
    for sign in (-1, 1):
        x = frame.x(sign * bound)
        frame.add(f'<line x1="{_f(x)}" y1="{TOP}" x2="{_f(x)}" y2="{HEIGHT - BOTTOM}" stroke="{BOUND}" '
                  'stroke-dasharray="4 3" stroke-width="1.2"/>')
    frame.add(f'<text x="{_f(frame.x(bound) + 3)}" y="{TOP + 9}" fill="{BOUND}">+bound</text>')
    frame.add(f'<text x="{_f(frame.x(-bound) - 3)}" y="{TOP + 9}" fill="{BOUND}" text-anchor="end">-bound</text>')
    return frame.svg()


def line_chart(points: Sequence[tuple[float, float]], *, title: str, x_title: str, y_title: str,
               value_format: str = "{:.3f}", color: str = LINE) -> str:
    """Values per epoch as a line with dots (each labelled when there are few)."""
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_lo, x_hi = (min(xs) - 0.5, max(xs) + 0.5)
    y_lo, y_hi = min(ys), max(ys)
    pad = (y_hi - y_lo) * 0.25 or max(abs(y_hi) * 0.05, 0.01)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    frame = Frame((x_lo, x_hi), (y_lo, y_hi), title)
    every = max(1, math.ceil(len(xs) / 10))
    step = nice_step(y_hi - y_lo)
    frame.axes([(x, f"{x:g}") for x in xs[::every]], [(v, _tick_label(v, step)) for v in _ticks(y_lo, y_hi)],
               x_title, y_title)
    line = " ".join(f"{_f(frame.x(x))},{_f(frame.y(y))}" for x, y in points)
    frame.add(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"/>')
    for x, y in points:
        frame.add(f'<circle cx="{_f(frame.x(x))}" cy="{_f(frame.y(y))}" r="3.2" fill="{color}">'
                  f'<title>{_t(x_title)} {x:g}: {_t(value_format.format(y))}</title></circle>')
        if len(points) <= 10:
            anchor = "start" if x == xs[0] and len(points) > 1 else "end" if x == xs[-1] else "middle"
            frame.add(f'<text x="{_f(frame.x(x))}" y="{_f(frame.y(y) - 7)}" text-anchor="{anchor}" '
                      f'font-weight="600">{_t(value_format.format(y))}</text>')
    return frame.svg()


def count_histogram(edges: Sequence[float], counts: Sequence[int], *, title: str, x_title: str,
                    edge_format: str = "{:g}") -> str:
    """Counts per bin [edges[i], edges[i+1]), each bar labelled with its count."""
    if len(edges) != len(counts) + 1 or not counts:
        return ""
    y_max = max(max(counts), 1) * 1.18
    frame = Frame((edges[0], edges[-1]), (0, y_max), title)
    step = nice_step(y_max)
    y_ticks = [(v, f"{v:g}") for v in _ticks(0, y_max) if step >= 1 or v == int(v)]
    frame.axes([(e, edge_format.format(e)) for e in edges], y_ticks, x_title, "submissions")
    for i, count in enumerate(counts):
        x0, x1 = frame.x(edges[i]), frame.x(edges[i + 1])
        if count:
            frame.add(f'<rect x="{_f(x0 + 1)}" y="{_f(frame.y(count))}" width="{_f(max(0.1, x1 - x0 - 2))}" '
                      f'height="{_f(frame.y(0) - frame.y(count))}" fill="{LINE}"/>')
            frame.add(f'<text x="{_f((x0 + x1) / 2)}" y="{_f(frame.y(count) - 3)}" text-anchor="middle" '
                      f'font-weight="600">{count}</text>')
    return frame.svg()
