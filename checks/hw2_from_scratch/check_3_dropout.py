"""dropout_layer(X, p): inverted dropout from scratch, judged on inputs and a p drawn from the challenge.

p is drawn from [0.15, 0.40]: far from 0.5, so that a mask kept with probability p instead of 1 - p changes the
fraction of zeros by at least 0.2, and a kept element is scaled by 1/(1 - p) between 1.18 and 1.67.

The statistical check holds a correct dropout_layer to a stated false-fail probability of at most 1e-6, whatever
the random numbers its mask is drawn from (`statistics_problem`): two tests, each failing a correct solution with
probability at most 5e-7.
- Fraction zeroed. The N = 200,000 elements of X are nonzero, so the number K of zeros in the output is
  Binomial(N, p). The check fails when P(Binomial <= K) < 2.5e-7 or P(Binomial >= K) < 2.5e-7 (exact tails,
  scipy.stats.binom): for a discrete variable P(F(K) < u) <= u, so each side fails a correct solution with
  probability below 2.5e-7, both together below 5e-7.
- Mean preserved. Out_i - X_i = X_i (B_i/(1 - p) - 1) with B_i ~ Bernoulli(1 - p) independent: zero mean, and
  inside an interval of width c_i = |X_i|/(1 - p). Hoeffding: P(|sum(out) - sum(X)| >= t) <= 2 exp(-2 t**2 /
  sum(c_i**2)) = 5e-7 for t = sqrt(sum(c_i**2) ln(2/5e-7) / 2); float32 rounding of the output adds at most
  1e-6 sum|out| (6e-8 per element), which is added to t.
Together: P(a correct dropout_layer fails) <= 5e-7 + 5e-7 = 1e-6. A dropout without the 1/(1 - p) scaling is off
in the mean by p * mean(X) >= 0.15, against t/N of about 0.01.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest
import torch
from scipy.stats import binom

from grader.checking import fail, require
from grader.protocol import Evidence
from grader.tensors import plain

SIDE = 2.5e-7  # each tail of the binomial test
HOEFFDING = 5e-7  # the mean test
SURVIVOR_RTOL = 1e-5  # X/(1 - p) in float32, computed as X * (1/(1 - p)) or (mask * X)/(1 - p): a few ulps apart


def rng_for(challenge: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([challenge, salt])


def dropout_p(challenge: int) -> float:
    return float(rng_for(challenge, 61).uniform(0.15, 0.40))


def generator(challenge: int, salt: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng_for(challenge, salt).integers(2**62)))


def magnitudes(challenge: int, salt: int, shape: tuple[int, ...], signs: bool = False) -> torch.Tensor:
    """Elements of size 0.5 to 1.5 (never 0, so a zero in the output is a dropped element), float32."""
    g = generator(challenge, salt)
    x = 0.5 + torch.rand(shape, generator=g)
    if signs:
        x = x * torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0)
    return x


def small_shape(challenge: int, salt: int) -> tuple[int, int]:
    rng = rng_for(challenge, salt)
    return int(rng.integers(20, 41)), int(rng.integers(20, 41))


def as_output(value: object) -> torch.Tensor | None:
    return plain(value) if isinstance(value, torch.Tensor) else None


# --------------------------------------------------------------------------------------------------------
# p = 0 and p = 1

def edge_input(challenge: int) -> torch.Tensor:
    return magnitudes(challenge, 71, small_shape(challenge, 72), signs=True)


@pytest.mark.points(1)
def check_dropout_edge_cases(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """dropout_layer(X, 0.0) returns X's values unchanged and dropout_layer(X, 1.0) returns zeros shaped like X."""
    X = edge_input(challenge)
    evidence["dropout:p0"] = as_output(submission.dropout_layer(X.clone(), 0.0))
    evidence["dropout:p1"] = as_output(submission.dropout_layer(X.clone(), 1.0))
    judge_dropout_edge_cases(Evidence(evidence, challenge))


def judge_dropout_edge_cases(evidence: Evidence) -> None:
    X = edge_input(evidence.challenge)
    kept, dropped = evidence.get("dropout:p0"), evidence.get("dropout:p1")
    require(isinstance(kept, torch.Tensor) and kept.shape == X.shape and torch.equal(kept.to(X.dtype), X),
            "dropout_layer(X, 0.0) should return X's values unchanged (nothing is dropped).")
    require(isinstance(dropped, torch.Tensor) and dropped.shape == X.shape and bool((dropped == 0).all()),
            "dropout_layer(X, 1.0) should return zeros shaped like X (everything is dropped; no division by 1 - p = 0).")


