"""Check a blank from the notebook itself, in the kernel that runs it: the `check("<blank>")` cells that
`grader assign` writes under every blank of a notebook template (`grader grade` skips them).

`Checker(assignment)(blank)` forks the kernel. The child holds the kernel's functions exactly as they are now
(edits run but not saved included) and runs the blank's visible checks in the same pytest session, plugin and
time limits as `grader check` (`worker.grade_in_child`), leaving the same result and evidence files; the kernel
then judges them again through the same stages (`pipeline.build_run`), so a blank gets the verdicts and messages
`make check` gives the same code (only the place of an error is named as Jupyter numbers runs, "cell In [7]").
Being a fork, the check cannot hang or wreck the session: an endless loop is stopped at the check's time limit,
a crash (segfault, `os._exit`) ends the child only, and nothing the checks do to globals, random state or torch's
settings reaches the kernel. Hidden checks never run here; the output says they run at grading.

Fork is POSIX (Linux, macOS, Colab); the child computes with one torch thread, like every grading process.
"""

from __future__ import annotations

import ast
import contextlib
import html
import inspect
import os
import random
import re
import signal
import sys
import tempfile
import textwrap
import time
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.assign import blank_names
from grader.assignment import PROJECT_ROOT, Assignment, load_assignment
from grader.messages import SubmissionError
from grader.results import CheckResult, Run
from grader.suite import Suite, load_suite

if TYPE_CHECKING:
    from grader.sandbox import Outcome
    from grader.worker import Job

# Where a kernel started in a clone of the course's repository finds the template, for the order of the blanks.
ASSIGNMENTS = PROJECT_ROOT / "assignments"


class NotRunYet(SubmissionError, AttributeError):
    """A blank whose cell the kernel has not run: the check says so (a SubmissionError), and `getattr(module, name,
    None)` still answers None (an AttributeError)."""


class LiveModule(types.ModuleType):
    """The student's module as the checks see it: a view of the kernel's namespace. Reads and writes go to the
    namespace itself (the forked child's copy), so replacing a hung function reaches the student's other
    functions too, as it does in an imported module."""

    def __init__(self, name: str, namespace: dict[str, object], blanks: tuple[str, ...]) -> None:
        super().__init__(name)
        object.__setattr__(self, "_namespace", namespace)
        object.__setattr__(self, "_blanks", blanks)

    def __getattr__(self, name: str) -> object:
        namespace: dict[str, object] = object.__getattribute__(self, "_namespace")
        if name in namespace:
            return namespace[name]
        if name in object.__getattribute__(self, "_blanks"):
            raise NotRunYet(f"`{name}` is not defined in this notebook's kernel yet: run its cell, then the check "
                            "again.")
        raise AttributeError(name)

    def __setattr__(self, name: str, value: object) -> None:
        object.__getattribute__(self, "_namespace")[name] = value


class _Only:
    """pytest plugin: the session runs only the named checks (one blank's)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def pytest_collection_modifyitems(self, config: object, items: list) -> None:  # type: ignore[type-arg]
        dropped = [item for item in items if item.name.removeprefix("check_") not in self.names]
        if dropped:
            config.hook.pytest_deselected(items=dropped)  # type: ignore[attr-defined]
            items[:] = [item for item in items if item not in dropped]


# -------------------------------------------------------------------------------------------------------------
# Which checks answer at which blank


def checks_by_blank(suite: Suite, blanks: list[str]) -> dict[str, list[str]]:
    """Each blank's visible checks: a check answers at the last blank (in the template's order) its code reaches
    (through `submission.X`, `getattr(submission, "X")`, its helpers and fixtures), so a student working down the
    notebook sees every check as soon as everything it needs is written. Checks reaching no blank are left to
    `check()`."""
    fixtures = _fixture_functions(suite.assignment)
    order = {name: i for i, name in enumerate(blanks)}
    found: dict[str, list[str]] = {name: [] for name in blanks}
    functions = {name: getattr(module, name) for module in suite.modules for name in vars(module)
                 if name.startswith("check_")}
    for spec in suite.specs:
        function = functions.get(f"check_{spec.name}")
        if spec.visibility != "visible" or function is None:
            continue
        reached = _reached(function, set(blanks), fixtures, set(), depth=0)
        if reached:
            found[max(reached, key=order.__getitem__)].append(spec.name)
    return found


def _fixture_functions(assignment: Assignment) -> dict[str, Callable[..., object]]:
    """The fixtures a check can ask for (the core's and the kits'), unwrapped from pytest's definitions."""
    import importlib

    import grader.fixtures
    from grader.kits import kit

    modules = [grader.fixtures] + [importlib.import_module(module) for name in assignment.kits
                                   if (module := getattr(kit(name), "FIXTURES", None))]
    return {name: wrapped for module in modules for name, value in vars(module).items()
            if callable(wrapped := getattr(value, "__wrapped__", None))}


