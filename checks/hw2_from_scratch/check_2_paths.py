"""The notes' exercise: four optimizers on f(x, y) = x**2/20 + y**2 from (-7, 2), 30 steps each.

Only the loop of `optimizer_paths` is graded here: while it runs, the module's optimizer classes are replaced by
the grader's own (torch.optim behind the course interface, check_1_optimizers.Oracle), so a wrong optimizer costs
its own check, not this one. Each row of a returned path must then be exactly one update of the row before it,
with the gradient df at that row (float64, rtol 1e-9, atol 1e-12: the grader's classes are deterministic, so a
correct loop reproduces them to the last bit; a wrong learning rate or a skipped step is off by 1e-3 or more).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

import pytest
import torch
from check_1_optimizers import NAMES, Oracle, as_tensor, oracle_class

from grader.checking import require
from grader.protocol import Evidence

EXERCISE = {"SGD": {"lr": 0.95}, "Momentum": {"lr": 0.1}, "AdaGrad": {"lr": 1.5}, "Adam": {"lr": 0.3}}
START, STEPS = (-7.0, 2.0), 30
RTOL, ATOL = 1e-9, 1e-12


def gradient(x: float, y: float) -> tuple[float, float]:
    """The gradient of f(x, y) = x**2/20 + y**2 (the template's given df)."""
    return x / 10.0, 2.0 * y


@contextlib.contextmanager
def grader_optimizers(submission: ModuleType) -> Iterator[None]:
    """The submission's optimizer classes replaced by the grader's for the duration."""
    saved = {name: getattr(submission, name, None) for name in NAMES}
    for name in NAMES:
        setattr(submission, name, oracle_class(name))
    try:
        yield
    finally:
        for name, cls in saved.items():
            setattr(submission, name, cls)


def plain_paths(paths: object) -> object:
    if not isinstance(paths, dict):
        return repr(type(paths).__name__)
    return {str(name): as_tensor(paths.get(name)) for name in EXERCISE}


def paths_problem(paths: object) -> str:
    """'' when every path is the start followed by 30 updates of the notes' optimizer, else what is wrong."""
    if not isinstance(paths, dict):
        return f"optimizer_paths() should return a dict of paths by optimizer name, not {paths}"
    for name, hyper in EXERCISE.items():
        path = paths.get(name)
        if not isinstance(path, torch.Tensor):
            return f"optimizer_paths() has no {name!r} path of numbers"
        if tuple(path.shape) != (STEPS + 1, 2):
            return (f"the {name} path has shape {tuple(path.shape)}, not (31, 2): the start (-7, 2), then the "
                    "position after each of the 30 steps")
        path = path.to(torch.float64)
        if not torch.allclose(path[0], torch.tensor(START, dtype=torch.float64), rtol=RTOL, atol=ATOL):
            return f"the {name} path should start at (-7, 2), not {tuple(round(float(v), 4) for v in path[0])}"
        oracle = Oracle(name, **hyper)
        for row in range(STEPS):
            params = {"x": float(path[row, 0]), "y": float(path[row, 1])}
            grads = dict(zip(("x", "y"), gradient(params["x"], params["y"])))
            oracle.update(params, grads)
            want = torch.tensor([params["x"], params["y"]], dtype=torch.float64)
            if not torch.allclose(path[row + 1], want, rtol=RTOL, atol=ATOL):
                return (f"row {row + 1} of the {name} path is not one {name}(lr={hyper['lr']}) update of row {row} "
                        "with the gradient df at row " + str(row))
    return ""


@pytest.mark.points(2)
def check_optimizer_paths(submission: ModuleType, evidence: dict[str, object], challenge: int) -> None:
    """optimizer_paths() runs SGD(lr=0.95), Momentum(lr=0.1), AdaGrad(lr=1.5) and Adam(lr=0.3) for 30 steps from
    (-7, 2) and returns each (31, 2) path, start included (run with the grader's optimizer classes)."""
    with grader_optimizers(submission):
        paths = submission.optimizer_paths()
    evidence["optimizer_paths"] = plain_paths(paths)
    judge_optimizer_paths(Evidence(evidence, challenge))


def judge_optimizer_paths(evidence: Evidence) -> None:
    problem = paths_problem(evidence.get("optimizer_paths"))
    require(not problem, f"{problem}.")
