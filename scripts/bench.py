"""`make bench`: how long grading takes, measured side by side in one run; prints one Markdown table.

1. Fixed cost per submission, training excluded: the untouched template (every function raises
   NotImplementedError, so nothing trains) graded through the warm forkserver pool
   (`grader.batch.grade_submission`: fork, confinement, a pytest session, the parent's verdicts) against
   `grader.pipeline.check_path` (a fresh grading process, as `grader check` runs).
2. Full hw1 grading of the reference solution through the pool, against running that same file as-is
   (`python solutions/hw1_bn_mlp/hw1_bn_mlp.py MNIST_ROOT`: 15 epochs plus Q1-2's 3 x 15 epochs). By
   default the as-is script is timed with 0 and with 1 epoch and extrapolated linearly,
   T(15) = T(0) + 15 * (T(1) - T(0)) (every epoch costs the same); `--as-is-full` times the real thing.
3. Throughput: 20 submissions (copies of examples/submissions/ under new names) with --jobs 1 and
   --jobs 2, and a regrade of the same unchanged 20 (everything skipped), each a whole `grade_batch`; then a class
   of 20 with 6 endless loops against the same class with untouched templates instead (scripts/bench_hangs.py).
4. Full grading of the reference while as many busy processes as cores run beside it (a shared server), against
   the idle figure (goal: at most 3x on 2 cores).
5. The same on CUDA when torch sees a GPU; otherwise a row says so.
Also: every blank's `check("...")` cell of every notebook in a real Jupyter kernel, the kernel's first check and
   each blank's warm calls (scripts/bench_live.py).
6. `grader grade --cluster` on a local Ray cluster against the local pool: per-submission cost of the full grading
   of the reference, throughput with 1 and 2 worker processes (scripts/bench_cluster.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import torch
from bench_cluster import cluster_rows
from bench_hangs import hanging_class_rows
from bench_live import live_rows

import grader.batch
from grader.assignment import DEFAULT_CHECKS, PROJECT_ROOT
from grader.batch import FIRST_UID, BatchOptions, grade_batch, grade_submission, stage_checks
from grader.gradebook import Gradebook
from grader.intake import Submission, discover
from grader.kits import stage_data
from grader.kits.mnist.data import ensure_mnist
from grader.pipeline import GRADING_THREADS, check_path
from grader.sandbox import Limits
from grader.suite import Suite, load_suite

ASSIGNMENT = "hw1_bn_mlp"
TEMPLATE = PROJECT_ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.py"
REFERENCE = PROJECT_ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.py"
EXAMPLES = PROJECT_ROOT / "examples" / "submissions"
FIXED_COST_GOAL_S = 0.3
# Messages grader.batch gives every check when the grading process itself failed (no verdicts came back).
GRADING_FAILED = ("the grading process", "no result:", "the result file", "the submission modified",
                  "not graded: grader error")
# The uids the bench's confined processes run as: not the usual 61000 + slot, so that a `grader grade` or a
# test run beside the bench (RLIMIT_NPROC counts per uid, machine-wide) cannot make its processes fail.
BENCH_UID = FIRST_UID + 900
grader.batch.FIRST_UID = BENCH_UID + 10  # grade_batch's slots (read when a batch starts)


def hidden_paths(submissions: Path, out: Path, workdir: Path) -> list[Path]:
    """What grade_batch hides from a grading process (grader.batch.hidden_paths where it exists)."""
    if hasattr(grader.batch, "hidden_paths"):
        return grader.batch.hidden_paths(submissions, out, workdir)  # type: ignore[no-any-return]
    return [PROJECT_ROOT / "solutions", out.resolve(), submissions.resolve(), workdir / "intake"]
FULL_GOAL_S, SPEEDUP_GOAL, HOG_GOAL = 20.0, 10.0, 3.0


@contextlib.contextmanager
def cpu_hog(processes: int) -> Iterator[None]:
    """`processes` busy loops (other work on a shared server) for as long as the block runs."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def machine() -> list[str]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        ram = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"- CPU: {model}, {os.cpu_count()} cores ({usable} usable by this process)",
            f"- RAM: {ram}; GPU: {gpu}",
            f"- Python {platform.python_version()}, torch {torch.__version__}, {platform.system()} {platform.release()}",
            f"- load average (1/5/15 min) when the bench started: {load}"]


