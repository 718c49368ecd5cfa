"""`make bench`'s rows for `grader grade --cluster` (issue #14): the Ray path against the local pool, same machine.

A throwaway local Ray cluster of one-CPU nodes (scripts/ray_local.py) grades through `grade_batch` with
`BatchOptions(cluster=...)`, exactly as `grader grade --cluster` does. Every submission's bytes are distinct
(a comment line added), so no grading is reused for a twin (grader.batch.identical).

1. Per-submission cost of the full hw1 grading of the reference: (T(1 + K) - T(1)) / K for a batch of 1 + K
   distinct copies of the reference against a batch of 1, on one local slot (`--jobs 1`) and on one Ray worker
   process (a cluster of one one-CPU node). The difference removes what a batch pays once (the pool's or the
   Ray workers' start-up, MNIST shipped and written to the node's cache). Goal: Ray at most 10 % dearer.
2. Throughput: a class of distinct copies of the example .py files on 1 and 2 local slots and on 1 and 2 Ray
   worker processes (one and two one-CPU nodes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.assignment import PROJECT_ROOT
from grader.batch import BatchOptions, grade_batch
from grader.gradebook import Gradebook
from grader.sandbox import Limits

ASSIGNMENT = "hw1_bn_mlp"
REFERENCE = PROJECT_ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.py"
EXAMPLES = PROJECT_ROOT / "examples" / "submissions"
OVERHEAD_GOAL = 0.10


def example_files() -> list[Path]:
    """The example class's .py submissions (alice's is a folder holding one)."""
    return sorted(EXAMPLES.glob("*.py")) + [EXAMPLES / "alice" / f"{ASSIGNMENT}.py"]


def distinct_copies(target: Path, sources: list[Path], count: int) -> Path:
    """`count` students, the sources in turn, each file's bytes made its own by a comment line."""
    target.mkdir()
    for i in range(count):
        source = sources[i % len(sources)]
        stem = source.parent.name if source.name == f"{ASSIGNMENT}.py" else source.stem.split("_")[0]
        text = source.read_text(encoding="utf-8") + f"\n# bench copy {i}\n"
        (target / f"s{i + 1:02d}_{stem}.py").write_text(text, encoding="utf-8")
    return target


def timed_batch(class_dir: Path, out: Path, jobs: int, cluster: str, device: str) -> float:
    """Seconds of a whole grade_batch; a run the grader failed (no grade) makes the bench say so and stop."""
    import time

    options = BatchOptions(assignment=ASSIGNMENT, out=out, jobs=jobs, device=device, limits=Limits(wall_s=300),
                           cluster=cluster)
    started = time.perf_counter()
    summary = grade_batch(class_dir, options, progress=lambda line: None)
    seconds = time.perf_counter() - started
    print(f"bench: {class_dir.name} {'on ' + cluster if cluster else 'local'} --jobs {jobs}: {seconds:.1f} s, "
          f"graded {len(summary.graded)}", flush=True)
    with Gradebook(out / "grades.db") as book:
        failed = [run for run in book.latest(ASSIGNMENT) if run.status != "graded"]
    if failed:
        raise SystemExit(f"bench: {len(failed)} run(s) not graded, e.g. {failed[0].student}: {failed[0].problem}")
    return seconds


def round_trip_s(address: str, graded: Path, repeats: int = 50) -> tuple[float, int, int]:
    """Ray's own cost per task, without the grading: the median round trip of a task that carries a
    submission's bytes and returns a graded Run's JSON, on a warm worker; and those two sizes."""
    import json
    import statistics
    import time
    from dataclasses import asdict

    import ray

    with Gradebook(graded / "grades.db") as book:
        reply = json.dumps(asdict(book.latest(ASSIGNMENT)[0]))
    payload = REFERENCE.read_bytes()
    ray.init(address=address, logging_level="WARNING", log_to_driver=False, configure_logging=False)
    try:
        echo = ray.remote(num_cpus=1)(_reply)
        ray.get(echo.remote(payload, reply))  # starts the worker process
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            ray.get(echo.remote(payload, reply))
            times.append(time.perf_counter() - started)
    finally:
        ray.shutdown()
    return statistics.median(times), len(payload), len(reply)


