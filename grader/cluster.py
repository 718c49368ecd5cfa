"""`grader grade --cluster ADDRESS`: the same confined grading, one Ray task per submission on a Ray cluster.

The intake, the gradebook and the reports stay on the TA's machine (grader/batch.py, unchanged): only the
call that grades one submission differs. Here it submits a Ray task that runs `batch.grade_submission` (the
confined grading process, then the grader's own verdicts) on a worker and returns the `Run` as JSON.

What a worker needs travels through Ray's object store, never a shared file system: the assignment's checks
folder and the kits' staged data are put once as {relative path: bytes}, and a worker writes them into a
node-local cache keyed by their sha256 (written once per node, atomically, whatever the tasks racing for it).
The submission's bytes travel with its task. The worker's grader and Python environment come from its image;
a worker whose grader differs from the TA's (another suite version) grades nothing: "grader error".

A task declares its resources (one CPU, as each grading process computes with one thread; a share of a GPU
when the grading uses CUDA). A worker that dies mid-task (node lost, process killed) has its task retried by
Ray, elsewhere if need be, and the result is recorded once, when it comes back. A submission whose task killed
its worker MAX_TRIES times is recorded as "not graded: grader error", never a grade, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from grader.assignment import PROJECT_ROOT, UsageError
from grader.batch import (
    NEEDED_IN_PROJECT,
    BatchOptions,
    _unusable_run,
    claim_uids,
    grade_submission,
    stage_checks,
)
from grader.intake import Submission
from grader.pipeline import GRADER_ERROR, GRADING_THREADS
from grader.results import CheckResult, Run
from grader.sandbox import Limits
from grader.suite import Suite, load_suite

MAX_TRIES = 3  # a task whose worker died this many times is recorded as a grader error
GPU_SHARE = 0.25  # a grading task on a GPU node takes a quarter of a GPU, as the local pool's default
IN_FLIGHT_PER_SLOT = 2  # tasks kept submitted per free slot, so a node never waits for the TA's next one
Bundle = dict[str, bytes]  # a folder as {relative path: bytes}


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("--cluster needs Ray: pip install 'dl-grader[cluster]' (or pip install ray)") from None
    return ray


def connect(ray: Any, address: str) -> None:
    """`auto` (a cluster started on this machine), `ray://HOST:PORT` (Ray Client) or `HOST:PORT` (the head's
    GCS, when this machine can reach every node)."""
    try:
        ray.init(address=address, logging_level="WARNING", log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        why = " ".join(str(error).split())[:400]
        raise UsageError(f"--cluster {address}: could not connect to a Ray cluster there ({why}); start one with "
                         "`ray start --head` (README: Grading on a cluster)") from None


def bundle(folder: Path) -> Bundle:
    """A folder's files (no bytecode) as data that Ray can ship."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def bundle_hash(files: Bundle) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return digest.hexdigest()[:24]


def task_resources(ray: Any, device: str) -> dict[str, float]:
    """One CPU per task (one torch thread per grading process); a GPU share when the grading uses CUDA (`auto`:
    when the cluster has GPUs)."""
    gpus = ray.cluster_resources().get("GPU", 0)
    uses_gpu = device == "cuda" or (device == "auto" and gpus > 0)
    return {"num_cpus": 1, "num_gpus": GPU_SHARE if uses_gpu else 0}


def slots(ray: Any, resources: dict[str, float]) -> int:
    """How many tasks the cluster runs at once now."""
    total = ray.cluster_resources()
    fits = [total.get("CPU", 0) / resources["num_cpus"]]
    if resources["num_gpus"]:
        fits.append(total.get("GPU", 0) / resources["num_gpus"])
    return max(1, int(min(fits)))


