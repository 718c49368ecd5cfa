"""Weight decay from scratch: l2_penalty, and the notes' high-dimensional linear regression with lambda = 0 and 3.

weight_decay_experiment draws its data from a torch.Generator seeded with `seed` (given code in the template),
so the grader rebuilds the same 20 training and 100 test examples here and computes the losses of the (w, b)
the experiment returns itself: it judges the trained model, not the numbers reported. The experiment runs with
the grader's l2_penalty ((w*w).sum()/2), so a wrong l2_penalty costs its own check only.

Thresholds, calibrated on the reference over 230 seeds (docs/calibration-hw2_from_scratch.md):
- lambda = 3: test loss 0.054 ... 0.227; the check asks < 1.0 (4.4x margin). lambda = 0 gives 57.7 ... 158.7.
- lambda = 0: train loss 9e-8 ... 1.3e-4; the check asks < 1e-3 (7.7x margin), and a test loss > 10 (5.8x).
- "far lower": test(lambda=3) * 10 < test(lambda=0); the smallest ratio seen is 309 (31x margin).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest
import torch

from grader.checking import fail, require
from grader.protocol import Evidence
from grader.tensors import plain

N_TRAIN, N_TEST, NUM_INPUTS = 20, 100, 200
TRUE_W, TRUE_B = torch.ones((NUM_INPUTS, 1)) * 0.01, 0.05
LAMBDA_TEST_MAX = 1.0  # test loss with lambda = 3
OVERFIT_TRAIN_MAX, OVERFIT_TEST_MIN = 1e-3, 10.0  # lambda = 0
FAR_LOWER = 10.0  # test(lambda=0) / test(lambda=3) at least
LOSS_RTOL, LOSS_ATOL = 1e-2, 1e-6  # reported (float32, the template's code) against the grader's float64 losses


def rng_for(challenge: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([challenge, salt])


# --------------------------------------------------------------------------------------------------------
# l2_penalty

def penalty_inputs(challenge: int) -> list[torch.Tensor]:
    rng = rng_for(challenge, 81)
    g = torch.Generator().manual_seed(int(rng.integers(2**62)))
    return [torch.randn(int(rng.integers(5, 51)), 1, generator=g, dtype=torch.float64),
            torch.randn(int(rng.integers(2, 8)), int(rng.integers(2, 8)), generator=g, dtype=torch.float64)]


@pytest.mark.points(1)
def check_l2_penalty(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """l2_penalty(w) is the tensor (w**2).sum()/2, and autograd gives it the gradient w."""
    records = []
    for w in penalty_inputs(challenge):
        w = w.clone().requires_grad_()
        value = submission.l2_penalty(w)
        record: dict[str, object] = {"value": plain(value) if isinstance(value, torch.Tensor) else None}
        if isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1:
            value.sum().backward()
            record["grad"] = plain(w.grad) if w.grad is not None else None
        records.append(record)
    evidence["l2_penalty"] = records
    judge_l2_penalty(Evidence(evidence, challenge))


def judge_l2_penalty(evidence: Evidence) -> None:
    records = evidence.get("l2_penalty")
    ws = penalty_inputs(evidence.challenge)
    if not isinstance(records, list) or len(records) != len(ws):
        fail("the grader received nothing from l2_penalty to verify this check.")
    for w, record in zip(ws, records):
        record = record if isinstance(record, dict) else {}
        value, grad = record.get("value"), record.get("grad")
        require(isinstance(value, torch.Tensor) and value.numel() == 1,
                "l2_penalty(w) should return a torch scalar (a tensor with one element), not a Python number.")
        expected = float((w * w).sum() / 2)
        got = float(value.reshape(()))  # type: ignore[union-attr]
        require(math.isclose(got, expected, rel_tol=1e-10),
                f"l2_penalty(w) should be the sum of w's squares divided by 2 ({expected:.6f}), not {got:.6f}.")
        require(isinstance(grad, torch.Tensor) and grad.shape == w.shape
                and torch.allclose(grad.to(torch.float64), w, rtol=1e-10, atol=1e-12),
                "autograd should find the gradient of l2_penalty(w) to be w itself: build it from torch operations "
                "on w (no .item(), no NumPy).")


# --------------------------------------------------------------------------------------------------------
# The experiment

def experiment_seed(challenge: int) -> int:
    return int(rng_for(challenge, 91).integers(0, 2**31 - 1))


def experiment_data(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The template's given draws: training set, then test set, from one generator seeded with `seed`."""
    generator = torch.Generator().manual_seed(int(seed))
    sets = []
    for n in (N_TRAIN, N_TEST):
        X = torch.normal(0.0, 1.0, (n, NUM_INPUTS), generator=generator)
        y = torch.matmul(X, TRUE_W) + TRUE_B
        y += torch.normal(0.0, 0.01, y.shape, generator=generator)
        sets += [X, y.reshape((-1, 1))]
    return sets[0], sets[1], sets[2], sets[3]


@contextlib.contextmanager
def grader_penalty(submission: ModuleType) -> Iterator[None]:
    """The submission's l2_penalty replaced by the grader's for the duration."""
    saved = getattr(submission, "l2_penalty", None)
    submission.l2_penalty = lambda w: (w * w).sum() / 2
    try:
        yield
    finally:
        submission.l2_penalty = saved


