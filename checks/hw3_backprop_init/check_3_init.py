"""Part 4: the activation histograms of 5 layers of 100 nodes under four weight scales and three activations.

The evidence holds, for each of the 12 cases, what the grader measured on the student's activations (per layer:
mean, standard deviation, saturated fraction, 16 entries at challenge-drawn places, a 20-bin histogram for the
report), never the 60 tensors of 100,000 numbers; the judge measures its own run of the same seed the same way.
"""

from __future__ import annotations

import math
import random
from types import ModuleType

import pytest
import torch
from check_1_xor import DTYPE, as_list, generator, require_dict

from grader.checking import fail, require
from grader.protocol import Evidence
from grader.tensors import plain_data

LAYERS, NODES, SAMPLES, BINS, PROBES = 5, 100, 1000, 20, 16
SCALES = {"std1": 1.0, "std0.01": 0.01, "xavier": (1 / NODES) ** 0.5, "he": (2 / NODES) ** 0.5}
FUNCTIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
CASES = [(scale, activation) for scale in SCALES for activation in FUNCTIONS]
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, math.inf)}
# The same draws give the same numbers up to the order of float64 sums (~1e-15); one activation in 1000 may
# cross a saturation threshold on such a difference.
STAT_RTOL, STAT_ATOL, SATURATED_ATOL = 1e-9, 1e-12, 1e-3
OPTIONS = ("saturated", "vanishing", "healthy")
# Not graded: std1/relu explodes (none of the three) and xavier/relu is "healthy" at 5 layers but vanishes deeper.
GRADED = [f"{scale}/{activation}" for scale, activation in CASES if (scale, activation) not in
          (("std1", "relu"), ("xavier", "relu"))]


def experiment_seed(seed: int) -> int:
    return seed % 100003


def grader_activations(scale: str, activation: str, seed: int) -> list[torch.Tensor]:
    """The grader's own run of the experiment: the input, then each layer's weights, from one generator."""
    draws = generator(seed)
    layer = torch.randn(SAMPLES, NODES, generator=draws, dtype=DTYPE)
    layers = []
    while len(layers) < LAYERS:
        weights = torch.randn(NODES, NODES, generator=draws, dtype=DTYPE).mul(SCALES[scale])
        layer = FUNCTIONS[activation](torch.mm(layer, weights))
        layers.append(layer)
    return layers


def saturated_fraction(a: torch.Tensor, activation: str) -> float:
    """Where the activation function is flat: sigmoid below 0.01 or above 0.99, tanh beyond +-0.99; ReLU never."""
    if activation == "relu":
        return 0.0
    flat = (a.abs() > 0.99) if activation == "tanh" else ((a < 0.01) | (a > 0.99))
    return float(flat.double().mean())


def statistics(a: torch.Tensor, activation: str) -> list[float]:
    """[mean, standard deviation, saturated fraction] of one layer."""
    return [float(a.mean()), float(a.std()), saturated_fraction(a, activation)]


def probe_indices(seed: int) -> list[int]:
    return random.Random(seed).sample(range(SAMPLES * NODES), PROBES)


def histogram_range(a: torch.Tensor, activation: str) -> tuple[float, float]:
    lo, hi = RANGES[activation]
    return lo, hi if math.isfinite(hi) else max(float(a.max()), 1e-12)


def histogram(a: torch.Tensor, lo: float, hi: float) -> list[int]:
    return [int(c) for c in torch.histc(a.double().clamp(lo, hi), bins=BINS, min=lo, max=hi)]


def summary(output: object, activation: str, seed: int) -> dict[str, object]:
    """What the judge needs of one run: the layers' shapes and types, then statistics, probes and histograms."""
    layers = list(output) if isinstance(output, (list, tuple)) else None
    if layers is None or not all(isinstance(t, torch.Tensor) for t in layers):
        return {"kind": type(output).__name__}
    info: dict[str, object] = {"shapes": [list(t.shape) for t in layers], "dtypes": [str(t.dtype) for t in layers]}
    if len(layers) == LAYERS and all(tuple(t.shape) == (SAMPLES, NODES) for t in layers):
        stacked = torch.stack([t.detach().to("cpu", DTYPE) for t in layers])
        info["stats"] = torch.tensor([statistics(t, activation) for t in stacked], dtype=DTYPE)
        info["probes"] = stacked.flatten(1)[:, probe_indices(seed)].clone()
        info["extent"] = torch.stack([stacked.flatten(1).min(1).values, stacked.flatten(1).max(1).values], 1)
        ranges = [histogram_range(t, activation) for t in stacked]
        info["ranges"] = [list(r) for r in ranges]
        info["counts"] = [histogram(t, lo, hi) for t, (lo, hi) in zip(stacked, ranges)]
    return info


