"""The grader's own verdict on every check, computed in its process from what the grading process observed.

A verdict computed next to student code can be forged by that code, so the grading process also records
observations (tensors and plain data: the student's functions run on inputs the checks chose) and the
grader judges each check again from them, in two ways:

- a check whose only arguments are models and a batch (`model`, `build`, `batch`) runs again here, on the
  grader's own copies of the student's networks (grader/replica.py);
- any other check has a `judge_<check name>(evidence)` function next to it, in its check module, that
  compares the observations with what correct code gives on the same inputs.

A check passes only if both verdicts agree it does, so forging one means producing what correct code
produces: doing the homework.

Judgements draw from the process's global random generators (a replayed check seeds torch and runs dropout;
the loaders judge shuffles under a seed), and `grader grade` judges several students at once from its
threads, so judgements run one at a time and leave those generators as they found them.
"""

from __future__ import annotations

import contextlib
import inspect
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from grader.determinism import seed_everything
from grader.replica import Replica, ReplicaError, rebuild

Verdict = tuple[bool, str]
REPLAYABLE = {"model", "build", "batch", "artifacts"}  # the arguments a check may take to run again here
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Evidence:
    """What the grader judges from: the grading process's observations, and the inputs it was given."""

    observed: dict[str, object]
    mnist_root: Path
    challenge: int  # the seed the checks drew their inputs from

    def get(self, key: str) -> object:
        return self.observed.get(key)


def replica_key(**kwargs: object) -> str:
    """Where the description of `build_model(**kwargs)` is recorded."""
    return "model:build_model(" + ", ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items())) + ")"


def verdict_of(judgement: Callable[[], None]) -> Verdict:
    """Run a check's body or a judge: (passed, the student's message)."""
    try:
        judgement()
    except pytest.fail.Exception as failure:
        return False, str(failure)
    except ReplicaError as problem:
        return False, f"{problem}."
    except Exception as error:  # noqa: BLE001 - a judge that cannot run on what it was sent fails the check
        return False, f"the grader could not verify this check from what your code produced ({error!r:.200})."
    return True, ""


def judge_checks(modules: list[ModuleType], names: list[str], evidence: Evidence) -> dict[str, Verdict]:
    """The grader's verdict on each named check; a check with no way to be judged here fails."""
    with exclusive_random_state():
        return {name: _verdict(modules, name, evidence) for name in names}


def all_judged_correct(modules: list[ModuleType], names: list[str], evidence: Evidence) -> bool:
    """Whether the grader's verdicts pass every named check: for a judge whose demands rest on other checks
    (called from inside a judgement, which already holds the random generators)."""
    return all(_verdict(modules, name, evidence)[0] for name in names)


def _verdict(modules: list[ModuleType], name: str, evidence: Evidence) -> Verdict:
    judgement = _judgement(modules, name, evidence)
    return verdict_of(judgement) if judgement else (
        False, "the grader has no way to verify this check outside your code's process.")


@contextlib.contextmanager
def exclusive_random_state() -> Iterator[None]:
    """Hold the process's random generators alone, and give them back as they were: another thread seeding
    torch between a judge's seed and its draws would change that judge's verdict (CI caught one such flip)."""
    with _ONE_AT_A_TIME, torch.random.fork_rng(devices=[]):
        python_state, numpy_state = random.getstate(), np.random.get_state()
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)


def _judgement(modules: list[ModuleType], name: str, evidence: Evidence) -> Callable[[], None] | None:
    for module in modules:
        judge = getattr(module, f"judge_{name}", None)
        if callable(judge):
            return lambda: judge(evidence)
        check = getattr(module, f"check_{name}", None)
        if callable(check):
            arguments = list(inspect.signature(check).parameters)
            if set(arguments) <= REPLAYABLE:
                return lambda: _replay(check, arguments, evidence)
    return None


def _replay(check: Callable[..., None], arguments: list[str], evidence: Evidence) -> None:
    """Run `check` here with replicas of the student's models in place of the models themselves."""
    seed_everything(0)
    fixtures = {"model": lambda: replica_of(evidence, replica_key()), "batch": lambda: torch.rand(64, 784),
                "build": lambda: (lambda **kwargs: replica_of(evidence, replica_key(**kwargs))),
                "artifacts": dict}
    check(**{name: fixtures[name]() for name in arguments})


def replica_of(evidence: Evidence, key: str) -> Replica:
    return rebuild(evidence.get(key))