class Bench:
    def __init__(self, workdir: Path, device: str) -> None:
        self.workdir = workdir
        self.device = device
        os.chmod(workdir, 0o711)  # as grade_batch: confined processes traverse to their scratch only
        self.mnist = ensure_mnist(None, log=log)
        self.data_root = stage_data(("mnist",), self.mnist, workdir / "data")
        suite = load_suite(DEFAULT_CHECKS / ASSIGNMENT)
        self.suite: Suite = replace(suite, path=stage_checks(suite, workdir / "checks"))  # as grade_batch
        self.options = BatchOptions(assignment=ASSIGNMENT, out=workdir / "out", jobs=1, device=device,
                                    limits=Limits(wall_s=300, uid=BENCH_UID))
        self.threads = GRADING_THREADS  # as grade_batch

    def submission(self, source: Path, student: str) -> Submission:
        folder = self.workdir / f"class-{student}"
        folder.mkdir()
        shutil.copy(source, folder / f"{student}.py")
        (sub,) = discover(folder, assignment=ASSIGNMENT, workdir=self.workdir / f"intake-{student}")
        assert sub.status == "ok", sub.problem
        return sub

    def pooled(self, sub: Submission) -> tuple[float, float, str]:
        """(wall seconds of grade_submission, points, why the run is not a valid sample or "")."""
        hide = hidden_paths(self.workdir / "class", self.workdir / "out", self.workdir)  # as grade_batch
        started = time.perf_counter()
        run = grade_submission(sub, self.suite, self.options, self.data_root, self.workdir, hide, self.threads)
        seconds = time.perf_counter() - started
        broken = [c.message for c in run.checks if c.message.startswith(GRADING_FAILED)]
        return seconds, run.points, broken[0] if broken else ""

    def fresh(self, path: Path) -> tuple[float, float, str]:
        started = time.perf_counter()
        result = check_path(path, ASSIGNMENT, visibility="all", device=self.device, data_root=self.data_root)
        return time.perf_counter() - started, result.points, result.problem


def timed(label: str, repeats: int, once: Callable[[], tuple[float, float, str]]) -> list[float]:
    """Seconds of the valid runs: a run whose grading process failed (no results) is no sample of the cost."""
    times = []
    for i in range(repeats):
        seconds, points, problem = once()
        log(f"{label} {i + 1}/{repeats}: {seconds:.3f} s ({points:g} points)"
            + (f" NOT COUNTED, the grading process failed: {problem}" if problem else ""))
        if not problem:
            times.append(seconds)
    if not times:
        raise SystemExit(f"bench: every run of {label} failed")
    return times


def median(times: list[float], repeats: int) -> tuple[float, str]:
    invalid = f", {repeats - len(times)} failed runs left out" if len(times) < repeats else ""
    return statistics.median(times), f"median of {len(times)}{invalid}"


def as_is(epochs: int, mnist: Path, workdir: Path) -> float:
    script = workdir / f"as_is_{epochs}.py"
    text = REFERENCE.read_text(encoding="utf-8")
    if epochs != 15:
        assert "\ntraining_epochs = 15\n" in text
        text = text.replace("\ntraining_epochs = 15\n", f"\ntraining_epochs = {epochs}\n")
    script.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script), str(mnist)], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    log(f"as-is script, {epochs} epoch(s): {seconds:.1f} s")
    return seconds


def make_class(target: Path, count: int) -> Path:
    """`count` submissions copied from the examples, each under a new student id (s01_alice, ...)."""
    target.mkdir()
    entries = sorted(p for p in EXAMPLES.iterdir() if not p.name.startswith("."))
    for i in range(count):
        entry = entries[i % len(entries)]
        stem = entry.name.split("_")[0].split(".")[0]
        name = f"s{i + 1:02d}_{stem}" + ("" if entry.is_dir() else "".join(entry.suffixes[-1:]))
        (shutil.copytree if entry.is_dir() else shutil.copy)(entry, target / name)
    return target


