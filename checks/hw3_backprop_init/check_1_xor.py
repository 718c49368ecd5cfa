"""Parts 1 and 2: one layer on XOR, and the 2-2-1 sigmoid network with backpropagation written by hand.

Every check draws its inputs from the challenge seed and records what the student's functions returned; its
judge rebuilds the same inputs in the grader's process and decides again from that evidence alone. The grader's
oracle for gradients is torch.autograd (on the binary cross-entropy of the logits, which is exact), never the
student's code. Calibration of the numbers below: docs/calibration-hw3_backprop_init.md.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from types import ModuleType

import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from grader.checking import fail, require
from grader.protocol import Evidence
from grader.tensors import plain_data

DTYPE = torch.float64
LN2 = math.log(2.0)
SHAPES = {"w1": (2, 2), "b1": (2,), "w2": (2, 1), "b2": (1,)}

# Gradients are float64 sums of a few products: any right chain rule agrees with autograd to ~1e-15. The notes'
# `+ 1e-7` in dcost/da2 is off by at least 4e-7 (relative), a summed cost by a factor N: both far outside.
GRAD_RTOL, GRAD_ATOL = 1e-7, 1e-12
VALUE_RTOL, VALUE_ATOL = 1e-10, 1e-15  # sigmoid, its derivative and forward caches: the same formula

# single_layer_xor: lr 1, 200-300 steps. The reference ends within 3.2e-9 of ln 2 after 200 steps on every one of
# 300 seeds; a single sigmoid unit never gets below ln 2 (float32 rounding allowed for).
SINGLE_LR, SINGLE_BAND = 1.0, 1e-6

# train_xor: 10 seeds drawn from TRAIN_POOL, the 304 seeds of 0..399 on which the reference reaches accuracy 1.0 in
# TRAIN_STEPS steps of lr TRAIN_LR, with its cost below TRAIN_BOUND / 2 (all end at 0.0019..0.0054) and the same
# outcome when its initial weights are moved by 1e-6 (the 2-2-1 network has local minima: the other 96 end with
# one or two points wrong, as the notes' own run does).
TRAIN_STEPS, TRAIN_LR, TRAIN_SEEDS, TRAIN_BOUND = 1000, 5.0, 10, 0.05
TRAIN_POOL = [
    0, 1, 2, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 25,
    26, 27, 29, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 47, 48, 50,
    52, 56, 57, 58, 59, 60, 62, 63, 65, 68, 69, 70, 71, 72, 73, 77, 78, 80, 81, 82,
    84, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 100, 102, 105, 106, 107, 108, 109,
    110, 111, 112, 113, 114, 115, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 130, 131, 132, 133,
    134, 135, 136, 137, 140, 142, 143, 145, 146, 148, 150, 151, 153, 154, 155, 157, 158, 159, 160, 163,
    164, 165, 166, 169, 170, 172, 173, 174, 175, 176, 178, 179, 181, 183, 184, 185, 187, 188, 190, 191,
    193, 194, 195, 196, 197, 200, 201, 202, 204, 206, 207, 208, 209, 212, 213, 214, 215, 216, 217, 219,
    220, 222, 223, 224, 226, 227, 228, 229, 230, 232, 233, 235, 236, 237, 238, 240, 241, 242, 244, 245,
    247, 248, 249, 250, 251, 252, 253, 255, 256, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268,
    270, 271, 272, 273, 274, 276, 277, 278, 281, 282, 283, 284, 286, 287, 288, 289, 290, 292, 294, 298,
    299, 300, 302, 303, 304, 305, 306, 308, 310, 311, 312, 313, 314, 315, 317, 319, 320, 321, 322, 323,
    324, 325, 326, 329, 330, 331, 332, 333, 334, 335, 336, 337, 338, 339, 340, 341, 342, 343, 344, 345,
    346, 347, 348, 349, 350, 351, 352, 353, 354, 355, 357, 359, 360, 362, 363, 364, 366, 367, 368, 369,
    370, 371, 372, 373, 374, 375, 377, 378, 381, 382, 383, 384, 385, 386, 387, 388, 389, 390, 391, 392,
    394, 395, 396, 398,
]


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def xor_points() -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=DTYPE),
            torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=DTYPE))


def drawn_parameters(seed: int) -> dict[str, torch.Tensor]:
    """What init_params(seed) must give: torch.randn of each shape, in the order w1, b1, w2, b2, one generator."""
    draws = generator(seed)
    return {key: torch.randn(*shape, generator=draws, dtype=DTYPE) for key, shape in SHAPES.items()}


def layer_count(params: dict[str, torch.Tensor]) -> int:
    return len([key for key in params if key.startswith("w")])


def grader_cache(X: torch.Tensor, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """z_i and a_i of every layer of a sigmoid network, the grader's own way."""
    cache: dict[str, torch.Tensor] = {}
    activation = X
    for i in range(1, layer_count(params) + 1):
        pre = torch.addmm(params[f"b{i}"], activation, params[f"w{i}"])
        activation = torch.sigmoid(pre)
        cache.update({f"z{i}": pre, f"a{i}": activation})
    return cache


