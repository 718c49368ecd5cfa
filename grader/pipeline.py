"""The stages every grading goes through, for `grader check` (one file, on a student's machine) and `grader grade`
(a class, each submission confined) alike, and the one result they build (`Run`).

1. a grading process runs the suite's checks on the student's file (worker.grade_in_child) and leaves a result
   file (the child's verdict per check) and the evidence the checks recorded;
2. the grader reads both as data (JSON, weights-only tensors; a missing, forged or tampered file scores 0);
3. the grader judges every check again from the evidence, in its own process (grader/protocol.py); a check
   passes only if both verdicts say so;
4. the assignment's report.py, if any, turns the evidence into notes and figures' data.
The points are computed here from the suite the grader read itself, never from what the child claims.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import torch

from grader.plugin import STARTED
from grader.protocol import Evidence, judge_checks
from grader.results import CheckResult, Run
from grader.sandbox import Outcome
from grader.suite import Suite
from grader.tensors import MAX_ARTIFACT_BYTES, load_artifacts
from grader.worker import Job, job_file

MAX_RESULTS_BYTES = 2 * 2**20
# Every grading process computes with one torch thread, under grader check and grader grade alike, whatever
# --jobs is: the same arithmetic, so the same verdicts on every run; no OpenMP pool to spin-wait or to wake (with
# two threads a loaded machine made grading 40x slower, and OMP_WAIT_POLICY=PASSIVE made the idle one 2x
# slower); a class uses the cores through --jobs instead.
GRADING_THREADS = 1


@dataclass(frozen=True)
class Submitted:
    """Who and what is graded (the intake's view of one submission)."""

    student: str
    file: Path  # the .py or .ipynb to grade
    sha256: str = ""
    source: str = ""  # where it came from, for the reports


def challenge_seed(sha256: str) -> int:
    """The seed of the inputs a submission's evidence is judged on: its own, so a regrade is identical."""
    return int(sha256[:8], 16) if sha256 else 0


def new_job(suite: Suite, submission: Path, scratch: Path, *, data_root: Path | None, device: str, threads: int,
            challenge: int, visibility: str = "all") -> Job:
    return Job(submission=str(submission), suite=str(suite.path), results=str(scratch / "results.json"),
               artifacts=str(scratch / "artifacts.pt"), data_root=str(data_root or ""), device=device,
               nonce=secrets.token_hex(16), threads=threads, challenge=challenge, visibility=visibility,
               check_timeout_s=suite.assignment.check_timeout_s)


def run_unconfined(job: Job, timeout_s: float) -> Outcome:
    """The grading process as a plain child process (students' own code on their own machine)."""
    scratch = Path(job.results).parent
    env = os.environ | {"PYTHONDONTWRITEBYTECODE": "1", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    started = time.monotonic()
    command = [sys.executable, "-m", "grader.worker", str(job_file(job, scratch / "job.json"))]
    # Its own session, so a timeout kills the grading sessions it forked too (worker.grade_in_child), not only it.
    with subprocess.Popen(command, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace", stdin=subprocess.DEVNULL, start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            return Outcome(exit_code=None, signal=None, timed_out=True, wall_s=time.monotonic() - started,
                           stdout=_text(stdout)[-2**20:], stderr=_text(stderr)[-2**20:], notes=())
    return Outcome(exit_code=proc.returncode, signal=None, timed_out=False, wall_s=time.monotonic() - started,
                   stdout=stdout[-2**20:], stderr=stderr[-2**20:], notes=())


def _text(output: str | bytes | None) -> str:
    return output.decode("utf-8", "replace") if isinstance(output, bytes) else (output or "")


def check_file(suite: Suite, submitted: Submitted, *, data_root: Path | None, device: str = "auto",
               visibility: str = "visible", threads: int = GRADING_THREADS, timeout_s: float | None = None) -> Run:
    """`grader check`: one file through every stage, its grading process a plain child process."""
    with tempfile.TemporaryDirectory(prefix="grader-check-") as scratch:
        job = new_job(suite, submitted.file.resolve(), Path(scratch), data_root=data_root, device=device,
                      threads=threads,
                      challenge=challenge_seed(submitted.sha256), visibility=visibility)
        started = time.monotonic()
        outcome = run_unconfined(job, timeout_s or suite.assignment.submission_timeout_s)
        return build_run(suite, submitted, job, outcome, device=device, started=started)


def check_path(path: Path, assignment: str | None = None, *, visibility: str = "visible", device: str = "auto",
               data_root: Path | None = None, log: Callable[[str], None] = lambda _: None) -> Run:
    """`grader check PATH` as a function: the assignment (found from the path unless named), its data, its suite,
    and one file through every stage."""
    import hashlib

    from grader.assignment import resolve_assignment
    from grader.kits import ensure_data
    from grader.suite import load_suite

    declared = resolve_assignment(path, assignment)
    root = ensure_data(declared.kits, data_root, log=log)
    submitted = Submitted(student="", file=path, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                          source=str(path))
    return check_file(load_suite(declared.folder), submitted, data_root=root, device=device, visibility=visibility)


def build_run(suite: Suite, submitted: Submitted, job: Job, outcome: Outcome, *, device: str,
              started: float) -> Run:
    """Stages 2-4 on what a grading process left; never raises for anything the process did."""
    # The grader's own verdicts and figures' data computed with the grading processes' thread count: the same
    # arithmetic on every machine, in a TA's process or a Ray worker (the figures moved in the 10th digit).
    torch.set_num_threads(GRADING_THREADS)
    status, problem = "graded", ""
    failure = grader_failure(Path(job.results), outcome)
    try:
        if failure:
            raise GraderError(failure)
        checks, recorded, observation_errors, hidden_not_run = verdicts(suite, Path(job.results), job.nonce,
                                                                        outcome, job.visibility)
        evidence = Evidence(child_artifacts(Path(job.artifacts)), job.challenge,
                            Path(job.data_root) if job.data_root else None)
        checks = judged(suite, checks, evidence, observation_errors)
        notes, extras = report_data(suite, evidence, recorded, checks)
    except GraderError as error:  # the grader's own machinery failed: not a grade (the batch tries again)
        status, problem = GRADER_ERROR, f"not graded: grader error ({error})"
    except Exception as error:  # noqa: BLE001 - what the child left is data: it costs this submission only
        status = "could_not_grade"
        problem = (f"the grader could not use what the grading process left ({type(error).__name__}: "
                   f"{str(error)[:200]}); nothing is awarded")
    if status != "graded":  # nothing is awarded, every check says why
        checks = [replace(c, status="error", points=0.0, message=problem) for c in suite.checks]
        notes, extras, hidden_not_run = [], {}, 0
    return Run(
        student=submitted.student, assignment=suite.assignment.name, source=submitted.source or str(submitted.file),
        sha256=submitted.sha256, suite_version=suite.version, status=status, problem=problem,
        points=sum(c.points for c in checks), max_points=sum(c.max_points for c in checks), graded_at=now(),
        duration_s=time.monotonic() - started, checks=tuple(checks), device=device,
        notes=tuple(notes + list(outcome.notes)), stdout=outcome.stdout, stderr=outcome.stderr, extras=extras,
        hidden_not_run=hidden_not_run,
    )


GRADER_ERROR = "grader_error"


class GraderError(Exception):
    """The grading machinery itself failed (the process could not start pytest or the grader): never a grade."""


def grader_failure(results: Path, outcome: Outcome) -> str:
    """Why the grader's own machinery failed in this run, or "" when it started (whatever the student's code did
    after that). The plugin marks the start before any student code runs."""
    if outcome.timed_out or results.exists() or results.with_name(results.name + STARTED).exists():
        return ""
    tail = [line for line in (outcome.stderr or outcome.stdout).strip().splitlines() if line.strip()][-1:]
    return f"the grading process ended before the checks started: {(tail or ['no output'])[0][:300]}"


def verdicts(suite: Suite, results: Path, nonce: str, outcome: Outcome, visibility: str = "all",
             ) -> tuple[list[CheckResult], dict[str, object], dict[str, str], int]:
    """The suite's checks with the child's verdicts (anything missing, forged or tampered scores 0), what the
    child recorded for display, why hidden checks' observations failed, and how many hidden checks were left
    out (`visibility="visible"`)."""
    data, problem = read_results(results, nonce)
    if outcome.timed_out:
        problem = problem or "the submission was stopped at its time limit"
    listed = data.get("checks")
    reported = {c["name"]: c for c in (listed if isinstance(listed, list) else [])
                if isinstance(c, dict) and isinstance(c.get("name"), str)}
    failures = {(c.get("status"), str(c.get("message", ""))[:1000]) for c in reported.values()}
    # One error for every check the child ran (code that cannot be imported): the hidden checks share it.
    shared = next(iter(failures)) if len(failures) == 1 and next(iter(failures))[0] == "error" else None
    specs = [s for s in suite.specs if visibility == "all" or s.visibility == "visible"]
    checks = []
    for spec in specs:
        known, child = spec.template(), reported.get(spec.name)
        if not problem and child is None and spec.visibility == "hidden":
            # Not run by the child, which has the students' copy: the grader's verdict decides.
            checks.append(replace(known, status="error", points=0.0, message=shared[1]) if shared else known)
            continue
        if problem or child is None:
            reason = problem or "no result: the grading process ended before this check finished"
            checks.append(replace(known, status="error", points=0.0, message=reason))
            continue
        status = child.get("status") if child.get("status") in ("passed", "failed", "error") else "error"
        message = str(child.get("message", ""))[:1000]
        checks.append(replace(known, status=status, points=known.max_points if status == "passed" else 0.0,
                              message=message, duration_s=_seconds(child.get("duration_s"))))
    recorded = data.get("extras") if isinstance(data.get("extras"), dict) and not problem else {}
    errors = data.get("observation_errors") if isinstance(data.get("observation_errors"), dict) else {}
    hidden_not_run = len(suite.specs) - len(specs) + suite.assignment.hidden_checks
    return checks, recorded or {}, {str(k): str(v)[:1000] for k, v in errors.items()}, hidden_not_run


def judged(suite: Suite, checks: list[CheckResult], evidence: Evidence,
           observation_errors: dict[str, str]) -> list[CheckResult]:
    """A check passes only if the child says so AND the grader's own verdict agrees. A check the child failed
    needs no second verdict; one without a judge (a visible check of a students' copy, whose judge was hidden)
    keeps the child's verdict. A hidden check whose observation failed says why."""
    judges = suite.judges
    parent = judge_checks(judges, [c.name for c in checks if c.passed and c.name in judges], evidence)
    combined = []
    for check in checks:
        ok, message = parent.get(check.name, (True, ""))
        if check.passed and not ok:
            failure = observation_errors.get(check.name)
            check = replace(check, status="error" if failure else "failed", points=0.0, message=failure or message)
        combined.append(check)
    return combined


def report_data(suite: Suite, evidence: Evidence, recorded: dict[str, object], checks: list[CheckResult]
                ) -> tuple[list[str], dict[str, object]]:
    """The assignment's notes and figures' data (checks/<a>/report.py), computed here from the evidence; what
    the child recorded itself is passed along for display only."""
    make = getattr(suite.report, "report_data", None)
    if not callable(make):
        return [], {}
    notes, extras = make(evidence, recorded, {c.name: c.passed for c in checks})
    return list(notes), dict(extras)


def _seconds(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def read_child_file(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a file a confined process left behind: a regular file only, never through
    a link (one to /dev/zero never ends, one to a root-only file is not the child's), never blocking (a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return file.read(limit + 1)


def child_artifacts(path: Path) -> dict[str, object]:
    """The recorded evidence, loaded (weights-only) from a private copy of what the child left at `path`."""
    try:
        raw = read_child_file(path, MAX_ARTIFACT_BYTES)
    except OSError:
        return {}
    if len(raw) > MAX_ARTIFACT_BYTES:
        return {}
    with tempfile.TemporaryDirectory(prefix="grader-artifacts-") as private:
        copy = Path(private) / "artifacts.pt"
        copy.write_bytes(raw)
        return load_artifacts(copy)


def read_results(path: Path, nonce: str) -> tuple[dict[str, object], str]:
    try:
        raw = read_child_file(path, MAX_RESULTS_BYTES)
    except FileNotFoundError:
        return {}, "the grading process ended before reporting any result"
    except OSError:
        return {}, "the grading process wrote an unreadable result file"
    if len(raw) > MAX_RESULTS_BYTES:
        return {}, "the grading process wrote an oversized result file"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        return {}, "the grading process wrote an unreadable result file"
    if not isinstance(data, dict) or data.get("nonce") != nonce:
        return {}, "the result file was not written by the grader (forged or overwritten)"
    tampered = data.get("tampered")
    if tampered:
        names = ", ".join(map(str, tampered)) if isinstance(tampered, list) else str(tampered)
        return {}, f"the submission modified the grader or pytest at run time ({names[:300]})"
    return data, ""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