def run_experiment(submission: ModuleType, lambd: float, seed: int) -> object:
    with grader_penalty(submission):
        result = submission.weight_decay_experiment(lambd, seed)
    if not isinstance(result, dict):
        return repr(type(result).__name__)
    # The losses as Python floats, so that both halves see the same type (a NumPy scalar would cross as a tensor).
    return {"train_loss": number(result.get("train_loss")), "test_loss": number(result.get("test_loss")),
            "w": plain(result["w"]) if isinstance(result.get("w"), torch.Tensor) else None,
            "b": plain(result["b"]) if isinstance(result.get("b"), torch.Tensor) else None}


def number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        return None


def losses(result: object, seed: int, lambd: float) -> tuple[float, float]:
    """(train loss, test loss) of the returned (w, b), computed by the grader on the seed's data, after checking
    that they are the losses the experiment reported."""
    __tracebackhide__ = True
    if not isinstance(result, dict):
        fail(f"weight_decay_experiment should return a dict with train_loss, test_loss, w and b, not {result}.")
    w, b = result.get("w"), result.get("b")
    if not (isinstance(w, torch.Tensor) and w.shape == (NUM_INPUTS, 1) and isinstance(b, torch.Tensor)
            and b.numel() == 1):
        fail("weight_decay_experiment should return the trained w (200 x 1) and b with its losses (keep the given "
             "return statement).")
    train_X, train_y, test_X, test_y = experiment_data(seed)
    mine = []
    for X, y in ((train_X, train_y), (test_X, test_y)):
        error = torch.matmul(X.double(), w.double()) + b.double().reshape(()) - y.double()
        mine.append(float((error**2 / 2).mean()))
    for name, value in zip(("train_loss", "test_loss"), mine):
        reported = result.get(name)
        require(isinstance(reported, (int, float)) and math.isclose(float(reported), value, rel_tol=LOSS_RTOL,
                                                                      abs_tol=LOSS_ATOL),
                f"weight_decay_experiment(lambd={lambd}, seed={seed}) reported {name} {reported}, but its (w, b) "
                f"give {value:.6g} on the data drawn from the seed: keep the given code that draws the data and "
                "computes the losses.")
    require(all(math.isfinite(v) for v in mine), f"training with lambd={lambd} diverged: the losses are not finite.")
    return mine[0], mine[1]


@pytest.mark.points(1)
def check_weight_decay_overfits(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Without weight decay (lambd=0) the model fits the 20 training examples almost exactly and fails the test set."""
    evidence["weight_decay:0"] = run_experiment(submission, 0, experiment_seed(challenge))
    judge_weight_decay_overfits(Evidence(evidence, challenge))


def judge_weight_decay_overfits(evidence: Evidence) -> None:
    seed = experiment_seed(evidence.challenge)
    train, test = losses(evidence.get("weight_decay:0"), seed, 0)
    require(train < OVERFIT_TRAIN_MAX and test > OVERFIT_TEST_MIN,
            f"with lambd=0 (seed {seed}) the train loss should fall below {OVERFIT_TRAIN_MAX:g} while the test loss "
            f"stays above {OVERFIT_TEST_MIN:g} (overfitting), but they are {train:.3g} and {test:.3g}: run "
            "num_epochs epochs of minibatch SGD over data_iter(...).")


@pytest.mark.points(2)
def check_weight_decay_generalises(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """With lambd=3 the test loss falls below 1.0, at least ten times lower than with lambd=0."""
    seed = experiment_seed(challenge)
    evidence["weight_decay:3"] = run_experiment(submission, 3, seed)
    evidence["weight_decay:0"] = run_experiment(submission, 0, seed)
    judge_weight_decay_generalises(Evidence(evidence, challenge))


def judge_weight_decay_generalises(evidence: Evidence) -> None:
    seed = experiment_seed(evidence.challenge)
    _, test3 = losses(evidence.get("weight_decay:3"), seed, 3)
    _, test0 = losses(evidence.get("weight_decay:0"), seed, 0)
    require(test3 < LAMBDA_TEST_MAX and test3 * FAR_LOWER < test0,
            f"with lambd=3 (seed {seed}) the test loss should be below {LAMBDA_TEST_MAX:g} and at least "
            f"{FAR_LOWER:g} times lower than with lambd=0, but it is {test3:.3g} (lambd=0: {test0:.3g}): add "
            "lambd * l2_penalty(w) to every example's loss.")


@pytest.mark.points(1)
def check_weight_decay_reproducible(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """weight_decay_experiment with the same seed gives the same trained w and losses (all draws from the generator)."""
    seed = experiment_seed(challenge)
    evidence["weight_decay:runs"] = [run_experiment(submission, 3, seed) for _ in range(2)]
    judge_weight_decay_reproducible(Evidence(evidence, challenge))


def judge_weight_decay_reproducible(evidence: Evidence) -> None:
    runs = evidence.get("weight_decay:runs")
    seed = experiment_seed(evidence.challenge)
    if not isinstance(runs, list) or len(runs) != 2:
        fail("the grader received nothing from two runs of weight_decay_experiment to verify this check.")
    first, second = (losses(run, seed, 3) for run in runs)
    same_w = torch.equal(runs[0]["w"], runs[1]["w"])  # type: ignore[index]
    require(same_w and first == second, f"two runs of weight_decay_experiment(lambd=3, seed={seed}) trained different "
            "models: draw the minibatches from data_iter(..., generator), not from torch's global random state.")
