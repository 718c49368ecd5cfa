"""`make bench`'s rows for a class with hanging students (issue #15): what endless loops cost a batch.

A class of 20 (distinct copies of the example .py files) in which 3 students loop forever in build_model, 2 in
train_epoch and 1 at import, graded whole with --jobs 1 and --jobs 2, against the same class with those 6 replaced
by the untouched template. Goals: the hanging class takes at most 1.5x as long, and each hanging student at most
its time limit (the check's, or the import's) + 10 s + the time of the checks that did not need the hanging
function.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from grader.assignment import PROJECT_ROOT, load_assignment
from grader.gradebook import Gradebook
from grader.results import Run

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from bench_cluster import distinct_copies, example_files
from catalogue import BUGS, plant

ASSIGNMENT = "hw1_bn_mlp"
HANGS = {"build_model_never_returns": 3, "train_epoch_never_returns": 2, "import_never_finishes": 1}
CLASS_GOAL = 1.5
SLACK_S = 10.0


def make_classes(workdir: Path, students: int) -> tuple[Path, Path]:
    """(the class with hanging students, the same class with untouched templates in their place). Every file's
    bytes are distinct, as in a real class: identical files would be graded once (grader.batch.identical)."""
    hanging = distinct_copies(workdir / "class-hanging", example_files(), students - sum(HANGS.values()))
    control = workdir / "class-control"
    shutil.copytree(hanging, control)
    template = (PROJECT_ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.py").read_text(encoding="utf-8")
    number = 0
    for bug, count in HANGS.items():
        for _ in range(count):
            number += 1
            name = f"h{number:02d}_{bug}"
            (hanging / f"{name}.py").write_text(plant(BUGS[bug]) + f"\n# {name}\n", encoding="utf-8")
            (control / f"{name}.py").write_text(template + f"\n# {name}\n", encoding="utf-8")
    return hanging, control


def allowed_s(run: Run) -> float:
    """The issue's bound for one hanging student: its time limit + 10 s + the checks that ran without the loop."""
    declared = load_assignment(ASSIGNMENT)
    limit = declared.import_timeout_s if run.student.endswith("import_never_finishes") else declared.check_timeout_s
    return limit + SLACK_S + sum(c.duration_s for c in run.checks if c.passed)


def hanging_class_rows(batch: Callable[[Path, Path, int, str], tuple[float, int, int]], workdir: Path,
                       students: int, device: str, load: Callable[[], float], beside: str = "") -> list[str]:
    """The two rows (--jobs 1 and 2); `beside`: what else ran, for the row's label."""
    hanging, control = make_classes(workdir, students)
    rows = []
    for jobs in (1, 2):
        before = load()
        with_hangs, _, failed = batch(hanging, workdir / f"out-hanging-{jobs}", jobs, device)
        without, _, control_failed = batch(control, workdir / f"out-control-{jobs}", jobs, device)
        failed += control_failed  # a failed grading process is no sample of what grading costs
        with Gradebook(workdir / f"out-hanging-{jobs}" / "grades.db") as book:
            runs = [r for r in book.latest(ASSIGNMENT) if r.student.startswith("h")]
        worst = max(runs, key=lambda r: r.duration_s - allowed_s(r))
        ratio = with_hangs / without
        measure = f"{before:.1f} -> {load():.1f}"
        each_ok = all(r.duration_s <= allowed_s(r) for r in runs)
        rows.append(
            f"| a class of {students} distinct files with 6 endless loops (3 in build_model, 2 in train_epoch, 1 at import) "
            f"`--jobs {jobs}`, {device}{beside} | {with_hangs:.1f} s; slowest hanging student {worst.duration_s:.1f} s "
            f"(allowed {allowed_s(worst):.1f} s) | the same class with untouched templates instead: {without:.1f} s "
            f"| {ratio:.2f}x | class <= {CLASS_GOAL}x; each <= limit + {SLACK_S:g} s + its other checks "
            f"| {'yes' if ratio <= CLASS_GOAL and each_ok and not failed else '**no**'}"
            + (f" (**{failed} grading processes failed**)" if failed else "") + f" | {measure} |")
    return rows


def main() -> int:
    """Alone: `python scripts/bench_hangs.py [STUDENTS] [--hog]` prints the two rows and each student's time;
    --hog: with one busy process per core running beside both classes (a shared server)."""
    import contextlib
    import os
    import tempfile

    from bench import batch, cpu_hog

    hog = "--hog" in sys.argv
    numbers = [a for a in sys.argv[1:] if a != "--hog"]
    students = int(numbers[0]) if numbers else 20
    with tempfile.TemporaryDirectory(prefix="grader-bench-hangs-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o711)  # as grade_batch: confined processes traverse to their scratch only
        with cpu_hog(os.cpu_count() or 1) if hog else contextlib.nullcontext():
            rows = hanging_class_rows(batch, workdir, students, "cpu", lambda: os.getloadavg()[0],
                                      f", {os.cpu_count()} busy processes beside it" if hog else "")
        for jobs in (1, 2):
            with Gradebook(workdir / f"out-hanging-{jobs}" / "grades.db") as book:
                for run in sorted(book.latest(ASSIGNMENT), key=lambda r: r.student):
                    allowed = f" (allowed {allowed_s(run):.1f} s)" if run.student.startswith("h") else ""
                    print(f"--jobs {jobs} {run.student}: {run.duration_s:.2f} s{allowed}, {run.points:g} points "
                          f"{run.problem}", file=sys.stderr)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
