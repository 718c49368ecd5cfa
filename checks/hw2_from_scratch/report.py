"""hw2's report: the four optimizer paths over the contours of f, next to the grader's own, and the
weight-decay losses the grader recomputes from the trained (w, b). Everything is computed in the grader's
process from the evidence; the figures are inline SVG drawn on grader.svg's Frame."""

from __future__ import annotations

import math
from html import escape

import pytest
import torch
from check_1_optimizers import Oracle
from check_2_paths import EXERCISE, START, STEPS, gradient
from check_4_weight_decay import LAMBDA_TEST_MAX, OVERFIT_TRAIN_MAX, experiment_seed, losses

from grader.protocol import Evidence
from grader.svg import BOUND, LINE, Frame

X_RANGE, Y_RANGE = (-8.0, 8.0), (-3.0, 3.0)
LEVELS = (0.05, 0.2, 0.5, 1.0, 2.0, 3.2)  # f = 3.2 is the largest ellipse inside the frame (x = +-8)
STUDENT, REFERENCE, CONTOUR = "#c0392b", "#8a94a6", "#d5dbe5"


def report_data(evidence: Evidence, recorded: dict[str, object] | None = None,
                passed: dict[str, bool] | None = None) -> tuple[list[str], dict[str, object]]:
    """(notes, figures' data): the student's paths and the grader's, and the weight-decay losses of the
    student's trained models as the grader computes them. `recorded` and `passed` are not needed."""
    notes: list[str] = []
    extras: dict[str, object] = {"reference_paths": reference_paths()}
    paths = student_paths(evidence.get("optimizer_paths"))
    if paths:
        extras["paths"] = paths
    seed = experiment_seed(evidence.challenge)
    found = {str(lambd): pair for lambd in (0, 3)
             if (pair := recomputed_losses(evidence.get(f"weight_decay:{lambd}"), seed, lambd)) is not None}
    if found:
        extras["weight_decay"] = {"seed": seed, "losses": found}
        notes.append(f"Weight decay (seed {seed}), losses recomputed by the grader from your trained (w, b): " + "; ".join(
            f"lambda = {lambd}: train {train:.3g}, test {test:.3g}" for lambd, (train, test) in found.items()) + ".")
    return notes, extras


def recomputed_losses(result: object, seed: int, lambd: float) -> list[float] | None:
    """[train, test] losses of a returned (w, b) on the seed's data; None when there is no usable result (the
    weight-decay checks say why)."""
    try:
        return list(losses(result, seed, lambd))
    except (pytest.fail.Exception, Exception):  # noqa: BLE001 - anything unusable: no figure
        return None


def reference_paths() -> dict[str, list[list[float]]]:
    """The exercise run with the grader's optimizer classes (torch.optim behind update(params, grads))."""
    out = {}
    for name, hyper in EXERCISE.items():
        optimizer, position = Oracle(name, **hyper), {"x": START[0], "y": START[1]}
        rows = [[position["x"], position["y"]]]
        while len(rows) <= STEPS:
            optimizer.update(position, dict(zip(("x", "y"), gradient(position["x"], position["y"]))))
            rows.append([position["x"], position["y"]])
        out[name] = rows
    return out


def student_paths(value: object) -> dict[str, list[list[float]]]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for name in EXERCISE:
        path = value.get(name)
        if isinstance(path, torch.Tensor) and path.dim() == 2 and path.shape[1] == 2 and 0 < path.shape[0] <= 1000:
            rows = path.to(torch.float64).tolist()
            if all(math.isfinite(v) for row in rows for v in row):
                out[name] = rows
    return out


# --------------------------------------------------------------------------------------------------------
# Figures