@contextlib.contextmanager
def cluster_grader(suite: Suite, options: BatchOptions, data_root: Path | None,
                   log: Callable[[str], None]) -> Iterator[tuple[Callable[[Submission], Run], int]]:
    """(grade one submission on the cluster, how many to keep in flight), for batch._run_all. `suite` is the
    assignment's own checks folder (hidden checks and judges included: the worker judges)."""
    ray = import_ray()
    connect(ray, options.cluster)
    try:
        checks = bundle(suite.path)
        data = bundle(data_root) if data_root else {}
        shipped = {"assignment": suite.assignment.name, "suite_version": suite.version,
                   "checks_hash": bundle_hash(checks), "data_hash": bundle_hash(data) if data else "",
                   "device": options.device, "limits": asdict(options.limits), "unconfined": options.unconfined}
        # Nested in a list, the references reach the task unresolved: a worker whose node already holds the
        # files never fetches them.
        refs = ([ray.put(checks)], [ray.put(data)] if data else [])
        resources = task_resources(ray, options.device)
        # max_calls=0: a worker process is reused (it keeps its warm forkserver), GPU tasks included.
        remote = ray.remote(max_calls=0)(grade_on_worker)
        settings = resources | {"max_retries": MAX_TRIES - 1, "retry_exceptions": False}
        jobs = options.jobs or IN_FLIGHT_PER_SLOT * slots(ray, resources)
        total = ray.cluster_resources()
        log(f"Ray cluster {options.cluster}: {total.get('CPU', 0):g} CPU(s), {total.get('GPU', 0):g} GPU(s); "
            f"each task takes {resources['num_cpus']:g} CPU and {resources['num_gpus']:g} GPU; {jobs} in flight")

        def grade(sub: Submission) -> Run:
            assert sub.file is not None
            task = shipped | {"student": sub.student, "source": str(sub.source), "sha256": sub.sha256,
                              "suffix": sub.file.suffix.lower(), "file": sub.file.read_bytes()}
            name = f"grade {suite.assignment.name} {sub.sha256[:12]}"  # shown by `ray list tasks`, ps
            ref = remote.options(**settings, name=name).remote(task, *refs)
            try:
                return run_from_json(ray.get(ref))
            except ray.exceptions.RayError as error:  # retries spent, or the task itself failed: not a grade
                return not_graded(sub, suite, f"not graded: grader error (on the Ray cluster, after up to "
                                  f"{MAX_TRIES} tries: {_first_line(error)})")

        yield grade, jobs
    finally:
        ray.shutdown()


def not_graded(sub: Submission, suite: Suite, problem: str) -> Run:
    return _unusable_run(replace(sub, status=GRADER_ERROR, problem=problem), suite, suite.assignment.name)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {(lines or [''])[0][:300]}"


def run_from_json(text: str) -> Run:
    data = json.loads(text)
    checks = tuple(CheckResult.from_dict(c) for c in data.pop("checks"))
    return Run(**data | {"checks": checks, "notes": tuple(data["notes"])})


# ------------------------------------------------------------------------------------------ on a worker

WORKER_CACHE = Path(tempfile.gettempdir()) / "dl-grader-cluster"  # node-local: what Ray shipped, by hash
_suites: dict[str, Suite] = {}  # checks hash -> the suite, loaded once per worker process


@functools.cache
def _confinement_problem() -> str | None:
    """What this node cannot enforce (grader/sandbox.py), probed once per worker process."""
    from grader.sandbox import confinement_problem

    return confinement_problem()


