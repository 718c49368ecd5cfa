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
class SuiteResult:
    """All checks run on one submission, plus the hidden checks that were not run."""

    submission: str
    assignment: str
    checks: tuple[CheckResult, ...]
    hidden_not_run: int = 0
    problem: str = ""  # set when the run itself failed (e.g. the process was killed)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.checks)

    @property
    def full_marks(self) -> bool:
        return not self.problem and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["points"], data["max_points"] = self.points, self.max_points
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteResult:
        return cls(
            submission=data["submission"],
            assignment=data["assignment"],
            checks=tuple(CheckResult.from_dict(c) for c in data["checks"]),
            hidden_not_run=data.get("hidden_not_run", 0),
            problem=data.get("problem", ""),
            extras=data.get("extras", {}),
        )
