"""Files rebuilt from the gradebook after every batch: grades.csv and each student's report.json.

report.json schema "dl-grader.report/1" (documented in README.md): student, assignment, status,
problem, points, max_points, sha256, suite_version, graded_at, duration_s, device, notes,
checks[] (name, description, visibility, max_points, points, status, message, duration_s),
output {stdout, stderr} (captured, truncated).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

from grader.gradebook import Gradebook, Run

REPORT_SCHEMA = "dl-grader.report/1"


def report_dict(run: Run) -> dict[str, object]:
    data = asdict(run)
    data.pop("hidden_not_run")  # a `grader check` count, never part of a graded run's report
    checks = data.pop("checks")
    output = {"stdout": data.pop("stdout"), "stderr": data.pop("stderr")}
    return {"schema": REPORT_SCHEMA, **data, "notes": list(run.notes), "checks": checks, "output": output}


def grades_csv(runs: list[Run]) -> str:
    names = list(dict.fromkeys(c.name for run in runs for c in run.checks))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "total", "max", "status", *names])
    for run in runs:
        by_name = {c.name: c.points for c in run.checks}
        writer.writerow([run.student, f"{run.points:g}", f"{run.max_points:g}", run.status,
                         *(f"{by_name[n]:g}" if n in by_name else "" for n in names)])
    return buffer.getvalue()


def write_exports(book: Gradebook, assignment: str, out: Path) -> list[Path]:
    runs = book.latest(assignment)
    written = [_write(out / "grades.csv", grades_csv(runs))]
    for run in runs:
        text = json.dumps(report_dict(run), indent=1, ensure_ascii=False) + "\n"
        written.append(_write(out / run.student / "report.json", text))
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
