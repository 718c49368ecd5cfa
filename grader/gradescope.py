"""OUT/<student>/results.json in Gradescope's autograder format.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ (results.json). Top level:
`score` (the run's points, which Gradescope takes over the sum of the tests), `execution_time`
(whole seconds), `output` (the headline, the status and problem, the grader's notes), `visibility`,
`stdout_visibility`, `tests` and `extra_data` (student, assignment, status, sha256, suite_version).
Each check is one test: `name`, `number`, `score`, `max_score`, `status` ("passed" or "failed": a check
that could not run is "failed"), `output` (the check's message, or its description when it passed) and
`visibility`: visible checks "visible", hidden checks "after_published", so students see them with
the released grades, not before, and then, as in report.html, only as their name, points and a
non-revealing hint (grader.report_text): their messages and descriptions can quote the hidden cases.
The grading process's stdout (pytest's own output, which quotes the checks' code) is never put in the
file, and `stdout_visibility` is "hidden".
"""

from __future__ import annotations

import json
from typing import Any

from grader.gradebook import Run
from grader.report_text import clean, headline, not_run, public_description, student_message

HIDDEN_VISIBILITY = "after_published"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def gradescope_results(run: Run) -> dict[str, Any]:
    tests = [{
        "name": check.name,
        "number": str(number),
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.passed else "failed",
        "output": clean(public_description(check) if check.passed else student_message(check, run)),
        "visibility": "visible" if check.visibility == "visible" else HIDDEN_VISIBILITY,
    } for number, check in enumerate(run.checks, start=1)]
    output = [headline(run), *not_run(run), *run.notes]
    return {
        "score": run.points,
        "execution_time": round(run.duration_s),
        "output": clean("\n".join(output)),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"student": run.student, "assignment": run.assignment, "status": run.status,
                       "sha256": run.sha256, "suite_version": run.suite_version, "max_score": run.max_points},
    }


def gradescope_json(run: Run) -> str:
    return json.dumps(gradescope_results(run), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
