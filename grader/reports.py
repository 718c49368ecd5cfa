"""Every report format, rendered only from the gradebook's latest runs, and `grader report`.

Same gradebook, same bytes: no rendering timestamps, sorted keys, fixed float formats. Written after
every `grader grade` and again by `grader report --out DIR`, which never regrades.

OUT/grades.csv, OUT/<student>/report.json   grader.exports (TA data)
OUT/<student>/report.md, report.html         grader.report_md, grader.report_html (student-facing)
OUT/<student>/results.json                   grader.gradescope (Gradescope's autograder format)
OUT/summary.md, OUT/summary.html             grader.summary (the class)
OUT/junit.xml                                grader.junit
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.assignment import UsageError
from grader.exports import _write, write_exports
from grader.gradebook import Gradebook
from grader.gradescope import gradescope_json
from grader.junit import junit_xml
from grader.report_html import student_html
from grader.report_md import student_markdown
from grader.summary import summary_html, summary_markdown


def write_reports(book: Gradebook, assignment: str, out: Path) -> list[Path]:
    written = write_exports(book, assignment, out)
    runs = book.latest(assignment)
    for run in runs:
        folder = out / run.student
        written += [_write(folder / "report.md", student_markdown(run)),
                    _write(folder / "report.html", student_html(run)),
                    _write(folder / "results.json", gradescope_json(run))]
    written += [_write(out / "summary.md", summary_markdown(runs, assignment)),
                _write(out / "summary.html", summary_html(runs, assignment)),
                _write_bytes(out / "junit.xml", junit_xml(runs, assignment))]
    return written


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def add_report_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = subparsers.add_parser(
        "report", help="re-render every report from OUT/grades.db without regrading",
        description="Write grades.csv, junit.xml, summary.md/.html and each student's report.json, report.md, "
        "report.html and results.json (Gradescope) again from DIR/grades.db. Nothing is regraded; the same "
        "gradebook always gives the same bytes.")
    report.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="the folder `grader grade --out` wrote (holds grades.db)")
    report.add_argument("--assignment", help="default: the gradebook's only assignment")
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    database = args.out / "grades.db"
    if not database.is_file():  # Gradebook() would create an empty one
        raise UsageError(f"no gradebook at {database}: grade first with `grader grade SUBMISSIONS_DIR --out "
                         f"{args.out}`")
    with Gradebook(database) as book:
        known = book.assignments()
        assignment = args.assignment
        if assignment is None:
            if len(known) != 1:
                raise UsageError(f"{database} holds {len(known)} assignments ({', '.join(known) or 'none'}): "
                                 "choose one with --assignment")
            assignment = known[0]
        elif assignment not in known:
            raise UsageError(f"{database} has no runs for assignment {assignment!r} (it has: "
                             f"{', '.join(known) or 'none'})")
        written = write_reports(book, assignment, args.out)
    print(f"{assignment}: wrote {len(written)} file(s) in {args.out}/ (summary: {args.out / 'summary.html'})")
    return 0
