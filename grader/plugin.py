"""pytest plugin: checks are ordinary pytest tests, points ride on a marker.

Built like pytest's own junitxml plugin: options, a collector kept on `config.stash`, results
accumulated in `pytest_runtest_logreport` and written as JSON in `pytest_sessionfinish`. It never
runs a check itself. Loaded through the `pytest11` entry point, so it is inert unless a run passes
`--grader-results`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from grader import crashes, integrity, time_limits
from grader.messages import FunctionHung, hung_function, student_message
from grader.results import CheckResult

collector_key = pytest.StashKey["Collector"]()
hidden_removed_key = pytest.StashKey[int]()
_cancel_timer_key = pytest.StashKey[Callable[[], None]]()  # disarms the running check's time limit
STARTED = ".started"  # beside the result file: the grading machinery started before any student code ran
_OWN_PROPERTIES = {"points", "visibility", "description", "status", "message", "observation"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "grading student submissions")
    group.addoption("--grader-results", metavar="PATH", help="write the check results as JSON to PATH")
    group.addoption("--grader-artifacts", metavar="PATH", help="write tensors the checks recorded to PATH")
    group.addoption("--submission", metavar="PATH", help="the student's .py or .ipynb to grade")
    group.addoption("--grader-device", default="auto", choices=["auto", "cpu", "cuda"])
    group.addoption("--grader-data-root", metavar="DIR", default=None, help="the data folder of the kits the assignment uses (default: their cache)")
    group.addoption("--grader-challenge", metavar="SEED", type=int, default=0,
                    help="the seed of the inputs the grader judges the checks' observations on")
    group.addoption("--grader-crashes", metavar="JSON", default="",
                    help="what earlier grading processes of this run died of (grader/crashes.py)")
    group.addoption(
        "--grader-visibility", default="all", choices=["visible", "all"],
        help="'visible' deselects hidden checks (what students run)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "points(n, visibility='visible'): the points a check is worth; 'hidden' checks "
        "run only at grading time",
    )
    if config.getoption("--submission", default=None):
        _register_suite_fixtures(config)
    if config.getoption("--grader-results", default=None):
        collector = Collector(Path(config.getoption("--grader-results")))
        config.stash[collector_key] = collector
        config.pluginmanager.register(collector, "grader-collector")
        config.stash[crashes.trail_key] = collector.trail
    config.stash[crashes.crashes_key] = crashes.decode(config.getoption("--grader-crashes", default=""))


def _register_suite_fixtures(config: pytest.Config) -> None:
    """A grading run: the core's fixtures and those of the kits the suite's assignment.toml names."""
    import importlib

    import grader.fixtures
    from grader.assignment import read_declaration
    from grader.kits import kit

    assignment = read_declaration(config.rootpath)
    config.stash[grader.fixtures.assignment_key] = assignment
    config.stash[hidden_removed_key] = assignment.hidden_checks
    config.pluginmanager.register(grader.fixtures, "grader-fixtures")
    for name in assignment.kits:
        fixtures = getattr(kit(name), "FIXTURES", None)
        if fixtures:
            config.pluginmanager.register(importlib.import_module(fixtures), f"grader-kit-{name}")


def is_observation(item: pytest.Item) -> bool:
    """An observe_<name> function: the visible half of a hidden check, recording evidence, scoring nothing."""
    return getattr(item, "originalname", item.name).startswith("observe_")


def points_of(item: pytest.Item) -> tuple[float, str]:
    mark = item.get_closest_marker("points")
    if mark is None:
        return 0.0, "visible"
    visibility = mark.kwargs.get("visibility", "visible")
    if visibility not in ("visible", "hidden"):
        raise pytest.UsageError(f"{item.nodeid}: visibility must be 'visible' or 'hidden'")
    return float(mark.args[0]), visibility


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not (config.getoption("--submission", default=None) or collector_key in config.stash):
        return  # an ordinary pytest run
    checks = {item.name.removeprefix("check_") for item in items if not is_observation(item)}
    visible_only = config.getoption("--grader-visibility") == "visible"
    hidden = [item for item in items if not is_observation(item) and points_of(item)[1] == "hidden"]
    # A hidden check's observation runs only where the check is graded and its own body does not run.
    dropped = [item for item in items if is_observation(item)
               and (visible_only or item.name.removeprefix("observe_") in checks)]
    dropped += hidden if visible_only else []
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
    if collector_key in config.stash and visible_only:
        config.stash[collector_key].hidden_not_run = len(hidden) + config.stash.get(hidden_removed_key, 0)


@pytest.hookimpl(optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """In a grading run, a check's limit (pytest-timeout's: its `timeout` mark, else the ini's) counts the CPU time
    it used, with a wall-clock backstop (grader/time_limits.py): a loaded machine does not make a correct check
    time out, and an endless loop costs the limit, not a margin for the load."""
    if collector_key not in item.config.stash:
        return None  # an ordinary pytest run: pytest-timeout's own wall-clock timer
    item.stash[_cancel_timer_key] = time_limits.start(settings.timeout, CheckTimedOut)
    return True


class CheckTimedOut(time_limits.TimedOut, pytest.fail.Exception):
    """A check's time limit expired. Also pytest's own failure outcome, so that a fixture it interrupts is torn
    down and reported like any failed fixture (pytest caches only its outcomes and Exceptions)."""

    def __init__(self, cpu_s: float, clock: str) -> None:
        time_limits.TimedOut.__init__(self, cpu_s, clock)
        self.msg, self.pytrace = str(self), False


@pytest.hookimpl(optionalhook=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> bool | None:
    cancel = item.stash.get(_cancel_timer_key, None)
    if cancel is None:
        return None
    del item.stash[_cancel_timer_key]
    cancel()
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A check during which an earlier grading process of this run died fails at once, saying how."""
    for crash in item.config.stash.get(crashes.crashes_key, []):
        if crash.check == item.nodeid:
            raise crashes.FunctionCrashed(crash.check_message())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if collector_key not in item.config.stash:
        return report  # an ordinary pytest run: leave its reports alone
    points, visibility = points_of(item)
    from grader.suite import first_paragraph

    doc = first_paragraph(getattr(getattr(item, "function", None), "__doc__", None))
    report.user_properties += [
        ("points", points), ("visibility", visibility), ("description", doc),
        ("observation", is_observation(item)),
    ]
    if call.excinfo is not None and report.failed:
        status, message = student_message(call.excinfo, item)
        report.user_properties += [("status", status), ("message", message)]
        if isinstance(call.excinfo.value, time_limits.TimedOut):
            _quarantine(hung_function(call.excinfo, item), item, call.excinfo.value)
    return report


