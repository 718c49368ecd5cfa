"""`grader grade`: a whole class, each submission confined in its own warm process, into the gradebook.

The parent never imports student code. It knows the checks and their points from its own
collection of the suite, reads each child's verdicts as JSON (points are computed here, not read),
judges every check again from what the child observed (grader/protocol.py), and records each
submission in one gradebook transaction, so an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import compileall
import fcntl
import os
import queue
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.assignment import PROJECT_ROOT, UsageError, load_assignment
from grader.gradebook import Gradebook, Run
from grader.intake import Submission, discover
from grader.kits import ensure_data, stage_data
from grader.pipeline import GRADER_ERROR, GRADING_THREADS, Submitted, build_run, challenge_seed, new_job, now
from grader.release import released_checks
from grader.sandbox import Limits, confinement_problem, run_confined
from grader.suite import Suite, load_suite
from grader.worker import grade_in_child, warm_context


@dataclass(frozen=True)
class BatchOptions:
    assignment: str  # the name of its folder under checks/
    out: Path = Path("reports")
    jobs: int = 0  # 0: chosen from the core count and the device
    device: str = "auto"
    force: bool = False
    limits: Limits = field(default_factory=Limits)
    data_root: Path | None = None
    unconfined: bool = False  # grade even where student code cannot be confined (the notes say what is missing)
    cluster: str = ""  # a Ray cluster's address: each submission one Ray task there (grader/cluster.py)


@dataclass
class BatchSummary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unchanged since their last grading
    bad_input: list[str] = field(default_factory=list)


def default_jobs(device: str) -> int:
    cores = os.cpu_count() or 1
    uses_gpu = device == "cuda" or (device == "auto" and _cuda_available())
    return max(2, cores // 4) if uses_gpu else cores  # one torch thread each (GRADING_THREADS)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def grade_batch(submissions_dir: Path, options: BatchOptions,
                progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> BatchSummary:
    suite = load_suite(load_assignment(options.assignment).folder)
    if not options.cluster:  # on a cluster, each worker checks its own (grader/cluster.py)
        require_confinement(options, progress)
    kits = suite.assignment.kits
    jobs = options.jobs or default_jobs(options.device)
    summary = BatchSummary()
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp, \
            Gradebook(options.out / "grades.db") as book:
        workdir = Path(tmp)
        os.chmod(workdir, 0o711)  # confined processes may traverse to their own scratch, not list others
        data = ensure_data(kits, options.data_root, log=progress)
        data_root = stage_data(kits, data, workdir / "data") if data else None
        own = suite  # with the hidden checks: what a cluster's workers judge with
        suite = replace(suite, path=stage_checks(suite, workdir / "checks"))
        submissions = discover(submissions_dir, assignment=suite.assignment.module, workdir=workdir / "intake")
        todo = _to_grade(submissions, suite, book, options, summary, progress)
        if options.cluster and todo:  # the same grade_submission, run by Ray tasks on the cluster's nodes
            from grader.cluster import cluster_grader

            with cluster_grader(own, options, data_root, progress) as (grade, in_flight):
                _run_all(todo, grade, in_flight, book, summary, progress)
            return summary
        hide = hidden_paths(submissions_dir, options.out, workdir)
        # Without root each run has a user namespace of its own (which also counts its processes): no uids.
        claimed = claim_uids(jobs) if os.geteuid() == 0 else []
        try:
            grade = _grader(suite, options, data_root, workdir, hide, GRADING_THREADS,
                            [uid for uid, _ in claimed] or [None] * jobs)
            _run_all(todo, grade, jobs, book, summary, progress)
        finally:
            for _, fd in claimed:
                os.close(fd)  # releases the lock
    return summary


def require_confinement(options: BatchOptions, progress: Callable[[str], None]) -> None:
    """Refuse to run student code unconfined (no user namespaces, not Linux) unless the TA said so."""
    problem = confinement_problem()
    if problem is None:
        return
    if not options.unconfined:
        raise UsageError(f"{problem}; or pass --unconfined to grade without that confinement")
    progress(f"grading unconfined (--unconfined): {problem}")


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

    """
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

    done = 0

    def record(run: Run) -> None:
        nonlocal done
        done += 1
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

    twins = identical(todo)  # graded once per distinct file, each twin recorded with the same result
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures: dict[Future[Run], Submission] = {pool.submit(grade_one, sub): sub for sub in twins}
        try:
            for future in as_completed(futures):
                run = future.result()
                record(run)
                for twin in twins[futures[future]]:
                    record(replace(run, student=twin.student, source=str(twin.source)))
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            progress("interrupted: what was graded is in the gradebook; run the same command to resume")
            raise


def identical(todo: list[Submission]) -> dict[Submission, list[Submission]]:
    """Each distinct file (sha256 and type) once, with the other students who handed in the same bytes (a
    MOOC's untouched templates): grading is a function of the bytes (seeds included), so one grading serves all.
    """
    groups: dict[tuple[str, str], list[Submission]] = {}
    for sub in todo:
        groups.setdefault((sub.sha256, sub.file.suffix.lower() if sub.file else ""), []).append(sub)
    return {group[0]: group[1:] for group in groups.values()}


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
            threads: int, uids: list[int] | list[None]) -> Callable[[Submission], Run]:
    slots: queue.SimpleQueue[int | None] = queue.SimpleQueue()
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


def grade_submission(sub: Submission, suite: Suite, options: BatchOptions, data_root: Path | None,
                     workdir: Path, hide: list[Path], threads: int) -> Run:
    assert sub.file is not None
    scratch = workdir / f"scratch-{secrets.token_hex(8)}"
    scratch.mkdir(mode=0o700)  # handed to the slot's uid by the sandbox; no other student can enter
    target = scratch / f"{suite.assignment.module}{sub.file.suffix.lower()}"
    shutil.copyfile(sub.file, target)
    job = new_job(suite, target, scratch, data_root=data_root, device=options.device, threads=threads,
                  challenge=challenge_seed(sub.sha256))
    context = warm_context(suite.assignment.kits, data_root)  # its start-up (once a batch) is no student's time
    started = time.monotonic()
    readable = [p for p in (data_root, suite.path, GRADER_PACKAGE) if p is not None]
    submitted = Submitted(student=sub.student, file=sub.file, sha256=sub.sha256, source=str(sub.source))
    try:
        for _attempt in (1, 2):  # a failure of the grader's own machinery is tried once more, never a grade
            outcome = run_confined(grade_in_child, (job,), limits=options.limits, scratch=scratch, hide=hide,
                                   readable=readable, context=context)
            run = build_run(suite, submitted, job, outcome, device=options.device, started=started)
            if run.status != GRADER_ERROR:
                break
        return run
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _unusable_run(sub: Submission, suite: Suite, assignment: str) -> Run:
    checks = tuple(replace(c, status="error", points=0.0, message=sub.problem) for c in suite.checks)
    return Run(student=sub.student, assignment=assignment, source=str(sub.source), sha256=sub.sha256,
               suite_version=suite.version, status=sub.status, problem=sub.problem, points=0.0,
               max_points=suite.max_points, graded_at=now(), duration_s=0.0, checks=checks)
