"""Every check fails on a realistic wrong submission and passes on the reference, for every assignment.

Each wrong submission in wrong_submissions/<assignment>.toml is graded with all checks (hidden too); the set of
checks it fails must be exactly the set the catalogue names, so no verdict is an accident. The same holds for
the grader's own verdicts alone (the judges, from the evidence the grading process recorded), since those are
what a submission cannot forge; and `grader grade` (confined, a class at once) gives every entry the same
verdicts as `grader check`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from catalogue import CATALOGUES, plant, solution_of

from grader.assignment import DEFAULT_CHECKS, PROJECT_ROOT
from grader.batch import BatchOptions, grade_batch
from grader.gradebook import Gradebook
from grader.kits import ensure_data
from grader.pipeline import child_artifacts, judged, new_job, verdicts
from grader.protocol import Evidence, judge_checks
from grader.results import CheckResult
from grader.sandbox import Limits, Outcome
from grader.suite import Suite, load_suite
from grader.worker import Job, grade_in_child, warm_context

CHALLENGE = 20261124  # any seed: the parent's verdicts must not depend on it
ENTRIES = [(a, kind, entry["name"]) for a, catalogue in CATALOGUES.items()
           for kind in ("bug", "ok") for entry in catalogue.get(kind, [])]


def suite_of(assignment: str) -> Suite:
    return load_suite(DEFAULT_CHECKS / assignment)


def entry(assignment: str, kind: str, name: str) -> dict:
    return next(e for e in CATALOGUES[assignment][kind] if e["name"] == name)


def expected_failures(bug: dict, suite: Suite) -> set[str]:
    expected = set(bug.get("fails", {}))
    return {s.name for s in suite.specs} if expected == {"*"} else expected


class Graded:
    def __init__(self, checks: list[CheckResult]) -> None:
        self.checks = checks
        self.points = sum(c.points for c in checks)
        self.max_points = sum(c.max_points for c in checks)


def grade(path: Path, bug: dict | None = None, assignment: str = "hw1_bn_mlp") -> Graded:
    """The verdicts of both halves combined, as grader check and grader grade give them, having confirmed that
    the grading process's verdicts and the grader's own fail the same checks, but the ones the catalogue says
    the grader judges from another angle."""
    suite = suite_of(assignment)
    root = ensure_data(suite.assignment.kits, None, log=lambda _: None)
    with tempfile.TemporaryDirectory() as scratch:
        # Two torch threads here, one under grader grade below: the verdicts must not depend on it.
        job = new_job(suite, path, Path(scratch), data_root=root, device="cpu", threads=2, challenge=CHALLENGE)
        outcome = run_warm(job, 900, suite.assignment.kits, root)
        child, _, errors, _ = verdicts(suite, Path(job.results), job.nonce, outcome)
        evidence = Evidence(child_artifacts(Path(job.artifacts)), CHALLENGE, root)
    assert child, "no check ran"
    assert not any("the grading process ended" in c.message for c in child), [c.message for c in child]
    parent = judge_checks(suite.judges, [c.name for c in child], evidence)
    parent_failed = {name: message for name, (ok, message) in parent.items() if not ok}
    child_failed = {c.name for c in child if not c.passed}
    assert set(parent_failed) == child_failed - set((bug or {}).get("grader_passes", {})), (
        f"the grader's own verdicts fail {sorted(parent_failed)}, the checks fail {sorted(child_failed)}: "
        f"{parent_failed}")
    return Graded(judged(suite, child, evidence, errors))


def run_warm(job: Job, timeout_s: float, kits: tuple[str, ...], root: Path | None) -> Outcome:
    """`grader check`'s grading process (worker.grade_in_child, unconfined), forked from the warm pool rather than
    started as a fresh interpreter: the same stages, without importing torch again for each of ~100 entries."""
    process = warm_context(kits, root).Process(target=grade_in_child, args=(job,))
    started = time.monotonic()
    process.start()
    process.join(timeout_s)
    timed_out = process.is_alive()
    if timed_out:
        process.kill()
        process.join()
    return Outcome(exit_code=process.exitcode, signal=None, timed_out=timed_out, wall_s=time.monotonic() - started,
                   stdout="", stderr="", notes=())


def failed(result: Graded) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


def test_every_assignment_has_a_catalogue_that_names_every_check() -> None:
    for assignment in sorted(p.parent.name for p in DEFAULT_CHECKS.glob("*/assignment.toml")):
        assert assignment in CATALOGUES, f"tests/wrong_submissions/{assignment}.toml is missing"
        bugs = CATALOGUES[assignment]["bug"]
        assert len({b["name"] for b in bugs}) == len(bugs) >= 10 and CATALOGUES[assignment].get("ok")
        suite = suite_of(assignment)
        lost = set().union(*(expected_failures(b, suite) for b in bugs))
        assert {s.name for s in suite.specs} <= lost, "every check must be shown to fail on a wrong submission"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_reference_gets_full_marks_and_the_template_zero(assignment: str) -> None:
    result = grade(solution_of(assignment), assignment=assignment)
    assert failed(result) == set(), [c.message for c in result.checks if not c.passed]
    assert result.points == result.max_points > 0
    template = grade(PROJECT_ROOT / "assignments" / assignment / f"{assignment}.py", assignment=assignment)
    assert template.points == 0
    for check in template.checks:
        assert "not implemented yet" in check.message, (check.name, check.message)


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "kind", "name"), ENTRIES)
def test_catalogued_submission_loses_exactly_the_named_checks(assignment: str, kind: str, name: str,
                                                              tmp_path: Path) -> None:
    bug = entry(assignment, kind, name)
    path = tmp_path / f"{assignment}.py"
    path.write_text(plant(bug, assignment=assignment), encoding="utf-8")
    result = grade(path, bug if kind == "bug" else None, assignment)
    expected = expected_failures(bug, suite_of(assignment)) if kind == "bug" else set()
    assert failed(result) == expected, {c.name: c.message for c in result.checks if not c.passed}
    for check in result.checks:
        if not check.passed:
            assert check.points == 0 and check.message, check


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_grader_grade_gives_the_catalogue_the_same_verdicts(assignment: str, tmp_path: Path) -> None:
    """The whole catalogue as one class, confined and graded at once: each entry loses what `grader check` says."""
    suite = suite_of(assignment)
    expected = {}
    for kind in ("bug", "ok"):
        for bug in CATALOGUES[assignment].get(kind, []):
            folder = tmp_path / "class" / bug["name"]
            folder.mkdir(parents=True)
            (folder / f"{assignment}.py").write_text(plant(bug, assignment=assignment), encoding="utf-8")
            expected[bug["name"]] = expected_failures(bug, suite) if kind == "bug" else set()
    grade_batch(tmp_path / "class", BatchOptions(assignment=assignment, out=tmp_path / "out", jobs=2, device="cpu",
                                                 limits=Limits(wall_s=600)), progress=lambda _: None)
    with Gradebook(tmp_path / "out" / "grades.db") as book:
        got = {run.student: {c.name for c in run.checks if not c.passed} for run in book.latest(assignment)}
    assert got == expected


@pytest.mark.slow
def test_same_submission_graded_twice_gets_identical_results(tmp_path: Path) -> None:
    bug = entry("hw1_bn_mlp", "bug", "no_eval_in_evaluate")
    path = tmp_path / "hw1_bn_mlp.py"
    path.write_text(plant(bug), encoding="utf-8")
    first, second = grade(path, bug), grade(path, bug)
    strip = [(c.name, c.points, c.status, c.message) for c in first.checks]
    assert strip == [(c.name, c.points, c.status, c.message) for c in second.checks]