def _reached(function: Callable[..., object], blanks: set[str], fixtures: dict[str, Callable[..., object]],
             seen: set[object], depth: int = 0) -> set[str]:
    """The blanks a function reaches: attributes of the student's module (a `submission` or a `ModuleType`
    argument), names given as text by the check or a helper it calls (`getattr(submission, name)`; deeper, a
    table of every blank's name would tie each check to all of them), and what its fixtures and the checks' and
    kits' helpers it calls reach."""
    if function in seen:
        return set()
    seen.add(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set()
    modules = {"submission"} | {arg.arg for arg in ast.walk(tree) if isinstance(arg, ast.arg)
                                and "ModuleType" in ast.unparse(arg.annotation or ast.Constant(""))}
    found: set[str] = set()
    # Arguments are fixtures only of a check or a fixture (a helper's `model` argument is not the fixture).
    requests = inspect.signature(function).parameters if depth == 0 or function in fixtures.values() else {}
    calls = [fixtures[name] for name in requests if name in fixtures]
    scope = getattr(function, "__globals__", {})
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            found.add(node.attr)
        elif depth <= 1 and isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in blanks:
            found.add(node.value)
        elif isinstance(node, ast.Name) and _is_course_function(scope.get(node.id)):
            calls.append(scope[node.id])
    for called in calls:
        found |= _reached(called, blanks, fixtures, seen, depth + 1)
    return found & blanks


def _is_course_function(value: object) -> bool:
    """A helper of the checks or the kits (whose code may reach a blank), not torch's or the standard library's."""
    module = getattr(value, "__module__", "") or ""
    return inspect.isfunction(value) and module.startswith(("check_", "grader.kits"))


# -------------------------------------------------------------------------------------------------------------
# The result shown in the cell


@dataclass(frozen=True)
class LiveResult:
    """What a check cell shows: a table in Jupyter and Colab (`_repr_html_`), plain text elsewhere."""

    run: Run
    blank: str | None
    hidden: int  # hidden checks of the assignment: never run here
    seconds: float
    note: str = ""  # a sentence instead of a table (no check at this blank, unknown blank)

    @property
    def passed(self) -> bool:
        return not self.note and self.run.full_marks

    def summary(self) -> str:
        if self.note:
            return self.note
        run = self.run
        if run.problem:
            return f"Could not check: {run.problem}."
        what = f"`{self.blank}`" if self.blank else "Total"
        failed = sum(not c.passed for c in run.checks)
        verdict = "all passed" if not failed else f"{failed} of {len(run.checks)} failed"
        hidden = "hidden checks run at grading" if self.blank else \
            f"{self.hidden} hidden check{'s' if self.hidden != 1 else ''} run at grading"
        return (f"{what}: {run.points:g} of {run.max_points:g} points, {verdict} ({self.seconds:.1f} s); "
                f"{hidden if self.hidden else 'no hidden checks'}.")

    def __str__(self) -> str:
        width = max([len(c.name) for c in self.run.checks] + [5])
        lines = [f"{'check':<{width}}  points  result  message"] if self.run.checks and not self.note else []
        for check in self.run.checks if not self.note else ():
            score = f"{check.points:g}/{check.max_points:g}"
            message = textwrap.wrap(check.message, 90) or [""]
            lines.append(f"{check.name:<{width}}  {score:>6}  {'pass' if check.passed else 'FAIL':<6}  {message[0]}")
            lines += [" " * (width + 18) + more for more in message[1:]]
        return "\n".join(lines + ([""] if lines else []) + [self.summary()])

    __repr__ = __str__

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        rows = "".join(_html_row(check) for check in (self.run.checks if not self.note else ()))
        table = ('<table><thead><tr><th style="text-align:left">check</th><th>points</th><th>result</th>'
                 f'<th style="text-align:left">why</th></tr></thead><tbody>{rows}</tbody></table>' if rows else "")
        summary = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(self.summary()))
        return f'<div class="grader-check">{table}<p><b>{summary}</b></p></div>'


