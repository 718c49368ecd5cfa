"""hw3's report: the XOR cost curves (one layer, the 2-2-1 network) and the 4 x 3 grid of per-layer activation
histograms, each drawn from the student's results beside the grader's own run. The figures' data are small:
at most 100 points per curve and 20 counts per layer."""

from __future__ import annotations

import contextlib
import math

from check_1_xor import (
    LN2,
    TRAIN_LR,
    TRAIN_STEPS,
    drawn_parameters,
    grader_cache,
    mean_bce,
    oracle_gradients,
    train_seeds,
    xor_points,
)
from check_3_init import (
    BINS,
    CASES,
    LAYERS,
    experiment_seed,
    grader_activations,
    histogram,
    histogram_range,
    statistics,
)

from grader import svg
from grader.protocol import Evidence
from grader.report_html import esc

POINTS = 100


def report_data(evidence: Evidence, recorded: dict[str, object] | None = None,
                passed: dict[str, bool] | None = None) -> tuple[list[str], dict[str, object]]:
    """(notes, figures' data), from the evidence and the grader's own runs of the same seeds."""
    notes: list[str] = []
    extras: dict[str, object] = {}
    with contextlib.suppress(Exception):  # a figure the evidence cannot feed is left out, never an error
        extras["xor"] = xor_curves(evidence)
    with contextlib.suppress(Exception):
        extras["histograms"] = histograms(evidence)
    single = extras.get("xor", {}).get("one_layer") if isinstance(extras.get("xor"), dict) else None
    if single:
        notes.append(f"One layer on XOR ends at a cost of {single[-1][1]:.6f} (ln 2 = {LN2:.6f}).")
    return notes, extras


def thinned(costs: object) -> list[tuple[float, float]]:
    """At most POINTS (step, cost) pairs of a cost curve, the last step included."""
    values = [float(c) for c in costs]  # type: ignore[attr-defined]
    if not values:
        return []
    every = max(1, math.ceil(len(values) / POINTS))
    steps = sorted(set(range(0, len(values), every)) | {len(values) - 1})
    return [(float(s), values[s]) for s in steps if math.isfinite(values[s])]


def reference_curve(seed: int) -> list[float]:
    """The grader's run of train_xor's arguments, with autograd's gradients."""
    X, Y = xor_points()
    params, costs = drawn_parameters(seed), []
    for _ in range(TRAIN_STEPS):
        costs.append(mean_bce(grader_cache(X, params)["a2"], Y))
        grads = oracle_gradients(X, Y, params)
        params = {key: value - TRAIN_LR * grads[key] for key, value in params.items()}
    return costs


def xor_curves(evidence: Evidence) -> dict[str, object]:
    curves: dict[str, object] = {}
    with contextlib.suppress(Exception):
        curves["one_layer"] = thinned(evidence.get("single_layer_xor"))  # type: ignore[arg-type]
    runs = evidence.get("train_xor")
    seed = train_seeds(evidence.challenge)[0]
    with contextlib.suppress(Exception):
        curves["two_layer"] = thinned(runs[0]["costs"])  # type: ignore[index]
    curves["two_layer_reference"] = thinned(reference_curve(seed))
    curves["seed"] = seed
    return curves


def histograms(evidence: Evidence) -> dict[str, object]:
    """Per case: the student's counts per layer (from the evidence) and the grader's over the same ranges."""
    runs = evidence.get("activation_experiment")
    runs = runs if isinstance(runs, dict) else {}
    seed = experiment_seed(evidence.challenge)
    out: dict[str, object] = {}
    for scale, activation in CASES:
        key = f"{scale}/{activation}"
        reference = grader_activations(scale, activation, seed)
        info = runs.get(key) if isinstance(runs.get(key), dict) else {}
        student, ranges = info.get("counts"), info.get("ranges")  # type: ignore[union-attr]
        if not (isinstance(ranges, list) and len(ranges) == LAYERS):
            ranges = [list(histogram_range(a, activation)) for a in reference]
        stats = info.get("stats")  # type: ignore[union-attr]
        mine = [float(v) for v in stats[-1]] if hasattr(stats, "shape") and tuple(stats.shape) == (LAYERS, 3) else None
        out[key] = {"ranges": ranges, "reference": [histogram(a, *r) for a, r in zip(reference, ranges)],
                    "student": student if isinstance(student, list) and len(student) == LAYERS else None,
                    "last": {"student": mine, "reference": statistics(reference[-1], activation)}}
    return out


def figures(extras: dict[str, object]) -> list[str]:
    return [xor_figure(extras.get("xor")), histogram_figure(extras.get("histograms"))]


