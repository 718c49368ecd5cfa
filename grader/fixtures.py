"""The fixtures every check suite gets from the core: the student's module, the evidence for the judges, the
challenge seed, the device, and a fresh seed before every check. Registered by the plugin only in a grading
run (one given --submission), so they never shadow the fixtures of an ordinary pytest run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch

from grader.crashes import IMPORT, crashes_key, quarantine, track_calls, trail_key
from grader.determinism import resolve_device, seed_everything
from grader.messages import SubmissionError, submission_file_key
from grader.submission import LIVE, import_submission, require_functions, source_file

assignment_key = pytest.StashKey["object"]()  # the suite's Assignment, put there by the plugin
_imported_key = pytest.StashKey["ModuleType | SubmissionError"]()  # the student's module, or why there is none


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    """Import the student's file before the first check, under its own time limit (assignment.toml's
    import_timeout_s): an endless loop at module level costs that limit once, with a sentence that says so, and
    a check's limit is spent on the check alone. What happened is kept for the `submission` fixture."""
    config = session.config
    device = resolve_device(config.getoption("--grader-device"))
    if device.type == "cuda":  # the context's start (seconds) is not charged to the first check's limit
        torch.zeros(1, device=device)
    try:
        config.stash[_imported_key] = _import_once(config)
    except SubmissionError as error:
        config.stash[_imported_key] = error
    return (yield)


def _import_once(config: pytest.Config) -> ModuleType:
    given = config.getoption("--submission")
    assignment = config.stash[assignment_key]
    crashed = config.stash.get(crashes_key, [])
    import_crash = next((c for c in crashed if c.function == IMPORT), None)
    if import_crash is not None:  # an earlier grading process of this run died importing it
        raise SubmissionError(import_crash.check_message())
    path = Path(given)
    module = LIVE.get(assignment.module)  # type: ignore[attr-defined]
    if module is not None:  # a notebook's check cell: the kernel's functions as they are now
        config.stash[submission_file_key] = given
    else:
        config.stash[submission_file_key] = str(source_file(path))
        trail = config.stash.get(trail_key, None)
        if trail is not None:
            trail.check(IMPORT)
            trail.function(IMPORT)
        module = import_submission(path, assignment.module,  # type: ignore[attr-defined]
                                   timeout_s=assignment.import_timeout_s)  # type: ignore[attr-defined]
        if trail is not None:
            trail.check("")
    require_functions(module, assignment.functions)  # type: ignore[attr-defined]
    if trail_key in config.stash:
        track_calls(module, config.stash[trail_key])
    quarantine(module, crashed)
    return module


@pytest.fixture(scope="session")
def submission(pytestconfig: pytest.Config) -> ModuleType:
    """The student's module, imported once before the first check; an import failure fails every check with
    one message."""
    if not pytestconfig.getoption("--submission"):
        raise SubmissionError("no submission was given (--submission PATH).")
    imported = pytestconfig.stash.get(_imported_key, None)
    if imported is None:  # the fixture used outside a grading session's run loop
        imported = _import_once(pytestconfig)
    if isinstance(imported, SubmissionError):
        raise imported
    return imported


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
