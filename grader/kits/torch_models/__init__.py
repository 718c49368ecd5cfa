"""The model kit: checks of a student's `torch.nn` network, judged again on the grader's own copy of it.

The grading process describes every network the student's `build_model` returns (its leaf layers in the
order a forward pass runs them, their settings and tensors, its output on a fixed batch: `replica.describe`);
the grader rebuilds it from torch's own layers (`replica.rebuild`) and re-runs, unchanged, every check whose
only arguments are the kit's fixtures (`model`, `build`, `batch`) on that copy: such checks need no judge.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

FIXTURES = "grader.kits.torch_models.fixtures"
PRELOAD = ("grader.kits.torch_models.replica", "grader.kits.torch_models.nn_probes")
REPLAYABLE = {"model", "build", "batch"}  # the arguments a check may take to be re-run on the grader's copies


def replica_key(**kwargs: object) -> str:
    """Where the description of `build_model(**kwargs)` is recorded."""
    return "model:build_model(" + ", ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items())) + ")"


def judge_for(check: Callable[..., None]) -> Callable[[object], None] | None:
    """A re-run of `check` on the grader's copies of the student's networks, if it takes only this kit's fixtures."""
    arguments = list(inspect.signature(check).parameters)
    if not arguments or not set(arguments) <= REPLAYABLE:
        return None
    return lambda evidence: replay(check, arguments, evidence)


def replay(check: Callable[..., None], arguments: list[str], evidence: object) -> None:
    """Run `check` here with replicas of the student's models in place of the models themselves."""
    import torch

    from grader.determinism import seed_everything
    from grader.kits.torch_models.replica import rebuild

    def replica(key: str) -> torch.nn.Module:
        return rebuild(evidence.get(key))  # type: ignore[attr-defined]

    seed_everything(0)
    fixtures = {"model": lambda: replica(replica_key()), "batch": lambda: torch.rand(64, 784),
                "build": lambda: (lambda **kwargs: replica(replica_key(**kwargs)))}
    check(**{name: fixtures[name]() for name in arguments})