# --------------------------------------------------------------------------------------------------------
# Kept elements are X/(1 - p), dropped ones exactly 0

def scaling_input(challenge: int) -> torch.Tensor:
    return magnitudes(challenge, 73, small_shape(challenge, 74), signs=True)


@pytest.mark.points(1)
def check_dropout_scaling(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Every element of dropout_layer(X, p) is either 0 or X/(1 - p), with X's shape."""
    evidence["dropout:scaling"] = as_output(submission.dropout_layer(scaling_input(challenge), dropout_p(challenge)))
    judge_dropout_scaling(Evidence(evidence, challenge))


def judge_dropout_scaling(evidence: Evidence) -> None:
    X, p = scaling_input(evidence.challenge), dropout_p(evidence.challenge)
    out = evidence.get("dropout:scaling")
    require(isinstance(out, torch.Tensor) and out.shape == X.shape,
            f"dropout_layer(X, p) should return a tensor shaped like X {tuple(X.shape)}.")
    out = out.to(torch.float64)  # type: ignore[union-attr]
    scaled = X.to(torch.float64) / (1 - p)
    kept = out != 0
    right = torch.isclose(out, scaled, rtol=SURVIVOR_RTOL, atol=0.0) | ~kept
    if not bool(right.all()):
        index = int((~right).flatten().nonzero()[0])
        ratio = float(out.flatten()[index] / X.flatten()[index])
        fail(f"dropout_layer(X, p={p:.3f}) should give each kept element X/(1 - p), i.e. X * {1 / (1 - p):.4f}, "
             f"but one is X * {ratio:.4f}.")


# --------------------------------------------------------------------------------------------------------
# The fraction zeroed and the mean, by tests with a stated false-fail probability (module docstring)

STATISTICS_SHAPE = (400, 500)


def statistics_input(challenge: int) -> torch.Tensor:
    return magnitudes(challenge, 75, STATISTICS_SHAPE)


def statistics_problem(out: object, X: torch.Tensor, p: float) -> str:
    """'' when the output passes both tests, else what is wrong, in words."""
    if not isinstance(out, torch.Tensor) or out.shape != X.shape:
        return f"dropout_layer(X, p) should return a tensor shaped like X {tuple(X.shape)}"
    out64, x64 = out.to(torch.float64), X.to(torch.float64)
    if not bool(torch.isfinite(out64).all()):
        return "dropout_layer(X, p) returned values that are not finite"
    n, zeros = x64.numel(), int((out64 == 0).sum())
    if binom.cdf(zeros, n, p) < SIDE or binom.sf(zeros - 1, n, p) < SIDE:
        low, high = binom.ppf(SIDE, n, p) / n, binom.isf(SIDE, n, p) / n
        return (f"dropout_layer(X, p={p:.3f}) zeroed a fraction {zeros / n:.4f} of {n} elements, where each should "
                f"be zeroed with probability p (a fraction between {low:.4f} and {high:.4f})")
    spread = float(((x64 / (1 - p)) ** 2).sum())
    allowed = math.sqrt(spread * math.log(2 / HOEFFDING) / 2) + 1e-6 * float(out64.abs().sum())
    gap = float(out64.sum() - x64.sum())
    if abs(gap) > allowed:
        return (f"the mean of dropout_layer(X, p={p:.3f}) is {float(out64.mean()):.4f} where X's is "
                f"{float(x64.mean()):.4f} (allowed +- {allowed / n:.4f}): divide the kept elements by 1 - p so the "
                "expected value is unchanged")
    return ""


@pytest.mark.points(2)
def check_dropout_statistics(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """On 200,000 elements, dropout_layer zeroes a fraction p of them and keeps the mean (false-fail rate <= 1e-6)."""
    out = submission.dropout_layer(statistics_input(challenge), dropout_p(challenge))
    evidence["dropout:statistics"] = as_output(out)
    judge_dropout_statistics(Evidence(evidence, challenge))


def judge_dropout_statistics(evidence: Evidence) -> None:
    problem = statistics_problem(evidence.get("dropout:statistics"), statistics_input(evidence.challenge),
                                 dropout_p(evidence.challenge))
    require(not problem, f"{problem}.")


# --------------------------------------------------------------------------------------------------------
# A new mask on every call

def fresh_input(challenge: int) -> torch.Tensor:
    return magnitudes(challenge, 76, (10, 10))


@pytest.mark.points(1)
def check_dropout_fresh_mask(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Two calls of dropout_layer on the same X drop different elements (a new random mask per call)."""
    X, p = fresh_input(challenge), dropout_p(challenge)
    evidence["dropout:fresh"] = [as_output(submission.dropout_layer(X.clone(), p)) for _ in range(2)]
    judge_dropout_fresh_mask(Evidence(evidence, challenge))


def judge_dropout_fresh_mask(evidence: Evidence) -> None:
    # Two independent masks of 100 elements coincide with probability (p**2 + (1 - p)**2)**100 <= 0.745**100
    # < 2e-13 for p in [0.15, 0.40]: the false-fail probability of this check.
    outs = evidence.get("dropout:fresh")
    shape = fresh_input(evidence.challenge).shape
    if not (isinstance(outs, list) and len(outs) == 2
            and all(isinstance(o, torch.Tensor) and o.shape == shape for o in outs)):
        fail(f"dropout_layer(X, p) should return a tensor shaped like X {tuple(shape)}.")
    require(not torch.equal(outs[0] != 0, outs[1] != 0), "two calls of dropout_layer on the same X dropped the "
            "same elements: draw a new random mask on every call (and do not reseed the generator inside).")


# --------------------------------------------------------------------------------------------------------
# X is not modified

def kept_input(challenge: int) -> torch.Tensor:
    return magnitudes(challenge, 77, small_shape(challenge, 78), signs=True)


@pytest.mark.points(1)
def check_dropout_keeps_input(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """dropout_layer leaves its input X unchanged (it builds a new tensor)."""
    X = kept_input(challenge)
    submission.dropout_layer(X, dropout_p(challenge))
    evidence["dropout:input_after"] = plain(X)
    judge_dropout_keeps_input(Evidence(evidence, challenge))


def judge_dropout_keeps_input(evidence: Evidence) -> None:
    after = evidence.get("dropout:input_after")
    if not isinstance(after, torch.Tensor):
        fail("the grader received nothing from dropout_layer's input to verify this check.")
    require(torch.equal(after, kept_input(evidence.challenge)),
            "dropout_layer changed its input X: build a new tensor (e.g. mask * X / (1 - p)) instead of writing "
            "into X.")


# --------------------------------------------------------------------------------------------------------
# Gradients flow back: d out / d X = mask/(1 - p)

def gradient_inputs(challenge: int) -> tuple[torch.Tensor, torch.Tensor]:
    """X (30 x 40) and the upstream gradient G of (out * G).sum()."""
    g = generator(challenge, 79)
    return 0.5 + torch.rand(30, 40, generator=g), torch.randn(30, 40, generator=g)


@pytest.mark.points(1)
def check_dropout_gradient(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Gradients flow through dropout_layer: d(out * G).sum()/dX is G * mask/(1 - p)."""
    base, upstream = gradient_inputs(challenge)
    base.requires_grad_()
    out = submission.dropout_layer(base * 1.0, dropout_p(challenge))  # X is not a leaf, as inside a network
    connected = isinstance(out, torch.Tensor) and out.requires_grad
    evidence["dropout:gradient"] = {"connected": connected, "out": as_output(out)}
    if connected:
        (out * upstream).sum().backward()
        evidence["dropout:gradient"]["grad"] = plain(base.grad) if base.grad is not None else None  # type: ignore[index]
    judge_dropout_gradient(Evidence(evidence, challenge))


def judge_dropout_gradient(evidence: Evidence) -> None:
    record = evidence.get("dropout:gradient")
    record = record if isinstance(record, dict) else {}
    require(record.get("connected") is True, "dropout_layer's output is not connected to X by autograd: compute it "
            "with torch operations on X (no NumPy, .detach(), .item() or torch.tensor(...)).")
    base, upstream = gradient_inputs(evidence.challenge)
    p = dropout_p(evidence.challenge)
    out, grad = record.get("out"), record.get("grad")
    if not (isinstance(out, torch.Tensor) and isinstance(grad, torch.Tensor) and out.shape == grad.shape == base.shape):
        fail("the gradient of dropout_layer's output with respect to X did not reach X.")
    kept = (out != 0).to(torch.float64)
    # A correct mask of 1200 elements keeps none with probability p**1200 and all with (1 - p)**1200 (< 1e-80).
    require(0 < float(kept.sum()) < kept.numel(), "dropout_layer(X, p) should drop some elements and keep others.")
    expected = upstream.to(torch.float64) * kept / (1 - p)
    require(torch.allclose(grad.to(torch.float64), expected, rtol=SURVIVOR_RTOL, atol=1e-7),
            f"the gradient of dropout_layer(X, p={p:.3f}) with respect to X should be mask/(1 - p): 1/(1 - p) = "
            f"{1 / (1 - p):.4f} for kept elements and 0 for dropped ones.")
