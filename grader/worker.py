"""What runs inside a confined grading process, and the warm pool that starts those processes.

The pool is a multiprocessing *forkserver* whose server imports this module, and with it torch,
torchvision, pytest and the grader, once. Each submission then gets a fresh process forked from
that server: its fixed cost is a fork and a pytest session, not a torch import.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.context
import os
import sys
import threading
from dataclasses import dataclass
from multiprocessing import forkserver
from pathlib import Path

# Imported here so the forkserver holds them before it forks a grading process.
import _pytest.python  # noqa: F401
import nbconvert.preprocessors  # noqa: F401  (notebook submissions)
import numpy  # noqa: F401
import pytest
import scipy.stats  # noqa: F401
import torch
import torchvision  # noqa: F401

import grader.checking
import grader.data
import grader.mnist_training
import grader.nn_probes
import grader.observe
import grader.plugin
import grader.replica
import grader.spies
import grader.stats
import grader.submission


@dataclass(frozen=True)
class Job:
    """Everything a grading process needs, as plain data (it crosses to the process by pickling)."""

    submission: str  # the scratch copy of the student's file
    suite: str  # checks/<assignment>
    results: str  # where the plugin writes its JSON
    artifacts: str  # where the checks save their tensors
    data_root: str
    device: str
    nonce: str
    threads: int
    challenge: int = 0  # the seed of the inputs the grader re-judges the checks on
    observations: tuple[dict[str, object], ...] = ()  # what the hidden checks need observed (grader/observe.py)
    hidden_artifacts: str = ""  # where those observations are saved


def pytest_arguments(job: Job) -> list[str]:
    return [
        job.suite, "-c", os.path.join(job.suite, "pytest.ini"), "--rootdir", job.suite, "-q", "--no-header",
        "-p", "no:cacheprovider", f"--submission={job.submission}", f"--grader-results={job.results}",
        # Measured in BENCHMARKS.md: these plugins cost ~1.2 s a submission (logging: 10 ms) and feed nothing
        # the grade needs; a student's logging still reaches the captured stderr.
        "-p", "no:hypothesispytest", "-p", "no:unraisableexception", "-p", "no:logging",
        # The checks fail through require(), not assert: plain imports use the bytecode stage_checks compiled.
        # One line per failure (the student's file:line and the error): pytest's long and short tracebacks parse
        # every frame's source, 0.2 s for the template's failures, and the student's message already says what
        # is wrong. Not --tb=no: the captured output only reaches stdout through the failure reports.
        "--assert=plain", "--tb=line",
        f"--grader-artifacts={job.artifacts}", "--grader-visibility=all", f"--grader-device={job.device}",
        f"--grader-data-root={job.data_root}", f"--grader-challenge={job.challenge}",
    ]


def grade_in_child(job: Job) -> None:
    """The confined process's target: one pytest session over the suite, results to files."""
    torch.set_num_threads(job.threads)
    os.environ["GRADER_NONCE"] = job.nonce  # read and removed by the plugin before student code runs
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True
    sys.argv = ["pytest"]
    pytest.main(pytest_arguments(job))
    grader.observe.observe_in_child(list(job.observations), Path(job.submission).stem, Path(job.data_root),
                                    job.device, Path(job.hidden_artifacts))


_context: multiprocessing.context.BaseContext | None = None
_starting = threading.Lock()
# Set only while the forkserver starts: it then parses MNIST from this folder once, for every child.
WARM_DATA_ENV = "GRADER_FORKSERVER_MNIST"


def warm_context(data_root: Path | None = None) -> multiprocessing.context.BaseContext:
    """The forkserver context with this module preloaded, started on first use and shared afterwards.

    The first call's `data_root` (MNIST) is parsed into memory by the server before it forks anything, so
    a grading process finds the tensors and torchvision datasets already there (copy-on-write); a later
    call with another root still works, each child then parses its own copy."""
    global _context
    with _starting:  # a batch's slots ask from several threads at once
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["grader.worker"])
            if data_root is not None:
                os.environ[WARM_DATA_ENV] = str(data_root)
                try:
                    forkserver.ensure_running()
                finally:
                    os.environ.pop(WARM_DATA_ENV, None)
            _context = context
        return _context


def _warm_up_forkserver() -> None:
    """In the forkserver only (the variable is set for it alone): parse MNIST, then freeze what is on the
    heap so that a child's garbage collections never walk torch's and the data's objects."""
    root = os.environ.pop(WARM_DATA_ENV, None)
    if root is None:
        return
    # One thread: an OpenMP pool started here would not survive the fork (the children would hang in it);
    # each grading process sets its own thread count.
    torch.set_num_threads(1)
    with contextlib.suppress(Exception):  # a child parses the data itself, and reports what is wrong
        for train in (True, False):
            grader.mnist_training.mnist_dataset(Path(root), train=train)
    gc.collect()
    gc.freeze()


_warm_up_forkserver()
