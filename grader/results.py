"""The result model: what a grading run produced, separate from how it was run.

Every reporter (the terminal table today, reports later) reads only these classes. They cross
process boundaries as JSON (`to_dict` / `from_dict`), never as pickle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "error"]
Visibility = Literal["visible", "hidden"]


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict for one submission."""

    name: str  # the check's id, e.g. "layer_order"
    description: str  # one line saying what the check looks at
    max_points: float
    points: float
    status: Status  # "error": the check could not run (crash, timeout, import failure)
    message: str  # one sentence for the student; empty when passed
    visibility: Visibility = "visible"
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Run:
    """One grading of one submission: what `grader check` prints and `grader grade` stores in the gradebook."""

    student: str
    assignment: str
    source: str
    sha256: str
    suite_version: str
    status: str  # graded | could_not_grade | a bad-input status from intake
    problem: str
    points: float
    max_points: float
    graded_at: str
    duration_s: float
    checks: tuple[CheckResult, ...] = ()
    device: str = ""
    notes: tuple[str, ...] = ()
    stdout: str = ""
    stderr: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    hidden_not_run: int = 0  # `grader check` without --all: hidden checks left for grading (not stored)

    @property
    def full_marks(self) -> bool:
        return not self.problem and bool(self.checks) and all(c.passed for c in self.checks)

    def check_dict(self) -> dict[str, Any]:
        """`grader check --json`: the documented result JSON."""
        return {"submission": self.source, "assignment": self.assignment,
                "checks": [asdict(c) for c in self.checks], "hidden_not_run": self.hidden_not_run,
                "problem": self.problem, "points": self.points, "max_points": self.max_points,
                "notes": list(self.notes)}