@pytest.mark.points(3)
@pytest.mark.timeout(60)
def check_activation_experiment(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """activation_experiment gives the 5 layers' activations of the grader's own run for every scale and activation."""
    seed = experiment_seed(challenge)
    evidence["activation_experiment"] = {
        f"{scale}/{activation}": plain_data(summary(submission.activation_experiment(scale, activation, seed=seed),
                                                    activation, seed))
        for scale, activation in CASES}
    judge_activation_experiment(Evidence(evidence, challenge))


def judge_activation_experiment(evidence: Evidence) -> None:
    seed = experiment_seed(evidence.challenge)
    runs = require_dict(evidence.get("activation_experiment"), [f"{s}/{a}" for s, a in CASES],
                        "the grader's record of activation_experiment")
    for scale, activation in CASES:
        call = f"activation_experiment({scale!r}, {activation!r}, seed={seed})"
        info = runs[f"{scale}/{activation}"]
        require(isinstance(info, dict) and "shapes" in info, f"{call} should return a list of {LAYERS} tensors.")
        assert isinstance(info, dict)
        require(info["shapes"] == [[SAMPLES, NODES]] * LAYERS, f"{call} should return a list of {LAYERS} tensors "
                f"of {SAMPLES} x {NODES} activations, one per layer, not shapes {info['shapes']}.")
        require(all(d == str(DTYPE) for d in as_list(info.get("dtypes"))), f"{call} should return float64 tensors.")
        expected = torch.stack(grader_activations(scale, activation, seed))
        judge_layers(info, expected, activation, seed, call, scale)


def judge_layers(info: dict[str, object], expected: torch.Tensor, activation: str, seed: int, call: str,
                 scale: str) -> None:
    stats, probes, extent = info.get("stats"), info.get("probes"), info.get("extent")
    require(isinstance(stats, torch.Tensor) and stats.shape == (LAYERS, 3) and isinstance(probes, torch.Tensor)
            and probes.shape == (LAYERS, PROBES) and isinstance(extent, torch.Tensor) and extent.shape == (LAYERS, 2),
            f"the grader could not measure the layers {call} returned.")
    assert isinstance(stats, torch.Tensor) and isinstance(probes, torch.Tensor) and isinstance(extent, torch.Tensor)
    lo, hi = RANGES[activation]
    for layer in range(LAYERS):
        mean, std, saturated = statistics(expected[layer], activation)
        got = stats[layer].tolist()
        if not all(math.isfinite(v) for v in got):
            fail(f"{call}: layer {layer + 1}'s activations are not all finite.")
        require(float(extent[layer, 0]) >= lo and float(extent[layer, 1]) <= hi, f"{call}: layer {layer + 1} holds "
                f"values outside {activation}'s range [{lo:g}, {hi:g}]: return the activations, after the activation "
                "function, not the pre-activations x @ w.")
        same = (math.isclose(got[0], mean, rel_tol=STAT_RTOL, abs_tol=STAT_ATOL)
                and math.isclose(got[1], std, rel_tol=STAT_RTOL, abs_tol=STAT_ATOL)
                and abs(got[2] - saturated) <= SATURATED_ATOL)
        require(same, f"{call}: layer {layer + 1} has mean {got[0]:.4g}, std {got[1]:.4g} and saturated fraction "
                f"{got[2]:.3f}, the grader's run of the same seed {mean:.4g}, {std:.4g} and {saturated:.3f}: use "
                f"weights randn * {SCALE_WORDS[scale]}, with x and then each layer's w drawn from "
                "torch.Generator().manual_seed(seed) as the template says.")
        want = expected[layer].flatten()[probe_indices(seed)]
        require(bool(torch.isclose(probes[layer], want, rtol=STAT_RTOL, atol=STAT_ATOL).all()),
                f"{call}: layer {layer + 1}'s activations are not the grader's run of the same seed (its statistics "
                "agree, its values do not): draw x and then each layer's w, in that order, from one generator.")


SCALE_WORDS = {"std1": "1", "std0.01": "0.01", "xavier": "sqrt(1 / n) (Xavier, n = 100)",
               "he": "sqrt(2 / n) (He, n = 100)"}


def observe_activation_answers(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    answers = submission.activation_answers()
    if isinstance(answers, dict):  # ("std1", "sigmoid") keys as "std1/sigmoid"
        answers = {"/".join(map(str, key)) if isinstance(key, tuple) else str(key): value
                   for key, value in answers.items()}
    evidence["activation_answers"] = plain_data(answers)


### BEGIN HIDDEN
# What the 5th layer's statistics say (docs/calibration-hw3_backprop_init.md: 200 seeds, every one the same;
# saturated fraction >= 0.36 where "saturated", <= 0.002 elsewhere; std <= 0.016 where "vanishing", >= 0.097
# where "healthy").
EXPECTED_ANSWERS = {
    "std1/sigmoid": "saturated", "std1/tanh": "saturated",
    "std0.01/sigmoid": "vanishing", "std0.01/tanh": "vanishing", "std0.01/relu": "vanishing",
    "xavier/sigmoid": "healthy", "xavier/tanh": "healthy",
    "he/sigmoid": "healthy", "he/tanh": "healthy", "he/relu": "healthy",
}


@pytest.mark.points(3, visibility="hidden")
def check_activation_answers(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """activation_answers labels each graded case as its 5th layer's statistics say: saturated, vanishing, healthy."""
    observe_activation_answers(submission, evidence, challenge)
    judge_activation_answers(Evidence(evidence, challenge))


def judge_activation_answers(evidence: Evidence) -> None:
    answers = evidence.get("activation_answers")
    require(isinstance(answers, dict), "activation_answers should return a dict {'scale/activation': label}.")
    assert isinstance(answers, dict)
    missing = [key for key in GRADED if key not in answers]
    require(not missing, f"activation_answers has no answer for {', '.join(missing)}.")
    labels = {key: str(answers[key]).strip().lower() for key in GRADED}
    unknown = [f"{key}: {answers[key]!r}" for key in GRADED if labels[key] not in OPTIONS]
    require(not unknown, f"activation_answers should label every case with one of {', '.join(OPTIONS)}, not "
            f"{'; '.join(unknown)}.")
    wrong = [key for key in GRADED if labels[key] != EXPECTED_ANSWERS[key]]
    require(not wrong, f"activation_answers labels {len(wrong)} of the {len(GRADED)} graded cases differently from "
            f"what their 5th layer's statistics say ({', '.join(wrong)}): compare each case's saturated fraction "
            "with 0.2 and its standard deviation with 0.04, as the template defines the labels.")
### END HIDDEN