def oracle_gradients(X: torch.Tensor, Y: torch.Tensor, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """torch.autograd's gradients of the mean binary cross-entropy (over all entries of Y)."""
    leaves = {key: value.detach().clone().requires_grad_() for key, value in params.items()}
    with torch.enable_grad():
        logits = grader_cache(X, leaves)[f"z{layer_count(leaves)}"]
        cost = F.binary_cross_entropy_with_logits(logits, Y)
        grads = torch.autograd.grad(cost, list(leaves.values()))
    return {key: grad.detach() for key, grad in zip(leaves, grads)}


def mean_bce(prediction: torch.Tensor, Y: torch.Tensor) -> float:
    return float(F.binary_cross_entropy(prediction, Y))


def require_tensor(value: object, shape: tuple[int, ...], what: str) -> torch.Tensor:
    __tracebackhide__ = True
    if not isinstance(value, torch.Tensor):
        fail(f"{what} should be a torch.Tensor, not {type(value).__name__}.")
    require(value.dtype == DTYPE, f"{what} should be float64 (torch.float64), not {value.dtype}.")
    require(tuple(value.shape) == tuple(shape), f"{what} should have shape {tuple(shape)}, not {tuple(value.shape)}.")
    return value


def require_dict(value: object, keys: list[str], what: str) -> dict[str, object]:
    __tracebackhide__ = True
    if not isinstance(value, dict):
        fail(f"{what} should be a dict with the keys {', '.join(keys)}, not {type(value).__name__}.")
    missing = [key for key in keys if key not in value]
    require(not missing, f"{what} has no key(s) {', '.join(missing)}: it should be a dict with the keys "
            f"{', '.join(keys)}.")
    return value


def largest_difference(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).abs().max()) if got.numel() else 0.0


def close(got: torch.Tensor, want: torch.Tensor, rtol: float, atol: float) -> bool:
    return bool(torch.isclose(got, want, rtol=rtol, atol=atol).all())


def as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


# --- Part 1: one layer ----------------------------------------------------------------------------------------

def single_layer_arguments(seed: int) -> tuple[int, int]:
    """(steps, seed) of the single-layer run."""
    return 200 + seed % 101, seed % 10007


def costs_tensor(costs: object) -> object:
    """A list of costs as a float64 tensor for the evidence (compact), or as it came if it is not numbers."""
    try:
        return torch.tensor([float(c) for c in costs], dtype=DTYPE)  # type: ignore[attr-defined]
    except (TypeError, ValueError, RuntimeError):
        return plain_data(costs)