def xor_figure(curves: object) -> str:
    if not isinstance(curves, dict):
        return ""
    charts = []
    captions = (
        ("one_layer", "one layer: cost per step",
         f"Your <code>single_layer_xor</code>: it stalls at ln 2 = {LN2:.4f}, the cost of answering 0.5 everywhere."),
        ("two_layer", "2-2-1 network: cost per step (yours)",
         "Your <code>train_xor</code> with your <code>backward</code>, on the first seed the check used."),
        ("two_layer_reference", "2-2-1 network: cost per step (grader)",
         "The grader's run of the same seed, with autograd's gradients."),
    )
    for key, title, caption in captions:
        points = curves.get(key)
        if isinstance(points, list) and points:
            chart = svg.line_chart([(float(x), float(y)) for x, y in points], title=title, x_title="step",
                                   y_title="cost", value_format="{:.4f}")
            charts.append(f"<figure>{chart}<figcaption>{caption}</figcaption></figure>")
    if not charts:
        return ""
    return ('<section class="card"><h2>XOR: one layer against two</h2><p class="muted">Costs per training step '
            f'(seed {esc(curves.get("seed"))} for the 2-2-1 network, {TRAIN_STEPS} steps of lr {TRAIN_LR}).</p>'
            f'<div class="figs">{"".join(charts)}</div></section>\n')


def layer_histograms(student: object, reference: list[list[int]], title: str) -> str:
    """The 5 layers side by side: the student's counts as bars, the grader's as a line over them."""
    def fractions(counts: object) -> list[list[float]] | None:
        try:
            rows = [[float(c) for c in row] for row in counts]  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return None
        return [[c / max(1.0, sum(row)) for c in row] for row in rows] if len(rows) == LAYERS else None

    mine, theirs = fractions(student), fractions(reference)
    if theirs is None:
        return ""
    top = max(max(map(max, theirs)), max(map(max, mine)) if mine else 0.0) * 1.1 or 1.0
    frame = svg.Frame((0.0, float(LAYERS)), (0.0, top), title)
    step = svg.nice_step(top)
    frame.axes([(i + 0.45, str(i + 1)) for i in range(LAYERS)],
               [(v, f"{v:g}") for v in (step * k for k in range(int(top / step) + 1))], "layer", "share per bin")
    width = 0.9 / BINS
    for layer in range(LAYERS):
        if mine:
            for b, share in enumerate(mine[layer]):
                if share > 0:
                    x0, x1 = frame.x(layer + b * width), frame.x(layer + (b + 1) * width)
                    frame.add(f'<rect x="{x0:.2f}" y="{frame.y(share):.2f}" width="{max(0.1, x1 - x0):.2f}" '
                              f'height="{frame.y(0) - frame.y(share):.2f}" fill="{svg.BAR}"/>')
        path = " ".join(f"{frame.x(layer + b * width):.2f},{frame.y(share):.2f} "
                        f"{frame.x(layer + (b + 1) * width):.2f},{frame.y(share):.2f}"
                        for b, share in enumerate(theirs[layer]))
        frame.add(f'<polyline points="{path}" fill="none" stroke="{svg.NORMAL}" stroke-width="1.2"/>')
    return frame.svg()


def last_layer(case: dict[str, object], activation: str) -> str:
    """The 5th layer's numbers the labels of part 4 are defined by, yours beside the grader's."""
    def words(values: object) -> str:
        try:
            _, std, saturated = (float(v) for v in values)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return "none"
        return f"std {std:.3g}, {100 * saturated:.0f} % saturated"

    last = case.get("last")
    last = last if isinstance(last, dict) else {}
    mine = words(last.get("student")) if case.get("student") else "no activations from your code"
    span = ""
    with contextlib.suppress(TypeError, ValueError, IndexError):
        if activation == "relu":
            span = f" Its bins span 0..{float(case['ranges'][-1][1]):.3g}."  # type: ignore[index]
    return esc(f"Layer 5: yours {mine}; the grader's {words(last.get('reference'))}.{span}")


def histogram_figure(data: object) -> str:
    if not isinstance(data, dict):
        return ""
    cells = []
    for scale, activation in CASES:
        case = data.get(f"{scale}/{activation}")
        if not isinstance(case, dict):
            continue
        chart = layer_histograms(case.get("student"), case.get("reference"), f"{scale} / {activation}")
        if chart:
            cells.append(f"<figure>{chart}<figcaption><b>{esc(scale)} / {esc(activation)}</b>. "
                         f"{last_layer(case, activation)}</figcaption></figure>")
    if not cells:
        return ""
    return ('<section class="card"><h2>Activation histograms</h2><p class="muted">Each panel shows the 5 layers of '
            f"one weight scale and activation: the share of the 100,000 activations in each of {BINS} bins (sigmoid "
            "over 0..1, tanh over -1..1, ReLU over 0..its layer's largest value), yours as bars, the grader's run "
            'of the same seed as a line.</p><div class="figs">' + "".join(cells) + "</div></section>\n")
