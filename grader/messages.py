"""Turn whatever stopped a check into one sentence a student can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.results import Status
from grader.time_limits import TimedOut

# Set by the checks' conftest to the file the student's code was imported from.
submission_file_key = pytest.StashKey[str]()


class SubmissionError(Exception):
    """The submission could not be used at all (import failed, file missing); the message says why."""


class FunctionHung(SubmissionError):
    """A student function that already ran past a check's time limit in this grading run is not called again."""


def hung_function(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> str:
    """The student function a timed-out check was stuck in (the outermost one it called), or ""."""
    return _function(excinfo, item).removesuffix("()")


def student_message(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> tuple[Status, str]:
    """(status, message) for a check that did not pass."""
    error = excinfo.value
    if isinstance(error, SubmissionError):
        return "error", str(error)
    if isinstance(error, TimedOut):
        function = _function(excinfo, item)
        return "error", (f"timed out after {error}{f' in {function}' if function else ''}{_where(excinfo, item)}: "
                         f"look for {error.hint}.")
    if excinfo.errisinstance(pytest.fail.Exception):
        return "failed", str(error)
    if isinstance(error, NotImplementedError):
        return "failed", f"{_function(excinfo, item) or 'a function'} is not implemented yet: fill its blank."
    who = _function(excinfo, item) or "your code"
    return "error", f"{who} raised {type(error).__name__}: {_first_line(error)}{_where(excinfo, item)}."


def _student_frames(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> list[tuple[str, int, str]]:
    """(qualified name, line, file) of every frame of the student's code: their file, or a live kernel's cells."""
    from grader.notebook import is_live_cell

    path = item.config.stash.get(submission_file_key, "")
    if not path:
        return []
    return [
        # The qualified name: "SGD.update", not "update" (six classes of one homework each have an update()).
        (getattr(entry.frame.code.raw, "co_qualname", entry.frame.code.name), entry.lineno + 1, str(entry.path))
        for entry in excinfo.traceback
        if Path(str(entry.path)) == Path(path) or is_live_cell(str(entry.path))
    ]


def _function(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> str:
    frames = _student_frames(excinfo, item)
    names = [name for name, _, _ in frames if name != "<module>"]
    return f"{names[0]}()" if names else ""


def _where(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> str:
    frames = _student_frames(excinfo, item)
    if not frames:
        return ""
    from grader.notebook import where

    _, line, file = frames[-1]
    return f" ({where(file, line)})"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else "(no message)"
    return text if len(text) <= 200 else text[:197] + "..."