@pytest.mark.points(2)
def check_single_layer_xor(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """single_layer_xor returns one cost per step, and the cost of one sigmoid unit on XOR stalls at ln 2."""
    steps, seed = single_layer_arguments(challenge)
    evidence["single_layer_xor"] = costs_tensor(submission.single_layer_xor(steps=steps, lr=SINGLE_LR, seed=seed))
    judge_single_layer_xor(Evidence(evidence, challenge))


def judge_single_layer_xor(evidence: Evidence) -> None:
    steps, seed = single_layer_arguments(evidence.challenge)
    call = f"single_layer_xor(steps={steps}, lr={SINGLE_LR}, seed={seed})"
    costs = evidence.get("single_layer_xor")
    require(isinstance(costs, torch.Tensor) and costs.dim() == 1, f"{call} should return a list of floats, "
            "one cost per step.")
    assert isinstance(costs, torch.Tensor)
    require(len(costs) == steps, f"{call} returned {len(costs)} costs: it should return one per step ({steps}).")
    require(bool(torch.isfinite(costs).all()), f"{call} returned a cost that is not finite.")
    lowest = float(costs.min())
    require(lowest >= LN2 - SINGLE_BAND, f"{call} returned a cost of {lowest:.6f}, below ln 2 = {LN2:.6f}, which one "
            "Linear(2, 1) + sigmoid trained with BCELoss cannot reach on XOR: train exactly that model.")
    require(abs(float(costs[-1]) - LN2) <= SINGLE_BAND, f"{call} ends at a cost of {float(costs[-1]):.6f}, not within "
            f"{SINGLE_BAND:g} of ln 2 = {LN2:.6f}: train Linear(2, 1) + sigmoid with BCELoss and SGD, calling "
            "optimizer.zero_grad() before every backward().")


# --- Part 2: the 2-2-1 network --------------------------------------------------------------------------------

EXTREMES = torch.tensor([-1000.0, -745.0, -710.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 710.0, 745.0,
                         1000.0], dtype=DTYPE)


def sigmoid_inputs(seed: int) -> list[torch.Tensor]:
    return [torch.randn(6, 5, generator=generator(seed), dtype=DTYPE) * 8.0, EXTREMES.clone()]


def record_elementwise(function: Callable[[torch.Tensor], object], seed: int) -> list[object]:
    return [plain_data(function(z.clone())) for z in sigmoid_inputs(seed)]


def judge_elementwise(outputs: object, seed: int, expected: Callable[[torch.Tensor], torch.Tensor], name: str,
                      formula: str) -> None:
    outputs = as_list(outputs)
    require(len(outputs) == 2, f"the grader received no output of {name} to verify.")
    for out, z in zip(outputs, sigmoid_inputs(seed)):
        got = require_tensor(out, tuple(z.shape), f"{name}(z) for a float64 z of shape {tuple(z.shape)}")
        nan = torch.isnan(got)
        if bool(nan.any()):
            fail(f"{name}(z) gives nan for z = {float(z[nan].flatten()[0]):g}: for large |z| write the sigmoid as "
                 "1 / (1 + exp(-z)), which float64 takes to 0 or 1 (exp(z) / (1 + exp(z)) is inf / inf).")
        want = expected(z)
        require(close(got, want, VALUE_RTOL, VALUE_ATOL), f"{name}(z) should be {formula} elementwise, but differs "
                f"from it by up to {largest_difference(got, want):.3g}.")


@pytest.mark.points(1)
def check_sigmoid(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """sigmoid(z) is 1 / (1 + exp(-z)) elementwise, without nan for |z| up to 1000."""
    evidence["sigmoid"] = record_elementwise(submission.sigmoid, challenge)
    judge_sigmoid(Evidence(evidence, challenge))


def judge_sigmoid(evidence: Evidence) -> None:
    judge_elementwise(evidence.get("sigmoid"), evidence.challenge, torch.sigmoid, "sigmoid", "1 / (1 + exp(-z))")


def sigmoid_slope(z: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s - s * s


@pytest.mark.points(1)
def check_sigmoid_prime(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """sigmoid_prime(z) is the derivative sigmoid(z) * (1 - sigmoid(z)) at the pre-activation z."""
    evidence["sigmoid_prime"] = record_elementwise(submission.sigmoid_prime, challenge + 1)
    judge_sigmoid_prime(Evidence(evidence, challenge))


def judge_sigmoid_prime(evidence: Evidence) -> None:
    judge_elementwise(evidence.get("sigmoid_prime"), evidence.challenge + 1, sigmoid_slope, "sigmoid_prime",
                      "sigmoid(z) * (1 - sigmoid(z))")


def init_seeds(seed: int) -> list[int]:
    """Two calls with one seed and one with the next."""
    first = seed % 100000
    return [first, first, first + 1]


@pytest.mark.points(1)
def check_init_params(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """init_params(seed) draws w1, b1, w2, b2 with torch.randn from a generator seeded with seed."""
    evidence["init_params"] = [plain_data(submission.init_params(seed)) for seed in init_seeds(challenge)]
    judge_init_params(Evidence(evidence, challenge))


def judge_init_params(evidence: Evidence) -> None:
    calls = as_list(evidence.get("init_params"))
    require(len(calls) == 3, "the grader received no parameters from init_params to verify.")
    for seed, params in zip(init_seeds(evidence.challenge), calls):
        params = require_dict(params, list(SHAPES), f"init_params({seed})")
        for key, want in drawn_parameters(seed).items():
            got = require_tensor(params[key], tuple(want.shape), f"init_params({seed})[{key!r}]")
            require(torch.equal(got, want), f"init_params({seed})[{key!r}] is not the draw of "
                    "torch.Generator().manual_seed(seed) with torch.randn for w1, b1, w2, b2 in that order "
                    "(torch.Tensor(2, 2) and torch.empty are uninitialised memory, not a draw).")


def forward_cases(seed: int) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """The XOR points and two random batches, each with random parameters."""
    draws = generator(seed)
    cases = [(xor_points()[0], drawn_parameters(seed))]
    for n in (7, 3):
        cases.append((torch.randn(n, 2, generator=draws, dtype=DTYPE),
                      {key: torch.randn(*shape, generator=draws, dtype=DTYPE) for key, shape in SHAPES.items()}))
    return cases


@pytest.mark.points(2)
def check_forward(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """forward returns the cache z1, a1, z2, a2 of the 2-2-1 sigmoid network."""
    evidence["forward"] = [plain_data(submission.forward(X.clone(), {k: v.clone() for k, v in params.items()}))
                           for X, params in forward_cases(challenge)]
    judge_forward(Evidence(evidence, challenge))


def judge_forward(evidence: Evidence) -> None:
    caches = as_list(evidence.get("forward"))
    cases = forward_cases(evidence.challenge)
    require(len(caches) == len(cases), "the grader received no cache from forward to verify.")
    for cache, (X, params) in zip(caches, cases):
        judge_cache(cache, grader_cache(X, params), f"forward on {len(X)} points")


def judge_cache(cache: object, expected: dict[str, torch.Tensor], where: str) -> None:
    cache = require_dict(cache, list(expected), f"the cache of {where}")
    for key, want in expected.items():
        got = require_tensor(cache[key], tuple(want.shape), f"the cache's {key!r} ({where})")
        require(close(got, want, VALUE_RTOL, 1e-12), f"the cache's {key!r} ({where}) differs from the grader's by "
                f"up to {largest_difference(got, want):.3g}: z_i = a_(i-1) @ w_i + b_i and a_i = sigmoid(z_i), "
                "with a_0 = X.")


def backward_cases(seed: int, count: int = 6) -> list[tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]]:
    """Random 2-2-1 networks (torch.randn parameters) and batches of 2 to 9 points with labels 0/1."""
    draws = generator(seed)
    cases = []
    for _ in range(count):
        n = int(torch.randint(2, 10, (1,), generator=draws))
        params = {key: torch.randn(*shape, generator=draws, dtype=DTYPE) for key, shape in SHAPES.items()}
        X = torch.randn(n, 2, generator=draws, dtype=DTYPE)
        Y = torch.randint(0, 2, (n, 1), generator=draws).to(DTYPE)
        cases.append((X, Y, params))
    return cases


def call_backward(function: Callable[..., object], X: torch.Tensor, Y: torch.Tensor,
                  params: dict[str, torch.Tensor]) -> object:
    """The student's backward on copies of the inputs and the grader's own cache."""
    cache = grader_cache(X, params)
    return function(X.clone(), Y.clone(), {k: v.clone() for k, v in params.items()},
                    {k: v.clone() for k, v in cache.items()})


def judge_gradients(grads: object, X: torch.Tensor, Y: torch.Tensor, params: dict[str, torch.Tensor],
                    name: str, network: str) -> None:
    where = f"{name} on a random {network} network with {len(X)} points"
    grads = require_dict(grads, list(params), f"what {where} returned")
    expected = oracle_gradients(X, Y, params)
    for key, want in expected.items():
        got = require_tensor(grads[key], tuple(want.shape), f"the gradient of {key!r} ({where})")
        if close(got, want, GRAD_RTOL, GRAD_ATOL):
            continue
        if close(got, want * Y.numel(), GRAD_RTOL, GRAD_ATOL):
            hint = "it is the gradient of the summed cost, N times the mean's: divide by N once, in dcost/dz"
        elif close(got, want, 1e-4, GRAD_ATOL):
            hint = ("close, but not exact: write dcost/dz at the output as (a - Y) / N, with no epsilon such as the "
                    "notes' + 1e-7")
        else:
            hint = ("the gradient of the mean cost is dcost/dz = (a - Y) / N at the output, then sums over the "
                    "batch, with sigmoid_prime of the pre-activations")
        fail(f"the gradient of {key!r} from {where} differs from autograd's by up to "
             f"{largest_difference(got, want):.3g}: {hint}.")


@pytest.mark.points(3)
def check_backward(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """backward gives autograd's gradients of the mean cross-entropy for random 2-2-1 networks and batches."""
    evidence["backward"] = [plain_data(call_backward(submission.backward, X, Y, params))
                            for X, Y, params in backward_cases(challenge)]
    judge_backward(Evidence(evidence, challenge))


def judge_backward(evidence: Evidence) -> None:
    grads = as_list(evidence.get("backward"))
    cases = backward_cases(evidence.challenge)
    require(len(grads) == len(cases), "the grader received no gradients from backward to verify.")
    for got, (X, Y, params) in zip(grads, cases):
        judge_gradients(got, X, Y, params, "backward", "2-2-1")


class AutogradWatch(TorchFunctionMode):
    """Notes every torch operation, run while it is active, that builds an autograd graph or runs autograd."""

    def __init__(self) -> None:
        super().__init__()
        self.used: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        result = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", type(func).__name__)
        outputs = result if isinstance(result, (tuple, list)) else [result]
        if name in ("backward", "grad") or any(isinstance(t, torch.Tensor) and (t.requires_grad or t.grad_fn)
                                                for t in outputs):
            self.used.append(name)
        return result


def autograd_use(function: Callable[..., object], X: torch.Tensor, Y: torch.Tensor,
                 params: dict[str, torch.Tensor]) -> list[str]:
    """What of autograd one call of a student's backward used: operations that built a graph or ran autograd,
    and gradients returned with a graph; empty for code that computes by hand."""
    watch = AutogradWatch()
    with watch:
        grads = call_backward(function, X, Y, params)
    used = sorted(set(watch.used))
    for key, grad in (grads.items() if isinstance(grads, dict) else []):
        if isinstance(grad, torch.Tensor) and (grad.requires_grad or grad.grad_fn is not None):
            used.append(f"the gradient of {key!r} requires grad")
    return used


def autograd_cases(seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]]:
    X, Y, params = backward_cases(seed, count=1)[0]
    draws = generator(seed + 7)
    deep = {"w1": torch.randn(2, 3, generator=draws, dtype=DTYPE), "b1": torch.randn(3, generator=draws, dtype=DTYPE),
            "w2": torch.randn(3, 2, generator=draws, dtype=DTYPE), "b2": torch.randn(2, generator=draws, dtype=DTYPE),
            "w3": torch.randn(2, 1, generator=draws, dtype=DTYPE), "b3": torch.randn(1, generator=draws, dtype=DTYPE)}
    return {"backward": (X, Y, params), "backward_deep": (X, Y, deep)}


@pytest.mark.points(1)
def check_backward_by_hand(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """backward and backward_deep compute their gradients by hand: no autograd inside."""
    evidence["backward_by_hand"] = {name: autograd_use(getattr(submission, name), *case)
                                    for name, case in autograd_cases(challenge).items()}
    judge_backward_by_hand(Evidence(evidence, challenge))


def judge_backward_by_hand(evidence: Evidence) -> None:
    """The grader cannot see how numbers were computed: this verdict rests on what the grading process watched."""
    used = evidence.get("backward_by_hand")
    require(isinstance(used, dict) and set(used) == {"backward", "backward_deep"},
            "the grader received no record of how backward and backward_deep computed their gradients.")
    assert isinstance(used, dict)
    for name in ("backward", "backward_deep"):
        operations = as_list(used[name])
        require(not operations, f"{name} used autograd ({', '.join(map(str, operations[:4]))}) on inputs that do "
                "not require grad: compute the gradients by hand with the chain rule, without requires_grad, "
                "backward() or torch.autograd.")


def train_seeds(seed: int) -> list[int]:
    return random.Random(seed).sample(TRAIN_POOL, TRAIN_SEEDS)


@pytest.mark.points(3)
@pytest.mark.timeout(60)
def check_train_xor(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """train_xor starts from init_params(seed) and learns XOR: accuracy 1.0 and a low cost on 10 seeds."""
    runs = []
    for seed in train_seeds(challenge):
        params, costs = submission.train_xor(steps=TRAIN_STEPS, lr=TRAIN_LR, seed=seed)
        runs.append({"params": plain_data(params), "costs": costs_tensor(costs)})
    evidence["train_xor"] = runs
    judge_train_xor(Evidence(evidence, challenge))


def judge_train_xor(evidence: Evidence) -> None:
    runs = as_list(evidence.get("train_xor"))
    seeds = train_seeds(evidence.challenge)
    require(len(runs) == len(seeds), "the grader received no result of train_xor to verify.")
    X, Y = xor_points()
    for seed, run in zip(seeds, runs):
        call = f"train_xor(steps={TRAIN_STEPS}, lr={TRAIN_LR}, seed={seed})"
        run = require_dict(run, ["params", "costs"], f"what {call} returned")
        costs = run["costs"]
        require(isinstance(costs, torch.Tensor) and costs.dim() == 1 and len(costs) == TRAIN_STEPS,
                f"{call} should return (params, costs) with one cost per step ({TRAIN_STEPS}).")
        assert isinstance(costs, torch.Tensor)
        require(bool(torch.isfinite(costs).all()), f"{call} returned a cost that is not finite.")
        start = mean_bce(grader_cache(X, drawn_parameters(seed))["a2"], Y)
        require(math.isclose(float(costs[0]), start, rel_tol=1e-9), f"{call}'s first cost is {float(costs[0]):.6f}, "
                f"but the cost of init_params({seed}) is {start:.6f}: start from init_params(seed) and record "
                "each step's cost before its update.")
        params = require_dict(run["params"], list(SHAPES), f"the parameters {call} returned")
        final = {key: require_tensor(params[key], shape, f"the {key!r} {call} returned") for key, shape in SHAPES.items()}
        prediction = grader_cache(X, final)["a2"]
        right = int(((prediction > 0.5) == (Y > 0.5)).sum())
        cost = mean_bce(prediction, Y)
        require(right == 4 and cost < TRAIN_BOUND and float(costs[-1]) < TRAIN_BOUND,
                f"after {call} the network gets {right} of the 4 XOR points right with a cost of {cost:.4f} (the "
                f"reference: 4, below {TRAIN_BOUND}): update every parameter, p <- p - lr * dp, with backward's "
                "gradients, once per step.")
