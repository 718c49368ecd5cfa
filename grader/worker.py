"""What runs inside a grading process, and the warm pool that starts those processes.

`grader grade` forks each grading process, confined, from a multiprocessing *forkserver* whose server imports
this module, and with it torch, pytest, the grader and the kits the assignment uses, once: a submission's fixed
cost is a fork and a pytest session, not a torch import. `grader check` runs the same `grade_in_child` in a
plain child process (`python -m grader.worker JOB.json`): both commands run the same stages.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import multiprocessing
import multiprocessing.context
import os
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from multiprocessing import forkserver
from pathlib import Path

# Imported here so the forkserver holds them before it forks a grading process.
import _pytest.python  # noqa: F401
import nbconvert.preprocessors  # noqa: F401  (notebook submissions)
import numpy  # noqa: F401
import pytest
import scipy.stats  # noqa: F401
import torch

from grader.crashes import TRAIL_SUFFIX, Crash, encode, read_trail
from grader.suite import SUITE_INI


@dataclass(frozen=True)
class Job:
    """Everything a grading process needs, as plain data (it crosses to the process by pickling or JSON)."""

    submission: str  # the scratch copy of the student's file
    suite: str  # the checks' folder (the students' copy under `grader grade`)
    results: str  # where the plugin writes its JSON
    artifacts: str  # where the checks save their evidence
    data_root: str  # the kits' data folder ("" when the assignment needs none)
    device: str
    nonce: str
    threads: int  # torch threads; 0 leaves torch's default
    challenge: int = 0  # the seed of the inputs the grader judges the evidence on
    visibility: str = "all"  # "visible": students' `grader check`, hidden checks left out
    check_timeout_s: float = 15


def pytest_arguments(job: Job) -> list[str]:
    """The one pytest command line of a grading run."""
    arguments = [
        job.suite, "-c", str(SUITE_INI), "--rootdir", job.suite, "-q", "--no-header",
        "-p", "no:cacheprovider", "-o", f"timeout={job.check_timeout_s:g}",
        f"--submission={job.submission}", f"--grader-results={job.results}",
        # Measured in BENCHMARKS.md: these plugins cost ~1.2 s a submission (logging: 10 ms) and feed nothing
        # the grade needs; a student's logging still reaches the captured stderr.
        "-p", "no:hypothesispytest", "-p", "no:unraisableexception", "-p", "no:logging",
        # The checks fail through require(), not assert: plain imports use the bytecode stage_checks compiled.
        # One line per failure (the student's file:line and the error): pytest's long and short tracebacks parse
        # every frame's source, 0.2 s for the template's failures, and the student's message already says what
        # is wrong. Not --tb=no: the captured output only reaches stdout through the failure reports.
        "--assert=plain", "--tb=line",
        f"--grader-artifacts={job.artifacts}", f"--grader-visibility={job.visibility}",
        f"--grader-device={job.device}", f"--grader-challenge={job.challenge}",
    ]
    return arguments + ([f"--grader-data-root={job.data_root}"] if job.data_root else [])


def grade_in_child(job: Job, plugins: tuple[object, ...] = ()) -> None:
    """The grading process's target: one pytest session over the suite, results and evidence to files. `plugins`:
    extra plugin objects (a notebook's check of one blank selects that blank's checks, grader/live.py).

    The session runs in a forked child; if student code ends that child (os._exit, a segfault), a new child runs
    the suite again with the crash charged to the check and the function it happened in (grader/crashes.py)."""
    if job.threads:  # 0: torch's own default (grader check)
        torch.set_num_threads(job.threads)
    os.environ["GRADER_NONCE"] = job.nonce  # read and removed by the plugin before student code runs
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # Students' plotting lines run, draw nowhere and cost nothing (plt.show() with a non-interactive backend).
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="grader-mpl-")
    sys.dont_write_bytecode = True
    sys.argv = ["pytest"]
    if not hasattr(os, "fork"):  # Windows: one session, and a crash ends the run
        _pytest_session(job, [], plugins)
        return
    crashed: list[Crash] = []
    for _attempt in range(MAX_SESSIONS):
        status = _forked_session(job, crashed, plugins)
        crash = None if Path(job.results).exists() else read_trail(job.results + TRAIL_SUFFIX, status)
        if crash is None or crash in crashed:
            return  # finished, or died where nothing can be charged: the parent reports what is missing
        crashed.append(crash)


MAX_SESSIONS = 8  # a run goes on after this many crashes at most (each costs a fork and a pytest session)


def _forked_session(job: Job, crashed: list[Crash], plugins: tuple[object, ...]) -> int:
    """Run one pytest session in a forked child and return its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it never returns into the caller's code
        code = 1
        try:
            _die_with_parent()
            _pytest_session(job, crashed, plugins)
            code = 0
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def _pytest_session(job: Job, crashed: list[Crash], plugins: tuple[object, ...]) -> None:
    extra = [f"--grader-crashes={encode(crashed)}"] if crashed else []
    pytest.main(pytest_arguments(job) + extra, plugins=list(plugins))


