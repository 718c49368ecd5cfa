"""The six NumPy optimizers, each against torch.optim: an implementation of the same formulas that shares no
code with the student's (and none with the reference solution).

Why torch.optim is the notes' formula, class by class (single-tensor code path, `foreach=False`):
- SGD: torch `p -= lr * g`. Identical.
- Momentum: torch keeps a buffer b (b = g on the first step, then b = mu * b + g; dampening 0) and does
  `p -= lr * b`. With v = -lr * b: v_1 = -lr * g_1 = mu * 0 - lr * g_1 and v_t = mu * v_{t-1} - lr * g_t, then
  p += v: the notes' v <- alpha v - eta grad, W <- W + v, with v starting at 0.
- Nesterov: torch (nesterov=True) does b = mu * b + g, then `p -= lr * (g + mu * b)`. With v = -lr * b this is
  v <- mu v - lr g, p <- p + mu v - lr g, the notes' NAG written for the look-ahead point
  theta_n = x_n + mu v_{n-1} that `params` holds (derivation in the template's Blank 3).
- AdaGrad: torch Adagrad (lr_decay=0, initial_accumulator_value=0) does s += g*g, `p -= lr * g / (sqrt(s) + eps)`:
  the notes' formula with eps = 1e-7 outside the square root.
- RMSprop: torch RMSprop (alpha=rho, centered=False, momentum=0) does s = alpha s + (1 - alpha) g*g,
  `p -= lr * g / (sqrt(s) + eps)`: the notes' formula with eps = 1e-7.
- Adam: torch does m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g*g and `p -= lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t)
  + eps)`, i.e. W -= lr * m_hat / (sqrt(v_hat) + eps): the textbook form, eps = 1e-7. The other accepted form
  (the notes' lr_t = lr sqrt(1 - b2^t)/(1 - b1^t), W -= lr_t m / (sqrt(v) + eps)) equals torch's with the step's
  eps set to eps / sqrt(1 - b2^t), which the oracle does before each step (`ADAM_LR_T`).
t is counted per parameter by torch, as the homework asks per key. Each key gets its own torch optimizer.

Tolerances: every comparison is in float64 with rtol 1e-9 and atol 1e-12. The student's NumPy and torch
evaluate the same formula in a different order, which costs a few units of 2**-52 per operation; over 20 updates
nothing amplifies them (each map is a contraction or an addition), so 1e-9 leaves six orders of magnitude of room,
while every catalogued wrong formula is off by 1e-6 or more (an epsilon inside a square root shows on the "tiny"
key, whose gradients are 1e-4 so that sqrt(h) is comparable to 1e-7 ... 1e-4).
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest
import torch

from grader.checking import fail, require
from grader.protocol import Evidence

NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")
DEFAULTS: dict[str, dict[str, float]] = {
    "SGD": {"lr": 0.01}, "Momentum": {"lr": 0.01, "momentum": 0.9}, "Nesterov": {"lr": 0.01, "momentum": 0.9},
    "AdaGrad": {"lr": 0.01}, "RMSprop": {"lr": 0.01, "decay_rate": 0.99},
    "Adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999},
}
FORMULA = {
    "SGD": "W <- W - lr*grad",
    "Momentum": "v <- momentum*v - lr*grad, W <- W + v (v starting at 0 per key)",
    "Nesterov": "v <- momentum*v - lr*grad, W <- W + momentum*v - lr*grad (v starting at 0 per key)",
    "AdaGrad": "h <- h + grad*grad, W <- W - lr*grad/(sqrt(h) + 1e-7)",
    "RMSprop": "h <- decay_rate*h + (1 - decay_rate)*grad*grad, W <- W - lr*grad/(sqrt(h) + 1e-7)",
    "Adam": "m, v moving averages, m_hat = m/(1 - beta1^t), v_hat = v/(1 - beta2^t) with t counted per key, "
            "W <- W - lr*m_hat/(sqrt(v_hat) + 1e-7)",
}
EPS = 1e-7
ADAM_LR_T = "Adam (lr_t form)"
RTOL, ATOL = 1e-9, 1e-12
STEPS = 20


# --------------------------------------------------------------------------------------------------------
# The oracle: torch.optim behind the course interface update(params, grads)

def torch_optimizer(name: str, hyper: dict[str, float], tensor: torch.Tensor) -> torch.optim.Optimizer:
    lr = hyper["lr"]
    if name == "SGD":
        return torch.optim.SGD([tensor], lr=lr, foreach=False)
    if name in ("Momentum", "Nesterov"):
        return torch.optim.SGD([tensor], lr=lr, momentum=hyper["momentum"], nesterov=name == "Nesterov",
                               foreach=False)
    if name == "AdaGrad":
        return torch.optim.Adagrad([tensor], lr=lr, eps=EPS, foreach=False)
    if name == "RMSprop":
        return torch.optim.RMSprop([tensor], lr=lr, alpha=hyper["decay_rate"], eps=EPS, foreach=False)
    if name in ("Adam", ADAM_LR_T):
        return torch.optim.Adam([tensor], lr=lr, betas=(hyper["beta1"], hyper["beta2"]), eps=EPS, foreach=False)
    raise ValueError(name)


class Oracle:
    """`name`'s update(params, grads) computed by torch.optim in float64, one torch optimizer per key."""

    def __init__(self, name: str, **hyper: float) -> None:
        self.name = name
        self.hyper = {**DEFAULTS["Adam" if name == ADAM_LR_T else name], **hyper}
        self.state: dict[str, tuple[torch.Tensor, torch.optim.Optimizer, list[int]]] = {}

    def update(self, params: dict, grads: dict) -> None:
        for key, current in list(params.items()):
            if key not in self.state:
                tensor = torch.zeros(np.shape(current), dtype=torch.float64, requires_grad=True)
                self.state[key] = (tensor, torch_optimizer(self.name, self.hyper, tensor), [0])
            tensor, optimizer, steps = self.state[key]
            steps[0] += 1
            with torch.no_grad():
                tensor.copy_(torch.as_tensor(np.asarray(current, dtype=np.float64)))
            tensor.grad = torch.as_tensor(np.array(grads[key], dtype=np.float64))
            if self.name == ADAM_LR_T:
                optimizer.param_groups[0]["eps"] = EPS / math.sqrt(1 - self.hyper["beta2"] ** steps[0])
            optimizer.step()
            value = tensor.detach().numpy()
            if isinstance(current, np.ndarray):
                current[...] = value
            else:
                params[key] = float(value)