def _html_row(check: CheckResult) -> str:
    colour = "#1a7f37" if check.passed else "#cf222e"
    verdict = "pass" if check.passed else "FAIL"
    return (f'<tr><td style="text-align:left"><code>{html.escape(check.name)}</code></td>'
            f"<td>{check.points:g}/{check.max_points:g}</td>"
            f'<td style="color:{colour};font-weight:bold">{verdict}</td>'
            f'<td style="text-align:left">{html.escape(check.message)}</td></tr>')


# -------------------------------------------------------------------------------------------------------------
# The checker a notebook's first cell makes


class Checker:
    """`check = Checker("<assignment>")` in a notebook's first cell; `check("<blank>")` under a blank checks
    that blank, `check()` every visible check with the total."""

    def __init__(self, assignment: str, *, namespace: dict[str, object] | None = None, fetch_data: bool = True,
                 log: Callable[[str], None] = print) -> None:
        self.assignment = load_assignment(assignment)
        self.namespace = namespace
        self.data_root: Path | None = None
        if fetch_data and self.assignment.kits:
            from grader.kits import ensure_data

            self.data_root = ensure_data(self.assignment.kits, None, log=log)
        self._suite: Suite | None = None
        self._by_blank: dict[str, list[str]] | None = None

    @property
    def suite(self) -> Suite:
        if self._suite is None:  # read once: a warm call costs the fork and the checks only
            with _kernel_state_kept():
                self._suite = load_suite(self.assignment.folder)
        return self._suite

    @property
    def blanks(self) -> list[str]:
        template = ASSIGNMENTS / self.assignment.name / f"{self.assignment.module}.py"
        if template.is_file():
            return blank_names(template.read_text(encoding="utf-8"))
        return list(self.assignment.functions)

    def checks_of(self, blank: str) -> list[str]:
        if self._by_blank is None:
            self._by_blank = checks_by_blank(self.suite, self.blanks)
        return self._by_blank.get(blank, [])

    def __call__(self, blank: str | None = None) -> LiveResult:
        suite, started = self.suite, time.monotonic()
        visible = [spec for spec in suite.specs if spec.visibility == "visible"]
        hidden = len(suite.specs) - len(visible) + suite.assignment.hidden_checks
        namespace = self.namespace if self.namespace is not None else kernel_namespace()
        if blank is None:
            names = [spec.name for spec in visible]
        elif blank not in self.blanks:
            return self._note(f"There is no blank named `{blank}`; the blanks are: {', '.join(self.blanks)}.",
                              blank, hidden)
        else:
            names = self.checks_of(blank)
        if not names:
            return self._note(f"No visible check is answered at `{blank}`: its checks are hidden (they run at "
                              "grading) or run under a later blank; `check()` runs every visible check.", blank, hidden)
        if blank is not None and blank not in namespace:
            return self._note(f"`{blank}` is not defined in this kernel yet: run its cell first, then this check.",
                              blank, hidden)
        run = check_live(replace(suite, specs=tuple(s for s in visible if s.name in names), report=None),
                         namespace, tuple(self.blanks), data_root=self.data_root)
        return LiveResult(run, blank, hidden, time.monotonic() - started)

    def _note(self, note: str, blank: str | None, hidden: int) -> LiveResult:
        empty = Run(student="", assignment=self.assignment.name, source="this notebook", sha256="", suite_version="",
                    status="graded", problem="", points=0.0, max_points=0.0, graded_at="", duration_s=0.0)
        return LiveResult(empty, blank, hidden, 0.0, note=note)


def kernel_namespace() -> dict[str, object]:
    """The running kernel's globals (IPython's user namespace), or `__main__`'s outside IPython."""
    shell = _shell()
    return shell.user_ns if shell is not None else vars(sys.modules["__main__"])  # type: ignore[no-any-return]


def _shell() -> Any:
    """The running IPython shell, if any (never importing IPython where it is not loaded: 0.3 s)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]


def check_live(suite: Suite, namespace: dict[str, object], blanks: tuple[str, ...], *,
               data_root: Path | None = None, device: str = "cpu") -> Run:
    """The suite's checks on the functions of `namespace`, through `grader check`'s stages, the grading process a
    fork of this one. On the CPU by default: a fork cannot use CUDA once the kernel has started it (Colab's GPU
    runtimes), and `make check` on a student's machine without a GPU runs there too."""
    from grader.pipeline import GRADING_THREADS, Submitted, build_run, new_job

    with tempfile.TemporaryDirectory(prefix="grader-live-") as scratch:
        job = new_job(suite, Path("<kernel>"), Path(scratch), data_root=data_root, device=device,
                      threads=GRADING_THREADS, challenge=0, visibility="visible")
        started = time.monotonic()
        outcome = _forked(job, namespace, suite, blanks, Path(scratch) / "output.txt")
        with _kernel_state_kept():  # the judges seed and compute in the kernel: give its settings back
            return build_run(suite, Submitted(student="", file=Path("<kernel>"), source="this notebook"), job,
                             outcome, device=device, started=started)


