"""The check protocol: every check has two halves, and a check passes only if both say so.

- *observe*: the check's body (`check_<name>`), or for a hidden check its visible `observe_<name>`, runs in
  the grading process beside the student's code, on inputs drawn from the submission's challenge seed, and
  records what the code did as *evidence* (tensors of any size and plain data);
- *judge*: `judge_<name>(evidence)` beside it, or a kit's way of judging the check again (the model kit
  re-runs model checks on its own copies of the student's networks), runs in the grader's own process from
  the evidence alone. Code in the grading process can forge anything there; it cannot reach the judge, so
  forging a pass means producing what correct code produces: doing the homework.

Judgements draw from the process's global random generators (a replayed check seeds torch and runs dropout; a
judge shuffles under a seed), and `grader grade` judges several students at once from its threads, so
judgements run one at a time and leave those generators as they found them.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

Verdict = tuple[bool, str]
Judge = Callable[["Evidence"], None]
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Evidence:
    """What the grader judges from: the grading process's observations, and the inputs it was given."""

    observed: dict[str, object]
    challenge: int = 0  # the seed the checks drew their inputs from
    data_root: Path | None = None  # the kits' data folder, where the assignment uses one

    def get(self, key: str) -> object:
        return self.observed.get(key)


class JudgeError(Exception):
    """A judge could not judge: a message for the student, shown as the check's message."""


def verdict_of(judgement: Callable[[], None]) -> Verdict:
    """Run a check's body or a judge: (passed, the student's message)."""
    try:
        judgement()
    except pytest.fail.Exception as failure:
        return False, str(failure)
    except JudgeError as problem:
        return False, f"{problem}."
    except Exception as error:  # noqa: BLE001 - a judge that cannot run on what it was sent fails the check
        return False, f"the grader could not verify this check from what your code produced ({error!r:.200})."
    return True, ""


def judge_checks(judges: dict[str, Judge], names: Iterable[str], evidence: Evidence) -> dict[str, Verdict]:
    """The grader's verdict on each named check; a check with no judge fails."""
    with exclusive_random_state():
        return {name: _verdict(judges, name, evidence) for name in names}


def all_judged_correct(judges: dict[str, Judge], names: Iterable[str], evidence: Evidence) -> bool:
    """Whether the grader's verdicts pass every named check: for a judge whose demands rest on other checks
    (called from inside a judgement, which already holds the random generators)."""
    return all(_verdict(judges, name, evidence)[0] for name in names)


def _verdict(judges: dict[str, Judge], name: str, evidence: Evidence) -> Verdict:
    judge = judges.get(name)
    if judge is None:
        return False, "the grader has no way to verify this check outside your code's process."
    return verdict_of(lambda: judge(evidence))


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