def oracle_class(name: str) -> type:
    """A class with the homework's constructor (`name`'s hyper-parameters in order, by position or keyword) whose
    update is `name`'s Oracle."""
    order = tuple(DEFAULTS[name])

    def __init__(self: Oracle, *args: float, **hyper: float) -> None:
        Oracle.__init__(self, name, **dict(zip(order, args)), **hyper)

    return type(f"Oracle{name}", (Oracle,), {"__init__": __init__})


# --------------------------------------------------------------------------------------------------------
# Problems drawn from the challenge, and trajectories

def rng_for(challenge: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([challenge, salt])


def draw_problem(rng: np.random.Generator, prefix: str, steps: int, dtype: type = np.float64,
                 tiny: bool = True, floats: bool = True) -> tuple[dict, list[dict]]:
    """Initial params (arrays of random shapes, a float, a key with 1e-4 gradients) and `steps` gradient dicts."""
    shapes: dict[str, tuple[int, ...]] = {
        f"{prefix}W": (int(rng.integers(2, 6)), int(rng.integers(2, 6))),
        f"{prefix}b": (int(rng.integers(2, 7)),),
        f"{prefix}T": (2, int(rng.integers(2, 4)), int(rng.integers(2, 4))),
    }
    if tiny:
        shapes[f"{prefix}tiny"] = (int(rng.integers(2, 6)),)
    scale = {f"{prefix}tiny": 1e-4}
    params: dict = {key: rng.normal(size=shape).astype(dtype) for key, shape in shapes.items()}
    if floats:
        params[f"{prefix}x"] = float(rng.normal())
    grads = []
    while len(grads) < steps:
        step: dict = {key: (rng.normal(size=shape) * scale.get(key, 1.0)).astype(dtype)
                      for key, shape in shapes.items()}
        if floats:
            step[f"{prefix}x"] = float(rng.normal())
        grads.append(step)
    return params, grads


def copied(values: dict) -> dict:
    return {key: value.copy() if isinstance(value, np.ndarray) else value for key, value in values.items()}


def as_tensor(value: object) -> torch.Tensor | None:
    """A float64 tensor of a params value (array, NumPy scalar or float); None when it is not numbers."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return torch.from_numpy(array)


def snapshot(params: dict, keys: list[str]) -> dict[str, torch.Tensor | None]:
    return {key: as_tensor(params.get(key)) for key in keys}


def trajectory(optimizer: object, params: dict, grads: list[dict]) -> list[dict[str, torch.Tensor | None]]:
    """params (as float64 tensors) after each update of `optimizer`, fed copies of `grads`."""
    keys = list(params)
    out = []
    for step in grads:
        optimizer.update(params, copied(step))  # type: ignore[attr-defined]
        out.append(snapshot(params, keys))
    return out


def mismatch(got: object, expected: list[dict[str, torch.Tensor | None]], rtol: float = RTOL,
             atol: float = ATOL) -> str:
    """'' when `got` is `expected` within the tolerances, else where it first differs, in words."""
    if not isinstance(got, list) or len(got) != len(expected):
        return "the grader received no trajectory of params to compare"
    for step, (have, want) in enumerate(zip(got, expected), start=1):
        for key, target in want.items():
            value = have.get(key) if isinstance(have, dict) else None
            if not isinstance(value, torch.Tensor) or target is None:
                return f"after update {step}, params[{key!r}] is not a number or array of numbers"
            if value.shape != target.shape:
                return f"after update {step}, params[{key!r}] has shape {tuple(value.shape)}, not {tuple(target.shape)}"
            value = value.to(torch.float64)
            if not torch.allclose(value, target, rtol=rtol, atol=atol):
                gap = float((value - target).abs().nan_to_num(math.inf).max())
                return f"after update {step}, params[{key!r}] is off by up to {gap:.2e}"
    return ""


def expected_trajectories(name: str, hyper: dict[str, float], params: dict, grads: list[dict]) -> list[list[dict]]:
    """What each accepted form of `name` gives (Adam has two, differing only in where 1e-7 is added)."""
    forms = [name, ADAM_LR_T] if name == "Adam" else [name]
    return [trajectory(Oracle(form, **hyper), copied(params), grads) for form in forms]


def require_as_oracle(name: str, hyper: dict[str, float], got: object, params: dict, grads: list[dict],
                      what: str) -> None:
    __tracebackhide__ = True
    problems = [mismatch(got, want) for want in expected_trajectories(name, hyper, params, grads)]
    if all(problems):
        fail(f"{name}.update{what} does not follow {FORMULA[name]}: {problems[0]}.")


# --------------------------------------------------------------------------------------------------------
# Visible checks: each class with its default hyper-parameters, 20 updates of 5 keys (arrays of 1 to 3
# dimensions, a Python float, and a key with gradients of 1e-4)

def default_problem(challenge: int, name: str) -> tuple[dict, list[dict]]:
    return draw_problem(rng_for(challenge, 1 + NAMES.index(name)), "", STEPS)


def observe_defaults(submission: ModuleType, evidence: dict[str, object], challenge: int, name: str) -> None:
    params, grads = default_problem(challenge, name)
    evidence[f"optimizer:{name}"] = trajectory(getattr(submission, name)(), params, grads)


def judge_defaults(evidence: Evidence, name: str) -> None:
    params, grads = default_problem(evidence.challenge, name)
    require_as_oracle(name, DEFAULTS[name], evidence.get(f"optimizer:{name}"), params, grads,
                      f" (defaults {DEFAULTS[name]})")


@pytest.mark.points(1)
def check_sgd(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """SGD().update follows W <- W - lr*grad (lr = 0.01) on arrays, in place, and on floats."""
    observe_defaults(submission, evidence, challenge, "SGD")
    judge_sgd(Evidence(evidence, challenge))


def judge_sgd(evidence: Evidence) -> None:
    judge_defaults(evidence, "SGD")


@pytest.mark.points(1)
def check_momentum(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Momentum().update follows v <- 0.9v - 0.01*grad, W <- W + v, with v per key from 0."""
    observe_defaults(submission, evidence, challenge, "Momentum")
    judge_momentum(Evidence(evidence, challenge))


def judge_momentum(evidence: Evidence) -> None:
    judge_defaults(evidence, "Momentum")


@pytest.mark.points(2)
def check_nesterov(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Nesterov().update is the notes' NAG for the look-ahead point: v <- 0.9v - 0.01*grad, W <- W + 0.9v - 0.01*grad."""
    observe_defaults(submission, evidence, challenge, "Nesterov")
    judge_nesterov(Evidence(evidence, challenge))


def judge_nesterov(evidence: Evidence) -> None:
    judge_defaults(evidence, "Nesterov")


@pytest.mark.points(1)
def check_adagrad(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """AdaGrad().update follows h <- h + grad*grad, W <- W - 0.01*grad/(sqrt(h) + 1e-7)."""
    observe_defaults(submission, evidence, challenge, "AdaGrad")
    judge_adagrad(Evidence(evidence, challenge))


def judge_adagrad(evidence: Evidence) -> None:
    judge_defaults(evidence, "AdaGrad")


@pytest.mark.points(1)
def check_rmsprop(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """RMSprop().update follows h <- 0.99h + 0.01*grad*grad, W <- W - 0.01*grad/(sqrt(h) + 1e-7)."""
    observe_defaults(submission, evidence, challenge, "RMSprop")
    judge_rmsprop(Evidence(evidence, challenge))


def judge_rmsprop(evidence: Evidence) -> None:
    judge_defaults(evidence, "RMSprop")


@pytest.mark.points(2)
def check_adam(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Adam().update follows the notes' Adam with bias correction (lr 0.001, betas 0.9 and 0.999, eps 1e-7)."""
    observe_defaults(submission, evidence, challenge, "Adam")
    judge_adam(Evidence(evidence, challenge))


def judge_adam(evidence: Evidence) -> None:
    judge_defaults(evidence, "Adam")


# --------------------------------------------------------------------------------------------------------
# Observations for the hidden checks (their verdicts are given at grading)

def other_hyperparameters(challenge: int) -> dict[str, dict[str, float]]:
    """Hyper-parameters other than the defaults, each at least 0.05 away from its default."""
    rng = rng_for(challenge, 11)
    return {
        "SGD": {"lr": float(rng.uniform(0.05, 0.5))},
        "Momentum": {"lr": float(rng.uniform(0.05, 0.5)), "momentum": float(rng.uniform(0.5, 0.8))},
        "Nesterov": {"lr": float(rng.uniform(0.05, 0.5)), "momentum": float(rng.uniform(0.5, 0.8))},
        "AdaGrad": {"lr": float(rng.uniform(0.05, 0.5))},
        "RMSprop": {"lr": float(rng.uniform(0.05, 0.5)), "decay_rate": float(rng.uniform(0.8, 0.94))},
        "Adam": {"lr": float(rng.uniform(0.01, 0.2)), "beta1": float(rng.uniform(0.5, 0.8)),
                 "beta2": float(rng.uniform(0.9, 0.99))},
    }


def hyperparameter_problem(challenge: int, name: str) -> tuple[dict, list[dict]]:
    return draw_problem(rng_for(challenge, 21 + NAMES.index(name)), "hp_", 10)


def observe_optimizer_hyperparameters(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Each class built with other hyper-parameters (keywords), 10 updates."""
    for name, hyper in other_hyperparameters(challenge).items():
        params, grads = hyperparameter_problem(challenge, name)
        evidence[f"hyperparameters:{name}"] = trajectory(getattr(submission, name)(**hyper), params, grads)


def separate_state_problem(challenge: int, name: str) -> tuple[tuple[dict, list[dict]], tuple[dict, list[dict]]]:
    """Two problems with the same keys and shapes, for two instances of one class."""
    rng = rng_for(challenge, 31 + NAMES.index(name))
    params, grads = draw_problem(rng, "ss_", 8, tiny=False)

    def like(values: dict) -> dict:
        return {key: rng.normal(size=np.shape(value)) if isinstance(value, np.ndarray) else float(rng.normal())
                for key, value in values.items()}

    return (params, grads), (like(params), [like(step) for step in grads])


def renamed(values: dict, suffix: str) -> dict:
    return {key + suffix: value for key, value in values.items()}


def unrenamed(steps: list[dict], suffix: str) -> list[dict]:
    return [{key.removesuffix(suffix): value for key, value in step.items()} for step in steps]


def alone(cls: type, params: dict, grads: list[dict], suffix: str) -> list[dict]:
    """The trajectory of a fresh instance on its own, its keys renamed (and named back) so that it shares no key
    with anything else."""
    return unrenamed(trajectory(cls(), renamed(copied(params), suffix), [renamed(g, suffix) for g in grads]), suffix)


def observe_optimizer_separate_state(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Two instances of each class updated in turn on two dicts with the same keys, and each problem again on a
    fresh instance alone."""
    for name in NAMES:
        cls = getattr(submission, name)
        (pa, ga), (pb, gb) = separate_state_problem(challenge, name)
        first, second = cls(), cls()
        params_a, params_b, keys = copied(pa), copied(pb), list(pa)
        with_a, with_b = [], []
        for step_a, step_b in zip(ga, gb):
            first.update(params_a, copied(step_a))
            with_a.append(snapshot(params_a, keys))
            second.update(params_b, copied(step_b))
            with_b.append(snapshot(params_b, keys))
        evidence[f"separate_state:{name}"] = {"first": with_a, "second": with_b,
                                             "first_alone": alone(cls, pa, ga, "_alone_a"),
                                             "second_alone": alone(cls, pb, gb, "_alone_b")}


def new_key_problem(challenge: int, name: str) -> tuple[dict, list[dict], dict, list[dict], int]:
    """Keys updated from the start, keys added after `late` updates, and the gradients of both."""
    rng = rng_for(challenge, 41 + NAMES.index(name))
    late = int(rng.integers(3, 7))
    early_params, early_grads = draw_problem(rng, "nk_", late + 6, tiny=False)
    late_params, late_grads = draw_problem(rng, "nk_late_", 6, tiny=False)
    return early_params, early_grads, late_params, late_grads, late


def observe_optimizer_new_key(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """One instance updated `late` times, then with keys added; each group of keys again on a fresh instance."""
    for name in NAMES:
        cls = getattr(submission, name)
        early_params, early_grads, late_params, late_grads, late = new_key_problem(challenge, name)
        optimizer, params = cls(), copied(early_params)
        record: dict[str, object] = {}
        steps = []
        try:
            for index, grads in enumerate(early_grads):
                if index == late:
                    params.update(copied(late_params))
                if index >= late:
                    grads = {**grads, **late_grads[index - late]}
                optimizer.update(params, copied(grads))
                steps.append(snapshot(params, list(params)))
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - the judge says which class failed on a new key, and why
            record["error"] = f"{type(error).__name__}: {error}"[:200]
        record["steps"] = steps
        record["early_alone"] = alone(cls, early_params, early_grads, "_alone")
        record["late_alone"] = alone(cls, late_params, late_grads, "_alone")
        evidence[f"new_key:{name}"] = record


def in_place_problem(challenge: int, name: str) -> tuple[dict, list[dict]]:
    return draw_problem(rng_for(challenge, 51 + NAMES.index(name)), "ip_", 10, dtype=np.float32, tiny=False,
                        floats=False)


def observe_optimizer_in_place(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """float32 arrays through 10 updates: their dtype, whether each is still the same object, their values; and
    the same problem in float64, whose values the float32 ones must be close to."""
    for name in NAMES:
        cls = getattr(submission, name)
        params, grads = in_place_problem(challenge, name)
        originals, optimizer = dict(params), cls()
        steps = []
        for step in grads:
            optimizer.update(params, copied(step))
            steps.append({key: {"dtype": str(getattr(params[key], "dtype", type(params[key]).__name__)),
                                "same_object": params[key] is originals[key],
                                "value": as_tensor(params[key])} for key in originals})
        wide = {key: value.astype(np.float64) for key, value in in_place_problem(challenge, name)[0].items()}
        wide_grads = [{key: value.astype(np.float64) for key, value in step.items()} for step in grads]
        evidence[f"in_place:{name}"] = {"steps": steps, "float64": alone(cls, wide, wide_grads, "_float64")}


### BEGIN HIDDEN
@pytest.mark.points(2, visibility="hidden")
def check_optimizer_hyperparameters(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Every optimizer uses the hyper-parameters it is given (lr, momentum, decay_rate, beta1, beta2)."""
    observe_optimizer_hyperparameters(submission, evidence, challenge)
    judge_optimizer_hyperparameters(Evidence(evidence, challenge))


def judge_optimizer_hyperparameters(evidence: Evidence) -> None:
    for name, hyper in other_hyperparameters(evidence.challenge).items():
        params, grads = hyperparameter_problem(evidence.challenge, name)
        shown = ", ".join(f"{k}={v:.3f}" for k, v in hyper.items())
        require_as_oracle(name, hyper, evidence.get(f"hyperparameters:{name}"), params, grads, f" with {shown}")


@pytest.mark.points(1, visibility="hidden")
def check_optimizer_separate_state(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """Two instances of an optimizer never share state: each behaves as if it were alone."""
    observe_optimizer_separate_state(submission, evidence, challenge)
    judge_optimizer_separate_state(Evidence(evidence, challenge))


def judge_optimizer_separate_state(evidence: Evidence) -> None:
    for name in NAMES:
        record = evidence.get(f"separate_state:{name}")
        if not isinstance(record, dict):
            fail(f"the grader received nothing from two {name} instances to verify this check.")
        for which in ("first", "second"):
            alone_run = record.get(f"{which}_alone")
            problem = mismatch(record.get(which), alone_run if isinstance(alone_run, list) else [], 1e-12, 1e-15)
            require(not problem, f"two {name} instances share their state: the {which} one, updated in turn with "
                    f"another on a dict with the same keys, differs from a lone instance ({problem}); keep the state "
                    "in dicts created in __init__ (self.v = {}), never in the class or the module.")


@pytest.mark.points(1, visibility="hidden")
def check_optimizer_new_key(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """A key added to params after some updates starts from a fresh state (its own step count for Adam)."""
    observe_optimizer_new_key(submission, evidence, challenge)
    judge_optimizer_new_key(Evidence(evidence, challenge))


def judge_optimizer_new_key(evidence: Evidence) -> None:
    for name in NAMES:
        record = evidence.get(f"new_key:{name}")
        if not isinstance(record, dict):
            fail(f"the grader received nothing from {name} with a key added late to verify this check.")
        late = new_key_problem(evidence.challenge, name)[4]
        require("error" not in record, f"{name}.update failed when keys were added to params after {late} updates "
                f"({record.get('error')}): create each key's state the first time update sees that key.")
        steps, early, later = record.get("steps"), record.get("early_alone"), record.get("late_alone")
        if not (isinstance(steps, list) and isinstance(early, list) and isinstance(later, list)) or not later:
            fail(f"the grader received no trajectories from {name} with a key added late to verify this check.")
        late_keys = set(later[0]) if isinstance(later[0], dict) else set()
        own = [{k: v for k, v in s.items() if k not in late_keys} for s in steps if isinstance(s, dict)]
        problem = mismatch(own, early, 1e-12, 1e-15)
        require(not problem, f"{name}: adding keys after {late} updates changed how the keys already there are "
                f"updated ({problem}).")
        added = [{k: v for k, v in s.items() if k in late_keys} for s in steps[late:] if isinstance(s, dict)]
        problem = mismatch(added, later, 1e-12, 1e-15)
        require(not problem, f"{name}: keys added after {late} updates are not updated as a fresh instance updates "
                f"them ({problem}); their state (and Adam's step count t) must start when the key first appears.")


@pytest.mark.points(1, visibility="hidden")
def check_optimizer_in_place(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """float32 arrays stay the same float32 objects: every optimizer updates arrays in place."""
    observe_optimizer_in_place(submission, evidence, challenge)
    judge_optimizer_in_place(Evidence(evidence, challenge))


def judge_optimizer_in_place(evidence: Evidence) -> None:
    for name in NAMES:
        record = evidence.get(f"in_place:{name}")
        steps = record.get("steps") if isinstance(record, dict) else None
        if not isinstance(steps, list) or len(steps) != 10:
            fail(f"the grader received nothing from {name} on float32 arrays to verify this check.")
        for index, step in enumerate(steps, start=1):
            for key, seen in (step.items() if isinstance(step, dict) else []):
                if not isinstance(seen, dict):
                    fail(f"the grader received no record of {name}'s update {index} on float32 arrays.")
                require(seen.get("same_object") is True, f"{name}.update replaced the array params[{key!r}] by a new "
                        f"one (update {index}): update arrays in place, e.g. params[key] -= ... or params[key] += ...")
                require(seen.get("dtype") == "float32", f"{name}.update turned the float32 array params[{key!r}] "
                        f"into {seen.get('dtype')} (update {index}): update it in place so it keeps its dtype.")
        float32 = [{key: seen.get("value") for key, seen in step.items()} for step in steps]
        wide = record.get("float64")  # type: ignore[union-attr]
        # float32 against the same code in float64: 10 updates of O(1) values, rounding 6e-8 per operation.
        problem = mismatch(float32, wide if isinstance(wide, list) else [], 1e-4, 1e-5)
        require(not problem, f"{name}.update gives other values on float32 arrays than on float64 ones ({problem}).")
### END HIDDEN
