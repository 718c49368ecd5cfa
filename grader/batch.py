"""`grader grade`: a whole class, each submission confined in its own warm process, into the gradebook.

The parent never imports student code. It knows the checks and their points from its own
collection of the suite, reads each child's verdicts as JSON (points are computed here, not read),
judges every check again from what the child observed (grader/judging.py), and records each
submission in one gradebook transaction, so an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import compileall
import errno
import fcntl
import json
import math
import os
import queue
import secrets
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from grader.data import ensure_mnist, raw_folder
from grader.gradebook import Gradebook, Run
from grader.intake import Submission, discover
from grader.release import released_checks
from grader.results import CheckResult
from grader.runner import PROJECT_ROOT, suite_dir
from grader.sandbox import Limits, Outcome, run_confined
from grader.suite import Suite, load_suite
from grader.tensors import MAX_ARTIFACT_BYTES, load_artifacts
from grader.worker import Job, grade_in_child, warm_context

MAX_RESULTS_BYTES = 2 * 2**20


@dataclass(frozen=True)
class BatchOptions:
    assignment: str = "hw1_bn_mlp"
    out: Path = Path("reports")
    jobs: int = 0  # 0: chosen from the core count and the device
    device: str = "auto"
    force: bool = False
    limits: Limits = field(default_factory=Limits)
    data_root: Path | None = None


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unchanged since their last grading
    bad_input: list[str] = field(default_factory=list)


def default_jobs(device: str) -> int:
    cores = os.cpu_count() or 1
    uses_gpu = device == "cuda" or (device == "auto" and _cuda_available())
    return max(2, cores // 4) if uses_gpu else max(1, cores // 2)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def grade_batch(submissions_dir: Path, options: BatchOptions,
                progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> BatchSummary:
    suite = load_suite(suite_dir(options.assignment))
    jobs = options.jobs or default_jobs(options.device)
    summary = BatchSummary()
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp, \
            Gradebook(options.out / "grades.db") as book:
        workdir = Path(tmp)
        os.chmod(workdir, 0o711)  # confined processes may traverse to their own scratch, not list others
        data_root = stage_data(ensure_mnist(options.data_root, log=progress), workdir / "data")
        suite = replace(suite, path=stage_checks(suite, workdir / "checks"))
        submissions = discover(submissions_dir, assignment=options.assignment, workdir=workdir / "intake")
        todo = _to_grade(submissions, suite, book, options, summary, progress)
        hide = hidden_paths(submissions_dir, options.out, workdir)
        claimed = claim_uids(jobs)
        try:
            grade = _grader(suite, options, data_root, workdir, hide, max(1, (os.cpu_count() or 1) // jobs),
                            [uid for uid, _ in claimed])
            _run_all(todo, grade, jobs, book, summary, progress)
        finally:
            for _, fd in claimed:
                os.close(fd)  # releases the lock
    return summary


# What a grading process needs from the project: the grader package and the virtual environment (it gets the
# checks as students do, staged by stage_checks).
NEEDED_IN_PROJECT = {"grader", ".venv"}
GRADER_PACKAGE = Path(__file__).resolve().parent  # imported by the grading process


def hidden_paths(submissions_dir: Path, out: Path, workdir: Path) -> list[Path]:
    """Everything a student must not read: the rest of the project (solutions/, but also .git history,
    tests/ and examples/, which hold solution code), the class's submissions, the gradebook."""
    project = [p for p in PROJECT_ROOT.iterdir() if p.name not in NEEDED_IN_PROJECT]
    (workdir / "intake").mkdir(exist_ok=True)
    return project + [out.resolve(), submissions_dir.resolve(), workdir / "intake"]