def _forked(job: Job, namespace: dict[str, object], suite: Suite, blanks: tuple[str, ...], output: Path) -> Outcome:
    """Run the grading process as a fork of this one, stopped (its whole process group) at the time limit."""
    from grader.sandbox import Outcome

    started = time.monotonic()
    with warnings.catch_warnings():  # "this process is multi-threaded": the child uses only this thread
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns into the kernel's code
        try:
            _child(job, namespace, suite, blanks, output)
        finally:
            os._exit(0)
    deadline = started + suite.assignment.submission_timeout_s
    try:
        status = _wait(pid, deadline)
    except BaseException:  # the student interrupted the kernel: the check ends with it
        _kill(pid)
        raise
    text = output.read_text(encoding="utf-8", errors="replace")[-2**20:] if output.exists() else ""
    timed_out = status is None
    code = None if status is None else os.waitstatus_to_exitcode(status)
    return Outcome(exit_code=code if code is None or code >= 0 else None, signal=-code if code and code < 0 else None,
                   timed_out=timed_out, wall_s=time.monotonic() - started, stdout=text, stderr="", notes=())


def _wait(pid: int, deadline: float) -> int | None:
    """The child's wait status, or None when it ran past the deadline (then it is killed)."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _kill(pid)  # what the child left running (a DataLoader's workers)
            return status
        if time.monotonic() > deadline:
            _kill(pid)
            return None
        time.sleep(0.005)


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _child(job: Job, namespace: dict[str, object], suite: Suite, blanks: tuple[str, ...], output: Path) -> None:
    """In the fork: its own process group, output to a file (never the kernel's sockets), then the checks."""
    from grader.notebook import remember_live_cells
    from grader.submission import LIVE
    from grader.worker import grade_in_child

    os.setpgid(0, 0)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = sys.stderr = open(fd, "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _quiet_kernel()
    remember_live_cells(_cell_files(namespace))
    module = suite.assignment.module
    LIVE[module] = sys.modules[module] = LiveModule(module, namespace, blanks)
    grade_in_child(job, plugins=(_Only({spec.name for spec in suite.specs}),))


def _quiet_kernel() -> None:
    """Nothing the checks draw or display may reach the kernel's channels from the fork."""
    if "matplotlib" in sys.modules:
        with contextlib.suppress(Exception):
            import matplotlib

            matplotlib.use("Agg", force=True)
    shell = _shell()
    if shell is not None:
        shell.display_pub.publish = lambda *args, **kwargs: None


# IPython before 8 (Colab's) names a cell's code "<ipython-input-7-1a2b3c>"; IPython 8 a file it maps to 7.
_OLD_CELL_NAME = re.compile(r"<ipython-input-(\d+)-")


def _cell_files(namespace: dict[str, object]) -> dict[str, int]:
    """The files the kernel compiled its cells from -> their execution counts ("cell In [7]"): IPython's own map,
    or the old names of the cells that defined the namespace's functions and methods."""
    cells = dict(getattr(getattr(_shell(), "compile", None), "_filename_map", {}))
    for value in namespace.values():
        functions = [value, *vars(value).values()] if isinstance(value, type) else [value]
        for function in functions:
            file = getattr(getattr(function, "__code__", None), "co_filename", "")
            if match := _OLD_CELL_NAME.match(file):
                cells.setdefault(file, int(match[1]))
    return cells


@contextlib.contextmanager
def _kernel_state_kept() -> Iterator[None]:
    """Give back what the grader's own code in the kernel (loading checks, judging) may set: random generators,
    torch's default dtype, threads, determinism and grad mode."""
    import numpy as np
    import torch

    python_state, numpy_state = random.getstate(), np.random.get_state()
    dtype, threads, grad = torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled()
    deterministic = (torch.are_deterministic_algorithms_enabled(),
                     torch.is_deterministic_algorithms_warn_only_enabled())
    benchmark = torch.backends.cudnn.benchmark
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)
            torch.set_default_dtype(dtype)
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            torch.set_grad_enabled(grad)
            torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
            torch.backends.cudnn.benchmark = benchmark