def batch(class_dir: Path, out: Path, jobs: int, device: str) -> tuple[float, int, int]:
    options = BatchOptions(assignment=ASSIGNMENT, out=out, jobs=jobs, device=device, limits=Limits(wall_s=300))
    started = time.perf_counter()
    summary = grade_batch(class_dir, options, progress=lambda line: None)
    seconds = time.perf_counter() - started
    with Gradebook(out / "grades.db") as book:
        broken = [run for run in book.latest(ASSIGNMENT) if any(c.message.startswith(GRADING_FAILED) for c in run.checks)]
    failed = len(broken)
    if broken:
        log(f"{broken[0].student}: the grading process failed; its stderr ends with: {broken[0].stderr[-400:]!r}")
    log(f"batch --jobs {jobs} into {out.name}: {seconds:.1f} s, graded {len(summary.graded)}, "
        f"skipped {len(summary.skipped)}, grading process failed for {failed}")
    return seconds, len(summary.graded), failed


def s(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def load() -> float:
    return os.getloadavg()[0]


def loads(before: float) -> str:
    """The 1-minute load average before -> after a measurement: above the core count, others were running."""
    return f"{before:.1f} -> {load():.1f}"


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def measure(device: str, args: argparse.Namespace) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        bench = Bench(Path(tmp), device)
        template = bench.submission(TEMPLATE, "template")
        reference = bench.submission(REFERENCE, "reference")
        # 1. fixed cost
        before = load()
        first, _, _ = bench.pooled(template)  # starts the forkserver (imports torch, pytest, the grader once)
        log(f"pool start-up + first submission: {first:.2f} s")
        pool, pool_n = median(timed("template via pool", args.repeats, lambda: bench.pooled(template)), args.repeats)
        pool_load = loads(before)
        before = load()
        fresh, fresh_n = median(timed("template via check_path", args.fresh_repeats,
                                      lambda: bench.fresh(template.file or TEMPLATE)), args.fresh_repeats)
        fresh_load = loads(before)
        rows.append(f"| fixed cost per submission, no training (untouched template), {device} | {s(pool)} "
                    f"({pool_n}; pool start-up once per batch: {s(first)}) | fresh `python -m "
                    f"grader check` process (`check_path`): {s(fresh)} ({fresh_n}) | {fresh / pool:.1f}x "
                    f"| <= {FIXED_COST_GOAL_S} s with the pool | {yes(pool <= FIXED_COST_GOAL_S)} "
                    f"| {pool_load}; {fresh_load} |")
        # 2. full grading vs the script as-is
        before = load()
        full, full_n = median(timed("reference via pool", args.full_repeats, lambda: bench.pooled(reference)),
                              args.full_repeats)
        if args.as_is_full:
            script = as_is(15, bench.mnist, bench.workdir)
            how = "measured once"
        else:
            t0, t1 = as_is(0, bench.mnist, bench.workdir), as_is(1, bench.mnist, bench.workdir)
            script = t0 + 15 * (t1 - t0)
            how = f"extrapolated: T(0) = {s(t0)}, T(1) = {s(t1)}, T(0) + 15 (T(1) - T(0))"
        ratio = script / full
        full_load = loads(before)
        # 2b. the same beside a CPU hog: a loaded machine should slow grading in proportion, not 40x (OpenMP
        # threads that spin-wait for a core the hog holds)
        with cpu_hog(os.cpu_count() or 1):
            before = load()
            hogged, hogged_n = median(timed("reference via pool, CPU hog running", args.full_repeats,
                                            lambda: bench.pooled(reference)), args.full_repeats)
            hog_load = loads(before)
        rows.append(f"| full hw1 grading of the reference with a CPU hog running ({os.cpu_count()} busy processes), "
                    f"{device} | {s(hogged)} ({hogged_n}) | the same on the idle machine: {s(full)} "
                    f"| {hogged / full:.1f}x | <= {HOG_GOAL:g}x | {yes(hogged / full <= HOG_GOAL)} | {hog_load} |")
        rows.append(f"| full hw1 grading of the reference (all checks, 2 training epochs), {device} | {s(full)} "
                    f"({full_n}) | the same file run as-is, 15 epochs + Q1-2's 3 x 15: "
                    f"{s(script)} ({how}) | {ratio:.1f}x faster | >= {SPEEDUP_GOAL:g}x and <= {FULL_GOAL_S:g} s "
                    f"| {yes(ratio >= SPEEDUP_GOAL and full <= FULL_GOAL_S)} | {full_load} |")
        if args.skip_throughput:
            return rows
        # 3. throughput
        class_dir = make_class(bench.workdir / "class20", args.students)
        for jobs in (1, 2):
            before = load()
            seconds, graded, failed = batch(class_dir, bench.workdir / f"out-jobs{jobs}", jobs, device)
            rows.append(f"| throughput: {args.students} submissions (copies of the 7 examples: a syntax error, a "
                        f"15 s timeout...) `--jobs {jobs}`, {device} | {s(seconds)} in all, {s(seconds / graded)} "
                        f"per submission, {60 * graded / seconds:.1f} per minute"
                        + (f" (**{failed} grading processes failed**)" if failed else "") + f" | | | | | {loads(before)} |")
        before = load()
        seconds, _, _ = batch(class_dir, bench.workdir / "out-jobs2", 2, device)
        rows.append(f"| regrade of the same {args.students}, unchanged (`--jobs 2`, all skipped) | {s(seconds)} "
                    f"| | | | | {loads(before)} |")
        # 3b. endless loops in a class (scripts/bench_hangs.py)
        if not args.skip_hangs:
            rows += hanging_class_rows(batch, bench.workdir, args.students, device, load)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12, help="pool runs of the template (default: %(default)s)")
    parser.add_argument("--fresh-repeats", type=int, default=5, help="check_path runs (default: %(default)s)")
    parser.add_argument("--full-repeats", type=int, default=3, help="pool runs of the reference (default: %(default)s)")
    parser.add_argument("--students", type=int, default=20, help="class size for throughput (default: %(default)s)")
    parser.add_argument("--as-is-full", action="store_true", help="time the as-is script's real 15 epochs (minutes)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-hangs", action="store_true", help="leave out the class with endless loops")
    parser.add_argument("--skip-notebook", action="store_true",
                        help="leave out the notebooks' check cells in a real kernel (bench_live.py)")
    parser.add_argument("--skip-cluster", action="store_true", help="leave out the Ray rows (bench_cluster.py)")
    parser.add_argument("--cluster-students", type=int, default=8,
                        help="class size for the Ray throughput rows (default: %(default)s)")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = ["## Machine", "", *machine(), ""]
    rows = measure("cpu", args)
    if not args.skip_notebook:
        rows += live_rows(loads)
    if not args.skip_cluster:
        with tempfile.TemporaryDirectory(prefix="grader-bench-ray-") as tmp:
            rows += cluster_rows(Path(tmp), "cpu", args.cluster_students, load)
    if torch.cuda.is_available():
        rows += measure("cuda", args)
    else:
        rows.append("| CUDA | not measured: no GPU here (`torch.cuda.is_available()` is False) | | | | | |")
    lines += ["## Timings", "", "| measurement | grader | compared with | ratio | goal | met | load (1 min) |",
              "| --- | --- | --- | --- | --- | --- | --- |", *rows, "",
              (f"Load: the 1-minute load average before -> after each measurement; above {os.cpu_count()} (the "
               "cores), other processes were competing for the CPU and the times are inflated."), "",
              f"The whole bench took {(time.perf_counter() - started) / 60:.1f} min; load average at the end: "
              + " / ".join(f"{x:.2f}" for x in os.getloadavg()) + "."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
