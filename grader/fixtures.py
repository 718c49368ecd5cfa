"""The fixtures every check suite gets from the core: the student's module, the evidence for the judges, the
challenge seed, the device, and a fresh seed before every check. Registered by the plugin only in a grading
run (one given --submission), so they never shadow the fixtures of an ordinary pytest run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch

from grader.determinism import resolve_device, seed_everything
from grader.messages import SubmissionError, submission_file_key
from grader.submission import LIVE, import_submission, require_functions, source_file

assignment_key = pytest.StashKey["object"]()  # the suite's Assignment, put there by the plugin


@pytest.fixture(scope="session")
def submission(pytestconfig: pytest.Config) -> ModuleType:
    """The student's file imported once as the assignment's module; an import failure fails every check with
    one message."""
    given = pytestconfig.getoption("--submission")
    if not given:
        raise SubmissionError("no submission was given (--submission PATH).")
    path = Path(given)
    assignment = pytestconfig.stash[assignment_key]
    module = LIVE.get(assignment.module)  # type: ignore[attr-defined]
    if module is not None:  # a notebook's check cell: the kernel's functions as they are now
        pytestconfig.stash[submission_file_key] = given
        require_functions(module, assignment.functions)  # type: ignore[attr-defined]
        return module
    pytestconfig.stash[submission_file_key] = str(source_file(path))
    module = import_submission(path, assignment.module)  # type: ignore[attr-defined]
    require_functions(module, assignment.functions)  # type: ignore[attr-defined]
    return module


@pytest.fixture(scope="session")
def evidence(pytestconfig: pytest.Config) -> Iterator[dict[str, object]]:
    """What the checks observe (tensors and plain data), saved for the grader to judge in its own process."""
    store: dict[str, object] = {}
    yield store
    path = pytestconfig.getoption("--grader-artifacts")
    if path:
        from grader.tensors import plain_data

        torch.save({str(key): plain_data(value) for key, value in store.items()}, path)


@pytest.fixture(scope="session")
def artifacts(evidence: dict[str, object]) -> dict[str, object]:
    """Another name of `evidence`."""
    return evidence


@pytest.fixture(scope="session")
def challenge(pytestconfig: pytest.Config) -> int:
    """The seed of the inputs whose results the grader judges again in its own process."""
    return int(pytestconfig.getoption("--grader-challenge"))


@pytest.fixture(autouse=True)
def _seeded() -> None:
    # Every check starts from the same seed, whatever ran before it.
    seed_everything(0)


@pytest.fixture(scope="session")
def device(pytestconfig: pytest.Config) -> torch.device:
    return resolve_device(pytestconfig.getoption("--grader-device"))
