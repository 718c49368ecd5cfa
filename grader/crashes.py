"""A student function that kills the grading process costs the checks that call it, not the whole run.

Student code can end the process it runs in: `os._exit()`, a segfault in an extension, a signal sent to itself.
pytest then writes no results, and every check would be lost. So the grading process runs each pytest session
in a forked child (worker.grade_in_child) and keeps a *trail*: a small file the child overwrites in place with
the check it is running and the outermost student function it is in (every function and method the student's
file defines is wrapped to say so). When a child dies, the parent reads the trail and starts a new child in
which that check fails at once with what happened, and that function, if any, is replaced by one that raises the
same sentence: the run goes on without it, as after a hang (plugin._quarantine).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType

import pytest

from grader.messages import SubmissionError

TRAIL_SUFFIX = ".trail"  # beside the results file
_TRAIL_BYTES = 1024  # every update overwrites the whole record, so a reader never sees two records mixed
IMPORT = "<import>"  # the "function" running while the student's file is imported
trail_key = pytest.StashKey["Trail"]()  # the grading child's trail, kept by the plugin
crashes_key = pytest.StashKey[list["Crash"]]()  # what earlier children of this run died of


class FunctionCrashed(SubmissionError):
    """A student function that ended the grading process earlier in this run is not called again."""


@dataclass(frozen=True)
class Crash:
    check: str  # the node id of the check that was running
    function: str  # the student's function that was running ("" if none; IMPORT while importing)
    how: str  # "exit code 3", "signal SIGSEGV"

    def check_message(self) -> str:
        name = self.check.rsplit("::", 1)[-1].removeprefix("check_").removeprefix("observe_")
        where = f"in {self.function}()" if self.function and self.function != IMPORT else "while it ran"
        if self.function == IMPORT:
            return (f"your code ended the grading process ({self.how}) while it was imported: look for os._exit, "
                    "sys.exit or code that crashes Python outside functions.")
        return (f"your code ended the grading process ({self.how}) {where} during `{name}`"
                f"{': look for os._exit or code that crashes Python' if self.function else ''}.")

    def function_message(self) -> str:
        name = self.check.rsplit("::", 1)[-1].removeprefix("check_").removeprefix("observe_")
        return (f"{self.function}() ended the grading process ({self.how}) when `{name}` called it, so the grader "
                "does not call it again.")


class Trail:
    """The child's side: where it is now, overwritten in place (a crash leaves the last record)."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._check = ""
        self._function = ""

    def check(self, nodeid: str) -> None:
        self._check, self._function = nodeid, ""
        self._write()

    def function(self, name: str) -> None:
        self._function = name
        self._write()

    def _write(self) -> None:
        record = json.dumps({"check": self._check, "function": self._function}).encode()[:_TRAIL_BYTES - 1]
        os.pwrite(self._fd, record.ljust(_TRAIL_BYTES - 1) + b"\n", 0)


def read_trail(path: str, status: int) -> Crash | None:
    """The parent's side: what the dead child was doing, or None when it was not running a check."""
    try:
        with open(path, encoding="utf-8") as file:
            record = json.loads(file.read().strip() or "{}")
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not record.get("check"):
        return None
    return Crash(str(record["check"]), str(record.get("function", "")), _how(status))


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"signal {signal.Signals(number).name}"
        except ValueError:
            return f"signal {number}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def encode(crashes: list[Crash]) -> str:
    return json.dumps([asdict(c) for c in crashes])


def decode(text: str) -> list[Crash]:
    return [Crash(**c) for c in json.loads(text or "[]")]


def track_calls(module: ModuleType, trail: Trail) -> None:
    """Wrap the functions and the plain methods the student's file defines, so that the trail names the outermost
    one running (a crash inside a helper is charged to the function the check called)."""
    depth = [0]

    def tracked(function: Callable[..., object], name: str) -> Callable[..., object]:
        @functools.wraps(function)
        def call(*args: object, **kwargs: object) -> object:
            depth[0] += 1
            if depth[0] == 1:
                trail.function(name)
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    trail.function("")
        return call

    for attribute, value in list(vars(module).items()):
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            setattr(module, attribute, tracked(value, attribute))
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            for method, function in list(vars(value).items()):
                if inspect.isfunction(function):
                    setattr(value, method, tracked(function, f"{value.__qualname__}.{method}"))


def quarantine(module: ModuleType, crashes: list[Crash]) -> None:
    """Replace each function that crashed an earlier child by one that raises the same sentence at once."""
    for crash in crashes:
        owner_name, _, method = crash.function.partition(".")
        owner = getattr(module, owner_name, None)
        if not crash.function or crash.function == IMPORT or owner is None:
            continue
        message = crash.function_message()

        def crashed(*_args: object, _message: str = message, **_kwargs: object) -> None:
            raise FunctionCrashed(_message)

        if method and inspect.isclass(owner):
            setattr(owner, method, crashed)
        elif not method:
            setattr(module, owner_name, crashed)