def _reply(payload: bytes, reply: str) -> str:
    return reply


def cluster_rows(workdir: Path, device: str, students: int, load: Callable[[], float]) -> list[str]:
    try:
        import ray  # noqa: F401
    except ImportError:
        return ["| Ray cluster rows | not measured: Ray is not installed (`pip install '.[cluster]'`) | | | | | |"]
    from ray_local import local_cluster

    def s(value: float) -> str:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"

    extra = 4
    one = distinct_copies(workdir / "ray-ref1", [REFERENCE], 1)
    more = distinct_copies(workdir / "ray-ref5", [REFERENCE], 1 + extra)
    klass = distinct_copies(workdir / "ray-class", example_files(), students)
    rows = []
    with local_cluster(nodes=1) as cluster:
        costs = {}
        before = load()
        for name, address, jobs in (("local pool", "", 1), ("Ray", cluster.address, 2)):
            t1 = timed_batch(one, workdir / f"out-{name}-1", jobs, address, device)
            tk = timed_batch(more, workdir / f"out-{name}-k", jobs, address, device)
            costs[name] = ((tk - t1) / extra, t1, tk)
        ray_cost, local_cost = costs["Ray"][0], costs["local pool"][0]
        trip, sent, back = round_trip_s(cluster.address, workdir / "out-Ray-k")
        rows.append(f"| Ray's own cost per task (a task carrying a submission, {sent // 1000} kB, and returning a "
                    f"graded Run's JSON, {back // 1000} kB; median of 50, warm worker) | {1000 * trip:.1f} ms "
                    f"| the local pool's full grading of the reference: {s(local_cost)} "
                    f"| {100 * trip / local_cost:.2f} % | <= {100 * OVERHEAD_GOAL:g} % "
                    f"| {'yes' if trip <= OVERHEAD_GOAL * local_cost else '**no**'} | {load():.1f} |")
        rows.append(f"| per-submission cost of the full hw1 grading of the reference, one Ray worker process (one "
                    f"1-CPU node) | {s(ray_cost)} ((T(5) - T(1)) / 4: {s(costs['Ray'][2])}, {s(costs['Ray'][1])}) "
                    f"| local pool, `--jobs 1`: {s(local_cost)} ({s(costs['local pool'][2])}, "
                    f"{s(costs['local pool'][1])}) | {ray_cost / local_cost:.2f}x | <= {1 + OVERHEAD_GOAL:.2f}x "
                    f"| {'yes' if ray_cost <= (1 + OVERHEAD_GOAL) * local_cost else '**no**'} "
                    f"| {before:.1f} -> {load():.1f} |")
        for workers in (1, 2):
            if workers == 2:
                cluster.start_node()
            before = load()
            local = timed_batch(klass, workdir / f"out-local-class-{workers}", workers, "", device)
            remote = timed_batch(klass, workdir / f"out-ray-class-{workers}", 0, cluster.address, device)
            rows.append(f"| throughput: {students} distinct submissions (the example .py files), {workers} Ray "
                        f"worker process(es) ({workers} 1-CPU node(s)) | {s(remote)}, {60 * students / remote:.1f} "
                        f"per minute | local pool `--jobs {workers}`: {s(local)}, {60 * students / local:.1f} per "
                        f"minute | {remote / local:.2f}x | | | {before:.1f} -> {load():.1f} |")
    return rows


if __name__ == "__main__":  # the Ray rows alone: python scripts/bench_cluster.py [STUDENTS]
    import os
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="grader-bench-ray-") as tmp:
        print("\n".join(cluster_rows(Path(tmp), "cpu", int(sys.argv[1]) if len(sys.argv) > 1 else 8,
                                     lambda: os.getloadavg()[0])))
