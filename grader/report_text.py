"""The plain words every student-facing report shares (Markdown and HTML say the same things).

Rules kept here so that the formats agree:
- a hidden check shows its name, its points and pass/fail, never its message (it can quote expected
  values, e.g. the hidden sizes) and its description only when that is non-revealing (no digits, no
  code punctuation); otherwise a generic hint;
- the captured stdout/stderr are never shown to students: pytest writes the checks' source into them
  (tracebacks), which would reveal hidden checks; they stay in report.json for TAs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.gradebook import Run
from grader.results import CheckResult

GENERIC_HIDDEN_HINT = ("hidden check: graded after the deadline; it runs your code on cases that the visible "
                       "checks do not show.")
_REVEALING = re.compile(r"[0-9=()\[\]{}'\"`<>]")
# Characters XML 1.0 forbids (and HTML parsers flag): C0 controls but tab/newline/CR, DEL, non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """Student-controlled text with the characters no XML/HTML document may hold removed."""
    return _FORBIDDEN.sub("", str(text))


def points(value: float) -> str:
    return f"{value:g}"


def is_hidden(check: CheckResult) -> bool:
    return check.visibility != "visible"


def non_revealing(description: str) -> bool:
    """Whether a hidden check's description may be shown: words only, no numbers, no code."""
    return bool(description.strip()) and not _REVEALING.search(description)


def hidden_hint(check: CheckResult) -> str:
    if non_revealing(check.description):
        text = check.description.strip().rstrip(".")
        return f"hidden check: graded after the deadline; it looks at this: {text}."
    return GENERIC_HIDDEN_HINT


def public_description(check: CheckResult) -> str:
    return hidden_hint(check) if is_hidden(check) else check.description


def student_message(check: CheckResult, run: Run | None = None) -> str:
    """The sentence a student reads next to a check: empty when passed, a hint for hidden checks.

    A hidden check's message is shown only when a visible check of the same run failed with the very
    same sentence (an import failure, a time limit): then it reveals nothing.
    """
    if check.passed:
        return ""
    if is_hidden(check) and not (run is not None and check.message and check.message in _visible_messages(run)):
        return hidden_hint(check)
    return check.message or "no reason was recorded."


def _visible_messages(run: Run) -> frozenset[str]:
    return frozenset(c.message for c in run.checks if not is_hidden(c) and not c.passed)


def _shown(check: CheckResult, run: Run) -> bool:
    """Whether the check's own message is shown (visible, or hidden with a sentence a visible check shares)."""
    return not is_hidden(check) or student_message(check, run) != hidden_hint(check)


def result_word(check: CheckResult) -> str:
    return {"passed": "pass", "failed": "FAIL", "error": "not run"}.get(check.status, check.status)


@dataclass(frozen=True)
class Mistake:
    sentence: str
    checks: tuple[str, ...]  # the checks this sentence explains
    points: float  # points lost to them


@dataclass(frozen=True)
class MistakeGroup:
    title: str
    mistakes: tuple[Mistake, ...]


def _merged(checks: list[CheckResult], run: Run) -> tuple[Mistake, ...]:
    by_sentence: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_sentence.setdefault(student_message(check, run), []).append(check)
    return tuple(Mistake(sentence, tuple(c.name for c in group), sum(c.max_points - c.points for c in group))
                 for sentence, group in by_sentence.items())


def mistakes(run: Run) -> list[MistakeGroup]:
    """One sentence per failed check, identical sentences merged, grouped by what went wrong."""
    groups = []
    lost = [c for c in run.checks if not c.passed]
    if run.status != "graded":
        groups.append(MistakeGroup("Your submission could not be graded", (
            Mistake(f"{run.problem or 'no reason was recorded'} ({run.status})", (), run.max_points - run.points),)))
        return groups
    shown = [c for c in lost if _shown(c, run)]
    crashed = [c for c in shown if c.status == "error"]
    wrong = [c for c in shown if c.status != "error"]
    hidden = [c for c in lost if not _shown(c, run)]
    if crashed:
        groups.append(MistakeGroup("Your code crashed, timed out or could not be imported", _merged(crashed, run)))
    if wrong:
        groups.append(MistakeGroup("Your code ran, but did not do what the homework asks", _merged(wrong, run)))
    if hidden:
        groups.append(MistakeGroup("Hidden checks you did not pass", tuple(
            Mistake(hidden_hint(c), (c.name,), c.max_points - c.points) for c in hidden)))
    return groups


def not_run(run: Run) -> list[str]:
    """What could not be run and why, one line each (the status, the problem, checks that errored)."""
    lines = []
    if run.status != "graded":
        lines.append(f"The submission was not graded (status {run.status}): {run.problem or 'no reason recorded'}")
    elif run.problem:
        lines.append(f"Problem: {run.problem}")
    errored = [c for c in run.checks if c.status == "error"]
    if errored and run.status == "graded":
        for mistake in _merged(errored, run):
            lines.append(f"{which_checks(mistake.checks, len(run.checks))} could not run: {mistake.sentence}")
    if not run.checks:
        lines.append("No check produced a result.")
    return lines


def which_checks(names: tuple[str, ...] | list[str], total: int) -> str:
    """'all 24 checks', 'the check a', or 'the 2 checks a, b'."""
    if len(names) == total and total > 1:
        return f"all {total} checks"
    return f"the check {names[0]}" if len(names) == 1 else f"the {len(names)} checks {', '.join(names)}"


def headline(run: Run) -> str:
    total = len(run.checks)
    passed = sum(c.passed for c in run.checks)
    failed = sum(c.status == "failed" for c in run.checks)
    errors = total - passed - failed
    if run.status != "graded":
        return f"Not graded: {run.status}."
    if total and passed == total:
        return f"All {total} checks passed."
    parts = [f"{passed} of {total} checks passed"]
    if failed:
        parts.append(f"{failed} failed")
    if errors:
        parts.append(f"{errors} could not run")
    return "; ".join(parts) + "."