def _quarantine(name: str, item: pytest.Item, timed_out: time_limits.TimedOut) -> None:
    """A student function that ran past a check's time limit is not called again in this grading run: every later
    check or observation that calls it fails at once, naming the check where it hung (an endless loop costs one
    time limit, not one per check)."""
    from grader.fixtures import assignment_key

    assignment = item.config.stash.get(assignment_key, None)
    module = sys.modules.get(getattr(assignment, "module", ""))
    if not name or module is None or not callable(getattr(module, name, None)):
        return
    message = (f"{name}() did not return within {timed_out} when `{item.name.removeprefix('check_')}` "
               f"called it, so the grader does not call it again: look for {timed_out.hint}.")

    def hung(*_args: object, **_kwargs: object) -> None:
        raise FunctionHung(message)

    setattr(module, name, hung)


class Collector:
    """Folds the setup/call/teardown reports of each check into one CheckResult.

    Registered as a plugin object, so its methods are hooks (as pytest's LogXML is).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hidden_not_run = 0
        self.trail = crashes.Trail(str(path) + crashes.TRAIL_SUFFIX)  # what is running, should the process die
        self._checks: dict[str, dict[str, Any]] = {}
        self._extras: dict[str, Any] = {}  # what checks recorded with record_property, for reports
        self._observation_errors: dict[str, str] = {}  # hidden check -> why its observation failed
        # Taken before any student code runs: a one-time token the parent gave through the
        # environment (removed from it now), and a snapshot of what the verdicts rely on.
        self._nonce = os.environ.pop("GRADER_NONCE", "")
        self._snapshot = integrity.snapshot(_own_hooks())
        # The grader's machinery is up (pytest, this plugin, the checks' configuration): from here on, a run that
        # leaves no results failed because of the submission, before this because of the grader.
        path.with_name(path.name + STARTED).write_text("started", encoding="utf-8")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.trail.check(nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if props.get("observation"):  # the visible half of a hidden check: its failure explains the judge's
            if report.failed:
                name = report.nodeid.rsplit("::", 1)[-1].removeprefix("observe_")
                self._observation_errors.setdefault(name, props.get("message", "the observation could not run"))
            return
        check = self._checks.setdefault(report.nodeid, {
            "name": report.nodeid.rsplit("::", 1)[-1].removeprefix("check_"),
            "description": props.get("description", ""),
            "max_points": props.get("points", 0.0),
            "visibility": props.get("visibility", "visible"),
            "status": "passed", "message": "", "duration_s": 0.0,
        })
        check["duration_s"] += report.duration
        for key, value in props.items():
            if key not in _OWN_PROPERTIES:
                self._extras[key] = value
        if report.failed and check["status"] == "passed":
            check["status"] = props.get("status", "error")
            check["message"] = props.get("message", "this check could not run")

    def pytest_sessionfinish(self) -> None:
        results = [
            CheckResult(points=c["max_points"] if c["status"] == "passed" else 0.0, **c)
            for c in self._checks.values()
        ]
        data = {"checks": [asdict(r) for r in results], "hidden_not_run": self.hidden_not_run,
                "extras": self._extras, "observation_errors": self._observation_errors,
                "tampered": integrity.changed(self._snapshot, _own_hooks()), "nonce": self._nonce}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(self.path)


def _own_hooks() -> dict[str, Callable[[], object]]:
    """The plugin's own functions the integrity snapshot guards, each looked up anew (a rebinding shows)."""
    module = sys.modules[__name__]
    return {"grader.plugin.makereport": lambda: module.pytest_runtest_makereport,
            "Collector.logreport": lambda: module.Collector.pytest_runtest_logreport,
            "Collector.sessionfinish": lambda: module.Collector.pytest_sessionfinish}