def _die_with_parent() -> None:
    """On Linux, the child gets SIGKILL when the grading process dies (grader check's timeout kills that one)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


_context: multiprocessing.context.BaseContext | None = None
_starting = threading.Lock()
# Set only while the forkserver starts: the kits whose data it then parses once, for every child.
WARM_DATA_ENV = "GRADER_FORKSERVER_WARM"


def warm_context(kits: tuple[str, ...] = (), data_root: Path | None = None) -> multiprocessing.context.BaseContext:
    """The forkserver context with this module and the kits' modules preloaded, started on first use and shared
    afterwards. The first call's kits warm their data (`data_root`) in the server before it forks anything, so
    a grading process finds it in memory (copy-on-write); a later call with other kits still works, each child
    then imports and parses what it needs itself."""
    global _context
    with _starting:  # a batch's slots ask from several threads at once
        if _context is None:
            from grader.kits import kit

            context = multiprocessing.get_context("forkserver")
            preload = [module for name in kits
                       for module in (*getattr(kit(name), "PRELOAD", ()), getattr(kit(name), "FIXTURES", None)) if module]
            context.set_forkserver_preload(["grader.worker", *preload])
            os.environ[WARM_DATA_ENV] = json.dumps({"kits": list(kits), "root": str(data_root or "")})
            # OpenMP reads this when torch loads it, in the server: its threads sleep when idle instead of spinning,
            # so a loaded machine slows grading in proportion (spin-waiting made it 40x slower).
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
            try:
                forkserver.ensure_running()
            finally:
                os.environ.pop(WARM_DATA_ENV, None)
            # The server preloads before it serves its first fork: wait for that here, so that the first
            # submission's duration (and the progress line's estimate) is its own, not the start-up's (~4 s).
            ready = context.Process(target=int, name="grader-forkserver-ready")  # type: ignore[attr-defined]
            ready.start()
            ready.join()
            _context = context
        return _context


def _warm_up_forkserver() -> None:
    """In the forkserver only (the variable is set for it alone): the kits parse their data, then what is on the
    heap is frozen so that a child's garbage collections never walk torch's and the data's objects."""
    request = os.environ.pop(WARM_DATA_ENV, None)
    if request is None:
        return
    # One thread: an OpenMP pool started here would not survive the fork (the children would hang in it);
    # each grading process sets its own thread count.
    torch.set_num_threads(1)
    _preload_pyplot()
    wanted = json.loads(request)
    for name in wanted["kits"]:
        module = importlib.import_module(f"grader.kits.{name}")
        warm = getattr(module, "warm", None)
        if callable(warm) and wanted["root"]:
            with contextlib.suppress(Exception):  # a child parses the data itself, and reports what is wrong
                warm(Path(wanted["root"]))
    gc.collect()
    gc.freeze()


def _preload_pyplot() -> None:
    """Students plot (the course's own notebooks import pyplot at the top): its import costs ~0.35 s of CPU, paid
    here once instead of in every grading process, inside the import's or a check's time limit."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # draws nowhere; the children set it too
    with contextlib.suppress(Exception):  # a grading process imports it itself, and reports what is wrong
        import matplotlib.pyplot  # noqa: F401


_warm_up_forkserver()


def main(argv: list[str]) -> int:
    """`python -m grader.worker JOB.json`: one grading process, unconfined (students' `grader check`)."""
    job = Job(**json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    grade_in_child(job)
    return 0


def job_file(job: Job, path: Path) -> Path:
    path.write_text(json.dumps(asdict(job)), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