def _n(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _clamped(frame: Frame, x: float, y: float) -> str:
    x = min(max(x, X_RANGE[0]), X_RANGE[1])
    y = min(max(y, Y_RANGE[0]), Y_RANGE[1])
    return f"{_n(frame.x(x))},{_n(frame.y(y))}"


def _polyline(frame: Frame, rows: list[list[float]], color: str, dashed: bool = False) -> str:
    points = " ".join(_clamped(frame, x, y) for x, y in rows)
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    dots = "".join(f'<circle cx="{_clamped(frame, x, y).split(",")[0]}" cy="{_clamped(frame, x, y).split(",")[1]}" '
                   f'r="1.8" fill="{color}"/>' for x, y in rows) if not dashed else ""
    return f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.6"{dash}/>{dots}'


def path_chart(name: str, mine: list[list[float]] | None, reference: list[list[float]]) -> str:
    frame = Frame(X_RANGE, Y_RANGE, f"{name}: path on f(x, y) = x\u00b2/20 + y\u00b2")
    frame.axes([(v, f"{v:g}") for v in (-8, -4, 0, 4, 8)], [(v, f"{v:g}") for v in (-3, -2, -1, 0, 1, 2, 3)], "x", "y")
    for level in LEVELS:
        a, b = math.sqrt(20 * level), math.sqrt(level)
        ring = [[a * math.cos(2 * math.pi * i / 96), b * math.sin(2 * math.pi * i / 96)] for i in range(97)]
        frame.add(f'<polyline points="{" ".join(_clamped(frame, x, y) for x, y in ring)}" fill="none" '
                  f'stroke="{CONTOUR}" stroke-width="1"/>')
    frame.add(f'<text x="{_n(frame.x(0))}" y="{_n(frame.y(0) + 3.5)}" text-anchor="middle" fill="{BOUND}">+</text>')
    frame.add(_polyline(frame, reference, REFERENCE, dashed=True))
    if mine:
        frame.add(_polyline(frame, mine, STUDENT))
    return frame.svg()


def paths_figure(extras: dict[str, object]) -> str:
    reference = extras.get("reference_paths")
    mine = extras.get("paths")
    if not isinstance(reference, dict) or not isinstance(mine, dict) or not mine:
        return ""  # nothing of the student's to draw
    figures = []
    for name, hyper in EXERCISE.items():
        rows = reference.get(name)
        if not isinstance(rows, list):
            continue
        own = mine.get(name)
        end = own[-1] if own else None
        caption = (f"<b>{escape(name)}</b>(lr={hyper['lr']}): the grader's path ends at "
                   f"({rows[-1][0]:+.3f}, {rows[-1][1]:+.3f})"
                   + (f", yours at ({end[0]:+.3f}, {end[1]:+.3f}) after {len(own) - 1} steps." if end else
                      "; your optimizer_paths() gave no path for it."))
        figures.append(f"<figure>{path_chart(name, own, rows)}<figcaption>{caption}</figcaption></figure>")
    legend = (f'<div class="legend"><span><i class="key" style="background:{STUDENT}"></i>your path</span>'
              f'<span><i class="key" style="background:repeating-linear-gradient(90deg,{REFERENCE} 0 4px,'
              f'transparent 4px 7px)"></i>the grader\'s path</span><span><i class="key" '
              f'style="background:{CONTOUR}"></i>contours of f</span></div>')
    return ('<section class="card"><h2>The optimizer paths</h2><p class="muted">30 steps from (\u22127, 2) towards '
            "the minimum (0, 0), as <code>optimizer_paths()</code> returned them (run with the grader's optimizer "
            f"classes) and as the grader computes them; points beyond the frame are drawn on its edge.</p>{legend}"
            f'<div class="figs">{"".join(figures)}</div></section>\n')


def losses_chart(found: dict[str, list[float]]) -> str:
    bars = [(f"\u03bb={lambd} {which}", value) for lambd, pair in sorted(found.items())
            for which, value in zip(("train", "test"), pair)]
    frame = Frame((-0.5, len(bars) - 0.5), (-8.0, 3.0), "Weight decay: train and test losses (log scale)")
    frame.axes([(i, label) for i, (label, _) in enumerate(bars)],
               [(v, f"1e{v:g}") for v in (-8, -6, -4, -2, 0, 2)], "", "loss (log10)")
    for i, (label, value) in enumerate(bars):
        height = min(max(math.log10(value) if value > 0 else -8.0, -8.0), 3.0)
        x0, x1 = frame.x(i - 0.3), frame.x(i + 0.3)
        frame.add(f'<rect x="{_n(x0)}" y="{_n(frame.y(height))}" width="{_n(x1 - x0)}" '
                  f'height="{_n(frame.y(-8.0) - frame.y(height))}" fill="{LINE}"><title>{escape(label)}: '
                  f"{value:.3g}</title></rect>")
        frame.add(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(frame.y(height) - 3)}" text-anchor="middle" '
                  f'font-weight="600">{value:.2g}</text>')
    # Each limit's label sits above the bars it does not concern (lambda=0's on the left, lambda=3's on the right).
    for limit, text, at, anchor in ((LAMBDA_TEST_MAX, "\u03bb=3 test limit", len(bars) - 0.5, "end"),
                                    (OVERFIT_TRAIN_MAX, "\u03bb=0 train limit", -0.5, "start")):
        y, x = frame.y(math.log10(limit)), frame.x(at) + (2 if anchor == "start" else -2)
        frame.add(f'<line x1="{_n(frame.x(-0.5))}" y1="{_n(y)}" x2="{_n(frame.x(len(bars) - 0.5))}" y2="{_n(y)}" '
                  f'stroke="{BOUND}" stroke-dasharray="4 3"/><text x="{_n(x)}" y="{_n(y - 3)}" '
                  f'text-anchor="{anchor}" fill="{BOUND}">{text}</text>')
    return frame.svg()


def losses_figure(extras: dict[str, object]) -> str:
    data = extras.get("weight_decay")
    found = data.get("losses") if isinstance(data, dict) else None
    if not isinstance(found, dict) or not found:
        return ""
    return ('<section class="card"><h2>Weight decay</h2><p class="muted">The losses of the models your '
            f"<code>weight_decay_experiment</code> trained (seed {escape(str(data.get('seed')))}), computed by the "
            "grader on the same data. Without weight decay the model fits the 20 training examples and fails the "
            f"test set; with \u03bb = 3 the test loss is far lower.</p><figure>{losses_chart(found)}</figure>"
            "</section>\n")


def figures(extras: dict[str, object]) -> list[str]:
    """The HTML sections of the student's report.html."""
    return [paths_figure(extras), losses_figure(extras)]
