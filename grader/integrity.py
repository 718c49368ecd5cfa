"""Notice when a submission rewires pytest, the grader or torch from inside its own process.

The plugin takes a snapshot of the functions every verdict depends on before the student's code
is imported, and compares at the end of the session. A changed object or code object marks the
whole run as tampered; the parent then awards nothing from that run. This stops the generic
attacks (patching `pytest.fail`, the report hooks, `torch.allclose`, ...); it cannot stop code
that searches out and rewrites this module's own snapshot, which is why the grader also judges
every check outside the student's process (grader/judging.py).
"""

from __future__ import annotations

from collections.abc import Callable


def _guarded(own: dict[str, Callable[[], object]]) -> dict[str, Callable[[], object]]:
    import _pytest.outcomes
    import _pytest.python
    import _pytest.reports
    import _pytest.runner
    import pytest
    import torch

    import grader.checking

    return {
        "pytest.fail": lambda: pytest.fail,
        "_pytest.outcomes.fail": lambda: _pytest.outcomes.fail,
        "_pytest.outcomes.Failed": lambda: _pytest.outcomes.Failed,
        "_pytest.runner.call_and_report": lambda: _pytest.runner.call_and_report,
        "_pytest.runner.pytest_runtest_call": lambda: _pytest.runner.pytest_runtest_call,
        "_pytest.runner.pytest_runtest_makereport": lambda: _pytest.runner.pytest_runtest_makereport,
        "TestReport.from_item_and_call": lambda: _pytest.reports.TestReport.__dict__["from_item_and_call"],
        "Function.runtest": lambda: _pytest.python.Function.runtest,
        "pytest_pyfunc_call": lambda: _pytest.python.pytest_pyfunc_call,
        "grader.checking.fail": lambda: grader.checking.fail,
        "grader.checking.require": lambda: grader.checking.require,
        "torch.equal": lambda: torch.equal,
        "torch.allclose": lambda: torch.allclose,
        "torch.Tensor.max": lambda: torch.Tensor.max,
        "torch.nn.Module.__call__": lambda: torch.nn.Module.__call__,
        "torch.nn.Module.train": lambda: torch.nn.Module.train,
        **own,
    }


Snapshot = dict[str, tuple[object, object]]


def snapshot(own: dict[str, Callable[[], object]] | None = None) -> Snapshot:
    """The identity of everything a verdict relies on; `own`: the caller's functions too (the plugin's hooks),
    each as a getter that looks it up anew."""
    return {name: _identity(get()) for name, get in _guarded(own or {}).items()}


def changed(before: Snapshot, own: dict[str, Callable[[], object]] | None = None) -> list[str]:
    """Names of the guarded objects that are no longer what they were."""
    now = snapshot(own)
    return sorted(name for name, (obj, code) in before.items()
                  if now[name][0] is not obj or now[name][1] is not code)


def _identity(obj: object) -> tuple[object, object]:
    function = getattr(obj, "__func__", obj)
    return obj, getattr(function, "__code__", None)