def stage_checks(suite: Suite, target: Path) -> Path:
    """The copy of the checks a grading process gets: the students' own (hidden regions, with the hidden checks
    and the reference code, left out), the grader judging the hidden checks from observations alone.

    A suite without a verify.py has no other way to judge its hidden checks: its processes get it whole."""
    if suite.verify is None:
        return suite.path
    folder = target / suite.path.name
    for rel, data in released_checks(suite.path).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    # Compiled once here: a grading process may not write bytecode, and compiling the checks each time costs.
    compileall.compile_dir(folder, quiet=1)
    for path in (target, *folder.rglob("*")):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chmod(folder, 0o755)
    return folder


def _to_grade(submissions: list[Submission], suite: Suite, book: Gradebook, options: BatchOptions,
              summary: BatchSummary, progress: Callable[[str], None]) -> list[Submission]:
    todo = []
    for sub in submissions:
        if not options.force and book.is_current(options.assignment, sub.student, sub.sha256, suite.version):
            summary.skipped.append(sub.student)
        elif sub.status != "ok":
            if sub.student not in summary.bad_input:  # duplicate ids come twice: one run says it
                book.record(_unusable_run(sub, suite, options.assignment))
                summary.bad_input.append(sub.student)
            progress(f"{sub.student}: not graded ({sub.status}): {sub.problem}")
        else:
            todo.append(sub)
    if summary.skipped:
        progress(f"{len(summary.skipped)} submission(s) unchanged since their last grading: skipped "
                 "(--force regrades them)")
    return todo


def _run_all(todo: list[Submission], grade: Callable[[Submission], Run], jobs: int, book: Gradebook,
             summary: BatchSummary, progress: Callable[[str], None]) -> None:
    start = time.monotonic()
    # A grader.progress.Progress also gets told who starts and finishes (its bar); a plain callable, lines.
    begin, finish = getattr(progress, "begin", None), getattr(progress, "finish", None)
    if callable(getattr(progress, "start", None)):
        progress.start(len(todo))  # type: ignore[attr-defined]

    def grade_one(sub: Submission) -> Run:
        if begin is not None:
            begin(sub.student)
        return grade(sub)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures: dict[Future[Run], Submission] = {pool.submit(grade_one, sub): sub for sub in todo}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                run = future.result()
                book.record(run)  # one transaction per submission: a crash later loses nothing recorded
                summary.graded.append(run.student)
                eta = (time.monotonic() - start) / done * (len(todo) - done)
                line = (f"[{done}/{len(todo)}] {run.student}: {run.points:g}/{run.max_points:g} "
                        f"{'' if run.status == 'graded' else run.status + ' '}({run.duration_s:.1f} s, "
                        f"about {eta:.0f} s left)")
                if finish is None:
                    progress(line)
                else:
                    errored = [c.name for c in run.checks if c.status == "error"]
                    problem = run.status != "graded" or bool(errored)
                    finish(run.student, line + (f": {len(errored)} check(s) could not run" if errored else ""),
                           problem=problem)
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            progress("interrupted: what was graded is in the gradebook; run the same command to resume")
            raise


FIRST_UID, UID_RANGE = 61000, 900  # uids for confined runs (no passwd entry needed); see Limits.uid
UID_LOCKS = Path("/run/dl-grader/uids") if os.geteuid() == 0 else Path(tempfile.gettempdir()) / "dl-grader-uids"