def grade_on_worker(task: dict[str, Any], checks: list[Any], data: list[Any]) -> str:
    """One submission through batch.grade_submission on this node; the Run as JSON."""
    suite = _worker_suite(task, checks[0])
    submission = Submission(student=task["student"], source=Path(task["source"]), file=None, status="ok",
                            problem="", sha256=task["sha256"])
    if suite.version != task["suite_version"]:
        problem = (f"not graded: grader error (this worker's grader or checks give suite version {suite.version}, "
                   f"the TA's {task['suite_version']}: install the TA's grader version on the workers)")
        return json.dumps(asdict(not_graded(submission, suite, problem)))
    unconfinable = _confinement_problem()
    if unconfinable and not task["unconfined"]:
        problem = f"not graded: grader error (this Ray worker cannot confine student code: {unconfinable})"
        return json.dumps(asdict(not_graded(submission, suite, problem)))
    data_root = _materialized(task["data_hash"], data[0], "data") if data else None
    options = BatchOptions(assignment=task["assignment"], device=task["device"], limits=Limits(**task["limits"]),
                           unconfined=task["unconfined"])
    # As root, one uid per running task on this node (RLIMIT_NPROC counts per uid); without root each run has a
    # user namespace of its own.
    claimed = claim_uids(1) if os.geteuid() == 0 else []
    workdir = Path(tempfile.mkdtemp(prefix="task-", dir=_cache_root()))
    try:
        os.chmod(workdir, 0o711)  # as the local batch's: a confined process reaches its own scratch only
        file = workdir / f"submission{task['suffix']}"
        file.write_bytes(task["file"])
        limited = replace(options, limits=replace(options.limits, uid=claimed[0][0] if claimed else None))
        run = grade_submission(replace(submission, file=file), suite, limited, data_root, workdir,
                               _worker_hidden(workdir), GRADING_THREADS)
        return json.dumps(asdict(run))
    finally:
        for _, lock in claimed:
            os.close(lock)
        shutil.rmtree(workdir, ignore_errors=True)


def _worker_suite(task: dict[str, Any], checks_ref: Any) -> Suite:
    """The suite the worker judges with (loaded once per process), its path the staged students' copy."""
    key, name = task["checks_hash"], task["assignment"]
    if key not in _suites:
        folder = _materialized(key, checks_ref, "checks", name) / name
        staged = WORKER_CACHE / key / "staged"
        if not staged.is_dir():  # the students' copy the grading processes get, published like the rest
            scratch = Path(tempfile.mkdtemp(dir=_cache_root()))
            stage_checks(load_suite(folder), scratch / "staged")
            _publish(scratch / "staged", staged)
            shutil.rmtree(scratch, ignore_errors=True)
        _suites[key] = replace(load_suite(folder), path=staged / name)
    return _suites[key]


def _materialized(key: str, ref: Any, kind: str, subfolder: str = "") -> Path:
    """The shipped folder in this node's cache (WORKER_CACHE/key/kind/subfolder), written by the first task
    that needs it."""
    target = WORKER_CACHE / key / kind
    if target.is_dir():
        return target
    import ray

    files: Bundle = ray.get(ref)
    if bundle_hash(files) != key:
        raise RuntimeError(f"the shipped {kind} do not match their hash {key}")
    scratch = Path(tempfile.mkdtemp(dir=_cache_root()))
    for rel, content in files.items():
        path = scratch / kind / subfolder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    _publish(scratch / kind, target, readable=kind != "checks")
    shutil.rmtree(scratch, ignore_errors=True)
    return target


def _publish(source: Path, target: Path, *, readable: bool = True) -> None:
    """Move `source` to `target` in one rename; another task that got there first wins. `readable`: by the
    grading processes' uids (the staged checks, the data), else by the worker's user only (the full checks)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o711)
    for path in (source, *source.rglob("*")):
        os.chmod(path, (0o755 if path.is_dir() else 0o644) if readable else (0o700 if path.is_dir() else 0o600))
    with contextlib.suppress(OSError):
        source.rename(target)


def _cache_root() -> Path:
    WORKER_CACHE.mkdir(mode=0o711, parents=True, exist_ok=True)
    return WORKER_CACHE


def _worker_hidden(workdir: Path) -> list[Path]:
    """What a student must not read on a worker: the rest of a course checkout the worker's grader lives in,
    and this node's cache (the full checks, with the hidden ones, and the other tasks' files)."""
    project = [p for p in PROJECT_ROOT.iterdir() if p.name not in NEEDED_IN_PROJECT]
    others = [p for p in WORKER_CACHE.glob("task-*") if p != workdir]
    return project + sorted(WORKER_CACHE.glob("*/checks")) + others