def claim_uids(count: int) -> list[tuple[int, int]]:
    """(uid, lock fd) for `count` uids no other grader on this machine is using.

    RLIMIT_NPROC counts per uid across the machine, so two batches (or a batch and the tests) sharing a
    uid could exhaust each other's process quota; an flock per uid, held for the batch, prevents that.
    """
    UID_LOCKS.mkdir(parents=True, exist_ok=True)
    claimed: list[tuple[int, int]] = []
    for uid in range(FIRST_UID, FIRST_UID + UID_RANGE):
        fd = os.open(UID_LOCKS / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        claimed.append((uid, fd))
        if len(claimed) == count:
            return claimed
    raise RuntimeError(f"no free uid for confined runs in {FIRST_UID}..{FIRST_UID + UID_RANGE - 1}")


def _grader(suite: Suite, options: BatchOptions, data_root: Path, workdir: Path, hide: list[Path],
            threads: int, uids: list[int]) -> Callable[[Submission], Run]:
    slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    for uid in uids:
        slots.put(uid)

    def grade(sub: Submission) -> Run:
        uid = slots.get()
        try:
            limited = replace(options, limits=replace(options.limits, uid=uid))
            return grade_submission(sub, suite, limited, data_root, workdir, hide, threads)
        finally:
            slots.put(uid)

    return grade


def grade_submission(sub: Submission, suite: Suite, options: BatchOptions, data_root: Path, workdir: Path,
                     hide: list[Path], threads: int) -> Run:
    assert sub.file is not None
    scratch = workdir / f"scratch-{secrets.token_hex(8)}"
    scratch.mkdir(mode=0o700)  # handed to the slot's uid by the sandbox; no other student can enter
    target = scratch / f"{options.assignment}{sub.file.suffix.lower()}"
    shutil.copyfile(sub.file, target)
    nonce = secrets.token_hex(16)
    job = Job(submission=str(target), suite=str(suite.path), results=str(scratch / "results.json"),
              artifacts=str(scratch / "artifacts.pt"), data_root=str(data_root), device=options.device,
              nonce=nonce, threads=threads, challenge=challenge_seed(sub.sha256), observations=suite.observations,
              hidden_artifacts=str(scratch / "hidden.pt"))
    started = time.monotonic()
    outcome = run_confined(grade_in_child, (job,), limits=options.limits, scratch=scratch, hide=hide,
                           readable=[data_root, suite.path, GRADER_PACKAGE], context=warm_context(data_root))
    status, problem = "graded", ""
    try:
        checks, extras = verdicts(suite, Path(job.results), nonce, outcome)
        observed = _child_artifacts(Path(job.artifacts)) | _child_artifacts(Path(job.hidden_artifacts))
        checks, notes, computed = recompute(suite, checks, observed, data_root, job.challenge)
    except Exception as error:  # noqa: BLE001 - what the child left is data: it costs this submission only
        status = "could_not_grade"
        problem = (f"the grader could not use what the grading process left ({type(error).__name__}: "
                   f"{str(error)[:200]}); nothing is awarded")
        checks = [replace(c, status="error", points=0.0, message=problem) for c in suite.checks]
        notes, extras, computed = [], {}, {}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Run(
        student=sub.student, assignment=options.assignment, source=str(sub.source), sha256=sub.sha256,
        suite_version=suite.version, status=status, problem=problem, points=sum(c.points for c in checks),
        max_points=suite.max_points, graded_at=_now(), duration_s=time.monotonic() - started,
        checks=tuple(checks), device=options.device, notes=tuple(notes + list(outcome.notes)),
        stdout=outcome.stdout, stderr=outcome.stderr, extras=extras | computed,
    )


def verdicts(suite: Suite, results: Path, nonce: str, outcome: Outcome
             ) -> tuple[list[CheckResult], dict[str, object]]:
    """The suite's checks with the child's verdicts; anything missing, forged or tampered scores 0.

    Also the training history the accuracy check recorded, for the reports' cost plot: it comes from
    the student's process, so it is only displayed, never scored, and kept only in its expected shape.
    """
    data, problem = _read_results(results, nonce)
    if outcome.timed_out:
        problem = problem or "the submission was stopped at its time limit"
    listed = data.get("checks")
    reported = {c["name"]: c for c in (listed if isinstance(listed, list) else [])
                if isinstance(c, dict) and isinstance(c.get("name"), str)}
    checks = []
    failures = {(c.get("status"), str(c.get("message", ""))[:1000]) for c in reported.values()}
    # One error for every check the child ran (code that cannot be imported): the hidden checks share it.
    shared = next(iter(failures)) if len(failures) == 1 and next(iter(failures))[0] == "error" else None
    for known in suite.checks:
        child = reported.get(known.name)
        if not problem and child is None and known.visibility == "hidden" and suite.verify is not None:
            # Not run by the child, which has no hidden code (stage_checks): the grader's verdict decides.
            checks.append(replace(known, status="error", points=0.0, message=shared[1]) if shared else known)
            continue
        if problem or child is None:
            reason = problem or "no result: the grading process ended before this check finished"
            checks.append(replace(known, status="error", points=0.0, message=reason))
            continue
        status = child.get("status") if child.get("status") in ("passed", "failed", "error") else "error"
        message = str(child.get("message", ""))[:1000]
        points = known.max_points if status == "passed" else 0.0
        checks.append(replace(known, status=status, points=points, message=message,
                              duration_s=_seconds(child.get("duration_s"))))
    return checks, ({"history": _history(data.get("extras"))} if not problem and _history(data.get("extras"))
                    else {})


def _history(extras: object) -> list[dict[str, float]]:
    history = extras.get("history") if isinstance(extras, dict) else None
    if not isinstance(history, list):
        return []
    try:
        return [{"epoch": int(h["epoch"]), "train_cost": float(h["train_cost"]),
                 "test_accuracy": float(h["test_accuracy"])} for h in history[:100]]
    except (TypeError, KeyError, ValueError, OverflowError):
        return []


def _seconds(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def _read_child_file(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a file a confined process left behind: a regular file only, never through
    a link (one to /dev/zero never ends, one to a root-only file is not the child's), never blocking (a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return file.read(limit + 1)


def _child_artifacts(path: Path) -> dict[str, object]:
    """The recorded tensors, loaded (weights-only) from a private copy of what the child left at `path`."""
    try:
        raw = _read_child_file(path, MAX_ARTIFACT_BYTES)
    except OSError:
        return {}
    if len(raw) > MAX_ARTIFACT_BYTES:
        return {}
    with tempfile.TemporaryDirectory(prefix="grader-artifacts-") as private:
        copy = Path(private) / "artifacts.pt"
        copy.write_bytes(raw)
        return load_artifacts(copy)


def _read_results(path: Path, nonce: str) -> tuple[dict[str, object], str]:
    try:
        raw = _read_child_file(path, MAX_RESULTS_BYTES)
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


def challenge_seed(sha256: str) -> int:
    """The seed of the inputs a submission's observations are judged on: its own, so a regrade is identical."""
    return int(sha256[:8], 16) if sha256 else 0


def recompute(suite: Suite, checks: list[CheckResult], artifacts: dict[str, object], data_root: Path,
              challenge: int) -> tuple[list[CheckResult], list[str], dict[str, object]]:
    """A check passes only if the child says so AND the parent's own verdict agrees (a suite without a verify.py
    trusts the child: the course's own suites all have one). A check the child failed needs no second verdict."""
    if suite.verify is None:
        return checks, [], {}
    parent, notes, extras = suite.verify(artifacts, data_root, challenge, [c.name for c in checks if c.passed])
    combined = []
    for check in checks:
        ok, message = parent.get(check.name, (False, "the grader did not verify this check."))
        if check.passed and not ok:
            check = replace(check, status="failed", points=0.0, message=message)
        combined.append(check)
    return combined, notes, extras


def _unusable_run(sub: Submission, suite: Suite, assignment: str) -> Run:
    checks = tuple(replace(c, status="error", points=0.0, message=sub.problem) for c in suite.checks)
    return Run(student=sub.student, assignment=assignment, source=str(sub.source), sha256=sub.sha256,
               suite_version=suite.version, status=sub.status, problem=sub.problem, points=0.0,
               max_points=suite.max_points, graded_at=_now(), duration_s=0.0, checks=checks)


def stage_data(root: Path, target: Path) -> Path:
    """A copy of MNIST the unprivileged grading processes may read (the user's cache may be private)."""
    raw = raw_folder(target)
    raw.mkdir(parents=True)
    for source in raw_folder(root).iterdir():
        if source.is_file():
            shutil.copyfile(source, raw / source.name)
            os.chmod(raw / source.name, 0o644)
    for folder in (target, target / "MNIST", raw):
        os.chmod(folder, 0o755)
    return target


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
